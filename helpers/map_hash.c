// SPDX-License-Identifier: MIT
/* hash and percpu_hash (kernel/bpf/hashtab.c), as the kernel's preallocated
 * hash table behaves: every value slot exists from creation in one block, so
 * a pointer a program got from a lookup stays valid memory after a delete.
 *
 * Like the kernel, updating an existing key of a (non-percpu) hash does not
 * write in place: the new value goes to the CPU's spare element and the old
 * element becomes the spare (htab->extra_elems), so a pointer from an
 * earlier lookup still reads the old value. percpu_hash writes in place.
 *
 * Iteration (next_key) is in insertion order, where the kernel goes by
 * bucket: deterministic, and easy to follow in a debugger. A key updated in
 * place of an old one keeps the old one's position. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/map_keyidx.h"
#include "vm/error.h"

/* kernel KMALLOC_MAX_SIZE - sizeof(struct htab_elem) on x86-64 */
#define HTAB_MAX_KV ((4u << 20) - 48u)

struct htab {
	struct hlp_keyidx idx;
	uint32_t *next_free; /* per slot: the next unused one */
	uint32_t free;       /* unused slots (the kernel's freelist) */
	uint32_t *spare;     /* per CPU (hash only): the kernel's extra_elems */
	uint32_t count;
};

/* htab_map_alloc_check, then the size checks of htab_map_alloc */
static int hash_check(const struct bs_map_def *def, struct bs_error *err)
{
	bool percpu = def->type == BS_MAP_PERCPU_HASH;
	/* HTAB_CREATE_FLAG_MASK less NO_COMMON_LRU (only for LRU maps) and, for
	 * percpu memory, NUMA placement */
	uint32_t allowed = BS_F_NO_PREALLOC | BS_F_NUMA_NODE | HLP_F_ACCESS | BS_F_ZERO_SEED;
	if (percpu)
		allowed &= ~BS_F_NUMA_NODE;
	int rc = hlp_check_flags(def, allowed, err);
	if (rc)
		return rc;
	if (def->max_entries == 0)
		return hlp_def_err(def, -EINVAL, err, "max_entries must not be 0");
	if (def->key_size == 0)
		return hlp_def_err(def, -EINVAL, err, "key_size must not be 0");
	if (def->value_size == 0)
		return hlp_def_err(def, -EINVAL, err, "value_size must not be 0");
	if ((uint64_t)def->key_size + def->value_size >= HTAB_MAX_KV)
		return hlp_def_err(def, -E2BIG, err,
				   "key_size %u + value_size %u must stay below %u (KMALLOC_MAX_SIZE "
				   "less the element header)", def->key_size, def->value_size,
				   HTAB_MAX_KV);
	if (percpu && ((def->value_size + 7u) & ~7u) > HLP_PCPU_MAX_VALUE)
		return hlp_def_err(def, -E2BIG, err,
				   "value_size %u: a percpu value is at most %u bytes "
				   "(PCPU_MIN_UNIT_SIZE)", def->value_size, HLP_PCPU_MAX_VALUE);
	/* the kernel's bucket array (16-byte buckets) must stay below 4 GiB */
	if (def->max_entries > (1u << 27))
		return hlp_def_err(def, -E2BIG, err,
				   "max_entries %u: a hash map has at most %u entries",
				   def->max_entries, 1u << 27);
	return 0;
}

static uint32_t nspare(const struct bs_map *map)
{
	return map->percpu ? 0 : map->set->ncpus;
}

static void hash_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = map->def.max_entries + nspare(map);
	*extra = sizeof(struct htab) + (uint64_t)nspare(map) * 4 + (uint64_t)map->nslots * 4 +
		 hlp_keyidx_bytes(map->nslots, map->def.max_entries, map->def.key_size);
}

static int hash_init(struct bs_map *map, struct bs_error *err)
{
	struct htab *h = calloc(1, sizeof(*h));
	map->impl = h;
	if (!h)
		goto nomem;
	h->next_free = malloc((size_t)map->nslots * sizeof(*h->next_free));
	h->spare = calloc(nspare(map) + 1, sizeof(*h->spare));
	if (hlp_keyidx_init(&h->idx, map->nslots, map->def.max_entries, map->def.key_size) ||
	    !h->next_free || !h->spare)
		goto nomem;
	/* the free list hands out slots 0, 1, 2 ... first */
	uint32_t max = map->def.max_entries;
	for (uint32_t s = 0; s < map->nslots; s++)
		h->next_free[s] = s + 1 < max ? s + 1 : HLP_NO_SLOT;
	h->free = 0;
	for (uint32_t c = 0; c < nspare(map); c++)
		h->spare[c] = max + c;
	return 0;
nomem:
	vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'", map->name);
	return -1;
}

static void hash_free(struct bs_map *map)
{
	struct htab *h = map->impl;
	if (!h)
		return;
	hlp_keyidx_free(&h->idx);
	free(h->next_free);
	free(h->spare);
	free(h);
}

static uint32_t hash_lookup(struct bs_map *map, const void *key)
{
	struct htab *h = map->impl;
	return hlp_keyidx_find(&h->idx, key);
}

/* htab_map_update_elem and __htab_percpu_map_update_elem */
static int hash_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		       bool all_cpus)
{
	/* unknown flags, and BPF_F_LOCK without a bpf_spin_lock, come first */
	if (flags > BS_EXIST)
		return -EINVAL;
	struct htab *h = map->impl;
	uint32_t old = hlp_keyidx_find(&h->idx, key);
	if (old != HLP_NO_SLOT && flags == BS_NOEXIST)
		return -EEXIST;
	if (old == HLP_NO_SLOT && flags == BS_EXIST)
		return -ENOENT;
	if (old != HLP_NO_SLOT && map->percpu) {
		hlp_map_store(map, old, value, all_cpus);
		return 0;
	}
	uint32_t s;
	if (old != HLP_NO_SLOT) {
		/* the CPU's spare element takes the new value; the old one
		 * becomes the spare and keeps what a program may still point at */
		uint32_t *spare = &h->spare[map->set->cpu];
		s = *spare;
		*spare = old;
	} else {
		if (h->free == HLP_NO_SLOT)
			return -E2BIG;  /* every preallocated element is in use */
		s = h->free;
		h->free = h->next_free[s];
		h->count++;
		/* a program's insert gives the other CPUs zeroes (pcpu_init_value) */
		if (map->percpu && !all_cpus)
			memset(hlp_map_slot(map, s), 0, map->slot_size);
	}
	/* a replaced key's element keeps its place in the iteration order */
	hlp_keyidx_insert(&h->idx, s, key, old);
	hlp_map_store(map, s, value, all_cpus);
	return 0;
}

static int hash_delete(struct bs_map *map, const void *key)
{
	struct htab *h = map->impl;
	uint32_t s = hash_lookup(map, key);
	if (s == HLP_NO_SLOT)
		return -ENOENT;
	hlp_keyidx_remove(&h->idx, s);
	/* the value stays as it was: a program's pointer still reads it */
	h->next_free[s] = h->free;
	h->free = s;
	h->count--;
	return 0;
}

static int hash_next_key(struct bs_map *map, const void *key, void *next)
{
	return hlp_keyidx_next_key(&((struct htab *)map->impl)->idx, key, next);
}

const struct hlp_map_ops hlp_hash_ops = {
	.check = hash_check,
	.size = hash_size,
	.init = hash_init,
	.free = hash_free,
	.lookup = hash_lookup,
	.update = hash_update,
	.delete = hash_delete,
	.next_key = hash_next_key,
};
