// SPDX-License-Identifier: MIT
/* The map helpers a program calls: bpf_map_lookup_elem (1),
 * bpf_map_update_elem (2), bpf_map_delete_elem (3), bpf_map_push_elem (87),
 * bpf_map_pop_elem (88), bpf_map_peek_elem (89) and
 * bpf_map_lookup_percpu_elem (195). r1 is a map handle (what lddw of a map
 * gave), keys and values are read from guest memory through the sandbox,
 * and lookups return guest addresses inside the map's region. */
#include <stdio.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "helpers/maps_private.h"
#include "vm/error.h"

/* The map r1 names in this VM, or -1 with a helper error. */
static int arg_map(const struct hlp_attach *att, int32_t id, uint64_t r1, struct bs_map **out,
		   struct bs_error *err)
{
	uint64_t off = r1 - BS_MAP_HANDLE_BASE;
	uint64_t i = off / BS_MAP_HANDLE_STRIDE;
	if (r1 < BS_MAP_HANDLE_BASE || off % BS_MAP_HANDLE_STRIDE || i >= att->maps->n) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC, "%s: R1 is not a map (R1=0x%llx)",
		       hlp_name(id), (unsigned long long)r1);
		vm_err_hint(err, "R1 must be what `lddw rX, map` loaded; there %s %zu map%s",
			    att->nmaps == 1 ? "is" : "are", att->nmaps, att->nmaps == 1 ? "" : "s");
		return -1;
	}
	if (i >= att->nmaps) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC,
		       "%s: R1 is map #%llu '%s', which was created after the maps were attached "
		       "to this VM", hlp_name(id), (unsigned long long)i, att->maps->maps[i]->name);
		return -1;
	}
	*out = att->maps->maps[i];
	return 0;
}

/* Translates a key or value argument; on a fault the sandbox's message gets
 * the helper and the argument in front. */
static const void *arg_mem(struct bs_vm *vm, int32_t id, int reg, const char *what,
			   uint64_t addr, uint32_t size, struct bs_error *err)
{
	const void *p = bs_vm_translate(vm, addr, size, false, err);
	if (!p && err) {
		char msg[sizeof(err->message) + 96];
		snprintf(msg, sizeof(msg), "%s: R%d (%s, %u bytes): %s", hlp_name(id), reg, what,
			 size, err->message);
		size_t len = strnlen(msg, sizeof(err->message) - 1);
		memcpy(err->message, msg, len);
		err->message[len] = '\0';
	}
	return p;
}

/* check_map_func_compatibility (map_compat.c) */
static int check_compat(int32_t id, const struct bs_map *map, struct bs_error *err)
{
	return hlp_map_func_compat(id, map, err);
}

static uint64_t value_addr(const struct hlp_attach *att, const struct bs_map *map,
			   uint32_t slot, uint32_t cpu)
{
	return att->guest[map->index] + (uint64_t)slot * map->slot_size +
	       (uint64_t)cpu * map->elem_size;
}

static int h_lookup(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		    struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (arg_map(att, 1, args[0], &map, err) || check_compat(1, map, err))
		return -1;
	const void *key = arg_mem(vm, 1, 2, "key", args[1], map->def.key_size, err);
	if (!key)
		return -1;
	uint32_t slot = map->ops->lookup(map, key);
	if (slot != HLP_NO_SLOT && map->ops->touch)
		map->ops->touch(map, slot);
	if (hlp_is_outer(map->def.type))  /* the inner map, for the map helpers */
		*r0 = slot == HLP_NO_SLOT ? 0 : hlp_inner_handle(map, slot);
	else
		*r0 = slot == HLP_NO_SLOT ? 0 : value_addr(att, map, slot, hlp_map_cpu(map));
	return 0;
}

/* bpf_map_lookup_elem on a plain array is an array lookup the JIT may do
 * inline (array_map_gen_lookup): one copy per key, no per-CPU copies, no
 * inner maps, nothing to note on a hit. */
static bool lookup_is_array(void *user, uint64_t r1, struct bs_helper_array *out)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (arg_map(att, 1, r1, &map, NULL) || map->def.type != BS_MAP_ARRAY ||
	    map->ops->touch || map->percpu)
		return false;
	out->base = att->guest[map->index];
	out->stride = map->slot_size;
	out->n = map->def.max_entries;
	return true;
}

/* The verifier refuses these calls on a map the program may not write. */
static int check_writable(int32_t id, const struct bs_map *map, struct bs_error *err)
{
	if (!(map->def.flags & BS_F_RDONLY_PROG))
		return 0;
	vm_err(err, BS_ERR_HELPER, BS_NO_PC, "%s: write into map forbidden (map '%s' is "
	       "read-only to programs: BPF_F_RDONLY_PROG)", hlp_name(id), map->name);
	return -1;
}

