// SPDX-License-Identifier: MIT
/* Scopes at an instruction: the function, the functions inlined into it,
 * lexical blocks, and the variables each one declares. */
#include <stdio.h>
#include <string.h>

#include "loader/dwarf_read.h"

bool dw_scope_has(const struct dw_scope *s, uint64_t addr)
{
	for (size_t i = 0; i < s->nranges; i++)
		if (addr >= s->ranges[i].lo && addr < s->ranges[i].hi)
			return true;
	return false;
}

int dw_scope_at(const struct bs_dwarf *dw, uint64_t addr)
{
	/* scopes are in DIE order and siblings do not overlap, so the last
	 * scope that contains addr is the innermost */
	for (size_t i = dw->nscopes; i-- > 0;)
		if (dw_scope_has(&dw->scopes[i], addr))
			return (int)i;
	return -1;
}

static int parent_of(const struct bs_dwarf *dw, int s)
{
	int p = dw->scopes[s].parent;
	/* parents come before children: anything else is a corrupt tree */
	return p >= 0 && p < s ? p : -1;
}

size_t bs_dwarf_frames(const struct bs_prog *prog, size_t pc, struct bs_dwarf_frame *out,
		       size_t max)
{
	const struct bs_dwarf *dw = dw_of(prog);
	uint64_t addr;
	if (!dw || !dw_pc_addr(prog, pc, &addr))
		return 0;
	size_t n = 0;
	for (int s = dw_scope_at(dw, addr); s >= 0; s = parent_of(dw, s)) {
		const struct dw_scope *sc = &dw->scopes[s];
		if (sc->kind == DW_SC_BLOCK)
			continue;
		if (n < max)
			out[n] = (struct bs_dwarf_frame){sc->name, sc->kind == DW_SC_INLINED,
							 sc->call_file, sc->call_line};
		n++;
	}
	return n;
}

size_t bs_dwarf_func_desc(const struct bs_prog *prog, size_t pc, char *buf, size_t len)
{
	struct bs_dwarf_frame fr[16];
	size_t n = bs_dwarf_frames(prog, pc, fr, 16);
	if (n > 16)
		n = 16;
	size_t at = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "%s%s",
				 i ? " inlined into " : "", fr[i].func);
		at += k > 0 ? (size_t)k : 0;
		if (!fr[i].inlined)
			break;
	}
	return at;
}

size_t bs_dwarf_vars_at(const struct bs_prog *prog, size_t pc, unsigned which,
			const struct bs_dwarf_var **out, size_t max)
{
	const struct bs_dwarf *dw = dw_of(prog);
	uint64_t addr;
	if (!dw || !dw_pc_addr(prog, pc, &addr))
		return 0;
	size_t n = 0;
	for (int s = dw_scope_at(dw, addr); s >= 0; s = parent_of(dw, s)) {
		const struct dw_scope *sc = &dw->scopes[s];
		for (size_t i = 0; i < sc->nvars; i++) {
			const struct bs_dwarf_var *v = &dw->vars[sc->first_var + i];
			if (!(which & (v->is_param ? BS_DW_ARGS : BS_DW_LOCALS)))
				continue;
			/* an inner name hides an outer one */
			bool hidden = false;
			for (size_t k = 0; k < n && k < max; k++)
				hidden |= strcmp(out[k]->name, v->name) == 0;
			if (hidden)
				continue;
			if (n < max)
				out[n] = v;
			n++;
		}
		/* the arguments are those of the innermost function, inlined or not */
		if (sc->kind != DW_SC_BLOCK)
			break;
	}
	return n;
}

const struct bs_dwarf_var *bs_dwarf_lookup(const struct bs_prog *prog, size_t pc, const char *name)
{
	const struct bs_dwarf *dw = dw_of(prog);
	uint64_t addr;
	if (!dw)
		return NULL;
	if (dw_pc_addr(prog, pc, &addr))
		for (int s = dw_scope_at(dw, addr); s >= 0; s = parent_of(dw, s)) {
			const struct dw_scope *sc = &dw->scopes[s];
			for (size_t i = 0; i < sc->nvars; i++)
				if (strcmp(dw->vars[sc->first_var + i].name, name) == 0)
					return &dw->vars[sc->first_var + i];
			if (sc->kind != DW_SC_BLOCK)
				break;
		}
	for (size_t i = 0; i < dw->nglobals; i++)
		if (strcmp(dw->globals[i].name, name) == 0)
			return &dw->globals[i];
	return NULL;
}

size_t bs_dwarf_global_count(const struct bs_dwarf *dw)
{
	return dw ? dw->nglobals : 0;
}

const struct bs_dwarf_var *bs_dwarf_global(const struct bs_dwarf *dw, size_t i)
{
	return dw && i < dw->nglobals ? &dw->globals[i] : NULL;
}

int bs_dwarf_global_place(const struct bs_dwarf_var *var, size_t *map, uint64_t *off)
{
	/* the place is kept by the model, next to the variable */
	const struct dw_global_place *pl = var && var->is_global && var->loc ? var->loc->place : NULL;
	if (!pl || pl->map < 0)
		return -1;
	*map = (size_t)pl->map;
	*off = pl->off;
	return 0;
}
