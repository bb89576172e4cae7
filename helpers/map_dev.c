// SPDX-License-Identifier: MIT
/* The redirect maps: devmap and devmap_hash (kernel/bpf/devmap.c), cpumap
 * (kernel/bpf/cpumap.c) and xskmap (net/xdp/xskmap.c), Linux 6.18. Their
 * entries name devices, CPUs and AF_XDP sockets that bpfstep does not
 * have, so an entry is only what the kernel reports back:
 *   devmap / devmap_hash: struct bpf_devmap_val {ifindex, bpf_prog.id 0};
 *     any ifindex but 0 is taken as an existing device;
 *   cpumap: struct bpf_cpumap_val {qsize, bpf_prog.id 0}; the CPUs that
 *     exist are the map set's (bs_maps_new's ncpus);
 *   xskmap: the value (a socket fd) is taken as a bound AF_XDP socket on
 *     queue 0, which a program's lookup reads (struct bpf_xdp_sock).
 * Programs for devmap / cpumap entries (a bpf_prog.fd > 0) are refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/map_keyidx.h"
#include "helpers/maps_private.h"
#include "vm/error.h"

/* kernel cpumap: the largest queue */
#define CPUMAP_MAX_QSIZE 16384

/* devmap, cpumap, xskmap: a slot per index, and whether it is set */
struct devarr {
	uint8_t *set;
};

/* devmap_hash: the hash maps' key index over max_entries slots */
struct devhash {
	struct hlp_keyidx idx;
	uint32_t *next_free;
	uint32_t free;
	uint32_t items;
};

static int check_common(const struct bs_map_def *def, uint32_t flags, bool value_ok,
			const char *values, struct bs_error *err)
{
	int rc = hlp_check_flags(def, flags, err);
	if (rc)
		return rc;
	if (def->max_entries == 0)
		return hlp_def_err(def, -EINVAL, err, "max_entries must not be 0");
	if (def->key_size != 4)
		return hlp_def_err(def, -EINVAL, err, "key_size is %u; the key is a u32 (key_size 4)",
				   def->key_size);
	if (!value_ok)
		return hlp_def_err(def, -EINVAL, err, "value_size is %u; it must be %s",
				   def->value_size, values);
	return 0;
}

/* dev_map_init_map: DEV_CREATE_FLAG_MASK, a 4-byte value (ifindex) or 8
 * (ifindex and a program fd); a devmap_hash has at most 2^31 entries */
static int devmap_check(const struct bs_map_def *def, struct bs_error *err)
{
	int rc = check_common(def, BS_F_NUMA_NODE | BS_F_RDONLY | BS_F_WRONLY,
			      def->value_size == 4 || def->value_size == 8,
			      "4 (struct bpf_devmap_val's ifindex) or 8 (with bpf_prog.fd)", err);
	if (rc)
		return rc;
	if (def->type == HLP_MAP_DEVMAP_HASH && def->max_entries > (1u << 31))
		return hlp_def_err(def, -EINVAL, err, "max_entries %u: at most 2^31",
				   def->max_entries);
	return 0;
}

/* cpu_map_alloc: only BPF_F_NUMA_NODE, a value of 4 bytes (qsize) or 8
 * (with a program fd), at most NR_CPUS entries */
static int cpumap_check(const struct bs_map_def *def, struct bs_error *err)
{
	int rc = check_common(def, BS_F_NUMA_NODE, def->value_size == 4 || def->value_size == 8,
			      "4 (struct bpf_cpumap_val's qsize) or 8 (with bpf_prog.fd)", err);
	if (rc)
		return rc;
	if (def->max_entries > HLP_MAX_CPUS)
		return hlp_def_err(def, -E2BIG, err, "max_entries %u: at most NR_CPUS (%d)",
				   def->max_entries, HLP_MAX_CPUS);
	return 0;
}

/* xsk_map_alloc: the value is a socket fd */
static int xskmap_check(const struct bs_map_def *def, struct bs_error *err)
{
	return check_common(def, BS_F_NUMA_NODE | BS_F_RDONLY | BS_F_WRONLY, def->value_size == 4,
			    "4 (an AF_XDP socket fd)", err);
}

static void arr_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = map->def.max_entries;
	*extra = sizeof(struct devarr) + map->nslots;
}

/* The kernel lets programs only look these maps up (a devmap entry is
 * read-only to them: dev_map_init_map sets BPF_F_RDONLY_PROG); bpfstep
 * marks all four read-only to programs, so update and delete from a
 * program are refused as writes. */
static int arr_init(struct bs_map *map, struct bs_error *err)
{
	struct devarr *a = calloc(1, sizeof(*a));
	map->impl = a;
	if (!a || !(a->set = calloc(map->nslots, 1)))
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'",
			      map->name);
	map->def.flags |= BS_F_RDONLY_PROG;
	return 0;
}

