// SPDX-License-Identifier: MIT
/* Maps: BPF_MAP_CREATE's checks, the syscall-side errno of every operation
 * for each type (each expectation was checked on Linux 6.18 with bpf(2);
 * tests/maps_kernel.c keeps checking), the percpu value layout, iteration,
 * and programs that use maps through the helpers and lddw. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

#define NCPUS 3

/* lddw of a map reference: src_reg 1 (map fd) / 2 (map value), imm = index */
#define LD_MAP(d, idx) INSN(0x18, d, BS_PSEUDO_MAP_FD, 0, idx), INSN(0, 0, 0, 0, 0)
#define LD_MAP_VALUE(d, idx, off) INSN(0x18, d, BS_PSEUDO_MAP_VALUE, 0, idx), INSN(0, 0, 0, 0, off)
#define LDDW(d, v) LD_IMM64_LO(d, v), LD_IMM64_HI(v)
#define ADD 0x00
#define JNE 0x50
#define NPROG(p) (sizeof(p) / sizeof((p)[0]))
#define ERRNO(e) ((uint64_t)(int64_t)-(e))

static struct bs_maps *new_set(void)
{
	struct bs_maps *maps;
	struct bs_error err;
	assert_int_equal(bs_maps_new(&maps, NCPUS, &err), 0);
	return maps;
}

static struct bs_map *mk(struct bs_maps *maps, const char *name, uint32_t type, uint32_t ks,
			 uint32_t vs, uint32_t max, uint32_t flags)
{
	struct bs_map_def def = {name, type, ks, vs, max, flags};
	struct bs_map *map = NULL;
	struct bs_error err;
	int rc = bs_maps_create(maps, &def, &map, &err);
	if (rc)
		fprintf(stderr, "create '%s': %d %s\n", name, rc, err.message);
	assert_int_equal(rc, 0);
	assert_non_null(map);
	return map;
}

/* ---------------------------------------------------------------- creation */

struct create_row {
	const char *desc;
	struct bs_map_def def;
	int rc;
	enum bs_err_kind kind;
	const char *msg;
};

#define DEF(t, k, v, m, f) {"m", t, k, v, m, f}
enum { H = BS_MAP_HASH, A = BS_MAP_ARRAY, PH = BS_MAP_PERCPU_HASH, PA = BS_MAP_PERCPU_ARRAY };

static const struct create_row create_rows[] = {
	{"hash ok", DEF(H, 4, 8, 16, 0), 0, BS_OK, NULL},
	{"hash: key_size 513 is fine (no stack limit at creation)", DEF(H, 513, 8, 1, 0), 0, BS_OK,
	 NULL},
	{"hash: value_size 0", DEF(H, 4, 0, 1, 0), -EINVAL, BS_ERR_ARG, "value_size must not be 0"},
	{"hash: key_size 0", DEF(H, 0, 4, 1, 0), -EINVAL, BS_ERR_ARG, "key_size must not be 0"},
	{"hash: max_entries 0", DEF(H, 4, 4, 0, 0), -EINVAL, BS_ERR_ARG, "max_entries"},
	{"hash: NO_PREALLOC, NUMA_NODE, ZERO_SEED, RDONLY, WRONLY_PROG accepted",
	 DEF(H, 4, 4, 1, 0x1 | 0x4 | 0x40 | 0x8 | 0x100), 0, BS_OK, NULL},
	{"hash: NO_COMMON_LRU is for LRU maps", DEF(H, 4, 4, 1, 0x2), -EINVAL, BS_ERR_ARG,
	 "map_flags 0x2 are not valid"},
	{"hash: MMAPABLE is for arrays", DEF(H, 4, 4, 1, 0x400), -EINVAL, BS_ERR_ARG, "0x400"},
	{"hash: INNER_MAP is for arrays", DEF(H, 4, 4, 1, 0x1000), -EINVAL, BS_ERR_ARG, "0x1000"},
	{"hash: RDONLY|WRONLY", DEF(H, 4, 4, 1, 0x18), -EINVAL, BS_ERR_ARG,
	 "both read-only and write-only"},
	{"hash: RDONLY_PROG|WRONLY_PROG", DEF(H, 4, 4, 1, 0x180), -EINVAL, BS_ERR_ARG,
	 "both read-only and write-only"},
	{"hash: key + value at KMALLOC_MAX_SIZE - 48", DEF(H, 4, 4194252, 1, 0), -E2BIG,
	 BS_ERR_ARG, "must stay below 4194256"},
	{"hash: key + value one below", DEF(H, 4, 4194251, 1, 0), 0, BS_OK, NULL},
	{"hash: max_entries 2^27 + 1", DEF(H, 4, 4, (1u << 27) + 1, 1), -E2BIG, BS_ERR_ARG,
	 "at most 134217728 entries"},
	{"percpu_hash: NUMA_NODE", DEF(PH, 4, 4, 1, 0x4), -EINVAL, BS_ERR_ARG, "0x4"},
	{"percpu_hash: value 32768", DEF(PH, 4, 32768, 1, 0), 0, BS_OK, NULL},
	{"percpu_hash: value 32769", DEF(PH, 4, 32769, 1, 0), -E2BIG, BS_ERR_ARG,
	 "PCPU_MIN_UNIT_SIZE"},
	{"array ok", DEF(A, 4, 8, 16, 0), 0, BS_OK, NULL},
	{"array: key_size 8", DEF(A, 8, 4, 1, 0), -EINVAL, BS_ERR_ARG, "key_size is 8"},
	{"array: key_size 0", DEF(A, 0, 4, 1, 0), -EINVAL, BS_ERR_ARG, "key_size is 0"},
	{"array: value_size 0", DEF(A, 4, 0, 1, 0), -EINVAL, BS_ERR_ARG, "value_size"},
	{"array: max_entries 0", DEF(A, 4, 4, 0, 0), -EINVAL, BS_ERR_ARG, "max_entries"},
	{"array: NO_PREALLOC is for hash maps", DEF(A, 4, 4, 1, 0x1), -EINVAL, BS_ERR_ARG, "0x1"},
	{"array: ZERO_SEED is for hash maps", DEF(A, 4, 4, 1, 0x40), -EINVAL, BS_ERR_ARG, "0x40"},
	{"array: PRESERVE_ELEMS is perf_event_array's", DEF(A, 4, 4, 1, 0x800), -EINVAL,
	 BS_ERR_ARG, "0x800"},
	{"array: MMAPABLE, INNER_MAP, NUMA_NODE, RDONLY_PROG accepted",
	 DEF(A, 4, 4, 1, 0x400 | 0x1000 | 0x4 | 0x80), 0, BS_OK, NULL},
	{"array: value_size above INT_MAX", DEF(A, 4, 0x80000000u, 1, 0), -E2BIG, BS_ERR_ARG,
	 "INT_MAX"},
	{"array: 2^32-1 entries is out of memory, as in the kernel", DEF(A, 4, 8, 0xffffffffu, 0),
	 -ENOMEM, BS_ERR_UNSUPPORTED, "at most"},
	{"percpu_array: MMAPABLE", DEF(PA, 4, 4, 1, 0x400), -EINVAL, BS_ERR_ARG, "0x400"},
	{"percpu_array: INNER_MAP", DEF(PA, 4, 4, 1, 0x1000), -EINVAL, BS_ERR_ARG, "0x1000"},
	{"percpu_array: NUMA_NODE", DEF(PA, 4, 4, 1, 0x4), -EINVAL, BS_ERR_ARG, "0x4"},
	{"percpu_array: value 32769", DEF(PA, 4, 32769, 1, 0), -E2BIG, BS_ERR_ARG, "32768"},
	{"percpu_array: key_size 2", DEF(PA, 2, 4, 1, 0), -EINVAL, BS_ERR_ARG, "key_size is 2"},
	{"type 0", DEF(0, 4, 4, 1, 0), -EINVAL, BS_ERR_ARG, "unknown map type 0"},
	{"type 40", DEF(40, 4, 4, 1, 0), -EINVAL, BS_ERR_ARG, "unknown map type 40"},
	{"stack_trace is not implemented", DEF(7, 4, 8, 1, 0), -EOPNOTSUPP,
	 BS_ERR_UNSUPPORTED, "map type stack_trace (7) is not supported"},
	{"sockmap is not implemented", DEF(15, 4, 4, 1, 0), -EOPNOTSUPP, BS_ERR_UNSUPPORTED,
	 "sockmap"},
};

