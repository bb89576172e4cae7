// SPDX-License-Identifier: MIT
/* Reading an object's DWARF with libdwarf into bpfstep's own model
 * (loader/dwarf_private.h): types, function scopes (inlined ones too),
 * variables with their locations, globals, and the line table, which
 * loader/dwarf_lines.c maps to the linked programs.
 *
 * libdwarf sees only the .debug_* sections, relocated here (it does not
 * know R_BPF_*), through its object-access interface. Any libdwarf error
 * makes the whole DWARF unusable: a partial model could show a variable in
 * the wrong place, which is worse than none. */
#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/dwarf_read.h"
#include "vm/error.h"

enum {
	R_BPF_64_ABS64 = 2,
	R_BPF_64_ABS32 = 3,
	R_BPF_64_NODYLD32 = 4,
	MAX_DEPTH = 64,      /* DIE nesting, origin chains: a crafted object cannot recurse deeper */
	MAX_SECTIONS = 32,
};

/* ---- the arena ---- */
struct dw_chunk {
	struct dw_chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char mem[];
};

void *dw_alloc(struct bs_dwarf *dw, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	struct dw_chunk *c = dw->arena;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > 16384 ? size : 16384;
		c = calloc(1, sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->next = dw->arena;
		dw->arena = c;
	}
	void *p = c->mem + c->used;
	c->used += size;
	return p;
}

