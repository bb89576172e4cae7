/* SPDX-License-Identifier: MIT */
/* Pieces of `bpfstep dump`. */
#ifndef BS_CLI_DUMP_H
#define BS_CLI_DUMP_H

#include "cli/cli.h"

/* The control-flow graph as graphviz dot on stdout. The program has been
 * checked (bs_prog_check). funcs may be NULL for a raw program, whose
 * subprograms then share one graph. */
void dump_visual(const struct bs_insn *prog, size_t n, const struct bs_func *funcs, size_t nfuncs,
		 const struct bs_disasm_names *names);

/* The JIT's code of program prog (n slots; bs_vm_jit_code) disassembled:
 * bpf_line prints BPF instruction pc (and its source line) before the
 * native code made from it; the loops' unchecked copies (bs_vm_jit_loops)
 * follow the body. CLI_OK, or -1 with err (no capstone in this build). */
int dump_jited(const uint8_t *code, size_t len, const uint32_t *offs,
	       const struct bs_insn *prog, size_t n, const struct bs_jit_loop *loops,
	       size_t nloops, void (*bpf_line)(size_t pc, void *user), void *user, bool opcodes,
	       struct bs_error *err);

#endif