static void test_create_checks(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < NPROG(create_rows); i++) {
		const struct create_row *r = &create_rows[i];
		struct bs_maps *maps = new_set();
		struct bs_map *map = (struct bs_map *)1;
		struct bs_error err;
		bs_error_clear(&err);
		int rc = bs_maps_create(maps, &r->def, &map, &err);
		bool ok = rc == r->rc && (rc ? map == NULL && bs_maps_count(maps) == 0
					     : map != NULL && bs_maps_count(maps) == 1);
		if (rc && (err.kind != r->kind || !strstr(err.message, r->msg)))
			ok = false;
		if (!ok) {
			fprintf(stderr, "FAIL %s: rc %d (want %d), kind %s, \"%s\"\n", r->desc, rc,
				r->rc, bs_err_kind_name(err.kind), err.message);
			failures++;
		}
		bs_maps_free(maps);
	}
	assert_int_equal(failures, 0);
}

/* The set's memory limit adds up across maps. */
static void test_memory_limit(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map_def big = {"big", BS_MAP_ARRAY, 4, 1u << 20, 600, 0};
	struct bs_map *m;
	struct bs_error err;
	assert_int_equal(bs_maps_create(maps, &big, &m, &err), 0);
	assert_int_equal(bs_maps_create(maps, &big, &m, &err), -ENOMEM);
	assert_int_equal(err.kind, BS_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "map 'big'"));
	assert_int_equal(bs_maps_count(maps), 1);
	bs_maps_free(maps);

	struct bs_maps *none;
	assert_int_equal(bs_maps_new(&none, 0, &err), -1);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_null(none);
}

static void test_set_accessors(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *a = mk(maps, "counts", A, 4, 8, 4, 0);
	struct bs_map *h = mk(maps, "flows", H, 8, 16, 4, 0);
	assert_int_equal(bs_maps_count(maps), 2);
	assert_ptr_equal(bs_maps_at(maps, 0), a);
	assert_ptr_equal(bs_maps_at(maps, 1), h);
	assert_null(bs_maps_at(maps, 2));
	assert_ptr_equal(bs_maps_find(maps, "flows"), h);
	assert_null(bs_maps_find(maps, "nope"));
	const struct bs_map_def *d = bs_map_def(h);
	assert_string_equal(d->name, "flows");
	assert_int_equal(d->key_size, 8);
	assert_int_equal(d->value_size, 16);
	assert_string_equal(bs_map_type_name(BS_MAP_PERCPU_HASH), "percpu_hash");
	assert_string_equal(bs_map_type_name(1000), "unknown");
	/* nothing is attached yet: no handles, no guest addresses */
	assert_int_equal(bs_maps_handle(a), 0);
	assert_int_equal(bs_map_value_addr(a, 0), 0);
	assert_null(bs_maps_by_handle(maps, BS_MAP_HANDLE_BASE));
	assert_int_equal(bs_maps_set_cpu(maps, NCPUS), -EINVAL);
	assert_int_equal(bs_maps_set_cpu(maps, NCPUS - 1), 0);
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- arrays */

static void test_array(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, "a", A, 4, 12, 3, 0);
	uint32_t k;
	uint8_t v[12], out[12];

	/* every element exists, zeroed */
	for (k = 0; k < 3; k++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(bs_map_lookup(m, &k, out), 0);
		for (size_t i = 0; i < sizeof(out); i++)
			assert_int_equal(out[i], 0);
	}
	k = 3;
	assert_int_equal(bs_map_lookup(m, &k, out), -ENOENT);
	k = UINT32_MAX;
	assert_int_equal(bs_map_lookup(m, &k, out), -ENOENT);

	memset(v, 0x5a, sizeof(v));
	k = 1;
	assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
	assert_int_equal(bs_map_update(m, &k, v, BS_EXIST), 0);
	assert_int_equal(bs_map_update(m, &k, v, BS_NOEXIST), -EEXIST);
	assert_int_equal(bs_map_update(m, &k, v, 3), -EINVAL);
	assert_int_equal(bs_map_update(m, &k, v, 4), -EINVAL); /* BPF_F_LOCK, no spin lock */
	assert_int_equal(bs_map_update(m, &k, v, 8), -EINVAL);
	k = 3;
	assert_int_equal(bs_map_update(m, &k, v, BS_ANY), -E2BIG);
	assert_int_equal(bs_map_update(m, &k, v, BS_NOEXIST), -E2BIG);
	assert_int_equal(bs_map_update(m, &k, v, 5), -EINVAL); /* flags before the index */
	assert_int_equal(bs_map_update(m, &k, v, 4), -EINVAL); /* the syscall refuses F_LOCK first */
	k = 1;
	assert_int_equal(bs_map_lookup(m, &k, out), 0);
	assert_memory_equal(out, v, sizeof(v));
	assert_int_equal(bs_map_delete(m, &k), -EINVAL);
	k = 7;
	assert_int_equal(bs_map_delete(m, &k), -EINVAL);
	/* host view of the storage: element 1 at 16 (value_size rounded up to 8) */
	assert_ptr_equal((uint8_t *)bs_map_array_data(m, 1), (uint8_t *)bs_map_array_data(m, 0) + 16);
	assert_memory_equal(bs_map_array_data(m, 1), v, sizeof(v));
	assert_null(bs_map_array_data(m, 3));
	bs_maps_free(maps);
}

