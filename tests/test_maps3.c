// SPDX-License-Identifier: MIT
/* Maps, the third set of types: ringbuf (reserve / submit / discard /
 * output / query, full rings, wrap-around, the records a consumer would
 * see), perf_event_array (bpf_perf_event_output and its slots),
 * prog_array, and maps of maps (array_of_maps, hash_of_maps: inner
 * templates, compatibility, program lookups that give the inner map). The
 * errnos were checked on Linux 6.18; tests/maps3_kernel.c keeps checking
 * them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

#define NCPUS 2
#define LD_MAP(d, idx) INSN(0x18, d, BS_PSEUDO_MAP_FD, 0, idx), INSN(0, 0, 0, 0, 0)
#define ADD 0x00
#define JEQ 0x10
#define NPROG(p) (sizeof(p) / sizeof((p)[0]))
#define ERRNO(e) ((uint64_t)(int64_t)-(e))
#define PAGE 4096u

static struct bs_maps *new_set(void)
{
	struct bs_maps *maps;
	struct bs_error err;
	assert_int_equal(bs_maps_new(&maps, NCPUS, &err), 0);
	return maps;
}

static struct bs_map *mk_inner(struct bs_maps *maps, uint32_t type, uint32_t ks, uint32_t vs,
			       uint32_t max, uint32_t flags, const struct bs_map_def *inner)
{
	struct bs_map_def def = {"m", type, ks, vs, max, flags};
	struct bs_map *map = NULL;
	struct bs_error err;
	int rc = bs_maps_create_with_inner(maps, &def, inner, &map, &err);
	if (rc)
		fprintf(stderr, "create: %d %s\n", rc, err.message);
	assert_int_equal(rc, 0);
	return map;
}

static struct bs_map *mk(struct bs_maps *maps, uint32_t type, uint32_t ks, uint32_t vs,
			 uint32_t max, uint32_t flags)
{
	return mk_inner(maps, type, ks, vs, max, flags, NULL);
}

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

/* The run fails with a helper error whose message contains want. */
static void run_refused(struct bs_maps *maps, const struct bs_insn *prog, size_t n,
			enum bs_err_kind kind, const char *want)
{
	uint64_t ret = 0;
	struct bs_error err;
	assert_int_equal(run(maps, prog, n, &ret, &err), -1);
	if (err.kind != kind || !strstr(err.message, want))
		fprintf(stderr, "got kind %d: %s\nwant: %s\n", err.kind, err.message, want);
	assert_int_equal(err.kind, kind);
	assert_non_null(strstr(err.message, want));
}

/* ---------------------------------------------------------------- creation */

static void test_create(void **state)
{
	(void)state;
	static const struct bs_map_def arr4 = {"in", BS_MAP_ARRAY, 4, 4, 4, 0};
	static const struct bs_map_def prog = {"in", BS_MAP_PROG_ARRAY, 4, 4, 4, 0};
	static const struct bs_map_def outer = {"in", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0};
	static const struct bs_map_def bad = {"in", BS_MAP_ARRAY, 8, 4, 4, 0};
	static const struct bs_map_def rb = {"in", BS_MAP_RINGBUF, 0, 0, PAGE, 0};
	static const struct {
		struct bs_map_def def;
		const struct bs_map_def *inner;
		int rc;
	} rows[] = {
		{{"r", BS_MAP_RINGBUF, 0, 0, PAGE, 0}, NULL, 0},
		{{"r", BS_MAP_RINGBUF, 0, 0, 2 * PAGE, BS_F_NUMA_NODE}, NULL, 0},
		{{"r", BS_MAP_RINGBUF, 0, 0, 3 * PAGE, 0}, NULL, -EINVAL},
		{{"r", BS_MAP_RINGBUF, 0, 0, PAGE / 2, 0}, NULL, -EINVAL},
		{{"r", BS_MAP_RINGBUF, 0, 0, 0, 0}, NULL, -EINVAL},
		{{"r", BS_MAP_RINGBUF, 4, 0, PAGE, 0}, NULL, -EINVAL},
		{{"r", BS_MAP_RINGBUF, 0, 4, PAGE, 0}, NULL, -EINVAL},
		{{"r", BS_MAP_RINGBUF, 0, 0, PAGE, BS_F_RDONLY}, NULL, -EINVAL},
		{{"p", BS_MAP_PERF_EVENT_ARRAY, 4, 4, 2, 0}, NULL, 0},
		{{"p", BS_MAP_PERF_EVENT_ARRAY, 4, 4, 2, BS_F_PRESERVE_ELEMS}, NULL, 0},
		{{"p", BS_MAP_PERF_EVENT_ARRAY, 4, 4, 0, 0}, NULL, -EINVAL},
		{{"p", BS_MAP_PERF_EVENT_ARRAY, 4, 8, 2, 0}, NULL, -EINVAL},
		{{"p", BS_MAP_PERF_EVENT_ARRAY, 8, 4, 2, 0}, NULL, -EINVAL},
		{{"p", BS_MAP_PERF_EVENT_ARRAY, 4, 4, 2, BS_F_RDONLY_PROG}, NULL, -EINVAL},
		{{"p", BS_MAP_PERF_EVENT_ARRAY, 4, 4, 2, BS_F_MMAPABLE}, NULL, -EINVAL},
		{{"g", BS_MAP_PROG_ARRAY, 4, 4, 4, 0}, NULL, 0},
		{{"g", BS_MAP_PROG_ARRAY, 4, 4, 4, BS_F_WRONLY}, NULL, 0},
		{{"g", BS_MAP_PROG_ARRAY, 4, 4, 4, BS_F_PRESERVE_ELEMS}, NULL, -EINVAL},
		{{"g", BS_MAP_PROG_ARRAY, 4, 4, 4, BS_F_WRONLY_PROG}, NULL, -EINVAL},
		{{"g", BS_MAP_PROG_ARRAY, 4, 8, 4, 0}, NULL, -EINVAL},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0}, &arr4, 0},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0}, &rb, 0},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0}, NULL, -EBADF},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 0, 0}, NULL, -EINVAL},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 8, 4, 0}, &arr4, -EINVAL},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, BS_F_RDONLY_PROG}, &arr4, -EINVAL},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, BS_F_INNER_MAP}, &arr4, -EINVAL},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0}, &prog, -BS_ENOTSUPP},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0}, &outer, -EINVAL},
		{{"a", BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0}, &bad, -EBADF},
		{{"h", BS_MAP_HASH_OF_MAPS, 4, 4, 4, 0}, &arr4, 0},
		{{"h", BS_MAP_HASH_OF_MAPS, 4, 4, 4, BS_F_RDONLY_PROG | BS_F_NO_PREALLOC}, &arr4, 0},
		{{"h", BS_MAP_HASH_OF_MAPS, 4, 4, 4, 0}, NULL, -EBADF},
		{{"h", BS_MAP_HASH_OF_MAPS, 4, 8, 4, 0}, &arr4, -EINVAL},
		{{"h", BS_MAP_HASH_OF_MAPS, 0, 4, 4, 0}, &arr4, -EINVAL},
		{{"h", BS_MAP_HASH_OF_MAPS, 4, 4, 4, 0}, &prog, -BS_ENOTSUPP},
	};
	for (size_t i = 0; i < NPROG(rows); i++) {
		struct bs_maps *maps = new_set();
		struct bs_error err;
		struct bs_map *m = NULL;
		int rc = bs_maps_create_with_inner(maps, &rows[i].def, rows[i].inner, &m, &err);
		if (rc != rows[i].rc)
			fprintf(stderr, "row %zu: %d, want %d (%s)\n", i, rc, rows[i].rc,
				rc ? err.message : "");
		assert_int_equal(rc, rows[i].rc);
		if (rc) {
			assert_int_equal(err.kind, BS_ERR_ARG);
			assert_non_null(strstr(err.message, rows[i].def.name));
		} else if (rows[i].def.type == BS_MAP_ARRAY_OF_MAPS ||
			   rows[i].def.type == BS_MAP_HASH_OF_MAPS) {
			/* the map keeps its own copy of the template */
			const struct bs_map_def *in = bs_map_inner_def(m);
			assert_non_null(in);
			assert_ptr_not_equal(in, rows[i].inner);
			assert_int_equal(in->type, rows[i].inner->type);
			assert_string_equal(in->name, "in");
		} else {
			assert_null(bs_map_inner_def(m));
		}
		bs_maps_free(maps);
	}
}