static void arr_free(struct bs_map *map)
{
	struct devarr *a = map->impl;
	if (a)
		free(a->set);
	free(a);
}

static uint32_t key_u32(const void *key)
{
	uint32_t k;
	memcpy(&k, key, 4);
	return k;
}

static uint32_t arr_lookup(struct bs_map *map, const void *key)
{
	const struct devarr *a = map->impl;
	uint32_t k = key_u32(key);
	return k < map->def.max_entries && a->set[k] ? k : HLP_NO_SLOT;
}

/* the value as the kernel reports it: the first u32 as given, the
 * program id (there is none) 0 */
static void store_entry(struct bs_map *map, uint32_t slot, uint32_t first)
{
	uint8_t v[8] = {0};
	memcpy(v, &first, 4);
	memcpy(hlp_map_slot(map, slot), v, map->def.value_size);
}

static int32_t prog_fd(const struct bs_map *map, const void *value, int32_t absent)
{
	int32_t fd = absent;
	if (map->def.value_size == 8)
		memcpy(&fd, (const uint8_t *)value + 4, 4);
	return fd;
}

/* __dev_map_update_elem */
static int devmap_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
			 bool all_cpus)
{
	(void)all_cpus;
	struct devarr *a = map->impl;
	uint32_t k = key_u32(key), ifindex = key_u32(value);
	if (flags > BS_EXIST)
		return -EINVAL;
	if (k >= map->def.max_entries)
		return -E2BIG;
	if (flags == BS_NOEXIST)
		return -EEXIST;
	int32_t fd = prog_fd(map, value, -1);
	if (!ifindex) {
		/* no device: the entry goes; a program needs one */
		if (fd > 0)
			return -EINVAL;
		a->set[k] = 0;
		return 0;
	}
	if (fd > 0)
		return -EINVAL;  /* bpfstep runs no devmap programs */
	store_entry(map, k, ifindex);
	a->set[k] = 1;
	return 0;
}

/* dev_map_delete_elem, cpu_map_delete_elem, xsk_map_delete_elem */
static int arr_delete(struct bs_map *map, const void *key)
{
	struct devarr *a = map->impl;
	uint32_t k = key_u32(key);
	if (k >= map->def.max_entries)
		return -EINVAL;
	a->set[k] = 0;
	return 0;
}

/* every index, set or not, as an array's */
static int arr_next_key(struct bs_map *map, const void *key, void *next)
{
	uint32_t i = key ? key_u32(key) : UINT32_MAX, n;
	if (i >= map->def.max_entries)
		n = 0;
	else if (i == map->def.max_entries - 1)
		return -ENOENT;
	else
		n = i + 1;
	memcpy(next, &n, 4);
	return 0;
}

/* cpu_map_update_elem: qsize 0 removes the CPU's entry */
static int cpumap_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
			 bool all_cpus)
{
	(void)all_cpus;
	struct devarr *a = map->impl;
	uint32_t k = key_u32(key), qsize = key_u32(value);
	if (flags > BS_EXIST)
		return -EINVAL;
	if (k >= map->def.max_entries)
		return -E2BIG;
	if (flags == BS_NOEXIST)
		return -EEXIST;
	if (qsize > CPUMAP_MAX_QSIZE)
		return -EOVERFLOW;
	if (k >= map->set->ncpus)
		return -ENODEV;
	if (!qsize) {
		a->set[k] = 0;
		return 0;
	}
	if (prog_fd(map, value, 0) > 0)
		return -ENOMEM;  /* the entry cannot load a program (bpfstep has none) */
	store_entry(map, k, qsize);
	a->set[k] = 1;
	return 0;
}

/* xsk_map_update_elem, with the fd taken as a bound AF_XDP socket */
static int xskmap_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
			 bool all_cpus)
{
	(void)all_cpus, (void)value;
	struct devarr *a = map->impl;
	uint32_t k = key_u32(key);
	if (flags > BS_EXIST)
		return -EINVAL;
	if (k >= map->def.max_entries)
		return -E2BIG;
	if (a->set[k] && flags == BS_NOEXIST)
		return -EEXIST;
	if (!a->set[k] && flags == BS_EXIST)
		return -ENOENT;
	store_entry(map, k, 0);  /* struct bpf_xdp_sock: queue_id 0 */
	a->set[k] = 1;
	return 0;
}

/* xsk_map_lookup_elem_sys_only: a socket cannot be read back */
static int xskmap_sys_lookup(struct bs_map *map, const void *key, void *value)
{
	(void)map, (void)key, (void)value;
	return -EOPNOTSUPP;
}

