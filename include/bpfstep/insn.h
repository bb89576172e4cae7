/* SPDX-License-Identifier: MIT */
/* The 8-byte eBPF instruction (RFC 9669 section 3), little-endian layout. */
#ifndef BPFSTEP_INSN_H
#define BPFSTEP_INSN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct bs_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

#ifndef __cplusplus
_Static_assert(sizeof(struct bs_insn) == 8, "eBPF instructions are 8 bytes");
#endif

#define BS_MAX_REG 11          /* r0..r10 */
#define BS_STACK_SIZE 512      /* bytes per frame */
#define BS_MAX_FRAMES 8        /* bpf-to-bpf call depth, kernel MAX_CALL_FRAMES */

/* lddw (BPF_LD | BPF_IMM | BPF_DW) pseudo sources, as the kernel UAPI names them. */
enum bs_pseudo {
	BS_PSEUDO_NONE = 0,
	BS_PSEUDO_MAP_FD = 1,
	BS_PSEUDO_MAP_VALUE = 2,
	BS_PSEUDO_BTF_ID = 3,
	BS_PSEUDO_FUNC = 4,
	BS_PSEUDO_MAP_IDX = 5,
	BS_PSEUDO_MAP_IDX_VALUE = 6,
};

/* call src_reg values */
enum bs_call_kind {
	BS_CALL_HELPER = 0,
	BS_CALL_LOCAL = 1,  /* bpf-to-bpf, pc-relative imm */
	BS_CALL_KFUNC = 2,
};

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
