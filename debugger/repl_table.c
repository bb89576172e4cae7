// SPDX-License-Identifier: MIT
/* The REPL's command table: one row per command, with gdb's names and
 * abbreviations, and the help text `help CMD` prints. */
#include <string.h>

#include "debugger/dwarf_cmds.h"
#include "debugger/repl_cmds.h"
#include "debugger/repl_srcpath.h"

const struct repl_cmd repl_cmds[] = {
	{"run", "r", cmd_run, "run",
	 "Start the program from the beginning (fresh maps, same input); it runs to the first\n"
	 "breakpoint or watchpoint, a runtime error or its exit.", false},
	{"start", NULL, cmd_start, "start", "Start the program and stop before its first instruction.",
	 false},
	{"continue", "c cont", cmd_continue, "continue [N]",
	 "Continue until a breakpoint, a watchpoint, a runtime error or the exit; with N, ignore\n"
	 "the breakpoint stopped at N-1 more times.", true},
	{"step", "s", cmd_step, "step [N]",
	 "Step to the start of the next source line, into called functions (and bpf_loop\n"
	 "callbacks). Without line info: one instruction.", true},
	{"next", "n", cmd_next, "next [N]",
	 "Step to the next source line of this function, over calls and callbacks.", true},
	{"stepi", "si", cmd_stepi, "stepi [N]", "Execute N instructions (default 1).", true},
	{"nexti", "ni", cmd_nexti, "nexti [N]",
	 "Execute one instruction, running a bpf-to-bpf call or a helper with its callbacks\n"
	 "as one.", true},
	{"finish", "fin", cmd_finish, "finish",
	 "Run until the current function returns; shows the value it returned in r0.", false},
	{"until", "u", cmd_until, "until [LOCATION]",
	 "Like next, but never stops at a line before the current one (leaves a loop); with a\n"
	 "location, run until it is reached or the current function returns.", true},
	{"advance", NULL, cmd_advance, "advance LOCATION",
	 "Run until LOCATION is reached or the current function returns.", false},
	{"reverse-stepi", "rsi", cmd_rstepi, "reverse-stepi [N]",
	 "Go back N instructions: registers, memory and maps are as they were there.", true},
	{"reverse-nexti", "rni", cmd_rnexti, "reverse-nexti [N]",
	 "Go back one instruction, over a whole call.", true},
	{"reverse-step", "rs", cmd_rstep, "reverse-step [N]",
	 "Go back to the start of the previous source line (into a function that returned).",
	 true},
	{"reverse-next", "rn", cmd_rnext, "reverse-next [N]",
	 "Go back to the start of the previous source line of this function.", true},
	{"reverse-finish", NULL, cmd_rfinish, "reverse-finish",
	 "Go back to the call of the current function.", false},
	{"reverse-continue", "rc", cmd_rcontinue, "reverse-continue",
	 "Go back to the previous breakpoint or watchpoint hit, or to the start.", false},
	{"goto", NULL, cmd_goto, "goto COUNT",
	 "Go to the point where COUNT instructions have run (forwards or backwards).", false},
	{"kill", "k", cmd_kill, "kill", "End the run.", false},
	{"break", "b br brea", cmd_break, "break [LOCATION] [if COND]",
	 "Set a breakpoint. LOCATION: FUNCTION, FILE:LINE, LINE, or *INSN (an instruction\n"
	 "index); none: the current instruction. COND: an expression, e.g. if $r1 == 5.", false},
	{"tbreak", NULL, cmd_tbreak, "tbreak [LOCATION] [if COND]",
	 "Set a temporary breakpoint: deleted when it is hit.", false},
	{"condition", NULL, cmd_condition, "condition N [COND]",
	 "Stop at breakpoint N only when COND is non-zero; no COND: always.", false},
	{"ignore", NULL, cmd_ignore, "ignore N COUNT", "Ignore the next COUNT hits of breakpoint N.",
	 false},
	{"delete", "d", cmd_delete, "delete [N...] | delete display [N...]",
	 "Delete breakpoints (all without numbers), or auto-display expressions.", false},
	{"disable", "disa", cmd_disable, "disable [N...]", "Disable breakpoints (all without numbers).",
	 false},
	{"enable", "en", cmd_enable, "enable [N...]", "Enable breakpoints (all without numbers).",
	 false},
	{"watch", NULL, cmd_watch, "watch LVALUE [if COND]",
	 "Stop after every write to memory (*(u32 *)ADDR, {u16}ADDR: stack slots, packet bytes,\n"
	 "map values, ctx fields), or when a register ($r3) changes.", false},
	{"rwatch", NULL, cmd_rwatch, "rwatch LVALUE [if COND]",
	 "Stop after every read of the memory.", false},
	{"awatch", NULL, cmd_awatch, "awatch LVALUE [if COND]",
	 "Stop after every read or write of the memory.", false},
	{"print", "p inspect", cmd_print, "print[/FMT] EXPR",
	 "Evaluate and show EXPR: $r0..$r10, $w0..$w10, $pc, $fp, $ctx, $pkt, $pkt_end, $count,\n"
	 "numbers, C operators, casts (u8..u64, s8..s64, pointers), *PTR, {TYPE} ADDR and\n"
	 "assignment. FMT: x d u o t c.", false},
	{"ptype", NULL, cmd_ptype, "ptype TYPE|EXPR",
	 "Show the C type (DWARF) of EXPR or the definition of TYPE, members expanded.", false},
	{"whatis", NULL, cmd_whatis, "whatis TYPE|EXPR", "Show the C type (DWARF) of EXPR.", false},
	{"x", NULL, cmd_x, "x/NFU ADDR",
	 "Examine memory: N units of size U (b h w g) in format F (x d u o t c; i: instructions\n"
	 "from instruction index ADDR).", true},
	{"display", "disp", cmd_display, "display[/FMT] EXPR",
	 "Show EXPR at every stop (display/4xb ADDR examines memory).", false},
	{"undisplay", NULL, cmd_undisplay, "undisplay [N...]", "Stop showing auto-display expressions.",
	 false},
	{"set", NULL, cmd_set, "set var $r1 = EXPR | set {u32}(ADDR) = EXPR",
	 "Change a register or memory (C: set var x = 5; maps: set var counts[6].packets = 5).\n"
	 "Re-runs (reverse execution) repeat the change where it was made.\n"
	 "set substitute-path FROM TO: sources compiled under FROM are now under TO.", false},
	{"info", "i inf", cmd_info, "info registers|breakpoints|frame|stack|maps|functions|line|source|display",
	 "Show registers (with kinds: ctx, pkt+14, fp-16, map[counts]+8 ...; * marks those the\n"
	 "last step changed), breakpoints, the stack frame as 8-byte slots, the backtrace, maps,\n"
	 "functions, line and source information.", false},
	{"backtrace", "bt where", cmd_backtrace, "backtrace",
	 "List the bpf-to-bpf frames (and callback frames), innermost first.", false},
	{"frame", "f", cmd_frame, "frame [N]", "Select frame N (0: innermost) and show it.", false},
	{"up", NULL, cmd_up, "up [N]", "Select the caller's frame.", false},
	{"down", "do", cmd_down, "down [N]", "Select the callee's frame.", false},
	{"list", "l", cmd_list, "list [LOCATION]",
	 "List source lines around the stop (or LOCATION); again: the next lines.", true},
	{"directory", "dir", cmd_directory, "directory [DIR...]",
	 "Also look for source files in DIR (as --source-dir DIR does); none: show the list.",
	 false},
	{"disassemble", "disas", cmd_disassemble, "disassemble[/s] [LOCATION]",
	 "Disassemble the current function (/s: with source lines); => marks the stop.", false},
	{"map", NULL, cmd_map, "map dump|lookup|update|delete[/x] NAME [key KEY] [value VALUE]",
	 "Show or change a map, typed by its BTF like bpftool map dump: map lookup counts key 6,\n"
	 "map update counts key 6 value {packets=1, bytes=60} (or JSON). Bytes work for every\n"
	 "map: hex 06 00 00 00, 6 0 0 0; /x shows bytes. Changes are repeated by reverse steps.\n"
	 "print MAP shows the map; set var MAP[KEY].FIELD = N changes one member.", false},
	{"packet", "pkt", cmd_packet, "packet",
	 "Hexdump of the packet as the program sees it, with Ethernet/VLAN/IPv4/IPv6/TCP/UDP/ICMP\n"
	 "headers decoded.", false},
	{"trace", NULL, cmd_trace, "trace", "bpf_trace_printk output of the run so far.", false},
	{"explain", NULL, cmd_explain, "explain",
	 "The next instruction's meaning in one sentence, with its operand values.", false},
	{"help", "h", cmd_help, "help [COMMAND]", "List commands, or show one command's usage.", false},
	{"quit", "q exit", cmd_quit, "quit", "Leave the debugger.", false},
};
const size_t repl_ncmds = sizeof(repl_cmds) / sizeof(repl_cmds[0]);

