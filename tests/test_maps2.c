// SPDX-License-Identifier: MIT
/* Maps, the second set of types: lru_hash and lru_percpu_hash (bpfstep's
 * exact LRU order), lpm_trie (longest-prefix match, the kernel's
 * post-order iteration) and queue / stack (push, pop, peek), from the
 * syscall side and through the helpers. The kernel's answers for the
 * deterministic parts were checked on Linux 6.18 (tests/maps_kernel.c keeps
 * checking them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

#define NCPUS 3
#define LD_MAP(d, idx) INSN(0x18, d, BS_PSEUDO_MAP_FD, 0, idx), INSN(0, 0, 0, 0, 0)
#define ADD 0x00
#define NPROG(p) (sizeof(p) / sizeof((p)[0]))
#define ERRNO(e) ((uint64_t)(int64_t)-(e))

static struct bs_maps *new_set(void)
{
	struct bs_maps *maps;
	struct bs_error err;
	assert_int_equal(bs_maps_new(&maps, NCPUS, &err), 0);
	return maps;
}

static struct bs_map *mk(struct bs_maps *maps, uint32_t type, uint32_t ks, uint32_t vs,
			 uint32_t max, uint32_t flags)
{
	struct bs_map_def def = {"m", type, ks, vs, max, flags};
	struct bs_map *map = NULL;
	struct bs_error err;
	int rc = bs_maps_create(maps, &def, &map, &err);
	if (rc)
		fprintf(stderr, "create: %d %s\n", rc, err.message);
	assert_int_equal(rc, 0);
	return map;
}

static void test_create(void **state)
{
	(void)state;
	static const struct {
		struct bs_map_def def;
		int rc;
	} rows[] = {
		{{"q", BS_MAP_QUEUE, 0, 4, 1, 0}, 0},
		{{"q", BS_MAP_QUEUE, 4, 4, 1, 0}, -EINVAL},
		{{"q", BS_MAP_STACK, 0, 0, 1, 0}, -EINVAL},
		{{"q", BS_MAP_STACK, 0, 4, 0, 0}, -EINVAL},
		{{"q", BS_MAP_QUEUE, 0, 4, 1, BS_F_NO_PREALLOC}, -EINVAL},
		{{"q", BS_MAP_QUEUE, 0, 4194305, 1, 0}, -E2BIG},
		{{"l", BS_MAP_LPM_TRIE, 8, 8, 4, 0}, -EINVAL},
		{{"l", BS_MAP_LPM_TRIE, 8, 8, 4, BS_F_NO_PREALLOC}, 0},
		{{"l", BS_MAP_LPM_TRIE, 4, 8, 4, BS_F_NO_PREALLOC}, -EINVAL},
		{{"l", BS_MAP_LPM_TRIE, 5, 8, 4, BS_F_NO_PREALLOC}, 0},
		{{"l", BS_MAP_LPM_TRIE, 260, 8, 4, BS_F_NO_PREALLOC}, 0},
		{{"l", BS_MAP_LPM_TRIE, 261, 8, 4, BS_F_NO_PREALLOC}, -EINVAL},
		{{"l", BS_MAP_LPM_TRIE, 8, 4194024, 4, BS_F_NO_PREALLOC}, 0},
		{{"l", BS_MAP_LPM_TRIE, 8, 4194025, 4, BS_F_NO_PREALLOC}, -EINVAL},
		{{"l", BS_MAP_LPM_TRIE, 8, 8, 4, BS_F_NO_PREALLOC | BS_F_ZERO_SEED}, -EINVAL},
		{{"r", BS_MAP_LRU_HASH, 4, 8, 4, 0}, 0},
		{{"r", BS_MAP_LRU_HASH, 4, 8, 4, BS_F_NO_PREALLOC}, -BS_ENOTSUPP},
		{{"r", BS_MAP_LRU_HASH, 4, 8, 4, BS_F_NO_COMMON_LRU}, 0},
		{{"r", BS_MAP_LRU_HASH, 4, 8, 4, BS_F_NO_COMMON_LRU | BS_F_NUMA_NODE}, -EINVAL},
		{{"r", BS_MAP_LRU_PERCPU_HASH, 4, 8, 4, BS_F_NUMA_NODE}, -EINVAL},
		{{"r", BS_MAP_LRU_PERCPU_HASH, 4, 32769, 4, 0}, -E2BIG},
		{{"r", BS_MAP_LRU_HASH, 0, 8, 4, 0}, -EINVAL},
	};
	for (size_t i = 0; i < NPROG(rows); i++) {
		struct bs_maps *maps = new_set();
		struct bs_error err;
		int rc = bs_maps_create(maps, &rows[i].def, NULL, &err);
		if (rc != rows[i].rc)
			fprintf(stderr, "row %zu: %d, want %d (%s)\n", i, rc, rows[i].rc,
				rc ? err.message : "");
		assert_int_equal(rc, rows[i].rc);
		if (rc)
			assert_int_equal(err.kind, BS_ERR_ARG);
		bs_maps_free(maps);
	}
	/* per-CPU LRU lists: max_entries rounded up to a multiple of ncpus */
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, BS_MAP_LRU_HASH, 4, 8, 4, BS_F_NO_COMMON_LRU);
	assert_int_equal(bs_map_def(m)->max_entries, 6);
	assert_string_equal(bs_map_type_name(BS_MAP_LPM_TRIE), "lpm_trie");
	bs_maps_free(maps);
}

