// SPDX-License-Identifier: MIT
/* Linking one program as libbpf does: the entry function first, then every
 * subprogram it reaches, each once; bpf-to-bpf calls and function pointers
 * re-aimed at the copies; map and global-data references turned into lddw
 * pseudo sources numbered by the object's map index. */
#include <stdlib.h>
#include <string.h>

#include "bpfstep/btf.h"
#include "loader/parse.h"
#include "vm/error.h"

enum {
	LDR_R_BPF_NONE = 0,
	LDR_R_BPF_64_64 = 1,     /* lddw: map, global data, function pointer */
	LDR_R_BPF_64_ABS64 = 2,
	LDR_R_BPF_64_ABS32 = 3,
	LDR_R_BPF_64_NODYLD32 = 4,
	LDR_R_BPF_64_32 = 10,    /* call: bpf-to-bpf target */
};

struct link {
	struct ldr_ctx *c;
	struct bs_prog *p;
	struct ldr_func **placed;  /* function of each entry of p->funcs */
	unsigned depth;            /* of resolve() recursion */
};

static int resolve(struct link *l, size_t i, struct bs_error *err);

static struct ldr_func *func_at(struct ldr_ctx *c, size_t scn, uint64_t off)
{
	for (size_t i = 0; i < c->nfuncs; i++)
		if (c->funcs[i].scn == scn && c->funcs[i].off == off)
			return &c->funcs[i];
	return NULL;
}

/* The .BTF.ext line records of f, moved to where f now starts. */
static int add_lines(struct link *l, const struct ldr_func *f, size_t start, struct bs_error *err)
{
	const struct bs_btf_ext_sec *sec =
		l->c->obj->btf_ext ? bs_btf_ext_find_sec(l->c->obj->btf_ext, l->c->scns[f->scn].name)
				   : NULL;
	if (!sec)
		return 0;
	uint64_t first = f->off / sizeof(struct bs_insn), end = first + f->size / sizeof(struct bs_insn);
	struct bs_prog *p = l->p;
	for (size_t i = 0; i < sec->nr_line_info; i++) {
		const struct bs_btf_line_info *li = &sec->line_info[i];
		if (li->insn < first || li->insn >= end)
			continue;
		struct bs_line *lines = realloc(p->lines, (p->nlines + 1) * sizeof(*lines));
		if (!lines)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		p->lines = lines;
		p->lines[p->nlines++] = (struct bs_line){
			.insn = start + (li->insn - first),
			.file = li->file_name,
			.src = li->line,
			.line = li->line_num,
			.col = li->col,
		};
	}
	return 0;
}

/* Start of f in the linked program. The first time, f is appended and
 * resolved at once, so subprograms come in libbpf's depth-first order. */
static int place(struct link *l, struct ldr_func *f, size_t *start, struct bs_error *err)
{
	struct bs_prog *p = l->p;
	for (size_t i = 0; i < p->nfuncs; i++)
		if (l->placed[i] == f) {
			*start = p->funcs[i].start;
			return 0;
		}
	size_t n = f->size / sizeof(struct bs_insn);
	struct bs_insn *insns = realloc(p->insns, (p->n + n) * sizeof(*insns));
	struct bs_func *funcs = insns ? realloc(p->funcs, (p->nfuncs + 1) * sizeof(*funcs)) : NULL;
	struct ldr_func **placed = funcs ? realloc(l->placed, (p->nfuncs + 1) * sizeof(*placed)) : NULL;
	if (insns)
		p->insns = insns;
	if (funcs)
		p->funcs = funcs;
	if (placed)
		l->placed = placed;
	if (!placed)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory linking '%s'", p->name);
	const struct ldr_section *s = &l->c->scns[f->scn];
	memcpy(p->insns + p->n, (const uint8_t *)s->data->d_buf + f->off, f->size);
	p->funcs[p->nfuncs].start = p->n;
	p->funcs[p->nfuncs].name = strdup(f->name);
	if (!p->funcs[p->nfuncs].name)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	l->placed[p->nfuncs++] = f;
	*start = p->n;
	p->n += n;
	if (add_lines(l, f, *start, err))
		return -1;
	return resolve(l, p->nfuncs - 1, err);
}

