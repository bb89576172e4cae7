// SPDX-License-Identifier: MIT
/* The memory sandbox: every access outside the program's regions stops the
 * run with the pc, the instruction and where the address is. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tests/testutil.h"

struct case_ {
	const char *desc;
	struct bs_insn prog[8];
	size_t n;
	long pc;
	const char *msg;  /* substring of the message; "=..." the whole message */
	const char *insn; /* the disassembled instruction at pc */
};

#define P(...) .prog = {__VA_ARGS__}, .n = sizeof((struct bs_insn[]){__VA_ARGS__}) / 8

static const struct case_ cases[] = {
	{"stack below fp-512", P(LDX(SZ_DW, 0, 10, -520), EXIT()), 0,
	 "invalid read of stack off=-520 size=8", "r0 = *(u64 *)(r10 -520)"},
	{"stack: last byte below the frame", P(ST(SZ_B, 10, -513, 1), EXIT()), 0,
	 "invalid write of stack off=-513 size=1", "*(u8 *)(r10 -513) = 1"},
	{"stack: at fp", P(ST(SZ_W, 10, 0, 1), MOV64_IMM(0, 0), EXIT()), 0,
	 "invalid write of stack off=0 size=4", NULL},
	{"stack: straddles fp", P(MOV64_IMM(0, 0), LDX(SZ_DW, 0, 10, -4), EXIT()), 1,
	 "invalid read of stack off=-4 size=8", NULL},
	{"mem: one byte past the end", P(LDX(SZ_B, 0, 1, 16), EXIT()), 0,
	 "invalid read of mem off=16 size=1", "r0 = *(u8 *)(r1 +16)"},
	{"mem: word crossing the end", P(LDX(SZ_W, 0, 1, 14), EXIT()), 0,
	 "invalid read of mem off=14 size=4", NULL},
	{"mem: before the start", P(STX(SZ_B, 1, 2, -1), EXIT()), 0,
	 "invalid write of mem off=-1 size=1", NULL},
	{"NULL pointer", P(MOV64_IMM(1, 0), LDX(SZ_W, 0, 1, 0), EXIT()), 1,
	 "invalid read of size 4 at 0x0", NULL},
	{"wrapping pointer arithmetic", P(MOV64_IMM(2, -1), ALU64_REG(0x00, 1, 2),
	  LDX(SZ_DW, 0, 1, 0), EXIT()), 2, "invalid read of mem off=-1 size=8", NULL},
	{"address that wraps around 2^64", P(MOV64_IMM(1, -4), LDX(SZ_DW, 0, 1, 0), EXIT()), 1,
	 "invalid read", NULL},
	{"atomic outside the stack", P(MOV64_IMM(2, 1), INSN(0xdb, 10, 2, 8, 0x01), EXIT()), 1,
	 "invalid write of stack off=8 size=8", NULL},
	{"an address far from every region names none",
	 P(LD_IMM64_LO(1, 0x7fff00000000ULL), LD_IMM64_HI(0x7fff00000000ULL),
	   LDX(SZ_W, 0, 1, 0), EXIT()), 2,
	 "=invalid read of size 4 at 0x7fff00000000: not in any region of the program",
	 NULL},
	{"callee may not touch below its own frame",
	 P(CALL_LOCAL(1), EXIT(), LDX(SZ_DW, 0, 10, -513), EXIT()), 2,
	 "invalid read of stack off=-513", NULL},
};

