// SPDX-License-Identifier: MIT
/* lpm_trie (kernel/bpf/lpm_trie.c): the key is struct bpf_lpm_trie_key (a
 * host-order u32 prefixlen, then key_size - 4 bytes of data, most
 * significant bit first). Lookup finds the longest stored prefix that
 * matches the key's first prefixlen bits; update and delete work on exact
 * (prefixlen, prefix) pairs. The tree is the kernel's: a binary trie with
 * path compression, where intermediate nodes (no value) have exactly two
 * children; next_key walks it in the kernel's post-order (more specific
 * prefixes before less specific ones), so iteration order matches.
 *
 * Values live in max_entries + 1 slots: an update of an existing prefix
 * takes a fresh slot (the kernel allocates a new node) and frees the old
 * one afterwards, so a full trie can still replace values. The data bytes
 * past the prefix are kept as given (the kernel keeps them, and next_key
 * returns them). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/maps_private.h"
#include "vm/error.h"

#define LPM_DATA_SIZE_MAX 256u
#define LPM_KEY_SIZE_MIN (4u + 1u)
#define LPM_KEY_SIZE_MAX (4u + LPM_DATA_SIZE_MAX)
/* KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - sizeof(struct lpm_trie_node) */
#define LPM_VAL_SIZE_MAX ((4u << 20) - LPM_DATA_SIZE_MAX - 24u)

struct lnode {
	struct lnode *child[2];
	uint32_t prefixlen;
	bool im;          /* intermediate: no value, two children */
	uint32_t slot;    /* value slot of a real node */
	uint8_t data[];
};

struct trie {
	struct lnode *root;
	uint32_t n_entries;
	uint32_t data_size, max_prefixlen;
	uint32_t *free;   /* stack of released slots */
	uint32_t nfree;
	uint32_t fresh;   /* slots fresh..nslots-1 were never used */
};

/* trie_alloc's checks (all -EINVAL, in one condition) */
static int lpm_check(const struct bs_map_def *def, struct bs_error *err)
{
	if (def->max_entries == 0)
		return hlp_def_err(def, -EINVAL, err, "max_entries must not be 0");
	if (!(def->flags & BS_F_NO_PREALLOC))
		return hlp_def_err(def, -EINVAL, err,
				   "an lpm_trie must be created with BPF_F_NO_PREALLOC");
	int rc = hlp_check_flags(def, BS_F_NO_PREALLOC | BS_F_NUMA_NODE | HLP_F_ACCESS, err);
	if (rc)
		return rc;
	if (def->key_size < LPM_KEY_SIZE_MIN || def->key_size > LPM_KEY_SIZE_MAX)
		return hlp_def_err(def, -EINVAL, err,
				   "key_size %u: an lpm_trie key is a u32 prefixlen and 1..%u bytes "
				   "of data (key_size %u..%u)", def->key_size, LPM_DATA_SIZE_MAX,
				   LPM_KEY_SIZE_MIN, LPM_KEY_SIZE_MAX);
	if (def->value_size == 0 || def->value_size > LPM_VAL_SIZE_MAX)
		return hlp_def_err(def, -EINVAL, err, "value_size %u: an lpm_trie value has 1..%u "
				   "bytes", def->value_size, LPM_VAL_SIZE_MAX);
	/* the kernel allocates nodes as they come; bpfstep keeps max_entries
	 * + 1 value slots: they must fit the set */
	uint64_t bytes = ((uint64_t)def->max_entries + 1) * ((def->value_size + 7ULL) & ~7ULL);
	if (def->max_entries == UINT32_MAX || bytes > HLP_MAPS_MAX_BYTES) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       "map '%s': %u entries of %u bytes; a map set holds at most %llu bytes",
		       def->name ? def->name : "", def->max_entries, def->value_size,
		       (unsigned long long)HLP_MAPS_MAX_BYTES);
		vm_err_hint(err, "lower max_entries (the kernel allocates lpm_trie nodes on demand)");
		return -ENOMEM;
	}
	return 0;
}

static void lpm_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = map->def.max_entries + 1;
	*extra = sizeof(struct trie) + (uint64_t)map->nslots * 4;
}

static int lpm_init(struct bs_map *map, struct bs_error *err)
{
	struct trie *t = calloc(1, sizeof(*t));
	map->impl = t;
	if (!t || !(t->free = calloc(map->nslots, sizeof(*t->free)))) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'", map->name);
		return -1;
	}
	t->data_size = map->def.key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	return 0;
}

