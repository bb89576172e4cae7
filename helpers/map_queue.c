// SPDX-License-Identifier: MIT
/* queue and stack (kernel/bpf/queue_stack_maps.c): no keys (key_size 0), a
 * ring of max_entries + 1 value slots as in the kernel. push appends; pop
 * and peek take the oldest (queue) or the newest (stack). When full, push
 * gives -E2BIG, or with BPF_EXIST overwrites the oldest element (for a
 * stack too: the bottom one). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/maps_private.h"
#include "vm/error.h"

/* kernel KMALLOC_MAX_SIZE on x86-64 */
#define QS_MAX_VALUE (4u << 20)

struct qstate {
	uint32_t head, tail, size;  /* as struct bpf_queue_stack */
};

/* queue_stack_map_alloc_check, then the allocation */
static int queue_check(const struct bs_map_def *def, struct bs_error *err)
{
	if (def->max_entries == 0)
		return hlp_def_err(def, -EINVAL, err, "max_entries must not be 0");
	if (def->key_size != 0)
		return hlp_def_err(def, -EINVAL, err, "key_size is %u; a %s has no key (key_size 0)",
				   def->key_size, bs_map_type_name(def->type));
	if (def->value_size == 0)
		return hlp_def_err(def, -EINVAL, err, "value_size must not be 0");
	/* QUEUE_STACK_CREATE_FLAG_MASK */
	int rc = hlp_check_flags(def, BS_F_NUMA_NODE | HLP_F_ACCESS, err);
	if (rc)
		return rc;
	if (def->value_size > QS_MAX_VALUE)
		return hlp_def_err(def, -E2BIG, err, "value_size %u is larger than %u "
				   "(KMALLOC_MAX_SIZE)", def->value_size, QS_MAX_VALUE);
	/* max_entries + 1 slots must fit a uint32_t and the set's memory */
	uint64_t bytes = ((uint64_t)def->max_entries + 1) * ((def->value_size + 7ULL) & ~7ULL);
	if (def->max_entries == UINT32_MAX || bytes > HLP_MAPS_MAX_BYTES) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       "map '%s': %u entries of %u bytes; a map set holds at most %llu bytes",
		       def->name ? def->name : "", def->max_entries, def->value_size,
		       (unsigned long long)HLP_MAPS_MAX_BYTES);
		return -ENOMEM;
	}
	return 0;
}

static void queue_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = map->def.max_entries + 1;
	*extra = sizeof(struct qstate);
}

static int queue_init(struct bs_map *map, struct bs_error *err)
{
	struct qstate *q = calloc(1, sizeof(*q));
	map->impl = q;
	if (!q) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'", map->name);
		return -1;
	}
	q->size = map->nslots;
	return 0;
}

static void queue_free(struct bs_map *map)
{
	free(map->impl);
}

/* the kernel's map_lookup_elem of these types: NULL (programs use peek) */
static uint32_t queue_lookup(struct bs_map *map, const void *key)
{
	(void)map, (void)key;
	return HLP_NO_SLOT;
}

static int queue_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
			bool all_cpus)
{
	(void)map, (void)key, (void)value, (void)flags, (void)all_cpus;
	return -EINVAL;
}

static int queue_delete(struct bs_map *map, const void *key)
{
	(void)map, (void)key;
	return -EINVAL;
}

static int queue_next_key(struct bs_map *map, const void *key, void *next)
{
	(void)map, (void)key, (void)next;
	return -EINVAL;
}

/* queue_stack_map_push_elem */
static int queue_push(struct bs_map *map, const void *value, uint64_t flags)
{
	struct qstate *q = map->impl;
	if ((flags & BS_NOEXIST) || flags > BS_EXIST)
		return -EINVAL;
	uint32_t next = q->head + 1 >= q->size ? 0 : q->head + 1;
	if (next == q->tail) {  /* full */
		if (!(flags & BS_EXIST))
			return -E2BIG;
		/* overwrite the oldest element */
		q->tail = q->tail + 1 >= q->size ? 0 : q->tail + 1;
	}
	memmove(hlp_map_slot(map, q->head), value, map->def.value_size);
	q->head = next;
	return 0;
}

/* __queue_map_get and __stack_map_get */
static int queue_pop(struct bs_map *map, void *value, bool remove)
{
	struct qstate *q = map->impl;
	if (q->head == q->tail)
		return -ENOENT;
	uint32_t at;
	if (map->def.type == BS_MAP_QUEUE) {
		at = q->tail;
		if (remove)
			q->tail = q->tail + 1 >= q->size ? 0 : q->tail + 1;
	} else {
		at = q->head == 0 ? q->size - 1 : q->head - 1;
		if (remove)
			q->head = at;
	}
	if (value)
		memmove(value, hlp_map_slot(map, at), map->def.value_size);
	return 0;
}

const struct hlp_map_ops hlp_queue_ops = {
	.check = queue_check,
	.size = queue_size,
	.init = queue_init,
	.free = queue_free,
	.lookup = queue_lookup,
	.update = queue_update,
	.delete = queue_delete,
	.next_key = queue_next_key,
	.push = queue_push,
	.pop = queue_pop,
};
