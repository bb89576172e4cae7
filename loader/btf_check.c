// SPDX-License-Identifier: MIT
/* The meaning of decoded BTF records: every reference in range and of a
 * kind that may be referred to, the kernel's per-kind rules (INT sizes and
 * bits, FUNC of a FUNC_PROTO, DATASEC of VARs, DECL_TAG components), no
 * type containing itself, and every struct member inside its struct. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/btf_private.h"
#include "vm/error.h"

#define NO_SIZE UINT64_MAX

/* ".BTF: type 12 at offset 0x1a4: ..." */
int ldr_btf_type_err(struct bs_error *err, const struct bs_btf_type *t, const char *fmt, ...)
{
	char msg[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vm_err(err, BS_ERR_PARSE, BS_NO_PC, ".BTF: type %u at offset 0x%x: %s", t->id,
		      t->offset, msg);
}

/* ---- semantic checks ---- */

/* Kinds that name a value's type; FUNC, VAR, DATASEC and DECL_TAG are
 * declarations, not types, and cannot be pointed to or contained. */
static bool is_type_kind(enum bs_btf_kind k)
{
	return k != BS_BTF_FUNC && k != BS_BTF_VAR && k != BS_BTF_DATASEC && k != BS_BTF_DECL_TAG;
}

static int check_ref(const struct bs_btf *btf, const struct bs_btf_type *t, uint32_t ref,
		     bool void_ok, const char *what, struct bs_error *err)
{
	if (ref > btf->nr_types)
		return ldr_btf_type_err(err, t, "%s references type %u, but there are %u types", what, ref,
				btf->nr_types);
	if (ref == 0 && !void_ok)
		return ldr_btf_type_err(err, t, "%s references void (type 0)", what);
	const struct bs_btf_type *r = &btf->types[ref];
	if (!is_type_kind(r->kind))
		return ldr_btf_type_err(err, t, "%s references type %u, a %s, which is not a type", what, ref,
				bs_btf_kind_name(r->kind));
	return 0;
}

static bool pow2_size(uint32_t s, uint32_t max)
{
	return s && s <= max && (s & (s - 1)) == 0;
}

static int check_type(const struct bs_btf *btf, const struct bs_btf_type *t, struct bs_error *err)
{
	const char *kn = bs_btf_kind_name(t->kind);
	char what[64];
	switch (t->kind) {
	case BS_BTF_INT: {
		unsigned enc = t->int_info.encoding;
		if (!pow2_size(t->size, 16))
			return ldr_btf_type_err(err, t, "INT size %u is not 1, 2, 4, 8 or 16", t->size);
		if (t->int_info.bits == 0 || t->int_info.bits > 128 ||
		    t->int_info.bit_offset + t->int_info.bits > t->size * 8)
			return ldr_btf_type_err(err, t, "INT of %u bytes cannot hold %u bits at bit offset %u",
					t->size, t->int_info.bits, t->int_info.bit_offset);
		if (enc & (enc - 1) || enc > BS_BTF_INT_BOOL)
			return ldr_btf_type_err(err, t, "INT encoding 0x%x is not SIGNED, CHAR or BOOL", enc);
		return 0;
	}
	case BS_BTF_PTR:
	case BS_BTF_VOLATILE:
	case BS_BTF_CONST:
	case BS_BTF_RESTRICT:
	case BS_BTF_TYPEDEF:
	case BS_BTF_TYPE_TAG:
		if ((t->kind == BS_BTF_TYPEDEF || t->kind == BS_BTF_TYPE_TAG) && !t->name[0])
			return ldr_btf_type_err(err, t, "%s has no name", kn);
		return check_ref(btf, t, t->type, true, kn, err);
	case BS_BTF_ARRAY:
		if (check_ref(btf, t, t->array.type, false, "ARRAY element type", err))
			return -1;
		return check_ref(btf, t, t->array.index_type, true, "ARRAY index type", err);
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
		for (unsigned i = 0; i < t->vlen; i++) {
			const struct bs_btf_member *m = &t->members[i];
			if (m->name[0])
				snprintf(what, sizeof(what), "member %u ('%.32s')", i, m->name);
			else
				snprintf(what, sizeof(what), "member %u", i);
			if (check_ref(btf, t, m->type, false, what, err))
				return -1;
			if (m->bitfield_size > 128)
				return ldr_btf_type_err(err, t, "%s is a bitfield of %u bits (at most 128)", what,
						m->bitfield_size);
		}
		return 0;
	case BS_BTF_ENUM:
		if (!pow2_size(t->size, 8))
			return ldr_btf_type_err(err, t, "ENUM size %u is not 1, 2, 4 or 8", t->size);
		return 0;
	case BS_BTF_ENUM64:
		if (!pow2_size(t->size, 8))
			return ldr_btf_type_err(err, t, "ENUM64 size %u is not 1, 2, 4 or 8", t->size);
		return 0;
	case BS_BTF_FWD:
		if (!t->name[0])
			return ldr_btf_type_err(err, t, "FWD has no name");
		return 0;
	case BS_BTF_FUNC: {
		if (!t->name[0])
			return ldr_btf_type_err(err, t, "FUNC has no name");
		if (t->linkage > BS_BTF_EXTERN)
			return ldr_btf_type_err(err, t, "FUNC linkage %u is not static, global or extern",
					t->linkage);
		if (t->type == 0 || t->type > btf->nr_types ||
		    btf->types[t->type].kind != BS_BTF_FUNC_PROTO)
			return ldr_btf_type_err(err, t, "FUNC references type %u, which is not a FUNC_PROTO",
					t->type);
		return 0;
	}
	case BS_BTF_FUNC_PROTO:
		if (check_ref(btf, t, t->type, true, "return type", err))
			return -1;
		for (unsigned i = 0; i < t->vlen; i++) {
			const struct bs_btf_param *p = &t->params[i];
			bool varargs = i + 1 == t->vlen && p->type == 0 && !p->name[0];
			snprintf(what, sizeof(what), "parameter %u", i);
			if (check_ref(btf, t, p->type, varargs, what, err))
				return -1;
		}
		return 0;
	case BS_BTF_VAR:
		if (!t->name[0])
			return ldr_btf_type_err(err, t, "VAR has no name");
		if (t->linkage > BS_BTF_EXTERN)
			return ldr_btf_type_err(err, t, "VAR linkage %u is not static, global or extern",
					t->linkage);
		return check_ref(btf, t, t->type, false, "VAR", err);
	case BS_BTF_DATASEC:
		if (!t->name[0])
			return ldr_btf_type_err(err, t, "DATASEC has no name");
		for (unsigned i = 0; i < t->vlen; i++) {
			uint32_t ref = t->vars[i].type;
			if (ref == 0 || ref > btf->nr_types)
				return ldr_btf_type_err(err, t, "variable %u references type %u, but there are %u "
						"types", i, ref, btf->nr_types);
			enum bs_btf_kind k = btf->types[ref].kind;
			if (k != BS_BTF_VAR && k != BS_BTF_FUNC)
				return ldr_btf_type_err(err, t, "variable %u references type %u, a %s, not a VAR",
						i, ref, bs_btf_kind_name(k));
		}
		return 0;
	case BS_BTF_FLOAT:
		if (t->size != 2 && t->size != 4 && t->size != 8 && t->size != 12 && t->size != 16)
			return ldr_btf_type_err(err, t, "FLOAT size %u is not 2, 4, 8, 12 or 16", t->size);
		return 0;
	case BS_BTF_DECL_TAG: {
		if (!t->name[0])
			return ldr_btf_type_err(err, t, "DECL_TAG has no name");
		if (t->type == 0 || t->type > btf->nr_types)
			return ldr_btf_type_err(err, t, "DECL_TAG references type %u, but there are %u types",
					t->type, btf->nr_types);
		const struct bs_btf_type *r = &btf->types[t->type];
		long n;
		switch (r->kind) {
		case BS_BTF_STRUCT:
		case BS_BTF_UNION: n = r->vlen; break;
		case BS_BTF_FUNC: n = btf->types[r->type].vlen; break;
		case BS_BTF_VAR:
		case BS_BTF_TYPEDEF: n = 0; break;
		default:
			return ldr_btf_type_err(err, t, "DECL_TAG targets type %u, a %s (it must be a struct, "
					"union, function, variable or typedef)", t->type,
					bs_btf_kind_name(r->kind));
		}
		if (t->component_idx < -1 || t->component_idx >= n)
			return ldr_btf_type_err(err, t, "DECL_TAG component_idx %d is out of range for type %u "
					"(%ld components)", t->component_idx, t->type, n);
		return 0;
	}
	default:
		return ldr_btf_type_err(err, t, "unknown kind %u", t->kind);
	}
}

/* ---- reference loops and sizes ---- */

/* Types that t contains by value: what its size is made of. Pointers and
 * function prototypes contain nothing, so a struct may point to itself. */
static uint32_t contained(const struct bs_btf_type *t, uint32_t i, bool *more)
{
	*more = false;
	switch (t->kind) {
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
		*more = i < t->vlen;
		return *more ? t->members[i].type : 0;
	case BS_BTF_DATASEC:
		*more = i < t->vlen;
		return *more ? t->vars[i].type : 0;
	case BS_BTF_ARRAY:
		*more = i == 0;
		return t->array.type;
	case BS_BTF_TYPEDEF:
	case BS_BTF_VOLATILE:
	case BS_BTF_CONST:
	case BS_BTF_RESTRICT:
	case BS_BTF_TYPE_TAG:
	case BS_BTF_VAR:
		*more = i == 0;
		return t->type;
	default:
		return 0;
	}
}

static uint64_t own_size(const struct bs_btf *btf, const struct bs_btf_type *t, const uint64_t *sz)
{
	switch (t->kind) {
	case BS_BTF_INT:
	case BS_BTF_STRUCT:
	case BS_BTF_UNION:
	case BS_BTF_ENUM:
	case BS_BTF_ENUM64:
	case BS_BTF_DATASEC:
	case BS_BTF_FLOAT:
		return t->size;
	case BS_BTF_PTR:
		return 8;
	case BS_BTF_ARRAY: {
		uint64_t e = sz[t->array.type];
		if (e == NO_SIZE)
			return NO_SIZE;
		/* saturate: only the member bounds check reads these */
		if (t->array.nelems && e > (UINT64_MAX - 1) / t->array.nelems)
			return UINT64_MAX - 1;
		return e * t->array.nelems;
	}
	case BS_BTF_TYPEDEF:
	case BS_BTF_VOLATILE:
	case BS_BTF_CONST:
	case BS_BTF_RESTRICT:
	case BS_BTF_TYPE_TAG:
	case BS_BTF_VAR:
		return t->type ? sz[t->type] : NO_SIZE;
	default:
		(void)btf;
		return NO_SIZE;
	}
}

/* A struct member must lie inside the struct, as the kernel checks, so
 * that the C dump never computes negative padding. */
static int check_members(const struct bs_btf *btf, const struct bs_btf_type *t, const uint64_t *sz,
			 struct bs_error *err)
{
	for (unsigned i = 0; i < t->vlen; i++) {
		const struct bs_btf_member *m = &t->members[i];
		uint64_t bits;
		if (m->bitfield_size) {
			bits = m->bitfield_size;
		} else {
			if (sz[m->type] == NO_SIZE)
				return ldr_btf_type_err(err, t, "member %u ('%.32s') has type %u, a %s, which has "
						"no size", i, m->name, m->type,
						bs_btf_kind_name(btf->types[bs_btf_skip_mods(btf, m->type)].kind));
			const struct bs_btf_type *mt = &btf->types[bs_btf_skip_mods(btf, m->type)];
			/* kflag 0 encodes a bitfield as an INT of fewer bits */
			if (mt->kind == BS_BTF_INT && mt->int_info.bits < mt->size * 8)
				bits = (uint64_t)mt->int_info.bit_offset + mt->int_info.bits;
			else
				bits = sz[m->type] > UINT64_MAX / 8 ? UINT64_MAX : sz[m->type] * 8;
		}
		if (bits > (uint64_t)t->size * 8 || m->bit_offset > (uint64_t)t->size * 8 - bits)
			return ldr_btf_type_err(err, t, "member %u ('%.32s') at bit offset %u, %llu bits long, "
					"ends past the end of the %u-byte %s", i, m->name,
					m->bit_offset, (unsigned long long)bits, t->size,
					bs_btf_kind_name(t->kind));
	}
	return 0;
}

/* The one successor of a type that only qualifies, names or points to
 * another. */
static bool chain_next(const struct bs_btf_type *t, uint32_t *next)
{
	switch (t->kind) {
	case BS_BTF_PTR:
	case BS_BTF_CONST:
	case BS_BTF_VOLATILE:
	case BS_BTF_RESTRICT:
	case BS_BTF_TYPEDEF:
	case BS_BTF_TYPE_TAG:
		*next = t->type;
		return true;
	case BS_BTF_ARRAY:
		*next = t->array.type;
		return true;
	default:
		return false;
	}
}

/* Depth-first over the "contains" edges with an explicit stack, so that
 * a crafted chain of a million typedefs cannot overflow the C stack. A
 * type met again while still on the stack closes a loop. */
static int check_containment(const struct bs_btf *btf, uint64_t *sz, struct bs_error *err)
{
	uint32_t n = btf->nr_types;
	uint8_t *color = calloc(n + 1, 1); /* 0 new, 1 on the stack, 2 done */
	struct frame { uint32_t id, next; } *stack = malloc(sizeof(*stack) * (n + 1));
	int rc = -1;
	uint32_t c_next = 0;
	if (!color || !stack) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, ".BTF: out of memory checking %u types", n);
		goto out;
	}
	color[0] = 2;
	sz[0] = NO_SIZE;
	for (uint32_t root = 1; root <= n; root++) {
		if (color[root])
			continue;
		size_t top = 0;
		stack[top++] = (struct frame){root, 0};
		color[root] = 1;
		while (top) {
			struct frame *f = &stack[top - 1];
			const struct bs_btf_type *t = &btf->types[f->id];
			bool more;
			uint32_t c = contained(t, f->next++, &more);
			if (more) {
				if (color[c] == 1) {
					ldr_btf_type_err(err, &btf->types[c], "%s '%s' contains itself through type %u "
						 "(a reference loop)", bs_btf_kind_name(btf->types[c].kind),
						 btf->types[c].name, f->id);
					goto out;
				}
				if (color[c] == 0) {
					color[c] = 1;
					stack[top++] = (struct frame){c, 0};
				}
				continue;
			}
			sz[f->id] = own_size(btf, t, sz);
			if ((t->kind == BS_BTF_STRUCT || t->kind == BS_BTF_UNION) &&
			    check_members(btf, t, sz, err))
				goto out;
			color[f->id] = 2;
			top--;
		}
	}
	/* Pointer chains: a PTR that (through modifiers or an array) leads
	 * back to itself is no C type and would send any walker round forever.
	 * Each such type has one successor, so one walk per chain suffices. */
	memset(color, 0, n + 1);
	for (uint32_t root = 1; root <= n; root++) {
		uint32_t id = root;
		while (id && !color[id] && chain_next(&btf->types[id], &c_next)) {
			color[id] = 1;
			id = c_next;
		}
		if (id && color[id] == 1) {
			ldr_btf_type_err(err, &btf->types[id], "%s refers to itself through a chain of pointers, "
				 "arrays and modifiers (a reference loop)",
				 bs_btf_kind_name(btf->types[id].kind));
			goto out;
		}
		for (id = root; id && color[id] == 1; id = c_next) {
			color[id] = 2;
			chain_next(&btf->types[id], &c_next);
		}
	}
	rc = 0;
out:
	free(color);
	free(stack);
	return rc;
}

int ldr_btf_check(const struct bs_btf *btf, struct bs_error *err)
{
	for (uint32_t id = 1; id <= btf->nr_types; id++)
		if (check_type(btf, &btf->types[id], err))
			return -1;
	uint64_t *sz = malloc(sizeof(*sz) * ((size_t)btf->nr_types + 1));
	if (!sz)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, ".BTF: out of memory checking %u types",
			      btf->nr_types);
	int rc = check_containment(btf, sz, err);
	free(sz);
	return rc;
}
