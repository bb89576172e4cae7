// SPDX-License-Identifier: MIT
/* What the REPL shows at every stop: why it stopped, the frame, the source
 * line and the instruction, values and displays. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/dwarf.h"
#include "bpfstep/isa.h"
#include "debugger/dwarf_cmds.h"
#include "debugger/repl.h"
#include "debugger/repl_srcpath.h"

static const char *map_name(void *user, uint32_t idx)
{
	const struct repl *r = user;
	const struct bs_map_def *def = r->obj ? bs_object_map_def(r->obj, idx) : NULL;
	return def ? def->name : NULL;
}

static const char *func_name(void *user, size_t insn)
{
	const struct repl *r = user;
	const struct bs_prog *p = bs_dbg_prog(r->d);
	for (size_t i = 0; i < bs_prog_func_count(p); i++)
		if (bs_prog_func(p, i)->start == insn)
			return bs_prog_func(p, i)->name;
	return NULL;
}

const char *repl_func_name(struct repl *r, size_t pc)
{
	const struct bs_func *f = bs_dbg_func_at(r->d, pc);
	return f ? f->name : "??";
}

void repl_insn_text(struct repl *r, size_t pc, char *buf, size_t len)
{
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(bs_dbg_prog(r->d), &n);
	struct bs_disasm_names names = {map_name, func_name, r};
	bs_disasm_line_names(insns, n, pc, 0, &names, buf, len);
}

void repl_show_insn(struct repl *r, size_t pc, bool current)
{
	char text[256];
	repl_insn_text(r, pc, text, sizeof(text));
	/* bs_disasm_line pads the index to 4: "   5: (b7) r0 = 0" */
	const char *t = text;
	while (*t == ' ')
		t++;
	const struct bs_line *l = bs_dbg_line_at(r->d, pc);
	const char *src = l && l->src ? l->src : "";
	char line[512];
	/* DWARF lines keep no text: the file's, where it can be found */
	if (l && !*src && repl_file_line(r, l->file, l->line, line, sizeof(line)))
		src = line;
	while (*src == ' ' || *src == '\t')
		src++;
	fprintf(r->out, "%s %s", current ? "=>" : "  ", t);
	if (*src)
		fprintf(r->out, "   ; %s", src);
	fputc('\n', r->out);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int repl_frame_count(struct repl *r)
{
	struct bs_vm *vm = bs_dbg_vm(r->d);
	return vm ? (int)bs_vm_depth(vm) + 1 : 0;
}

/* Frame 0 is where the program stopped; frame i > 0 the caller i levels
 * up. A bpf_loop callback's caller is at the helper call itself. */
bool repl_frame_info(struct repl *r, int frame, size_t *pc, uint64_t *fp)
{
	struct bs_vm *vm = bs_dbg_vm(r->d);
	if (!vm || frame < 0 || frame >= repl_frame_count(r))
		return false;
	if (frame == 0) {
		*pc = bs_vm_pc(vm, NULL);
		*fp = bs_vm_regs(vm)[10];
		return true;
	}
	unsigned depth = bs_vm_depth(vm);
	size_t ret_pc;
	uint64_t caller_fp;
	bs_vm_frame(vm, depth - (unsigned)frame, &ret_pc, NULL, &caller_fp);
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(bs_dbg_prog(r->d), &n);
	/* a bpf-to-bpf call returns after itself; a callback to its helper call */
	if (ret_pc > 0 && ret_pc - 1 < n && insns[ret_pc - 1].code == 0x85 &&
	    insns[ret_pc - 1].src_reg == 1)
		*pc = ret_pc - 1;
	else
		*pc = ret_pc;
	*fp = caller_fp;
	return true;
}

/* ", in parse_ipv4 inlined into xdp_main" when pc is in inlined code. */
static void inlined_note(struct repl *r, size_t pc)
{
	char desc[256];
	bs_dwarf_func_desc(bs_dbg_prog(r->d), pc, desc, sizeof(desc));
	if (strstr(desc, " inlined into "))
		fprintf(r->out, ", in %s", desc);
}

