// SPDX-License-Identifier: MIT
/* The VM's debugging interface: stop hook, stop counts, breakpoints as
 * traps, watched ranges, state at a stop. Every case runs under both
 * dispatch modes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

static const enum bs_dispatch modes[] = {BS_DISPATCH_DEFAULT, BS_DISPATCH_SWITCH};
#define NMODES 2

/* What the hook saw, one entry per stop. */
struct stop {
	enum bs_stop_reason why;
	size_t pc;
	uint64_t count;
	uint64_t r0;
	int watch;
	unsigned kind;
};

struct session {
	struct stop stops[64];
	int n;
	uint64_t step;          /* > 0: stop again this many instructions later */
	int fail_at;            /* stop number whose hook ends the run, or -1 */
	uint64_t set_r0;        /* written to r0 at the first stop if non-zero */
};

static int hook(struct bs_vm *vm, enum bs_stop_reason why, struct bs_error *err, void *user)
{
	struct session *s = user;
	assert_true(s->n < 64);
	struct stop *st = &s->stops[s->n];
	st->why = why;
	st->pc = bs_vm_pc(vm, NULL);
	st->count = bs_vm_executed(vm);
	st->r0 = bs_vm_regs(vm)[0];
	st->watch = bs_vm_watch_hit(vm, &st->kind, NULL);
	if (s->n == 0 && s->set_r0)
		bs_vm_regs(vm)[0] = s->set_r0;
	if (s->n++ == s->fail_at)
		return bs_error_set(err, BS_ERR_ARG, "stopped by the test");
	bs_vm_stop_at(vm, s->step ? st->count + s->step : UINT64_MAX);
	return 0;
}

/* r0 = 1 + 2 + ... + 5 with a loop; 3 + 5 * 3 + 1 instructions */
static const char sum5[] =
	"r0 = 0\n"
	"r1 = 5\n"
	"r2 = 0x100000000 ll\n"
	"loop:\n"
	"r0 += r1\n"
	"r1 -= 1\n"
	"if r1 != 0 goto loop\n"
	"exit\n";

static struct bs_vm *load(const char *text, enum bs_dispatch mode, struct session *s)
{
	size_t n;
	struct bs_insn *prog = tu_asm(text, &n);
	struct bs_vm *vm;
	struct bs_error err;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	static struct bs_env env;
	bs_env_default(&env);
	assert_int_equal(bs_helpers_register_env(vm, &env, &err), 0);
	bs_vm_set_dispatch(vm, mode);
	assert_int_equal(bs_vm_load(vm, prog, n, &err), 0);
	free(prog);
	bs_vm_set_stop_hook(vm, hook, s);
	return vm;
}

static void test_no_stops(void **state)
{
	(void)state;
	for (int m = 0; m < NMODES; m++) {
		struct session s = {.fail_at = -1};
		struct bs_vm *vm = load(sum5, modes[m], &s);
		struct bs_run_result res;
		struct bs_error err;
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.retval, 15);
		assert_int_equal(res.insns_executed, 19);
		assert_int_equal(s.n, 0);
		bs_vm_free(vm);
	}
}

/* Stopping after every instruction visits each one, counts 1 .. 18. */
static void test_single_step(void **state)
{
	(void)state;
	for (int m = 0; m < NMODES; m++) {
		struct session s = {.fail_at = -1, .step = 1};
		struct bs_vm *vm = load(sum5, modes[m], &s);
		bs_vm_stop_at(vm, 1);
		struct bs_run_result res;
		struct bs_error err;
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.retval, 15);
		assert_int_equal(s.n, 18);
		static const size_t pcs[] = {1, 2, 4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6, 7};
		for (int i = 0; i < s.n; i++) {
			assert_int_equal(s.stops[i].why, BS_STOP_STEP);
			assert_int_equal(s.stops[i].count, (uint64_t)i + 1);
			assert_int_equal(s.stops[i].pc, pcs[i]);
		}
		/* before `exit`: r0 holds the sum */
		assert_int_equal(s.stops[17].r0, 15);
		bs_vm_free(vm);
	}
}

/* A breakpoint stops before its instruction every time it is reached; the
 * instruction then runs as usual, lddw and jumps included. */
