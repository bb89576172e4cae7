/* SPDX-License-Identifier: MIT */
/* The key index shared by the hash-based maps: which slot holds a key
 * (bucket chains over preallocated slots) and the insertion order that
 * next_key walks. The maps keep their own free lists and value memory. */
#ifndef BS_HELPERS_MAP_KEYIDX_H
#define BS_HELPERS_MAP_KEYIDX_H

#include <stdint.h>

#include "helpers/maps_private.h"

struct hlp_keyslot {
	uint32_t chain;       /* next slot in the bucket */
	uint32_t hash;
	uint32_t prev, next;  /* insertion order */
};

struct hlp_keyidx {
	uint32_t mask;        /* buckets - 1 */
	uint32_t key_size;
	uint32_t *bucket;     /* first slot of each bucket's chain */
	struct hlp_keyslot *s;
	uint8_t *keys;        /* key_size bytes per slot */
	uint32_t first, last;
};

/* Bytes an index of nslots slots over max_entries buckets' worth takes. */
BS_HIDDEN uint64_t hlp_keyidx_bytes(uint32_t nslots, uint32_t max_entries, uint32_t key_size);
/* 0, or -1 when out of memory (hlp_keyidx_free cleans up either way). */
BS_HIDDEN int hlp_keyidx_init(struct hlp_keyidx *x, uint32_t nslots, uint32_t max_entries,
			      uint32_t key_size);
BS_HIDDEN void hlp_keyidx_free(struct hlp_keyidx *x);

static inline uint8_t *hlp_keyidx_key(const struct hlp_keyidx *x, uint32_t s)
{
	return x->keys + (uint64_t)s * x->key_size;
}

/* The slot holding key, or HLP_NO_SLOT. */
BS_HIDDEN uint32_t hlp_keyidx_find(const struct hlp_keyidx *x, const void *key);
/* Indexes s under key at the end of the insertion order, or, when old is a
 * slot, in old's place there (old leaves the index). */
BS_HIDDEN void hlp_keyidx_insert(struct hlp_keyidx *x, uint32_t s, const void *key, uint32_t old);
/* Takes s out of the index. */
BS_HIDDEN void hlp_keyidx_remove(struct hlp_keyidx *x, uint32_t s);
/* htab_map_get_next_key: the key after key in insertion order; a key that
 * is not there (or NULL) restarts at the first; -ENOENT after the last. */
BS_HIDDEN int hlp_keyidx_next_key(const struct hlp_keyidx *x, const void *key, void *next);

#endif
