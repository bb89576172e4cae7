/* SPDX-License-Identifier: MIT */
/* Decoding, disassembly and assembly of eBPF instructions. */
#ifndef BPFSTEP_ISA_H
#define BPFSTEP_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Checks the instruction at pc the way the kernel verifier checks opcodes and
 * reserved fields (no data-flow analysis). lddw needs its second slot, so the
 * whole program is passed. Returns 0 or fills err (kind BS_ERR_INVALID). */
BS_MUST_CHECK int bs_insn_check(const struct bs_insn *prog, size_t n, size_t pc,
				struct bs_error *err);

/* Checks a whole program the way the kernel does before data-flow analysis:
 * every instruction (bs_insn_check), call and function-pointer targets,
 * jumps that stay inside their subprogram and never land in the middle of a
 * lddw, and subprograms that end in exit or a jump. */
BS_MUST_CHECK int bs_prog_check(const struct bs_insn *prog, size_t n, struct bs_error *err);

/* Number of slots the instruction at pc occupies (2 for lddw, else 1). */
size_t bs_insn_slots(const struct bs_insn *insn);

/* Writes the instruction at pc in the kernel verifier's syntax, without the
 * "(code)" prefix: "r1 = *(u32 *)(r6 +76)". Unknown encodings print as the
 * kernel does ("BUG_..." / "(code) class"), never fail. Returns the length
 * snprintf would have written. */
int bs_disasm(const struct bs_insn *prog, size_t n, size_t pc, char *buf, size_t len);

/* One line as `bpftool prog dump xlated` prints it:
 * "   0: (b7) r0 = 0", and with opcodes a second line with the raw bytes. */
enum bs_disasm_flags {
	BS_DISASM_OPCODES = 1u << 0,
};
int bs_disasm_line(const struct bs_insn *prog, size_t n, size_t pc, unsigned flags,
		   char *buf, size_t len);

/* Names for what instructions refer to, when the program came from an object:
 * maps print as map[NAME] (map[NAME]+OFF for a value address) and
 * bpf-to-bpf calls as call pc+N#NAME. A callback returning NULL falls back to
 * the plain text. */
struct bs_disasm_names {
	const char *(*map)(void *user, uint32_t map_index);
	const char *(*func)(void *user, size_t insn);  /* the function starting at insn */
	void *user;
};
int bs_disasm_line_names(const struct bs_insn *prog, size_t n, size_t pc, unsigned flags,
			 const struct bs_disasm_names *names, char *buf, size_t len);

/* Assembles text in either dialect, line by line:
 *   the conformance-vector dialect  ("mov32 %r0, 0", "ldxw %r0, [%r1+4]",
 *                                    "lock fetch add [%r10-8], %r1", "call local f")
 *   the kernel/LLVM C-like dialect   ("w0 = 0", "r0 = *(u32 *)(r1 +4)",
 *                                    "if r1 > 5 goto +2", "call bpf_ktime_get_ns#5")
 * Labels ("name:") work in both; '#' and ';' and "//" start comments.
 * On success *out is malloc'd (caller frees) and *n holds the slot count.
 * On failure err names filename:line and the offending text. */
BS_MUST_CHECK int bs_asm(const char *text, const char *filename, struct bs_insn **out,
			 size_t *n, struct bs_error *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
