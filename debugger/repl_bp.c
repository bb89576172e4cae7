// SPDX-License-Identifier: MIT
/* REPL commands for breakpoints and watchpoints. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/dwarf_cmds.h"
#include "debugger/repl_cmds.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Splits "LOCATION if COND" into its parts (cond NULL when absent). */
static void split_if(const char *args, char *loc, size_t len, const char **cond)
{
	*cond = NULL;
	const char *s = repl_skip(args);
	const char *p = s;
	for (; *p; p++)
		if ((p == s || p[-1] == ' ') && strncmp(p, "if", 2) == 0 &&
		    (p[2] == ' ' || p[2] == '(' || p[2] == 0)) {
			*cond = repl_skip(p + 2);
			break;
		}
	size_t n = (size_t)(p - s);
	while (n && s[n - 1] == ' ')
		n--;
	snprintf(loc, len, "%.*s", (int)n, s);
}

static int set_break(struct repl *r, const char *args, bool temporary)
{
	char loc[256];
	const char *cond;
	split_if(args, loc, sizeof(loc), &cond);
	if (!loc[0]) {
		/* the current instruction, as gdb's bare `break` */
		const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
		if (bs_dbg_state(r->d) != BS_DBG_STOPPED) {
			repl_error(r, "No default breakpoint location now selected.");
			return -1;
		}
		snprintf(loc, sizeof(loc), "*%zu", st->pc);
	}
	int id;
	struct bs_error err;
	if (bs_dbg_break(r->d, loc, temporary, cond, &id, &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	struct bs_dbg_bp bp;
	for (size_t i = 0; bs_dbg_bp_get(r->d, i, &bp); i++)
		if (bp.id == id)
			break;
	const struct bs_line *l = bs_dbg_line_at(r->d, bp.pc);
	fprintf(r->out, "%s %d at insn %zu", temporary ? "Temporary breakpoint" : "Breakpoint", id,
		bp.pc);
	if (l)
		fprintf(r->out, ": file %s, line %u.\n", base_name(l->file), l->line);
	else
		fprintf(r->out, ".\n");
	return 0;
}

int cmd_break(struct repl *r, const char *args) { return set_break(r, args, false); }
int cmd_tbreak(struct repl *r, const char *args) { return set_break(r, args, true); }

static int bp_number(struct repl *r, const char **args, int *id)
{
	char word[32];
	if (!repl_word(args, word, sizeof(word))) {
		repl_error(r, "Argument required (breakpoint number).");
		return -1;
	}
	char *end;
	long v = strtol(word, &end, 10);
	if (*end || v <= 0) {
		repl_error(r, "Bad breakpoint argument: '%s'", word);
		return -1;
	}
	*id = (int)v;
	return 0;
}

int cmd_condition(struct repl *r, const char *args)
{
	int id;
	struct bs_error err;
	if (bp_number(r, &args, &id))
		return -1;
	if (bs_dbg_condition(r->d, id, *args ? args : NULL, &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	if (!*args)
		fprintf(r->out, "Breakpoint %d now unconditional.\n", id);
	return 0;
}

int cmd_ignore(struct repl *r, const char *args)
{
	int id;
	struct bs_error err;
	if (bp_number(r, &args, &id))
		return -1;
	struct bs_dbg_value v;
	if (!*args) {
		repl_error(r, "Second argument (specified ignore-count) is missing.");
		return -1;
	}
	if (repl_eval(r, args, &v))
		return -1;
	if (bs_dbg_ignore(r->d, id, (unsigned)v.value, &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	if (v.value == 0)
		fprintf(r->out, "Will stop next time breakpoint %d is reached.\n", id);
	else if (v.value == 1)
		fprintf(r->out, "Will ignore next crossing of breakpoint %d.\n", id);
	else
		fprintf(r->out, "Will ignore next %" PRIu64 " crossings of breakpoint %d.\n", v.value,
			id);
	return 0;
}

typedef int (*bp_fn)(struct repl *r, int id);

/* A list of numbers, or every breakpoint when there is none. */
static int each_bp(struct repl *r, const char *args, bp_fn fn)
{
	args = repl_skip(args);
	if (strncmp(args, "breakpoints", 11) == 0)
		args = repl_skip(args + 11);
	int rc = 0;
	if (!*args) {
		struct bs_dbg_bp bp;
		size_t n = bs_dbg_bp_count(r->d);
		int *ids = calloc(n ? n : 1, sizeof(*ids));
		if (!ids)
			return -1;
		for (size_t i = 0; i < n && bs_dbg_bp_get(r->d, i, &bp); i++)
			ids[i] = bp.id;
		for (size_t i = 0; i < n; i++)
			rc |= fn(r, ids[i]);
		free(ids);
		return rc;
	}
	while (*args) {
		int id;
		if (bp_number(r, &args, &id))
			return -1;
		rc |= fn(r, id);
	}
	return rc;
}

static int del_one(struct repl *r, int id)
{
	struct bs_error err;
	if (bs_dbg_delete(r->d, id, &err)) {
		repl_error(r, "No breakpoint number %d.", id);
		return -1;
	}
	return 0;
}

static int enable_one(struct repl *r, int id)
{
	struct bs_error err;
	if (bs_dbg_enable(r->d, id, true, &err)) {
		repl_error(r, "No breakpoint number %d.", id);
		return -1;
	}
	return 0;
}

static int disable_one(struct repl *r, int id)
{
	struct bs_error err;
	if (bs_dbg_enable(r->d, id, false, &err)) {
		repl_error(r, "No breakpoint number %d.", id);
		return -1;
	}
	return 0;
}

int cmd_delete(struct repl *r, const char *args)
{
	args = repl_skip(args);
	if (strncmp(args, "display", 7) == 0)
		return cmd_undisplay(r, args + 7);
	return each_bp(r, args, del_one);
}

int cmd_enable(struct repl *r, const char *args) { return each_bp(r, args, enable_one); }

int cmd_disable(struct repl *r, const char *args) { return each_bp(r, args, disable_one); }

static int set_watch(struct repl *r, const char *args, unsigned access, const char *kind)
{
	char expr[256];
	const char *cond;
	split_if(args, expr, sizeof(expr), &cond);
	if (!expr[0]) {
		repl_error(r, "Argument required (expression to compute).");
		return -1;
	}
	int id;
	struct bs_error err;
	char lv[96];
	const char *what = repl_c_lvalue(r, expr, lv, sizeof(lv));  /* watch NAME: DWARF */
	if (!what)
		return -1;
	if (bs_dbg_watch(r->d, what, access, cond, &id, &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	fprintf(r->out, "%s %d: %s\n", kind, id, expr);
	return 0;
}

int cmd_watch(struct repl *r, const char *args)
{
	return set_watch(r, args, BS_REGION_WRITE, "Hardware watchpoint");
}

int cmd_rwatch(struct repl *r, const char *args)
{
	return set_watch(r, args, BS_REGION_READ, "Hardware read watchpoint");
}

int cmd_awatch(struct repl *r, const char *args)
{
	return set_watch(r, args, BS_REGION_RW, "Hardware access (read/write) watchpoint");
}

int cmd_info_breakpoints(struct repl *r, const char *args)
{
	(void)args;
	struct bs_dbg_bp bp;
	if (!bs_dbg_bp_count(r->d)) {
		fprintf(r->out, "No breakpoints or watchpoints.\n");
		return 0;
	}
	fprintf(r->out, "Num     Type            Disp Enb What\n");
	for (size_t i = 0; bs_dbg_bp_get(r->d, i, &bp); i++) {
		const char *type = bp.kind == BS_DBG_BP_BREAK ? "breakpoint"
				   : bp.kind == BS_DBG_BP_REGWATCH ? "watchpoint"
				   : bp.access == BS_REGION_READ ? "read watchpoint"
				   : bp.access == BS_REGION_RW ? "acc watchpoint"
							       : "hw watchpoint";
		fprintf(r->out, "%-7d %-15s %-4s %-3s ", bp.id, type, bp.temporary ? "del" : "keep",
			bp.enabled ? "y" : "n");
		if (bp.kind == BS_DBG_BP_BREAK) {
			const struct bs_line *l = bs_dbg_line_at(r->d, bp.pc);
			fprintf(r->out, "insn %zu in %s", bp.pc, repl_func_name(r, bp.pc));
			if (l)
				fprintf(r->out, " at %s:%u", base_name(l->file), l->line);
			fputc('\n', r->out);
		} else {
			fprintf(r->out, "%s\n", bp.what);
		}
		if (bp.cond)
			fprintf(r->out, "\tstop only if %s\n", bp.cond);
		if (bp.hits)
			fprintf(r->out, "\tbreakpoint already hit %u time%s\n", bp.hits,
				bp.hits == 1 ? "" : "s");
		if (bp.ignore)
			fprintf(r->out, "\tWill ignore next %u crossings of breakpoint.\n", bp.ignore);
	}
	return 0;
}