int cmd_help(struct repl *r, const char *args)
{
	char word[64];
	if (!repl_word(&args, word, sizeof(word))) {
		fprintf(r->out, "Commands (unique prefixes work too; Enter repeats a step command):\n");
		for (size_t i = 0; i < repl_ncmds; i++)
			fprintf(r->out, "  %-62s %s\n", repl_cmds[i].usage,
				repl_cmds[i].aliases ? repl_cmds[i].aliases : "");
		return 0;
	}
	const struct repl_cmd *c = repl_find(r, word);
	if (!c) {
		repl_error(r, "Undefined command: \"%s\".  Try \"help\".", word);
		return -1;
	}
	fprintf(r->out, "Usage: %s\n%s\n", c->usage, c->help);
	if (c->aliases)
		fprintf(r->out, "Aliases: %s\n", c->aliases);
	return 0;
}

int cmd_info(struct repl *r, const char *args)
{
	static const struct {
		const char *name;
		int (*fn)(struct repl *, const char *);
	} subs[] = {
		{"registers", cmd_info_registers}, {"breakpoints", cmd_info_breakpoints},
		{"watchpoints", cmd_info_breakpoints}, {"frame", cmd_info_frame},
		{"stack", cmd_backtrace}, {"maps", cmd_info_maps}, {"functions", cmd_info_functions},
		{"line", cmd_info_line}, {"source", cmd_info_source}, {"display", cmd_info_display},
		{"all-registers", cmd_info_registers},
		{"locals", cmd_info_locals}, {"args", cmd_info_args},  /* DWARF: dwarf_cmds.c */
	};
	char word[64];
	if (!repl_word(&args, word, sizeof(word))) {
		repl_error(r, "List of info subcommands: registers, breakpoints, frame, stack, maps, "
			      "functions, line, source, display.");
		return -1;
	}
	int found = -1, n = 0;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(subs[i].name, word) == 0) {
			found = (int)i;
			n = 1;
			break;
		}
		if (strncmp(subs[i].name, word, strlen(word)) == 0) {
			found = (int)i;
			n++;
		}
	}
	/* gdb's short forms: "info b", "info r", "info s" */
	if (strcmp(word, "b") == 0 || strcmp(word, "br") == 0)
		found = 1, n = 1;
	if (strcmp(word, "r") == 0)
		found = 0, n = 1;
	if (strcmp(word, "s") == 0)
		found = 4, n = 1;
	if (n != 1) {
		repl_error(r, "Undefined info command: \"%s\".  Try \"help info\".", word);
		return -1;
	}
	return subs[found].fn(r, args);
}
