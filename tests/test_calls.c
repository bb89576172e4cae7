// SPDX-License-Identifier: MIT
/* Control transfers a helper starts: bpf_loop and bpf_for_each_map_elem
 * calling back into the program (bs_vm_call), and bpf_tail_call into other
 * programs of the VM (bs_vm_add_prog, bs_vm_set_tail_call). Every case runs
 * under both dispatch modes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

static const enum bs_dispatch modes[] = {BS_DISPATCH_DEFAULT, BS_DISPATCH_SWITCH};
#define NMODES 2

/* Assembles and runs text with the environment's helpers (bpf_loop among
 * them) and, if maps is not NULL, the maps attached. */
static int run_text(const char *text, struct bs_maps *maps, enum bs_dispatch mode,
		    uint64_t budget, struct bs_run_result *res, struct bs_error *err)
{
	size_t n;
	struct bs_insn *prog = tu_asm(text, &n);
	struct bs_vm *vm = NULL;
	struct bs_env env;
	bs_env_default(&env);
	int rc = -1;
	if (bs_vm_new(&vm, err) || bs_helpers_register_env(vm, &env, err) ||
	    (maps && bs_maps_attach(maps, vm, err)))
		goto out;
	bs_vm_set_dispatch(vm, mode);
	bs_vm_set_budget(vm, budget);
	if (bs_vm_load(vm, prog, n, err))
		goto out;
	rc = bs_vm_run(vm, NULL, res, err);
out:
	bs_vm_free(vm);
	free(prog);
	return rc;
}

static uint64_t run_ok(const char *text, struct bs_maps *maps, enum bs_dispatch mode)
{
	struct bs_run_result res = {0};
	struct bs_error err;
	if (run_text(text, maps, mode, BS_DEFAULT_BUDGET, &res, &err)) {
		fprintf(stderr, "run failed: %s (pc %ld: %s)\n", err.message, err.pc, err.insn);
		fail();
	}
	return res.retval;
}

/* sum of 10 * i over the iterations in the caller's stack slot, the
 * iteration count in the upper half of r0 */
static const char loop_sum[] =
	"r6 = 0\n"
	"r1 = 5\n"
	"r2 = subprog[cb]\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"*(u64 *)(r10 -8) = r6\n"
	"r4 = 0\n"
	"call bpf_loop#181\n"
	"r0 <<= 32\n"
	"r1 = *(u64 *)(r10 -8)\n"
	"r0 |= r1\n"
	"exit\n"
	"cb:\n"
	"r1 *= 10\n"
	"r3 = *(u64 *)(r2 +0)\n"
	"r3 += r1\n"
	"*(u64 *)(r2 +0) = r3\n"
	"r0 = 0\n"
	"exit\n";

static void test_loop_basic(void **state)
{
	(void)state;
	for (int m = 0; m < NMODES; m++)
		assert_int_equal(run_ok(loop_sum, NULL, modes[m]), (5ULL << 32) | 100);
}

/* the callback stops the loop by returning 1 at i == 2: three calls */
static void test_loop_stop(void **state)
{
	(void)state;
	static const char text[] =
		"r1 = 10\n"
		"r2 = subprog[cb]\n"
		"r3 = 0\n"
		"r4 = 0\n"
		"call bpf_loop#181\n"
		"exit\n"
		"cb:\n"
		"r0 = 0\n"
		"if r1 != 2 goto +1\n"
		"r0 = 1\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++)
		assert_int_equal(run_ok(text, NULL, modes[m]), 3);
}