static int h_update(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		    struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (arg_map(att, 2, args[0], &map, err) || check_compat(2, map, err) ||
	    check_writable(2, map, err))
		return -1;
	const void *key = arg_mem(vm, 2, 2, "key", args[1], map->def.key_size, err);
	const void *value = key ? arg_mem(vm, 2, 3, "value", args[2], map->def.value_size, err)
				: NULL;
	if (!value)
		return -1;
	*r0 = (uint64_t)(int64_t)map->ops->update(map, key, value, args[3], false);
	return 0;
}

static int h_delete(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		    struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (arg_map(att, 3, args[0], &map, err) || check_compat(3, map, err) ||
	    check_writable(3, map, err))
		return -1;
	const void *key = arg_mem(vm, 3, 2, "key", args[1], map->def.key_size, err);
	if (!key)
		return -1;
	*r0 = (uint64_t)(int64_t)map->ops->delete(map, key);
	return 0;
}

/* bpf_map_lookup_percpu_elem(map, key, cpu): another CPU's copy */
static int h_lookup_percpu(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			   struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (arg_map(att, 195, args[0], &map, err))
		return -1;
	if (!map->percpu) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC,
		       "cannot pass map_type %u into func %s#195 (map '%s' is %s, not percpu)",
		       map->def.type, hlp_name(195), map->name, bs_map_type_name(map->def.type));
		return -1;
	}
	const void *key = arg_mem(vm, 195, 2, "key", args[1], map->def.key_size, err);
	if (!key)
		return -1;
	uint32_t cpu = (uint32_t)args[2];  /* the helper takes a u32 */
	uint32_t slot = map->ops->lookup(map, key);
	if (slot != HLP_NO_SLOT && map->ops->touch)
		map->ops->touch(map, slot);
	*r0 = slot == HLP_NO_SLOT || cpu >= map->ncopies ? 0 : value_addr(att, map, slot, cpu);
	return 0;
}

/* bpf_map_push_elem(map, value, flags) */
static int h_push(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		  struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (arg_map(att, 87, args[0], &map, err) || check_compat(87, map, err) ||
	    check_writable(87, map, err))
		return -1;
	const void *value = arg_mem(vm, 87, 2, "value", args[1], map->def.value_size, err);
	if (!value)
		return -1;
	*r0 = (uint64_t)(int64_t)map->ops->push(map, value, args[2]);
	return 0;
}

/* bpf_map_pop_elem (88) and bpf_map_peek_elem (89): (map, value) */
static int pop_or_peek(struct bs_vm *vm, int32_t id, const uint64_t args[5], uint64_t *r0,
		       struct bs_error *err, struct hlp_attach *att)
{
	struct bs_map *map;
	if (arg_map(att, id, args[0], &map, err) || check_compat(id, map, err) ||
	    (id == 88 && check_writable(id, map, err)))
		return -1;
	void *value = bs_vm_translate(vm, args[1], map->def.value_size, true, err);
	if (!value) {
		if (err) {
			char msg[sizeof(err->message) + 96];
			snprintf(msg, sizeof(msg), "%s: R2 (value, %u bytes): %s", hlp_name(id),
				 map->def.value_size, err->message);
			size_t len = strnlen(msg, sizeof(err->message) - 1);
			memcpy(err->message, msg, len);
			err->message[len] = '\0';
		}
		return -1;
	}
	*r0 = (uint64_t)(int64_t)map->ops->pop(map, value, id == 88);
	return 0;
}

static int h_pop(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		 struct bs_error *err, void *user)
{
	return pop_or_peek(vm, 88, args, r0, err, user);
}

static int h_peek(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		  struct bs_error *err, void *user)
{
	return pop_or_peek(vm, 89, args, r0, err, user);
}

int hlp_maps_register_helpers(struct bs_vm *vm, struct hlp_attach *att, struct bs_error *err)
{
	static const struct {
		int32_t id;
		bs_helper_fn fn;
	} table[] = {
		{1, h_lookup},
		{2, h_update},
		{3, h_delete},
		{87, h_push},
		{88, h_pop},
		{89, h_peek},
		{195, h_lookup_percpu},
		{25, hlp_h_perf_event_output},
		{130, hlp_h_ringbuf_output},
		{131, hlp_h_ringbuf_reserve},
		{132, hlp_h_ringbuf_submit},
		{133, hlp_h_ringbuf_discard},
		{134, hlp_h_ringbuf_query},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (bs_vm_set_helper(vm, table[i].id, hlp_name(table[i].id), table[i].fn, att, err))
			return -1;
	if (bs_vm_set_helper_array(vm, 1, lookup_is_array, err))
		return -1;
	return hlp_register_for_each(vm, att, err);
}

int hlp_map_arg(const struct hlp_attach *att, int32_t id, uint64_t r1, struct bs_map **out,
		struct bs_error *err)
{
	return arg_map(att, id, r1, out, err);
}

uint64_t hlp_map_value_addr(const struct hlp_attach *att, const struct bs_map *map,
			    uint32_t slot, uint32_t cpu)
{
	return value_addr(att, map, slot, cpu);
}
