// SPDX-License-Identifier: MIT
/* lru_hash and lru_percpu_hash (kernel/bpf/hashtab.c over bpf_lru_list.c):
 * preallocated hash maps that never refuse an insert for want of room; an
 * insert into a full map evicts an element.
 *
 * The kernel's LRU is approximate (reference bits, active and inactive
 * lists, per-CPU local lists, eviction in batches). bpfstep keeps an exact
 * least-recently-used order instead, deterministic: an element becomes the
 * most recent when it is inserted or replaced by an update, or when a
 * program looks it up (bpf_map_lookup_elem, bpf_map_lookup_percpu_elem);
 * syscall-side lookups and iteration do not count, as in the kernel. When
 * an update needs an element and none is free, exactly one element goes:
 * the least recently used. docs/maps.md says where this differs.
 *
 * What follows the kernel exactly is the order of an update: a free element
 * is taken first (evicting if need be), then the key is looked for and the
 * flags checked; a failed update gives the element back, but the eviction
 * stays done. (lru_percpu_hash takes no element for BPF_EXIST, and updates
 * an existing key in place.) With BPF_F_NO_COMMON_LRU each CPU has its own
 * list of max_entries / ncpus elements (max_entries is rounded up to a
 * multiple of ncpus, as the kernel does) and an insert on a CPU takes, or
 * evicts, only from that CPU's list.
 *
 * Iteration (next_key) is in insertion order, like hash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/map_keyidx.h"
#include "vm/error.h"

/* kernel KMALLOC_MAX_SIZE - sizeof(struct htab_elem) on x86-64 */
#define HTAB_MAX_KV ((4u << 20) - 48u)
/* the kernel's ENOTSUPP */
#define LRU_ENOTSUPP 524

struct lslot {
	uint32_t lprev, lnext;   /* LRU order (head: most recent); free list: lnext */
	uint32_t owner;          /* the LRU list it belongs to */
	bool used;
};

struct llist {
	uint32_t head, tail;     /* most and least recently used */
	uint32_t free;
};

struct lru {
	struct hlp_keyidx idx;   /* keys, buckets and insertion order */
	struct lslot *s;
	struct llist *lists;     /* 1, or ncpus with BPF_F_NO_COMMON_LRU */
	uint32_t nlists;
};

/* htab_map_alloc's rounding for BPF_F_NO_COMMON_LRU: each CPU's list gets
 * the same number (at least one) */
static uint32_t effective_max(const struct bs_map_def *def, uint32_t ncpus)
{
	if (!(def->flags & BS_F_NO_COMMON_LRU))
		return def->max_entries;
	uint64_t up = ((uint64_t)def->max_entries + ncpus - 1) / ncpus * ncpus;
	if (up > UINT32_MAX)
		return def->max_entries / ncpus * ncpus;
	return (uint32_t)up;
}

/* htab_map_alloc_check and htab_map_alloc for the LRU types */
static int lru_check(const struct bs_map_def *def, struct bs_error *err)
{
	bool percpu = def->type == BS_MAP_LRU_PERCPU_HASH;
	bool percpu_lru = def->flags & BS_F_NO_COMMON_LRU;
	int rc = hlp_check_flags(def, BS_F_NO_PREALLOC | BS_F_NO_COMMON_LRU | BS_F_NUMA_NODE |
					      HLP_F_ACCESS | BS_F_ZERO_SEED, err);
	if (rc)
		return rc;
	if (def->flags & BS_F_NO_PREALLOC)
		return hlp_def_err(def, -LRU_ENOTSUPP, err,
				   "LRU maps are always preallocated: BPF_F_NO_PREALLOC gives "
				   "ENOTSUPP (524)");
	if ((def->flags & BS_F_NUMA_NODE) && (percpu || percpu_lru))
		return hlp_def_err(def, -EINVAL, err, "BPF_F_NUMA_NODE is not for percpu values "
				   "or per-CPU LRU lists");
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
	/* the rounding for per-CPU lists needs ncpus: checked in lru_size */
	if (def->max_entries > (1u << 27))
		return hlp_def_err(def, -E2BIG, err,
				   "max_entries %u: a hash map has at most %u entries",
				   def->max_entries, 1u << 27);
	return 0;
}

