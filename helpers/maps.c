// SPDX-License-Identifier: MIT
/* Map sets: creation with BPF_MAP_CREATE's checks, the syscall-side
 * operations, and attaching a set to a VM (regions, helpers, lddw). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/maps_private.h"
#include "vm/error.h"

/* enum bpf_map_type, Linux 6.18, as bpftool names the types */
static const char *const type_names[] = {
	"unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash",
	"percpu_array", "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash",
	"lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap",
	"sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage", "queue",
	"stack", "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage",
	"task_storage", "bloom_filter", "user_ringbuf", "cgrp_storage", "arena",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *bs_map_type_name(uint32_t type)
{
	return type > 0 && type < NTYPES ? type_names[type] : "unknown";
}

static const struct hlp_map_ops *type_ops(uint32_t type)
{
	switch (type) {
	case BS_MAP_HASH:
	case BS_MAP_PERCPU_HASH:
		return &hlp_hash_ops;
	case BS_MAP_ARRAY:
	case BS_MAP_PERCPU_ARRAY:
		return &hlp_array_ops;
	case BS_MAP_LRU_HASH:
	case BS_MAP_LRU_PERCPU_HASH:
		return &hlp_lru_ops;
	case BS_MAP_LPM_TRIE:
		return &hlp_lpm_ops;
	case BS_MAP_QUEUE:
	case BS_MAP_STACK:
		return &hlp_queue_ops;
	case BS_MAP_RINGBUF:
		return &hlp_ringbuf_ops;
	case BS_MAP_PROG_ARRAY:
	case BS_MAP_PERF_EVENT_ARRAY:
	case BS_MAP_ARRAY_OF_MAPS:
		return &hlp_fd_array_ops;
	case BS_MAP_HASH_OF_MAPS:
		return &hlp_hash_of_maps_ops;
	case HLP_MAP_DEVMAP:
		return &hlp_devmap_ops;
	case HLP_MAP_DEVMAP_HASH:
		return &hlp_devmap_hash_ops;
	case HLP_MAP_CPUMAP:
		return &hlp_cpumap_ops;
	case HLP_MAP_XSKMAP:
		return &hlp_xskmap_ops;
	default:
		return NULL;
	}
}

const struct hlp_map_ops *hlp_type_ops(uint32_t type)
{
	return type_ops(type);
}

int bs_maps_new(struct bs_maps **out, uint32_t ncpus, struct bs_error *err)
{
	*out = NULL;
	if (ncpus == 0 || ncpus > HLP_MAX_CPUS)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "%u CPUs: a map set needs 1..%d", ncpus,
			      HLP_MAX_CPUS);
	struct bs_maps *maps = calloc(1, sizeof(*maps));
	if (!maps)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating a map set");
	maps->ncpus = ncpus;
	maps->max_bytes = HLP_MAPS_MAX_BYTES;
	*out = maps;
	return 0;
}

int bs_maps_set_memory_limit(struct bs_maps *maps, uint64_t bytes, struct bs_error *err)
{
	if (bytes == 0 || bytes > HLP_MAPS_MAX_BYTES)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "a map memory limit of %llu bytes: it must be 1..%llu",
			      (unsigned long long)bytes, (unsigned long long)HLP_MAPS_MAX_BYTES);
	if (maps->bytes > bytes) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       "the maps hold %llu bytes, over the map memory limit of %llu bytes",
		       (unsigned long long)maps->bytes, (unsigned long long)bytes);
		vm_err_hint(err, "raise the limit, or lower max_entries or value_size");
		return -1;
	}
	maps->max_bytes = bytes;
	return 0;
}

static void map_free(struct bs_map *map)
{
	if (!map)
		return;
	if (map->ops)
		map->ops->free(map);
	free(map->values);
	free(map->name);
	free(map->inner);
	free(map);
}

void bs_maps_free(struct bs_maps *maps)
{
	if (!maps)
		return;
	for (size_t i = 0; i < maps->n; i++)
		map_free(maps->maps[i]);
	for (size_t i = 0; i < maps->nattached; i++) {
		free(maps->attached[i]->guest);
		free(maps->attached[i]);
	}
	free(maps->attached);
	free(maps->maps);
	free(maps);
}

int hlp_def_err(const struct bs_map_def *def, int rc, struct bs_error *err, const char *fmt,
		...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vm_err(err, BS_ERR_ARG, BS_NO_PC, "map '%s' (%s): %s", def->name ? def->name : "",
	       bs_map_type_name(def->type), why);
	return rc;
}

