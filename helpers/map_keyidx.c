// SPDX-License-Identifier: MIT
/* Bucket chains and insertion order over preallocated slots. */
#include "helpers/map_keyidx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

uint64_t hlp_keyidx_bytes(uint32_t nslots, uint32_t max_entries, uint32_t key_size)
{
	return (uint64_t)roundup_pow2(max_entries) * sizeof(uint32_t) +
	       (uint64_t)nslots * (sizeof(struct hlp_keyslot) + key_size);
}

int hlp_keyidx_init(struct hlp_keyidx *x, uint32_t nslots, uint32_t max_entries,
		    uint32_t key_size)
{
	uint32_t nb = roundup_pow2(max_entries);
	memset(x, 0, sizeof(*x));
	x->mask = nb - 1;
	x->key_size = key_size;
	x->first = x->last = HLP_NO_SLOT;
	x->bucket = malloc((size_t)nb * sizeof(*x->bucket));
	x->s = calloc(nslots ? nslots : 1, sizeof(*x->s));
	x->keys = calloc(nslots ? nslots : 1, key_size ? key_size : 1);
	if (!x->bucket || !x->s || !x->keys)
		return -1;
	memset(x->bucket, 0xff, (size_t)nb * sizeof(*x->bucket));  /* HLP_NO_SLOT */
	return 0;
}

void hlp_keyidx_free(struct hlp_keyidx *x)
{
	free(x->bucket);
	free(x->s);
	free(x->keys);
	memset(x, 0, sizeof(*x));
}

uint32_t hlp_keyidx_find(const struct hlp_keyidx *x, const void *key)
{
	uint32_t hash = hlp_key_hash(key, x->key_size);
	for (uint32_t s = x->bucket[hash & x->mask]; s != HLP_NO_SLOT; s = x->s[s].chain)
		if (x->s[s].hash == hash && !memcmp(hlp_keyidx_key(x, s), key, x->key_size))
			return s;
	return HLP_NO_SLOT;
}

static void chain_remove(struct hlp_keyidx *x, uint32_t s)
{
	uint32_t *p = &x->bucket[x->s[s].hash & x->mask];
	while (*p != s)
		p = &x->s[*p].chain;
	*p = x->s[s].chain;
}

/* Points the order neighbours of old at s (HLP_NO_SLOT: unlinks old). */
static void order_replace(struct hlp_keyidx *x, uint32_t old, uint32_t s)
{
	uint32_t prev = x->s[old].prev, next = x->s[old].next;
	if (s != HLP_NO_SLOT) {
		x->s[s].prev = prev;
		x->s[s].next = next;
	}
	uint32_t to_prev = s != HLP_NO_SLOT ? s : next;
	uint32_t to_next = s != HLP_NO_SLOT ? s : prev;
	if (prev != HLP_NO_SLOT)
		x->s[prev].next = to_prev;
	else
		x->first = to_prev;
	if (next != HLP_NO_SLOT)
		x->s[next].prev = to_next;
	else
		x->last = to_next;
}

void hlp_keyidx_insert(struct hlp_keyidx *x, uint32_t s, const void *key, uint32_t old)
{
	if (old != HLP_NO_SLOT) {
		chain_remove(x, old);
		order_replace(x, old, s);
	} else {
		x->s[s].prev = x->last;
		x->s[s].next = HLP_NO_SLOT;
		if (x->last != HLP_NO_SLOT)
			x->s[x->last].next = s;
		else
			x->first = s;
		x->last = s;
	}
	uint32_t hash = hlp_key_hash(key, x->key_size);
	memcpy(hlp_keyidx_key(x, s), key, x->key_size);
	x->s[s].hash = hash;
	uint32_t *head = &x->bucket[hash & x->mask];
	x->s[s].chain = *head;
	*head = s;
}

void hlp_keyidx_remove(struct hlp_keyidx *x, uint32_t s)
{
	chain_remove(x, s);
	order_replace(x, s, HLP_NO_SLOT);
}

int hlp_keyidx_next_key(const struct hlp_keyidx *x, const void *key, void *next)
{
	uint32_t s = key ? hlp_keyidx_find(x, key) : HLP_NO_SLOT;
	uint32_t n = s != HLP_NO_SLOT ? x->s[s].next : x->first;
	if (n == HLP_NO_SLOT)
		return -ENOENT;
	memcpy(next, hlp_keyidx_key(x, n), x->key_size);
	return 0;
}