static void test_cases(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *c = &cases[i];
		for (int d = 0; d < 2; d++) {
			uint8_t mem[16] = {0};
			struct bs_run_result res;
			struct bs_error err;
			int rc = tu_run(c->prog, c->n, mem, sizeof(mem),
					d ? BS_DISPATCH_SWITCH : BS_DISPATCH_DEFAULT, &res, &err);
			bool msg_ok = c->msg[0] == '=' ? strcmp(err.message, c->msg + 1) == 0
						       : strstr(err.message, c->msg) != NULL;
			if (rc == 0 || err.kind != BS_ERR_MEMORY || err.pc != c->pc || !msg_ok ||
			    (c->insn && strcmp(err.insn, c->insn))) {
				printf("FAIL %s: rc=%d kind=%s pc=%ld insn='%s' msg='%s'\n", c->desc, rc,
				       bs_err_kind_name(err.kind), err.pc, err.insn, err.message);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

/* A region registered read-only cannot be written. */
static void test_read_only_region(void **state)
{
	(void)state;
	uint8_t ro[8] = {7};
	struct bs_vm *vm;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t addr;
	struct bs_insn prog[] = {LDX(SZ_B, 0, 1, 0), STX(SZ_B, 1, 0, 1), EXIT()};
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_add_region(vm, "rodata", ro, sizeof(ro), BS_REGION_READ, &addr, &err), 0);
	assert_int_equal(bs_vm_load(vm, prog, 3, &err), 0);
	uint64_t args[5] = {addr};
	assert_int_not_equal(bs_vm_run(vm, args, &res, &err), 0);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 1);
	assert_non_null(strstr(err.message, "invalid write of read-only region 'rodata' off=1"));
	assert_int_equal(ro[1], 0);
	bs_vm_free(vm);
}

/* An atomic reads what it writes: a write-only region refuses it, naming the
 * read, while a plain store goes through. */
static void test_write_only_region(void **state)
{
	(void)state;
	uint8_t wo[8] = {0};
	struct bs_vm *vm;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t addr;
	struct bs_insn prog[] = {ST(SZ_DW, 1, 0, 3), MOV64_IMM(2, 1), INSN(0xdb, 1, 2, 0, 0x00), EXIT()};
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_add_region(vm, "wo", wo, sizeof(wo), BS_REGION_WRITE, &addr, &err), 0);
	assert_int_equal(bs_vm_load(vm, prog, 4, &err), 0);
	uint64_t args[5] = {addr};
	assert_int_not_equal(bs_vm_run(vm, args, &res, &err), 0);
	assert_int_equal(err.pc, 2);
	assert_non_null(strstr(err.message, "invalid read of write-only region 'wo' off=0 size=8"));
	assert_int_equal(wo[0], 3);
	bs_vm_free(vm);
}

/* A store hook sees program stores into its region, and only those. */
static int hook_calls;

static bool keep_low_byte(void *user, uint64_t off, unsigned size, uint64_t v, void *host)
{
	(void)user;
	hook_calls++;
	if (off != 4 || size != 4)
		return false;
	uint32_t low = (uint8_t)v;
	memcpy(host, &low, 4);
	return true;
}

static void test_store_hook(void **state)
{
	(void)state;
	uint8_t ctx[16] = {0};
	struct bs_vm *vm;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t addr;
	struct bs_insn prog[] = {
		MOV64_IMM(2, 0x1234), STX(SZ_W, 1, 2, 4),  /* hooked: keeps 0x34 */
		STX(SZ_W, 1, 2, 8),                           /* same hook, plain store */
		ST(SZ_W, 10, -4, 7),                          /* the stack is never hooked */
		LDX(SZ_W, 0, 1, 4), LDX(SZ_W, 3, 1, 8), ALU64_REG(0x00, 0, 3), EXIT(),
	};
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_add_region(vm, "ctx", ctx, sizeof(ctx), BS_REGION_RW, &addr, &err), 0);
	assert_int_equal(bs_vm_region_set_store_hook(vm, addr, keep_low_byte, NULL, &err), 0);
	assert_int_not_equal(bs_vm_region_set_store_hook(vm, addr + 1, keep_low_byte, NULL, &err), 0);
	assert_int_equal(bs_vm_load(vm, prog, sizeof(prog) / 8, &err), 0);
	uint64_t args[5] = {addr};
	hook_calls = 0;
	assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
	assert_int_equal(res.retval, 0x34 + 0x1234);
	assert_int_equal(hook_calls, 2);
	/* a helper's write through bs_vm_translate is not a program store */
	assert_non_null(bs_vm_translate(vm, addr + 4, 4, true, &err));
	assert_int_equal(hook_calls, 2);
	bs_vm_free(vm);
}

/* Guest addresses are the same on every run and never host addresses. */
static void test_deterministic_addresses(void **state)
{
	(void)state;
	struct bs_insn prog[] = {MOV64_REG(0, 10), ALU64_REG(0xa0, 0, 1), EXIT()};
	uint8_t a[4], b[4];
	struct bs_run_result r1, r2;
	struct bs_error err;
	assert_int_equal(tu_run(prog, 3, a, sizeof(a), BS_DISPATCH_DEFAULT, &r1, &err), 0);
	assert_int_equal(tu_run(prog, 3, b, sizeof(b), BS_DISPATCH_SWITCH, &r2, &err), 0);
	assert_int_equal(r1.retval, r2.retval);
	assert_true(r1.retval < (1ULL << 32));
}

/* Helpers translate guest pointers through the same checks. */
static void test_translate(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct bs_vm *vm;
	struct bs_error err;
	uint64_t addr;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_add_region(vm, "buf", buf, sizeof(buf), BS_REGION_RW, &addr, &err), 0);
	assert_ptr_equal(bs_vm_translate(vm, addr + 4, 8, true, &err), buf + 4);
	assert_null(bs_vm_translate(vm, addr + 30, 8, false, &err));
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_non_null(strstr(err.message, "buf off=30 size=8"));
	assert_null(bs_vm_translate(vm, (uint64_t)(uintptr_t)buf, 1, false, &err));
	bs_vm_free(vm);
}

