/* SPDX-License-Identifier: MIT */
/* Maps in print and set var (debugger/repl_maps.c); the map commands
 * themselves are in repl_cmds.h. */
#ifndef BS_DEBUGGER_REPL_MAPS_H
#define BS_DEBUGGER_REPL_MAPS_H

#include "debugger/repl_cmds.h"

/* expr is a map's name (and no C variable in scope has it). */
bool repl_map_named(struct repl *r, const char *expr);
/* print MAP: its entries as `map dump` shows them ("$N = [...]"). */
int repl_map_print(struct repl *r, const char *expr, char fmt);
/* expr starts with MAP[ (and no C variable in scope is called MAP). */
bool repl_map_lvalue(struct repl *r, const char *expr);
/* set var MAP[KEY] = VALUE, set var MAP[KEY].FIELD.FIELD = N. */
int repl_map_set(struct repl *r, const char *expr);

#endif
