/* SPDX-License-Identifier: MIT */
/* Shared by the unit tests: instruction builders (named like the kernel's
 * BPF_* macros so rows read like kernel selftests) and a run helper. */
#ifndef BS_TESTS_TESTUTIL_H
#define BS_TESTS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "bpfstep/bpfstep.h"

#define INSN(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define ALU64_IMM(op, d, i) INSN(0x07 | (op), d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(0x0f | (op), d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN(0x04 | (op), d, 0, 0, i)
#define ALU32_REG(op, d, s) INSN(0x0c | (op), d, s, 0, 0)
#define MOV64_IMM(d, i) ALU64_IMM(0xb0, d, i)
#define MOV64_REG(d, s) ALU64_REG(0xb0, d, s)
#define LD_IMM64_LO(d, v) INSN(0x18, d, 0, 0, (int32_t)(uint32_t)(uint64_t)(v))
#define LD_IMM64_HI(v) INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define LDX(sz, d, s, o) INSN(0x61 | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(0x63 | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INSN(0x62 | (sz), d, 0, o, i)
#define JMP_IMM(op, d, i, o) INSN(0x05 | (op), d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(0x0d | (op), d, s, o, 0)
#define CALL_HELPER(id) INSN(0x85, 0, 0, 0, id)
#define CALL_LOCAL(o) INSN(0x85, 0, 1, 0, o)
#define EXIT() INSN(0x95, 0, 0, 0, 0)

enum { SZ_W = 0x00, SZ_H = 0x08, SZ_B = 0x10, SZ_DW = 0x18 };

/* Loads and runs prog with r1 = mem / r2 = len (mem may be NULL) using the
 * given dispatch. Returns 0 or -1 with err filled. */
int tu_run(const struct bs_insn *prog, size_t n, void *mem, size_t len,
	   enum bs_dispatch dispatch, struct bs_run_result *res, struct bs_error *err);

/* Assembles text (either dialect); fails the test on a parse error. */
struct bs_insn *tu_asm(const char *text, size_t *n);

#endif
