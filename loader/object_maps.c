// SPDX-License-Identifier: MIT
/* The maps an object defines, in libbpf's order (which lddw map indexes
 * follow): legacy "maps" section definitions, BTF-defined maps of .maps, and
 * one single-entry array per global-data section (.data, .rodata*, .bss). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/btf.h"
#include "loader/parse.h"
#include "vm/error.h"

#define BPF_F_RDONLY_PROG (1u << 7)
#define PAGE_SIZE_ 4096u

/* libbpf's adjust_ringbuf_sz: the smallest power-of-2 number of pages that
 * holds sz (0 stays 0, for the kernel to refuse) */
static uint32_t ringbuf_size(uint32_t sz)
{
	if (sz == 0 || (sz % PAGE_SIZE_ == 0 && ((sz / PAGE_SIZE_) & (sz / PAGE_SIZE_ - 1)) == 0))
		return sz;
	for (uint64_t n = PAGE_SIZE_; n <= UINT32_MAX; n <<= 1)
		if (n > sz)
			return (uint32_t)n;
	return sz;
}

static void attrs_to_def(const struct bs_btf_map_attrs *a, struct bs_map_def *d)
{
	d->type = a->map_type;
	d->key_size = a->key_size;
	d->value_size = a->value_size;
	d->max_entries = a->map_type == BS_MAP_RINGBUF ? ringbuf_size(a->max_entries)
						       : a->max_entries;
	d->flags = a->map_flags;
}

bool ldr_is_data_section(const char *name)
{
	static const char *const pfx[] = {".data", ".rodata", ".bss"};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(pfx[i]);
		if (strncmp(name, pfx[i], l) == 0 && (name[l] == 0 || name[l] == '.'))
			return true;
	}
	return false;
}

struct ldr_map *ldr_add_map(struct ldr_ctx *c, struct bs_error *err)
{
	struct bs_object *o = c->obj;
	struct ldr_map *m = realloc(o->maps, (o->nmaps + 1) * sizeof(*m));
	if (!m) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory adding a map");
		return NULL;
	}
	o->maps = m;
	m = &o->maps[o->nmaps++];
	memset(m, 0, sizeof(*m));
	m->def.name = m->name;
	return m;
}

/* libbpf's internal map names: a prefix of the object name, then the section
 * (".bss"), within the kernel's 15-character map names. */
