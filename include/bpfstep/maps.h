/* SPDX-License-Identifier: MIT */
/* eBPF maps with the kernel's semantics, usable by programs (through the
 * map helpers) and from outside (this API). */
#ifndef BPFSTEP_MAPS_H
#define BPFSTEP_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Map types, numbered as the kernel's enum bpf_map_type. */
enum bs_map_type {
	BS_MAP_HASH = 1,
	BS_MAP_ARRAY = 2,
	BS_MAP_PROG_ARRAY = 3,
	BS_MAP_PERF_EVENT_ARRAY = 4,
	BS_MAP_PERCPU_HASH = 5,
	BS_MAP_PERCPU_ARRAY = 6,
	BS_MAP_LRU_HASH = 9,
	BS_MAP_LRU_PERCPU_HASH = 10,
	BS_MAP_LPM_TRIE = 11,
	BS_MAP_ARRAY_OF_MAPS = 12,
	BS_MAP_HASH_OF_MAPS = 13,
	BS_MAP_QUEUE = 22,
	BS_MAP_STACK = 23,
	BS_MAP_RINGBUF = 27,
};

/* Update flags, as the kernel's BPF_ANY / BPF_NOEXIST / BPF_EXIST. */
enum { BS_ANY = 0, BS_NOEXIST = 1, BS_EXIST = 2 };

struct bs_map_def {
	const char *name;      /* "counts", or ".bss" style names for global data */
	uint32_t type;         /* enum bs_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;        /* map_flags (BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG ...) */
};

struct bs_map;

/* A set of maps shared by the programs of one object (and across runs). */
struct bs_maps;

BS_MUST_CHECK int bs_maps_new(struct bs_maps **out, uint32_t ncpus, struct bs_error *err);
void bs_maps_free(struct bs_maps *maps);

/* Creates a map; its definition is checked like BPF_MAP_CREATE checks it
 * (zero sizes, unsupported types -> BS_ERR_ARG with the kernel's reason). */
BS_MUST_CHECK int bs_maps_create(struct bs_maps *maps, const struct bs_map_def *def,
				 struct bs_map **out, struct bs_error *err);
size_t bs_maps_count(const struct bs_maps *maps);
struct bs_map *bs_maps_at(const struct bs_maps *maps, size_t i);
struct bs_map *bs_maps_find(const struct bs_maps *maps, const char *name);

const struct bs_map_def *bs_map_def(const struct bs_map *map);

/* The CPU whose copy percpu maps use (bpf_get_smp_processor_id agrees). */
void bs_maps_set_cpu(struct bs_maps *maps, uint32_t cpu);

/* From outside the program, the kernel's syscall semantics. Return 0 or a
 * negative errno exactly as bpf(BPF_MAP_*) would (-ENOENT, -EEXIST, -E2BIG,
 * -EINVAL ...). For percpu maps value holds ncpus values, each rounded up to
 * 8 bytes, as the syscall does. */
int bs_map_lookup(struct bs_map *map, const void *key, void *value);
int bs_map_update(struct bs_map *map, const void *key, const void *value, uint64_t flags);
int bs_map_delete(struct bs_map *map, const void *key);
/* next key after key (key NULL: the first); -ENOENT after the last. */
int bs_map_next_key(struct bs_map *map, const void *key, void *next);

/* Host pointer to the value storage of a single-entry array (global data:
 * .data/.rodata/.bss), for loading initial contents. */
void *bs_map_array_data(struct bs_map *map, uint32_t index);

/* Makes the maps visible to a VM: registers each map's value memory as a
 * region, the map helpers (bpf_map_lookup_elem 1, bpf_map_update_elem 2,
 * bpf_map_delete_elem 3), and returns through bs_maps_handle() the 64-bit
 * value a lddw map reference loads. maps must outlive vm. */
BS_MUST_CHECK int bs_maps_attach(struct bs_maps *maps, struct bs_vm *vm, struct bs_error *err);
/* The value `lddw rX, map` gives (BPF_PSEUDO_MAP_FD); 0 before attach. */
uint64_t bs_maps_handle(const struct bs_map *map);
/* The guest address of element index of an array map (BPF_PSEUDO_MAP_VALUE). */
uint64_t bs_map_value_addr(const struct bs_map *map, uint32_t index);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
