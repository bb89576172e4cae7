/* SPDX-License-Identifier: MIT */
/* The REPL's command handlers, one group per file; repl_table.c lists them. */
#ifndef BS_DEBUGGER_REPL_CMDS_H
#define BS_DEBUGGER_REPL_CMDS_H

#include "debugger/repl.h"

#define REPL_HANDLER(name) int name(struct repl *r, const char *args)

/* repl_run.c */
REPL_HANDLER(cmd_run); REPL_HANDLER(cmd_start); REPL_HANDLER(cmd_continue);
REPL_HANDLER(cmd_step); REPL_HANDLER(cmd_next); REPL_HANDLER(cmd_stepi);
REPL_HANDLER(cmd_nexti); REPL_HANDLER(cmd_finish); REPL_HANDLER(cmd_until);
REPL_HANDLER(cmd_advance); REPL_HANDLER(cmd_rstepi); REPL_HANDLER(cmd_rnexti);
REPL_HANDLER(cmd_rstep); REPL_HANDLER(cmd_rnext); REPL_HANDLER(cmd_rfinish);
REPL_HANDLER(cmd_rcontinue); REPL_HANDLER(cmd_goto); REPL_HANDLER(cmd_kill);
REPL_HANDLER(cmd_quit);
/* repl_bp.c */
REPL_HANDLER(cmd_break); REPL_HANDLER(cmd_tbreak); REPL_HANDLER(cmd_condition);
REPL_HANDLER(cmd_ignore); REPL_HANDLER(cmd_delete); REPL_HANDLER(cmd_disable);
REPL_HANDLER(cmd_enable); REPL_HANDLER(cmd_watch); REPL_HANDLER(cmd_rwatch);
REPL_HANDLER(cmd_awatch); REPL_HANDLER(cmd_info_breakpoints);
/* repl_data.c */
REPL_HANDLER(cmd_print); REPL_HANDLER(cmd_x); REPL_HANDLER(cmd_display);
REPL_HANDLER(cmd_undisplay); REPL_HANDLER(cmd_set); REPL_HANDLER(cmd_info_registers);
REPL_HANDLER(cmd_info_frame); REPL_HANDLER(cmd_backtrace); REPL_HANDLER(cmd_frame);
REPL_HANDLER(cmd_up); REPL_HANDLER(cmd_down); REPL_HANDLER(cmd_info_display);
/* repl_src.c */
REPL_HANDLER(cmd_list); REPL_HANDLER(cmd_disassemble); REPL_HANDLER(cmd_info_line);
REPL_HANDLER(cmd_info_source); REPL_HANDLER(cmd_info_functions);
/* repl_bpf.c */
REPL_HANDLER(cmd_map); REPL_HANDLER(cmd_packet); REPL_HANDLER(cmd_trace);
REPL_HANDLER(cmd_explain); REPL_HANDLER(cmd_info_maps);
/* repl_table.c */
REPL_HANDLER(cmd_help); REPL_HANDLER(cmd_info);

#endif
