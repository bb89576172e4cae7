// SPDX-License-Identifier: MIT
/* Which helpers take which maps: the verifier's
 * check_map_func_compatibility (kernel/bpf/verifier.c), first by the map's
 * type, then by the helper. A program the verifier would refuse stops with
 * its message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "helpers/maps_private.h"
#include "vm/error.h"

enum {
	F_LOOKUP = 1, F_TAIL_CALL = 12, F_PERF_READ = 22, F_PERF_OUTPUT = 25,
	F_PERF_READ_VALUE = 55, F_PUSH = 87, F_POP = 88, F_PEEK = 89, F_SKB_OUTPUT = 111,
	F_XDP_OUTPUT = 121, F_RB_OUTPUT = 130, F_RB_RESERVE = 131, F_RB_QUERY = 134,
	F_RB_RESERVE_DYNPTR = 198, F_RB_SUBMIT_DYNPTR = 199, F_RB_DISCARD_DYNPTR = 200,
	F_LOOKUP_PERCPU = 195,
};

static bool is_perf_func(int32_t id)
{
	return id == F_PERF_READ || id == F_PERF_OUTPUT || id == F_PERF_READ_VALUE ||
	       id == F_SKB_OUTPUT || id == F_XDP_OUTPUT;
}

static bool is_ringbuf_func(int32_t id)
{
	return id == F_RB_OUTPUT || id == F_RB_RESERVE || id == F_RB_QUERY ||
	       id == F_RB_RESERVE_DYNPTR || id == F_RB_SUBMIT_DYNPTR || id == F_RB_DISCARD_DYNPTR;
}

static bool by_map_type(int32_t id, uint32_t type)
{
	switch (type) {
	case BS_MAP_PROG_ARRAY:
		return id == F_TAIL_CALL;
	case BS_MAP_PERF_EVENT_ARRAY:
		return is_perf_func(id);
	case BS_MAP_RINGBUF:
		return is_ringbuf_func(id);
	case BS_MAP_ARRAY_OF_MAPS:
	case BS_MAP_HASH_OF_MAPS:
		return id == F_LOOKUP;
	case BS_MAP_QUEUE:
	case BS_MAP_STACK:
		return id == F_PUSH || id == F_POP || id == F_PEEK;
	default:
		return true;
	}
}

static bool by_func(int32_t id, uint32_t type)
{
	if (id == F_TAIL_CALL)
		return type == BS_MAP_PROG_ARRAY;
	if (is_perf_func(id))
		return type == BS_MAP_PERF_EVENT_ARRAY;
	if (id == F_RB_OUTPUT || id == F_RB_RESERVE || id == F_RB_QUERY ||
	    id == F_RB_RESERVE_DYNPTR)
		return type == BS_MAP_RINGBUF;
	if (id == F_PUSH || id == F_POP || id == F_PEEK)
		return type == BS_MAP_QUEUE || type == BS_MAP_STACK;
	if (id == F_LOOKUP_PERCPU)
		return type == BS_MAP_PERCPU_HASH || type == BS_MAP_PERCPU_ARRAY ||
		       type == BS_MAP_LRU_PERCPU_HASH;
	return true;
}

int hlp_map_func_compat(int32_t id, const struct bs_map *map, struct bs_error *err)
{
	uint32_t type = map->def.type;
	if (by_map_type(id, type) && by_func(id, type))
		return 0;
	vm_err(err, BS_ERR_HELPER, BS_NO_PC, "cannot pass map_type %u into func %s#%d (map '%s' "
	       "is %s)", type, hlp_name(id), id, map->name, bs_map_type_name(type));
	switch (type) {
	case BS_MAP_QUEUE:
	case BS_MAP_STACK:
		vm_err_hint(err, "a %s is used with bpf_map_push_elem, bpf_map_pop_elem and "
			    "bpf_map_peek_elem", bs_map_type_name(type));
		break;
	case BS_MAP_RINGBUF:
		vm_err_hint(err, "a ringbuf is used with bpf_ringbuf_output, bpf_ringbuf_reserve "
			    "(then submit or discard) and bpf_ringbuf_query");
		break;
	case BS_MAP_PERF_EVENT_ARRAY:
		vm_err_hint(err, "a perf_event_array is used with bpf_perf_event_output");
		break;
	case BS_MAP_PROG_ARRAY:
		vm_err_hint(err, "a prog_array is used with bpf_tail_call only; user space fills it");
		break;
	case BS_MAP_ARRAY_OF_MAPS:
	case BS_MAP_HASH_OF_MAPS:
		vm_err_hint(err, "a program only looks up a map of maps (bpf_map_lookup_elem "
			    "gives the inner map); user space fills it");
		break;
	default:
		break;
	}
	return -1;
}

void hlp_prefix_err(struct bs_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	char pfx[160], msg[sizeof(err->message) + sizeof(pfx) + 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pfx, sizeof(pfx), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s: %s", pfx, err->message);
	size_t len = strnlen(msg, sizeof(err->message) - 1);
	memcpy(err->message, msg, len);
	err->message[len] = '\0';
}