static void internal_map_name(struct ldr_ctx *c, const char *sec, char *out, size_t len)
{
	/* libbpf: sections with a second dot (".data.custom") get no prefix */
	size_t sfx = strlen(sec), pfx = 0;
	if (sfx < 16 && !strchr(sec + 1, '.')) {
		pfx = 16 - sfx - 1;
		if (pfx > strlen(c->obj->name))
			pfx = strlen(c->obj->name);
	}
	snprintf(out, len, "%.*s%.*s", (int)pfx, c->obj->name, (int)(sfx < 15 ? sfx : 15), sec);
	/* the kernel allows only these characters in map names */
	for (char *p = out; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.'))
			*p = '_';
}

int ldr_add_data_map(struct ldr_ctx *c, size_t i, struct bs_error *err)
{
	struct ldr_section *s = &c->scns[i];
	if (s->sh.sh_size == 0)
		return 0;
	if (s->sh.sh_size > UINT32_MAX)
		return ldr_fail(c, err, "section %s is too large (%llu bytes)", s->name,
				(unsigned long long)s->sh.sh_size);
	struct ldr_map *m = ldr_add_map(c, err);
	if (!m)
		return -1;
	internal_map_name(c, s->name, m->name, sizeof(m->name));
	m->def.type = BS_MAP_ARRAY;
	m->def.key_size = 4;
	m->def.value_size = (uint32_t)s->sh.sh_size;
	m->def.max_entries = 1;
	m->def.flags = strncmp(s->name, ".rodata", 7) == 0 ? BPF_F_RDONLY_PROG : 0;
	m->scn = i;
	s->map_index = (int)(c->obj->nmaps - 1);
	if (s->sh.sh_type != SHT_NOBITS) {
		if (!s->data || s->data->d_size != s->sh.sh_size)
			return ldr_fail(c, err, "section %s: cannot read its %llu bytes", s->name,
					(unsigned long long)s->sh.sh_size);
		m->init = malloc(s->sh.sh_size);
		if (!m->init)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		memcpy(m->init, s->data->d_buf, s->sh.sh_size);
		m->init_size = s->sh.sh_size;
	}
	return 0;
}

static int cmp_sym_off(const void *a, const void *b)
{
	const GElf_Sym *x = *(const GElf_Sym *const *)a, *y = *(const GElf_Sym *const *)b;
	return x->st_value < y->st_value ? -1 : x->st_value > y->st_value;
}

/* The legacy "maps" section: one struct bpf_map_def per symbol. */
int ldr_add_legacy_maps(struct ldr_ctx *c, struct bs_error *err)
{
	struct ldr_section *s = &c->scns[c->maps_scn];
	const GElf_Sym **syms = calloc(c->nsyms ? c->nsyms : 1, sizeof(*syms));
	size_t n = 0;
	int rc = -1;
	if (!syms)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	for (size_t i = 0; i < c->nsyms; i++)
		if (c->syms[i].st_shndx == c->maps_scn && GELF_ST_TYPE(c->syms[i].st_info) != STT_SECTION &&
		    *ldr_sym_name(c, &c->syms[i]))
			syms[n++] = &c->syms[i];
	if (n == 0 || !s->data) {
		rc = ldr_fail(c, err, "section maps has no map symbols");
		goto out;
	}
	qsort(syms, n, sizeof(*syms), cmp_sym_off);
	size_t def_sz = s->data->d_size / n;
	if (def_sz < 5 * sizeof(uint32_t) || def_sz % 4) {
		rc = ldr_fail(c, err,
			      "section maps: %zu bytes for %zu maps gives %zu-byte definitions; struct "
			      "bpf_map_def needs at least 20",
			      (size_t)s->data->d_size, n, def_sz);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t off = syms[i]->st_value;
		if (off % def_sz || off > s->data->d_size || def_sz > s->data->d_size - off) {
			rc = ldr_fail(c, err, "map '%s' at offset %llu of section maps is misplaced",
				      ldr_sym_name(c, syms[i]), (unsigned long long)off);
			goto out;
		}
		uint32_t f[5];
		memcpy(f, (const uint8_t *)s->data->d_buf + off, sizeof(f));
		struct ldr_map *m = ldr_add_map(c, err);
		if (!m)
			goto out;
		snprintf(m->name, sizeof(m->name), "%s", ldr_sym_name(c, syms[i]));
		m->def.type = f[0];
		m->def.key_size = f[1];
		m->def.value_size = f[2];
		m->def.max_entries = f[3];
		m->def.flags = f[4];
		m->scn = c->maps_scn;
		m->sym_off = off;
	}
	rc = 0;
out:
	free(syms);
	return rc;
}

/* Where a .maps variable is: its symbol's offset. clang leaves the DATASEC
 * offsets 0 (libbpf's btf_fixup_datasec takes them from the symbols). */
static uint64_t var_offset(struct ldr_ctx *c, const struct bs_btf_var_secinfo *v)
{
	const struct bs_btf_type *var = bs_btf_type_by_id(c->obj->btf, v->type);
	for (size_t i = 0; var && i < c->nsyms; i++)
		if (c->syms[i].st_shndx == c->btf_maps_scn &&
		    GELF_ST_TYPE(c->syms[i].st_info) != STT_SECTION &&
		    strcmp(ldr_sym_name(c, &c->syms[i]), var->name) == 0)
			return c->syms[i].st_value;
	return v->offset;
}

int ldr_add_btf_maps(struct ldr_ctx *c, struct bs_error *err)
{
	const struct bs_btf *btf = c->obj->btf;
	if (!btf)
		return ldr_fail(c, err, "section .maps needs the object's .BTF to describe its maps: %s",
				c->obj->notes[0] ? c->obj->notes
						 : "there is none (compile with clang -g)");
	int rc = -1;
	uint32_t sec_id = bs_btf_find_by_name(btf, ".maps", BS_BTF_DATASEC);
	const struct bs_btf_type *sec = sec_id ? bs_btf_type_by_id(btf, sec_id) : NULL;
	if (!sec) {
		ldr_fail(c, err, ".BTF has no DATASEC '.maps' describing section .maps");
		goto out;
	}
	for (uint16_t i = 0; i < sec->vlen; i++) {
		const struct bs_btf_var_secinfo *v = &sec->vars[i];
		struct bs_btf_map_def def;
		if (bs_btf_map_def(btf, v->type, &def, err)) {
			snprintf(err->file, sizeof(err->file), "%s", c->elf.path);
			goto out;
		}
		struct ldr_map *m = ldr_add_map(c, err);
		if (!m)
			goto out;
		snprintf(m->name, sizeof(m->name), "%s", def.name);
		attrs_to_def(&def.attrs, &m->def);
		if (def.attrs.parts & BS_BTF_MAP_INNER) {
			attrs_to_def(&def.inner, &m->inner);
			snprintf(m->inner_name, sizeof(m->inner_name), "%s.inner", m->name);
		}
		m->scn = c->btf_maps_scn;
		m->sym_off = var_offset(c, v);
		if (def.attrs.pinning)
			ldr_note(c, "map '%s': pinning ignored: there is no BPF filesystem here, so the "
				 "map starts empty", m->name);
	}
	rc = ldr_add_map_values(c, sec, err);
out:
	return rc;
}

/* The byte offset of the `values` member in map definition type_id, which
 * libbpf wants last; -1 if it is not. */
static int64_t values_offset(const struct bs_btf *btf, uint32_t type_id)
{
	const struct bs_btf_type *t = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, type_id));
	if (!t || t->kind != BS_BTF_STRUCT || t->vlen == 0)
		return -1;
	const struct bs_btf_member *m = &t->members[t->vlen - 1];
	return strcmp(m->name, "values") == 0 ? (int64_t)(m->bit_offset / 8) : -1;
}

