/* SPDX-License-Identifier: MIT */
/* Breakpoint conditions over C variables (debugger/dwarf_access.c), for
 * the engine's breakpoints (bpts.c). */
#ifndef BS_DEBUGGER_DWARF_ENGINE_H
#define BS_DEBUGGER_DWARF_ENGINE_H

#include <stdbool.h>

#include "bpfstep/debug.h"
#include "vm/isa.h"

/* Whether cond can be a C condition: the program has DWARF and cond parses
 * as C (its names are looked up when it is evaluated). Fills err if not. */
BS_HIDDEN bool dbg_c_cond_usable(struct bs_dbg *d, const char *cond, struct bs_error *err);
/* At a hit, inside the run: true when the C condition is false (an error
 * counts as true: the breakpoint stops, as gdb's does). */
BS_HIDDEN bool dbg_c_cond_false(struct bs_dbg *d, const char *cond);

#endif
