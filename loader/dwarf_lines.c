// SPDX-License-Identifier: MIT
/* The DWARF line table moved to the linked programs, the way link.c moves
 * .BTF.ext line_info: each function a program placed keeps its section and
 * offset, so a row's address (section, offset) becomes the instruction
 * where the function now starts plus the offset. Rows of DWARF replace the
 * BTF records of a program that has some; the source text of a line still
 * comes from BTF, which carries it (DWARF does not). */
#include <stdlib.h>
#include <string.h>

#include "bpfstep/btf.h"
#include "loader/dwarf_read.h"

#include <libdwarf/dwarf.h>

struct rec {
	size_t insn;
	size_t row;  /* order among rows at the same insn: the last wins */
};

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->insn != y->insn)
		return x->insn < y->insn ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The text BTF gives for file:line, "" if none. */
static const char *btf_text(const struct bs_object *o, const char *file, uint32_t line)
{
	if (!o->btf_ext || !line)
		return "";
	const char *want = base_name(file);
	for (size_t i = 0; i < bs_btf_ext_sec_count(o->btf_ext); i++) {
		const struct bs_btf_ext_sec *s = bs_btf_ext_sec(o->btf_ext, i);
		for (size_t k = 0; k < s->nr_line_info; k++) {
			const struct bs_btf_line_info *li = &s->line_info[k];
			if (li->line_num == line && strcmp(base_name(li->file_name), want) == 0)
				return li->line;
		}
	}
	return "";
}

/* The deepest r10-relative byte a function touches, rounded to 8: what
 * clang's frame lowering calls the stack size. */
static uint64_t frame_size(const struct bs_prog *p, size_t start, size_t n)
{
	int64_t low = 0;
	for (size_t i = start; i < start + n && i < p->n; i++) {
		const struct bs_insn *in = &p->insns[i];
		unsigned cls = in->code & 7;
		int64_t off = 0;
		if ((cls == 1 && in->src_reg == 10) || ((cls == 2 || cls == 3) && in->dst_reg == 10))
			off = in->off;
		/* rX = r10; rX += -N: the address of a stack object */
		else if (in->code == 0x07 && i > start && p->insns[i - 1].code == 0xbf &&
			 p->insns[i - 1].src_reg == 10 && p->insns[i - 1].dst_reg == in->dst_reg)
			off = in->imm;
		if (off < low)
			low = off;
	}
	return (uint64_t)((-low + 7) & ~7ll);
}

static const struct bs_line *btf_at(const struct bs_prog *p, size_t insn)
{
	for (size_t i = 0; i < p->nlines; i++)
		if (p->lines[i].insn == insn && p->lines[i].src[0])
			return &p->lines[i];
	return NULL;
}

static const struct ldr_func *func_named(struct ldr_ctx *c, const char *name, bool prog)
{
	const struct ldr_func *any = NULL;
	for (size_t i = 0; i < c->nfuncs; i++)
		if (strcmp(c->funcs[i].name, name) == 0) {
			if (c->funcs[i].is_prog == prog)
				return &c->funcs[i];
			any = any ? any : &c->funcs[i];
		}
	return any;
}

static int map_prog(struct ldr_ctx *c, struct bs_dwarf *dw, size_t pi, const struct dw_row *rows,
		    size_t nrows)
{
	struct bs_prog *p = &c->obj->progs[pi];
	struct dw_progmap *pm = &dw->progs[pi];
	pm->origin = p->nlines ? BS_LINES_BTF : BS_LINES_NONE;
	pm->parts = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*pm->parts));
	if (!pm->parts)
		return -1;
	for (size_t k = 0; k < p->nfuncs; k++) {
		const struct ldr_func *f = func_named(c, p->funcs[k].name, k == 0);
		if (!f)
			continue;
		pm->parts[pm->nparts++] = (struct dw_part){DW_ADDR(f->scn, f->off), f->size,
							   p->funcs[k].start,
							   frame_size(p, p->funcs[k].start, f->size / 8)};
	}
	struct rec *recs = NULL;
	size_t n = 0, cap = 0;
	for (size_t j = 0; j + 1 < nrows; j++) {
		if (rows[j].end_seq)
			continue;
		uint64_t lo = rows[j].addr, hi = rows[j + 1].addr;
		for (size_t k = 0; k < pm->nparts; k++) {
			const struct dw_part *pt = &pm->parts[k];
			uint64_t s = lo > pt->addr ? lo : pt->addr;
			if (s >= hi || s >= pt->addr + pt->size || (s - pt->addr) % 8)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				struct rec *nr = realloc(recs, cap * sizeof(*nr));
				if (!nr) {
					free(recs);
					return -1;
				}
				recs = nr;
			}
			recs[n++] = (struct rec){pt->start + (s - pt->addr) / 8, j};
		}
	}
	if (!n)
		return 0;
	qsort(recs, n, sizeof(*recs), cmp_rec);
	struct bs_line *lines = calloc(n, sizeof(*lines));
	if (!lines) {
		free(recs);
		return -1;
	}
	size_t nl = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && recs[i + 1].insn == recs[i].insn)
			continue;
		const struct dw_row *r = &rows[recs[i].row];
		struct bs_line l = {
			.insn = recs[i].insn,
			.file = r->file,
			.src = btf_text(c->obj, r->file, r->line),
			.line = r->line,
			.col = r->col,
		};
		/* a row BTF has no text for (a function's opening brace): BTF's
		 * record of the same instruction, which names the line with text */
		const struct bs_line *b = l.src[0] ? NULL : btf_at(p, l.insn);
		if (b && b->line) {
			l.src = b->src;
			l.line = b->line;
			l.col = b->col;
		}
		if (nl && lines[nl - 1].line == l.line && strcmp(lines[nl - 1].file, l.file) == 0)
			continue;
		lines[nl++] = l;
	}
	free(recs);
	free(p->lines);
	p->lines = lines;
	p->nlines = nl;
	pm->origin = BS_LINES_DWARF;
	return 0;
}

