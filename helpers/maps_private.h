/* SPDX-License-Identifier: MIT */
/* The maps module's private state, shared by the set (maps.c), the map types
 * (map_array.c, map_hash.c, map_lru.c, map_lpm.c, map_queue.c) and the
 * program helpers (map_helpers.c). */
#ifndef BS_HELPERS_MAPS_PRIVATE_H
#define BS_HELPERS_MAPS_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bpfstep/maps.h"
#include "vm/isa.h"

#define HLP_NO_SLOT UINT32_MAX
/* host memory one set may hold: keeps guest addresses and test machines sane */
#define HLP_MAPS_MAX_BYTES (1ULL << 30)
#define HLP_MAX_CPUS 8192
/* kernel MAX_BPF_STACK: the largest key a hash map takes */
#define HLP_MAX_KEY_SIZE 512
/* kernel PCPU_MIN_UNIT_SIZE: the largest percpu value */
#define HLP_PCPU_MAX_VALUE 32768u
/* kernel BPF_F_ACCESS_MASK */
#define HLP_F_ACCESS (BS_F_RDONLY | BS_F_WRONLY | BS_F_RDONLY_PROG | BS_F_WRONLY_PROG)

/* One map type: the kernel's struct bpf_map_ops, cut down. Values live in
 * map->values as slots; a type only decides which slot holds a key. */
struct hlp_map_ops {
	/* BPF_MAP_CREATE's checks for the type (map_alloc_check and the checks
	 * of map_alloc): 0, or a negative errno with err filled */
	int (*check)(const struct bs_map_def *def, struct bs_error *err);
	/* sizes: sets nslots and the host bytes the type needs beside values */
	void (*size)(struct bs_map *map, uint64_t *extra_bytes);
	/* after values are allocated; -1 with err on failure */
	int (*init)(struct bs_map *map, struct bs_error *err);
	void (*free)(struct bs_map *map);
	/* the slot holding key's value, or HLP_NO_SLOT */
	uint32_t (*lookup)(struct bs_map *map, const void *key);
	/* the type checks flags itself, in its order: a program's flags reach
	 * it unfiltered (the syscall refuses BS_F_LOCK first); all_cpus: see
	 * hlp_map_store */
	int (*update)(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		      bool all_cpus);
	int (*delete)(struct bs_map *map, const void *key);
	int (*next_key)(struct bs_map *map, const void *key, void *next);
	/* queue and stack only (NULL for the others): push a value; pop or,
	 * with remove false, peek one into value (NULL: only the errno) */
	int (*push)(struct bs_map *map, const void *value, uint64_t flags);
	int (*pop)(struct bs_map *map, void *value, bool remove);
	/* optional: a program's lookup found slot (LRU maps: marks it used) */
	void (*touch)(struct bs_map *map, uint32_t slot);
	/* optional: the syscall's lookup when it is not a copy of the slot
	 * (ringbuf, perf_event_array: -ENOTSUPP) */
	int (*sys_lookup)(struct bs_map *map, const void *key, void *value);
	/* ringbuf and perf_event_array: what programs sent (bs_map_record_*) */
	size_t (*record_count)(const struct bs_map *map);
	int (*record_get)(const struct bs_map *map, size_t i, struct bs_map_record *out);
	void (*records_clear)(struct bs_map *map);
};

BS_HIDDEN extern const struct hlp_map_ops hlp_array_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_hash_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_lru_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_lpm_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_queue_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_ringbuf_ops;    /* map_ringbuf.c */
BS_HIDDEN extern const struct hlp_map_ops hlp_fd_array_ops;   /* map_fd_array.c */
BS_HIDDEN extern const struct hlp_map_ops hlp_hash_of_maps_ops; /* map_of_maps.c */
/* map_dev.c: the redirect maps (enum bpf_map_type values) */
#define HLP_MAP_DEVMAP 14
#define HLP_MAP_CPUMAP 16
#define HLP_MAP_XSKMAP 17
#define HLP_MAP_DEVMAP_HASH 25
BS_HIDDEN extern const struct hlp_map_ops hlp_devmap_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_devmap_hash_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_cpumap_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_xskmap_ops;
/* bpf_redirect_map's lookup in one of those maps: true when key has an
 * entry, with the devmap entry's ifindex (0 for the other types) */