/* a helper that writes 0x55 to the 8 bytes r1 points to */
static int h_poke(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err,
		  void *u)
{
	(void)u;
	uint8_t *p = bs_vm_translate(vm, a[0], 8, true, err);
	if (!p)
		return -1;
	memset(p, 0x55, 8);
	*r0 = 0;
	return 0;
}

/* Every run starts with a zeroed stack, however the last one wrote to it:
 * from r10, or (in a program that never names r10, whose stack a run need
 * not clear) through an address passed in, by a store, an atomic or a
 * helper, or by a debugger between runs. r1 is 8 bytes below the top of
 * the stack; each program returns what was there, then changes it. */
static void test_fresh_stack(void **state)
{
	(void)state;
	struct bs_error err;
	struct bs_vm *vm;
	struct bs_run_result res;
	/* where the stack is: every VM puts it at the same place */
	const struct bs_insn where[] = {MOV64_REG(0, 10), EXIT()};
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_load(vm, where, 2, &err), 0);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	uint64_t top = res.retval;
	bs_vm_free(vm);
	const struct {
		const char *what;
		struct bs_insn p[6];
		size_t n;
		bool poke;  /* the test writes there between the runs */
	} cases[] = {
		{"from r10", {LDX(SZ_DW, 0, 10, -8), ST(SZ_DW, 10, -8, 7), EXIT()}, 3, false},
		{"a store", {LDX(SZ_DW, 0, 1, 0), ST(SZ_DW, 1, 0, 7), EXIT()}, 3, false},
		{"a register store", {LDX(SZ_DW, 0, 1, 0), MOV64_IMM(2, 9), STX(SZ_B, 1, 2, 3), EXIT()},
		 4, false},
		{"an atomic", {LDX(SZ_DW, 0, 1, 0), MOV64_IMM(2, 5), INSN(0xdb, 1, 2, 0, 0x01), EXIT()},
		 4, false},
		{"a helper", {LDX(SZ_DW, 6, 1, 0), CALL_HELPER(1), MOV64_REG(0, 6), EXIT()}, 4, false},
		{"a debugger", {LDX(SZ_DW, 0, 1, 0), EXIT()}, 2, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT_UNCHECKED; eng++) {
			if (eng != BS_ENGINE_INTERP && !bs_jit_available())
				continue;
			assert_int_equal(bs_vm_new(&vm, &err), 0);
			assert_int_equal(bs_vm_set_helper(vm, 1, "poke", h_poke, NULL, &err), 0);
			bs_vm_set_engine(vm, (enum bs_engine)eng);
			assert_int_equal(bs_vm_load(vm, cases[i].p, cases[i].n, &err), 0);
			uint64_t args[5] = {top - 8};
			for (int run = 0; run < 3; run++) {
				if (bs_vm_run(vm, args, &res, &err))
					fail_msg("%s (engine %d): %s", cases[i].what, eng, err.message);
				if (res.retval != 0)
					fail_msg("%s (engine %d), run %d: 0x%llx left from the last run",
						 cases[i].what, eng, run, (unsigned long long)res.retval);
				if (cases[i].poke) {
					uint8_t *p = bs_vm_region_of(vm, top - 8, NULL, NULL, NULL);
					assert_non_null(p);
					memset(p, 0xaa, 8);
				}
			}
			/* the same through bs_vm_run_repeat */
			assert_int_equal(bs_vm_run_repeat(vm, args, 3, &res, &err), 0);
			assert_int_equal(res.retval, 0);
			/* and a program loaded after one that wrote there */
			assert_int_equal(bs_vm_load(vm, cases[5].p, cases[5].n, &err), 0);
			assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
			if (res.retval != 0)
				fail_msg("%s (engine %d): the next program sees 0x%llx", cases[i].what,
					 eng, (unsigned long long)res.retval);
			bs_vm_free(vm);
		}
	/* below frame 0: a debugger's write there between runs is gone when a
	 * later run calls a function whose frame it is (the run before made
	 * no call) */
	const struct bs_insn deep[] = {MOV64_IMM(0, 0), JMP_IMM(0x10, 1, 0, 1), CALL_LOCAL(1), EXIT(),
				       LDX(SZ_DW, 0, 10, -8), EXIT()};
	for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT_UNCHECKED; eng++) {
		if (eng != BS_ENGINE_INTERP && !bs_jit_available())
			continue;
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		bs_vm_set_engine(vm, (enum bs_engine)eng);
		assert_int_equal(bs_vm_load(vm, deep, 6, &err), 0);
		uint64_t no_call[5] = {0}, call[5] = {1};
		assert_int_equal(bs_vm_run(vm, no_call, &res, &err), 0);
		uint8_t *p = bs_vm_region_of(vm, top - BS_STACK_SIZE - 8, NULL, NULL, NULL);
		assert_non_null(p);
		memset(p, 0xaa, 8);
		assert_int_equal(bs_vm_run(vm, call, &res, &err), 0);
		assert_int_equal(res.retval, 0);
		bs_vm_free(vm);
	}
}

