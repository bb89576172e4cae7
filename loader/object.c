// SPDX-License-Identifier: MIT
/* Reading a BPF ELF object: sections, symbols, programs, maps and global
 * data, the way libbpf reads them. Linking is in loader/link.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/btf.h"
#include "loader/dwarf_read.h"
#include "loader/parse.h"
#include "vm/error.h"

int ldr_fail(struct ldr_ctx *c, struct bs_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_verr(err, BS_ERR_PARSE, BS_NO_PC, fmt, ap);
	va_end(ap);
	snprintf(err->file, sizeof(err->file), "%s", c->elf.path);
	return -1;
}

const char *ldr_sym_name(struct ldr_ctx *c, const GElf_Sym *sym)
{
	const char *n = elf_strptr(c->elf.elf, c->symtab_link, sym->st_name);
	return n ? n : "";
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct ldr_reloc *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int read_symbols(struct ldr_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh, struct bs_error *err)
{
	Elf_Data *d = ldr_elf_data(&c->elf, scn, err);
	if (!d)
		return -1;
	if (sh->sh_entsize != sizeof(Elf64_Sym) || d->d_size % sizeof(Elf64_Sym))
		return ldr_fail(c, err, "symbol table (file offset %llu) has entries of %llu bytes",
				(unsigned long long)sh->sh_offset, (unsigned long long)sh->sh_entsize);
	c->nsyms = d->d_size / sizeof(Elf64_Sym);
	c->syms = calloc(c->nsyms ? c->nsyms : 1, sizeof(*c->syms));
	if (!c->syms)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory reading symbols");
	for (size_t i = 0; i < c->nsyms; i++)
		if (!gelf_getsym(d, (int)i, &c->syms[i]))
			return ldr_fail(c, err, "symbol %zu is unreadable", i);
	c->symtab_link = sh->sh_link;
	return 0;
}

static int read_relocs(struct ldr_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh, struct bs_error *err)
{
	if (sh->sh_info >= c->nscns)
		return ldr_fail(c, err, "relocation section %zu targets section %u, which does not exist",
				elf_ndxscn(scn), (unsigned)sh->sh_info);
	struct ldr_section *t = &c->scns[sh->sh_info];
	Elf_Data *d = ldr_elf_data(&c->elf, scn, err);
	if (!d)
		return -1;
	if (sh->sh_entsize != sizeof(Elf64_Rel) || d->d_size % sizeof(Elf64_Rel))
		return ldr_fail(c, err, "relocation section %s (file offset %llu) has entries of %llu bytes",
				ldr_elf_scn_name(&c->elf, scn), (unsigned long long)sh->sh_offset,
				(unsigned long long)sh->sh_entsize);
	size_t n = d->d_size / sizeof(Elf64_Rel);
	/* a section may have several relocation sections: append, then sort */
	struct ldr_reloc *all = realloc(t->relocs, (t->nrelocs + n + 1) * sizeof(*all));
	if (!all)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory reading relocations");
	t->relocs = all;
	const char *name = ldr_elf_scn_name(&c->elf, scn);
	for (size_t i = 0; i < n; i++) {
		GElf_Rel r;
		unsigned long long at = (unsigned long long)(sh->sh_offset + i * sizeof(Elf64_Rel));
		if (!gelf_getrel(d, (int)i, &r))
			return ldr_fail(c, err, "relocation %zu of %s is unreadable", i, name);
		struct ldr_reloc *x = &t->relocs[t->nrelocs++];
		x->off = r.r_offset;
		x->sym = (uint32_t)GELF_R_SYM(r.r_info);
		x->type = (uint32_t)GELF_R_TYPE(r.r_info);
		if (x->sym >= c->nsyms)
			return ldr_fail(c, err, "relocation %zu of %s (file offset %llu) names symbol %u of %zu",
					i, name, at, x->sym, c->nsyms);
		if (t->exec && (x->off % sizeof(struct bs_insn) || x->off >= t->sh.sh_size))
			return ldr_fail(c, err,
					"relocation %zu of %s (file offset %llu) is at offset %llu of %s, "
					"which is not an instruction of its %llu bytes",
					i, name, at, (unsigned long long)x->off, t->name,
					(unsigned long long)t->sh.sh_size);
	}
	qsort(t->relocs, t->nrelocs, sizeof(*t->relocs), cmp_reloc);
	return 0;
}