static void test_array_next_key(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *maps_[2] = {mk(maps, "a", A, 4, 4, 3, 0), mk(maps, "p", PA, 4, 4, 3, 0)};
	for (int i = 0; i < 2; i++) {
		struct bs_map *m = maps_[i];
		uint32_t k, n = 99;
		assert_int_equal(bs_map_next_key(m, NULL, &n), 0);
		assert_int_equal(n, 0);
		k = 0;
		assert_int_equal(bs_map_next_key(m, &k, &n), 0);
		assert_int_equal(n, 1);
		k = 1;
		assert_int_equal(bs_map_next_key(m, &k, &n), 0);
		assert_int_equal(n, 2);
		k = 2;
		n = 99;
		assert_int_equal(bs_map_next_key(m, &k, &n), -ENOENT);
		assert_int_equal(n, 99);
		/* out of range starts over, as array_map_get_next_key does */
		k = 3;
		assert_int_equal(bs_map_next_key(m, &k, &n), 0);
		assert_int_equal(n, 0);
		k = UINT32_MAX;
		n = 99;
		assert_int_equal(bs_map_next_key(m, &k, &n), 0);
		assert_int_equal(n, 0);
		/* key and next may be the same buffer */
		k = 0;
		assert_int_equal(bs_map_next_key(m, &k, &k), 0);
		assert_int_equal(k, 1);
	}
	bs_maps_free(maps);
}

/* percpu values: ncpus copies, each rounded up to 8 bytes, padding kept */
static void test_percpu_array(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, "pa", PA, 4, 4, 2, 0);
	uint64_t v[NCPUS], out[NCPUS];
	uint32_t k = 1;
	for (int c = 0; c < NCPUS; c++)
		v[c] = 0x1111111100000000ULL * (uint64_t)(c + 1) + 0xa0 + (uint64_t)c;
	assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(bs_map_lookup(m, &k, out), 0);
	assert_memory_equal(out, v, sizeof(v)); /* the padding round-trips, as in the kernel */
	k = 0;
	assert_int_equal(bs_map_lookup(m, &k, out), 0);
	for (int c = 0; c < NCPUS; c++)
		assert_int_equal(out[c], 0);
	assert_int_equal(bs_map_update(m, &k, v, BS_NOEXIST), -EEXIST);
	assert_int_equal(bs_map_update(m, &k, v, 4), -EINVAL);
	k = 2;
	assert_int_equal(bs_map_update(m, &k, v, BS_ANY), -E2BIG);
	assert_int_equal(bs_map_lookup(m, &k, v), -ENOENT);
	assert_int_equal(bs_map_delete(m, &k), -EINVAL);
	assert_null(bs_map_array_data(m, 0)); /* global data is never percpu */
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- hash maps */

static void test_hash(void **state)
{
	(void)state;
	uint32_t types[] = {H, PH};
	for (int t = 0; t < 2; t++) {
		struct bs_maps *maps = new_set();
		struct bs_map *m = mk(maps, "h", types[t], 4, 8, 2, 0);
		bool percpu = types[t] == PH;
		uint64_t v[NCPUS] = {1, 2, 3}, out[NCPUS];
		uint32_t k = 10, n;
		/* empty */
		assert_int_equal(bs_map_lookup(m, &k, out), -ENOENT);
		assert_int_equal(bs_map_delete(m, &k), -ENOENT);
		assert_int_equal(bs_map_next_key(m, NULL, &n), -ENOENT);
		assert_int_equal(bs_map_next_key(m, &k, &n), -ENOENT);
		/* flags on a missing key */
		assert_int_equal(bs_map_update(m, &k, v, BS_EXIST), -ENOENT);
		assert_int_equal(bs_map_update(m, &k, v, 3), -EINVAL);
		assert_int_equal(bs_map_update(m, &k, v, 4), -EINVAL);
		assert_int_equal(bs_map_update(m, &k, v, BS_NOEXIST), 0);
		/* flags on an existing key */
		assert_int_equal(bs_map_update(m, &k, v, BS_NOEXIST), -EEXIST);
		v[0] = 5;
		assert_int_equal(bs_map_update(m, &k, v, BS_EXIST), 0);
		assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
		assert_int_equal(bs_map_update(m, &k, v, 3), -EINVAL);
		assert_int_equal(bs_map_lookup(m, &k, out), 0);
		assert_int_equal(out[0], 5);
		if (percpu) {
			assert_int_equal(out[1], 2);
			assert_int_equal(out[2], 3);
		}
		/* full */
		k = 11;
		assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
		k = 12;
		assert_int_equal(bs_map_update(m, &k, v, BS_ANY), -E2BIG);
		assert_int_equal(bs_map_update(m, &k, v, BS_NOEXIST), -E2BIG);
		assert_int_equal(bs_map_update(m, &k, v, BS_EXIST), -ENOENT);
		/* replacing while full is fine (the kernel's spare element) */
		k = 11;
		v[0] = 6;
		assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
		assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
		assert_int_equal(bs_map_lookup(m, &k, out), 0);
		assert_int_equal(out[0], 6);
		/* delete frees an element for a new key */
		k = 10;
		assert_int_equal(bs_map_delete(m, &k), 0);
		assert_int_equal(bs_map_delete(m, &k), -ENOENT);
		assert_int_equal(bs_map_lookup(m, &k, out), -ENOENT);
		k = 12;
		assert_int_equal(bs_map_update(m, &k, v, BS_NOEXIST), 0);
		k = 13;
		assert_int_equal(bs_map_update(m, &k, v, BS_ANY), -E2BIG);
		bs_maps_free(maps);
	}
}

/* Keys are compared byte for byte over key_size, whatever their size. */
static void test_hash_odd_keys(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, "h", H, 13, 3, 64, 0);
	uint8_t key[13], val[3];
	for (int i = 0; i < 64; i++) {
		memset(key, 0, sizeof(key));
		key[12] = (uint8_t)i;  /* only the last byte differs */
		memset(val, i, sizeof(val));
		assert_int_equal(bs_map_update(m, key, val, BS_NOEXIST), 0);
	}
	for (int i = 63; i >= 0; i--) {
		memset(key, 0, sizeof(key));
		key[12] = (uint8_t)i;
		assert_int_equal(bs_map_lookup(m, key, val), 0);
		assert_int_equal(val[2], i);
	}
	key[12] = 200;
	assert_int_equal(bs_map_lookup(m, key, val), -ENOENT);
	bs_maps_free(maps);
}

/* next_key goes in insertion order (documented), restarts from a key that is
 * not in the map, and a re-inserted key goes to the end. */