static void test_breakpoints(void **state)
{
	(void)state;
	for (int m = 0; m < NMODES; m++) {
		struct session s = {.fail_at = -1};
		struct bs_vm *vm = load(sum5, modes[m], &s);
		struct bs_error err;
		assert_int_equal(bs_vm_set_break(vm, 0, 2, true, &err), 0);   /* lddw */
		assert_int_equal(bs_vm_set_break(vm, 0, 6, true, &err), 0);   /* the jump */
		assert_int_equal(bs_vm_set_break(vm, 0, 3, true, &err), -1);  /* inside lddw */
		assert_int_equal(bs_vm_set_break(vm, 0, 99, true, &err), -1);
		struct bs_run_result res;
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.retval, 15);
		assert_int_equal(res.insns_executed, 19);
		assert_int_equal(s.n, 6);
		assert_int_equal(s.stops[0].pc, 2);
		assert_int_equal(s.stops[0].count, 2);
		for (int i = 1; i < 6; i++) {
			assert_int_equal(s.stops[i].why, BS_STOP_BREAK);
			assert_int_equal(s.stops[i].pc, 6);
			assert_int_equal(s.stops[i].count, 2 + 3 * (uint64_t)i);
		}
		/* removed, it costs nothing and stops nothing */
		assert_int_equal(bs_vm_set_break(vm, 0, 6, false, &err), 0);
		assert_int_equal(bs_vm_set_break(vm, 0, 2, false, &err), 0);
		s.n = 0;
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.retval, 15);
		assert_int_equal(s.n, 0);
		bs_vm_free(vm);
	}
}

/* The hook can change registers, and end the run with its own error. */
static void test_hook_control(void **state)
{
	(void)state;
	for (int m = 0; m < NMODES; m++) {
		struct session s = {.fail_at = -1, .set_r0 = 100};
		struct bs_vm *vm = load(sum5, modes[m], &s);
		struct bs_error err;
		struct bs_run_result res;
		bs_vm_stop_at(vm, 3);  /* after the lddw: r0 is 0 then, becomes 100 */
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.retval, 115);

		s = (struct session){.fail_at = 0};
		bs_vm_stop_at(vm, 4);
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), -1);
		assert_int_equal(err.kind, BS_ERR_ARG);
		assert_string_equal(err.message, "stopped by the test");
		assert_int_equal(err.pc, 5);
		assert_int_equal(res.insns_executed, 4);
		bs_vm_free(vm);
	}
}

/* The budget still ends a run, whatever the debugger asked for. */
static void test_budget_wins(void **state)
{
	(void)state;
	struct session s = {.fail_at = -1};
	struct bs_vm *vm = load(sum5, BS_DISPATCH_DEFAULT, &s);
	struct bs_error err;
	struct bs_run_result res;
	bs_vm_set_budget(vm, 5);
	bs_vm_stop_at(vm, 10);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), -1);
	assert_int_equal(err.kind, BS_ERR_BUDGET);
	assert_int_equal(s.n, 0);
	bs_vm_free(vm);
}

/* Watches: stores and loads of the program, and a helper's write. */
static void test_watch(void **state)
{
	(void)state;
	static const char text[] =
		"r1 = 7\n"
		"*(u64 *)(r10 -8) = r1\n"     /* write fp-8 */
		"*(u64 *)(r10 -16) = r1\n"    /* outside the watch */
		"r0 = *(u32 *)(r10 -4)\n"     /* read fp-4 */
		"r1 = 1\n"
		"r2 = subprog[cb]\n"
		"r3 = r10\n"
		"r3 += -8\n"
		"r4 = 0\n"
		"call bpf_loop#181\n"
		"exit\n"
		"cb:\n"
		"*(u8 *)(r2 +0) = 9\n"         /* the callback writes fp-8 of the caller */
		"r0 = 0\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++) {
		struct session s = {.fail_at = -1};
		struct bs_vm *vm = load(text, modes[m], &s);
		struct bs_error err;
		struct bs_run_result res;
		int id;
		/* fp-8 .. fp-1 of the first frame */
		uint64_t top = 0;
		/* r10 is only known at run time: find it with a stop at count 0 */
		s.step = 0;
		bs_vm_stop_at(vm, 0);
		s.fail_at = 0;
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), -1);
		top = s.stops[0].count == 0 ? bs_vm_regs(vm)[10] : 0;
		assert_true(top != 0);
		s = (struct session){.fail_at = -1};
		bs_vm_stop_at(vm, UINT64_MAX);
		assert_int_equal(bs_vm_watch(vm, top - 8, 8, BS_REGION_RW, &id, &err), 0);
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(s.n, 3);
		assert_int_equal(s.stops[0].why, BS_STOP_WATCH);
		assert_int_equal(s.stops[0].pc, 2);  /* after the store at 1 */
		assert_int_equal(s.stops[0].kind, BS_REGION_WRITE);
		assert_int_equal(s.stops[0].watch, id);
		assert_int_equal(s.stops[1].pc, 4);  /* after the load at 3 */
		assert_int_equal(s.stops[1].kind, BS_REGION_READ);
		assert_int_equal(s.stops[2].pc, 13); /* in the callback, after its store */
		assert_int_equal(s.stops[2].kind, BS_REGION_WRITE);
		bs_vm_unwatch(vm, id);
		s = (struct session){.fail_at = -1};
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(s.n, 0);
		bs_vm_free(vm);
	}
}