/* bpf_loop's own checks: flags, the loop limit, zero iterations */
static void test_loop_args(void **state)
{
	(void)state;
	static const char flags[] =
		"r1 = 1\nr2 = subprog[cb]\nr3 = 0\nr4 = 1\ncall bpf_loop#181\nexit\n"
		"cb:\nr0 = 0\nexit\n";
	static const char too_many[] =
		"r1 = 0x800001\nr2 = subprog[cb]\nr3 = 0\nr4 = 0\ncall bpf_loop#181\nexit\n"
		"cb:\nr0 = 0\nexit\n";
	/* nr_loops is a u32: the upper half of r1 is ignored */
	static const char zero[] =
		"r1 = 0x100000000 ll\nr2 = subprog[cb]\nr3 = 0\nr4 = 0\ncall bpf_loop#181\n"
		"exit\ncb:\nr0 = *(u64 *)(r10 -520)\nexit\n";
	for (int m = 0; m < NMODES; m++) {
		assert_int_equal(run_ok(flags, NULL, modes[m]), (uint64_t)-EINVAL);
		assert_int_equal(run_ok(too_many, NULL, modes[m]), (uint64_t)-E2BIG);
		assert_int_equal(run_ok(zero, NULL, modes[m]), 0);
	}
}

/* The callback gets a frame of its own: its fp-8 is not the caller's, and
 * the caller's r6..r9 survive what the callback does to them. */
static void test_loop_frames(void **state)
{
	(void)state;
	static const char text[] =
		"r6 = 11\n"
		"r9 = 99\n"
		"r1 = 7\n"
		"*(u64 *)(r10 -8) = r1\n"
		"r1 = 2\n"
		"r2 = subprog[cb]\n"
		"r3 = 0\n"
		"r4 = 0\n"
		"call bpf_loop#181\n"
		"r0 = *(u64 *)(r10 -8)\n"
		"r0 *= 1000\n"
		"r0 += r6\n"
		"r0 += r9\n"
		"exit\n"
		"cb:\n"
		"r6 = 5\n"
		"r9 = 5\n"
		"*(u64 *)(r10 -8) = r6\n"
		"r0 = 0\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++)
		assert_int_equal(run_ok(text, NULL, modes[m]), 7000 + 11 + 99);
}

/* A fault in the callback names the callback's instruction. */
static void test_loop_fault(void **state)
{
	(void)state;
	static const char text[] =
		"r1 = 3\n"
		"r2 = subprog[cb]\n"
		"r3 = 0\n"
		"r4 = 0\n"
		"call bpf_loop#181\n"
		"exit\n"
		"cb:\n"
		"r0 = 0\n"
		"r1 = *(u64 *)(r10 -520)\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++) {
		struct bs_run_result res;
		struct bs_error err;
		assert_int_equal(run_text(text, NULL, modes[m], BS_DEFAULT_BUDGET, &res, &err), -1);
		assert_int_equal(err.kind, BS_ERR_MEMORY);
		assert_int_equal(err.pc, 8);
		assert_string_equal(err.insn, "r1 = *(u64 *)(r10 -520)");
	}
}

/* The budget counts the callback's instructions too, and runs out there. */
static void test_loop_budget(void **state)
{
	(void)state;
	static const char text[] =
		"r1 = 1000\n"
		"r2 = subprog[cb]\n"
		"r3 = 0\n"
		"r4 = 0\n"
		"call bpf_loop#181\n"
		"exit\n"
		"cb:\n"
		"r0 = 0\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++) {
		struct bs_run_result res = {0};
		struct bs_error err;
		assert_int_equal(run_text(text, NULL, modes[m], 0, &res, &err), 0);
		/* 5 before the call (lddw is one), 2 per iteration, the exit */
		assert_int_equal(res.insns_executed, 5 + 2 * 1000 + 1);
		assert_int_equal(run_text(text, NULL, modes[m], 100, &res, &err), -1);
		assert_int_equal(err.kind, BS_ERR_BUDGET);
		assert_true(err.pc == 7 || err.pc == 8);
	}
}

/* A callback handle that is not a function, and callbacks nested deeper
 * than the 8 frames the kernel allows. */