char *dw_strdup(struct bs_dwarf *dw, const char *s)
{
	size_t n = strlen(s);
	char *d = dw_alloc(dw, n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

void dw_free(struct bs_dwarf *dw)
{
	if (!dw)
		return;
	for (struct dw_chunk *c = dw->arena, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(dw->types);
	free(dw->scopes);
	free(dw->vars);
	free(dw->globals);
	free(dw->scn_map);
	for (size_t i = 0; i < dw->nprogs; i++)
		free(dw->progs[i].parts);
	free(dw->progs);
	free(dw);
}

/* ---- libdwarf's view of the object: the relocated debug sections ---- */
struct dw_obj {
	struct dw_sec_view secs[MAX_SECTIONS];  /* [0] is the null section libdwarf skips */
	unsigned nsecs;
};

static int m_section_info(void *obj, Dwarf_Half i, Dwarf_Obj_Access_Section *s, int *error)
{
	struct dw_obj *o = obj;
	(void)error;
	if (i >= o->nsecs)
		return DW_DLV_NO_ENTRY;
	memset(s, 0, sizeof(*s));
	s->type = i ? 1 /* SHT_PROGBITS */ : 0;
	s->size = o->secs[i].size;
	s->name = o->secs[i].name;
	return DW_DLV_OK;
}

static Dwarf_Endianness m_byte_order(void *obj)
{
	(void)obj;
	return DW_OBJECT_LSB;
}

static Dwarf_Small m_length_size(void *obj)
{
	(void)obj;
	return 4;
}

static Dwarf_Small m_pointer_size(void *obj)
{
	(void)obj;
	return 8;
}

static Dwarf_Unsigned m_section_count(void *obj)
{
	return ((struct dw_obj *)obj)->nsecs;
}

static int m_load_section(void *obj, Dwarf_Half i, Dwarf_Small **data, int *error)
{
	struct dw_obj *o = obj;
	(void)error;
	if (i >= o->nsecs || !o->secs[i].data)
		return DW_DLV_NO_ENTRY;
	*data = o->secs[i].data;
	return DW_DLV_OK;
}

static const Dwarf_Obj_Access_Methods methods = {
	.get_section_info = m_section_info,
	.get_byte_order = m_byte_order,
	.get_length_size = m_length_size,
	.get_pointer_size = m_pointer_size,
	.get_section_count = m_section_count,
	.load_section = m_load_section,
};

/* A copy of section i with its relocations applied; section symbols of
 * allocated sections are worth DW_ADDR(section, 0). */
static int relocate(struct ldr_ctx *c, size_t i, struct dw_sec_view *out, char *why, size_t wlen)
{
	const struct ldr_section *s = &c->scns[i];
	size_t size = s->data ? s->data->d_size : 0;
	out->name = s->name;
	out->size = size;
	out->data = malloc(size ? size : 1);
	if (!out->data) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	if (size)
		memcpy(out->data, s->data->d_buf, size);
	for (size_t k = 0; k < s->nrelocs; k++) {
		const struct ldr_reloc *r = &s->relocs[k];
		const GElf_Sym *sym = &c->syms[r->sym];
		unsigned w = r->type == R_BPF_64_ABS64 ? 8 :
			     (r->type == R_BPF_64_ABS32 || r->type == R_BPF_64_NODYLD32) ? 4 : 0;
		if (!w) {
			snprintf(why, wlen, "relocation type %u in %s is not one DWARF uses", r->type,
				 s->name);
			return -1;
		}
		if (r->off > size || size - r->off < w) {
			snprintf(why, wlen, "a relocation at offset %llu is outside %s (%zu bytes)",
				 (unsigned long long)r->off, s->name, size);
			return -1;
		}
		uint64_t v = sym->st_value;
		if (sym->st_shndx != SHN_UNDEF && sym->st_shndx < c->nscns &&
		    (c->scns[sym->st_shndx].sh.sh_flags & SHF_ALLOC))
			v += DW_ADDR(sym->st_shndx, 0);
		uint8_t *p = out->data + r->off;
		if (w == 8) {
			uint64_t a;
			memcpy(&a, p, 8);
			a += v;
			memcpy(p, &a, 8);
		} else {
			uint32_t a;
			memcpy(&a, p, 4);
			a += (uint32_t)v;
			memcpy(p, &a, 4);
		}
	}
	return 0;
}

static void free_obj(struct dw_obj *o)
{
	for (unsigned i = 0; i < o->nsecs; i++)
		free(o->secs[i].data);
}

/* ---- the walk ---- */
struct fix {
	const struct bs_dwarf_type **slot;
	uint64_t off;
};

struct tyent {
	uint64_t off;
	struct bs_dwarf_type *t;
};

struct rd {
	struct ldr_ctx *c;
	struct bs_dwarf *dw;
	Dwarf_Debug dbg;
	Dwarf_Error e;
	char *why;
	size_t wlen;
	Dwarf_Half cu_version;
	char **files;           /* the CU's file names */
	Dwarf_Signed nfiles;
	struct tyent *tys;
	size_t ntys, captys;
	struct fix *fixes;
	size_t nfixes, capfixes;
	int *var_scope;         /* parallel to dw->vars */
	uint64_t *var_type;     /* type DIE offset, parallel to dw->vars */
	uint64_t *var_origin;   /* abstract origin DIE offset (0: none), parallel */
	uint64_t *glob_type;
	size_t capvars, capglobs, capscopes;
	struct dw_row *rows;
	size_t nrows, caprows;
	int scope_depth;
};

#define GROW(arr, n, cap)                                                        \
	({                                                                       \
		bool ok_ = true;                                                 \
		if ((n) >= (cap)) {                                              \
			size_t nc_ = (cap) ? (cap) * 2 : 16;                     \
			void *p_ = realloc((arr), nc_ * sizeof(*(arr)));         \
			if (p_) {                                                \
				(arr) = p_;                                      \
				(cap) = nc_;                                     \
			} else {                                                 \
				ok_ = false;                                     \
			}                                                        \
		}                                                                \
		ok_;                                                             \
	})

static int fail(struct rd *r, const char *what)
{
	if (r->e)
		snprintf(r->why, r->wlen, "%s: %s", what, dwarf_errmsg(r->e));
	else
		snprintf(r->why, r->wlen, "%s", what);
	return -1;
}

static int nomem(struct rd *r)
{
	r->e = NULL;
	return fail(r, "out of memory");
}

/* The helpers return DW_DLV_OK (0), NONE when the attribute is absent, or
 * -1 on an error (r->why set); libdwarf's own DW_DLV_NO_ENTRY is -1. */
enum { NONE = 1 };

static int attr_of(struct rd *r, Dwarf_Die die, Dwarf_Half at, Dwarf_Attribute *a)
{
	int rc = dwarf_attr(die, at, a, &r->e);
	if (rc == DW_DLV_ERROR)
		return fail(r, "reading an attribute");
	return rc == DW_DLV_OK ? DW_DLV_OK : NONE;
}

static int udata(struct rd *r, Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *v)
{
	Dwarf_Attribute a;
	int rc = attr_of(r, die, at, &a);
	if (rc != DW_DLV_OK)
		return rc;
	Dwarf_Half form = 0;
	if (dwarf_whatform(a, &form, &r->e) != DW_DLV_OK)
		return fail(r, "reading a form");
	if (form == DW_FORM_sdata) {
		Dwarf_Signed s;
		if (dwarf_formsdata(a, &s, &r->e) != DW_DLV_OK)
			return fail(r, "reading a constant");
		*v = (Dwarf_Unsigned)s;
		return DW_DLV_OK;
	}
	if (dwarf_formudata(a, v, &r->e) != DW_DLV_OK)
		return fail(r, "reading a constant");
	return DW_DLV_OK;
}

static int ref_of(struct rd *r, Dwarf_Die die, Dwarf_Half at, Dwarf_Off *off)
{
	Dwarf_Attribute a;
	int rc = attr_of(r, die, at, &a);
	if (rc != DW_DLV_OK)
		return rc;
	if (dwarf_global_formref(a, off, &r->e) != DW_DLV_OK)
		return fail(r, "reading a reference");
	return DW_DLV_OK;
}

static bool has(struct rd *r, Dwarf_Die die, Dwarf_Half at)
{
	Dwarf_Bool b = 0;
	return dwarf_hasattr(die, at, &b, &r->e) == DW_DLV_OK && b;
}

/* The DIE an abstract_origin or specification names, or NULL (-1 on error). */
static int origin_of(struct rd *r, Dwarf_Die die, Dwarf_Die *out)
{
	Dwarf_Off off;
	int rc = ref_of(r, die, DW_AT_abstract_origin, &off);
	if (rc == NONE)
		rc = ref_of(r, die, DW_AT_specification, &off);
	if (rc != DW_DLV_OK) {
		*out = NULL;
		return rc < 0 ? -1 : 0;
	}
	if (dwarf_offdie_b(r->dbg, off, true, out, &r->e) != DW_DLV_OK)
		return fail(r, "following an abstract origin");
	return 0;
}

/* Name (through origins), "" when there is none, NULL on error. */
static const char *name_of(struct rd *r, Dwarf_Die die, int depth)
{
	char *n = NULL;
	int rc = dwarf_diename(die, &n, &r->e);
	if (rc == DW_DLV_ERROR) {
		fail(r, "reading a name");
		return NULL;
	}
	if (rc == DW_DLV_OK)
		return dw_strdup(r->dw, n) ?: (nomem(r), NULL);
	Dwarf_Die o;
	if (depth > 8 || origin_of(r, die, &o))
		return depth > 8 ? "" : NULL;
	return o ? name_of(r, o, depth + 1) : "";
}

/* DW_AT_type's DIE offset through origins; 0: none (void). */
static int type_of(struct rd *r, Dwarf_Die die, uint64_t *off, int depth)
{
	Dwarf_Off o;
	int rc = ref_of(r, die, DW_AT_type, &o);
	if (rc < 0)
		return -1;
	if (rc == DW_DLV_OK) {
		*off = o;
		return 0;
	}
	*off = 0;
	Dwarf_Die od;
	if (depth > 8 || origin_of(r, die, &od))
		return depth > 8 ? 0 : -1;
	return od ? type_of(r, od, off, depth + 1) : 0;
}

static const char *file_name(struct rd *r, Dwarf_Unsigned idx)
{
	/* DWARF 5 numbers files from 0, earlier versions from 1 */
	if (r->cu_version < 5) {
		if (idx == 0)
			return "";
		idx--;
	}
	if ((Dwarf_Signed)idx >= r->nfiles || !r->files)
		return "";
	return r->files[idx];
}

static int add_fix(struct rd *r, const struct bs_dwarf_type **slot, uint64_t off)
{
	if (!off) {
		*slot = NULL;
		return 0;
	}
	if (!GROW(r->fixes, r->nfixes, r->capfixes))
		return nomem(r);
	r->fixes[r->nfixes++] = (struct fix){slot, off};
	return 0;
}

static struct bs_dwarf_type *new_type(struct rd *r, uint64_t off, enum bs_dwarf_kind kind,
				      const char *name)
{
	struct bs_dwarf_type *t = dw_alloc(r->dw, sizeof(*t));
	if (!t || !GROW(r->tys, r->ntys, r->captys)) {
		nomem(r);
		return NULL;
	}
	t->kind = kind;
	t->name = name;
	r->tys[r->ntys++] = (struct tyent){off, t};
	return t;
}

/* ---- locations and ranges ---- */
static int read_expr(struct rd *r, Dwarf_Die die, Dwarf_Locdesc_c desc, Dwarf_Unsigned nops,
		     struct dw_expr *e)
{
	e->n = nops;
	e->ops = nops ? dw_alloc(r->dw, nops * sizeof(*e->ops)) : NULL;
	if (nops && !e->ops)
		return nomem(r);
	for (Dwarf_Unsigned j = 0; j < nops; j++) {
		Dwarf_Small atom;
		Dwarf_Unsigned a, b, c3, r1, r2, r3, br;
		if (dwarf_get_location_op_value_d(desc, j, &atom, &a, &b, &c3, &r1, &r2, &r3, &br,
						  &r->e) != DW_DLV_OK)
			return fail(r, "reading a location expression");
		e->ops[j] = (struct dw_op){atom, a, b};
		/* DW_OP_addrx: the address from .debug_addr, as the second operand */
		if (atom == DW_OP_addrx || atom == DW_OP_constx) {
			Dwarf_Addr addr = 0;
			if (dwarf_debug_addr_index_to_addr(die, a, &addr, &r->e) != DW_DLV_OK)
				return fail(r, "reading .debug_addr");
			e->ops[j].b = addr;
		}
	}
	return 0;
}

static int read_loc(struct rd *r, Dwarf_Die die, const struct bs_dwarf_loc **out)
{
	*out = NULL;
	Dwarf_Attribute a;
	int rc = attr_of(r, die, DW_AT_location, &a);
	if (rc != DW_DLV_OK)
		return rc < 0 ? -1 : 0;
	Dwarf_Loc_Head_c head = NULL;
	Dwarf_Unsigned count = 0;
	rc = dwarf_get_loclist_c(a, &head, &count, &r->e);
	if (rc == DW_DLV_NO_ENTRY)
		return 0;
	if (rc != DW_DLV_OK)
		return fail(r, "reading a location");
	unsigned kind = 0;
	struct bs_dwarf_loc *loc = dw_alloc(r->dw, sizeof(*loc));
	if (!loc) {
		dwarf_loc_head_c_dealloc(head);
		return nomem(r);
	}
	if (dwarf_get_loclist_head_kind(head, &kind, &r->e) != DW_DLV_OK) {
		dwarf_loc_head_c_dealloc(head);
		return fail(r, "reading a location list");
	}
	loc->is_list = kind != DW_LKIND_expression;
	loc->ents = count ? dw_alloc(r->dw, count * sizeof(*loc->ents)) : NULL;
	int ret = 0;
	for (Dwarf_Unsigned i = 0; i < count && !ret; i++) {
		Dwarf_Small lle = 0, src = 0;
		Dwarf_Unsigned rlo, rhi, nops = 0, eoff, doff;
		Dwarf_Bool unavail = 0;
		Dwarf_Addr lo = 0, hi = 0;
		Dwarf_Locdesc_c desc = NULL;
		if (!loc->ents) {
			ret = nomem(r);
			break;
		}
		if (dwarf_get_locdesc_entry_d(head, i, &lle, &rlo, &rhi, &unavail, &lo, &hi, &nops,
					      &desc, &src, &eoff, &doff, &r->e) != DW_DLV_OK) {
			ret = fail(r, "reading a location list entry");
			break;
		}
		if (!loc->is_list) {
			ret = read_expr(r, die, desc, nops, &loc->e);
			break;
		}
		/* base address and end entries carry no expression */
		if (unavail || nops == 0 || hi <= lo || lle == DW_LLE_base_addressx ||
		    lle == DW_LLE_base_address || lle == DW_LLE_end_of_list)
			continue;
		struct dw_locent *ent = &loc->ents[loc->n++];
		ent->lo = lo;
		ent->hi = hi;
		ret = read_expr(r, die, desc, nops, &ent->e);
	}
	dwarf_loc_head_c_dealloc(head);
	if (!ret)
		*out = loc;
	return ret;
}

static int add_range(struct rd *r, struct dw_range **rs, size_t *n, size_t *cap, uint64_t lo,
		     uint64_t hi)
{
	if (hi <= lo)
		return 0;
	if (!GROW(*rs, *n, *cap))
		return nomem(r);
	(*rs)[(*n)++] = (struct dw_range){lo, hi};
	return 0;
}

/* The DIE's pc ranges: low/high pc or DW_AT_ranges; none: *n = 0. */
static int read_ranges(struct rd *r, Dwarf_Die die, uint64_t cu_base, struct dw_range **out,
		       size_t *n)
{
	struct dw_range *rs = NULL;
	size_t cnt = 0, cap = 0;
	*out = NULL;
	*n = 0;
	Dwarf_Addr lo, hi;
	Dwarf_Half form;
	enum Dwarf_Form_Class cls;
	int rc = dwarf_lowpc(die, &lo, &r->e);
	if (rc == DW_DLV_ERROR)
		return fail(r, "reading a low pc");
	if (rc == DW_DLV_OK) {
		rc = dwarf_highpc_b(die, &hi, &form, &cls, &r->e);
		if (rc == DW_DLV_ERROR)
			return fail(r, "reading a high pc");
		if (rc == DW_DLV_OK) {
			if (cls == DW_FORM_CLASS_CONSTANT)
				hi += lo;
			if (add_range(r, &rs, &cnt, &cap, lo, hi))
				return -1;
		}
	} else {
		Dwarf_Attribute a;
		rc = attr_of(r, die, DW_AT_ranges, &a);
		if (rc < 0)
			return -1;
		if (rc == DW_DLV_OK) {
			Dwarf_Half f = 0;
			Dwarf_Unsigned v = 0;
			if (dwarf_whatform(a, &f, &r->e) != DW_DLV_OK)
				return fail(r, "reading DW_AT_ranges");
			if (f == DW_FORM_rnglistx) {
				if (dwarf_formudata(a, &v, &r->e) != DW_DLV_OK)
					return fail(r, "reading DW_AT_ranges");
			} else {
				Dwarf_Off o;
				if (dwarf_global_formref(a, &o, &r->e) != DW_DLV_OK &&
				    dwarf_formudata(a, &v, &r->e) != DW_DLV_OK)
					return fail(r, "reading DW_AT_ranges");
				else
					v = v ? v : o;
			}
			if (r->cu_version >= 5) {
				Dwarf_Rnglists_Head head = NULL;
				Dwarf_Unsigned count = 0, goff = 0;
				if (dwarf_rnglists_get_rle_head(a, f, v, &head, &count, &goff, &r->e) !=
				    DW_DLV_OK)
					return fail(r, "reading a range list");
				int ret = 0;
				for (Dwarf_Unsigned i = 0; i < count && !ret; i++) {
					unsigned len = 0, code = 0;
					Dwarf_Unsigned r1, r2, c1 = 0, c2 = 0;
					Dwarf_Bool unavail = 0;
					if (dwarf_get_rnglists_entry_fields_a(head, i, &len, &code, &r1, &r2,
									      &unavail, &c1, &c2,
									      &r->e) != DW_DLV_OK)
						ret = fail(r, "reading a range list entry");
					else if (!unavail && (code == DW_RLE_offset_pair ||
							      code == DW_RLE_startx_endx ||
							      code == DW_RLE_startx_length ||
							      code == DW_RLE_start_end ||
							      code == DW_RLE_start_length))
						ret = add_range(r, &rs, &cnt, &cap, c1, c2);
				}
				dwarf_dealloc_rnglists_head(head);
				if (ret) {
					free(rs);
					return -1;
				}
			} else {
				Dwarf_Ranges *rb = NULL;
				Dwarf_Signed count = 0;
				Dwarf_Unsigned bytes = 0;
				Dwarf_Off real = 0;
				if (dwarf_get_ranges_b(r->dbg, v, die, &real, &rb, &count, &bytes,
						       &r->e) != DW_DLV_OK)
					return fail(r, "reading a range list");
				uint64_t base = cu_base;
				int ret = 0;
				for (Dwarf_Signed i = 0; i < count && !ret; i++) {
					if (rb[i].dwr_type == DW_RANGES_ADDRESS_SELECTION)
						base = rb[i].dwr_addr2;
					else if (rb[i].dwr_type == DW_RANGES_ENTRY)
						ret = add_range(r, &rs, &cnt, &cap, base + rb[i].dwr_addr1,
								base + rb[i].dwr_addr2);
				}
				dwarf_ranges_dealloc(r->dbg, rb, count);
				if (ret) {
					free(rs);
					return -1;
				}
			}
		}
	}
	if (cnt) {
		*out = dw_alloc(r->dw, cnt * sizeof(*rs));
		if (!*out) {
			free(rs);
			return nomem(r);
		}
		memcpy(*out, rs, cnt * sizeof(*rs));
		*n = cnt;
	}
	free(rs);
	return 0;
}

/* ---- types ---- */
static int read_members(struct rd *r, Dwarf_Die die, struct bs_dwarf_type *t)
{
	Dwarf_Die ch = NULL;
	int rc = dwarf_child(die, &ch, &r->e);
	size_t n = 0, cap = 0;
	struct bs_dwarf_member *ms = NULL;
	struct bs_dwarf_enumerator *es = NULL;
	while (rc == DW_DLV_OK) {
		Dwarf_Half tag = 0;
		if (dwarf_tag(ch, &tag, &r->e) != DW_DLV_OK)
			goto err;
		if (tag == DW_TAG_member && (t->kind == BS_DW_STRUCT || t->kind == BS_DW_UNION)) {
			if (!GROW(ms, n, cap))
				goto oom;
			struct bs_dwarf_member *m = &ms[n++];
			memset(m, 0, sizeof(*m));
			Dwarf_Unsigned loc = 0, bsz = 0, bitoff = 0, bytesz = 0, dbo = 0;
			if (!(m->name = name_of(r, ch, 0)))
				goto fail_out;
			int lrc = udata(r, ch, DW_AT_data_member_location, &loc);
			int brc = udata(r, ch, DW_AT_bit_size, &bsz);
			int drc = udata(r, ch, DW_AT_data_bit_offset, &dbo);
			int orc = udata(r, ch, DW_AT_bit_offset, &bitoff);
			int src = udata(r, ch, DW_AT_byte_size, &bytesz);
			if (lrc < 0 || brc < 0 || drc < 0 || orc < 0 || src < 0)
				goto fail_out;
			m->bit_pos = loc * 8;
			if (brc == DW_DLV_OK) {
				m->bit_size = (uint32_t)bsz;
				if (drc == DW_DLV_OK)
					m->bit_pos = dbo;
				else if (orc == DW_DLV_OK && src == DW_DLV_OK && bytesz * 8 >= bitoff + bsz)
					/* DWARF 2/3: counted from the storage unit's high bit */
					m->bit_pos = loc * 8 + bytesz * 8 - bitoff - bsz;
			}
		} else if (tag == DW_TAG_enumerator && t->kind == BS_DW_ENUM) {
			if (!GROW(es, n, cap))
				goto oom;
			struct bs_dwarf_enumerator *en = &es[n++];
			Dwarf_Unsigned v = 0;
			if (!(en->name = name_of(r, ch, 0)) || udata(r, ch, DW_AT_const_value, &v) < 0)
				goto fail_out;
			en->value = (int64_t)v;
		} else if (tag == DW_TAG_subrange_type && t->kind == BS_DW_ARRAY) {
			Dwarf_Unsigned cnt = 0, ub = 0;
			int crc = udata(r, ch, DW_AT_count, &cnt);
			int urc = crc == DW_DLV_OK ? NONE : udata(r, ch, DW_AT_upper_bound, &ub);
			if (crc < 0 || urc < 0)
				goto fail_out;
			uint64_t count = crc == DW_DLV_OK ? cnt : urc == DW_DLV_OK ? ub + 1 : 0;
			if (n++ == 0) {
				t->count = count;
			} else {
				/* int a[2][3]: the next dimension is the element type */
				struct bs_dwarf_type *in = dw_alloc(r->dw, sizeof(*in));
				if (!in)
					goto oom;
				in->kind = BS_DW_ARRAY;
				in->name = "";
				in->count = count;
				struct bs_dwarf_type *last = t;
				while (last->target)
					last = (struct bs_dwarf_type *)last->target;
				last->target = in;
			}
		}
		Dwarf_Die next = NULL;
		rc = dwarf_siblingof_b(r->dbg, ch, true, &next, &r->e);
		ch = next;
	}
	if (rc == DW_DLV_ERROR)
		goto err;
	if (t->kind == BS_DW_ARRAY)
		return 0;
	size_t sz = n * (t->kind == BS_DW_ENUM ? sizeof(*es) : sizeof(*ms));
	void *keep = n ? dw_alloc(r->dw, sz) : NULL;
	if (n && !keep)
		goto oom;
	if (n)
		memcpy(keep, t->kind == BS_DW_ENUM ? (void *)es : (void *)ms, sz);
	if (t->kind == BS_DW_ENUM) {
		t->enums = keep;
		t->nenums = n;
	} else {
		t->members = keep;
		t->nmembers = n;
	}
	free(ms);
	free(es);
	return 0;
err:
	fail(r, "reading members");
	goto fail_out;
oom:
	nomem(r);
fail_out:
	free(ms);
	free(es);
	return -1;
}

/* member types are resolved once every type is known: their DIE offsets
 * are read again here, in a second pass over the members' DIEs */
static int fix_members(struct rd *r, Dwarf_Die die, struct bs_dwarf_type *t)
{
	Dwarf_Die ch = NULL;
	int rc = dwarf_child(die, &ch, &r->e);
	size_t i = 0;
	while (rc == DW_DLV_OK) {
		Dwarf_Half tag = 0;
		if (dwarf_tag(ch, &tag, &r->e) != DW_DLV_OK)
			return fail(r, "reading members");
		if (tag == DW_TAG_member && i < t->nmembers) {
			uint64_t off;
			if (type_of(r, ch, &off, 0) ||
			    add_fix(r, &((struct bs_dwarf_member *)t->members)[i].type, off))
				return -1;
			i++;
		}
		Dwarf_Die next = NULL;
		rc = dwarf_siblingof_b(r->dbg, ch, true, &next, &r->e);
		ch = next;
	}
	return rc == DW_DLV_ERROR ? fail(r, "reading members") : 0;
}

static int read_type(struct rd *r, Dwarf_Die die, Dwarf_Half tag, uint64_t off)
{
	enum bs_dwarf_kind kind;
	switch (tag) {
	case DW_TAG_base_type: kind = BS_DW_BASE; break;
	case DW_TAG_pointer_type: kind = BS_DW_POINTER; break;
	case DW_TAG_structure_type: kind = BS_DW_STRUCT; break;
	case DW_TAG_union_type: kind = BS_DW_UNION; break;
	case DW_TAG_array_type: kind = BS_DW_ARRAY; break;
	case DW_TAG_enumeration_type: kind = BS_DW_ENUM; break;
	case DW_TAG_typedef: kind = BS_DW_TYPEDEF; break;
	case DW_TAG_const_type: kind = BS_DW_CONST; break;
	case DW_TAG_volatile_type: kind = BS_DW_VOLATILE; break;
	case DW_TAG_restrict_type: kind = BS_DW_RESTRICT; break;
	case DW_TAG_subroutine_type: kind = BS_DW_FUNC; break;
	default: return 0;
	}
	const char *name = name_of(r, die, 0);
	if (!name)
		return -1;
	struct bs_dwarf_type *t = new_type(r, off, kind, name);
	if (!t)
		return -1;
	Dwarf_Unsigned v = 0;
	int rc = udata(r, die, DW_AT_byte_size, &v);
	if (rc < 0)
		return -1;
	t->size = rc == DW_DLV_OK ? v : kind == BS_DW_POINTER ? 8 : 0;
	if (kind == BS_DW_BASE) {
		if ((rc = udata(r, die, DW_AT_encoding, &v)) < 0)
			return -1;
		t->encoding = rc == DW_DLV_OK ? (unsigned)v : 0;
	}
	t->declaration = has(r, die, DW_AT_declaration);
	uint64_t toff;
	if (type_of(r, die, &toff, 0))
		return -1;
	if (kind == BS_DW_STRUCT || kind == BS_DW_UNION || kind == BS_DW_ENUM || kind == BS_DW_ARRAY) {
		if (read_members(r, die, t))
			return -1;
		if ((kind == BS_DW_STRUCT || kind == BS_DW_UNION) && fix_members(r, die, t))
			return -1;
	}
	if (kind == BS_DW_ARRAY) {
		/* the element type goes to the innermost dimension */
		struct bs_dwarf_type *last = t;
		while (last->target)
			last = (struct bs_dwarf_type *)last->target;
		return add_fix(r, &last->target, toff);
	}
	if (kind == BS_DW_FUNC || kind == BS_DW_STRUCT || kind == BS_DW_UNION)
		return 0;
	return add_fix(r, &t->target, toff);
}

/* ---- scopes and variables ---- */
static int new_scope(struct rd *r, enum dw_scope_kind kind, int parent, Dwarf_Die die,
		     uint64_t cu_base, bool *made)
{
	struct dw_range *rs;
	size_t nr;
	*made = false;
	if (read_ranges(r, die, cu_base, &rs, &nr))
		return -1;
	if (!nr)
		return 0;  /* no code: a declaration, an abstract instance, or optimized away */
	if (!GROW(r->dw->scopes, r->dw->nscopes, r->capscopes))
		return nomem(r);
	struct dw_scope *s = &r->dw->scopes[r->dw->nscopes];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->parent = parent;
	s->ranges = rs;
	s->nranges = nr;
	s->name = "";
	s->call_file = "";
	if (kind != DW_SC_BLOCK && !(s->name = name_of(r, die, 0)))
		return -1;
	if (kind == DW_SC_INLINED) {
		Dwarf_Unsigned f = 0, l = 0;
		int frc = udata(r, die, DW_AT_call_file, &f), lrc = udata(r, die, DW_AT_call_line, &l);
		if (frc < 0 || lrc < 0)
			return -1;
		s->call_file = frc == DW_DLV_OK ? file_name(r, f) : "";
		s->call_line = lrc == DW_DLV_OK ? (uint32_t)l : 0;
	}
	r->dw->nscopes++;
	*made = true;
	return 0;
}

static int read_var(struct rd *r, Dwarf_Die die, Dwarf_Half tag, int scope, bool abstract)
{
	struct bs_dwarf_var v = {0};
	uint64_t toff = 0;
	Dwarf_Off origin = 0;
	if (ref_of(r, die, DW_AT_abstract_origin, &origin) < 0)
		return -1;
	Dwarf_Unsigned f = 0, l = 0;
	if (!(v.name = name_of(r, die, 0)) || type_of(r, die, &toff, 0) ||
	    read_loc(r, die, &v.loc))
		return -1;
	if (!v.name[0])
		return 0;  /* an unnamed parameter can be neither printed nor named */
	if (abstract) {
		/* an inlined function's variable the compiler left out of this
		 * instance: known by name, with no location */
		Dwarf_Off self = 0;
		if (dwarf_dieoffset(die, &self, &r->e) != DW_DLV_OK)
			return fail(r, "reading a DIE");
		for (size_t i = 0; i < r->dw->nvars; i++)
			if (r->var_scope[i] == scope && r->var_origin[i] == self)
				return 0;
		v.loc = NULL;
		origin = self;
	}
	int frc = udata(r, die, DW_AT_decl_file, &f), lrc = udata(r, die, DW_AT_decl_line, &l);
	if (frc < 0 || lrc < 0)
		return -1;
	if (frc == NONE || lrc == NONE) {
		Dwarf_Die o;
		if (origin_of(r, die, &o))
			return -1;
		if (o && ((frc = udata(r, o, DW_AT_decl_file, &f)) < 0 ||
			  (lrc = udata(r, o, DW_AT_decl_line, &l)) < 0))
			return -1;
	}
	v.decl_file = frc == DW_DLV_OK ? file_name(r, f) : "";
	v.decl_line = lrc == DW_DLV_OK ? (uint32_t)l : 0;
	v.is_param = tag == DW_TAG_formal_parameter;
	struct bs_dwarf *dw = r->dw;
	if (scope < 0) {
		/* a global needs an address to be of use */
		if (!v.loc || v.loc->is_list || v.loc->e.n != 1 ||
		    (v.loc->e.ops[0].atom != DW_OP_addr && v.loc->e.ops[0].atom != DW_OP_addrx))
			return 0;
		v.is_global = true;
		if (!GROW(dw->globals, dw->nglobals, r->capglobs))
			return nomem(r);
		uint64_t *gt = realloc(r->glob_type, r->capglobs * sizeof(*gt));
		if (!gt)
			return nomem(r);
		r->glob_type = gt;
		r->glob_type[dw->nglobals] = toff;
		dw->globals[dw->nglobals++] = v;
		return 0;
	}
	if (!GROW(dw->vars, dw->nvars, r->capvars))
		return nomem(r);
	int *vs = realloc(r->var_scope, r->capvars * sizeof(*vs));
	uint64_t *vt = vs ? realloc(r->var_type, r->capvars * sizeof(*vt)) : NULL;
	if (vs)
		r->var_scope = vs;
	if (vt)
		r->var_type = vt;
	uint64_t *vo = vt ? realloc(r->var_origin, r->capvars * sizeof(*vo)) : NULL;
	if (!vo)
		return nomem(r);
	r->var_origin = vo;
	r->var_origin[dw->nvars] = origin;
	r->var_scope[dw->nvars] = scope;
	r->var_type[dw->nvars] = toff;
	dw->vars[dw->nvars++] = v;
	return 0;
}

static int walk(struct rd *r, Dwarf_Die die, int scope, uint64_t cu_base, int depth);

/* The parameters and outermost variables of an inlined function's abstract
 * instance that its inlined copy does not mention. */
static int abstract_vars(struct rd *r, Dwarf_Die die, int scope)
{
	Dwarf_Die o = NULL, ch = NULL;
	if (origin_of(r, die, &o))
		return -1;
	int rc = o ? dwarf_child(o, &ch, &r->e) : DW_DLV_NO_ENTRY;
	while (rc == DW_DLV_OK) {
		Dwarf_Half tag = 0;
		if (dwarf_tag(ch, &tag, &r->e) != DW_DLV_OK)
			return fail(r, "reading a DIE");
		if ((tag == DW_TAG_formal_parameter || tag == DW_TAG_variable) &&
		    read_var(r, ch, tag, scope, true))
			return -1;
		Dwarf_Die next = NULL;
		rc = dwarf_siblingof_b(r->dbg, ch, true, &next, &r->e);
		ch = next;
	}
	return rc == DW_DLV_ERROR ? fail(r, "walking an abstract instance") : 0;
}

static int walk_children(struct rd *r, Dwarf_Die die, int scope, uint64_t cu_base, int depth)
{
	Dwarf_Die ch = NULL;
	int rc = dwarf_child(die, &ch, &r->e);
	while (rc == DW_DLV_OK) {
		if (walk(r, ch, scope, cu_base, depth + 1))
			return -1;
		Dwarf_Die next = NULL;
		rc = dwarf_siblingof_b(r->dbg, ch, true, &next, &r->e);
		ch = next;
	}
	return rc == DW_DLV_ERROR ? fail(r, "walking the DIE tree") : 0;
}

static int walk(struct rd *r, Dwarf_Die die, int scope, uint64_t cu_base, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(r, "DIEs nest too deep");
	Dwarf_Half tag = 0;
	Dwarf_Off off = 0;
	if (dwarf_tag(die, &tag, &r->e) != DW_DLV_OK || dwarf_dieoffset(die, &off, &r->e) != DW_DLV_OK)
		return fail(r, "reading a DIE");
	bool made = false;
	switch (tag) {
	case DW_TAG_subprogram:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_lexical_block: {
		enum dw_scope_kind k = tag == DW_TAG_subprogram ? DW_SC_FUNC :
				       tag == DW_TAG_inlined_subroutine ? DW_SC_INLINED : DW_SC_BLOCK;
		/* a function inside no code (an abstract instance) has no scope;
		 * its children are abstract too, but may declare types */
		if (new_scope(r, k, k == DW_SC_FUNC ? -1 : scope, die, cu_base, &made))
			return -1;
		int inner = made ? (int)r->dw->nscopes - 1 : k == DW_SC_BLOCK ? scope : -2;
		if (walk_children(r, die, inner, cu_base, depth))
			return -1;
		return made && k == DW_SC_INLINED ? abstract_vars(r, die, inner) : 0;
	}
	case DW_TAG_variable:
	case DW_TAG_formal_parameter:
		if (scope == -2)
			return 0;
		return read_var(r, die, tag, scope, false);
	case DW_TAG_base_type:
	case DW_TAG_pointer_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_array_type:
	case DW_TAG_enumeration_type:
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_subroutine_type:
		if (read_type(r, die, tag, off))
			return -1;
		/* C declares nested types inside structs in some compilers */
		if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type)
			return walk_children(r, die, -2, cu_base, depth);
		return 0;
	case DW_TAG_member:
	case DW_TAG_enumerator:
	case DW_TAG_subrange_type:
		return 0;
	default:
		return walk_children(r, die, scope, cu_base, depth);
	}
}

/* ---- lines ---- */
static void normalize_path(char *p)
{
	/* lexically: "/a/build/../src/x.c" -> "/a/src/x.c", "./" dropped */
	char *out = p, *in = p;
	bool abs = *p == '/';
	char *segs[256];
	int nseg = 0;
	if (abs)
		*out++ = *in++;
	while (*in) {
		char *s = in;
		while (*in && *in != '/')
			in++;
		size_t len = (size_t)(in - s);
		if (*in)
			in++;
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.' && nseg > 0 &&
		    !(segs[nseg - 1][0] == '.' && segs[nseg - 1][1] == '.' &&
		      (segs[nseg - 1][2] == '/' || !segs[nseg - 1][2]))) {
			out = segs[--nseg];
			continue;
		}
		if (nseg < 256)
			segs[nseg++] = out;
		memmove(out, s, len);
		out += len;
		*out++ = '/';
	}
	if (out > p + (abs ? 1 : 0) && out[-1] == '/')
		out--;
	*out = 0;
}

static int read_lines(struct rd *r, Dwarf_Die cu)
{
	Dwarf_Unsigned ver = 0;
	Dwarf_Small tables = 0;
	Dwarf_Line_Context ctx = NULL;
	int rc = dwarf_srclines_b(cu, &ver, &tables, &ctx, &r->e);
	if (rc == DW_DLV_NO_ENTRY)
		return 0;
	if (rc != DW_DLV_OK)
		return fail(r, "reading .debug_line");
	Dwarf_Line *lines = NULL;
	Dwarf_Signed n = 0;
	int ret = 0;
	if (dwarf_srclines_from_linecontext(ctx, &lines, &n, &r->e) != DW_DLV_OK) {
		ret = fail(r, "reading .debug_line");
		goto out;
	}
	const char *last_raw = NULL, *last = NULL;
	for (Dwarf_Signed i = 0; i < n && !ret; i++) {
		Dwarf_Addr addr = 0;
		Dwarf_Unsigned lno = 0, col = 0;
		Dwarf_Bool stmt = 0, end = 0;
		char *src = NULL;
		if (dwarf_lineaddr(lines[i], &addr, &r->e) != DW_DLV_OK ||
		    dwarf_lineno(lines[i], &lno, &r->e) != DW_DLV_OK ||
		    dwarf_lineoff_b(lines[i], &col, &r->e) != DW_DLV_OK ||
		    dwarf_linebeginstatement(lines[i], &stmt, &r->e) != DW_DLV_OK ||
		    dwarf_lineendsequence(lines[i], &end, &r->e) != DW_DLV_OK) {
			ret = fail(r, "reading a .debug_line row");
			break;
		}
		rc = dwarf_linesrc(lines[i], &src, &r->e);
		if (rc == DW_DLV_ERROR) {
			ret = fail(r, "reading a .debug_line file name");
			break;
		}
		const char *file = "";
		if (rc == DW_DLV_OK && src) {
			if (last_raw && strcmp(last_raw, src) == 0) {
				file = last;
			} else {
				char *f = dw_strdup(r->dw, src);
				if (!f) {
					ret = nomem(r);
					break;
				}
				normalize_path(f);
				last_raw = src;
				file = last = f;
			}
		}
		if (!GROW(r->rows, r->nrows, r->caprows)) {
			ret = nomem(r);
			break;
		}
		r->rows[r->nrows++] = (struct dw_row){addr, file, (uint32_t)lno, (uint32_t)col,
						      stmt != 0, end != 0};
	}
out:
	dwarf_srclines_dealloc_b(ctx);
	return ret;
}

/* ---- putting it together ---- */
static int cmp_ty(const void *a, const void *b)
{
	const struct tyent *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static struct bs_dwarf_type *find_ty(struct rd *r, uint64_t off)
{
	size_t lo = 0, hi = r->ntys;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->tys[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->ntys && r->tys[lo].off == off ? r->tys[lo].t : NULL;
}

static uint64_t size_of(const struct bs_dwarf_type *t, int depth)
{
	if (!t || depth > MAX_DEPTH)
		return 0;
	switch (t->kind) {
	case BS_DW_ARRAY:
		return t->count * size_of(t->target, depth + 1);
	case BS_DW_TYPEDEF:
	case BS_DW_CONST:
	case BS_DW_VOLATILE:
	case BS_DW_RESTRICT:
		return size_of(t->target, depth + 1);
	case BS_DW_ENUM:
		return t->size ? t->size : size_of(t->target, depth + 1);
	default:
		return t->size;
	}
}

static int resolve_types(struct rd *r)
{
	if (r->ntys)  /* no types: tys is NULL, which qsort may not take */
		qsort(r->tys, r->ntys, sizeof(*r->tys), cmp_ty);
	for (size_t i = 0; i < r->nfixes; i++) {
		struct bs_dwarf_type *t = find_ty(r, r->fixes[i].off);
		if (!t)
			return fail(r, "a type reference points to no type");
		*r->fixes[i].slot = t;
	}
	struct bs_dwarf *dw = r->dw;
	for (size_t i = 0; i < dw->nvars; i++)
		dw->vars[i].type = r->var_type[i] ? find_ty(r, r->var_type[i]) : NULL;
	for (size_t i = 0; i < dw->nglobals; i++)
		dw->globals[i].type = r->glob_type[i] ? find_ty(r, r->glob_type[i]) : NULL;
	dw->types = malloc((r->ntys ? r->ntys : 1) * sizeof(*dw->types));
	if (!dw->types)
		return nomem(r);
	for (size_t i = 0; i < r->ntys; i++) {
		struct bs_dwarf_type *t = r->tys[i].t;
		/* sizes of arrays and aliases come from what they refer to, and
		 * the synthetic inner dimensions of arrays too */
		for (struct bs_dwarf_type *a = t; a; a = a->kind == BS_DW_ARRAY && a->target &&
							 a->target->kind == BS_DW_ARRAY && !a->target->name[0] ?
							 (struct bs_dwarf_type *)a->target : NULL)
			if (a->kind != BS_DW_BASE && a->kind != BS_DW_STRUCT && a->kind != BS_DW_UNION &&
			    a->kind != BS_DW_POINTER && !(a->kind == BS_DW_ENUM && a->size))
				a->size = size_of(a, 0);
		dw->types[i] = t;
	}
	dw->ntypes = r->ntys;
	return 0;
}

/* vars sorted by scope so each scope has a contiguous slice */
static int group_vars(struct rd *r)
{
	struct bs_dwarf *dw = r->dw;
	struct bs_dwarf_var *sorted = malloc((dw->nvars ? dw->nvars : 1) * sizeof(*sorted));
	if (!sorted)
		return nomem(r);
	size_t at = 0;
	for (size_t s = 0; s < dw->nscopes; s++) {
		dw->scopes[s].first_var = at;
		for (size_t i = 0; i < dw->nvars; i++)
			if (r->var_scope[i] == (int)s)
				sorted[at++] = dw->vars[i];
		dw->scopes[s].nvars = at - dw->scopes[s].first_var;
	}
	free(dw->vars);
	dw->vars = sorted;
	dw->nvars = at;
	return 0;
}

static int read_cus(struct rd *r)
{
	bool any = false;
	for (;;) {
		Dwarf_Unsigned hlen = 0, next = 0, toff = 0;
		Dwarf_Half ver = 0, asz = 0, lsz = 0, esz = 0, utype = 0;
		Dwarf_Off abbr = 0;
		Dwarf_Sig8 sig;
		int rc = dwarf_next_cu_header_d(r->dbg, true, &hlen, &ver, &abbr, &asz, &lsz, &esz, &sig,
						&toff, &next, &utype, &r->e);
		if (rc == DW_DLV_NO_ENTRY)
			break;
		if (rc != DW_DLV_OK)
			return fail(r, "reading a compile unit header");
		Dwarf_Die cu = NULL;
		if (dwarf_siblingof_b(r->dbg, NULL, true, &cu, &r->e) != DW_DLV_OK)
			return fail(r, "reading a compile unit");
		if (ver < 2 || ver > 5 || asz != 8) {
			snprintf(r->why, r->wlen, "a compile unit is DWARF %u with %u-byte addresses",
				 ver, asz);
			return -1;
		}
		if (!any)
			r->dw->version = ver;
		any = true;
		Dwarf_Half tag = 0;
		if (dwarf_tag(cu, &tag, &r->e) != DW_DLV_OK)
			return fail(r, "reading a compile unit");
		if (utype == DW_UT_skeleton || utype == DW_UT_split_compile ||
		    has(r, cu, DW_AT_dwo_name) || has(r, cu, DW_AT_GNU_dwo_name)) {
			snprintf(r->why, r->wlen, "split DWARF (-gsplit-dwarf): the variables are in a "
				 ".dwo file, which is not read");
			return -1;
		}
		if (tag != DW_TAG_compile_unit && tag != DW_TAG_partial_unit)
			continue;
		r->cu_version = ver;
		r->files = NULL;
		r->nfiles = 0;
		int frc = dwarf_srcfiles(cu, &r->files, &r->nfiles, &r->e);
		if (frc == DW_DLV_ERROR)
			return fail(r, "reading the file names of .debug_line");
		for (Dwarf_Signed i = 0; i < r->nfiles; i++) {
			char *f = dw_strdup(r->dw, r->files[i]);
			if (!f)
				return nomem(r);
			normalize_path(f);
			r->files[i] = f;  /* libdwarf's own strings are freed at finish */
		}
		Dwarf_Addr base = 0;
		if (dwarf_lowpc(cu, &base, &r->e) == DW_DLV_ERROR)
			return fail(r, "reading a compile unit's low pc");
		if (read_lines(r, cu) || walk_children(r, cu, -1, base, 0))
			return -1;
	}
	if (!any) {
		snprintf(r->why, r->wlen, ".debug_info has no compile unit");
		return -1;
	}
	return resolve_types(r) || group_vars(r) ? -1 : 0;
}

int ldr_dwarf_read(struct ldr_ctx *c, struct bs_dwarf **out, struct dw_row **rows, size_t *nrows,
		   char *why, size_t wlen)
{
	*out = NULL;
	*rows = NULL;
	*nrows = 0;
	struct dw_obj obj = {.nsecs = 1};
	obj.secs[0].name = "";
	bool info = false;
	for (size_t i = 1; i < c->nscns; i++) {
		const struct ldr_section *s = &c->scns[i];
		if (strncmp(s->name, ".debug_", 7) != 0 || s->sh.sh_type != SHT_PROGBITS)
			continue;
		if (s->sh.sh_flags & SHF_COMPRESSED) {
			snprintf(why, wlen, "%s is compressed", s->name);
			free_obj(&obj);
			return -1;
		}
		if (obj.nsecs == MAX_SECTIONS)
			break;
		if (relocate(c, i, &obj.secs[obj.nsecs], why, wlen)) {
			free(obj.secs[obj.nsecs].data);
			free_obj(&obj);
			return -1;
		}
		info |= strcmp(s->name, ".debug_info") == 0;
		obj.nsecs++;
	}
	if (!info) {
		free_obj(&obj);
		return 0;  /* no -g: nothing to say */
	}
	if (ldr_dwarf_check(obj.secs, obj.nsecs, why, wlen)) {
		free_obj(&obj);
		return -1;
	}
	struct rd r = {.c = c, .why = why, .wlen = wlen};
	r.dw = calloc(1, sizeof(*r.dw));
	if (!r.dw) {
		free_obj(&obj);
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	Dwarf_Obj_Access_Interface iface = {.object = &obj, .methods = &methods};
	int rc = dwarf_object_init_b(&iface, NULL, NULL, DW_GROUPNUMBER_ANY, &r.dbg, &r.e);
	int ret = -1;
	if (rc == DW_DLV_OK)
		ret = read_cus(&r);
	else if (rc == DW_DLV_NO_ENTRY)
		snprintf(why, wlen, "libdwarf finds no DWARF");
	else
		fail(&r, "opening");
	/* an error of a failed init belongs to no dbg: only this frees it */
	if (r.e)
		dwarf_dealloc_error(r.dbg, r.e);
	if (r.dbg) {
		Dwarf_Error fe = NULL;
		dwarf_object_finish(r.dbg, &fe);
	}
	free(r.tys);
	free(r.fixes);
	free(r.var_scope);
	free(r.var_type);
	free(r.var_origin);
	free(r.glob_type);
	free_obj(&obj);
	if (ret) {
		free(r.rows);
		dw_free(r.dw);
		return -1;
	}
	*out = r.dw;
	*rows = r.rows;
	*nrows = r.nrows;
	return 0;
}