static int hook_calls;
static int count_stops(struct bs_vm *vm, enum bs_stop_reason why, struct bs_error *err, void *u)
{
	(void)vm; (void)why; (void)err; (void)u;
	hook_calls++;
	return 0;
}

/* the first time it runs: a stop hook and a breakpoint at pc 2, and words
 * left in err (the run still succeeds) */
static int h_arm(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err,
		 void *u)
{
	(void)a;
	int *armed = u;
	if (!*armed) {
		*armed = 1;
		bs_vm_set_stop_hook(vm, count_stops, NULL);
		if (bs_vm_set_break(vm, 0, 2, true, err))
			return -1;
		bs_error_set(err, BS_ERR_HELPER, "left behind");
	}
	*r0 = 0;
	return 0;
}

/* bs_vm_run_repeat: n runs as n bs_vm_run calls, r0 the last's, the
 * instructions all of theirs, stopped by the first that fails */
static void test_run_repeat(void **state)
{
	(void)state;
	uint8_t mem[8] = {0};
	struct bs_error err;
	struct bs_run_result res;
	/* r0 = ++mem[0]; fails once it reaches 3 (a read past the region) */
	const struct bs_insn p[] = {
		LDX(SZ_B, 0, 1, 0), ALU64_IMM(0x00, 0, 1), STX(SZ_B, 1, 0, 0),
		JMP_IMM(0x50, 0, 3, 1), LDX(SZ_B, 2, 1, 64), EXIT(),
	};
	for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT; eng++) {
		if (eng != BS_ENGINE_INTERP && !bs_jit_available())
			continue;
		struct bs_vm *vm;
		uint64_t args[5];
		memset(mem, 0, sizeof(mem));
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		bs_vm_set_engine(vm, (enum bs_engine)eng);
		assert_int_equal(bs_vm_load(vm, p, sizeof(p) / sizeof(p[0]), &err), 0);
		assert_int_equal(bs_vm_add_region(vm, "mem", mem, sizeof(mem), BS_REGION_RW, &args[0],
						  &err), 0);
		assert_int_equal(bs_vm_run_repeat(vm, args, 2, &res, &err), 0);
		assert_int_equal(res.retval, 2);
		assert_int_equal(res.insns_executed, 10);
		assert_int_equal(err.kind, BS_OK);
		assert_int_equal(bs_vm_run_repeat(vm, args, 5, &res, &err), -1);
		assert_int_equal(mem[0], 3);
		assert_int_equal(res.insns_executed, 5);
		assert_int_equal(err.pc, 4);
		assert_non_null(strstr(err.message, "mem off=64"));
		/* none: nothing runs */
		assert_int_equal(bs_vm_run_repeat(vm, args, 0, &res, &err), 0);
		assert_int_equal(res.insns_executed, 0);
		bs_vm_free(vm);
	}
	/* a debugger set up during the first run stops the next ones, and
	 * what a run left in err is gone after the next, as with bs_vm_run */
	const struct bs_insn q[] = {CALL_HELPER(1), MOV64_IMM(0, 1), MOV64_IMM(0, 2), EXIT()};
	for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT; eng++) {
		if (eng != BS_ENGINE_INTERP && !bs_jit_available())
			continue;
		for (int repeat = 0; repeat < 2; repeat++) {
			struct bs_vm *vm;
			int armed = 0;
			hook_calls = 0;
			assert_int_equal(bs_vm_new(&vm, &err), 0);
			assert_int_equal(bs_vm_set_helper(vm, 1, "arm", h_arm, &armed, &err), 0);
			bs_vm_set_engine(vm, (enum bs_engine)eng);
			assert_int_equal(bs_vm_load(vm, q, 4, &err), 0);
			if (repeat) {
				assert_int_equal(bs_vm_run_repeat(vm, NULL, 3, &res, &err), 0);
			} else {
				for (int i = 0; i < 3; i++)
					assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
			}
			/* the interpreter stops in the first run too, where the
			 * breakpoint was set; a JIT run, already going, does not */
			assert_int_equal(hook_calls, eng == BS_ENGINE_INTERP ? 3 : 2);
			assert_string_equal(err.message, "");
			assert_int_equal(res.retval, 2);
			bs_vm_free(vm);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_read_only_region),
		cmocka_unit_test(test_write_only_region),
		cmocka_unit_test(test_store_hook),
		cmocka_unit_test(test_deterministic_addresses),
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_fresh_stack),
		cmocka_unit_test(test_run_repeat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