/* ---------------------------------------------------------------- ringbuf */

static void test_ringbuf_syscall(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *rb = mk(maps, BS_MAP_RINGBUF, 0, 0, PAGE, 0);
	uint32_t k = 0, v = 0;
	assert_int_equal(bs_map_lookup(rb, NULL, &v), -BS_ENOTSUPP);
	assert_int_equal(bs_map_lookup(rb, &k, &v), -EINVAL);
	assert_int_equal(bs_map_update(rb, NULL, &v, 0), -BS_ENOTSUPP);
	assert_int_equal(bs_map_delete(rb, NULL), -BS_ENOTSUPP);
	assert_int_equal(bs_map_next_key(rb, NULL, &v), -BS_ENOTSUPP);
	assert_int_equal(bs_map_lookup_and_delete(rb, NULL, &v, 0), -BS_ENOTSUPP);
	assert_int_equal(bs_map_record_count(rb), 0);
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(rb, 0, &rec), -ENOENT);
	/* maps without records */
	struct bs_map *arr = mk(maps, BS_MAP_ARRAY, 4, 4, 1, 0);
	assert_int_equal(bs_map_record_count(arr), 0);
	assert_int_equal(bs_map_record_get(arr, 0, &rec), -ENOENT);
	bs_map_records_clear(arr);
	bs_maps_free(maps);
}

/* reserve size bytes (flags rflags), fill them with byte, then submit
 * (discard: discard); r0 = 1, or 0 when reserve gave NULL */
static uint64_t reserve_fill(struct bs_maps *maps, uint32_t size, uint8_t byte, bool discard,
			     int32_t rflags)
{
	const struct bs_insn p[] = {
		LD_MAP(1, 0), MOV64_IMM(2, (int32_t)size), MOV64_IMM(3, rflags), CALL_HELPER(131),
		JMP_IMM(0x50 /* JNE */, 0, 0, 2), MOV64_IMM(0, 0), EXIT(),
		MOV64_REG(6, 0), MOV64_IMM(7, 0),
		/* loop: if r7 >= size goto out; *(u8 *)(r6 + r7) = byte; r7++ */
		JMP_IMM(0x30 /* JGE */, 7, (int32_t)size, 5), MOV64_REG(8, 6), ALU64_REG(ADD, 8, 7),
		ST(SZ_B, 8, 0, byte), ALU64_IMM(ADD, 7, 1), INSN(0x05, 0, 0, -6, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL_HELPER(discard ? 133 : 132),
		MOV64_IMM(0, 1), EXIT(),
	};
	return run_ok(maps, p, NPROG(p));
}

/* bpf_ringbuf_output of size bytes from the stack, filled with byte */
static uint64_t output(struct bs_maps *maps, uint32_t size, uint8_t byte, int64_t flags)
{
	struct bs_insn p[600];
	size_t n = 0;
	for (uint32_t i = 0; i < size; i++)
		p[n++] = (struct bs_insn)ST(SZ_B, 10, (int16_t)(-512 + (int)i), byte);
	struct bs_insn tail[] = {
		LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -512), MOV64_IMM(3, (int32_t)size),
		LD_IMM64_LO(4, flags), LD_IMM64_HI(flags), CALL_HELPER(130), EXIT(),
	};
	memcpy(p + n, tail, sizeof(tail));
	return run_ok(maps, p, n + NPROG(tail));
}