BS_HIDDEN bool hlp_redirect_map_lookup(struct bs_map *map, uint32_t key, uint32_t *ifindex);

struct bs_map {
	struct bs_map_def def;   /* def.name points to name */
	char *name;
	struct bs_maps *set;
	const struct hlp_map_ops *ops;
	uint32_t index;          /* in the set: the lddw imm */
	bool percpu;
	uint32_t elem_size;      /* round_up(value_size, 8): one CPU's copy */
	uint32_t ncopies;        /* ncpus for percpu types, else 1 */
	uint64_t slot_size;      /* elem_size * ncopies */
	uint32_t nslots;
	/* nslots * slot_size bytes, slot-major then CPU: the one region a
	 * program sees, and exactly the syscall's percpu value layout per slot */
	uint8_t *values;
	uint64_t values_size;
	void *impl;              /* the type's own state */
	struct bs_map_def *inner; /* outer maps: a copy of the inner template */
	uint64_t handle;         /* 0 before the first attach */
	uint64_t guest;          /* base address in the VM attached last */
};

/* What one bs_maps_attach gave one VM. */
struct hlp_attach {
	struct bs_maps *maps;
	const struct bs_vm *vm;  /* for bs_maps_detach */
	size_t nmaps;            /* maps that existed then: the ones this VM sees */
	uint64_t *guest;         /* region base of each */
	bs_lddw_resolver_fn prev;
	void *prev_user;
	/* bpf_for_each_map_elem hands its callback a pointer to the key: one
	 * buffer per nesting level, in a read-only region of the VM */
	uint8_t foreach_keys[BS_MAX_FRAMES][HLP_MAX_KEY_SIZE];
	uint64_t foreach_keys_guest;
	unsigned foreach_level;
};

struct bs_maps {
	struct bs_map **maps;
	size_t n, cap;
	uint32_t ncpus;
	uint32_t cpu;
	uint64_t bytes;          /* host memory held, against max_bytes */
	uint64_t max_bytes;      /* bs_maps_set_memory_limit; HLP_MAPS_MAX_BYTES by default */
	struct hlp_attach **attached;
	size_t nattached;
};

static inline uint8_t *hlp_map_slot(const struct bs_map *map, uint32_t slot)
{
	return map->values + (uint64_t)slot * map->slot_size;
}

static inline uint32_t hlp_map_cpu(const struct bs_map *map)
{
	return map->percpu ? map->set->cpu : 0;
}

/* Writes a value into slot. all_cpus (the syscall on a percpu map): value
 * holds every CPU's copy, padding included. Otherwise value_size bytes go to
 * the current CPU's copy (a program's update), or the only copy. memmove:
 * a program may pass a pointer into the very slot it updates. */
static inline void hlp_map_store(struct bs_map *map, uint32_t slot, const void *value,
				 bool all_cpus)
{
	uint8_t *p = hlp_map_slot(map, slot);
	if (map->percpu && all_cpus)
		memmove(p, value, map->slot_size);
	else
		memmove(p + (uint64_t)hlp_map_cpu(map) * map->elem_size, value,
			map->def.value_size);
}

/* The map r1 names for helper id in this VM, or -1 with a helper error. */
BS_HIDDEN int hlp_map_arg(const struct hlp_attach *att, int32_t id, uint64_t r1,
			  struct bs_map **out, struct bs_error *err);
/* The guest address of slot's copy for cpu in this VM. */
BS_HIDDEN uint64_t hlp_map_value_addr(const struct hlp_attach *att, const struct bs_map *map,
				      uint32_t slot, uint32_t cpu);
/* bpf_for_each_map_elem (164), in map_foreach.c. */
BS_HIDDEN int hlp_register_for_each(struct bs_vm *vm, struct hlp_attach *att,
				    struct bs_error *err);