static uint32_t nlists(const struct bs_map *map)
{
	return map->def.flags & BS_F_NO_COMMON_LRU ? map->set->ncpus : 1;
}

static void lru_size(struct bs_map *map, uint64_t *extra)
{
	/* max_entries <= 2^27 and ncpus <= 8192: no overflow; the rounded
	 * value may pass 2^27, where the kernel's bucket array is still fine
	 * up to 2^28 */
	map->def.max_entries = effective_max(&map->def, map->set->ncpus);
	map->nslots = map->def.max_entries;
	*extra = sizeof(struct lru) + (uint64_t)nlists(map) * sizeof(struct llist) +
		 (uint64_t)map->nslots * sizeof(struct lslot) +
		 hlp_keyidx_bytes(map->nslots, map->def.max_entries, map->def.key_size);
}

static int lru_init(struct bs_map *map, struct bs_error *err)
{
	struct lru *l = calloc(1, sizeof(*l));
	map->impl = l;
	if (!l)
		goto nomem;
	l->nlists = nlists(map);
	l->s = calloc(map->nslots, sizeof(*l->s));
	l->lists = calloc(l->nlists, sizeof(*l->lists));
	if (hlp_keyidx_init(&l->idx, map->nslots, map->def.max_entries, map->def.key_size) ||
	    !l->s || !l->lists)
		goto nomem;
	/* per-CPU lists: slot i belongs to CPU i / (max_entries / ncpus),
	 * as bpf_lru_populate deals them out */
	uint32_t per = map->nslots / l->nlists;
	for (uint32_t c = 0; c < l->nlists; c++)
		l->lists[c] = (struct llist){HLP_NO_SLOT, HLP_NO_SLOT, HLP_NO_SLOT};
	for (uint32_t i = map->nslots; i-- > 0;) {
		uint32_t c = l->nlists == 1 ? 0 : i / per;
		if (c >= l->nlists)
			c = l->nlists - 1;
		l->s[i].owner = c;
		l->s[i].lnext = l->lists[c].free;
		l->lists[c].free = i;
	}
	return 0;
nomem:
	vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'", map->name);
	return -1;
}

static void lru_free(struct bs_map *map)
{
	struct lru *l = map->impl;
	if (!l)
		return;
	hlp_keyidx_free(&l->idx);
	free(l->s);
	free(l->lists);
	free(l);
}

static void lru_unlink(struct lru *l, uint32_t s)
{
	struct llist *ll = &l->lists[l->s[s].owner];
	uint32_t p = l->s[s].lprev, n = l->s[s].lnext;
	if (p != HLP_NO_SLOT)
		l->s[p].lnext = n;
	else
		ll->head = n;
	if (n != HLP_NO_SLOT)
		l->s[n].lprev = p;
	else
		ll->tail = p;
}

static void lru_push_head(struct lru *l, uint32_t s)
{
	struct llist *ll = &l->lists[l->s[s].owner];
	l->s[s].lprev = HLP_NO_SLOT;
	l->s[s].lnext = ll->head;
	if (ll->head != HLP_NO_SLOT)
		l->s[ll->head].lprev = s;
	else
		ll->tail = s;
	ll->head = s;
}

/* Takes s out of the hash table, the insertion order and the LRU list. */
static void unlink_elem(struct lru *l, uint32_t s)
{
	hlp_keyidx_remove(&l->idx, s);
	lru_unlink(l, s);
	l->s[s].used = false;
}

static void push_free(struct lru *l, uint32_t s)
{
	struct llist *ll = &l->lists[l->s[s].owner];
	l->s[s].lnext = ll->free;
	ll->free = s;
}