static void test_hash_iteration(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, "h", H, 4, 4, 8, 0);
	uint32_t keys[] = {50, 3, 77, 12, 9};
	uint32_t v = 0, k, n;
	for (size_t i = 0; i < NPROG(keys); i++)
		assert_int_equal(bs_map_update(m, &keys[i], &v, BS_ANY), 0);
	/* an update of an existing key keeps its place */
	k = 3;
	v = 1;
	assert_int_equal(bs_map_update(m, &k, &v, BS_EXIST), 0);

	uint32_t seen[8];
	size_t ns = 0;
	int rc = bs_map_next_key(m, NULL, &n);
	while (rc == 0 && ns < 8) {
		seen[ns++] = n;
		k = n;
		rc = bs_map_next_key(m, &k, &n);
	}
	assert_int_equal(rc, -ENOENT);
	assert_int_equal(ns, NPROG(keys));
	assert_memory_equal(seen, keys, sizeof(keys));

	k = 1000; /* not in the map: the first key */
	assert_int_equal(bs_map_next_key(m, &k, &n), 0);
	assert_int_equal(n, 50);
	k = 9;
	assert_int_equal(bs_map_next_key(m, &k, &n), -ENOENT);

	k = 77; /* delete from the middle, then re-insert: it comes last */
	assert_int_equal(bs_map_delete(m, &k), 0);
	k = 3;
	assert_int_equal(bs_map_next_key(m, &k, &n), 0);
	assert_int_equal(n, 12);
	k = 77;
	assert_int_equal(bs_map_update(m, &k, &v, BS_NOEXIST), 0);
	k = 9;
	assert_int_equal(bs_map_next_key(m, &k, &n), 0);
	assert_int_equal(n, 77);
	k = 50; /* delete the first and the last */
	assert_int_equal(bs_map_delete(m, &k), 0);
	k = 77;
	assert_int_equal(bs_map_delete(m, &k), 0);
	assert_int_equal(bs_map_next_key(m, NULL, &n), 0);
	assert_int_equal(n, 3);
	k = 9;
	assert_int_equal(bs_map_next_key(m, &k, &n), -ENOENT);
	bs_maps_free(maps);
}

/* BPF_F_RDONLY / BPF_F_WRONLY restrict the syscall side (-EPERM first). */
static void test_syscall_permissions(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	uint32_t types[] = {A, H};
	for (int t = 0; t < 2; t++) {
		struct bs_map *ro = mk(maps, "ro", types[t], 4, 4, 2, BS_F_RDONLY);
		struct bs_map *wo = mk(maps, "wo", types[t], 4, 4, 2, BS_F_WRONLY);
		uint32_t k = 0, v = 1, n;
		assert_int_equal(bs_map_update(ro, &k, &v, BS_ANY), -EPERM);
		assert_int_equal(bs_map_delete(ro, &k), -EPERM);
		assert_int_equal(bs_map_lookup(ro, &k, &v), types[t] == A ? 0 : -ENOENT);
		assert_int_equal(bs_map_next_key(ro, &k, &n), types[t] == A ? 0 : -ENOENT);
		assert_int_equal(bs_map_update(wo, &k, &v, BS_ANY), 0);
		assert_int_equal(bs_map_lookup(wo, &k, &v), -EPERM);
		assert_int_equal(bs_map_next_key(wo, &k, &n), -EPERM);
		assert_int_equal(bs_map_delete(wo, &k), types[t] == A ? -EINVAL : 0);
	}
	bs_maps_free(maps);
}

/* NULL pointers fail as the syscall's copy would, at the same step. */
static void test_syscall_null_pointers(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *a = mk(maps, "a", A, 4, 8, 2, 0);
	struct bs_map *h = mk(maps, "h", H, 4, 8, 2, 0);
	uint32_t k = 0, last = 1;
	uint64_t v = 0;
	for (int i = 0; i < 2; i++) {
		struct bs_map *m = i ? h : a;
		assert_int_equal(bs_map_lookup(m, NULL, &v), -EFAULT);
		assert_int_equal(bs_map_update(m, NULL, &v, 0), -EFAULT);
		assert_int_equal(bs_map_update(m, &k, NULL, 0), -EFAULT);
		assert_int_equal(bs_map_delete(m, NULL), -EFAULT);
	}
	/* the array element exists, so copying it out fails; the hash has none */
	assert_int_equal(bs_map_lookup(a, &k, NULL), -EFAULT);
	assert_int_equal(bs_map_lookup(h, &k, NULL), -ENOENT);
	assert_int_equal(bs_map_next_key(a, &k, NULL), -EFAULT);
	assert_int_equal(bs_map_next_key(a, &last, NULL), -ENOENT);
	assert_int_equal(bs_map_next_key(h, &k, NULL), -ENOENT);
	assert_int_equal(bs_map_update(h, &k, &v, 0), 0);
	assert_int_equal(bs_map_next_key(h, NULL, NULL), -EFAULT);
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- programs */

struct runner {
	struct bs_vm *vm;
	struct bs_env env;
};

/* A VM with the environment helpers and maps attached, program loaded. */
static int load(struct runner *r, struct bs_maps *maps, const struct bs_insn *prog, size_t n,
		struct bs_error *err)
{
	bs_env_default(&r->env);
	if (bs_vm_new(&r->vm, err))
		return -1;
	if (bs_helpers_register_env(r->vm, &r->env, err) || bs_maps_attach(maps, r->vm, err) ||
	    bs_vm_load(r->vm, prog, n, err)) {
		bs_vm_free(r->vm);
		r->vm = NULL;
		return -1;
	}
	return 0;
}

/* Loads and runs prog once in a fresh VM; the return value in *ret. */
static int run(struct bs_maps *maps, const struct bs_insn *prog, size_t n, uint64_t *ret,
	       struct bs_error *err)
{
	struct runner r;
	if (load(&r, maps, prog, n, err))
		return -1;
	struct bs_run_result res = {0};
	int rc = bs_vm_run(r.vm, NULL, &res, err);
	*ret = res.retval;
	bs_vm_free(r.vm);
	return rc;
}

static uint64_t run_ok(struct bs_maps *maps, const struct bs_insn *prog, size_t n)
{
	uint64_t ret = 0;
	struct bs_error err;
	if (run(maps, prog, n, &ret, &err)) {
		fprintf(stderr, "run failed: %s (pc %ld: %s) hint: %s\n", err.message, err.pc,
			err.insn, err.hint);
		fail();
	}
	return ret;
}

/* The program for one map operation with a u32 key at fp-4 and a u64 value
 * at fp-16: r0 = the helper's return (lookup: the value read, or -1). */
enum op { OP_LOOKUP, OP_UPDATE, OP_DELETE };
static size_t op_prog(struct bs_insn *p, enum op op, int32_t map, uint32_t key, uint64_t value,
		      int32_t flags)
{
	const struct bs_insn head[] = {
		ST(SZ_W, 10, -4, (int32_t)key),
		LDDW(1, value),
		STX(SZ_DW, 10, 1, -16),
		LD_MAP(1, map),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		MOV64_REG(3, 10),
		ALU64_IMM(ADD, 3, -16),
		MOV64_IMM(4, flags),
		CALL_HELPER(op == OP_LOOKUP ? 1 : op == OP_UPDATE ? 2 : 3),
	};
	const struct bs_insn lookup_tail[] = {
		JMP_IMM(JNE, 0, 0, 2),
		MOV64_IMM(0, -1),
		EXIT(),
		LDX(SZ_DW, 0, 0, 0),
		EXIT(),
	};
	size_t n = NPROG(head);
	memcpy(p, head, sizeof(head));
	if (op == OP_LOOKUP) {
		memcpy(p + n, lookup_tail, sizeof(lookup_tail));
		return n + NPROG(lookup_tail);
	}
	p[n] = (struct bs_insn)EXIT();
	return n + 1;
}

static uint64_t prog_op(struct bs_maps *maps, enum op op, int32_t map, uint32_t key,
			uint64_t value, int32_t flags)
{
	struct bs_insn p[32];
	size_t n = op_prog(p, op, map, key, value, flags);
	return run_ok(maps, p, n);
}

/* The helpers give programs the syscall's errno, as negative u64s. */
static void test_prog_errno(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "arr", A, 4, 8, 4, 0);
	mk(maps, "h", H, 4, 8, 2, 0);
	mk(maps, "pa", PA, 4, 8, 4, 0);
	mk(maps, "ph", PH, 4, 8, 2, 0);

	for (int m = 0; m < 4; m += 2) { /* the arrays */
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 1, 42, BS_ANY), 0);
		assert_int_equal(prog_op(maps, OP_LOOKUP, m, 1, 0, 0), 42);
		assert_int_equal(prog_op(maps, OP_LOOKUP, m, 0, 0, 0), 0);
		assert_int_equal(prog_op(maps, OP_LOOKUP, m, 4, 0, 0), (uint64_t)-1);
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 1, 43, BS_NOEXIST), ERRNO(EEXIST));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 1, 43, BS_EXIST), 0);
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 4, 43, BS_ANY), ERRNO(E2BIG));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 1, 43, 4), ERRNO(EINVAL));
		/* a program's BPF_F_LOCK meets array_map_update_elem's order: the
		 * index and NOEXIST are checked before the missing spin lock */
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 4, 43, 4), ERRNO(E2BIG));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 1, 43, 5), ERRNO(EEXIST));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 1, 43, 6), ERRNO(EINVAL));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 1, 43, -1), ERRNO(EINVAL));
		assert_int_equal(prog_op(maps, OP_DELETE, m, 1, 0, 0), ERRNO(EINVAL));
		assert_int_equal(prog_op(maps, OP_LOOKUP, m, 1, 0, 0), 43);
	}
	for (int m = 1; m < 4; m += 2) { /* the hash maps */
		assert_int_equal(prog_op(maps, OP_LOOKUP, m, 7, 0, 0), (uint64_t)-1);
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 7, 42, BS_EXIST), ERRNO(ENOENT));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 7, 42, BS_NOEXIST), 0);
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 7, 43, BS_NOEXIST), ERRNO(EEXIST));
		assert_int_equal(prog_op(maps, OP_LOOKUP, m, 7, 0, 0), 42);
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 8, 1, BS_ANY), 0);
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 9, 1, BS_ANY), ERRNO(E2BIG));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 9, 1, 3), ERRNO(EINVAL));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 9, 1, 4), ERRNO(EINVAL));
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 7, 1, 5), ERRNO(EINVAL));
		assert_int_equal(prog_op(maps, OP_DELETE, m, 9, 0, 0), ERRNO(ENOENT));
		assert_int_equal(prog_op(maps, OP_DELETE, m, 7, 0, 0), 0);
		assert_int_equal(prog_op(maps, OP_LOOKUP, m, 7, 0, 0), (uint64_t)-1);
		assert_int_equal(prog_op(maps, OP_UPDATE, m, 9, 1, BS_ANY), 0);
	}
	/* what programs wrote, seen from outside */
	uint32_t k = 1;
	uint64_t v[NCPUS];
	assert_int_equal(bs_map_lookup(bs_maps_at(maps, 0), &k, v), 0);
	assert_int_equal(v[0], 43);
	k = 8;
	assert_int_equal(bs_map_lookup(bs_maps_at(maps, 1), &k, v), 0);
	assert_int_equal(v[0], 1);
	bs_maps_free(maps);
}