static void test_loop_bad(void **state)
{
	(void)state;
	static const char not_func[] =
		"r1 = 1\nr2 = 0x1234\nr3 = 0\nr4 = 0\ncall bpf_loop#181\nexit\n";
	static const char deep[] =
		"call cb\n"
		"exit\n"
		"cb:\n"
		"r1 = 1\n"
		"r2 = subprog[cb]\n"
		"r3 = 0\n"
		"r4 = 0\n"
		"call bpf_loop#181\n"
		"r0 = 0\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++) {
		struct bs_run_result res;
		struct bs_error err;
		assert_int_equal(run_text(not_func, NULL, modes[m], 0, &res, &err), -1);
		assert_int_equal(err.kind, BS_ERR_HELPER);
		assert_int_equal(err.pc, 5);
		assert_int_equal(run_text(deep, NULL, modes[m], 0, &res, &err), -1);
		assert_int_equal(err.kind, BS_ERR_CALL_DEPTH);
	}
}

/* ---- bpf_for_each_map_elem ---- */

static struct bs_maps *one_map(uint32_t type, uint32_t key_size, uint32_t max)
{
	struct bs_maps *maps;
	struct bs_map *map;
	struct bs_error err;
	struct bs_map_def def = {.name = "m", .type = type, .key_size = key_size,
				 .value_size = 8, .max_entries = max};
	assert_int_equal(bs_maps_new(&maps, 2, &err), 0);
	assert_int_equal(bs_maps_create(maps, &def, &map, &err), 0);
	return maps;
}

/* sums keys * 100 + values through ctx (fp-8); r0 = visited << 32 | sum */
static const char foreach_sum[] =
	"r6 = 0\n"
	"*(u64 *)(r10 -8) = r6\n"
	"r1 = map[idx:0]\n"
	"r2 = subprog[cb]\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"r4 = 0\n"
	"call bpf_for_each_map_elem#164\n"
	"r0 <<= 32\n"
	"r1 = *(u64 *)(r10 -8)\n"
	"r0 |= r1\n"
	"exit\n"
	"cb:\n"
	"r2 = *(u32 *)(r2 +0)\n"
	"r2 *= 100\n"
	"r3 = *(u64 *)(r3 +0)\n"
	"r2 += r3\n"
	"r1 = *(u64 *)(r4 +0)\n"
	"r1 += r2\n"
	"*(u64 *)(r4 +0) = r1\n"
	"r0 = 0\n"
	"exit\n";

static void test_foreach_array(void **state)
{
	(void)state;
	for (int m = 0; m < NMODES; m++) {
		struct bs_maps *maps = one_map(BS_MAP_ARRAY, 4, 4);
		struct bs_map *map = bs_maps_at(maps, 0);
		for (uint32_t k = 0; k < 4; k++) {
			uint64_t v = k + 1;
			assert_int_equal(bs_map_update(map, &k, &v, BS_ANY), 0);
		}
		/* keys 0+1+2+3 = 6 -> 600, values 10 */
		assert_int_equal(run_ok(foreach_sum, maps, modes[m]), (4ULL << 32) | 610);
		bs_maps_free(maps);
	}
}

/* percpu: the callback sees the current CPU's copy */
static void test_foreach_percpu(void **state)
{
	(void)state;
	struct bs_maps *maps = one_map(BS_MAP_PERCPU_HASH, 4, 8);
	struct bs_map *map = bs_maps_at(maps, 0);
	uint32_t k = 3;
	uint64_t v[2] = {5, 7};
	assert_int_equal(bs_map_update(map, &k, v, BS_ANY), 0);
	assert_int_equal(run_ok(foreach_sum, maps, BS_DISPATCH_DEFAULT), (1ULL << 32) | 305);
	assert_int_equal(bs_maps_set_cpu(maps, 1), 0);
	assert_int_equal(run_ok(foreach_sum, maps, BS_DISPATCH_DEFAULT), (1ULL << 32) | 307);
	bs_maps_free(maps);
}

/* The callback deletes each element it is given: every element is still
 * visited once, and the map ends empty. */
