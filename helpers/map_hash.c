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

#include "helpers/maps_private.h"
#include "vm/error.h"

/* kernel KMALLOC_MAX_SIZE - sizeof(struct htab_elem) on x86-64 */
#define HTAB_MAX_KV ((4u << 20) - 48u)

struct hlink {
	uint32_t chain;  /* next slot in the bucket, or in the free list */
	uint32_t prev;   /* insertion order */
	uint32_t next;
};

struct htab {
	uint32_t mask;       /* buckets - 1 */
	uint32_t *bucket;    /* first slot of each bucket's chain */
	struct hlink *link;  /* per slot */
	uint32_t *hash;      /* per slot: its key's hash */
	uint8_t *keys;       /* per slot: key_size bytes */
	uint32_t first, last;
	uint32_t free;       /* unused slots (the kernel's freelist) */
	uint32_t *spare;     /* per CPU (hash only): the kernel's extra_elems */
	uint32_t count;
};

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

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
	uint64_t nb = roundup_pow2(map->def.max_entries);
	map->nslots = map->def.max_entries + nspare(map);
	*extra = sizeof(struct htab) + nb * sizeof(uint32_t) + (uint64_t)nspare(map) * 4 +
		 (uint64_t)map->nslots * (sizeof(struct hlink) + 4 + map->def.key_size);
}

static int hash_init(struct bs_map *map, struct bs_error *err)
{
	uint32_t nb = roundup_pow2(map->def.max_entries);
	struct htab *h = calloc(1, sizeof(*h));
	map->impl = h;
	if (!h)
		goto nomem;
	h->mask = nb - 1;
	h->bucket = malloc((size_t)nb * sizeof(*h->bucket));
	h->link = malloc((size_t)map->nslots * sizeof(*h->link));
	h->hash = calloc(map->nslots, sizeof(*h->hash));
	h->keys = calloc(map->nslots, map->def.key_size);
	h->spare = calloc(nspare(map) + 1, sizeof(*h->spare));
	if (!h->bucket || !h->link || !h->hash || !h->keys || !h->spare)
		goto nomem;
	memset(h->bucket, 0xff, (size_t)nb * sizeof(*h->bucket));  /* HLP_NO_SLOT */
	h->first = h->last = HLP_NO_SLOT;
	/* the free list hands out slots 0, 1, 2 ... first */
	uint32_t max = map->def.max_entries;
	for (uint32_t s = 0; s < map->nslots; s++)
		h->link[s] = (struct hlink){s + 1 < max ? s + 1 : HLP_NO_SLOT, HLP_NO_SLOT,
					    HLP_NO_SLOT};
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
	free(h->bucket);
	free(h->link);
	free(h->hash);
	free(h->keys);
	free(h->spare);
	free(h);
}

static uint8_t *slot_key(const struct bs_map *map, const struct htab *h, uint32_t s)
{
	return h->keys + (uint64_t)s * map->def.key_size;
}

static uint32_t find(const struct bs_map *map, const struct htab *h, const void *key,
		     uint32_t hash)
{
	for (uint32_t s = h->bucket[hash & h->mask]; s != HLP_NO_SLOT; s = h->link[s].chain)
		if (h->hash[s] == hash && !memcmp(slot_key(map, h, s), key, map->def.key_size))
			return s;
	return HLP_NO_SLOT;
}

static void chain_remove(struct htab *h, uint32_t s)
{
	uint32_t *p = &h->bucket[h->hash[s] & h->mask];
	while (*p != s)
		p = &h->link[*p].chain;
	*p = h->link[s].chain;
}

static void chain_add(const struct bs_map *map, struct htab *h, uint32_t s, const void *key,
		      uint32_t hash)
{
	memcpy(slot_key(map, h, s), key, map->def.key_size);
	h->hash[s] = hash;
	uint32_t *head = &h->bucket[hash & h->mask];
	h->link[s].chain = *head;
	*head = s;
}

/* Points the insertion-order neighbours of old at s (HLP_NO_SLOT: unlinks old). */
static void order_replace(struct htab *h, uint32_t old, uint32_t s)
{
	uint32_t prev = h->link[old].prev, next = h->link[old].next;
	if (s != HLP_NO_SLOT) {
		h->link[s].prev = prev;
		h->link[s].next = next;
	}
	uint32_t to_prev = s != HLP_NO_SLOT ? s : next;
	uint32_t to_next = s != HLP_NO_SLOT ? s : prev;
	if (prev != HLP_NO_SLOT)
		h->link[prev].next = to_prev;
	else
		h->first = to_prev;
	if (next != HLP_NO_SLOT)
		h->link[next].prev = to_next;
	else
		h->last = to_next;
}

static void order_append(struct htab *h, uint32_t s)
{
	h->link[s].prev = h->last;
	h->link[s].next = HLP_NO_SLOT;
	if (h->last != HLP_NO_SLOT)
		h->link[h->last].next = s;
	else
		h->first = s;
	h->last = s;
}

static uint32_t hash_lookup(struct bs_map *map, const void *key)
{
	struct htab *h = map->impl;
	return find(map, h, key, hlp_key_hash(key, map->def.key_size));
}

/* htab_map_update_elem and __htab_percpu_map_update_elem */
static int hash_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		       bool all_cpus)
{
	/* unknown flags, and BPF_F_LOCK without a bpf_spin_lock, come first */
	if (flags > BS_EXIST)
		return -EINVAL;
	struct htab *h = map->impl;
	uint32_t hash = hlp_key_hash(key, map->def.key_size);
	uint32_t old = find(map, h, key, hash);
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
		chain_remove(h, old);
		order_replace(h, old, s);
	} else {
		if (h->free == HLP_NO_SLOT)
			return -E2BIG;  /* every preallocated element is in use */
		s = h->free;
		h->free = h->link[s].chain;
		order_append(h, s);
		h->count++;
		/* a program's insert gives the other CPUs zeroes (pcpu_init_value) */
		if (map->percpu && !all_cpus)
			memset(hlp_map_slot(map, s), 0, map->slot_size);
	}
	chain_add(map, h, s, key, hash);
	hlp_map_store(map, s, value, all_cpus);
	return 0;
}

static int hash_delete(struct bs_map *map, const void *key)
{
	struct htab *h = map->impl;
	uint32_t s = hash_lookup(map, key);
	if (s == HLP_NO_SLOT)
		return -ENOENT;
	chain_remove(h, s);
	order_replace(h, s, HLP_NO_SLOT);
	/* the value stays as it was: a program's pointer still reads it */
	h->link[s].chain = h->free;
	h->free = s;
	h->count--;
	return 0;
}

/* htab_map_get_next_key: a key that is not there restarts at the first */
static int hash_next_key(struct bs_map *map, const void *key, void *next)
{
	struct htab *h = map->impl;
	uint32_t s = key ? hash_lookup(map, key) : HLP_NO_SLOT;
	uint32_t n = s != HLP_NO_SLOT ? h->link[s].next : h->first;
	if (n == HLP_NO_SLOT)
		return -ENOENT;
	memcpy(next, slot_key(map, h, n), map->def.key_size);
	return 0;
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