void repl_show_frame_line(struct repl *r, int frame)
{
	size_t pc;
	uint64_t fp;
	if (!repl_frame_info(r, frame, &pc, &fp))
		return;
	const struct bs_line *l = bs_dbg_line_at(r->d, pc);
	fprintf(r->out, "#%-2d %s () at ", frame, repl_func_name(r, pc));
	if (l)
		fprintf(r->out, "%s:%u (insn %zu)", base_name(l->file), l->line, pc);
	else
		fprintf(r->out, "insn %zu", pc);
	inlined_note(r, pc);
	fputc('\n', r->out);
}

/* "XDP_PASS", "TC_ACT_OK" ... for the program's type, or NULL. */
static const char *verdict(struct repl *r, uint64_t ret)
{
	enum bs_prog_type t = bs_prog_type(bs_dbg_prog(r->d));
	static const char *const xdp[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					  "XDP_REDIRECT"};
	static const char *const tc[] = {"TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT",
					 "TC_ACT_PIPE", "TC_ACT_STOLEN", "TC_ACT_QUEUED",
					 "TC_ACT_REPEAT", "TC_ACT_REDIRECT"};
	if (t == BS_PROG_XDP && ret < 5)
		return xdp[ret];
	if ((t == BS_PROG_SCHED_CLS || t == BS_PROG_SCHED_ACT) && ret < 8)
		return tc[ret];
	if ((t == BS_PROG_SCHED_CLS || t == BS_PROG_SCHED_ACT) && (uint32_t)ret == UINT32_MAX)
		return "TC_ACT_UNSPEC";
	return NULL;
}

static void show_where(struct repl *r, const struct bs_dbg_stop *st, bool header)
{
	if (header) {
		const struct bs_line *l = st->prog == 0 ? bs_dbg_line_at(r->d, st->pc) : NULL;
		if (st->prog != 0)
			fprintf(r->out, "tail-called program %u, insn %zu\n", st->prog, st->pc);
		else if (l)
			fprintf(r->out, "%s () at %s:%u", repl_func_name(r, st->pc), base_name(l->file),
				l->line);
		else
			fprintf(r->out, "%s () at insn %zu", repl_func_name(r, st->pc), st->pc);
		if (st->prog == 0)
			inlined_note(r, st->pc);
		fputc('\n', r->out);
	}
	if (st->prog == 0)
		repl_show_insn(r, st->pc, true);
}

void repl_show_stop(struct repl *r, const struct bs_dbg_stop *st)
{
	static size_t last_func = SIZE_MAX;
	r->frame = 0;
	r->list_next = 0;
	const struct bs_func *f = st->prog == 0 ? bs_dbg_func_at(r->d, st->pc) : NULL;
	size_t func = f ? f->start : SIZE_MAX - 1;
	bool new_func = func != last_func;
	last_func = func;
	switch (st->reason) {
	case BS_DBG_EXIT: {
		const char *v = verdict(r, st->retval);
		fprintf(r->out, "[program exited with return value %" PRIu64 "%s%s%s, %" PRIu64
			" instructions]\n", st->retval, v ? " (" : "", v ? v : "", v ? ")" : "",
			st->count);
		last_func = SIZE_MAX;
		return;
	}
	case BS_DBG_FAULT:
		fprintf(r->out, "\nProgram stopped by a runtime error: %s\n", st->error.message);
		if (st->error.hint[0])
			fprintf(r->out, "hint: %s\n", st->error.hint);
		show_where(r, st, true);
		break;
	case BS_DBG_BREAK: {
		fprintf(r->out, "\n%s %d, ", st->temporary ? "Temporary breakpoint" : "Breakpoint",
			st->id);
		show_where(r, st, true);
		break;
	}
	case BS_DBG_WATCH: {
		struct bs_dbg_bp bp = {0};
		for (size_t i = 0; bs_dbg_bp_get(r->d, i, &bp); i++)
			if (bp.id == st->id)
				break;
		const char *kind = bp.kind == BS_DBG_BP_REGWATCH ? "Watchpoint"
				   : bp.access == BS_REGION_READ ? "Read watchpoint"
				   : bp.access == BS_REGION_RW ? "Access watchpoint"
							       : "Hardware watchpoint";
		fprintf(r->out, "\n%s %d: %s\n\n", kind, st->id, bp.what ? bp.what : "");
		if (st->access == BS_REGION_READ)
			fprintf(r->out, "Value = %" PRIu64 "\n", st->new_value);
		else
			fprintf(r->out, "Old value = %" PRIu64 "\nNew value = %" PRIu64 "\n",
				st->old_value, st->new_value);
		show_where(r, st, true);
		break;
	}
	case BS_DBG_FINISH:
		fprintf(r->out, "Run till exit\n");
		show_where(r, st, true);
		fprintf(r->out, "Value returned is $r0 = %" PRIu64 "\n", st->retval);
		break;
	case BS_DBG_INTERRUPT:
		fprintf(r->out, "\nProgram received signal SIGINT, Interrupt.\n");
		show_where(r, st, true);
		break;
	case BS_DBG_HISTORY:
		fprintf(r->out, "\nNo more reverse-execution history.\n");
		show_where(r, st, true);
		break;
	case BS_DBG_START:
		show_where(r, st, true);
		break;
	default:
		show_where(r, st, new_func);
		break;
	}
	repl_show_displays(r);
}