static void free_tree(struct lnode *n)
{
	while (n) {
		free_tree(n->child[0]);
		struct lnode *next = n->child[1];
		free(n);
		n = next;
	}
}

static void lpm_free(struct bs_map *map)
{
	struct trie *t = map->impl;
	if (!t)
		return;
	free_tree(t->root);
	free(t->free);
	free(t);
}

static uint32_t key_prefixlen(const void *key)
{
	uint32_t p;
	memcpy(&p, key, 4);
	return p;
}

static const uint8_t *key_data(const void *key)
{
	return (const uint8_t *)key + 4;
}

static unsigned extract_bit(const uint8_t *data, uint32_t i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

/* longest_prefix_match: how many leading bits of node and key agree, up to
 * the shorter of the two prefixes */
static uint32_t match_len(const struct lnode *n, uint32_t prefixlen, const uint8_t *data)
{
	uint32_t limit = n->prefixlen < prefixlen ? n->prefixlen : prefixlen;
	uint32_t i = 0;
	while (i + 8 <= limit && n->data[i / 8] == data[i / 8])
		i += 8;
	while (i < limit && extract_bit(n->data, i) == extract_bit(data, i))
		i++;
	return i;
}

/* trie_lookup_elem */
static uint32_t lpm_lookup(struct bs_map *map, const void *key)
{
	struct trie *t = map->impl;
	uint32_t plen = key_prefixlen(key);
	const uint8_t *data = key_data(key);
	if (plen > t->max_prefixlen)
		return HLP_NO_SLOT;
	const struct lnode *found = NULL;
	for (const struct lnode *n = t->root; n;) {
		uint32_t m = match_len(n, plen, data);
		if (m == t->max_prefixlen) {
			found = n;
			break;
		}
		if (m < n->prefixlen)
			break;
		if (!n->im)
			found = n;
		n = n->child[extract_bit(data, n->prefixlen)];
	}
	return found ? found->slot : HLP_NO_SLOT;
}

static struct lnode *node_new(const struct trie *t)
{
	return calloc(1, sizeof(struct lnode) + t->data_size);
}

static uint32_t slot_take(struct bs_map *map, struct trie *t)
{
	if (t->nfree)
		return t->free[--t->nfree];
	return t->fresh < map->nslots ? t->fresh++ : HLP_NO_SLOT;
}

static void slot_release(struct trie *t, uint32_t slot)
{
	t->free[t->nfree++] = slot;
}

/* trie_check_add_elem */
static int check_add(const struct bs_map *map, struct trie *t, uint64_t flags)
{
	if (flags == BS_EXIST)
		return -ENOENT;
	if (t->n_entries == map->def.max_entries)
		return -ENOSPC;
	t->n_entries++;
	return 0;
}

/* trie_update_elem */
static int lpm_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		      bool all_cpus)
{
	(void)all_cpus;
	struct trie *t = map->impl;
	uint32_t plen = key_prefixlen(key);
	const uint8_t *data = key_data(key);
	if (flags > BS_EXIST)
		return -EINVAL;
	if (plen > t->max_prefixlen)
		return -EINVAL;
	struct lnode *nn = node_new(t);
	if (!nn)
		return -ENOMEM;
	/* at most max_entries real nodes hold a slot, plus this one */
	nn->slot = slot_take(map, t);
	nn->prefixlen = plen;
	memcpy(nn->data, data, t->data_size);
	hlp_map_store(map, nn->slot, value, false);

	struct lnode **slotp = &t->root, *n;
	uint32_t m = 0;
	int rc = 0;
	while ((n = *slotp)) {
		m = match_len(n, plen, data);
		if (n->prefixlen != m || n->prefixlen == plen)
			break;
		slotp = &n->child[extract_bit(data, n->prefixlen)];
	}
	if (!n) {
		if ((rc = check_add(map, t, flags)))
			goto fail;
		*slotp = nn;
		return 0;
	}
	if (n->prefixlen == m) {
		/* the very prefix: replace the node */
		if (!n->im) {
			if (flags == BS_NOEXIST) {
				rc = -EEXIST;
				goto fail;
			}
		} else if ((rc = check_add(map, t, flags))) {
			goto fail;
		}
		nn->child[0] = n->child[0];
		nn->child[1] = n->child[1];
		*slotp = nn;
		if (!n->im)
			slot_release(t, n->slot);
		free(n);
		return 0;
	}
	if ((rc = check_add(map, t, flags)))
		goto fail;
	if (m == plen) {
		/* the new prefix covers n: it goes above */
		nn->child[extract_bit(n->data, m)] = n;
		*slotp = nn;
		return 0;
	}
	struct lnode *im = node_new(t);
	if (!im) {
		t->n_entries--;
		rc = -ENOMEM;
		goto fail;
	}
	im->prefixlen = m;
	im->im = true;
	im->slot = HLP_NO_SLOT;
	memcpy(im->data, n->data, t->data_size);
	if (extract_bit(data, m)) {
		im->child[0] = n;
		im->child[1] = nn;
	} else {
		im->child[0] = nn;
		im->child[1] = n;
	}
	*slotp = im;
	return 0;
fail:
	slot_release(t, nn->slot);
	free(nn);
	return rc;
}