static uint32_t pop_u32(struct bs_map *m, int *rc)
{
	uint32_t v = 0xdead;
	*rc = bs_map_lookup_and_delete(m, NULL, &v, 0);
	return v;
}

static void test_queue(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *q = mk(maps, BS_MAP_QUEUE, 0, 4, 3, 0);
	uint32_t v, key = 0;
	int rc;
	assert_int_equal(bs_map_lookup(q, NULL, &v), -ENOENT);
	assert_int_equal(bs_map_lookup_and_delete(q, NULL, &v, 0), -ENOENT);
	for (v = 1; v <= 3; v++)
		assert_int_equal(bs_map_update(q, NULL, &v, BS_ANY), 0);
	assert_int_equal(bs_map_update(q, NULL, &v, BS_ANY), -E2BIG);
	assert_int_equal(bs_map_update(q, NULL, &v, BS_NOEXIST), -EINVAL);
	assert_int_equal(bs_map_update(q, NULL, &v, 3), -EINVAL);
	assert_int_equal(bs_map_update(q, NULL, NULL, BS_F_LOCK), -EINVAL);
	assert_int_equal(bs_map_update(q, NULL, &v, BS_EXIST), 0); /* 1 gives way */
	assert_int_equal(bs_map_update(q, &key, &v, BS_ANY), -EINVAL); /* a key */
	assert_int_equal(bs_map_update(q, NULL, NULL, BS_ANY), -EFAULT);
	assert_int_equal(bs_map_lookup(q, &key, &v), -EINVAL);
	assert_int_equal(bs_map_lookup(q, NULL, NULL), -EFAULT);
	assert_int_equal(bs_map_delete(q, NULL), -EINVAL);
	assert_int_equal(bs_map_delete(q, &key), -EINVAL);
	assert_int_equal(bs_map_next_key(q, NULL, &v), -EINVAL);
	assert_int_equal(bs_map_next_key(q, NULL, NULL), -EINVAL);
	assert_int_equal(bs_map_lookup_and_delete(q, NULL, &v, 1), -EINVAL);
	assert_int_equal(bs_map_lookup(q, NULL, &v), 0);
	assert_int_equal(v, 2); /* peek: the oldest */
	assert_int_equal(pop_u32(q, &rc), 2);
	assert_int_equal(pop_u32(q, &rc), 3);
	assert_int_equal(pop_u32(q, &rc), 4);
	pop_u32(q, &rc);
	assert_int_equal(rc, -ENOENT);

	struct bs_map *s = mk(maps, BS_MAP_STACK, 0, 4, 3, 0);
	for (v = 1; v <= 3; v++)
		assert_int_equal(bs_map_update(s, NULL, &v, BS_ANY), 0);
	assert_int_equal(bs_map_update(s, NULL, &v, BS_ANY), -E2BIG);
	assert_int_equal(bs_map_update(s, NULL, &v, BS_EXIST), 0); /* the bottom 1 goes */
	assert_int_equal(bs_map_lookup(s, NULL, &v), 0);
	assert_int_equal(v, 4); /* peek: the newest */
	assert_int_equal(pop_u32(s, &rc), 4);
	assert_int_equal(pop_u32(s, &rc), 3);
	assert_int_equal(pop_u32(s, &rc), 2);
	assert_int_equal(bs_map_lookup_and_delete(s, NULL, NULL, 0), -ENOENT);
	v = 9;
	assert_int_equal(bs_map_update(s, NULL, &v, BS_ANY), 0);
	assert_int_equal(bs_map_lookup_and_delete(s, NULL, NULL, 0), -EFAULT); /* popped */
	assert_int_equal(bs_map_lookup(s, NULL, &v), -ENOENT);

	struct bs_map *ro = mk(maps, BS_MAP_QUEUE, 0, 4, 3, BS_F_RDONLY);
	assert_int_equal(bs_map_update(ro, NULL, &v, 0), -EPERM);
	assert_int_equal(bs_map_lookup_and_delete(ro, NULL, &v, 0), -EPERM);
	assert_int_equal(bs_map_lookup(ro, NULL, &v), -ENOENT);
	bs_maps_free(maps);
}