static uint64_t query(struct bs_maps *maps, int32_t what)
{
	const struct bs_insn p[] = {LD_MAP(1, 0), MOV64_IMM(2, what), CALL_HELPER(134), EXIT()};
	return run_ok(maps, p, NPROG(p));
}

static void check_record(struct bs_map *rb, size_t i, size_t size, uint8_t byte)
{
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(rb, i, &rec), 0);
	assert_int_equal(rec.size, size);
	assert_int_equal(rec.cpu, 0);
	for (size_t k = 0; k < size; k++)
		assert_int_equal(((const uint8_t *)rec.data)[k], byte);
}

static void test_ringbuf_records(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *rb = mk(maps, BS_MAP_RINGBUF, 0, 0, PAGE, 0);
	assert_int_equal(query(maps, 1), PAGE);  /* BPF_RB_RING_SIZE */
	assert_int_equal(reserve_fill(maps, 5, 0xa1, false, 0), 1);
	assert_int_equal(output(maps, 12, 0xb2, 0), 0);
	assert_int_equal(reserve_fill(maps, 16, 0xc3, true, 0), 1);   /* discarded */
	assert_int_equal(output(maps, 0, 0, 1 /* BPF_RB_NO_WAKEUP */), 0);
	assert_int_equal(output(maps, 3, 0xd4, 2 /* BPF_RB_FORCE_WAKEUP */), 0);
	/* headers of 8 bytes, sizes rounded up to 8: 16 + 24 + 24 + 8 + 16 */
	assert_int_equal(query(maps, 3), 88);    /* BPF_RB_PROD_POS */
	assert_int_equal(query(maps, 0), 88);    /* BPF_RB_AVAIL_DATA */
	assert_int_equal(query(maps, 2), 0);     /* BPF_RB_CONS_POS */
	assert_int_equal(query(maps, 4), 0);     /* unknown: 0 */
	assert_int_equal(bs_map_record_count(rb), 4);
	check_record(rb, 0, 5, 0xa1);
	check_record(rb, 1, 12, 0xb2);
	check_record(rb, 2, 0, 0);
	check_record(rb, 3, 3, 0xd4);
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(rb, 4, &rec), -ENOENT);
	/* flags: reserve with any gives NULL, output with unknown ones -EINVAL */
	assert_int_equal(reserve_fill(maps, 8, 1, false, 1), 0);
	assert_int_equal(output(maps, 8, 1, 4), ERRNO(EINVAL));
	assert_int_equal(query(maps, 3), 88);
	bs_map_records_clear(rb);
	assert_int_equal(bs_map_record_count(rb), 0);
	assert_int_equal(query(maps, 2), 88);
	assert_int_equal(query(maps, 0), 0);
	bs_maps_free(maps);
}

static void test_ringbuf_full_and_wrap(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *rb = mk(maps, BS_MAP_RINGBUF, 0, 0, PAGE, 0);
	/* a record as large as the ring never fits (len > size) */
	assert_int_equal(reserve_fill(maps, PAGE - 8, 1, false, 0), 0);
	assert_int_equal(output(maps, 1, 1, 0), 0);  /* 16 bytes */
	bs_map_records_clear(rb);
	/* at most size - 1 bytes in use: from 16, 4080 more reach 4096 */
	assert_int_equal(reserve_fill(maps, PAGE - 24, 0x11, false, 0), 1);
	assert_int_equal(query(maps, 0), PAGE - 16);
	assert_int_equal(output(maps, 1, 1, 0), ERRNO(EAGAIN));   /* full */
	assert_int_equal(reserve_fill(maps, 1, 1, false, 0), 0);
	bs_map_records_clear(rb);
	assert_int_equal(query(maps, 0), 0);
	assert_int_equal(query(maps, 3), PAGE);
	assert_int_equal(output(maps, 64, 0x22, 0), 0);         /* at 0 .. 72 */
	bs_map_records_clear(rb);
	assert_int_equal(reserve_fill(maps, PAGE - 200, 0x33, true, 0), 1);
	bs_map_records_clear(rb);
	/* the producer is at 4096 + 72 + 3904 = 8072, offset 3976: the next
	 * record (200 bytes with its header) wraps 80 bytes past the end */
	assert_int_equal(query(maps, 3), 8072);
	assert_int_equal(reserve_fill(maps, 192, 0x44, false, 0), 1);
	assert_int_equal(bs_map_record_count(rb), 1);
	check_record(rb, 0, 192, 0x44);
	/* contiguous for the program and the reader, and the wrapped part is at
	 * the start of the ring too (the data area is mapped twice) */
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(rb, 0, &rec), 0);
	const uint8_t *ring = (const uint8_t *)rec.data - 3984;
	for (size_t i = 0; i < 80; i++)
		assert_int_equal(ring[i], 0x44);
	assert_int_equal(ring[80], 0x33);  /* the discarded record's data, untouched */
	assert_int_equal(output(maps, 8, 0x55, 0), 0);
	assert_int_equal(bs_map_record_count(rb), 2);
	check_record(rb, 1, 8, 0x55);
	check_record(rb, 0, 192, 0x44);
	bs_maps_free(maps);
}