/* trie_delete_elem */
static int lpm_delete(struct bs_map *map, const void *key)
{
	struct trie *t = map->impl;
	uint32_t plen = key_prefixlen(key);
	const uint8_t *data = key_data(key);
	if (plen > t->max_prefixlen)
		return -EINVAL;
	struct lnode **trim = &t->root, **trim2 = trim, *parent = NULL, *n;
	uint32_t m = 0;
	while ((n = *trim)) {
		m = match_len(n, plen, data);
		if (n->prefixlen != m || n->prefixlen == plen)
			break;
		parent = n;
		trim2 = trim;
		trim = &n->child[extract_bit(data, n->prefixlen)];
	}
	if (!n || n->prefixlen != plen || n->prefixlen != m || n->im)
		return -ENOENT;
	t->n_entries--;
	slot_release(t, n->slot);
	if (n->child[0] && n->child[1]) {
		/* two children: the node stays, as an intermediate one */
		n->im = true;
		n->slot = HLP_NO_SLOT;
		return 0;
	}
	if (parent && parent->im && !n->child[0] && !n->child[1]) {
		/* the intermediate parent goes too; its other child moves up */
		*trim2 = n == parent->child[0] ? parent->child[1] : parent->child[0];
		free(parent);
		free(n);
		return 0;
	}
	*trim = n->child[0] ? n->child[0] : n->child[1];
	free(n);
	return 0;
}

/* trie_get_next_key: post-order, from the leftmost real node; a key that is
 * not in the trie (or prefixlen too large, or NULL) starts over */
static int lpm_next_key(struct bs_map *map, const void *key, void *next)
{
	struct trie *t = map->impl;
	struct lnode *search_root = t->root, *n, *next_node = NULL;
	if (!search_root)
		return -ENOENT;
	uint32_t plen = key ? key_prefixlen(key) : 0;
	if (key && plen <= t->max_prefixlen) {
		const uint8_t *data = key_data(key);
		/* depth is at most max_prefixlen + 1: prefixes grow downwards */
		struct lnode **stack = malloc(((size_t)t->max_prefixlen + 1) * sizeof(*stack));
		if (!stack)
			return -ENOMEM;
		int sp = -1;
		uint32_t m = 0;
		for (n = search_root; n;) {
			stack[++sp] = n;
			m = match_len(n, plen, data);
			if (n->prefixlen != m || n->prefixlen == plen)
				break;
			n = n->child[extract_bit(data, n->prefixlen)];
		}
		if (n && n->prefixlen == m && !n->im) {
			n = stack[sp];
			bool found_root = false;
			while (sp > 0) {
				struct lnode *parent = stack[sp - 1];
				if (parent->child[0] == n && parent->child[1]) {
					search_root = parent->child[1];
					found_root = true;
					break;
				}
				if (!parent->im) {
					next_node = parent;
					break;
				}
				n = parent;
				sp--;
			}
			free(stack);
			if (!found_root && !next_node)
				return -ENOENT;
		} else {
			free(stack);
		}
	}
	if (!next_node) {
		/* the leftmost real node under search_root */
		for (n = search_root; n;) {
			if (n->im) {
				n = n->child[0];
			} else {
				next_node = n;
				n = n->child[0] ? n->child[0] : next_node->child[1];
			}
		}
	}
	memcpy(next, &next_node->prefixlen, 4);
	memcpy((uint8_t *)next + 4, next_node->data, t->data_size);
	return 0;
}

const struct hlp_map_ops hlp_lpm_ops = {
	.check = lpm_check,
	.size = lpm_size,
	.init = lpm_init,
	.free = lpm_free,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.next_key = lpm_next_key,
};
