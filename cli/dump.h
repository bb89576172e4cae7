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

#endif