/* ---- devmap_hash */

static void hash_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = map->def.max_entries;
	*extra = sizeof(struct devhash) + (uint64_t)map->nslots * 4 +
		 hlp_keyidx_bytes(map->nslots, map->def.max_entries, 4);
}

static int hash_init(struct bs_map *map, struct bs_error *err)
{
	struct devhash *h = calloc(1, sizeof(*h));
	map->impl = h;
	if (!h || !(h->next_free = malloc((size_t)map->nslots * 4)) ||
	    hlp_keyidx_init(&h->idx, map->nslots, map->def.max_entries, 4))
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'",
			      map->name);
	for (uint32_t s = 0; s < map->nslots; s++)
		h->next_free[s] = s + 1 < map->nslots ? s + 1 : HLP_NO_SLOT;
	h->free = 0;
	map->def.flags |= BS_F_RDONLY_PROG;
	return 0;
}

static void hash_free(struct bs_map *map)
{
	struct devhash *h = map->impl;
	if (!h)
		return;
	hlp_keyidx_free(&h->idx);
	free(h->next_free);
	free(h);
}

static uint32_t hash_lookup(struct bs_map *map, const void *key)
{
	return hlp_keyidx_find(&((struct devhash *)map->impl)->idx, key);
}

/* __dev_map_hash_update_elem: BPF_EXIST does not ask for the key to be
 * there; ifindex 0 is no device (-EINVAL) */
static int hash_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		       bool all_cpus)
{
	(void)all_cpus;
	struct devhash *h = map->impl;
	if (flags > BS_EXIST)
		return -EINVAL;
	uint32_t old = hlp_keyidx_find(&h->idx, key);
	if (old != HLP_NO_SLOT && (flags & BS_NOEXIST))
		return -EEXIST;
	uint32_t ifindex = key_u32(value);
	if (!ifindex || prog_fd(map, value, -1) > 0)
		return -EINVAL;
	uint32_t s;
	if (old != HLP_NO_SLOT) {
		s = old;
	} else {
		if (h->items >= map->def.max_entries || h->free == HLP_NO_SLOT)
			return -E2BIG;
		s = h->free;
		h->free = h->next_free[s];
		h->items++;
		hlp_keyidx_insert(&h->idx, s, key, HLP_NO_SLOT);
	}
	store_entry(map, s, ifindex);
	return 0;
}

static int hash_delete(struct bs_map *map, const void *key)
{
	struct devhash *h = map->impl;
	uint32_t s = hlp_keyidx_find(&h->idx, key);
	if (s == HLP_NO_SLOT)
		return -ENOENT;
	hlp_keyidx_remove(&h->idx, s);
	h->next_free[s] = h->free;
	h->free = s;
	h->items--;
	return 0;
}

static int hash_next_key(struct bs_map *map, const void *key, void *next)
{
	return hlp_keyidx_next_key(&((struct devhash *)map->impl)->idx, key, next);
}

bool hlp_redirect_map_lookup(struct bs_map *map, uint32_t key, uint32_t *ifindex)
{
	uint32_t slot = map->ops->lookup(map, &key);
	*ifindex = 0;
	if (slot == HLP_NO_SLOT)
		return false;
	if (map->def.type == HLP_MAP_DEVMAP || map->def.type == HLP_MAP_DEVMAP_HASH)
		memcpy(ifindex, hlp_map_slot(map, slot), 4);
	return true;
}

const struct hlp_map_ops hlp_devmap_ops = {
	.check = devmap_check,
	.size = arr_size,
	.init = arr_init,
	.free = arr_free,
	.lookup = arr_lookup,
	.update = devmap_update,
	.delete = arr_delete,
	.next_key = arr_next_key,
};

const struct hlp_map_ops hlp_devmap_hash_ops = {
	.check = devmap_check,
	.size = hash_size,
	.init = hash_init,
	.free = hash_free,
	.lookup = hash_lookup,
	.update = hash_update,
	.delete = hash_delete,
	.next_key = hash_next_key,
};

const struct hlp_map_ops hlp_cpumap_ops = {
	.check = cpumap_check,
	.size = arr_size,
	.init = arr_init,
	.free = arr_free,
	.lookup = arr_lookup,
	.update = cpumap_update,
	.delete = arr_delete,
	.next_key = arr_next_key,
};

const struct hlp_map_ops hlp_xskmap_ops = {
	.check = xskmap_check,
	.size = arr_size,
	.init = arr_init,
	.free = arr_free,
	.lookup = arr_lookup,
	.update = xskmap_update,
	.delete = arr_delete,
	.next_key = arr_next_key,
	.sys_lookup = xskmap_sys_lookup,
};