/* lookup_and_delete on the key/value types */
static void test_lookup_and_delete(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *h = mk(maps, BS_MAP_HASH, 4, 8, 4, 0);
	struct bs_map *a = mk(maps, BS_MAP_ARRAY, 4, 8, 4, 0);
	struct bs_map *ph = mk(maps, BS_MAP_LRU_PERCPU_HASH, 4, 8, 4, 0);
	uint32_t k = 1;
	uint64_t v = 5, out[NCPUS] = {0}, all[NCPUS] = {7, 8, 9};
	assert_int_equal(bs_map_lookup_and_delete(h, &k, &v, 0), -ENOENT);
	assert_int_equal(bs_map_update(h, &k, &v, 0), 0);
	assert_int_equal(bs_map_lookup_and_delete(h, &k, out, BS_F_LOCK), -EINVAL);
	assert_int_equal(bs_map_lookup_and_delete(h, NULL, out, 0), -EFAULT);
	assert_int_equal(bs_map_lookup_and_delete(h, &k, out, 0), 0);
	assert_int_equal(out[0], 5);
	assert_int_equal(bs_map_lookup(h, &k, out), -ENOENT);
	assert_int_equal(bs_map_lookup_and_delete(a, &k, out, 0), -BS_ENOTSUPP);
	assert_int_equal(bs_map_lookup_and_delete(a, NULL, out, 0), -EFAULT);
	assert_int_equal(bs_map_update(ph, &k, all, 0), 0);
	assert_int_equal(bs_map_lookup_and_delete(ph, &k, out, 0), 0);
	assert_memory_equal(out, all, sizeof(all));
	bs_maps_free(maps);
}

static void pfx(uint8_t key[8], uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memcpy(key, &plen, 4);
	key[4] = a, key[5] = b, key[6] = c, key[7] = d;
}

