// SPDX-License-Identifier: MIT
/* REPL commands that look at and change the state: print, x, display,
 * set, info registers / frame, backtrace and frame selection. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/dwarf_cmds.h"
#include "debugger/repl_cmds.h"
#include "debugger/repl_maps.h"
#include "debugger/repl_srcpath.h"

/* "/x" after print and display: the format letter. */
static char print_fmt(const char **args)
{
	const char *s = *args;
	if (*s != '/')
		return 0;
	s++;
	char f = 0;
	while (*s && !isspace((unsigned char)*s))
		f = *s++;
	*args = repl_skip(s);
	return f;
}

int cmd_print(struct repl *r, const char *args)
{
	char fmt = print_fmt(&args);
	if (!*args) {
		repl_error(r, "Argument required (expression to compute).");
		return -1;
	}
	if (repl_map_named(r, args))
		return repl_map_print(r, args, fmt);
	/* C variables, members and types: DWARF (debugger/dwarf_cmds.c) */
	if (repl_c_wants(r, args))
		return repl_c_print(r, args, fmt, true);
	struct bs_dbg_value v;
	if (repl_eval(r, args, &v))
		return -1;
	fprintf(r->out, "$%d = ", ++r->value_count);
	repl_print_value(r, &v, fmt);
	fputc('\n', r->out);
	return 0;
}

int cmd_set(struct repl *r, const char *args)
{
	args = repl_skip(args);
	if (strncmp(args, "substitute-path", 15) == 0 && (!args[15] || args[15] == ' '))
		return repl_set_substitute(r, args + 15);
	if (strncmp(args, "var ", 4) == 0)
		args = repl_skip(args + 4);
	else if (strncmp(args, "variable ", 9) == 0)
		args = repl_skip(args + 9);
	if (!strchr(args, '=')) {
		repl_error(r, "Usage: set var $r1 = EXPR | set {u32}(ADDR) = EXPR");
		return -1;
	}
	if (repl_map_lvalue(r, args))
		return repl_map_set(r, args);
	if (repl_c_wants(r, args))
		return repl_c_set(r, args);
	struct bs_dbg_value v;
	return repl_eval(r, args, &v);
}

/* x/NFU ADDR: count, format (x d u t c o i), unit (b h w g). */
int repl_x(struct repl *r, const char *fmt, const char *args)
{
	long count = 1;
	char f = 'x', unit = 'w';
	const char *s = fmt;
	if (isdigit((unsigned char)*s))
		count = strtol(s, (char **)&s, 10);
	for (; *s; s++) {
		if (strchr("bhwg", *s))
			unit = *s;
		else if (strchr("xduotci", *s))
			f = *s;
		else {
			repl_error(r, "Invalid format letter '%c' (formats x d u o t c i, sizes b h w g)",
				   *s);
			return -1;
		}
	}
	if (!repl_need_stopped(r))
		return -1;
	struct bs_dbg_value v;
	if (!*repl_skip(args)) {
		repl_error(r, "Argument required (starting display address).");
		return -1;
	}
	if (repl_eval(r, args, &v))
		return -1;
	if (f == 'i') {
		/* instructions from an instruction index */
		size_t n;
		bs_prog_insns(bs_dbg_prog(r->d), &n);
		size_t pc = v.value;
		size_t cur = bs_dbg_last_stop(r->d)->pc;
		for (long i = 0; i < count && pc < n; i++) {
			repl_show_insn(r, pc, pc == cur);
			const struct bs_insn *in = &bs_prog_insns(bs_dbg_prog(r->d), &n)[pc];
			pc += in->code == 0x18 ? 2 : 1;
		}
		return 0;
	}
	if (f == 'c')
		unit = 'b';
	unsigned size = unit == 'b' ? 1 : unit == 'h' ? 2 : unit == 'w' ? 4 : 8;
	unsigned per_line = size == 8 ? 2 : size == 4 ? 4 : 8;
	uint64_t addr = v.value;
	if (count > 4096)
		count = 4096;
	for (long i = 0; i < count; i++) {
		if (i % per_line == 0) {
			char kind[96];
			bs_dbg_kind(r->d, addr, kind, sizeof(kind));
			if (i)
				fputc('\n', r->out);
			fprintf(r->out, "0x%" PRIx64, addr);
			if (kind[0])
				fprintf(r->out, " <%s>", kind);
			fputc(':', r->out);
		}
		uint64_t x = 0;
		struct bs_error err;
		if (bs_dbg_read(r->d, addr, &x, size, &err)) {
			fputc('\n', r->out);
			repl_bs_error(r, &err);
			return -1;
		}
		struct bs_dbg_value e = {.value = x, .size = size, .is_signed = f == 'd'};
		if (f == 'd' && size < 8 && (x >> (size * 8 - 1)) & 1)
			e.value = x | ~((1ULL << (size * 8)) - 1);
		fputc('\t', r->out);
		if (f == 'x')
			fprintf(r->out, "0x%0*" PRIx64, (int)size * 2, x);
		else
			repl_print_value(r, &e, f);
		addr += size;
	}
	fputc('\n', r->out);
	return 0;
}

