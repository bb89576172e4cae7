// SPDX-License-Identifier: MIT
/* The kernel's fd arrays (kernel/bpf/arraymap.c): prog_array,
 * perf_event_array and array_of_maps. Keys are u32 indexes below
 * max_entries, values u32, and a slot is empty until set. In the kernel the
 * value given to an update is a file descriptor (a program, a perf event, a
 * map); bpfstep has none, so:
 *  - prog_array: the index of a program in its object (bs_object_prog
 *    order); the syscall lookup gives it back (the kernel gives the prog id);
 *  - perf_event_array: the CPU the slot's perf event counts on (< ncpus,
 *    else -EBADF); at creation every index below ncpus has an event on the
 *    CPU of the same number, as libbpf's perf_buffer__new opens them;
 *  - array_of_maps: the inner map's index in the set (map_of_maps.c).
 * The records bpf_perf_event_output sends are kept here too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/maps_private.h"
#include "vm/error.h"

/* what records a perf_event_array keeps before -ENOSPC, like a perf
 * buffer nobody reads */
#define PERF_MAX_RECORD_BYTES (64u << 20)

struct perf_rec {
	uint8_t *data;
	size_t size;
	uint32_t cpu;
};

struct fd_array {
	uint8_t *present;        /* per index */
	struct perf_rec *recs;   /* perf_event_array */
	size_t nrecs, cap;
	uint64_t bytes;
};

/* fd_array_map_alloc_check, then array_map_alloc_check (what each type
 * allows); maps.c checks an array_of_maps' template after */
static int fd_check(const struct bs_map_def *def, struct bs_error *err)
{
	if (def->value_size != 4)
		return hlp_def_err(def, -EINVAL, err, "value_size is %u; a %s value is a u32 "
				   "(value_size 4)", def->value_size, bs_map_type_name(def->type));
	if (def->flags & (BS_F_RDONLY_PROG | BS_F_WRONLY_PROG))
		return hlp_def_err(def, -EINVAL, err, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG are "
				   "not for %s maps", bs_map_type_name(def->type));
	if (def->max_entries == 0) {
		hlp_def_err(def, -EINVAL, err, "max_entries must not be 0");
		if (def->type == BS_MAP_PERF_EVENT_ARRAY)
			vm_err_hint(err, "libbpf (and bs_object_create_maps) turn 0 into the number of "
				    "CPUs before creating a perf_event_array");
		return -EINVAL;
	}
	if (def->key_size != 4)
		return hlp_def_err(def, -EINVAL, err, "key_size is %u; the key is a u32 index "
				   "(key_size 4)", def->key_size);
	uint32_t allowed = BS_F_NUMA_NODE | HLP_F_ACCESS;
	if (def->type == BS_MAP_PERF_EVENT_ARRAY)
		allowed |= BS_F_PRESERVE_ELEMS;
	int rc = hlp_check_flags(def, allowed, err);
	if (rc)
		return rc;
	return 0;
}

static void fd_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = map->def.max_entries;
	*extra = sizeof(struct fd_array) + map->def.max_entries;
}

static int fd_init(struct bs_map *map, struct bs_error *err)
{
	struct fd_array *a = calloc(1, sizeof(*a));
	if (a)
		a->present = calloc(map->def.max_entries, 1);
	if (!a || !a->present) {
		free(a);
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'", map->name);
		return -1;
	}
	map->impl = a;
	/* perf_buffer__new: an event per CPU, CPU i at index i */
	if (map->def.type == BS_MAP_PERF_EVENT_ARRAY)
		for (uint32_t i = 0; i < map->def.max_entries && i < map->set->ncpus; i++) {
			memcpy(hlp_map_slot(map, i), &i, sizeof(i));
			a->present[i] = 1;
		}
	return 0;
}

static void perf_clear(struct bs_map *map)
{
	struct fd_array *a = map->impl;
	for (size_t i = 0; i < a->nrecs; i++)
		free(a->recs[i].data);
	a->nrecs = 0;
	a->bytes = 0;
}

static void fd_free(struct bs_map *map)
{
	struct fd_array *a = map->impl;
	if (!a)
		return;
	perf_clear(map);
	free(a->recs);
	free(a->present);
	free(a);
}

static uint32_t key_index(const void *key)
{
	uint32_t i;
	memcpy(&i, key, sizeof(i));
	return i;
}

static uint32_t fd_lookup(struct bs_map *map, const void *key)
{
	struct fd_array *a = map->impl;
	uint32_t i = key_index(key);
	return i < map->def.max_entries && a->present[i] ? i : HLP_NO_SLOT;
}