/* reserve two, submit the second first: a consumer stops at the busy one */
static void test_ringbuf_order(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *rb = mk(maps, BS_MAP_RINGBUF, 0, 0, PAGE, 0);
	const struct bs_insn two[] = {
		LD_MAP(1, 0), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131), MOV64_REG(6, 0),
		LD_MAP(1, 0), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131), MOV64_REG(7, 0),
		ST(SZ_DW, 6, 0, 1), ST(SZ_DW, 7, 0, 2),
		MOV64_REG(1, 7), MOV64_IMM(2, 0), CALL_HELPER(132),
		LD_MAP(1, 0), MOV64_IMM(2, 0), CALL_HELPER(134), MOV64_REG(8, 0),  /* avail */
		MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL_HELPER(132),
		MOV64_REG(0, 8), EXIT(),
	};
	assert_int_equal(run_ok(maps, two, NPROG(two)), 32);
	assert_int_equal(bs_map_record_count(rb), 2);
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(rb, 0, &rec), 0);
	assert_int_equal(*(const uint64_t *)rec.data, 1);
	assert_int_equal(bs_map_record_get(rb, 1, &rec), 0);
	assert_int_equal(*(const uint64_t *)rec.data, 2);

	/* a record left reserved blocks what comes after it */
	const struct bs_insn leak[] = {
		LD_MAP(1, 0), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131), MOV64_IMM(0, 0),
		EXIT(),
	};
	run_ok(maps, leak, NPROG(leak));
	assert_int_equal(output(maps, 8, 7, 0), 0);
	assert_int_equal(bs_map_record_count(rb), 2);
	bs_map_records_clear(rb);
	assert_int_equal(bs_map_record_count(rb), 0);
	assert_int_equal(query(maps, 0), 32);  /* the busy one and the one after */
	bs_maps_free(maps);
}

static void test_ringbuf_refused(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	mk(maps, BS_MAP_RINGBUF, 0, 0, PAGE, 0);
	mk(maps, BS_MAP_ARRAY, 4, 8, 1, 0);
	/* submit of something reserve did not give */
	const struct bs_insn bad_submit[] = {
		MOV64_REG(1, 10), ALU64_IMM(ADD, 1, -8), MOV64_IMM(2, 0), CALL_HELPER(132), EXIT(),
	};
	run_refused(maps, bad_submit, NPROG(bad_submit), BS_ERR_HELPER,
		    "is not a record from bpf_ringbuf_reserve");
	/* twice the same record; and a pointer into the middle of one */
	const struct bs_insn twice[] = {
		LD_MAP(1, 0), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL_HELPER(131), MOV64_REG(6, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL_HELPER(133),
		MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL_HELPER(132), EXIT(),
	};
	run_refused(maps, twice, NPROG(twice), BS_ERR_HELPER, "bpf_ringbuf_submit");
	const struct bs_insn middle[] = {
		LD_MAP(1, 0), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL_HELPER(131),
		MOV64_REG(1, 0), ALU64_IMM(ADD, 1, 8), MOV64_IMM(2, 0), CALL_HELPER(132), EXIT(),
	};
	run_refused(maps, middle, NPROG(middle), BS_ERR_HELPER, "still reserved");
	/* the verifier's map/func compatibility, both ways */
	const struct bs_insn lookup[] = {
		ST(SZ_W, 10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1), EXIT(),
	};
	run_refused(maps, lookup, NPROG(lookup), BS_ERR_HELPER,
		    "cannot pass map_type 27 into func bpf_map_lookup_elem#1");
	const struct bs_insn on_array[] = {
		LD_MAP(1, 1), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131), EXIT(),
	};
	run_refused(maps, on_array, NPROG(on_array), BS_ERR_HELPER,
		    "cannot pass map_type 2 into func bpf_ringbuf_reserve#131");
	const struct bs_insn query_array[] = {
		LD_MAP(1, 1), MOV64_IMM(2, 0), CALL_HELPER(134), EXIT(),
	};
	run_refused(maps, query_array, NPROG(query_array), BS_ERR_HELPER, "map_type 2");
	/* output reads its data through the sandbox */
	const struct bs_insn bad_data[] = {
		LD_MAP(1, 0), MOV64_IMM(2, 0x100), MOV64_IMM(3, 8), MOV64_IMM(4, 0), CALL_HELPER(130),
		EXIT(),
	};
	run_refused(maps, bad_data, NPROG(bad_data), BS_ERR_MEMORY, "bpf_ringbuf_output: R2");
	bs_maps_free(maps);
}

/* A program can write over a record's header (the kernel's verifier would
 * not let it): the ring's bookkeeping must not believe what it finds there. */
static void test_ringbuf_header_overwritten(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *rb = mk(maps, BS_MAP_RINGBUF, 0, 0, PAGE, 0);
	/* before the submit: a length of ~3 GiB in the header */
	const struct bs_insn before[] = {
		LD_MAP(1, 0), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131),
		JMP_IMM(0x50 /* JNE */, 0, 0, 2), MOV64_IMM(0, 0), EXIT(),
		MOV64_REG(6, 0), ST(SZ_W, 6, -8, (int32_t)0xbfff0000), ST(SZ_DW, 6, 0, 0x11),
		MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL_HELPER(132), MOV64_IMM(0, 1), EXIT(),
	};
	assert_int_equal(run_ok(maps, before, NPROG(before)), 1);
	/* after the submit: 64 KiB in the header of a record already committed */
	const struct bs_insn after[] = {
		LD_MAP(1, 0), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131),
		JMP_IMM(0x50 /* JNE */, 0, 0, 2), MOV64_IMM(0, 0), EXIT(),
		MOV64_REG(6, 0), ST(SZ_DW, 6, 0, 0x22), MOV64_REG(1, 6), MOV64_IMM(2, 0),
		CALL_HELPER(132), ST(SZ_W, 6, -8, 0x10000), MOV64_IMM(0, 1), EXIT(),
	};
	assert_int_equal(run_ok(maps, after, NPROG(after)), 1);
	assert_int_equal(bs_map_record_count(rb), 2);
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(rb, 0, &rec), 0);
	assert_int_equal(rec.size, 8);
	assert_int_equal(bs_map_record_get(rb, 1, &rec), 0);
	assert_int_equal(rec.size, 8);
	assert_int_equal(((const uint8_t *)rec.data)[0], 0x22);
	/* and the ring goes on: a consumer frees both */
	bs_map_records_clear(rb);
	assert_int_equal(bs_map_record_count(rb), 0);
	assert_int_equal(reserve_fill(maps, 5, 0xa1, false, 0), 1);
	check_record(rb, 0, 5, 0xa1);
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- perf */

