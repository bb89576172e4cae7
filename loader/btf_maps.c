// SPDX-License-Identifier: MIT
/* BTF-defined maps: the structs in the .maps section that libbpf's
 * bpf_helpers.h macros write. Every attribute is encoded in a member's
 * type, never in data:
 *   __uint(name, N)          int (*name)[N]      N is the array's length
 *   __type(name, T)          typeof(T) *name     T is the pointee
 *   __array(values, struct X) typeof(X) *values[] inner map definition
 * The rules follow libbpf's parse_btf_map_def, so an object this accepts
 * is one libbpf would load the same way. */
#include "bpfstep/btf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vm/error.h"

/* enum bpf_map_type values that the rules below depend on */
enum { MAP_PROG_ARRAY = 3, MAP_ARRAY_OF_MAPS = 12, MAP_HASH_OF_MAPS = 13 };

static int map_err(struct bs_error *err, const char *map, const char *member, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "map 'counts': member 'max_entries': ..." */
static int map_err(struct bs_error *err, const char *map, const char *member, const char *fmt, ...)
{
	char msg[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (member)
		return vm_err(err, BS_ERR_PARSE, BS_NO_PC, ".BTF: map '%s': member '%s': %s", map,
			      member, msg);
	return vm_err(err, BS_ERR_PARSE, BS_NO_PC, ".BTF: map '%s': %s", map, msg);
}

static const char *kind_of(const struct bs_btf *btf, uint32_t id)
{
	return id ? bs_btf_kind_name(bs_btf_type_by_id(btf, id)->kind) : "void";
}

/* __uint(name, N): a pointer (through modifiers) to an array of N. */
static int get_uint(const struct bs_btf *btf, const char *map, const struct bs_btf_member *m,
		    uint32_t *val, struct bs_error *err)
{
	const struct bs_btf_type *p = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, m->type));
	if (p->kind != BS_BTF_PTR)
		return map_err(err, map, m->name, "expected __uint(%s, N), a pointer to an array, got "
			       "%s (type %u)", m->name, kind_of(btf, p->id), p->id);
	const struct bs_btf_type *a = bs_btf_type_by_id(btf, p->type);
	if (a->kind != BS_BTF_ARRAY)
		return map_err(err, map, m->name, "expected __uint(%s, N), a pointer to an array, got "
			       "a pointer to %s (type %u)", m->name, kind_of(btf, a->id), a->id);
	*val = a->array.nelems;
	return 0;
}

/* __type(name, T): the pointee and its size. */
static int get_type(const struct bs_btf *btf, const char *map, const struct bs_btf_member *m,
		    uint32_t *type_id, uint32_t *size, struct bs_error *err)
{
	const struct bs_btf_type *p = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, m->type));
	if (p->kind != BS_BTF_PTR)
		return map_err(err, map, m->name, "expected __type(%s, T), a pointer, got %s (type %u)",
			       m->name, kind_of(btf, p->id), p->id);
	uint64_t sz;
	struct bs_error sub;
	if (bs_btf_resolve_size(btf, p->type, &sz, &sub))
		return map_err(err, map, m->name, "%s", sub.message);
	if (sz > UINT32_MAX)
		return map_err(err, map, m->name, "type %u is %llu bytes, too large for a map", p->type,
			       (unsigned long long)sz);
	*type_id = p->type;
	*size = (uint32_t)sz;
	return 0;
}

static int parse_def(const struct bs_btf *btf, const char *map, uint32_t type_id,
		     struct bs_btf_map_attrs *a, struct bs_btf_map_attrs *inner, struct bs_error *err);

static int parse_values(const struct bs_btf *btf, const char *map, const struct bs_btf_member *m,
			struct bs_btf_map_attrs *a, struct bs_btf_map_attrs *inner,
			struct bs_error *err)
{
	if (!inner)
		return map_err(err, map, m->name, "an inner map cannot itself hold maps (multi-level "
			       "map-in-map is not supported)");
	bool in_map = a->map_type == MAP_ARRAY_OF_MAPS || a->map_type == MAP_HASH_OF_MAPS;
	bool prog = a->map_type == MAP_PROG_ARRAY;
	if (!in_map && !prog)
		return map_err(err, map, m->name, "__array(values, ...) needs a map-in-map or prog "
			       "array type set before it, but the type is %u", a->map_type);
	if ((a->parts & BS_BTF_MAP_VALUE_SIZE) && a->value_size != 4)
		return map_err(err, map, m->name, "conflicting value size %u != 4", a->value_size);
	a->value_size = 4;
	a->parts |= BS_BTF_MAP_VALUE_SIZE;
	const struct bs_btf_type *arr = bs_btf_type_by_id(btf, m->type);
	if (arr->kind != BS_BTF_ARRAY || arr->array.nelems)
		return map_err(err, map, m->name, "expected __array(values, ...), a zero-length array "
			       "of pointers, got %s (type %u)", kind_of(btf, arr->id), arr->id);
	const struct bs_btf_type *p =
		bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, arr->array.type));
	if (p->kind != BS_BTF_PTR)
		return map_err(err, map, m->name, "the array's elements are %s (type %u), not pointers",
			       kind_of(btf, p->id), p->id);
	const struct bs_btf_type *def = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, p->type));
	if (prog) {
		if (def->kind != BS_BTF_FUNC_PROTO)
			return map_err(err, map, m->name, "a prog array's values must point to "
				       "functions, not %s (type %u)", kind_of(btf, def->id), def->id);
		a->parts |= BS_BTF_MAP_PROG_VALUES;
		return 0;
	}
	if (def->kind != BS_BTF_STRUCT)
		return map_err(err, map, m->name, "the inner map definition is %s (type %u), not a "
			       "struct", kind_of(btf, def->id), def->id);
	char inner_name[128];
	snprintf(inner_name, sizeof(inner_name), "%s.inner", map);
	if (parse_def(btf, inner_name, def->id, inner, NULL, err))
		return -1;
	a->parts |= BS_BTF_MAP_INNER;
	return 0;
}

