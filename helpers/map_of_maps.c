// SPDX-License-Identifier: MIT
/* Maps of maps (kernel/bpf/map_in_map.c): array_of_maps (an fd array, in
 * map_fd_array.c) and hash_of_maps (a hash map, here) whose u32 values name
 * other maps of the same set. The kernel takes a map fd and gives back the
 * map id from the syscall lookup; bpfstep has neither, so a value is the
 * inner map's index in the set both ways. Each outer map has an inner
 * template (bs_maps_create_with_inner, the kernel's inner_map_fd) that every
 * map stored in it must match, as bpf_map_meta_equal checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/maps_private.h"
#include "vm/error.h"

struct bs_map_def *hlp_inner_copy(const struct bs_map_def *tmpl)
{
	const char *name = tmpl && tmpl->name ? tmpl->name : "";
	size_t len = strlen(name) + 1;
	struct bs_map_def *copy = malloc(sizeof(*copy) + len);
	if (!copy)
		return NULL;
	if (tmpl)
		*copy = *tmpl;
	else
		memset(copy, 0, sizeof(*copy));
	memcpy(copy + 1, name, len);
	copy->name = (const char *)(copy + 1);
	return copy;
}

/* bpf_map_meta_alloc: the template is an existing map in the kernel, so a
 * template that could not be created is a bad fd there. */
int hlp_inner_check(const struct bs_map_def *outer, const struct bs_map_def *t,
		    struct bs_error *err)
{
	if (!t) {
		hlp_def_err(outer, -EBADF, err, "a map of maps needs an inner map template "
			    "(bs_maps_create_with_inner, the kernel's inner_map_fd)");
		vm_err_hint(err, "BTF-defined maps give it with __array(values, struct { ... })");
		return -EBADF;
	}
	if (hlp_is_outer(t->type))
		return hlp_def_err(outer, -EINVAL, err, "the inner map template is %s: maps of maps "
				   "of maps are not supported", bs_map_type_name(t->type));
	if (t->type == BS_MAP_PROG_ARRAY)
		return hlp_def_err(outer, -BS_ENOTSUPP, err, "a prog_array cannot be an inner map "
				   "(the kernel has no map_meta_equal for it: ENOTSUPP)");
	const struct hlp_map_ops *ops = hlp_type_ops(t->type);
	struct bs_error sub;
	if (!ops || ops->check(t, &sub)) {
		if (!ops)
			snprintf(sub.message, sizeof(sub.message), "type %u is not supported",
				 t->type);
		return hlp_def_err(outer, -EBADF, err, "the inner map template cannot be created: %s",
				   sub.message);
	}
	return 0;
}

/* bpf_map_meta_equal, and array_map_meta_equal's max_entries rule */
static bool meta_equal(const struct bs_map_def *t, const struct bs_map_def *m)
{
	if (t->type != m->type || t->key_size != m->key_size || t->value_size != m->value_size ||
	    t->flags != m->flags)
		return false;
	bool array = t->type == BS_MAP_ARRAY || t->type == BS_MAP_PERCPU_ARRAY;
	return !array || (t->flags & BS_F_INNER_MAP) || t->max_entries == m->max_entries;
}

int hlp_inner_get(struct bs_map *outer, const void *value)
{
	uint32_t idx;
	memcpy(&idx, value, sizeof(idx));
	if (idx >= outer->set->n)
		return -EBADF;
	return meta_equal(outer->inner, &outer->set->maps[idx]->def) ? 0 : -EINVAL;
}

uint64_t hlp_inner_handle(const struct bs_map *outer, uint32_t slot)
{
	uint32_t idx;
	memcpy(&idx, hlp_map_slot(outer, slot), sizeof(idx));
	return idx < outer->set->n ? outer->set->maps[idx]->handle : 0;
}

/* fd_htab_map_alloc_check, then htab_map_alloc_check (maps.c checks the
 * template after, as bpf_map_meta_alloc) */
static int hom_check(const struct bs_map_def *def, struct bs_error *err)
{
	if (def->value_size != 4)
		return hlp_def_err(def, -EINVAL, err, "value_size is %u; the value is a map "
				   "(value_size 4)", def->value_size);
	return hlp_hash_ops.check(def, err);
}

/* bpf_fd_htab_map_update_elem: the map is taken before the flags are looked at */
static int hom_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		      bool all_cpus)
{
	int rc = hlp_inner_get(map, value);
	return rc ? rc : hlp_hash_ops.update(map, key, value, flags, all_cpus);
}

/* the rest is the hash map's */
static void hom_size(struct bs_map *map, uint64_t *extra)
{
	hlp_hash_ops.size(map, extra);
}

static int hom_init(struct bs_map *map, struct bs_error *err)
{
	return hlp_hash_ops.init(map, err);
}

static void hom_free(struct bs_map *map)
{
	hlp_hash_ops.free(map);
}

static uint32_t hom_lookup(struct bs_map *map, const void *key)
{
	return hlp_hash_ops.lookup(map, key);
}

static int hom_delete(struct bs_map *map, const void *key)
{
	return hlp_hash_ops.delete(map, key);
}

static int hom_next_key(struct bs_map *map, const void *key, void *next)
{
	return hlp_hash_ops.next_key(map, key, next);
}

const struct hlp_map_ops hlp_hash_of_maps_ops = {
	.check = hom_check,
	.size = hom_size,
	.init = hom_init,
	.free = hom_free,
	.lookup = hom_lookup,
	.update = hom_update,
	.delete = hom_delete,
	.next_key = hom_next_key,
};