/* bpf_perf_event_output(ctx, map 0, flags, fp-16, size) with 16 bytes of
 * 0x77 on the stack */
static uint64_t perf_out(struct bs_maps *maps, int64_t flags, uint32_t size)
{
	const struct bs_insn p[] = {
		ST(SZ_DW, 10, -16, 0x77777777), ST(SZ_DW, 10, -8, 0x77777777), LD_MAP(2, 0),
		LD_IMM64_LO(3, flags), LD_IMM64_HI(flags), MOV64_REG(4, 10), ALU64_IMM(ADD, 4, -16),
		MOV64_IMM(5, (int32_t)size), CALL_HELPER(25), EXIT(),
	};
	return run_ok(maps, p, NPROG(p));
}

static void test_perf(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *pe = mk(maps, BS_MAP_PERF_EVENT_ARRAY, 4, 4, 4, 0);
	const int64_t cur = 0xffffffffLL;
	assert_int_equal(perf_out(maps, cur, 16), 0);
	assert_int_equal(perf_out(maps, 0, 5), 0);
	assert_int_equal(perf_out(maps, 1, 8), ERRNO(EOPNOTSUPP));   /* CPU 1's event */
	assert_int_equal(perf_out(maps, 2, 8), ERRNO(ENOENT));       /* >= ncpus: none */
	assert_int_equal(perf_out(maps, 4, 8), ERRNO(E2BIG));
	assert_int_equal(perf_out(maps, 1LL << 52, 8), ERRNO(EINVAL));
	assert_int_equal(bs_maps_set_cpu(maps, 1), 0);
	assert_int_equal(perf_out(maps, cur, 4), 0);
	assert_int_equal(perf_out(maps, 0, 4), ERRNO(EOPNOTSUPP));
	assert_int_equal(bs_map_record_count(pe), 3);
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(pe, 0, &rec), 0);
	assert_int_equal(rec.size, 16);
	assert_int_equal(rec.cpu, 0);
	assert_int_equal(((const uint8_t *)rec.data)[11], 0x77);
	assert_int_equal(((const uint8_t *)rec.data)[12], 0);  /* imm sign-extended */
	assert_int_equal(bs_map_record_get(pe, 1, &rec), 0);
	assert_int_equal(rec.size, 5);
	assert_int_equal(bs_map_record_get(pe, 2, &rec), 0);
	assert_int_equal(rec.cpu, 1);
	assert_int_equal(bs_map_record_get(pe, 3, &rec), -ENOENT);
	bs_map_records_clear(pe);
	assert_int_equal(bs_map_record_count(pe), 0);

	/* the syscall side: slots hold the CPU of their event */
	uint32_t k = 1, v = 0;
	assert_int_equal(bs_map_lookup(pe, &k, &v), -BS_ENOTSUPP);
	assert_int_equal(bs_map_delete(pe, &k), 0);
	assert_int_equal(bs_map_delete(pe, &k), -ENOENT);
	assert_int_equal(perf_out(maps, cur, 4), ERRNO(ENOENT));
	v = NCPUS;
	assert_int_equal(bs_map_update(pe, &k, &v, 0), -EBADF);
	v = 1;
	assert_int_equal(bs_map_update(pe, &k, &v, 1), -EINVAL);
	k = 9;
	assert_int_equal(bs_map_update(pe, &k, &v, 0), -E2BIG);
	assert_int_equal(bs_map_delete(pe, &k), -E2BIG);
	k = 3;  /* index 3 with CPU 1's event */
	assert_int_equal(bs_map_update(pe, &k, &v, 0), 0);
	assert_int_equal(perf_out(maps, 3, 4), 0);
	assert_int_equal(bs_map_record_get(pe, 0, &rec), 0);
	assert_int_equal(rec.cpu, 3);
	assert_int_equal(bs_map_next_key(pe, NULL, &v), 0);
	assert_int_equal(v, 0);

	/* ctx bytes are not copied: a clear refusal */
	const struct bs_insn ctxlen[] = {
		LD_MAP(2, 0), LD_IMM64_LO(3, 0x1000ffffffffLL), LD_IMM64_HI(0x1000ffffffffLL),
		MOV64_REG(4, 10), ALU64_IMM(ADD, 4, -8), MOV64_IMM(5, 0), CALL_HELPER(25), EXIT(),
	};
	run_refused(maps, ctxlen, NPROG(ctxlen), BS_ERR_UNSUPPORTED, "BPF_F_CTXLEN_MASK");
	const struct bs_insn lookup[] = {
		ST(SZ_W, 10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1), EXIT(),
	};
	run_refused(maps, lookup, NPROG(lookup), BS_ERR_HELPER, "cannot pass map_type 4 into func");
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- prog_array */

