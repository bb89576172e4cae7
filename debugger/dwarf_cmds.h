/* SPDX-License-Identifier: MIT */
/* The REPL's C-level commands over DWARF (debugger/dwarf_cmds.c). */
#ifndef BS_DEBUGGER_DWARF_CMDS_H
#define BS_DEBUGGER_DWARF_CMDS_H

#include <stdbool.h>
#include <stddef.h>

#include "debugger/repl.h"

/* Whether expr is for DWARF (it names a C variable, member or type) rather
 * than the engine's language ($r1, {u32}ADDR, u32 casts). */
bool repl_c_wants(const struct repl *r, const char *expr);
/* print[/x] EXPR of C: "$N = value" (history) or the bare value; prints
 * the error and returns -1. */
int repl_c_print(struct repl *r, const char *expr, char fmt, bool history);
/* set var EXPR = VALUE of C. */
int repl_c_set(struct repl *r, const char *expr);
/* watch NAME: the engine's lvalue for a C lvalue (expr itself when it is
 * already the engine's); NULL after printing why not. */
const char *repl_c_lvalue(struct repl *r, const char *expr, char *buf, size_t len);
int cmd_info_locals(struct repl *r, const char *args);
int cmd_info_args(struct repl *r, const char *args);
int cmd_ptype(struct repl *r, const char *args);
int cmd_whatis(struct repl *r, const char *args);

#endif