static void test_foreach_delete(void **state)
{
	(void)state;
	static const char text[] =
		"r1 = map[idx:0]\n"
		"r2 = subprog[cb]\n"
		"r3 = 0\n"
		"r4 = 0\n"
		"call bpf_for_each_map_elem#164\n"
		"exit\n"
		"cb:\n"
		"call bpf_map_delete_elem#3\n"
		"r0 = 0\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++) {
		struct bs_maps *maps = one_map(BS_MAP_HASH, 4, 16);
		struct bs_map *map = bs_maps_at(maps, 0);
		for (uint32_t k = 10; k < 15; k++) {
			uint64_t v = k;
			assert_int_equal(bs_map_update(map, &k, &v, BS_ANY), 0);
		}
		assert_int_equal(run_ok(text, maps, modes[m]), 5);
		uint32_t next;
		assert_int_equal(bs_map_next_key(map, NULL, &next), -ENOENT);
		bs_maps_free(maps);
	}
}

static void test_foreach_args(void **state)
{
	(void)state;
	static const char stop[] =
		"r1 = map[idx:0]\nr2 = subprog[cb]\nr3 = 0\nr4 = 0\n"
		"call bpf_for_each_map_elem#164\nexit\ncb:\nr0 = 1\nexit\n";
	static const char flags[] =
		"r1 = map[idx:0]\nr2 = subprog[cb]\nr3 = 0\nr4 = 2\n"
		"call bpf_for_each_map_elem#164\nexit\ncb:\nr0 = 0\nexit\n";
	struct bs_maps *maps = one_map(BS_MAP_ARRAY, 4, 4);
	assert_int_equal(run_ok(stop, maps, BS_DISPATCH_DEFAULT), 1);
	assert_int_equal(run_ok(flags, maps, BS_DISPATCH_DEFAULT), (uint64_t)-EINVAL);
	bs_maps_free(maps);

	/* a queue cannot be walked: the verifier's words */
	struct bs_maps *q = one_map(BS_MAP_QUEUE, 0, 4);
	struct bs_run_result res;
	struct bs_error err;
	assert_int_equal(run_text(stop, q, BS_DISPATCH_DEFAULT, 0, &res, &err), -1);
	assert_int_equal(err.kind, BS_ERR_HELPER);
	assert_non_null(strstr(err.message, "cannot pass map_type 22 into func "
					    "bpf_for_each_map_elem#164"));
	bs_maps_free(q);
}

/* ---- tail calls ---- */

/* Resolves by r3 alone: index i is program i of the VM, if it has one. */
static int by_index(struct bs_vm *vm, uint64_t map, uint64_t index, uint32_t *prog,
		    struct bs_error *err, void *user)
{
	(void)vm, (void)map, (void)err;
	uint32_t nprogs = *(uint32_t *)user;
	if (index >= nprogs)
		return 0;
	*prog = (uint32_t)index;
	return 1;
}

/* Loads texts[0] as the program and the others for tail calls, runs it
 * with r1 = mem (a u64 counter). */
static int run_tail(const char *const *texts, uint32_t ntexts, enum bs_dispatch mode,
		    uint64_t *mem, struct bs_vm **out_vm, struct bs_run_result *res,
		    struct bs_error *err)
{
	struct bs_vm *vm = NULL;
	struct bs_env env;
	bs_env_default(&env);
	uint64_t args[5] = {0};
	int rc = -1;
	if (bs_vm_new(&vm, err) || bs_helpers_register_env(vm, &env, err))
		goto out;
	bs_vm_set_dispatch(vm, mode);
	bs_vm_set_tail_call(vm, by_index, &ntexts);
	for (uint32_t i = 0; i < ntexts; i++) {
		size_t n;
		struct bs_insn *prog = tu_asm(texts[i], &n);
		uint32_t at = 0;
		int lrc = i == 0 ? bs_vm_load(vm, prog, n, err) : bs_vm_add_prog(vm, prog, n, &at, err);
		free(prog);
		if (lrc)
			goto out;
		assert_int_equal(at, i);
	}
	if (bs_vm_add_region(vm, "mem", mem, 8, BS_REGION_RW, &args[0], err))
		goto out;
	rc = bs_vm_run(vm, args, res, err);
out:
	if (out_vm && rc)
		*out_vm = vm;
	else
		bs_vm_free(vm);
	return rc;
}