static int read_sections(struct ldr_ctx *c, struct bs_error *err)
{
	c->nscns = c->elf.nsections;
	c->scns = calloc(c->nscns ? c->nscns : 1, sizeof(*c->scns));
	if (!c->scns)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	Elf_Scn *symtab = NULL;
	for (size_t i = 1; i < c->nscns; i++) {
		Elf_Scn *scn = elf_getscn(c->elf.elf, i);
		struct ldr_section *s = &c->scns[i];
		s->map_index = -1;
		if (!scn || !gelf_getshdr(scn, &s->sh))
			return ldr_fail(c, err, "section header %zu is unreadable", i);
		s->name = ldr_elf_scn_name(&c->elf, scn);
		if (s->sh.sh_type != SHT_NOBITS && s->sh.sh_size && !(s->data = elf_getdata(scn, NULL)))
			return ldr_fail(c, err, "section %zu (%s) is unreadable: %s", i, s->name,
					elf_errmsg(-1));
		s->exec = s->sh.sh_type == SHT_PROGBITS && (s->sh.sh_flags & SHF_EXECINSTR);
		if (s->sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		if (s->exec && s->sh.sh_size % sizeof(struct bs_insn))
			return ldr_fail(c, err,
					"code section %s (file offset %llu) is %llu bytes, not a multiple "
					"of 8",
					s->name, (unsigned long long)s->sh.sh_offset,
					(unsigned long long)s->sh.sh_size);
		if (strcmp(s->name, ".text") == 0)
			c->text_scn = i;
		else if (strcmp(s->name, "maps") == 0)
			c->maps_scn = i;
		else if (strcmp(s->name, ".maps") == 0)
			c->btf_maps_scn = i;
	}
	if (!symtab)
		return ldr_fail(c, err, "no symbol table: is this an object from clang -target bpf -c?");
	GElf_Shdr sh;
	gelf_getshdr(symtab, &sh);
	if (read_symbols(c, symtab, &sh, err))
		return -1;
	for (size_t i = 1; i < c->nscns; i++)
		if (c->scns[i].sh.sh_type == SHT_REL &&
		    read_relocs(c, elf_getscn(c->elf.elf, i), &c->scns[i].sh, err))
			return -1;
	return 0;
}

static int read_license_version(struct ldr_ctx *c, struct bs_error *err)
{
	for (size_t i = 1; i < c->nscns; i++) {
		struct ldr_section *s = &c->scns[i];
		if (!s->data)
			continue;
		if (strcmp(s->name, "license") == 0) {
			size_t n = s->data->d_size < sizeof(c->obj->license) - 1 ? s->data->d_size
										 : sizeof(c->obj->license) - 1;
			memcpy(c->obj->license, s->data->d_buf, n);
			c->obj->license[n] = 0;
		} else if (strcmp(s->name, "version") == 0) {
			if (s->data->d_size != 4)
				return ldr_fail(c, err, "section version is %zu bytes, not 4",
						(size_t)s->data->d_size);
			memcpy(&c->obj->kversion, s->data->d_buf, 4);
		}
	}
	return 0;
}

static int read_funcs(struct ldr_ctx *c, struct bs_error *err)
{
	c->funcs = calloc(c->nsyms ? c->nsyms : 1, sizeof(*c->funcs));
	if (!c->funcs)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	for (size_t i = 0; i < c->nsyms; i++) {
		const GElf_Sym *sym = &c->syms[i];
		if (GELF_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_shndx == SHN_UNDEF ||
		    sym->st_shndx >= c->nscns || !c->scns[sym->st_shndx].exec)
			continue;
		const struct ldr_section *s = &c->scns[sym->st_shndx];
		const char *name = ldr_sym_name(c, sym);
		if (sym->st_value % 8 || sym->st_size % 8 || sym->st_value > s->sh.sh_size ||
		    sym->st_size > s->sh.sh_size - sym->st_value || sym->st_size == 0)
			return ldr_fail(c, err, "function '%s' (offset %llu, %llu bytes) does not fit section %s",
					name, (unsigned long long)sym->st_value,
					(unsigned long long)sym->st_size, s->name);
		struct ldr_func *f = &c->funcs[c->nfuncs++];
		f->scn = sym->st_shndx;
		f->off = sym->st_value;
		f->size = sym->st_size;
		f->name = strdup(name);
		f->is_prog = sym->st_shndx != c->text_scn;
		if (!f->name)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	return 0;
}

static int add_programs(struct ldr_ctx *c, struct bs_error *err)
{
	struct bs_object *o = c->obj;
	size_t nprogs = 0;
	for (size_t i = 0; i < c->nfuncs; i++)
		nprogs += c->funcs[i].is_prog;
	o->progs = calloc(nprogs ? nprogs : 1, sizeof(*o->progs));
	if (!o->progs)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	for (size_t i = 0; i < c->nfuncs; i++) {
		struct ldr_func *f = &c->funcs[i];
		if (!f->is_prog)
			continue;
		const char *sec = c->scns[f->scn].name;
		enum bs_prog_type type = ldr_section_type(sec);
		if (type == BS_PROG_UNSPEC) {
			ldr_fail(c, err, "program '%s' is in section '%s', which names no program type",
				 f->name, sec);
			vm_err_hint(err, "e.g. xdp, tc, tc/ingress, classifier, socket, cgroup_skb/ingress, "
				    "kprobe/FN, tracepoint/CAT/NAME, raw_tp/NAME, fentry/FN; "
				    "docs/loader.md lists them all");
			return -1;
		}
		struct bs_prog *p = &o->progs[o->nprogs++];
		p->name = strdup(f->name);
		p->section = strdup(sec);
		p->type = type;
		p->obj = o;
		if (!p->name || !p->section)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		if (ldr_link_prog(c, f, p, err))
			return -1;
	}
	if (o->nprogs == 0)
		return ldr_fail(c, err, "no programs: no function is in a program section (SEC(\"xdp\"), "
				"SEC(\"tc\"), ...)");
	/* DWARF addresses are mapped through the linked programs */
	ldr_dwarf_load(c);
	return 0;
}

/* .BTF and .BTF.ext are optional: without them there are no BTF maps and no
 * source lines, so a broken one is noted, not fatal (.maps then fails). */
static void read_btf(struct ldr_ctx *c)
{
	Elf_Data *d = NULL, *x = NULL;
	struct bs_error e;
	if (!ldr_elf_find(&c->elf, ".BTF", &d) || !d)
		return;
	if (bs_btf_parse(d->d_buf, d->d_size, &c->obj->btf, &e)) {
		ldr_note(c, ".BTF is unusable, so there are no source lines or BTF maps: %s",
			 e.message);
		return;
	}
	if (ldr_elf_find(&c->elf, ".BTF.ext", &x) && x &&
	    bs_btf_ext_parse(c->obj->btf, x->d_buf, x->d_size, &c->obj->btf_ext, &e))
		ldr_note(c, ".BTF.ext is unusable, so there are no source lines: %s", e.message);
}

static int parse(struct ldr_ctx *c, struct bs_error *err)
{
	if (read_sections(c, err) || read_license_version(c, err) || read_funcs(c, err))
		return -1;
	read_btf(c);
	/* libbpf's order, which lddw map indexes follow: legacy, BTF, global data */
	if (c->maps_scn && ldr_add_legacy_maps(c, err))
		return -1;
	if (c->btf_maps_scn && ldr_add_btf_maps(c, err))
		return -1;
	for (size_t i = 1; i < c->nscns; i++)
		if (ldr_is_data_section(c->scns[i].name) && (c->scns[i].sh.sh_flags & SHF_ALLOC) &&
		    !c->scns[i].exec && ldr_add_data_map(c, i, err))
			return -1;
	/* the maps array has stopped moving: point each definition at its name */
	for (size_t i = 0; i < c->obj->nmaps; i++) {
		struct ldr_map *m = &c->obj->maps[i];
		m->def.name = m->name;
		m->inner.name = m->inner_name;
	}
	return add_programs(c, err);
}

/* libbpf's object name: the file name up to its first dot */
static char *object_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strchr(base, '.');
	return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

int bs_object_open_mem(const char *name, const void *buf, size_t size, struct bs_object **out,
		       struct bs_error *err)
{
	*out = NULL;
	bs_error_clear(err);
	struct ldr_ctx c = {0};
	uint8_t *image = malloc(size ? size : 1);
	c.obj = calloc(1, sizeof(*c.obj));
	if (!image || !c.obj) {
		free(image);
		free(c.obj);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	memcpy(image, buf, size);
	c.obj->name = object_name(name);
	int rc = -1;
	if (!c.obj->name)
		goto out;
	if (ldr_elf_open(&c.elf, name, image, size, err))
		goto out;
	rc = parse(&c, err);
out:
	ldr_elf_close(&c.elf);
	for (size_t i = 0; i < c.nscns; i++)
		free(c.scns ? c.scns[i].relocs : NULL);
	for (size_t i = 0; i < c.nfuncs; i++)
		free(c.funcs[i].name);
	free(c.funcs);
	free(c.scns);
	free(c.syms);
	if (rc)
		bs_object_close(c.obj);
	else
		*out = c.obj;
	return rc;
}

int bs_object_open(const char *path, struct bs_object **out, struct bs_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return vm_err(err, BS_ERR_IO, BS_NO_PC, "cannot open '%s': %m", path);
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		uint8_t *nb = cap >= (1u << 30) ? NULL : realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	bool bad = ferror(f);
	fclose(f);
	if (!buf || bad) {
		free(buf);
		return vm_err(err, buf ? BS_ERR_IO : BS_ERR_NOMEM, BS_NO_PC, "cannot read '%s'", path);
	}
	int rc = bs_object_open_mem(path, buf, n, out, err);
	free(buf);
	return rc;
}

void bs_object_close(struct bs_object *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < obj->nprogs; i++) {
		struct bs_prog *p = &obj->progs[i];
		free(p->name);
		free(p->section);
		free(p->insns);
		for (size_t k = 0; k < p->nfuncs; k++)
			free((char *)p->funcs[k].name);
		free(p->funcs);
	}
	for (size_t i = 0; i < obj->nprogs; i++)
		free(obj->progs[i].lines);
	for (size_t i = 0; i < obj->nmaps; i++) {
		free(obj->maps[i].init);
		free(obj->maps[i].values);
	}
	dw_free(obj->dwarf);
	bs_btf_ext_free(obj->btf_ext);
	bs_btf_free(obj->btf);
	free(obj->progs);
	free(obj->maps);
	free(obj->name);
	free(obj);
}

const char *bs_object_name(const struct bs_object *obj) { return obj->name; }
const char *bs_object_license(const struct bs_object *obj) { return obj->license; }
uint32_t bs_object_kversion(const struct bs_object *obj) { return obj->kversion; }
size_t bs_object_prog_count(const struct bs_object *obj) { return obj->nprogs; }

const struct bs_prog *bs_object_prog(const struct bs_object *obj, size_t i)
{
	return i < obj->nprogs ? &obj->progs[i] : NULL;
}

int bs_object_find_prog(const struct bs_object *obj, const char *name, const struct bs_prog **out,
			struct bs_error *err)
{
	*out = NULL;
	const struct bs_prog *by_sec = NULL;
	size_t nsec = 0;
	for (size_t i = 0; i < obj->nprogs; i++) {
		if (name && strcmp(obj->progs[i].name, name) == 0) {
			*out = &obj->progs[i];
			return 0;
		}
		if (name && strcmp(obj->progs[i].section, name) == 0) {
			by_sec = &obj->progs[i];
			nsec++;
		}
	}
	if (nsec == 1 || (!name && obj->nprogs == 1)) {
		*out = nsec == 1 ? by_sec : &obj->progs[0];
		return 0;
	}
	char list[256] = "";
	size_t at = 0;
	for (size_t i = 0; i < obj->nprogs && at < sizeof(list) - 1; i++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s (%s)", i ? ", " : "",
				       obj->progs[i].name, obj->progs[i].section);
	if (!name)
		vm_err(err, BS_ERR_ARG, BS_NO_PC, "%s has %zu programs; choose one with --prog: %s",
		       obj->name, obj->nprogs, list);
	else if (nsec > 1)
		vm_err(err, BS_ERR_ARG, BS_NO_PC,
		       "%zu programs are in section '%s'; choose one by function name: %s", nsec, name,
		       list);
	else
		vm_err(err, BS_ERR_ARG, BS_NO_PC, "%s has no program '%s'; it has: %s", obj->name, name,
		       list);
	return -1;
}

const char *bs_prog_name(const struct bs_prog *prog) { return prog->name; }
const char *bs_prog_section(const struct bs_prog *prog) { return prog->section; }
const struct bs_object *bs_prog_object(const struct bs_prog *prog) { return prog->obj; }
enum bs_prog_type bs_prog_type(const struct bs_prog *prog) { return prog->type; }

const struct bs_insn *bs_prog_insns(const struct bs_prog *prog, size_t *n)
{
	*n = prog->n;
	return prog->insns;
}

size_t bs_prog_func_count(const struct bs_prog *prog) { return prog->nfuncs; }

const struct bs_func *bs_prog_func(const struct bs_prog *prog, size_t i)
{
	return i < prog->nfuncs ? &prog->funcs[i] : NULL;
}

size_t bs_object_map_count(const struct bs_object *obj) { return obj->nmaps; }

const struct bs_map_def *bs_object_map_def(const struct bs_object *obj, size_t i)
{
	return i < obj->nmaps ? &obj->maps[i].def : NULL;
}

const void *bs_object_map_init(const struct bs_object *obj, size_t i, size_t *size)
{
	if (i >= obj->nmaps || !obj->maps[i].init) {
		if (size)
			*size = 0;
		return NULL;
	}
	if (size)
		*size = obj->maps[i].init_size;
	return obj->maps[i].init;
}

const char *bs_object_notes(const struct bs_object *obj) { return obj->notes; }

const struct bs_btf *bs_object_btf(const struct bs_object *obj) { return obj->btf; }

void bs_object_map_btf(const struct bs_object *obj, size_t i, uint32_t *key_type,
		       uint32_t *value_type)
{
	*key_type = *value_type = 0;
	if (i >= obj->nmaps || !obj->btf)
		return;
	const struct ldr_map *m = &obj->maps[i];
	const struct bs_btf *btf = obj->btf;
	/* global data: the name is the section's (cut to 15 characters) after a
	 * prefix without dots; map definitions are C identifiers */
	const char *dot = strchr(m->name, '.');
	for (uint32_t id = 1; dot && id <= bs_btf_type_count(btf); id++) {
		const struct bs_btf_type *t = bs_btf_type_by_id(btf, id);
		if (t->kind == BS_BTF_DATASEC && strncmp(t->name, dot, 15) == 0 &&
		    strlen(dot) == (strlen(t->name) < 15 ? strlen(t->name) : 15)) {
			*value_type = id;
			return;
		}
	}
	uint32_t sec_id = dot ? 0 : bs_btf_find_by_name(btf, ".maps", BS_BTF_DATASEC);
	const struct bs_btf_type *sec = sec_id ? bs_btf_type_by_id(btf, sec_id) : NULL;
	for (uint16_t k = 0; sec && k < sec->vlen; k++) {
		const struct bs_btf_type *var = bs_btf_type_by_id(btf, sec->vars[k].type);
		struct bs_btf_map_def def;
		struct bs_error e;
		/* by name: clang leaves the variables' offsets in .maps at 0 */
		if (!var || strcmp(var->name, m->name) != 0 ||
		    bs_btf_map_def(btf, sec->vars[k].type, &def, &e))
			continue;
		*key_type = def.attrs.key_type_id;
		*value_type = def.attrs.value_type_id;
		return;
	}
}

void ldr_note(struct ldr_ctx *c, const char *fmt, ...)
{
	char *notes = c->obj->notes;
	size_t at = strlen(notes), room = sizeof(c->obj->notes) - at;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(notes + at, room, fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k + 1 < room) {
		notes[at + (size_t)k] = '\n';
		notes[at + (size_t)k + 1] = 0;
	}
}

size_t bs_prog_line_count(const struct bs_prog *prog) { return prog->nlines; }

const struct bs_line *bs_prog_line(const struct bs_prog *prog, size_t i)
{
	return i < prog->nlines ? &prog->lines[i] : NULL;
}
