// SPDX-License-Identifier: MIT
/* REPL commands about the source: list, disassemble, info line, info
 * source, info functions. Source text comes from the file when it can be
 * read, else from the line info (.BTF.ext keeps each line's text). */
#include <stdlib.h>
#include <string.h>

#include "debugger/repl_cmds.h"
#include "debugger/repl_srcpath.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Line `line` of file: from the file, else from the line records. */
static bool source_line(struct repl *r, const char *file, unsigned line, char *buf, size_t len)
{
	FILE *f = repl_open_source(r, file, NULL, 0);
	if (f) {
		fclose(f);
		return repl_file_line(r, file, line, buf, len);
	}
	const struct bs_prog *p = bs_dbg_prog(r->d);
	for (size_t i = 0; i < bs_prog_line_count(p); i++) {
		const struct bs_line *l = bs_prog_line(p, i);
		if (l->line == line && strcmp(l->file, file) == 0) {
			snprintf(buf, len, "%s", l->src);
			return true;
		}
	}
	return false;
}

static const struct bs_line *current_line(struct repl *r)
{
	size_t pc;
	uint64_t fp;
	if (repl_frame_info(r, r->frame, &pc, &fp))
		return bs_dbg_line_at(r->d, pc);
	return bs_dbg_line_at(r->d, 0);
}

static void list_range(struct repl *r, const char *file, unsigned from, unsigned to)
{
	char text[512];
	unsigned shown = 0;
	for (unsigned n = from; n <= to; n++) {
		if (!source_line(r, file, n, text, sizeof(text)))
			continue;
		fprintf(r->out, "%u\t%s\n", n, text);
		shown = n;
	}
	r->list_file = file;
	r->list_next = shown ? shown + 1 : to + 1;
}

int cmd_list(struct repl *r, const char *args)
{
	args = repl_skip(args);
	if (!bs_prog_line_count(bs_dbg_prog(r->d))) {
		repl_error(r, "No line info: the program was built without -g (try disassemble).");
		return -1;
	}
	if (*args) {
		size_t pc;
		struct bs_error err;
		if (bs_dbg_resolve(r->d, args, &pc, &err)) {
			repl_bs_error(r, &err);
			return -1;
		}
		const struct bs_line *l = bs_dbg_line_at(r->d, pc);
		if (!l) {
			repl_error(r, "No line for instruction %zu.", pc);
			return -1;
		}
		/* a line number lists around that line, as gdb does */
		unsigned center = l->line;
		const char *colon = strrchr(args, ':');
		if (colon || (args[0] >= '0' && args[0] <= '9'))
			center = (unsigned)atoi(colon ? colon + 1 : args);
		unsigned from = center > 5 ? center - 5 : 1;
		list_range(r, l->file, from, from + 9);
		return 0;
	}
	if (r->list_next && r->list_file) {
		list_range(r, r->list_file, (unsigned)r->list_next, (unsigned)r->list_next + 9);
		return 0;
	}
	const struct bs_line *l = current_line(r);
	if (!l) {
		repl_error(r, "No line info here.");
		return -1;
	}
	unsigned from = l->line > 5 ? l->line - 5 : 1;
	list_range(r, l->file, from, from + 9);
	return 0;
}