/* The object's map defined at offset off of .maps, or -1. */
static int btf_map_at(struct ldr_ctx *c, uint64_t off)
{
	for (size_t i = 0; i < c->obj->nmaps; i++)
		if (c->obj->maps[i].scn == c->btf_maps_scn && c->obj->maps[i].sym_off == off)
			return (int)i;
	return -1;
}

/* The program (bs_object_prog index) whose function sym is, or -1. */
static int prog_of(struct ldr_ctx *c, const GElf_Sym *sym)
{
	int idx = 0;
	for (size_t i = 0; i < c->nfuncs; i++) {
		const struct ldr_func *f = &c->funcs[i];
		if (f->scn == sym->st_shndx && f->off == sym->st_value)
			return f->is_prog ? idx : -1;
		idx += f->is_prog;
	}
	return -1;
}

/* Static initial values: each relocation of .maps is one slot of some
 * map's `values` array pointing at a map (map-in-map) or a program
 * (prog_array), as libbpf's bpf_object__collect_map_relos reads them. */
int ldr_add_map_values(struct ldr_ctx *c, const struct bs_btf_type *sec, struct bs_error *err)
{
	const struct ldr_section *s = &c->scns[c->btf_maps_scn];
	const struct bs_btf *btf = c->obj->btf;
	for (size_t r = 0; r < s->nrelocs; r++) {
		const struct ldr_reloc *rel = &s->relocs[r];
		const GElf_Sym *sym = &c->syms[rel->sym];
		const char *target = ldr_sym_name(c, sym);
		const struct bs_btf_var_secinfo *v = NULL;
		uint64_t voff = 0;
		for (uint16_t i = 0; i < sec->vlen && !v; i++) {
			voff = var_offset(c, &sec->vars[i]);
			if (voff <= rel->off && rel->off + 8 <= voff + sec->vars[i].size)
				v = &sec->vars[i];
		}
		int mi = v ? btf_map_at(c, voff) : -1;
		if (mi < 0)
			return ldr_fail(c, err, ".maps relocation at offset %llu (to '%s') is not inside "
					"a map definition", (unsigned long long)rel->off, target);
		struct ldr_map *m = &c->obj->maps[mi];
		const struct bs_btf_type *var = bs_btf_type_by_id(btf, v->type);
		int64_t moff = var ? values_offset(btf, var->type) : -1;
		bool in_map = m->def.type == BS_MAP_ARRAY_OF_MAPS || m->def.type == BS_MAP_HASH_OF_MAPS;
		if ((!in_map && m->def.type != BS_MAP_PROG_ARRAY) || moff < 0 ||
		    rel->off < voff + (uint64_t)moff || (rel->off - voff - moff) % 8)
			return ldr_fail(c, err, "map '%s': .maps relocation at offset %llu (to '%s') "
					"is not a slot of its `values` array (only prog_array and "
					"maps of maps have one, as their last member)", m->name,
					(unsigned long long)rel->off, target);
		int value = in_map ? (sym->st_shndx == c->btf_maps_scn ? btf_map_at(c, sym->st_value)
								       : -1)
				   : prog_of(c, sym);
		if (value < 0)
			return ldr_fail(c, err, "map '%s': values slot %llu points at '%s', which is not "
					"%s", m->name,
					(unsigned long long)((rel->off - voff - moff) / 8), target,
					in_map ? "a map of .maps" : "a program");
		struct bs_map_init_value *grown =
			realloc(m->values, (m->nvalues + 1) * sizeof(*grown));
		if (!grown)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		m->values = grown;
		m->values[m->nvalues++] = (struct bs_map_init_value){
			(uint32_t)((rel->off - voff - moff) / 8), (uint32_t)value};
	}
	return 0;
}

const struct bs_map_init_value *bs_object_map_init_values(const struct bs_object *obj, size_t i,
							  size_t *n)
{
	*n = i < obj->nmaps ? obj->maps[i].nvalues : 0;
	return *n ? obj->maps[i].values : NULL;
}

const struct bs_map_def *bs_object_map_inner(const struct bs_object *obj, size_t i)
{
	return i < obj->nmaps && obj->maps[i].inner.type ? &obj->maps[i].inner : NULL;
}