/* map_of_maps.c: an outer map type (array_of_maps, hash_of_maps) */
static inline bool hlp_is_outer(uint32_t type)
{
	return type == BS_MAP_ARRAY_OF_MAPS || type == BS_MAP_HASH_OF_MAPS;
}
/* A copy of an inner template, its name in the same allocation; NULL: no memory. */
BS_HIDDEN struct bs_map_def *hlp_inner_copy(const struct bs_map_def *tmpl);
/* bpf_map_meta_alloc's checks of the template: 0 or a negative errno, err filled. */
BS_HIDDEN int hlp_inner_check(const struct bs_map_def *outer, const struct bs_map_def *tmpl,
			      struct bs_error *err);
/* Map index in an outer map's value: 0, -EBADF (no such map) or -EINVAL
 * (not compatible with the template), as bpf_map_fd_get_ptr. */
BS_HIDDEN int hlp_inner_get(struct bs_map *outer, const void *value);
/* What a program's lookup of an outer map's slot gives: the inner map's handle. */
BS_HIDDEN uint64_t hlp_inner_handle(const struct bs_map *outer, uint32_t slot);
/* The ops of a map type (maps.c), NULL for types bpfstep does not have. */
BS_HIDDEN const struct hlp_map_ops *hlp_type_ops(uint32_t type);

/* check_map_func_compatibility (map_compat.c): may helper id take map? 0,
 * or -1 with the verifier's message in err (BS_ERR_HELPER). */
BS_HIDDEN int hlp_map_func_compat(int32_t id, const struct bs_map *map, struct bs_error *err);
/* Puts "PREFIX: " in front of err's message (a sandbox fault in a helper argument). */
BS_HIDDEN void hlp_prefix_err(struct bs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Helpers of map_ringbuf.c and map_perf.c (user: the struct hlp_attach). */
BS_HIDDEN int hlp_h_ringbuf_output(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				   struct bs_error *err, void *user);
BS_HIDDEN int hlp_h_ringbuf_reserve(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				    struct bs_error *err, void *user);
BS_HIDDEN int hlp_h_ringbuf_submit(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				   struct bs_error *err, void *user);
BS_HIDDEN int hlp_h_ringbuf_discard(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				    struct bs_error *err, void *user);
BS_HIDDEN int hlp_h_ringbuf_query(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				  struct bs_error *err, void *user);
BS_HIDDEN int hlp_h_perf_event_output(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				      struct bs_error *err, void *user);
/* map_fd_array.c: a prog_array or perf_event_array slot as the kernel's
 * helpers see it (whatever the syscall permissions): -E2BIG (index out of
 * range), -ENOENT (empty) or 0 with its value (program index, event CPU) */
BS_HIDDEN int hlp_fd_slot(const struct bs_map *map, uint64_t index, uint32_t *value);
/* map_fd_array.c: keeps a perf_event_array record (copied); 0 or -ENOSPC */
BS_HIDDEN int hlp_perf_record_add(struct bs_map *map, const void *data, size_t size,
				  uint32_t cpu);

/* Registers the map helpers of one attachment. */
BS_HIDDEN int hlp_maps_register_helpers(struct bs_vm *vm, struct hlp_attach *att,
					struct bs_error *err);

/* Fills err (BS_ERR_ARG) with "map 'NAME' (TYPE): " and the reason; returns rc. */
BS_HIDDEN int hlp_def_err(const struct bs_map_def *def, int rc, struct bs_error *err,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* BPF_MAP_CREATE's checks of map_flags shared by the types: 0 or -EINVAL. */
BS_HIDDEN int hlp_check_flags(const struct bs_map_def *def, uint32_t allowed,
			      struct bs_error *err);

/* FNV-1a for the hash-based maps: the same key always lands in the same
 * bucket, on every host */
static inline uint32_t hlp_key_hash(const void *key, uint32_t n)
{
	const uint8_t *p = key;
	uint32_t x = 2166136261u;
	for (uint32_t i = 0; i < n; i++)
		x = (x ^ p[i]) * 16777619u;
	return x ^ (x >> 15);
}

#endif
