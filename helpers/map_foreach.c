// SPDX-License-Identifier: MIT
/* bpf_for_each_map_elem (164): calls the program's callback
 * (map, &key, &value, ctx) for each element of an array or hash map, as
 * the kernel's map_for_each_callback does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "helpers/maps_private.h"
#include "vm/error.h"

static bool iterable(const struct bs_map *map)
{
	switch (map->def.type) {
	case BS_MAP_HASH: case BS_MAP_PERCPU_HASH: case BS_MAP_LRU_HASH:
	case BS_MAP_LRU_PERCPU_HASH: case BS_MAP_ARRAY: case BS_MAP_PERCPU_ARRAY:
		return true;
	default:
		return false;
	}
}

/* The keys there are now, in iteration order (arrays: every index). The
 * callback may delete or add elements: a deleted key is skipped when its
 * turn comes, an added one is not visited, as with the kernel's walk over
 * buckets that are already behind it. */
static int snapshot_keys(struct bs_map *map, uint8_t **keys, size_t *n, struct bs_error *err)
{
	uint32_t ks = map->def.key_size;
	size_t cap = 16, len = 0;
	uint8_t *buf = malloc(cap * ks);
	if (!buf)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	const uint8_t *prev = NULL;
	for (;;) {
		if (len == cap) {
			uint8_t *more = realloc(buf, (cap *= 2) * ks);
			if (!more) {
				free(buf);
				return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
			}
			buf = more;
		}
		if (map->ops->next_key(map, prev ? buf + (len - 1) * ks : NULL, buf + len * ks))
			break;
		prev = buf;
		len++;
	}
	*keys = buf;
	*n = len;
	return 0;
}

static int h_for_each(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		      struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (hlp_map_arg(att, 164, args[0], &map, err))
		return -1;
	if (!iterable(map)) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC, "cannot pass map_type %u into func %s#164 "
		       "(map '%s' is %s)", map->def.type, hlp_name(164), map->name,
		       bs_map_type_name(map->def.type));
		return -1;
	}
	if (args[3]) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	uint32_t ks = map->def.key_size;
	if (ks > HLP_MAX_KEY_SIZE || att->foreach_level >= BS_MAX_FRAMES)
		return vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
			      "%s over map '%s': keys of %u bytes or %u nested walks are more than "
			      "bpfstep provides (%d bytes, %d walks)", hlp_name(164), map->name, ks,
			      att->foreach_level + 1, HLP_MAX_KEY_SIZE, BS_MAX_FRAMES);
	/* an array's keys are its indices: no need to keep them */
	bool array = map->def.type == BS_MAP_ARRAY || map->def.type == BS_MAP_PERCPU_ARRAY;
	uint8_t *keys = NULL;
	size_t n = map->def.max_entries;
	if (!array && snapshot_keys(map, &keys, &n, err))
		return -1;
	unsigned level = att->foreach_level++;
	uint8_t *key = att->foreach_keys[level];
	uint64_t key_guest = att->foreach_keys_guest + (uint64_t)level * HLP_MAX_KEY_SIZE;
	uint64_t done = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t index = (uint32_t)i;
		const void *k = array ? (const void *)&index : keys + i * ks;
		uint32_t slot = map->ops->lookup(map, k);
		if (slot == HLP_NO_SLOT)
			continue;
		memcpy(key, k, ks);
		uint64_t cb_args[5] = {args[0], key_guest,
				       hlp_map_value_addr(att, map, slot, hlp_map_cpu(map)),
				       args[2], 0};
		uint64_t ret;
		if ((rc = bs_vm_call(vm, args[1], cb_args, &ret, err)) != 0)
			break;
		done++;
		/* the verifier allows the callback to return 0 (go on) or 1 (stop) */
		if (ret)
			break;
	}
	att->foreach_level--;
	free(keys);
	if (rc)
		return -1;
	*r0 = done;
	return 0;
}

int hlp_register_for_each(struct bs_vm *vm, struct hlp_attach *att, struct bs_error *err)
{
	if (bs_vm_add_region(vm, "for_each_key", att->foreach_keys, sizeof(att->foreach_keys),
			     BS_REGION_READ, &att->foreach_keys_guest, err))
		return -1;
	return bs_vm_set_helper(vm, 164, hlp_name(164), h_for_each, att, err);
}