int hlp_check_flags(const struct bs_map_def *def, uint32_t allowed, struct bs_error *err)
{
	uint32_t bad = def->flags & ~allowed;
	if (bad)
		return hlp_def_err(def, -EINVAL, err, "map_flags 0x%x are not valid for this type",
				   bad);
	/* bpf_get_file_flag and bpf_map_flags_access_ok */
	uint32_t f = def->flags;
	if (((f & BS_F_RDONLY) && (f & BS_F_WRONLY)) ||
	    ((f & BS_F_RDONLY_PROG) && (f & BS_F_WRONLY_PROG)))
		return hlp_def_err(def, -EINVAL, err,
				   "map_flags 0x%x make it both read-only and write-only", f);
	return 0;
}

int bs_maps_create(struct bs_maps *maps, const struct bs_map_def *def, struct bs_map **out,
		   struct bs_error *err)
{
	return bs_maps_create_with_inner(maps, def, NULL, out, err);
}

int bs_maps_create_with_inner(struct bs_maps *maps, const struct bs_map_def *def,
			      const struct bs_map_def *inner, struct bs_map **out,
			      struct bs_error *err)
{
	if (out)
		*out = NULL;
	if (!def) {
		vm_err(err, BS_ERR_ARG, BS_NO_PC, "no map definition");
		return -EINVAL;
	}
	const char *name = def->name ? def->name : "";
	const struct hlp_map_ops *ops = type_ops(def->type);
	if (!ops) {
		if (def->type == 0 || def->type >= NTYPES) {
			vm_err(err, BS_ERR_ARG, BS_NO_PC, "map '%s': unknown map type %u", name,
			       def->type);
			return -EINVAL;
		}
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       "map '%s': map type %s (%u) is not supported by bpfstep yet", name,
		       bs_map_type_name(def->type), def->type);
		vm_err_hint(err, "supported map types: hash, array, prog_array, perf_event_array, "
			    "percpu_hash, percpu_array, lru_hash, lru_percpu_hash, lpm_trie, "
			    "array_of_maps, hash_of_maps, queue, stack, ringbuf, devmap, "
			    "devmap_hash, cpumap, xskmap");
		return -EOPNOTSUPP;
	}
	int rc = ops->check(def, err);
	if (!rc && hlp_is_outer(def->type))
		rc = hlp_inner_check(def, inner, err);  /* bpf_map_meta_alloc, after */
	if (rc)
		return rc;

	struct bs_map *map = calloc(1, sizeof(*map));
	if (!map || !(map->name = strdup(name)))
		goto nomem;
	map->def = *def;
	map->def.name = map->name;
	/* the caller's template may not outlive the map */
	if (hlp_is_outer(def->type) && !(map->inner = hlp_inner_copy(inner)))
		goto nomem;
	map->set = maps;
	map->ops = ops;
	map->index = (uint32_t)maps->n;
	map->percpu = def->type == BS_MAP_PERCPU_HASH || def->type == BS_MAP_PERCPU_ARRAY ||
		      def->type == BS_MAP_LRU_PERCPU_HASH;
	map->ncopies = map->percpu ? maps->ncpus : 1;
	map->elem_size = (uint32_t)(((uint64_t)def->value_size + 7) & ~7ULL);
	map->slot_size = (uint64_t)map->elem_size * map->ncopies;

	uint64_t extra = 0;
	ops->size(map, &extra);
	/* the type's checks bound value_size, and ncpus is at most 8192: the
	 * product stays far below 2^64 */
	map->values_size = (uint64_t)map->nslots * map->slot_size;
	uint64_t total = map->values_size + extra;
	if (total > maps->max_bytes - maps->bytes) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       "map '%s': %llu bytes of %s map; a map set holds at most %llu bytes, the map "
		       "memory limit (%llu in use)",
		       name, (unsigned long long)total, bs_map_type_name(def->type),
		       (unsigned long long)maps->max_bytes, (unsigned long long)maps->bytes);
		vm_err_hint(err, "lower max_entries or value_size");
		map_free(map);
		return -ENOMEM;
	}
	if (maps->n == maps->cap) {
		size_t cap = maps->cap ? maps->cap * 2 : 8;
		struct bs_map **grown = realloc(maps->maps, cap * sizeof(*grown));
		if (!grown)
			goto nomem;
		maps->maps = grown;
		maps->cap = cap;
	}
	map->values = calloc(map->nslots, map->slot_size);
	if (!map->values)
		goto nomem;
	if (ops->init(map, err)) {
		map_free(map);
		return -ENOMEM;
	}
	maps->bytes += total;
	maps->maps[maps->n++] = map;
	if (out)
		*out = map;
	return 0;