static void test_prog_array(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	struct bs_map *pa = mk(maps, BS_MAP_PROG_ARRAY, 4, 4, 3, 0);
	uint32_t k = 0, v = 0, next;
	assert_int_equal(bs_map_lookup(pa, &k, &v), -ENOENT);
	assert_int_equal(bs_map_delete(pa, &k), -ENOENT);
	v = 7;
	assert_int_equal(bs_map_update(pa, &k, &v, 0), 0);
	v = 0;
	assert_int_equal(bs_map_lookup(pa, &k, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(bs_map_update(pa, &k, &v, BS_NOEXIST), -EINVAL);
	assert_int_equal(bs_map_update(pa, &k, &v, BS_EXIST), -EINVAL);
	k = 3;
	assert_int_equal(bs_map_update(pa, &k, &v, 0), -E2BIG);
	assert_int_equal(bs_map_lookup(pa, &k, &v), -ENOENT);
	assert_int_equal(bs_map_delete(pa, &k), -E2BIG);
	assert_int_equal(bs_map_next_key(pa, &k, &next), 0);
	assert_int_equal(next, 0);
	k = 2;
	assert_int_equal(bs_map_next_key(pa, &k, &next), -ENOENT);
	assert_int_equal(bs_map_lookup_and_delete(pa, &k, &v, 0), -BS_ENOTSUPP);
	k = 0;
	assert_int_equal(bs_map_delete(pa, &k), 0);
	assert_int_equal(bs_map_lookup(pa, &k, &v), -ENOENT);
	/* programs only tail-call through it */
	const struct bs_insn lookup[] = {
		ST(SZ_W, 10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(1), EXIT(),
	};
	run_refused(maps, lookup, NPROG(lookup), BS_ERR_HELPER,
		    "cannot pass map_type 3 into func bpf_map_lookup_elem#1");
	const struct bs_insn update[] = {
		ST(SZ_W, 10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		MOV64_REG(3, 2), MOV64_IMM(4, 0), CALL_HELPER(2), EXIT(),
	};
	run_refused(maps, update, NPROG(update), BS_ERR_HELPER, "map_type 3 into func");
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- map in map */

static void test_map_in_map_syscall(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	const struct bs_map_def tmpl = {"t", BS_MAP_ARRAY, 4, 8, 4, 0};
	const struct bs_map_def tmpl_any = {"t", BS_MAP_ARRAY, 4, 8, 1, BS_F_INNER_MAP};
	const struct bs_map_def htmpl = {"t", BS_MAP_HASH, 4, 8, 4, 0};
	struct bs_map *aom = mk_inner(maps, BS_MAP_ARRAY_OF_MAPS, 4, 4, 3, 0, &tmpl);   /* 0 */
	struct bs_map *aom2 = mk_inner(maps, BS_MAP_ARRAY_OF_MAPS, 4, 4, 3, 0, &tmpl_any); /* 1 */
	struct bs_map *hom = mk_inner(maps, BS_MAP_HASH_OF_MAPS, 4, 4, 2, 0, &htmpl);  /* 2 */
	mk(maps, BS_MAP_ARRAY, 4, 8, 4, 0);                     /* 3: fits tmpl */
	mk(maps, BS_MAP_ARRAY, 4, 8, 5, 0);                     /* 4: other max_entries */
	mk(maps, BS_MAP_ARRAY, 4, 8, 5, BS_F_INNER_MAP);        /* 5: fits tmpl_any */
	mk(maps, BS_MAP_HASH, 4, 8, 100, 0);                    /* 6: fits htmpl */
	mk(maps, BS_MAP_HASH, 4, 8, 4, BS_F_NO_PREALLOC);       /* 7: other flags */
	mk(maps, BS_MAP_HASH, 4, 4, 4, 0);                      /* 8: other value_size */
	uint32_t k = 0, v;
	struct { struct bs_map *m; uint32_t inner; int rc; } rows[] = {
		{aom, 3, 0}, {aom, 4, -EINVAL}, {aom, 5, -EINVAL}, {aom, 6, -EINVAL},
		{aom, 9, -EBADF}, {aom, 0, -EINVAL},
		{aom2, 5, 0}, {aom2, 3, -EINVAL},
		{hom, 6, 0}, {hom, 7, -EINVAL}, {hom, 8, -EINVAL}, {hom, 2, -EINVAL},
		{hom, 99, -EBADF},
	};
	for (size_t i = 0; i < NPROG(rows); i++) {
		int rc = bs_map_update(rows[i].m, &k, &rows[i].inner, 0);
		if (rc != rows[i].rc)
			fprintf(stderr, "row %zu: %d, want %d\n", i, rc, rows[i].rc);
		assert_int_equal(rc, rows[i].rc);
	}
	/* the value given back is the inner map's index in the set */
	assert_int_equal(bs_map_lookup(aom, &k, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(bs_map_lookup(hom, &k, &v), 0);
	assert_int_equal(v, 6);
	v = 3;
	assert_int_equal(bs_map_update(aom, &k, &v, BS_NOEXIST), -EINVAL);
	k = 3;
	assert_int_equal(bs_map_update(aom, &k, &v, 0), -E2BIG);
	assert_int_equal(bs_map_delete(aom, &k), -E2BIG);
	assert_int_equal(bs_map_lookup(aom, &k, &v), -ENOENT);
	k = 1;
	assert_int_equal(bs_map_delete(aom, &k), -ENOENT);
	/* hash_of_maps: the map is checked before the flags */
	v = 99;
	assert_int_equal(bs_map_update(hom, &k, &v, 9), -EBADF);
	v = 7;
	assert_int_equal(bs_map_update(hom, &k, &v, 9), -EINVAL);
	v = 6;
	assert_int_equal(bs_map_update(hom, &k, &v, BS_EXIST), -ENOENT);
	assert_int_equal(bs_map_update(hom, &k, &v, BS_NOEXIST), 0);
	assert_int_equal(bs_map_update(hom, &k, &v, BS_NOEXIST), -EEXIST);
	k = 2;
	assert_int_equal(bs_map_update(hom, &k, &v, 0), -E2BIG);  /* 2 entries */
	assert_int_equal(bs_map_lookup_and_delete(hom, &k, &v, 0), -BS_ENOTSUPP);
	k = 1;
	assert_int_equal(bs_map_delete(hom, &k), 0);
	assert_int_equal(bs_map_delete(hom, &k), -ENOENT);
	bs_maps_free(maps);
}

static void test_map_in_map_prog(void **state)
{
	(void)state;
	struct bs_maps *maps = new_set();
	const struct bs_map_def tmpl = {"t", BS_MAP_ARRAY, 4, 8, 2, 0};
	struct bs_map *aom = mk_inner(maps, BS_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0, &tmpl);   /* 0 */
	struct bs_map *hom = mk_inner(maps, BS_MAP_HASH_OF_MAPS, 4, 4, 4, 0, &tmpl);    /* 1 */
	struct bs_map *a = mk(maps, BS_MAP_ARRAY, 4, 8, 2, 0);                          /* 2 */
	struct bs_map *b = mk(maps, BS_MAP_ARRAY, 4, 8, 2, 0);                          /* 3 */
	uint32_t k = 1, v = 2;
	uint64_t val = 1000;
	assert_int_equal(bs_map_update(aom, &k, &v, 0), 0);
	k = 7, v = 3;
	assert_int_equal(bs_map_update(hom, &k, &v, 0), 0);
	k = 1;
	assert_int_equal(bs_map_update(a, &k, &val, 0), 0);
	val = 2000;
	assert_int_equal(bs_map_update(b, &k, &val, 0), 0);
	/* r0 = outer[key] ? inner[1] + 1 : 0, the inner element bumped by 5 */
#define OUTER_PROG(outer, key)                                                        \
	{                                                                             \
		ST(SZ_W, 10, -4, key), LD_MAP(1, outer), MOV64_REG(2, 10),            \
		ALU64_IMM(ADD, 2, -4), CALL_HELPER(1), JMP_IMM(0x50, 0, 0, 1), EXIT(), \
		ST(SZ_W, 10, -8, 1), MOV64_REG(1, 0), MOV64_REG(2, 10),               \
		ALU64_IMM(ADD, 2, -8), CALL_HELPER(1), JMP_IMM(0x50, 0, 0, 2),        \
		MOV64_IMM(0, -1), EXIT(), LDX(SZ_DW, 1, 0, 0), ALU64_IMM(ADD, 1, 5),  \
		STX(SZ_DW, 0, 1, 0), MOV64_REG(0, 1), EXIT(),                         \
	}
	const struct bs_insn via_aom[] = OUTER_PROG(0, 1);
	const struct bs_insn via_hom[] = OUTER_PROG(1, 7);
	const struct bs_insn empty[] = OUTER_PROG(0, 2);
	const struct bs_insn out_of_range[] = OUTER_PROG(0, 4);
	const struct bs_insn absent[] = OUTER_PROG(1, 8);
	assert_int_equal(run_ok(maps, via_aom, NPROG(via_aom)), 1005);
	assert_int_equal(run_ok(maps, via_hom, NPROG(via_hom)), 2005);
	assert_int_equal(run_ok(maps, empty, NPROG(empty)), 0);
	assert_int_equal(run_ok(maps, out_of_range, NPROG(out_of_range)), 0);
	assert_int_equal(run_ok(maps, absent, NPROG(absent)), 0);
	assert_int_equal(bs_map_lookup(a, &k, &val), 0);
	assert_int_equal(val, 1005);
	/* swap the inner map from the syscall side: the program follows */
	k = 1, v = 3;
	assert_int_equal(bs_map_update(aom, &k, &v, 0), 0);
	assert_int_equal(run_ok(maps, via_aom, NPROG(via_aom)), 2010);
	/* programs only look outer maps up */
	const struct bs_insn update[] = {
		ST(SZ_W, 10, -4, 0), LD_MAP(1, 0), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		MOV64_REG(3, 2), MOV64_IMM(4, 0), CALL_HELPER(2), EXIT(),
	};
	run_refused(maps, update, NPROG(update), BS_ERR_HELPER,
		    "cannot pass map_type 12 into func bpf_map_update_elem#2");
	const struct bs_insn del[] = {
		ST(SZ_W, 10, -4, 0), LD_MAP(1, 1), MOV64_REG(2, 10), ALU64_IMM(ADD, 2, -4),
		CALL_HELPER(3), EXIT(),
	};
	run_refused(maps, del, NPROG(del), BS_ERR_HELPER, "map_type 13 into func");
	bs_maps_free(maps);
}

/* ---------------------------------------------------------------- the loader */

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[4096];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* examples/events.bpf.c: an array_of_maps with an inner template and
 * static values, a ringbuf of 4096 bytes, run on its packets */
static void test_events_example(void **state)
{
	(void)state;
	struct bs_object *obj;
	struct bs_error err;
	if (bs_object_open(BS_EXAMPLES_OBJ_DIR "/events.bpf.o", &obj, &err)) {
		fprintf(stderr, "%s\n", err.message);
		fail();
	}
	size_t outer = SIZE_MAX, v4 = SIZE_MAX, other = SIZE_MAX, ring = SIZE_MAX;
	for (size_t i = 0; i < bs_object_map_count(obj); i++) {
		const char *name = bs_object_map_def(obj, i)->name;
		if (!strcmp(name, "counts"))
			outer = i;
		else if (!strcmp(name, "ipv4_counts"))
			v4 = i;
		else if (!strcmp(name, "other_counts"))
			other = i;
		else if (!strcmp(name, "events"))
			ring = i;
	}
	assert_true(outer != SIZE_MAX && v4 != SIZE_MAX && other != SIZE_MAX && ring != SIZE_MAX);
	assert_int_equal(bs_object_map_def(obj, outer)->type, BS_MAP_ARRAY_OF_MAPS);
	const struct bs_map_def *in = bs_object_map_inner(obj, outer);
	assert_non_null(in);
	assert_int_equal(in->type, BS_MAP_ARRAY);
	assert_int_equal(in->value_size, 8);
	assert_int_equal(in->max_entries, 256);
	assert_string_equal(in->name, "counts.inner");
	assert_null(bs_object_map_inner(obj, ring));
	size_t n;
	const struct bs_map_init_value *iv = bs_object_map_init_values(obj, outer, &n);
	assert_int_equal(n, 2);
	assert_int_equal(iv[0].key, 0);
	assert_int_equal(iv[0].value, v4);
	assert_int_equal(iv[1].key, 1);
	assert_int_equal(iv[1].value, other);
	assert_null(bs_object_map_init_values(obj, ring, &n));
	assert_int_equal(n, 0);
	assert_int_equal(bs_object_map_def(obj, ring)->max_entries, 4096);

	struct bs_maps *maps;
	assert_int_equal(bs_object_create_maps(obj, 1, &maps, &err), 0);
	uint32_t k = 1, v = 0;
	assert_int_equal(bs_map_lookup(bs_maps_at(maps, outer), &k, &v), 0);
	assert_int_equal(v, other);
	const struct bs_prog *prog;
	assert_int_equal(bs_object_find_prog(obj, NULL, &prog, &err), 0);
	const char *pkts[] = {BS_SOURCE_DIR "/examples/events_dns.pkt",
			      BS_SOURCE_DIR "/examples/events_arp.pkt"};
	size_t lens[2];
	for (int i = 0; i < 2; i++) {
		struct bs_test_run tr = {0};
		tr.data_in = read_file(pkts[i], &lens[i]);
		tr.data_size_in = lens[i];
		if (bs_test_run(prog, maps, &tr, &err)) {
			fprintf(stderr, "%s\n", err.message);
			fail();
		}
		assert_int_equal(tr.retval, 2);  /* XDP_PASS */
		free(tr.data_out);
		free(tr.ctx_out);
	}
	struct bs_map *rb = bs_maps_at(maps, ring);
	assert_int_equal(bs_map_record_count(rb), 2);
	struct bs_map_record rec;
	assert_int_equal(bs_map_record_get(rb, 0, &rec), 0);
	assert_int_equal(rec.size, 12);
	uint32_t len;
	memcpy(&len, rec.data, 4);
	assert_int_equal(len, lens[0]);
	assert_int_equal(((const uint8_t *)rec.data)[6], 17);  /* UDP */
	assert_int_equal(bs_map_record_get(rb, 1, &rec), 0);
	uint16_t eth;
	memcpy(&eth, (const uint8_t *)rec.data + 4, 2);
	assert_int_equal(eth, 0x0806);  /* ARP */
	uint64_t c = 0;
	k = 17;
	assert_int_equal(bs_map_lookup(bs_maps_at(maps, v4), &k, &c), 0);
	assert_int_equal(c, 1);
	k = 0x06;
	assert_int_equal(bs_map_lookup(bs_maps_at(maps, other), &k, &c), 0);
	assert_int_equal(c, 1);
	bs_maps_free(maps);
	bs_object_close(obj);
}

/* examples/dispatch.bpf.c: a prog_array whose .values name programs */
static void test_prog_array_values(void **state)
{
	(void)state;
	struct bs_object *obj;
	struct bs_error err;
	if (bs_object_open(BS_EXAMPLES_OBJ_DIR "/dispatch.bpf.o", &obj, &err)) {
		fprintf(stderr, "%s\n", err.message);
		fail();
	}
	size_t h = SIZE_MAX, n;
	for (size_t i = 0; i < bs_object_map_count(obj); i++)
		if (!strcmp(bs_object_map_def(obj, i)->name, "handlers"))
			h = i;
	assert_true(h != SIZE_MAX);
	const struct bs_map_init_value *iv = bs_object_map_init_values(obj, h, &n);
	assert_int_equal(n, 2);
	const char *want[2] = {"handle_tcp", "handle_udp"};
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(iv[k].key, k == 0 ? 6 : 17);
		assert_true(iv[k].value < bs_object_prog_count(obj));
		assert_string_equal(bs_prog_name(bs_object_prog(obj, iv[k].value)), want[k]);
	}
	struct bs_maps *maps;
	assert_int_equal(bs_object_create_maps(obj, 1, &maps, &err), 0);
	uint32_t key = 17, v = 99;
	assert_int_equal(bs_map_lookup(bs_maps_at(maps, h), &key, &v), 0);
	assert_int_equal(v, iv[1].value);
	key = 1;
	assert_int_equal(bs_map_lookup(bs_maps_at(maps, h), &key, &v), -ENOENT);
	bs_maps_free(maps);
	bs_object_close(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_ringbuf_syscall),
		cmocka_unit_test(test_ringbuf_records),
		cmocka_unit_test(test_ringbuf_full_and_wrap),
		cmocka_unit_test(test_ringbuf_order),
		cmocka_unit_test(test_ringbuf_refused),
		cmocka_unit_test(test_ringbuf_header_overwritten),
		cmocka_unit_test(test_perf),
		cmocka_unit_test(test_prog_array),
		cmocka_unit_test(test_map_in_map_syscall),
		cmocka_unit_test(test_map_in_map_prog),
		cmocka_unit_test(test_events_example),
		cmocka_unit_test(test_prog_array_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
