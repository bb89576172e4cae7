/* SPDX-License-Identifier: MIT */
/* eBPF maps with the kernel's semantics, usable by programs (through the
 * map helpers) and from outside (this API). docs/maps.md has the details. */
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

/* Map types, numbered as the kernel's enum bpf_map_type. Implemented so far:
 * HASH, ARRAY, PROG_ARRAY, PERF_EVENT_ARRAY, PERCPU_HASH, PERCPU_ARRAY,
 * LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, ARRAY_OF_MAPS, HASH_OF_MAPS, QUEUE,
 * STACK, RINGBUF; the others are refused with BS_ERR_UNSUPPORTED naming the
 * type. */
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

/* Update flags, as the kernel's BPF_ANY / BPF_NOEXIST / BPF_EXIST; BPF_F_LOCK
 * needs a bpf_spin_lock in the value (BTF), so it is always -EINVAL here. */
enum { BS_ANY = 0, BS_NOEXIST = 1, BS_EXIST = 2, BS_F_LOCK = 4 };

/* map_flags, the kernel's BPF_F_* values. */
enum {
	BS_F_NO_PREALLOC = 1u << 0,
	BS_F_NO_COMMON_LRU = 1u << 1,
	BS_F_NUMA_NODE = 1u << 2,     /* node 0 */
	BS_F_RDONLY = 1u << 3,        /* bs_map_update/delete: -EPERM */
	BS_F_WRONLY = 1u << 4,        /* bs_map_lookup/next_key: -EPERM */
	BS_F_ZERO_SEED = 1u << 6,
	BS_F_RDONLY_PROG = 1u << 7,   /* the program may only read values (.rodata) */
	BS_F_WRONLY_PROG = 1u << 8,   /* the program may only write values */
	BS_F_MMAPABLE = 1u << 10,
	BS_F_PRESERVE_ELEMS = 1u << 11,
	BS_F_INNER_MAP = 1u << 12,
};

struct bs_map_def {
	const char *name;      /* "counts", or ".bss" style names for global data */
	uint32_t type;         /* enum bs_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;        /* map_flags (BS_F_NO_PREALLOC, BS_F_RDONLY_PROG ...) */
};

struct bs_map;

/* A set of maps shared by the programs of one object (and across runs). */
struct bs_maps;

/* ncpus: the number of copies percpu maps keep (1..8192); to compare with a
 * kernel, the number of its possible CPUs. */
BS_MUST_CHECK int bs_maps_new(struct bs_maps **out, uint32_t ncpus, struct bs_error *err);
/* Frees the maps and everything attach made for them (not the VMs). */
void bs_maps_free(struct bs_maps *maps);
/* The host memory the set's maps may hold, 1 byte .. 1 GiB (the default):
 * a map that would go past it is refused as bs_maps_create says. BS_ERR_ARG
 * for a limit outside that range; BS_ERR_UNSUPPORTED when the maps already
 * hold more (the limit is then unchanged). */
BS_MUST_CHECK int bs_maps_set_memory_limit(struct bs_maps *maps, uint64_t bytes,
					   struct bs_error *err);

/* Creates a map; its definition is checked like BPF_MAP_CREATE checks it.
 * Returns 0, or the negative errno the kernel's BPF_MAP_CREATE returns for
 * that definition (-EINVAL, -E2BIG) with err saying why (BS_ERR_ARG). Types
 * the kernel has but bpfstep does not implement give -EOPNOTSUPP and
 * BS_ERR_UNSUPPORTED; a set holds at most 1 GiB of map memory (-ENOMEM,
 * BS_ERR_UNSUPPORTED, where the kernel might still succeed). The map's
 * index in the set is bs_maps_count() before the call. */
BS_MUST_CHECK int bs_maps_create(struct bs_maps *maps, const struct bs_map_def *def,
				 struct bs_map **out, struct bs_error *err);
/* The same for ARRAY_OF_MAPS and HASH_OF_MAPS, with inner = the inner map
 * template (the kernel's inner_map_fd; ignored for other types). No
 * template: -EBADF; a template that cannot be created: -EBADF; a map of
 * maps: -EINVAL; a prog_array: -ENOTSUPP (BS_ENOTSUPP). bs_maps_create
 * is this with inner NULL. */
BS_MUST_CHECK int bs_maps_create_with_inner(struct bs_maps *maps, const struct bs_map_def *def,
					    const struct bs_map_def *inner, struct bs_map **out,
					    struct bs_error *err);
size_t bs_maps_count(const struct bs_maps *maps);
struct bs_map *bs_maps_at(const struct bs_maps *maps, size_t i);
/* The first map with that name, or NULL. */
struct bs_map *bs_maps_find(const struct bs_maps *maps, const char *name);

/* def->name points into the map and lives as long as it. */
const struct bs_map_def *bs_map_def(const struct bs_map *map);
/* A map of maps' copy of its inner template; NULL for other maps. */
const struct bs_map_def *bs_map_inner_def(const struct bs_map *map);
/* "hash", "percpu_array", ... as bpftool names them; "unknown" otherwise. */
const char *bs_map_type_name(uint32_t type);

/* The CPU whose copy percpu maps use, for programs and for the CPU-local
 * parts of the syscall semantics. Returns 0, or -EINVAL (unchanged) when
 * cpu >= ncpus. bpf_get_smp_processor_id reads struct bs_env's cpu: set both. */