static void test_tail_basic(void **state)
{
	(void)state;
	/* registers survive the tail call; r1 is still the context */
	const char *texts[] = {
		"r6 = 40\n"
		"r2 = 0\n"
		"r3 = 1\n"
		"call bpf_tail_call#12\n"
		"r0 = 1\n"
		"exit\n",
		"r0 = *(u64 *)(r1 +0)\n"
		"r0 += r6\n"
		"r0 += 2\n"
		"exit\n",
	};
	for (int m = 0; m < NMODES; m++) {
		uint64_t mem = 100;
		struct bs_run_result res;
		struct bs_error err;
		assert_int_equal(run_tail(texts, 2, modes[m], &mem, NULL, &res, &err), 0);
		assert_int_equal(res.retval, 142);
	}
}

/* An empty slot falls through with r0 as it was (the kernel interpreter). */
static void test_tail_miss(void **state)
{
	(void)state;
	const char *texts[] = {"r0 = 7\nr2 = 0\nr3 = 5\ncall bpf_tail_call#12\nexit\n"};
	uint64_t mem = 0;
	struct bs_run_result res;
	struct bs_error err;
	assert_int_equal(run_tail(texts, 1, BS_DISPATCH_DEFAULT, &mem, NULL, &res, &err), 0);
	assert_int_equal(res.retval, 7);
}

/* A program that tail-calls itself runs 1 + 33 times. */
static void test_tail_limit(void **state)
{
	(void)state;
	const char *texts[] = {
		"r2 = *(u64 *)(r1 +0)\n"
		"r2 += 1\n"
		"*(u64 *)(r1 +0) = r2\n"
		"r2 = 0\n"
		"r3 = 0\n"
		"call bpf_tail_call#12\n"
		"r0 = 0\n"
		"exit\n",
	};
	for (int m = 0; m < NMODES; m++) {
		uint64_t mem = 0;
		struct bs_run_result res;
		struct bs_error err;
		assert_int_equal(run_tail(texts, 1, modes[m], &mem, NULL, &res, &err), 0);
		assert_int_equal(mem, 34);
		/* and again: the count starts over with each run */
		mem = 0;
		assert_int_equal(run_tail(texts, 1, modes[m], &mem, NULL, &res, &err), 0);
		assert_int_equal(mem, 34);
	}
}

/* From a subprogram, the target replaces the subprogram: its exit returns
 * to the caller, in the caller's program. */
static void test_tail_from_subprog(void **state)
{
	(void)state;
	const char *texts[] = {
		"r6 = 1000\n"
		"call sub\n"
		"r0 += r6\n"
		"exit\n"
		"sub:\n"
		"r2 = 0\n"
		"r3 = 1\n"
		"call bpf_tail_call#12\n"
		"r0 = 1\n"
		"exit\n",
		"r0 = 5\n"
		"exit\n",
	};
	for (int m = 0; m < NMODES; m++) {
		uint64_t mem = 0;
		struct bs_run_result res;
		struct bs_error err;
		assert_int_equal(run_tail(texts, 2, modes[m], &mem, NULL, &res, &err), 0);
		assert_int_equal(res.retval, 1005);
	}
}