/* The classic: look the counter up, add one through the pointer. */
static const struct bs_insn counter_prog[] = {
	ST(SZ_W, 10, -4, 0),
	LD_MAP(1, 0),
	MOV64_REG(2, 10),
	ALU64_IMM(ADD, 2, -4),
	CALL_HELPER(1),
	JMP_IMM(JNE, 0, 0, 2),
	MOV64_IMM(0, 1),
	EXIT(),
	MOV64_IMM(1, 1),
	INSN(0xdb, 0, 1, 0, 0x00), /* lock *(u64 *)(r0 + 0) += r1 */
	LDX(SZ_DW, 2, 0, 0),
	ALU64_IMM(ADD, 2, 10),
	STX(SZ_DW, 0, 2, 8),       /* the second u64 = counter + 10 */
	MOV64_IMM(0, 0),
	EXIT(),
};

static void test_prog_counter(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, "counts", A, 4, 16, 1, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run_ok(maps, counter_prog, NPROG(counter_prog)), 0);
	uint32_t k = 0;
	uint64_t v[2];
	assert_int_equal(bs_map_lookup(m, &k, v), 0);
	assert_int_equal(v[0], 3);
	assert_int_equal(v[1], 13);

	/* percpu: each CPU counts in its own copy */
	struct bs_maps *pm = new_set();
	struct bs_map *p = mk(pm, "counts", PA, 4, 16, 1, 0);
	assert_int_equal(run_ok(pm, counter_prog, NPROG(counter_prog)), 0);
	assert_int_equal(bs_maps_set_cpu(pm, 2), 0);
	assert_int_equal(run_ok(pm, counter_prog, NPROG(counter_prog)), 0);
	assert_int_equal(run_ok(pm, counter_prog, NPROG(counter_prog)), 0);
	uint64_t pv[2 * NCPUS];
	assert_int_equal(bs_map_lookup(p, &k, pv), 0);
	assert_int_equal(pv[0], 1);
	assert_int_equal(pv[1], 11);
	assert_int_equal(pv[2], 0);
	assert_int_equal(pv[3], 0);
	assert_int_equal(pv[4], 2);
	assert_int_equal(pv[5], 12);
	bs_maps_free(pm);
	bs_maps_free(maps);
}

/* The address a lookup returns: region base + slot offset (+ CPU copy). */
static void test_prog_addresses(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *a = mk(maps, "arr", A, 4, 12, 4, 0);
	struct bs_map *p = mk(maps, "pa", PA, 4, 4, 4, 0);
	const struct bs_insn prog[] = {
		ST(SZ_W, 10, -4, 2),
		LD_MAP(1, 0),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1),
		EXIT(),
	};
	uint64_t r0 = run_ok(maps, prog, NPROG(prog));
	assert_int_not_equal(r0, 0);
	assert_int_equal(r0, bs_map_value_addr(a, 2));
	assert_int_equal(bs_map_value_addr(a, 2) - bs_map_value_addr(a, 0), 2 * 16);
	assert_int_equal(bs_map_value_addr(a, 4), 0);
	/* the handle names the map */
	assert_int_equal(bs_maps_handle(a), BS_MAP_HANDLE_BASE);
	assert_int_equal(bs_maps_handle(p), BS_MAP_HANDLE_BASE + BS_MAP_HANDLE_STRIDE);
	assert_ptr_equal(bs_maps_by_handle(maps, bs_maps_handle(p)), p);
	assert_null(bs_maps_by_handle(maps, bs_maps_handle(p) + 8));
	assert_null(bs_maps_by_handle(maps, BS_MAP_HANDLE_BASE + 2 * BS_MAP_HANDLE_STRIDE));

	/* percpu_array element 2 of CPU 1: slot 2 holds NCPUS copies of 8 bytes */
	struct bs_insn pprog[NPROG(prog)];
	memcpy(pprog, prog, sizeof(prog));
	pprog[1].imm = 1;
	assert_int_equal(bs_maps_set_cpu(maps, 1), 0);
	r0 = run_ok(maps, pprog, NPROG(pprog));
	assert_int_equal(r0 - bs_map_value_addr(p, 0), 2 * NCPUS * 8); /* both CPU 1's */
	assert_int_equal(r0, bs_map_value_addr(p, 2));
	bs_maps_free(maps);
}