int bs_maps_set_cpu(struct bs_maps *maps, uint32_t cpu);

/* From outside the program, the kernel's syscall semantics. Return 0 or a
 * negative errno exactly as bpf(BPF_MAP_*) would (-ENOENT, -EEXIST, -E2BIG,
 * -EINVAL, -EPERM for BS_F_RDONLY / BS_F_WRONLY maps ...). For percpu maps
 * value holds ncpus values, each rounded up to 8 bytes, as the syscall does
 * (the padding is stored and read back too, as in the kernel). */
int bs_map_lookup(struct bs_map *map, const void *key, void *value);
int bs_map_update(struct bs_map *map, const void *key, const void *value, uint64_t flags);
int bs_map_delete(struct bs_map *map, const void *key);
/* BPF_MAP_LOOKUP_AND_DELETE_ELEM: queue/stack pop (key NULL, flags 0); for
 * hash, percpu_hash, lru_hash and lru_percpu_hash the value (as lookup gives
 * it) then the key is deleted; -EPERM unless the map is readable and
 * writable; other types -ENOTSUPP (BS_ENOTSUPP, the kernel's 524). */
#define BS_ENOTSUPP 524
int bs_map_lookup_and_delete(struct bs_map *map, const void *key, void *value, uint64_t flags);
/* Queue and stack maps (key_size 0): key must be NULL (else -EINVAL, as
 * the syscall); bs_map_lookup peeks, bs_map_update pushes (BS_EXIST: the
 * oldest element gives way when full), bs_map_delete and bs_map_next_key
 * give -EINVAL. */
/* next key after key (key NULL: the first); -ENOENT after the last. Arrays
 * go 0..max_entries-1 and restart at 0 from an out-of-range key; hash maps
 * go in insertion order (the kernel goes in bucket order) and restart at
 * the first key from a key that is not in the map. */
int bs_map_next_key(struct bs_map *map, const void *key, void *next);

/* Host pointer to the value storage of element index of an array map (not
 * percpu), for loading initial contents of global data (.data/.rodata/.bss);
 * NULL for other maps or index >= max_entries. */
void *bs_map_array_data(struct bs_map *map, uint32_t index);

/* Makes the maps visible to a VM:
 *  - each map's value memory becomes one region "map[NAME]" (read-only to
 *    the program with BS_F_RDONLY_PROG, write-only with BS_F_WRONLY_PROG);
 *  - helpers bpf_map_lookup_elem (1), bpf_map_update_elem (2),
 *    bpf_map_delete_elem (3), bpf_map_lookup_percpu_elem (195);
 *  - an lddw resolver: src_reg BS_PSEUDO_MAP_FD and BS_PSEUDO_MAP_IDX with
 *    imm = the map's index in the set give bs_maps_handle(); src_reg
 *    BS_PSEUDO_MAP_VALUE and BS_PSEUDO_MAP_IDX_VALUE with imm = index and the
 *    second slot's imm = a byte offset give the guest address of element 0
 *    plus that offset (single-entry arrays: global data). Other pseudo
 *    sources go to the resolver installed before, if any.
 * Attach before bs_vm_load. Maps created later are not visible to this VM.
 * maps must outlive vm; a failed attach may leave regions in vm (discard it).
 * One set may be attached to several VMs; handles are the same in all. */
BS_MUST_CHECK int bs_maps_attach(struct bs_maps *maps, struct bs_vm *vm, struct bs_error *err);
/* Forgets what bs_maps_attach made for vm (call it before freeing a VM when
 * the set lives on: a set attached to a new VM per run would grow). The VM
 * must not run again. */
void bs_maps_detach(struct bs_maps *maps, const struct bs_vm *vm);

/* Map handles, the value `lddw rX, map` loads and the helpers take in r1:
 * BS_MAP_HANDLE_BASE + index * BS_MAP_HANDLE_STRIDE, far above every guest
 * region, so a handle is never a valid pointer and never mistaken for one. */
#define BS_MAP_HANDLE_BASE 0xffff900000000000ULL
#define BS_MAP_HANDLE_STRIDE 0x1000ULL
/* The value `lddw rX, map` gives (BPF_PSEUDO_MAP_FD); 0 before attach. */
uint64_t bs_maps_handle(const struct bs_map *map);
/* The map a handle names, or NULL. */
struct bs_map *bs_maps_by_handle(const struct bs_maps *maps, uint64_t handle);
/* The guest address of element index of an array map (the current CPU's copy
 * for percpu_array) in the VM attached last; 0 before attach, for other map
 * types or index >= max_entries. */
uint64_t bs_map_value_addr(const struct bs_map *map, uint32_t index);

/* Records a ringbuf or perf_event_array map received from programs
 * (bpf_ringbuf_output / reserve + submit, bpf_perf_event_output), oldest
 * first. They stay until cleared, as if user space had not consumed them
 * yet. cpu: the perf event array index the record went to (0 for ringbuf). */
struct bs_map_record {
	const void *data;
	size_t size;
	uint32_t cpu;
};
size_t bs_map_record_count(const struct bs_map *map);
/* 0, or -ENOENT when i is out of range or the map keeps no records. */
int bs_map_record_get(const struct bs_map *map, size_t i, struct bs_map_record *out);
void bs_map_records_clear(struct bs_map *map);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