/* A fault in the target names the target's instruction and program. */
static void test_tail_fault(void **state)
{
	(void)state;
	const char *texts[] = {
		"r2 = 0\nr3 = 1\ncall bpf_tail_call#12\nr0 = 0\nexit\n",
		"r0 = 0\nr0 = *(u64 *)(r1 +8)\nexit\n",
	};
	uint64_t mem = 0;
	struct bs_vm *vm = NULL;
	struct bs_run_result res;
	struct bs_error err;
	assert_int_equal(run_tail(texts, 2, BS_DISPATCH_DEFAULT, &mem, &vm, &res, &err), -1);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 1);
	assert_string_equal(err.insn, "r0 = *(u64 *)(r1 +8)");
	assert_int_equal(bs_vm_current_prog(vm), 1);
	size_t n;
	assert_non_null(bs_vm_prog_at(vm, 1, &n));
	assert_int_equal(n, 3);
	assert_null(bs_vm_prog_at(vm, 2, &n));
	bs_vm_free(vm);
}

/* Every run sees a zeroed stack, whatever frames the run before it used:
 * each program reads its slots before writing them and returns what it
 * read, three runs in a row on one VM, under every engine. */
static void test_fresh_stack(void **state)
{
	(void)state;
	static const char *const texts[] = {
		/* a bpf-to-bpf callee's frame, its first and last slots */
		"r6 = *(u64 *)(r10 -8)\n*(u64 *)(r10 -8) = 5\ncall sub\nr0 += r6\nexit\n"
		"sub:\nr0 = *(u64 *)(r10 -8)\n*(u64 *)(r10 -8) = 7\nr1 = *(u64 *)(r10 -512)\n"
		"r0 += r1\n*(u64 *)(r10 -512) = 9\nexit\n",
		/* a bpf_loop callback's frame */
		"r6 = *(u64 *)(r10 -8)\n*(u64 *)(r10 -8) = 5\nr1 = 1\nr2 = subprog[cb]\nr3 = 0\n"
		"r4 = 0\ncall bpf_loop#181\nr0 = *(u64 *)(r10 -16)\nr0 += r6\nexit\n"
		"cb:\nr0 = *(u64 *)(r10 -8)\nif r0 != 0 goto bad\n*(u64 *)(r10 -8) = 3\nr0 = 0\n"
		"exit\nbad:\nr0 = 1\nexit\n",
	};
	const enum bs_engine engines[] = {BS_ENGINE_INTERP, BS_ENGINE_JIT, BS_ENGINE_JIT_UNCHECKED};
	for (size_t t = 0; t < 2; t++)
		for (size_t e = 0; e < 3; e++) {
			if (e && !bs_jit_available())
				continue;
			size_t n;
			struct bs_insn *prog = tu_asm(texts[t], &n);
			struct bs_vm *vm;
			struct bs_env env;
			struct bs_error err;
			bs_env_default(&env);
			assert_int_equal(bs_vm_new(&vm, &err), 0);
			assert_int_equal(bs_helpers_register_env(vm, &env, &err), 0);
			assert_int_equal(bs_vm_load(vm, prog, n, &err), 0);
			bs_vm_set_engine(vm, engines[e]);
			for (int k = 0; k < 3; k++) {
				struct bs_run_result res = {0};
				assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
				assert_int_equal(res.retval, 0);
			}
			bs_vm_free(vm);
			free(prog);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_basic),
		cmocka_unit_test(test_loop_stop),
		cmocka_unit_test(test_loop_args),
		cmocka_unit_test(test_loop_frames),
		cmocka_unit_test(test_loop_fault),
		cmocka_unit_test(test_loop_budget),
		cmocka_unit_test(test_loop_bad),
		cmocka_unit_test(test_foreach_array),
		cmocka_unit_test(test_foreach_percpu),
		cmocka_unit_test(test_foreach_delete),
		cmocka_unit_test(test_foreach_args),
		cmocka_unit_test(test_tail_basic),
		cmocka_unit_test(test_tail_miss),
		cmocka_unit_test(test_tail_limit),
		cmocka_unit_test(test_tail_from_subprog),
		cmocka_unit_test(test_tail_fault),
		cmocka_unit_test(test_fresh_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