int cmd_x(struct repl *r, const char *args)
{
	char fmt[16] = "";
	if (*args == '/') {
		size_t n = 0;
		args++;
		while (args[n] && !isspace((unsigned char)args[n]) && n < sizeof(fmt) - 1)
			n++;
		memcpy(fmt, args, n);
		fmt[n] = 0;
		args = repl_skip(args + n);
	}
	return repl_x(r, fmt, args);
}

int cmd_display(struct repl *r, const char *args)
{
	if (!*repl_skip(args)) {
		repl_show_displays(r);
		return 0;
	}
	char fmt[16] = "";
	if (*args == '/') {
		size_t n = 0;
		args++;
		while (args[n] && !isspace((unsigned char)args[n]) && n < sizeof(fmt) - 1)
			n++;
		memcpy(fmt, args, n);
		fmt[n] = 0;
		args = repl_skip(args + n);
	}
	struct repl_display *more = realloc(r->displays, (r->ndisplays + 1) * sizeof(*more));
	if (!more)
		return -1;
	r->displays = more;
	struct repl_display *dp = &r->displays[r->ndisplays++];
	memset(dp, 0, sizeof(*dp));
	dp->id = ++r->next_display;
	snprintf(dp->fmt, sizeof(dp->fmt), "%s", fmt);
	dp->expr = strdup(args);
	if (bs_dbg_state(r->d) != BS_DBG_STOPPED)
		return 0;
	/* show it once now, as gdb does */
	struct repl_display *all = r->displays;
	size_t n = r->ndisplays;
	r->displays = dp;
	r->ndisplays = 1;
	repl_show_displays(r);
	r->displays = all;
	r->ndisplays = n;
	return 0;
}

int cmd_undisplay(struct repl *r, const char *args)
{
	args = repl_skip(args);
	if (!*args) {
		for (size_t i = 0; i < r->ndisplays; i++)
			free(r->displays[i].expr);
		r->ndisplays = 0;
		return 0;
	}
	char word[32];
	while (repl_word(&args, word, sizeof(word))) {
		int id = atoi(word);
		size_t i = 0;
		while (i < r->ndisplays && r->displays[i].id != id)
			i++;
		if (i == r->ndisplays) {
			repl_error(r, "No display number %s.", word);
			return -1;
		}
		free(r->displays[i].expr);
		memmove(&r->displays[i], &r->displays[i + 1],
			(r->ndisplays - i - 1) * sizeof(r->displays[0]));
		r->ndisplays--;
	}
	return 0;
}

int cmd_info_display(struct repl *r, const char *args)
{
	(void)args;
	if (!r->ndisplays) {
		fprintf(r->out, "There are no auto-display expressions now.\n");
		return 0;
	}
	fprintf(r->out, "Auto-display expressions now in effect:\nNum Enb Expression\n");
	for (size_t i = 0; i < r->ndisplays; i++)
		fprintf(r->out, "%d:   y  %s%s%s%s\n", r->displays[i].id, r->displays[i].fmt[0] ? "/" : "",
			r->displays[i].fmt, r->displays[i].fmt[0] ? " " : "", r->displays[i].expr);
	return 0;
}