int cmd_disassemble(struct repl *r, const char *args)
{
	args = repl_skip(args);
	bool with_source = false;
	if (strncmp(args, "/s", 2) == 0 || strncmp(args, "/m", 2) == 0) {
		with_source = true;
		args = repl_skip(args + 2);
	}
	size_t pc = 0, n;
	const struct bs_prog *p = bs_dbg_prog(r->d);
	const struct bs_insn *insns = bs_prog_insns(p, &n);
	struct bs_error err;
	if (*args) {
		if (bs_dbg_resolve(r->d, args, &pc, &err)) {
			repl_bs_error(r, &err);
			return -1;
		}
	} else {
		uint64_t fp;
		if (!repl_frame_info(r, r->frame, &pc, &fp))
			pc = 0;
	}
	const struct bs_func *f = bs_dbg_func_at(r->d, pc);
	size_t start = f ? f->start : 0, end = n;
	for (size_t i = 0; i < bs_prog_func_count(p); i++) {
		size_t s = bs_prog_func(p, i)->start;
		if (s > start && s < end)
			end = s;
	}
	const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
	bool stopped = bs_dbg_state(r->d) == BS_DBG_STOPPED && st->prog == 0;
	fprintf(r->out, "Dump of %s (insn %zu to %zu):\n", f ? f->name : "the program", start,
		end - 1);
	const struct bs_line *shown = NULL;
	for (size_t i = start; i < end; i += insns[i].code == 0x18 ? 2 : 1) {
		const struct bs_line *l = bs_dbg_line_at(r->d, i);
		if (with_source && l && l != shown &&
		    (!shown || l->line != shown->line || strcmp(l->file, shown->file))) {
			fprintf(r->out, "%s:%u\n%u\t%s\n", base_name(l->file), l->line, l->line, l->src);
			shown = l;
		}
		char text[256];
		repl_insn_text(r, i, text, sizeof(text));
		const char *t = text;
		while (*t == ' ')
			t++;
		fprintf(r->out, "%s %s\n", stopped && st->pc == i ? "=>" : "  ", t);
	}
	fprintf(r->out, "End of assembler dump.\n");
	return 0;
}

int cmd_info_line(struct repl *r, const char *args)
{
	args = repl_skip(args);
	size_t pc;
	struct bs_error err;
	uint64_t fp;
	if (*args) {
		if (bs_dbg_resolve(r->d, args, &pc, &err)) {
			repl_bs_error(r, &err);
			return -1;
		}
	} else if (!repl_frame_info(r, r->frame, &pc, &fp)) {
		pc = 0;
	}
	const struct bs_line *l = bs_dbg_line_at(r->d, pc);
	if (!l) {
		fprintf(r->out, "No line number information available for insn %zu.\n", pc);
		return 0;
	}
	size_t n;
	bs_prog_insns(bs_dbg_prog(r->d), &n);
	size_t first = pc, last = pc;
	while (first > 0 && bs_dbg_line_at(r->d, first - 1) == l)
		first--;
	while (last + 1 < n && bs_dbg_line_at(r->d, last + 1) == l)
		last++;
	fprintf(r->out, "Line %u of \"%s\" starts at insn %zu and ends at insn %zu.\n", l->line,
		base_name(l->file), first, last);
	return 0;
}

int cmd_info_source(struct repl *r, const char *args)
{
	(void)args;
	const struct bs_prog *p = bs_dbg_prog(r->d);
	const struct bs_line *l = current_line(r);
	fprintf(r->out, "Program %s (section %s, type %s), %zu functions, %zu line records.\n",
		bs_prog_name(p), bs_prog_section(p), bs_prog_type_name(bs_prog_type(p)),
		bs_prog_func_count(p), bs_prog_line_count(p));
	if (!l) {
		fprintf(r->out, "No line info.\n");
		return 0;
	}
	fprintf(r->out, "Current source file is %s\nCompiled as %s\n", base_name(l->file), l->file);
	char found[4096];
	FILE *f = repl_open_source(r, l->file, found, sizeof(found));
	if (f && strcmp(found, l->file) != 0)
		fprintf(r->out, "Located in %s\n", found);
	fprintf(r->out, "%s\n", f ? "The source file is readable." :
		    "The source file is not readable here: lines come from the object's line info "
		    "(set substitute-path FROM TO, directory DIR).");
	if (f)
		fclose(f);
	return 0;
}

int cmd_info_functions(struct repl *r, const char *args)
{
	(void)args;
	const struct bs_prog *p = bs_dbg_prog(r->d);
	fprintf(r->out, "All functions of %s:\n", bs_prog_name(p));
	for (size_t i = 0; i < bs_prog_func_count(p); i++) {
		const struct bs_func *f = bs_prog_func(p, i);
		const struct bs_line *l = bs_dbg_line_at(r->d, f->start);
		fprintf(r->out, "  insn %-5zu %s", f->start, f->name);
		if (l)
			fprintf(r->out, "  (%s:%u)", base_name(l->file), l->line);
		fputc('\n', r->out);
	}
	return 0;
}