/* A watch set after runs that went through a region is seen all the same:
 * what the interpreter remembers of where each access went (its memos)
 * does not pass a new watch by. */
static void test_watch_after_runs(void **state)
{
	(void)state;
	static const char text[] =
		"r0 = *(u64 *)(r1 +8)\n"
		"*(u32 *)(r1 +0) = r0\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++) {
		struct session s = {.fail_at = -1};
		struct bs_vm *vm = load(text, modes[m], &s);
		struct bs_error err;
		struct bs_run_result res;
		uint8_t buf[16] = {0};
		uint64_t args[5] = {0};
		int id;
		assert_int_equal(bs_vm_add_region(vm, "buf", buf, sizeof(buf), BS_REGION_RW, &args[0],
						  &err), 0);
		bs_vm_stop_at(vm, UINT64_MAX);
		for (int i = 0; i < 2; i++)
			assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
		assert_int_equal(s.n, 0);
		assert_int_equal(bs_vm_watch(vm, args[0] + 8, 8, BS_REGION_READ, &id, &err), 0);
		assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.stops[0].why, BS_STOP_WATCH);
		assert_int_equal(s.stops[0].pc, 1);
		assert_int_equal(s.stops[0].kind, BS_REGION_READ);
		bs_vm_unwatch(vm, id);
		s = (struct session){.fail_at = -1};
		assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
		assert_int_equal(bs_vm_watch(vm, args[0], 4, BS_REGION_WRITE, &id, &err), 0);
		assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.stops[0].pc, 2);
		assert_int_equal(s.stops[0].kind, BS_REGION_WRITE);
		bs_vm_free(vm);
	}
}

/* The same for frame 0's stack, which the interpreter remembers as it does
 * a region. */
static void test_watch_stack_after_runs(void **state)
{
	(void)state;
	static const char text[] =
		"r1 = 7\n"
		"*(u64 *)(r10 -8) = r1\n"
		"r0 = *(u64 *)(r10 -8)\n"
		"exit\n";
	for (int m = 0; m < NMODES; m++) {
		struct session s = {.fail_at = -1};
		struct bs_vm *vm = load(text, modes[m], &s);
		struct bs_error err;
		struct bs_run_result res;
		int id;
		bs_vm_stop_at(vm, UINT64_MAX);
		for (int i = 0; i < 2; i++)
			assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(s.n, 0);
		uint64_t top = bs_vm_regs(vm)[10];
		assert_int_equal(bs_vm_watch(vm, top - 8, 8, BS_REGION_RW, &id, &err), 0);
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(s.n, 2);
		assert_int_equal(s.stops[0].pc, 2);
		assert_int_equal(s.stops[0].kind, BS_REGION_WRITE);
		assert_int_equal(s.stops[1].pc, 3);
		assert_int_equal(s.stops[1].kind, BS_REGION_READ);
		bs_vm_free(vm);
	}
}

/* Depth and frames at a stop inside a subprogram. */
static void test_frames(void **state)
{
	(void)state;
	static const char text[] =
		"call f\n"
		"exit\n"
		"f:\n"
		"r0 = 3\n"
		"exit\n";
	struct session s = {.fail_at = -1};
	struct bs_vm *vm = load(text, BS_DISPATCH_DEFAULT, &s);
	struct bs_error err;
	struct bs_run_result res;
	assert_int_equal(bs_vm_set_break(vm, 0, 2, true, &err), 0);
	s.fail_at = 0;
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), -1);
	assert_int_equal(s.stops[0].pc, 2);
	assert_int_equal(bs_vm_depth(vm), 1);
	size_t ret_pc;
	uint32_t ret_prog;
	uint64_t fp;
	bs_vm_frame(vm, 0, &ret_pc, &ret_prog, &fp);
	assert_int_equal(ret_pc, 1);
	assert_int_equal(ret_prog, 0);
	assert_int_equal(fp, bs_vm_regs(vm)[10] + 512);
	bs_vm_free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_stops),
		cmocka_unit_test(test_single_step),
		cmocka_unit_test(test_breakpoints),
		cmocka_unit_test(test_hook_control),
		cmocka_unit_test(test_budget_wins),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_watch_after_runs),
		cmocka_unit_test(test_watch_stack_after_runs),
		cmocka_unit_test(test_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