/* Reading past a value runs into the sandbox, which names the map region. */
static void test_prog_out_of_bounds(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "counts", A, 4, 8, 1, 0);
	const struct bs_insn prog[] = {
		ST(SZ_W, 10, -4, 0),
		LD_MAP(1, 0),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1),
		JMP_IMM(JNE, 0, 0, 1),
		EXIT(),
		LDX(SZ_DW, 1, 0, 0),  /* inside: fine */
		LDX(SZ_DW, 0, 0, 8),  /* one past the only value: 8 bytes of region */
		EXIT(),
	};
	uint64_t ret;
	struct bs_error err;
	assert_int_equal(run(maps, prog, NPROG(prog), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 9);
	assert_non_null(strstr(err.message, "invalid read of map[counts] off=8 size=8"));

	/* writing before the value */
	struct bs_insn w[NPROG(prog)];
	memcpy(w, prog, sizeof(prog));
	w[9] = (struct bs_insn)ST(SZ_B, 0, -1, 7);
	assert_int_equal(run(maps, w, NPROG(w), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 9);
	assert_non_null(strstr(err.message, "invalid write of map[counts] off=-1 size=1"));
	bs_maps_free(maps);
}

/* r1 that is not a map handle, a key pointer outside every region. */
static void test_prog_bad_arguments(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "counts", A, 4, 8, 1, 0);
	const struct bs_insn bogus[] = {
		ST(SZ_W, 10, -4, 0),
		MOV64_REG(1, 10),          /* a stack pointer, not a map */
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1),
		EXIT(),
	};
	uint64_t ret;
	struct bs_error err;
	assert_int_equal(run(maps, bogus, NPROG(bogus), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_HELPER);
	assert_int_equal(err.pc, 4);
	assert_non_null(strstr(err.message, "bpf_map_lookup_elem: R1 is not a map"));

	/* a handle-looking value past the last map */
	const struct bs_insn past[] = {
		ST(SZ_W, 10, -4, 0),
		LD_IMM64_LO(1, BS_MAP_HANDLE_BASE + BS_MAP_HANDLE_STRIDE),
		LD_IMM64_HI(BS_MAP_HANDLE_BASE + BS_MAP_HANDLE_STRIDE),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1),
		EXIT(),
	};
	assert_int_equal(run(maps, past, NPROG(past), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_HELPER);
	assert_int_equal(err.pc, 5);
	assert_non_null(strstr(err.message, "R1 is not a map (R1=0xffff900000001000)"));

	const struct bs_insn null_key[] = {
		LD_MAP(1, 0),
		MOV64_IMM(2, 0),
		CALL_HELPER(1),
		EXIT(),
	};
	assert_int_equal(run(maps, null_key, NPROG(null_key), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 3);
	assert_non_null(strstr(err.message, "bpf_map_lookup_elem: R2 (key, 4 bytes): invalid read"));

	/* the value of an update straddles the end of the stack frame */
	const struct bs_insn bad_value[] = {
		ST(SZ_W, 10, -4, 0),
		LD_MAP(1, 0),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		MOV64_REG(3, 10),
		ALU64_IMM(ADD, 3, -4),
		MOV64_IMM(4, 0),
		CALL_HELPER(2),
		EXIT(),
	};
	assert_int_equal(run(maps, bad_value, NPROG(bad_value), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 8);
	assert_non_null(strstr(err.message, "bpf_map_update_elem: R3 (value, 8 bytes)"));
	assert_non_null(strstr(err.message, "stack off=-4 size=8"));

	/* bpf_map_lookup_percpu_elem on a map that is not percpu */
	const struct bs_insn not_percpu[] = {
		ST(SZ_W, 10, -4, 0),
		LD_MAP(1, 0),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		MOV64_IMM(3, 0),
		CALL_HELPER(195),
		EXIT(),
	};
	assert_int_equal(run(maps, not_percpu, NPROG(not_percpu), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_HELPER);
	assert_int_equal(err.pc, 6);
	assert_non_null(strstr(err.message, "cannot pass map_type 2 into func"));
	bs_maps_free(maps);
}

/* A lookup pointer is a window on an element of the preallocated pool. In a
 * hash, an update of the key moves the value to another element (the old
 * pointer keeps the old value); a percpu_hash writes in place. After a
 * delete the pointer still reads the value. (Linux 6.18 does all this.) */
static void test_prog_pointer_lifetime(void **state)
{
	(void)state;
	uint32_t types[] = {H, PH};
	uint64_t after_update[] = {5, 77};
	for (int t = 0; t < 2; t++) {
		struct bs_maps *maps = new_set();
		struct bs_map *m = mk(maps, "h", types[t], 4, 8, 4, 0);
		uint32_t k = 1;
		uint64_t v[NCPUS] = {5, 5, 5};
		assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
		const struct bs_insn prog[] = {
			ST(SZ_W, 10, -4, 1),
			LD_MAP(1, 0),
			MOV64_REG(2, 10),
			ALU64_IMM(ADD, 2, -4),
			CALL_HELPER(1),
			JMP_IMM(JNE, 0, 0, 2),
			MOV64_IMM(0, -1),
			EXIT(),
			MOV64_REG(6, 0),
			ST(SZ_DW, 10, -16, 77),
			LD_MAP(1, 0),
			MOV64_REG(2, 10),
			ALU64_IMM(ADD, 2, -4),
			MOV64_REG(3, 10),
			ALU64_IMM(ADD, 3, -16),
			MOV64_IMM(4, 0),
			CALL_HELPER(2),            /* update the key the pointer is for */
			LDX(SZ_DW, 7, 6, 0),       /* r7 = through the old pointer */
			LD_MAP(1, 0),
			MOV64_REG(2, 10),
			ALU64_IMM(ADD, 2, -4),
			CALL_HELPER(3),            /* delete it */
			ALU64_IMM(0x20, 7, 1000),  /* r7 *= 1000 */
			LDX(SZ_DW, 0, 6, 0),       /* still readable */
			ALU64_REG(ADD, 0, 7),
			EXIT(),
		};
		uint64_t r0 = run_ok(maps, prog, NPROG(prog));
		assert_int_equal(r0, after_update[t] * 1000 + after_update[t]);
		assert_int_equal(bs_map_lookup(m, &k, v), -ENOENT);
		bs_maps_free(maps);
	}
}

/* A program's insert into a percpu_hash zeroes the other CPUs' copies. */
static void test_prog_percpu_hash(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, "ph", PH, 4, 4, 4, 0);
	uint32_t k = 3, n;
	uint64_t v[NCPUS] = {0x11, 0x22, 0x33};
	/* leave old bytes in the element that the next insert reuses */
	assert_int_equal(bs_map_update(m, &k, v, BS_ANY), 0);
	assert_int_equal(bs_map_delete(m, &k), 0);
	assert_int_equal(bs_maps_set_cpu(maps, 1), 0);
	assert_int_equal(prog_op(maps, OP_UPDATE, 0, 4, 0xabcd, BS_ANY), 0);
	k = 4;
	assert_int_equal(bs_map_lookup(m, &k, v), 0);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[1], 0xabcd);
	assert_int_equal(v[2], 0);
	/* an update in place touches only this CPU's copy */
	assert_int_equal(bs_maps_set_cpu(maps, 2), 0);
	assert_int_equal(prog_op(maps, OP_UPDATE, 0, 4, 0x77, BS_EXIST), 0);
	assert_int_equal(bs_map_lookup(m, &k, v), 0);
	assert_int_equal(v[1], 0xabcd);
	assert_int_equal(v[2], 0x77);
	assert_int_equal(prog_op(maps, OP_LOOKUP, 0, 4, 0, 0), 0x77);
	assert_int_equal(bs_map_next_key(m, NULL, &n), 0);
	assert_int_equal(n, 4);

	/* bpf_map_lookup_percpu_elem(map, &key, cpu) reads another CPU's copy */
	for (int32_t cpu = 0; cpu <= NCPUS; cpu++) {
		const struct bs_insn prog[] = {
			ST(SZ_W, 10, -4, 4),
			LD_MAP(1, 0),
			MOV64_REG(2, 10),
			ALU64_IMM(ADD, 2, -4),
			MOV64_IMM(3, cpu),
			CALL_HELPER(195),
			JMP_IMM(JNE, 0, 0, 2),
			MOV64_IMM(0, -1),
			EXIT(),
			LDX(SZ_W, 0, 0, 0),
			EXIT(),
		};
		uint64_t want[] = {0, 0xabcd, 0x77, (uint64_t)-1};
		assert_int_equal(run_ok(maps, prog, NPROG(prog)), want[cpu]);
	}
	bs_maps_free(maps);
}

/* Global data: lddw src 2 gives the address of element 0 + offset. */
static void test_prog_global_data(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *data = mk(maps, ".data", A, 4, 16, 1, 0);
	struct bs_map *ro = mk(maps, ".rodata", A, 4, 8, 1, BS_F_RDONLY_PROG);
	uint64_t init = 0x1122334455667788ULL;
	memcpy(bs_map_array_data(ro, 0), &init, sizeof(init));
	const struct bs_insn prog[] = {
		LD_MAP_VALUE(1, 1, 4),     /* &rodata[4] */
		LDX(SZ_W, 2, 1, 0),        /* 0x11223344 */
		LD_MAP_VALUE(3, 0, 8),     /* &data[8] */
		STX(SZ_W, 3, 2, 0),
		LD_MAP_VALUE(0, 0, 0),
		EXIT(),
	};
	uint64_t r0 = run_ok(maps, prog, NPROG(prog));
	assert_int_equal(r0, bs_map_value_addr(data, 0));
	uint32_t k = 0;
	uint32_t v[4];
	assert_int_equal(bs_map_lookup(data, &k, v), 0);
	assert_int_equal(v[2], 0x11223344);

	/* .rodata is read-only to the program (BPF_F_RDONLY_PROG) */
	const struct bs_insn write_ro[] = {
		LD_MAP_VALUE(1, 1, 0),
		ST(SZ_W, 1, 0, 1),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	uint64_t ret;
	struct bs_error err;
	assert_int_equal(run(maps, write_ro, NPROG(write_ro), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 2);
	assert_non_null(strstr(err.message, "read-only region 'map[.rodata]'"));
	/* so is bpf_map_update_elem on it */
	struct bs_insn p[32];
	size_t n = op_prog(p, OP_UPDATE, 1, 0, 1, 0);
	assert_int_equal(run(maps, p, n, &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_HELPER);
	assert_non_null(strstr(err.message, "write into map forbidden"));
	/* the syscall side still writes (the kernel would need BPF_MAP_FREEZE) */
	uint64_t nv = 9;
	assert_int_equal(bs_map_update(ro, &k, &nv, BS_ANY), 0);
	bs_maps_free(maps);
}

/* BPF_F_WRONLY_PROG: the program may write the value but not read it. */
static void test_prog_write_only(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "wo", A, 4, 8, 1, BS_F_WRONLY_PROG);
	const struct bs_insn prog[] = {
		LD_MAP_VALUE(1, 0, 0),
		ST(SZ_DW, 1, 0, 5),
		LDX(SZ_DW, 0, 1, 0),
		EXIT(),
	};
	uint64_t ret;
	struct bs_error err;
	assert_int_equal(run(maps, prog, NPROG(prog), &ret, &err), -1);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 3);
	assert_non_null(strstr(err.message, "invalid read"));
	assert_non_null(strstr(err.message, "'map[wo]'"));
	bs_maps_free(maps);
}

struct lddw_row {
	const char *desc;
	struct bs_insn lddw[2];
	const char *msg;
};

static const struct lddw_row lddw_rows[] = {
	{"map index past the last", {INSN(0x18, 0, BS_PSEUDO_MAP_FD, 0, 3), INSN(0, 0, 0, 0, 0)},
	 "refers to map index 3, but there are 3 maps"},
	{"map_idx past the last", {INSN(0x18, 0, BS_PSEUDO_MAP_IDX, 0, -1), INSN(0, 0, 0, 0, 0)},
	 "(map_idx) refers to map index 4294967295"},
	{"map_fd with a second imm", {INSN(0x18, 0, BS_PSEUDO_MAP_FD, 0, 0), INSN(0, 0, 0, 0, 1)},
	 "unrecognized bpf_ld_imm64 insn"},
	{"map value of a hash", {INSN(0x18, 0, BS_PSEUDO_MAP_VALUE, 0, 1), INSN(0, 0, 0, 0, 0)},
	 "no direct value access support for this map type (map #1 'h' is hash)"},
	{"map value of a percpu_array",
	 {INSN(0x18, 0, BS_PSEUDO_MAP_IDX_VALUE, 0, 2), INSN(0, 0, 0, 0, 0)},
	 "no direct value access support for this map type (map #2 'pa' is percpu_array)"},
	{"map value offset = value_size",
	 {INSN(0x18, 0, BS_PSEUDO_MAP_VALUE, 0, 0), INSN(0, 0, 0, 0, 8)},
	 "invalid access to map value pointer, value_size=8 off=8 (map #0 'g')"},
	{"map value offset 2^29", {INSN(0x18, 0, BS_PSEUDO_MAP_VALUE, 0, 0),
				   INSN(0, 0, 0, 0, 1 << 29)},
	 "direct value offset of 536870912 is not allowed"},
	{"btf id: nobody resolves it", {INSN(0x18, 0, BS_PSEUDO_BTF_ID, 0, 0), INSN(0, 0, 0, 0, 0)},
	 "pseudo source btf_id (src_reg=3) is not a map reference"},
};

/* lddw references the maps cannot resolve fail the load, naming the map. */
static void test_lddw_errors(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "g", A, 4, 8, 1, 0);
	mk(maps, "h", H, 4, 8, 1, 0);
	mk(maps, "pa", PA, 4, 8, 1, 0);
	int failures = 0;
	for (size_t i = 0; i < NPROG(lddw_rows); i++) {
		const struct lddw_row *r = &lddw_rows[i];
		struct bs_insn prog[] = {MOV64_IMM(0, 0), r->lddw[0], r->lddw[1], EXIT()};
		uint64_t ret;
		struct bs_error err;
		int rc = run(maps, prog, NPROG(prog), &ret, &err);
		if (rc != -1 || err.pc != 1 || !strstr(err.message, r->msg)) {
			fprintf(stderr, "FAIL %s: rc %d pc %ld \"%s\"\n", r->desc, rc, err.pc,
				err.message);
			failures++;
		}
	}
	assert_int_equal(failures, 0);

	/* a single-entry array only */
	struct bs_maps *two = new_set();
	mk(two, "two", A, 4, 8, 2, 0);
	const struct bs_insn prog[] = {LD_MAP_VALUE(0, 0, 0), EXIT()};
	uint64_t ret;
	struct bs_error err;
	assert_int_equal(run(two, prog, NPROG(prog), &ret, &err), -1);
	assert_non_null(strstr(err.message, "invalid access to map value pointer, value_size=8 off=0"));
	assert_non_null(strstr(err.hint, "single-entry array"));
	bs_maps_free(two);
	bs_maps_free(maps);
}

static int fake_func_resolver(struct bs_vm *vm, size_t pc, const struct bs_insn *insn,
			      uint64_t *value, struct bs_error *err, void *user)
{
	(void)vm, (void)pc, (void)err;
	*value = 0x7700 + (uint64_t)insn->imm + *(int *)user;
	return 0;
}

/* Pseudo sources that are not maps go to the resolver installed before. */
static void test_lddw_chain(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "g", A, 4, 8, 1, 0);
	struct bs_vm *vm;
	struct bs_error err;
	int extra = 0x10000;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	bs_vm_set_lddw_resolver(vm, fake_func_resolver, &extra);
	assert_int_equal(bs_maps_attach(maps, vm, &err), 0);
	const struct bs_insn prog[] = {
		INSN(0x18, 0, BS_PSEUDO_BTF_ID, 0, 5), INSN(0, 0, 0, 0, 0), /* a kernel BTF id */
		LD_MAP(1, 0),
		ALU64_REG(0x10, 1, 0),  /* r1 -= r0: use both */
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	assert_int_equal(bs_vm_load(vm, prog, NPROG(prog), &err), 0);
	struct bs_run_result res;
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	assert_int_equal(res.retval, 0x17705);
	bs_vm_free(vm);
	bs_maps_free(maps);
}

/* Maps created after an attach are unknown to that VM, by index and by handle. */
static void test_attach_later_maps(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "first", A, 4, 8, 1, 0);
	struct bs_vm *vm, *vm2;
	struct bs_error err;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_maps_attach(maps, vm, &err), 0);
	struct bs_map *late = mk(maps, "late", A, 4, 8, 1, 0);
	const struct bs_insn prog[] = {LD_MAP(0, 1), EXIT()};
	assert_int_equal(bs_vm_load(vm, prog, NPROG(prog), &err), -1);
	assert_int_equal(err.kind, BS_ERR_INVALID);
	assert_non_null(strstr(err.message, "map index 1, but there are 1 maps"));
	assert_non_null(strstr(err.hint, "'late' was created after"));

	/* a second VM sees both, with the same handles; the first VM's helpers
	 * refuse the new map's handle */
	assert_int_equal(bs_vm_new(&vm2, &err), 0);
	assert_int_equal(bs_maps_attach(maps, vm2, &err), 0);
	assert_int_equal(bs_maps_handle(late), BS_MAP_HANDLE_BASE + BS_MAP_HANDLE_STRIDE);
	const struct bs_insn by_handle[] = {
		ST(SZ_W, 10, -4, 0),
		LD_IMM64_LO(1, BS_MAP_HANDLE_BASE + BS_MAP_HANDLE_STRIDE),
		LD_IMM64_HI(BS_MAP_HANDLE_BASE + BS_MAP_HANDLE_STRIDE),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1),
		EXIT(),
	};
	struct bs_run_result res;
	assert_int_equal(bs_vm_load(vm2, by_handle, NPROG(by_handle), &err), 0);
	assert_int_equal(bs_vm_run(vm2, NULL, &res, &err), 0);
	assert_int_equal(res.retval, bs_map_value_addr(late, 0));
	assert_int_equal(bs_vm_load(vm, by_handle, NPROG(by_handle), &err), 0);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), -1);
	assert_int_equal(err.kind, BS_ERR_HELPER);
	assert_non_null(strstr(err.message, "'late', which was created after"));
	bs_vm_free(vm);
	bs_vm_free(vm2);
	bs_maps_free(maps);
}