nomem:
	map_free(map);
	vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'", name);
	return -ENOMEM;
}

size_t bs_maps_count(const struct bs_maps *maps)
{
	return maps->n;
}

struct bs_map *bs_maps_at(const struct bs_maps *maps, size_t i)
{
	return i < maps->n ? maps->maps[i] : NULL;
}

struct bs_map *bs_maps_find(const struct bs_maps *maps, const char *name)
{
	for (size_t i = 0; name && i < maps->n; i++)
		if (!strcmp(maps->maps[i]->name, name))
			return maps->maps[i];
	return NULL;
}

const struct bs_map_def *bs_map_def(const struct bs_map *map)
{
	return &map->def;
}

const struct bs_map_def *bs_map_inner_def(const struct bs_map *map)
{
	return map->inner;
}

int bs_maps_set_cpu(struct bs_maps *maps, uint32_t cpu)
{
	if (cpu >= maps->ncpus)
		return -EINVAL;
	maps->cpu = cpu;
	return 0;
}

/* ---- the syscall side: permission checks of kernel/bpf/syscall.c, then the type */

/* __bpf_copy_key: a map without keys (queue, stack) takes no key pointer at
 * all (-EINVAL); otherwise copying from a NULL user pointer gives -EFAULT */
static int check_key(const struct bs_map *map, const void *key)
{
	if (map->def.key_size == 0)
		return key ? -EINVAL : 0;
	return key ? 0 : -EFAULT;
}

int bs_map_lookup(struct bs_map *map, const void *key, void *value)
{
	if (map->def.flags & BS_F_WRONLY)
		return -EPERM;
	int rc = check_key(map, key);
	if (rc)
		return rc;
	if (map->ops->sys_lookup)
		return map->ops->sys_lookup(map, key, value);
	if (map->ops->pop) {  /* queue, stack: peek */
		rc = map->ops->pop(map, value, false);
		return rc ? rc : value ? 0 : -EFAULT;
	}
	uint32_t slot = map->ops->lookup(map, key);
	if (slot == HLP_NO_SLOT)
		return -ENOENT;
	if (!value)
		return -EFAULT;  /* copying out comes last */
	/* percpu: every CPU's copy, padding included (bpf_long_memcpy) */
	memcpy(value, hlp_map_slot(map, slot), map->percpu ? map->slot_size : map->def.value_size);
	return 0;
}

int bs_map_update(struct bs_map *map, const void *key, const void *value, uint64_t flags)
{
	if (map->def.flags & BS_F_RDONLY)
		return -EPERM;
	/* map_update_elem refuses BPF_F_LOCK before it copies key and value:
	 * there is no bpf_spin_lock in a value without BTF */
	if (flags & BS_F_LOCK)
		return -EINVAL;
	int rc = check_key(map, key);
	if (rc)
		return rc;
	if (!value)
		return -EFAULT;
	if (map->ops->push)
		return map->ops->push(map, value, flags);
	return map->ops->update(map, key, value, flags, true);
}

int bs_map_delete(struct bs_map *map, const void *key)
{
	if (map->def.flags & BS_F_RDONLY)
		return -EPERM;
	int rc = check_key(map, key);
	if (rc)
		return rc;
	return map->ops->delete(map, key);
}

/* map_lookup_and_delete_elem: queue and stack pop; the hash types (hash,
 * percpu_hash and the LRU ones) copy the value out and delete the key; the
 * other types have no such operation (-ENOTSUPP, 524). The element is gone
 * before the value is copied out, as in the kernel. */
int bs_map_lookup_and_delete(struct bs_map *map, const void *key, void *value, uint64_t flags)
{
	if (flags & ~(uint64_t)BS_F_LOCK)
		return -EINVAL;
	if (map->def.flags & (BS_F_RDONLY | BS_F_WRONLY))
		return -EPERM;  /* needs both read and write access */
	/* queue and stack take no flags; a hash value holds no bpf_spin_lock */
	if (flags)
		return -EINVAL;
	int rc = check_key(map, key);
	if (rc)
		return rc;
	if (map->ops->pop) {
		rc = map->ops->pop(map, value, true);
		return rc ? rc : value ? 0 : -EFAULT;
	}
	uint32_t t = map->def.type;
	if (t != BS_MAP_HASH && t != BS_MAP_PERCPU_HASH && t != BS_MAP_LRU_HASH &&
	    t != BS_MAP_LRU_PERCPU_HASH)
		return -BS_ENOTSUPP;
	uint32_t slot = map->ops->lookup(map, key);
	if (slot == HLP_NO_SLOT)
		return -ENOENT;
	if (value)
		memcpy(value, hlp_map_slot(map, slot),
		       map->percpu ? map->slot_size : map->def.value_size);
	rc = map->ops->delete(map, key);
	return rc ? rc : value ? 0 : -EFAULT;
}