int cmd_info_registers(struct repl *r, const char *args)
{
	if (!repl_need_stopped(r))
		return -1;
	struct bs_vm *vm = bs_dbg_vm(r->d);
	const uint64_t *regs = bs_vm_regs(vm);
	const uint64_t *prev = bs_dbg_prev_regs(r->d);
	const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
	bool clobbered = bs_dbg_clobbered(r->d);
	char want[16] = "";
	const char *a = args;
	repl_word(&a, want, sizeof(want));
	if (want[0] == '$')
		memmove(want, want + 1, strlen(want));
	for (int i = 0; i <= 11; i++) {
		char name[8];
		uint64_t v;
		if (i == 11) {
			snprintf(name, sizeof(name), "pc");
			v = st->pc;
		} else {
			snprintf(name, sizeof(name), "r%d", i);
			v = regs[i];
		}
		if (want[0] && strcmp(want, name) != 0)
			continue;
		bool changed = i < 11 && st->count > 0 && prev[i] != v;
		char kind[96] = "";
		if (i < 11)
			bs_dbg_kind(r->d, v, kind, sizeof(kind));
		if (i == 11)
			snprintf(kind, sizeof(kind), "insn %zu", st->pc);
		else if (st->count == 0 && i != 1 && i != 10)
			snprintf(kind, sizeof(kind), "uninitialized");
		else if (clobbered && i >= 1 && i <= 5)
			snprintf(kind, sizeof(kind), "clobbered by the call");
		else if (!kind[0])
			snprintf(kind, sizeof(kind), "scalar");
		const char *on = "", *off = "";
		if (changed && r->tty) {
			on = "\033[1;31m";
			off = "\033[0m";
		}
		fprintf(r->out, "%s%-4s%s%c 0x%-18" PRIx64 " %-20" PRId64 " %s\n", on, name, off,
			changed && !r->tty ? '*' : ' ', v, (int64_t)v, kind);
	}
	return 0;
}

int cmd_info_frame(struct repl *r, const char *args)
{
	(void)args;
	size_t pc;
	uint64_t fp;
	if (!repl_need_stopped(r) || !repl_frame_info(r, r->frame, &pc, &fp))
		return -1;
	fprintf(r->out, "Stack level %d, frame at fp 0x%" PRIx64 ":\n pc = insn %zu in %s", r->frame,
		fp, pc, repl_func_name(r, pc));
	const struct bs_line *l = bs_dbg_line_at(r->d, pc);
	if (l) {
		const char *base = strrchr(l->file, '/');
		fprintf(r->out, " (%s:%u)", base ? base + 1 : l->file, l->line);
	}
	fprintf(r->out, "\n 512-byte stack, 8-byte slots (zero slots omitted):\n");
	uint8_t stack[BS_STACK_SIZE];
	struct bs_error err;
	if (bs_dbg_read(r->d, fp - BS_STACK_SIZE, stack, sizeof(stack), &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	int zeros = 0;
	for (int off = BS_STACK_SIZE - 8; off >= 0; off -= 8) {
		uint64_t v;
		memcpy(&v, stack + off, 8);
		if (!v) {
			zeros++;
			continue;
		}
		char kind[96];
		bs_dbg_kind(r->d, v, kind, sizeof(kind));
		fprintf(r->out, "  fp-%-4d 0x%016" PRIx64 "  %02x %02x %02x %02x %02x %02x %02x %02x%s%s\n",
			BS_STACK_SIZE - off, v, stack[off], stack[off + 1], stack[off + 2],
			stack[off + 3], stack[off + 4], stack[off + 5], stack[off + 6], stack[off + 7],
			kind[0] ? "  " : "", kind);
	}
	fprintf(r->out, "  (%d zero slots)\n", zeros);
	return 0;
}

int cmd_backtrace(struct repl *r, const char *args)
{
	(void)args;
	if (!repl_need_stopped(r))
		return -1;
	const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
	for (int i = 0; i < repl_frame_count(r); i++)
		repl_show_frame_line(r, i);
	if (st->prog != 0)
		fprintf(r->out, "(in tail-called program %u)\n", st->prog);
	return 0;
}

static int select_frame(struct repl *r, int frame)
{
	if (!repl_need_stopped(r))
		return -1;
	if (frame < 0 || frame >= repl_frame_count(r)) {
		repl_error(r, frame < 0 ? "Bottom (innermost) frame selected; you cannot go down."
					: "Initial frame selected; you cannot go up.");
		return -1;
	}
	r->frame = frame;
	repl_show_frame_line(r, frame);
	size_t pc;
	uint64_t fp;
	if (repl_frame_info(r, frame, &pc, &fp))
		repl_show_insn(r, pc, frame == 0);
	return 0;
}

int cmd_frame(struct repl *r, const char *args)
{
	args = repl_skip(args);
	return select_frame(r, *args ? atoi(args) : r->frame);
}

int cmd_up(struct repl *r, const char *args)
{
	args = repl_skip(args);
	return select_frame(r, r->frame + (*args ? atoi(args) : 1));
}

int cmd_down(struct repl *r, const char *args)
{
	args = repl_skip(args);
	return select_frame(r, r->frame - (*args ? atoi(args) : 1));
}