/* Each map is one named region; a long name is cut, keeping "]". */
static void test_region_names(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, "a_very_long_map_name_that_goes_on", A, 4, 8, 1, 0);
	mk(maps, "", A, 4, 8, 1, 0);
	const struct bs_insn prog[] = {
		LD_MAP_VALUE(1, 0, 0),
		LDX(SZ_DW, 0, 1, 8),
		EXIT(),
	};
	uint64_t ret;
	struct bs_error err;
	assert_int_equal(run(maps, prog, NPROG(prog), &ret, &err), -1);
	assert_non_null(strstr(err.message, "map[a_very_long_map_name_that_] off=8"));
	struct bs_insn p2[NPROG(prog)];
	memcpy(p2, prog, sizeof(prog));
	p2[0].imm = 1;
	assert_int_equal(run(maps, p2, NPROG(p2), &ret, &err), -1);
	assert_non_null(strstr(err.message, "map[#1] off=8"));
	bs_maps_free(maps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_set_accessors),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_array_next_key),
		cmocka_unit_test(test_percpu_array),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_odd_keys),
		cmocka_unit_test(test_hash_iteration),
		cmocka_unit_test(test_syscall_permissions),
		cmocka_unit_test(test_syscall_null_pointers),
		cmocka_unit_test(test_prog_errno),
		cmocka_unit_test(test_prog_counter),
		cmocka_unit_test(test_prog_addresses),
		cmocka_unit_test(test_prog_out_of_bounds),
		cmocka_unit_test(test_prog_bad_arguments),
		cmocka_unit_test(test_prog_pointer_lifetime),
		cmocka_unit_test(test_prog_percpu_hash),
		cmocka_unit_test(test_prog_global_data),
		cmocka_unit_test(test_prog_write_only),
		cmocka_unit_test(test_lddw_errors),
		cmocka_unit_test(test_lddw_chain),
		cmocka_unit_test(test_attach_later_maps),
		cmocka_unit_test(test_region_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