void ldr_dwarf_load(struct ldr_ctx *c)
{
	struct bs_dwarf *dw = NULL;
	struct dw_row *rows = NULL;
	size_t nrows = 0;
	char why[256] = "";
	if (ldr_dwarf_read(c, &dw, &rows, &nrows, why, sizeof(why))) {
		ldr_note(c, "DWARF is unusable, so lines come from BTF and there are no variables: %s",
			 why);
		return;
	}
	if (!dw)
		return;
	dw->progs = calloc(c->obj->nprogs ? c->obj->nprogs : 1, sizeof(*dw->progs));
	dw->nprogs = dw->progs ? c->obj->nprogs : 0;
	for (size_t i = 0; i < dw->nprogs; i++)
		if (map_prog(c, dw, i, rows, nrows)) {
			free(rows);
			dw_free(dw);
			ldr_note(c, "DWARF is unusable: out of memory");
			return;
		}
	free(rows);
	if (!dw->progs) {
		dw_free(dw);
		ldr_note(c, "DWARF is unusable: out of memory");
		return;
	}
	dw->scn_map = malloc((c->nscns ? c->nscns : 1) * sizeof(*dw->scn_map));
	for (size_t i = 0; dw->scn_map && i < c->nscns; i++)
		dw->scn_map[i] = c->scns[i].map_index;
	dw->nscn = dw->scn_map ? c->nscns : 0;
	for (size_t i = 0; i < dw->nglobals; i++) {
		struct bs_dwarf_loc *loc = (struct bs_dwarf_loc *)dw->globals[i].loc;
		struct dw_global_place *pl = dw_alloc(dw, sizeof(*pl));
		if (!pl)
			break;
		/* DW_OP_addr holds the address; libdwarf gives DW_OP_addrx's
		 * address from .debug_addr as the second operand */
		const struct dw_op *op = &loc->e.ops[0];
		uint64_t a = op->atom == DW_OP_addr ? op->a : op->b;
		size_t scn = DW_ADDR_SCN(a);
		pl->map = scn && scn < dw->nscn ? dw->scn_map[scn] : -1;
		pl->off = a & 0xffffffffu;
		loc->place = pl;
	}
	c->obj->dwarf = dw;
}

const struct bs_dwarf *bs_object_dwarf(const struct bs_object *obj)
{
	return obj ? obj->dwarf : NULL;
}

unsigned bs_dwarf_version(const struct bs_dwarf *dw)
{
	return dw ? dw->version : 0;
}

const struct bs_dwarf *dw_of(const struct bs_prog *prog)
{
	return prog && prog->obj && prog->obj->dwarf ? prog->obj->dwarf : NULL;
}

static const struct dw_progmap *progmap(const struct bs_prog *prog)
{
	const struct bs_dwarf *dw = dw_of(prog);
	size_t i = dw ? (size_t)(prog - prog->obj->progs) : 0;
	return dw && i < dw->nprogs ? &dw->progs[i] : NULL;
}

enum bs_line_origin bs_prog_line_origin(const struct bs_prog *prog)
{
	const struct dw_progmap *pm = progmap(prog);
	if (pm)
		return pm->origin;
	return prog->nlines ? BS_LINES_BTF : BS_LINES_NONE;
}

uint64_t dw_pc_stack(const struct bs_prog *prog, size_t pc)
{
	const struct dw_progmap *pm = progmap(prog);
	for (size_t k = 0; pm && k < pm->nparts; k++) {
		const struct dw_part *pt = &pm->parts[k];
		if (pc >= pt->start && (pc - pt->start) * 8 < pt->size)
			return pt->stack;
	}
	return 0;
}

bool dw_pc_addr(const struct bs_prog *prog, size_t pc, uint64_t *addr)
{
	const struct dw_progmap *pm = progmap(prog);
	for (size_t k = 0; pm && k < pm->nparts; k++) {
		const struct dw_part *pt = &pm->parts[k];
		if (pc >= pt->start && (pc - pt->start) * 8 < pt->size) {
			*addr = pt->addr + (pc - pt->start) * 8;
			return true;
		}
	}
	return false;
}
