// SPDX-License-Identifier: MIT
/* Coverage over a replay: a stop hook that sees every instruction (stop_at
 * one past what has run) counts executions per instruction and which way
 * each conditional jump went; the counts become an lcov tracefile of the
 * source lines .BTF.ext names, and a side file of per-instruction counts.
 * Only the program itself is counted, not programs it tail-calls. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/replay.h"

struct rp_coverage {
	const struct bs_prog *prog;
	const struct bs_insn *insns;
	size_t n;
	uint64_t *count, *taken, *fallthrough;  /* per instruction */
	bool have_last;
	size_t last;
};

int rp_coverage_new(struct rp_coverage **out, const struct bs_prog *prog, struct bs_error *err)
{
	struct rp_coverage *c = calloc(1, sizeof(*c));
	if (!c)
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	c->prog = prog;
	c->insns = bs_prog_insns(prog, &c->n);
	c->count = calloc(c->n + 1, sizeof(uint64_t));
	c->taken = calloc(c->n + 1, sizeof(uint64_t));
	c->fallthrough = calloc(c->n + 1, sizeof(uint64_t));
	if (!c->count || !c->taken || !c->fallthrough) {
		rp_coverage_free(c);
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

void rp_coverage_free(struct rp_coverage *c)
{
	if (!c)
		return;
	free(c->count);
	free(c->taken);
	free(c->fallthrough);
	free(c);
}

/* a jump that may or may not be taken (not ja, gotol, call or exit) */
static bool is_cond_jump(const struct bs_insn *in)
{
	unsigned cls = in->code & 7, op = in->code & 0xf0;
	return (cls == 5 || cls == 6) && op != 0x00 && op != 0x80 && op != 0x90;
}

static int on_insn(struct bs_vm *vm, enum bs_stop_reason why, struct bs_error *err, void *user)
{
	(void)why;
	(void)err;
	struct rp_coverage *c = user;
	uint32_t prog;
	size_t pc = bs_vm_pc(vm, &prog);
	if (c->have_last && prog == 0) {
		const struct bs_insn *j = &c->insns[c->last];
		if (is_cond_jump(j)) {
			if (pc == c->last + 1)
				c->fallthrough[c->last]++;
			else if ((long)pc == (long)c->last + 1 + j->off)
				c->taken[c->last]++;
		}
	}
	c->have_last = prog == 0 && pc < c->n;
	if (c->have_last) {
		c->count[pc]++;
		c->last = pc;
	}
	bs_vm_stop_at(vm, bs_vm_executed(vm) + 1);
	return 0;
}

void rp_coverage_on_vm(struct bs_vm *vm, void *user)
{
	struct rp_coverage *c = user;
	c->have_last = false;
	bs_vm_set_stop_hook(vm, on_insn, c);
	/* stop before the first instruction too */
	bs_vm_stop_at(vm, 0);
}

/* ---- the tracefile ---- */

struct src_insn {
	const char *file;
	uint32_t line;
	size_t pc;
};

static int by_file_line(const void *a, const void *b)
{
	const struct src_insn *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* the line-table record of each instruction (NULL: none) */
static const struct bs_line **line_of_insns(const struct rp_coverage *c)
{
	const struct bs_line **at = calloc(c->n + 1, sizeof(*at));
	if (!at)
		return NULL;
	size_t nl = bs_prog_line_count(c->prog);
	for (size_t i = 0; i < nl; i++) {
		const struct bs_line *l = bs_prog_line(c->prog, i);
		size_t end = i + 1 < nl ? bs_prog_line(c->prog, i + 1)->insn : c->n;
		for (size_t pc = l->insn; pc < end && pc < c->n; pc++)
			at[pc] = l->line ? l : NULL;
	}
	return at;
}

/* the path lcov and genhtml open: the compiler's, made absolute when it is
 * a file relative to here */
static const char *source_path(const char *file, char *buf)
{
	if (file[0] != '/' && realpath(file, buf))
		return buf;
	return file;
}

static void write_file_record(FILE *f, const struct rp_coverage *c, const struct src_insn *s,
			      size_t n, const struct bs_line **at)
{
	char abs[PATH_MAX];
	fprintf(f, "TN:\nSF:%s\n", source_path(s[0].file, abs));
	/* functions that start in this file */
	size_t fnf = 0, fnh = 0;
	for (size_t i = 0; i < bs_prog_func_count(c->prog); i++) {
		const struct bs_func *fn = bs_prog_func(c->prog, i);
		const struct bs_line *l = fn->start < c->n ? at[fn->start] : NULL;
		if (l && strcmp(l->file, s[0].file) == 0)
			fprintf(f, "FN:%u,%s\n", l->line, fn->name);
	}
	for (size_t i = 0; i < bs_prog_func_count(c->prog); i++) {
		const struct bs_func *fn = bs_prog_func(c->prog, i);
		const struct bs_line *l = fn->start < c->n ? at[fn->start] : NULL;
		if (l && strcmp(l->file, s[0].file) == 0) {
			fprintf(f, "FNDA:%" PRIu64 ",%s\n", c->count[fn->start], fn->name);
			fnf++;
			fnh += c->count[fn->start] != 0;
		}
	}
	fprintf(f, "FNF:%zu\nFNH:%zu\n", fnf, fnh);
	/* branches: block = the jump's instruction, branch 0 taken, 1 not */
	size_t brf = 0, brh = 0;
	for (size_t i = 0; i < n; i++) {
		size_t pc = s[i].pc;
		if (!is_cond_jump(&c->insns[pc]))
			continue;
		for (int b = 0; b < 2; b++) {
			uint64_t k = b ? c->fallthrough[pc] : c->taken[pc];
			if (c->count[pc])
				fprintf(f, "BRDA:%u,%zu,%d,%" PRIu64 "\n", s[i].line, pc, b, k);
			else
				fprintf(f, "BRDA:%u,%zu,%d,-\n", s[i].line, pc, b);
			brf++;
			brh += k != 0;
		}
	}
	fprintf(f, "BRF:%zu\nBRH:%zu\n", brf, brh);
	/* a line's count: its most executed instruction (a loop's line runs
	 * its compare as often as the loop turns) */
	size_t lf = 0, lh = 0;
	for (size_t i = 0; i < n;) {
		uint64_t max = 0;
		size_t j = i;
		for (; j < n && s[j].line == s[i].line; j++)
			if (c->count[s[j].pc] > max)
				max = c->count[s[j].pc];
		fprintf(f, "DA:%u,%" PRIu64 "\n", s[i].line, max);
		lf++;
		lh += max != 0;
		i = j;
	}
	fprintf(f, "LF:%zu\nLH:%zu\nend_of_record\n", lf, lh);
}

static int write_insns(const struct rp_coverage *c, const char *path,
		       const struct bs_line **at, struct bs_error *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	fprintf(f, "# bpfstep replay: executions of each instruction of %s over the replay\n",
		bs_prog_name(c->prog));
	fprintf(f, "# pc count instruction [taken N fallthrough N] ; file:line\n");
	for (size_t pc = 0; pc < c->n; pc += bs_insn_slots(&c->insns[pc])) {
		char text[160];
		bs_disasm(c->insns, c->n, pc, text, sizeof(text));
		fprintf(f, "%5zu %10" PRIu64 " %s", pc, c->count[pc], text);
		if (is_cond_jump(&c->insns[pc]))
			fprintf(f, " [taken %" PRIu64 " fallthrough %" PRIu64 "]", c->taken[pc],
				c->fallthrough[pc]);
		if (at[pc]) {
			const char *base = strrchr(at[pc]->file, '/');
			fprintf(f, " ; %s:%u", base ? base + 1 : at[pc]->file, at[pc]->line);
		}
		fputc('\n', f);
		if (bs_insn_slots(&c->insns[pc]) == 0)
			break;
	}
	int rc = ferror(f) ? -1 : 0;
	if (fclose(f) != 0 || rc)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int rp_coverage_write(const struct rp_coverage *c, const char *path, struct bs_error *err)
{
	const struct bs_line **at = line_of_insns(c);
	struct src_insn *s = calloc(c->n + 1, sizeof(*s));
	size_t n = 0;
	if (!at || !s) {
		free(at);
		free(s);
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	}
	for (size_t pc = 0; pc < c->n; pc += bs_insn_slots(&c->insns[pc])) {
		if (at[pc])
			s[n++] = (struct src_insn){at[pc]->file, at[pc]->line, pc};
		if (bs_insn_slots(&c->insns[pc]) == 0)
			break;
	}
	qsort(s, n, sizeof(*s), by_file_line);
	int rc = 0;
	FILE *f = fopen(path, "w");
	if (!f)
		rc = bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	for (size_t i = 0; f && i < n;) {
		size_t j = i;
		while (j < n && strcmp(s[j].file, s[i].file) == 0)
			j++;
		write_file_record(f, c, s + i, j - i, at);
		i = j;
	}
	if (f && (ferror(f) | fclose(f)))
		rc = bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	char side[PATH_MAX];
	if (!rc && (size_t)snprintf(side, sizeof(side), "%s.insns", path) < sizeof(side))
		rc = write_insns(c, side, at, err);
	free(at);
	free(s);
	return rc;
}