static const struct ldr_reloc *reloc_at(const struct ldr_section *s, uint64_t off)
{
	size_t lo = 0, hi = s->nrelocs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->relocs[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nrelocs && s->relocs[lo].off == off ? &s->relocs[lo] : NULL;
}

static int map_of_symbol(struct ldr_ctx *c, const GElf_Sym *sym)
{
	for (size_t i = 0; i < c->obj->nmaps; i++) {
		const struct ldr_map *m = &c->obj->maps[i];
		if (m->scn == sym->st_shndx && (c->scns[m->scn].map_index >= 0 || m->sym_off == sym->st_value))
			return (int)i;
	}
	return -1;
}

/* Target of a call or function pointer: byte offset in section scn. */
static int aim(struct link *l, size_t k, size_t scn, uint64_t byte_off, const char *what,
	       struct bs_error *err)
{
	struct ldr_ctx *c = l->c;
	struct ldr_func *f = scn < c->nscns && c->scns[scn].exec ? func_at(c, scn, byte_off) : NULL;
	if (!f)
		return ldr_fail(c, err, "prog '%s': insn %zu: %s target (section %zu, offset %llu) is "
				"not the start of a function", l->p->name, k, what, scn,
				(unsigned long long)byte_off);
	size_t start;
	if (place(l, f, &start, err))
		return -1;
	l->p->insns[k].imm = (int32_t)((int64_t)start - (int64_t)k - 1);
	return 0;
}

static int apply_reloc(struct link *l, size_t k, const struct ldr_reloc *r, struct bs_error *err)
{
	struct ldr_ctx *c = l->c;
	struct bs_insn *insn = &l->p->insns[k];
	const GElf_Sym *sym = &c->syms[r->sym];
	const char *name = ldr_sym_name(c, sym);
	const char *pn = l->p->name;

	if (r->type == LDR_R_BPF_64_32 && insn->code == 0x85 && insn->src_reg == BS_CALL_LOCAL) {
		/* clang: target = symbol + (imm + 1) instructions */
		int64_t off = (int64_t)sym->st_value + ((int64_t)insn->imm + 1) * 8;
		return aim(l, k, sym->st_shndx, (uint64_t)off, "call", err);
	}
	if (r->type != LDR_R_BPF_64_64 || insn->code != 0x18)
		return ldr_fail(c, err, "prog '%s': insn %zu: relocation type %u against '%s' is not "
				"supported here", pn, k, r->type, name);
	if (k + 1 >= l->p->n)
		return ldr_fail(c, err, "prog '%s': insn %zu: ldimm64 is cut off", pn, k);
	if (sym->st_shndx == SHN_UNDEF) {
		ldr_fail(c, err, "prog '%s': insn %zu: extern '%s' (.kconfig / .ksyms) has no value here",
			 pn, k, name);
		vm_err_hint(err, "kernel symbols and kconfig values exist only in a kernel");
		return -1;
	}
	if (sym->st_shndx >= c->nscns)
		return ldr_fail(c, err, "prog '%s': insn %zu: symbol '%s' is in section %u, which does "
				"not exist", pn, k, name, (unsigned)sym->st_shndx);
	const struct ldr_section *s = &c->scns[sym->st_shndx];
	if (s->exec) {
		/* a function pointer (bpf_loop callback): pc-relative, src BPF_PSEUDO_FUNC */
		insn->src_reg = BS_PSEUDO_FUNC;
		return aim(l, k, sym->st_shndx, sym->st_value + (uint64_t)(int64_t)insn->imm,
			   "function pointer", err);
	}
	int map = map_of_symbol(c, sym);
	if (map < 0)
		return ldr_fail(c, err, "prog '%s': insn %zu: '%s' in section %s is not a map or global "
				"variable", pn, k, name, s->name);
	if (s->map_index >= 0) {
		/* global data: the value's address, offset by the variable (libbpf's sym_off + imm) */
		uint64_t off = sym->st_value + (uint64_t)(int64_t)insn->imm;
		if (off >= c->obj->maps[map].def.value_size)
			return ldr_fail(c, err, "prog '%s': insn %zu: '%s'+%d is outside section %s", pn, k,
					name, insn->imm, s->name);
		insn[0].src_reg = BS_PSEUDO_MAP_VALUE;
		insn[1].imm = (int32_t)off;
	} else {
		insn[0].src_reg = BS_PSEUDO_MAP_FD;
	}
	insn[0].imm = map;
	return 0;
}

/* Resolves the instructions of placed function i. */
static int resolve(struct link *l, size_t i, struct bs_error *err)
{
	/* each level places a new function, so depth is bounded by their number;
	 * the cap keeps a crafted object from exhausting the host stack */
	if (++l->depth > 1000)
		return ldr_fail(l->c, err, "prog '%s': calls nest more than 1000 functions deep",
				l->p->name);
	struct ldr_func *f = l->placed[i];
	const struct ldr_section *s = &l->c->scns[f->scn];
	size_t start = l->p->funcs[i].start, n = f->size / sizeof(struct bs_insn);
	for (size_t j = 0; j < n; j++) {
		size_t k = start + j;
		const struct ldr_reloc *r = reloc_at(s, f->off + j * 8);
		if (r) {
			if (apply_reloc(l, k, r, err))
				return -1;
		} else if (l->p->insns[k].code == 0x85 && l->p->insns[k].src_reg == BS_CALL_LOCAL) {
			/* no relocation: a call within the same section, already pc-relative */
			int64_t off = (int64_t)(f->off + j * 8) + ((int64_t)l->p->insns[k].imm + 1) * 8;
			if (aim(l, k, f->scn, (uint64_t)off, "call", err))
				return -1;
		}
	}
	l->depth--;
	return 0;
}

int ldr_link_prog(struct ldr_ctx *c, struct ldr_func *entry, struct bs_prog *p,
		  struct bs_error *err)
{
	struct link l = {.c = c, .p = p};
	size_t start;
	int rc = place(&l, entry, &start, err);
	free(l.placed);
	return rc;
}