static void test_lpm(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *t = mk(maps, BS_MAP_LPM_TRIE, 8, 8, 5, BS_F_NO_PREALLOC);
	uint8_t k[8], n[8];
	uint64_t v;
	assert_int_equal(bs_map_next_key(t, NULL, n), -ENOENT);
	/* the example of kernel/bpf/lpm_trie.c */
	const uint8_t in[][5] = {{16, 192, 168, 0, 0}, {24, 192, 168, 0, 0}, {24, 192, 168, 1, 0},
				 {24, 192, 168, 128, 0}};
	for (uint64_t i = 0; i < 4; i++) {
		pfx(k, in[i][0], in[i][1], in[i][2], in[i][3], in[i][4]);
		v = 100 + i;
		assert_int_equal(bs_map_update(t, k, &v, BS_NOEXIST), 0);
	}
	assert_int_equal(bs_map_update(t, k, &v, BS_NOEXIST), -EEXIST);
	/* next_key: post-order, more specific first */
	const uint8_t order[][5] = {{24, 192, 168, 0, 0}, {24, 192, 168, 1, 0},
				    {24, 192, 168, 128, 0}, {16, 192, 168, 0, 0}};
	const void *cur = NULL;
	uint8_t prev[8];
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(bs_map_next_key(t, cur, n), 0);
		pfx(k, order[i][0], order[i][1], order[i][2], order[i][3], order[i][4]);
		assert_memory_equal(n, k, 8);
		memcpy(prev, n, 8);
		cur = prev;
	}
	assert_int_equal(bs_map_next_key(t, cur, n), -ENOENT);
	/* longest prefix match */
	pfx(k, 32, 192, 168, 1, 77);
	assert_int_equal(bs_map_lookup(t, k, &v), 0);
	assert_int_equal(v, 102);
	pfx(k, 32, 192, 168, 2, 1);
	assert_int_equal(bs_map_lookup(t, k, &v), 0);
	assert_int_equal(v, 100);
	pfx(k, 20, 192, 168, 1, 1); /* only 20 bits count: the /16 */
	assert_int_equal(bs_map_lookup(t, k, &v), 0);
	assert_int_equal(v, 100);
	pfx(k, 32, 10, 0, 0, 1);
	assert_int_equal(bs_map_lookup(t, k, &v), -ENOENT);
	pfx(k, 33, 192, 168, 1, 1);
	assert_int_equal(bs_map_lookup(t, k, &v), -ENOENT);
	assert_int_equal(bs_map_update(t, k, &v, 0), -EINVAL);
	assert_int_equal(bs_map_delete(t, k), -EINVAL);
	/* exact match for update and delete */
	pfx(k, 8, 192, 0, 0, 0);
	assert_int_equal(bs_map_delete(t, k), -ENOENT);
	assert_int_equal(bs_map_update(t, k, &v, BS_EXIST), -ENOENT);
	v = 7;
	assert_int_equal(bs_map_update(t, k, &v, 0), 0);
	pfx(k, 9, 10, 0, 0, 0);
	assert_int_equal(bs_map_update(t, k, &v, 0), -ENOSPC); /* 5 entries */
	assert_int_equal(bs_map_update(t, k, &v, 4), -EINVAL);
	pfx(k, 16, 192, 168, 0, 0);
	v = 55;
	assert_int_equal(bs_map_update(t, k, &v, BS_EXIST), 0); /* replacing fits */
	assert_int_equal(bs_map_delete(t, k), 0);
	pfx(k, 32, 192, 168, 2, 1); /* now the /8 */
	assert_int_equal(bs_map_lookup(t, k, &v), 0);
	assert_int_equal(v, 7);
	/* a key that is not there restarts the iteration */
	pfx(k, 16, 192, 168, 0, 0);
	assert_int_equal(bs_map_next_key(t, k, n), 0);
	pfx(k, 24, 192, 168, 0, 0);
	assert_memory_equal(n, k, 8);
	bs_maps_free(maps);
}