int bs_map_next_key(struct bs_map *map, const void *key, void *next)
{
	if (map->def.flags & BS_F_WRONLY)
		return -EPERM;
	if (key && map->def.key_size == 0)
		return -EINVAL;  /* __bpf_copy_key */
	if (next)
		return map->ops->next_key(map, key, next);
	/* the kernel finds the next key before it fails to copy it out */
	void *tmp = malloc(map->def.key_size ? map->def.key_size : 1);
	if (!tmp)
		return -ENOMEM;
	int rc = map->ops->next_key(map, key, tmp);
	free(tmp);
	return rc ? rc : -EFAULT;
}

void *bs_map_array_data(struct bs_map *map, uint32_t index)
{
	if (map->def.type != BS_MAP_ARRAY || index >= map->def.max_entries)
		return NULL;
	return hlp_map_slot(map, index);
}

/* ---- handles and attaching */

uint64_t bs_maps_handle(const struct bs_map *map)
{
	return map->handle;
}

struct bs_map *bs_maps_by_handle(const struct bs_maps *maps, uint64_t handle)
{
	if (handle < BS_MAP_HANDLE_BASE || (handle - BS_MAP_HANDLE_BASE) % BS_MAP_HANDLE_STRIDE)
		return NULL;
	uint64_t i = (handle - BS_MAP_HANDLE_BASE) / BS_MAP_HANDLE_STRIDE;
	return i < maps->n && maps->maps[i]->handle ? maps->maps[i] : NULL;
}

uint64_t bs_map_value_addr(const struct bs_map *map, uint32_t index)
{
	if (!map->guest || index >= map->def.max_entries ||
	    (map->def.type != BS_MAP_ARRAY && map->def.type != BS_MAP_PERCPU_ARRAY))
		return 0;
	return map->guest + (uint64_t)index * map->slot_size +
	       (uint64_t)hlp_map_cpu(map) * map->elem_size;
}

static const char *pseudo_name(int src)
{
	switch (src) {
	case BS_PSEUDO_MAP_FD: return "map_fd";
	case BS_PSEUDO_MAP_IDX: return "map_idx";
	case BS_PSEUDO_MAP_VALUE: return "map_value";
	case BS_PSEUDO_MAP_IDX_VALUE: return "map_idx_value";
	case BS_PSEUDO_BTF_ID: return "btf_id";
	case BS_PSEUDO_FUNC: return "func";
	default: return "?";
	}
}

/* The map imm names, as the verifier's resolve_pseudo_ldimm64 finds it. */
static int resolve_map(struct hlp_attach *att, size_t pc, const struct bs_insn *insn,
		       struct bs_map **out, struct bs_error *err)
{
	uint32_t idx = (uint32_t)insn->imm;
	if (idx >= att->nmaps) {
		vm_err(err, BS_ERR_INVALID, (long)pc,
		       "ldimm64 (%s) refers to map index %u, but there are %zu maps",
		       pseudo_name(insn->src_reg), idx, att->nmaps);
		if (idx < att->maps->n)
			vm_err_hint(err, "map #%u '%s' was created after the maps were attached "
				    "to this VM", idx, att->maps->maps[idx]->name);
		return -1;
	}
	*out = att->maps->maps[idx];
	return 0;
}