/* One definition struct; inner is NULL when parsing an inner map. */
static int parse_def(const struct bs_btf *btf, const char *map, uint32_t type_id,
		     struct bs_btf_map_attrs *a, struct bs_btf_map_attrs *inner, struct bs_error *err)
{
	const struct bs_btf_type *t = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, type_id));
	if (!t || t->kind != BS_BTF_STRUCT)
		return map_err(err, map, NULL, "the definition is %s (type %u), not a struct",
			       t ? kind_of(btf, t->id) : "missing", t ? t->id : type_id);
	memset(a, 0, sizeof(*a));
	a->def_type_id = t->id;
	/* __uint members and the part bit each sets */
	static const struct {
		const char *name;
		size_t off;
		uint32_t part;
	} uints[] = {
		{"type", offsetof(struct bs_btf_map_attrs, map_type), BS_BTF_MAP_TYPE},
		{"max_entries", offsetof(struct bs_btf_map_attrs, max_entries), BS_BTF_MAP_MAX_ENTRIES},
		{"map_flags", offsetof(struct bs_btf_map_attrs, map_flags), BS_BTF_MAP_FLAGS},
		{"numa_node", offsetof(struct bs_btf_map_attrs, numa_node), BS_BTF_MAP_NUMA_NODE},
		{"pinning", offsetof(struct bs_btf_map_attrs, pinning), BS_BTF_MAP_PINNING},
	};
	for (unsigned i = 0; i < t->vlen; i++) {
		const struct bs_btf_member *m = &t->members[i];
		uint32_t v, tid, sz;
		size_t u;
		if (!m->name[0])
			return map_err(err, map, NULL, "member %u of the definition has no name", i);
		for (u = 0; u < sizeof(uints) / sizeof(uints[0]); u++)
			if (strcmp(m->name, uints[u].name) == 0)
				break;
		if (u < sizeof(uints) / sizeof(uints[0])) {
			if (get_uint(btf, map, m, &v, err))
				return -1;
			memcpy((char *)a + uints[u].off, &v, sizeof(v));
			a->parts |= uints[u].part;
			if (uints[u].part == BS_BTF_MAP_PINNING && v > 1)
				return map_err(err, map, m->name, "invalid pinning value %u (0: none, 1: "
					       "by name)", v);
		} else if (strcmp(m->name, "map_extra") == 0) {
			if (get_uint(btf, map, m, &v, err))
				return -1;
			a->map_extra = v;
			a->parts |= BS_BTF_MAP_EXTRA;
		} else if (strcmp(m->name, "key_size") == 0 || strcmp(m->name, "value_size") == 0) {
			bool key = m->name[0] == 'k';
			uint32_t *dst = key ? &a->key_size : &a->value_size;
			uint32_t part = key ? BS_BTF_MAP_KEY_SIZE : BS_BTF_MAP_VALUE_SIZE;
			if (get_uint(btf, map, m, &v, err))
				return -1;
			if ((a->parts & part) && *dst != v)
				return map_err(err, map, m->name, "conflicting %s size %u != %u",
					       key ? "key" : "value", *dst, v);
			*dst = v;
			a->parts |= part;
		} else if (strcmp(m->name, "key") == 0 || strcmp(m->name, "value") == 0) {
			bool key = m->name[0] == 'k';
			uint32_t *dst = key ? &a->key_size : &a->value_size;
			uint32_t part = key ? BS_BTF_MAP_KEY_SIZE : BS_BTF_MAP_VALUE_SIZE;
			if (get_type(btf, map, m, &tid, &sz, err))
				return -1;
			if ((a->parts & part) && *dst != sz)
				return map_err(err, map, m->name, "conflicting %s size %u != %u",
					       key ? "key" : "value", *dst, sz);
			*dst = sz;
			a->parts |= part | (key ? BS_BTF_MAP_KEY_TYPE : BS_BTF_MAP_VALUE_TYPE);
			if (key)
				a->key_type_id = tid;
			else
				a->value_type_id = tid;
		} else if (strcmp(m->name, "values") == 0) {
			if (parse_values(btf, map, m, a, inner, err))
				return -1;
		} else {
			return map_err(err, map, m->name, "unknown attribute (libbpf knows type, key, "
				       "value, key_size, value_size, max_entries, map_flags, "
				       "numa_node, pinning, map_extra and values)");
		}
	}
	return 0;
}

int bs_btf_map_def(const struct bs_btf *btf, uint32_t var_id, struct bs_btf_map_def *def,
		   struct bs_error *err)
{
	memset(def, 0, sizeof(*def));
	bs_error_clear(err);
	const struct bs_btf_type *v = bs_btf_type_by_id(btf, var_id);
	if (!v || v->kind != BS_BTF_VAR)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, ".BTF: type %u is %s, not a VAR of .maps",
			      var_id, v ? kind_of(btf, var_id) : "missing");
	def->name = v->name;
	def->var_id = var_id;
	return parse_def(btf, v->name, v->type, &def->attrs, &def->inner, err);
}
