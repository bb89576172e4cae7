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
};

BS_HIDDEN extern const struct hlp_map_ops hlp_array_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_hash_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_lru_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_lpm_ops;
BS_HIDDEN extern const struct hlp_map_ops hlp_queue_ops;

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
	uint64_t handle;         /* 0 before the first attach */
	uint64_t guest;          /* base address in the VM attached last */
};

/* What one bs_maps_attach gave one VM. */
struct hlp_attach {
	struct bs_maps *maps;
	size_t nmaps;            /* maps that existed then: the ones this VM sees */
	uint64_t *guest;         /* region base of each */
	bs_lddw_resolver_fn prev;
	void *prev_user;
};

struct bs_maps {
	struct bs_map **maps;
	size_t n, cap;
	uint32_t ncpus;
	uint32_t cpu;
	uint64_t bytes;          /* host memory held, against HLP_MAPS_MAX_BYTES */
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