void repl_print_value(struct repl *r, const struct bs_dbg_value *v, char fmt)
{
	uint64_t x = v->value;
	if (v->size < 8)
		x &= (1ULL << (v->size * 8)) - 1;
	switch (fmt) {
	case 'x':
		fprintf(r->out, "0x%" PRIx64, x);
		return;
	case 'o':
		fprintf(r->out, "0%" PRIo64, x);
		return;
	case 't': {
		int top = (int)v->size * 8 - 1;
		while (top > 0 && !((x >> top) & 1))
			top--;
		for (int b = top; b >= 0; b--)
			fputc('0' + (int)((x >> b) & 1), r->out);
		return;
	}
	case 'c':
		fprintf(r->out, "%" PRIu64 " '%c'", x & 0xff,
			(x & 0xff) >= 32 && (x & 0xff) < 127 ? (int)(x & 0xff) : '.');
		return;
	case 'd':
		fprintf(r->out, "%" PRId64, (int64_t)v->value);
		return;
	case 'u':
		fprintf(r->out, "%" PRIu64, x);
		return;
	default:
		break;
	}
	if (v->is_pointer) {
		char kind[96];
		bs_dbg_kind(r->d, v->value, kind, sizeof(kind));
		fprintf(r->out, "(u%u *) 0x%" PRIx64, v->pointee_size * 8, v->value);
		if (kind[0])
			fprintf(r->out, " <%s>", kind);
		return;
	}
	if (v->is_signed)
		fprintf(r->out, "%" PRId64, (int64_t)v->value);
	else
		fprintf(r->out, "%" PRIu64, x);
}

int repl_eval(struct repl *r, const char *expr, struct bs_dbg_value *v)
{
	struct bs_error err;
	if (bs_dbg_eval(r->d, expr, v, &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	return 0;
}

bool repl_need_stopped(struct repl *r)
{
	if (bs_dbg_state(r->d) == BS_DBG_STOPPED)
		return true;
	repl_error(r, "The program is not being run.");
	return false;
}

void repl_show_displays(struct repl *r)
{
	if (bs_dbg_state(r->d) != BS_DBG_STOPPED)
		return;
	for (size_t i = 0; i < r->ndisplays; i++) {
		struct repl_display *dp = &r->displays[i];
		if (dp->fmt[0]) {
			fprintf(r->out, "%d: x/%s %s\n", dp->id, dp->fmt, dp->expr);
			repl_x(r, dp->fmt, dp->expr);
			continue;
		}
		struct bs_dbg_value v;
		struct bs_error err;
		fprintf(r->out, "%d: %s = ", dp->id, dp->expr);
		if (repl_c_wants(r, dp->expr))
			repl_c_print(r, dp->expr, 0, false);
		else if (bs_dbg_eval(r->d, dp->expr, &v, &err))
			fprintf(r->out, "<error: %s>", err.message);
		else
			repl_print_value(r, &v, 0);
		fputc('\n', r->out);
	}
}