/* map_fd_get_ptr of each type: is value something the slot may hold? */
static int fd_value_ok(struct bs_map *map, const void *value)
{
	uint32_t v;
	memcpy(&v, value, sizeof(v));
	switch (map->def.type) {
	case BS_MAP_PERF_EVENT_ARRAY:
		return v < map->set->ncpus ? 0 : -EBADF;
	case BS_MAP_ARRAY_OF_MAPS:
		return hlp_inner_get(map, value);
	default:
		return 0;  /* a program index: the tail call checks it */
	}
}

/* bpf_fd_array_map_update_elem */
static int fd_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		     bool all_cpus)
{
	(void)all_cpus;
	struct fd_array *a = map->impl;
	uint32_t i = key_index(key);
	if (flags != BS_ANY)
		return -EINVAL;
	if (i >= map->def.max_entries)
		return -E2BIG;
	int rc = fd_value_ok(map, value);
	if (rc)
		return rc;
	memmove(hlp_map_slot(map, i), value, sizeof(uint32_t));
	a->present[i] = 1;
	return 0;
}

/* fd_array_map_delete_elem */
static int fd_delete(struct bs_map *map, const void *key)
{
	struct fd_array *a = map->impl;
	uint32_t i = key_index(key);
	if (i >= map->def.max_entries)
		return -E2BIG;
	if (!a->present[i])
		return -ENOENT;
	a->present[i] = 0;
	memset(hlp_map_slot(map, i), 0, sizeof(uint32_t));
	return 0;
}

/* array_map_get_next_key: empty slots are visited too */
static int fd_next_key(struct bs_map *map, const void *key, void *next)
{
	uint32_t i = key ? key_index(key) : UINT32_MAX;
	uint32_t n;
	if (i >= map->def.max_entries)
		n = 0;
	else if (i == map->def.max_entries - 1)
		return -ENOENT;
	else
		n = i + 1;
	memcpy(next, &n, sizeof(n));
	return 0;
}

/* bpf_fd_array_map_lookup_elem: perf_event_array has no
 * map_fd_sys_lookup_elem, so its lookup is -ENOTSUPP whatever the key */
static int fd_sys_lookup(struct bs_map *map, const void *key, void *value)
{
	if (map->def.type == BS_MAP_PERF_EVENT_ARRAY)
		return -BS_ENOTSUPP;
	uint32_t slot = fd_lookup(map, key);
	if (slot == HLP_NO_SLOT)
		return -ENOENT;
	if (!value)
		return -EFAULT;
	memcpy(value, hlp_map_slot(map, slot), sizeof(uint32_t));
	return 0;
}

int hlp_fd_slot(const struct bs_map *map, uint64_t index, uint32_t *value)
{
	const struct fd_array *a = map->impl;
	if (index >= map->def.max_entries)
		return -E2BIG;
	if (!a->present[index])
		return -ENOENT;
	memcpy(value, hlp_map_slot(map, (uint32_t)index), sizeof(*value));
	return 0;
}

int hlp_perf_record_add(struct bs_map *map, const void *data, size_t size, uint32_t cpu)
{
	struct fd_array *a = map->impl;
	if (size > PERF_MAX_RECORD_BYTES - a->bytes)
		return -ENOSPC;
	if (a->nrecs == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct perf_rec *grown = realloc(a->recs, cap * sizeof(*grown));
		if (!grown)
			return -ENOSPC;
		a->recs = grown;
		a->cap = cap;
	}
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return -ENOSPC;
	memcpy(copy, data, size);
	a->recs[a->nrecs++] = (struct perf_rec){copy, size, cpu};
	a->bytes += size;
	return 0;
}

static size_t perf_count(const struct bs_map *map)
{
	const struct fd_array *a = map->impl;
	return map->def.type == BS_MAP_PERF_EVENT_ARRAY ? a->nrecs : 0;
}

static int perf_get(const struct bs_map *map, size_t i, struct bs_map_record *out)
{
	const struct fd_array *a = map->impl;
	if (i >= perf_count(map))
		return -ENOENT;
	*out = (struct bs_map_record){a->recs[i].data, a->recs[i].size, a->recs[i].cpu};
	return 0;
}

const struct hlp_map_ops hlp_fd_array_ops = {
	.check = fd_check,
	.size = fd_size,
	.init = fd_init,
	.free = fd_free,
	.lookup = fd_lookup,
	.update = fd_update,
	.delete = fd_delete,
	.next_key = fd_next_key,
	.sys_lookup = fd_sys_lookup,
	.record_count = perf_count,
	.record_get = perf_get,
	.records_clear = perf_clear,
};
