// SPDX-License-Identifier: MIT
/* array and percpu_array (kernel/bpf/arraymap.c): max_entries slots that
 * always exist, zeroed at creation; the key is the u32 slot index. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "helpers/maps_private.h"
#include "vm/error.h"

/* array_map_alloc_check */
static int array_check(const struct bs_map_def *def, struct bs_error *err)
{
	bool percpu = def->type == BS_MAP_PERCPU_ARRAY;
	if (def->max_entries == 0)
		return hlp_def_err(def, -EINVAL, err, "max_entries must not be 0");
	if (def->key_size != 4)
		return hlp_def_err(def, -EINVAL, err,
				   "key_size is %u; an array's key is a u32 index (key_size 4)",
				   def->key_size);
	if (def->value_size == 0)
		return hlp_def_err(def, -EINVAL, err, "value_size must not be 0");
	/* ARRAY_CREATE_FLAG_MASK, less what only some array types take:
	 * NUMA placement and mmap are not for percpu memory, PRESERVE_ELEMS is
	 * perf_event_array's */
	uint32_t allowed = BS_F_NUMA_NODE | BS_F_MMAPABLE | HLP_F_ACCESS | BS_F_INNER_MAP;
	if (percpu)
		allowed &= ~(BS_F_NUMA_NODE | BS_F_MMAPABLE | BS_F_INNER_MAP);
	int rc = hlp_check_flags(def, allowed, err);
	if (rc)
		return rc;
	if (def->value_size > INT32_MAX)
		return hlp_def_err(def, -E2BIG, err, "value_size %u is larger than INT_MAX",
				   def->value_size);
	if (percpu && ((def->value_size + 7u) & ~7u) > HLP_PCPU_MAX_VALUE)
		return hlp_def_err(def, -E2BIG, err,
				   "value_size %u: a percpu value is at most %u bytes "
				   "(PCPU_MIN_UNIT_SIZE)", def->value_size, HLP_PCPU_MAX_VALUE);
	return 0;
}

static void array_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = map->def.max_entries;
	*extra = 0;
}

static int array_init(struct bs_map *map, struct bs_error *err)
{
	(void)map, (void)err;
	return 0;
}

static void array_free(struct bs_map *map)
{
	(void)map;
}

static uint32_t key_index(const void *key)
{
	uint32_t i;
	memcpy(&i, key, sizeof(i));
	return i;
}

static uint32_t array_lookup(struct bs_map *map, const void *key)
{
	uint32_t i = key_index(key);
	return i < map->def.max_entries ? i : HLP_NO_SLOT;
}

static int array_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
			bool all_cpus)
{
	/* array_map_update_elem's order, which a program's flags meet as they
	 * are: BPF_F_LOCK is refused only after the index and NOEXIST */
	uint32_t i = key_index(key);
	if ((flags & ~(uint64_t)BS_F_LOCK) > BS_EXIST)
		return -EINVAL;
	if (i >= map->def.max_entries)
		return -E2BIG;  /* all elements were preallocated: none to insert */
	if (flags & BS_NOEXIST)
		return -EEXIST; /* all elements already exist */
	if (flags & BS_F_LOCK)
		return -EINVAL; /* no bpf_spin_lock in the value */
	hlp_map_store(map, i, value, all_cpus);
	return 0;
}

static int array_delete(struct bs_map *map, const void *key)
{
	(void)map, (void)key;
	return -EINVAL;  /* elements of an array cannot be removed */
}

/* array_map_get_next_key: an absent or out-of-range key starts over at 0 */
static int array_next_key(struct bs_map *map, const void *key, void *next)
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

const struct hlp_map_ops hlp_array_ops = {
	.check = array_check,
	.size = array_size,
	.init = array_init,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.next_key = array_next_key,
};