/* prealloc_lru_pop: a free element of the current CPU's list (the only
 * list without per-CPU lists), evicting its least recently used one when
 * there is none */
static uint32_t pop_free(struct bs_map *map, struct lru *l)
{
	struct llist *ll = &l->lists[l->nlists == 1 ? 0 : map->set->cpu];
	if (ll->free == HLP_NO_SLOT) {
		uint32_t victim = ll->tail;
		if (victim == HLP_NO_SLOT)
			return HLP_NO_SLOT;
		unlink_elem(l, victim);
		push_free(l, victim);
	}
	uint32_t s = ll->free;
	ll->free = l->s[s].lnext;
	return s;
}

/* Links s in as key's element: bucket, end of the insertion order (or old's
 * place in it), most recent. */
static void link_elem(struct lru *l, uint32_t s, const void *key)
{
	hlp_keyidx_insert(&l->idx, s, key, HLP_NO_SLOT);
	l->s[s].used = true;
	lru_push_head(l, s);
}

static uint32_t lru_lookup(struct bs_map *map, const void *key)
{
	struct lru *l = map->impl;
	return hlp_keyidx_find(&l->idx, key);
}

/* a program's lookup: the element becomes the most recent */
static void lru_touch(struct bs_map *map, uint32_t s)
{
	struct lru *l = map->impl;
	lru_unlink(l, s);
	lru_push_head(l, s);
}

/* htab_lru_map_update_elem and htab_lru_percpu_map_update_elem */
static int lru_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		      bool all_cpus)
{
	if (flags > BS_EXIST)
		return -EINVAL;
	struct lru *l = map->impl;
	uint32_t s = HLP_NO_SLOT;
	if (!map->percpu || flags != BS_EXIST) {
		s = pop_free(map, l);
		if (s == HLP_NO_SLOT)
			return -ENOMEM;
		if (!map->percpu)  /* the value goes in before the lookup */
			hlp_map_store(map, s, value, all_cpus);
	}
	uint32_t old = hlp_keyidx_find(&l->idx, key);
	int rc = 0;
	if (old != HLP_NO_SLOT && flags == BS_NOEXIST)
		rc = -EEXIST;
	else if (old == HLP_NO_SLOT && flags == BS_EXIST)
		rc = -ENOENT;
	if (rc) {
		if (s != HLP_NO_SLOT)
			push_free(l, s);
		return rc;
	}
	if (map->percpu) {
		if (old != HLP_NO_SLOT) {
			lru_touch(map, old);
			hlp_map_store(map, old, value, all_cpus);
			if (s != HLP_NO_SLOT)
				push_free(l, s);
			return 0;
		}
		/* a program's insert gives the other CPUs zeroes */
		if (!all_cpus)
			memset(hlp_map_slot(map, s), 0, map->slot_size);
		hlp_map_store(map, s, value, all_cpus);
		link_elem(l, s, key);
		return 0;
	}
	if (old != HLP_NO_SLOT) {
		unlink_elem(l, old);
		push_free(l, old);
	}
	link_elem(l, s, key);
	return 0;
}

static int lru_delete(struct bs_map *map, const void *key)
{
	struct lru *l = map->impl;
	uint32_t s = lru_lookup(map, key);
	if (s == HLP_NO_SLOT)
		return -ENOENT;
	unlink_elem(l, s);
	push_free(l, s);
	return 0;
}

static int lru_next_key(struct bs_map *map, const void *key, void *next)
{
	return hlp_keyidx_next_key(&((struct lru *)map->impl)->idx, key, next);
}

const struct hlp_map_ops hlp_lru_ops = {
	.check = lru_check,
	.size = lru_size,
	.init = lru_init,
	.free = lru_free,
	.lookup = lru_lookup,
	.update = lru_update,
	.delete = lru_delete,
	.next_key = lru_next_key,
	.touch = lru_touch,
};