static void test_lru(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, BS_MAP_LRU_HASH, 4, 8, 4, 0);
	uint64_t v = 0;
	uint32_t k;
	for (k = 1; k <= 4; k++)
		assert_int_equal(bs_map_update(m, &k, &v, BS_NOEXIST), 0);
	k = 1;
	assert_int_equal(bs_map_lookup(m, &k, &v), 0); /* the syscall does not count */
	k = 5;
	assert_int_equal(bs_map_update(m, &k, &v, BS_ANY), 0); /* 1 goes */
	k = 1;
	assert_int_equal(bs_map_lookup(m, &k, &v), -ENOENT);
	k = 5;
	assert_int_equal(bs_map_delete(m, &k), 0); /* a free element again */
	k = 2;
	v = 22;
	assert_int_equal(bs_map_update(m, &k, &v, BS_EXIST), 0); /* 2 is now the newest */
	k = 6;
	assert_int_equal(bs_map_update(m, &k, &v, BS_ANY), 0); /* fits: 2's old element */
	k = 7;
	assert_int_equal(bs_map_update(m, &k, &v, BS_ANY), 0); /* 3 goes */
	k = 3;
	assert_int_equal(bs_map_lookup(m, &k, &v), -ENOENT);
	k = 2;
	assert_int_equal(bs_map_lookup(m, &k, &v), 0);
	assert_int_equal(v, 22);
	/* full, and the least recent key (4) updated with BPF_EXIST: the
	 * element for the new value is taken first, evicting 4 itself */
	k = 4;
	assert_int_equal(bs_map_update(m, &k, &v, BS_EXIST), -ENOENT);
	assert_int_equal(bs_map_lookup(m, &k, &v), -ENOENT);
	assert_int_equal(bs_map_delete(m, &k), -ENOENT);
	assert_int_equal(bs_map_update(m, &k, &v, 3), -EINVAL);
	/* iteration: insertion order (a replaced key counts as inserted anew) */
	uint32_t n, want[] = {2, 6, 7};
	const uint32_t *cur = NULL;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(bs_map_next_key(m, cur, &n), 0);
		assert_int_equal(n, want[i]);
		cur = &want[i];
	}
	assert_int_equal(bs_map_next_key(m, cur, &n), -ENOENT);

	/* per-CPU LRU lists: max 3 over 3 CPUs, one element each */
	struct bs_map *p = mk(maps, BS_MAP_LRU_PERCPU_HASH, 4, 8, 3, BS_F_NO_COMMON_LRU);
	uint64_t all[NCPUS] = {1, 2, 3};
	k = 1;
	assert_int_equal(bs_map_update(p, &k, all, 0), 0);
	k = 2;
	assert_int_equal(bs_map_update(p, &k, all, 0), 0); /* CPU 0's only one: 1 goes */
	k = 1;
	assert_int_equal(bs_map_lookup(p, &k, all), -ENOENT);
	assert_int_equal(bs_maps_set_cpu(maps, 1), 0);
	assert_int_equal(bs_map_update(p, &k, all, 0), 0); /* CPU 1's element */
	k = 2;
	assert_int_equal(bs_map_lookup(p, &k, all), 0);
	assert_int_equal(all[2], 3);
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- programs */

static int run(struct bs_maps *maps, const struct bs_insn *prog, size_t n, uint64_t *ret,
	       struct bs_error *err)
{
	struct bs_env env;
	struct bs_vm *vm;
	bs_env_default(&env);
	if (bs_vm_new(&vm, err))
		return -1;
	int rc = -1;
	if (!bs_helpers_register_env(vm, &env, err) && !bs_maps_attach(maps, vm, err) &&
	    !bs_vm_load(vm, prog, n, err)) {
		struct bs_run_result res = {0};
		rc = bs_vm_run(vm, NULL, &res, err);
		*ret = res.retval;
	}
	bs_vm_free(vm);
	return rc;
}

static uint64_t run_ok(struct bs_maps *maps, const struct bs_insn *prog, size_t n)
{
	uint64_t ret = 0;
	struct bs_error err;
	if (run(maps, prog, n, &ret, &err)) {
		fprintf(stderr, "run failed: %s\n", err.message);
		fail();
	}
	return ret;
}