static int resolve_lddw(struct bs_vm *vm, size_t pc, const struct bs_insn *insn,
			uint64_t *value, struct bs_error *err, void *user)
{
	struct hlp_attach *att = user;
	struct bs_map *map;
	switch (insn->src_reg) {
	case BS_PSEUDO_MAP_FD:
	case BS_PSEUDO_MAP_IDX:
		if (insn[1].imm != 0) {
			vm_err(err, BS_ERR_INVALID, (long)pc, "unrecognized bpf_ld_imm64 insn");
			vm_err_hint(err, "a %s reference has 0 in the second imm (it has %d)",
				    pseudo_name(insn->src_reg), insn[1].imm);
			return -1;
		}
		if (resolve_map(att, pc, insn, &map, err))
			return -1;
		*value = map->handle;
		return 0;
	case BS_PSEUDO_MAP_VALUE:
	case BS_PSEUDO_MAP_IDX_VALUE: {
		if (resolve_map(att, pc, insn, &map, err))
			return -1;
		uint32_t off = (uint32_t)insn[1].imm;
		/* the verifier's checks and messages, in its order */
		if (off >= (1u << 29))
			return vm_err(err, BS_ERR_INVALID, (long)pc,
				      "direct value offset of %u is not allowed (map #%u '%s')", off,
				      map->index, map->name);
		if (map->def.type != BS_MAP_ARRAY)
			return vm_err(err, BS_ERR_INVALID, (long)pc,
				      "no direct value access support for this map type "
				      "(map #%u '%s' is %s)", map->index, map->name,
				      bs_map_type_name(map->def.type));
		if (map->def.max_entries != 1 || off >= map->def.value_size) {
			vm_err(err, BS_ERR_INVALID, (long)pc,
			       "invalid access to map value pointer, value_size=%u off=%u "
			       "(map #%u '%s')", map->def.value_size, off, map->index, map->name);
			if (map->def.max_entries != 1)
				vm_err_hint(err, "direct value access needs a single-entry array; "
					    "this one has %u entries", map->def.max_entries);
			return -1;
		}
		*value = att->guest[map->index] + off;
		return 0;
	}
	default:
		if (att->prev)
			return att->prev(vm, pc, insn, value, err, att->prev_user);
		vm_err(err, BS_ERR_UNSUPPORTED, (long)pc,
		       "ldimm64 with pseudo source %s (src_reg=%d) is not a map reference, "
		       "and nothing else resolves it here", pseudo_name(insn->src_reg),
		       insn->src_reg);
		return -1;
	}
}

void bs_maps_detach(struct bs_maps *maps, const struct bs_vm *vm)
{
	for (size_t i = 0; maps && i < maps->nattached; i++) {
		struct hlp_attach *att = maps->attached[i];
		if (att->vm != vm)
			continue;
		free(att->guest);
		free(att);
		maps->attached[i] = maps->attached[--maps->nattached];
		return;
	}
}

int bs_maps_attach(struct bs_maps *maps, struct bs_vm *vm, struct bs_error *err)
{
	struct hlp_attach *att = calloc(1, sizeof(*att));
	struct hlp_attach **list = realloc(maps->attached,
					   (maps->nattached + 1) * sizeof(*list));
	if (list)
		maps->attached = list;
	if (!att || !list || !(att->guest = calloc(maps->n + 1, sizeof(*att->guest)))) {
		free(att);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory attaching maps");
	}
	att->maps = maps;
	att->vm = vm;
	att->nmaps = maps->n;
	for (size_t i = 0; i < maps->n; i++) {
		struct bs_map *map = maps->maps[i];
		char region[32];
		/* the VM keeps 31 characters: cut the name, keep the brackets */
		if (*map->name)
			snprintf(region, sizeof(region), "map[%.*s]", (int)sizeof(region) - 6,
				 map->name);
		else
			snprintf(region, sizeof(region), "map[#%zu]", i);
		unsigned flags = map->def.flags & BS_F_RDONLY_PROG   ? BS_REGION_READ
				 : map->def.flags & BS_F_WRONLY_PROG ? BS_REGION_WRITE
								     : BS_REGION_RW;
		if (bs_vm_add_region(vm, region, map->values, map->values_size, flags,
				     &att->guest[i], err))
			goto fail;
	}
	if (hlp_maps_register_helpers(vm, att, err))
		goto fail;
	/* keep whatever resolved other pseudo sources before (bpf-to-bpf
	 * function addresses, BTF ids): this resolver forwards them */
	att->prev = bs_vm_lddw_resolver(vm, &att->prev_user);
	bs_vm_set_lddw_resolver(vm, resolve_lddw, att);
	for (size_t i = 0; i < maps->n; i++) {
		maps->maps[i]->handle = BS_MAP_HANDLE_BASE + i * BS_MAP_HANDLE_STRIDE;
		maps->maps[i]->guest = att->guest[i];
	}
	maps->attached[maps->nattached++] = att;
	return 0;
fail:
	free(att->guest);
	free(att);
	return -1;
}