/* push(value, flags) / pop / peek on map 0 with a u64 at fp-8; r0: the
 * helper's error, or (when it gave 0) the u64 at fp-8 afterwards */
static uint64_t qop(struct bs_maps *maps, int32_t helper, int32_t value, int32_t flags)
{
	const struct bs_insn p[] = {
		ST(SZ_DW, 10, -8, value),
		LD_MAP(1, 0),
		MOV64_REG(2, 10),
		ALU64_IMM(ADD, 2, -8),
		MOV64_IMM(3, flags),
		CALL_HELPER(helper),
		JMP_IMM(0x50, 0, 0, 1), /* r0 != 0: return it */
		LDX(SZ_DW, 0, 10, -8),
		EXIT(),
	};
	return run_ok(maps, p, NPROG(p));
}

static void test_prog_queue(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *q = mk(maps, BS_MAP_STACK, 0, 8, 2, 0);
	assert_int_equal(qop(maps, 88, 0, 0), ERRNO(ENOENT));
	assert_int_equal(qop(maps, 89, 0, 0), ERRNO(ENOENT));
	assert_int_equal(qop(maps, 87, 10, 0), 10);
	assert_int_equal(qop(maps, 87, 11, 0), 11);
	assert_int_equal(qop(maps, 87, 12, 0), ERRNO(E2BIG));
	assert_int_equal(qop(maps, 87, 12, BS_NOEXIST), ERRNO(EINVAL));
	assert_int_equal(qop(maps, 87, 12, BS_EXIST), 12);
	assert_int_equal(qop(maps, 89, 0, 0), 12);
	assert_int_equal(qop(maps, 88, 0, 0), 12);
	assert_int_equal(qop(maps, 88, 0, 0), 11);
	assert_int_equal(qop(maps, 88, 0, 0), ERRNO(ENOENT));
	uint64_t v;
	assert_int_equal(bs_map_lookup(q, NULL, &v), -ENOENT);

	/* lookup on a stack, push on a hash: refused as the verifier does */
	struct bs_maps *hm = new_set();
	mk(hm, BS_MAP_HASH, 8, 8, 2, 0);
	struct bs_error err;
	uint64_t ret;
	const struct bs_insn push[] = {
		ST(SZ_DW, 10, -8, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -8),
		MOV64_IMM(3, 0), CALL_HELPER(87), EXIT(),
	};
	assert_int_equal(run(hm, push, NPROG(push), &ret, &err), -1);
	assert_non_null(strstr(err.message, "cannot pass map_type 1 into func bpf_map_push_elem"));
	const struct bs_insn lookup[] = {
		ST(SZ_DW, 10, -8, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -8),
		CALL_HELPER(1), EXIT(),
	};
	assert_int_equal(run(maps, lookup, NPROG(lookup), &ret, &err), -1);
	assert_non_null(strstr(err.message, "cannot pass map_type 23"));
	bs_maps_free(hm);
	bs_maps_free(maps);
}

/* A program's lookup makes the element the most recent. */
static void test_prog_lru(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *m = mk(maps, BS_MAP_LRU_HASH, 4, 8, 3, 0);
	uint64_t v = 0;
	uint32_t k;
	for (k = 1; k <= 3; k++)
		assert_int_equal(bs_map_update(m, &k, &v, 0), 0);
	const struct bs_insn look1[] = {
		ST(SZ_W, 10, -4, 1), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1), EXIT(),
	};
	assert_int_not_equal(run_ok(maps, look1, NPROG(look1)), 0);
	k = 4;
	assert_int_equal(bs_map_update(m, &k, &v, 0), 0); /* 2 goes, not 1 */
	k = 1;
	assert_int_equal(bs_map_lookup(m, &k, &v), 0);
	k = 2;
	assert_int_equal(bs_map_lookup(m, &k, &v), -ENOENT);
	bs_maps_free(maps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_lookup_and_delete),
		cmocka_unit_test(test_lpm),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_prog_queue),
		cmocka_unit_test(test_prog_lru),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
