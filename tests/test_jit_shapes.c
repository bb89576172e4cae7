// SPDX-License-Identifier: MIT
/* What the JITs make of particular instructions, each checked against the
 * interpreter: pairs that are one instruction (jit_pair), multiplications
 * by constants made of shifts and adds (jit_mul_shape), the budget charged
 * across forward jumps inside a block (jit_plan_blocks), the handover to
 * the interpreter when a block does not fit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/array_helper.h"
#include "tests/jit_compare.h"
#include "tests/testutil.h"

/* A move and an addition to the same register are one lea on x86-64: at
 * each width, with the addition's source the moved register itself, and
 * with a jump into the addition (then they stay two). Run with r1 the
 * region, r2 64, r3 2^63, r4 2^32 - 1, r5 7. */
static void test_moves_fused(void **state)
{
	(void)state;
	const struct {
		const char *what;
		struct bs_insn p[6];
		size_t n;
	} cases[] = {
		{"64, constant", {MOV64_REG(0, 3), ALU64_IMM(0x00, 0, -1), EXIT()}, 3},
		{"32, constant wraps", {MOV64_IMM(0, -1), ALU32_REG(0xb0, 0, 4), ALU32_IMM(0x00, 0, 9),
		  EXIT()}, 4},
		{"32, high half dropped", {ALU32_REG(0xb0, 0, 3), ALU32_IMM(0x00, 0, -1), EXIT()}, 3},
		{"64, itself", {MOV64_REG(0, 4), ALU64_REG(0x00, 0, 0), EXIT()}, 3},
		{"32, itself", {ALU32_REG(0xb0, 0, 4), ALU32_REG(0x00, 0, 0), EXIT()}, 3},
		{"64, another", {MOV64_REG(6, 5), ALU64_REG(0x00, 6, 4), MOV64_REG(0, 6), EXIT()}, 4},
		{"32, another wraps", {ALU32_REG(0xb0, 7, 4), ALU32_REG(0x00, 7, 5), MOV64_REG(0, 7),
		  EXIT()}, 4},
		{"64, the source", {MOV64_REG(0, 3), ALU64_REG(0x00, 0, 3), EXIT()}, 3},
		{"the frame", {MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -8), ST(SZ_DW, 2, 0, 5),
		  LDX(SZ_DW, 0, 10, -8), EXIT()}, 5},
		{"a jump into the addition", {MOV64_IMM(0, 100), JMP_IMM(0x10, 5, 7, 1),
		  MOV64_REG(0, 4), ALU64_IMM(0x00, 0, 1), EXIT()}, 5},
		{"widths differ", {MOV64_REG(0, 4), ALU32_IMM(0x00, 0, 1), EXIT()}, 3},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same(cases[i].p, cases[i].n, cases[i].what);
}

/* A 64-bit right shift by k and a mask of the 32 - k bits left are one
 * 32-bit shift: each k's pair at its edges and between, on values with
 * the high half set, into registers the backends treat apart; a mask one
 * off, a 32-bit shift or mask, another register's mask and a jump into the
 * mask are left two. A shift left by 32 and back, logical or arithmetic,
 * is one move; other counts, a 32-bit shift and a jump between are not. */
static void test_shift_masks(void **state)
{
	(void)state;
	static const uint64_t values[] = {0xfedcba9876543210ULL, ~0ULL, 0x80000001ULL, 0x1ffffffffULL};
	static const int dsts[] = {0, 4, 6, 7, 9};
	char what[96];
	for (int32_t k = 1; k <= 31; k++)
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			int d = dsts[(size_t)k % 5];
			int32_t mask = (int32_t)((1u << (32 - k)) - 1);
			struct bs_insn p[] = {
				LD_IMM64_LO(d, values[v]), LD_IMM64_HI(values[v]),
				ALU64_IMM(0x70, d, k), ALU64_IMM(0x50, d, mask), MOV64_REG(0, d), EXIT(),
			};
			snprintf(what, sizeof(what), "r%d >> %" PRId32 " & 0x%" PRIx32 " on 0x%" PRIx64, d,
				 k, (uint32_t)mask, values[v]);
			same(p, sizeof(p) / sizeof(p[0]), what);
		}
	const struct {
		const char *what;
		struct bs_insn p[9];
		size_t n;
	} cases[] = {
		{"mask one over", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x70, 0, 4),
		  ALU64_IMM(0x50, 0, 0x10000000), EXIT()}, 5},
		{"mask one under", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x70, 0, 4),
		  ALU64_IMM(0x50, 0, 0x0ffffffe), EXIT()}, 5},
		{"32-bit shift", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU32_IMM(0x70, 0, 4),
		  ALU64_IMM(0x50, 0, 0x0fffffff), EXIT()}, 5},
		{"32-bit mask", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x70, 0, 4),
		  ALU32_IMM(0x50, 0, 0x0fffffff), EXIT()}, 5},
		{"another register", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), MOV64_REG(3, 0),
		  ALU64_IMM(0x70, 0, 4), ALU64_IMM(0x50, 3, 0x0fffffff), ALU64_REG(0x00, 0, 3), EXIT()}, 7},
		{"a jump into the mask", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), JMP_IMM(0x10, 0, -1, 1),
		  ALU64_IMM(0x70, 0, 4), ALU64_IMM(0x50, 0, 0x0fffffff), EXIT()}, 6},
		{"shift of 0, mask of all", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x70, 0, 0),
		  ALU64_IMM(0x50, 0, -1), EXIT()}, 5},
		{"shift of 32, mask of none", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x70, 0, 32),
		  ALU64_IMM(0x50, 0, 0), EXIT()}, 5},
		{"shift of 33", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x70, 0, 33),
		  ALU64_IMM(0x50, 0, 0x7fffffff), EXIT()}, 5},
		/* << 32 then >> 32 or s>> 32: one move that extends the low half */
		{"zero-extended", {LD_IMM64_LO(4, 0x123456789abcdef0ULL), LD_IMM64_HI(0x123456789abcdef0ULL),
		  ALU64_IMM(0x60, 4, 32), ALU64_IMM(0x70, 4, 32), MOV64_REG(0, 4), EXIT()}, 6},
		{"sign-extended", {LD_IMM64_LO(7, 0x123456789abcdef0ULL), LD_IMM64_HI(0x123456789abcdef0ULL),
		  ALU64_IMM(0x60, 7, 32), ALU64_IMM(0xc0, 7, 32), MOV64_REG(0, 7), EXIT()}, 6},
		{"sign-extended, positive", {LD_IMM64_LO(0, 0xfedcba987fffffffULL),
		  LD_IMM64_HI(0xfedcba987fffffffULL), ALU64_IMM(0x60, 0, 32), ALU64_IMM(0xc0, 0, 32), EXIT()}, 5},
		{"shifts of 31", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x60, 0, 31),
		  ALU64_IMM(0x70, 0, 31), EXIT()}, 5},
		{"shifts of 32 and 31", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x60, 0, 32),
		  ALU64_IMM(0xc0, 0, 31), EXIT()}, 5},
		{"32-bit shift back", {LD_IMM64_LO(0, ~0ULL), LD_IMM64_HI(~0ULL), ALU64_IMM(0x60, 0, 32),
		  ALU32_IMM(0x70, 0, 0), EXIT()}, 5},
		{"a jump into the shift back", {LD_IMM64_LO(9, 0x123456789abcdef0ULL),
		  LD_IMM64_HI(0x123456789abcdef0ULL), JMP_IMM(0x50, 9, 0, 1),
		  ALU64_IMM(0x60, 9, 32), ALU64_IMM(0xc0, 9, 32), MOV64_REG(0, 9), EXIT()}, 7},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same(cases[i].p, cases[i].n, cases[i].what);
}

/* Multiplications by a constant, which the JITs make shifts and adds of
 * where the factor has the shape (jit_mul_shape): each shape at its
 * smallest and largest factor, factors of no shape, negative factors; both
 * widths, into registers the backends treat apart; values whose products
 * wrap and whose high half a 32-bit product drops. */
static void test_multiplies(void **state)
{
	(void)state;
	static const int32_t factors[] = {
		2, 4, 1 << 30,                                      /* 2^n */
		3, 5, 9, 6, 40, 72, 3 << 29, 5 << 28, 9 << 27,      /* 3, 5, 9 times 2^n */
		17, 33, 65537, 0x40000001,                          /* 2^n + 1 */
		7, 15, 31, 255, 0x7fffffff,                         /* 2^n - 1 */
		0, 1, 11, 100, 0x12345678, -1, -2, -31, -33, INT32_MIN, /* no shape */
	};
	static const uint64_t values[] = {0x8765432187654321ULL, ~0ULL, 0x123456789ULL, 7,
					  0x80000000ULL};
	static const int dsts[] = {0, 4, 6, 7, 9};
	char what[96];
	for (size_t f = 0; f < sizeof(factors) / sizeof(factors[0]); f++)
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
			for (int w = 0; w < 2; w++) {
				int d = dsts[(f + v) % 5];
				struct bs_insn p[] = {
					LD_IMM64_LO(d, values[v]), LD_IMM64_HI(values[v]),
					INSN(w ? 0x27 : 0x24, d, 0, 0, factors[f]),
					MOV64_REG(0, d), EXIT(),
				};
				snprintf(what, sizeof(what), "r%d *= %" PRId32 " (%s) on 0x%" PRIx64, d,
					 factors[f], w ? "64" : "32", values[v]);
				same(p, sizeof(p) / sizeof(p[0]), what);
			}
}

/* A multiplication that borrows x86-64's r11 between two loads from the
 * value an inline lookup found, which keep the value's region in r11 */
static void test_multiply_in_value(void **state)
{
	(void)state;
	struct bs_insn p[] = {
		ST(SZ_W, 10, -4, 1),
		LOOKUP(10, -4),
		JMP_IMM(0x10, 0, 0, 8),
		LDX(SZ_DW, 3, 0, 0),
		ALU64_IMM(0x20, 3, 31),
		LDX(SZ_DW, 5, 0, 8),
		ALU64_IMM(0x20, 5, 33),
		LDX(SZ_DW, 4, 0, 0),
		ALU64_REG(0x00, 3, 5), ALU64_REG(0x00, 3, 4), MOV64_REG(0, 3), EXIT(),
	};
	uint8_t a[64];
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 7 + 3);
	uint64_t v0, v8;
	memcpy(&v0, a + 16, 8);
	memcpy(&v8, a + 24, 8);
	for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT_UNCHECKED; eng++) {
		struct bs_vm *vm;
		struct bs_error err;
		struct bs_run_result res;
		struct test_array ea = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(test_array_register(vm, 1, &ea, &err), 0);
		bs_vm_set_engine(vm, (enum bs_engine)eng);
		assert_int_equal(bs_vm_load(vm, p, sizeof(p) / sizeof(p[0]), &err), 0);
		assert_int_equal(bs_vm_add_region(vm, "a", a, sizeof(a), BS_REGION_RW, &ea.base, &err), 0);
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.retval, v0 * 31 + v8 * 33 + v0);
		assert_int_equal(ea.calls, 0);
		bs_vm_free(vm);
	}
}

/* Forward jumps inside a block (x86-64 charges such a block once, where it
 * starts, and gives back what a taken jump skips): a bitwise CRC's skips,
 * under every budget; a target also jumped to from an earlier block, which
 * starts a block of its own, taken from either side or neither. */
static void test_skips_in_blocks(void **state)
{
	(void)state;
	char what[96];
	struct bs_insn crc[64];
	size_t n = 0;
	crc[n++] = (struct bs_insn)MOV64_REG(0, 4);
	for (int bit = 0; bit < 8; bit++) {
		crc[n++] = (struct bs_insn)MOV64_REG(3, 0);
		crc[n++] = (struct bs_insn)ALU64_IMM(0x50, 3, 1);
		crc[n++] = (struct bs_insn)ALU64_IMM(0x70, 0, 1);
		crc[n++] = (struct bs_insn)JMP_IMM(0x10, 3, 0, 1);
		crc[n++] = (struct bs_insn)ALU32_IMM(0xa0, 0, (int32_t)0xedb88320);
	}
	crc[n++] = (struct bs_insn)EXIT();
	for (budget = 1; budget <= 45; budget++) {
		snprintf(what, sizeof(what), "crc bits, budget %" PRIu64, budget);
		same(crc, n, what);
	}
	/* r5 is 7 (jit_compare.h's arguments); z is r0 at the inner jump or not */
	for (int32_t k = 6; k <= 7; k++)
		for (int32_t z = 0; z <= 1; z++)
			for (budget = 1; budget <= 9; budget++) {
				struct bs_insn outer[] = {
					MOV64_IMM(0, 0),
					JMP_IMM(0x10, 5, k, 4),   /* from the block before: to 6 */
					INSN(0x05, 0, 0, 0, 0),   /* goto +0: a block ends */
					ALU64_IMM(0x00, 0, 1),
					JMP_IMM(0x10, 0, z, 1),   /* from this block: over 5 to 6 */
					ALU64_IMM(0x00, 0, 4),
					ALU64_IMM(0x00, 0, 2),
					EXIT(),
				};
				struct bs_insn inner[] = {
					MOV64_IMM(0, 0),
					ALU64_IMM(0x00, 0, 1),
					JMP_IMM(0x10, 0, z, 2),   /* the only way to 5 but falling in */
					ALU64_IMM(0x00, 0, 4),
					ALU64_IMM(0x00, 0, 8),
					ALU64_IMM(0x00, 0, 2),
					EXIT(),
				};
				for (int again = 0; again < 2; again++) {
					/* and run again in the same VM under a budget one short */
					budget_again = !again ? 0 : budget > 1 ? budget - 1 : 1;
					snprintf(what, sizeof(what), "two blocks' jumps: %d %d, budget %" PRIu64
						 " again %" PRIu64, k, z, budget, budget_again);
					same(outer, sizeof(outer) / sizeof(outer[0]), what);
					snprintf(what, sizeof(what), "a jump in its block: %d, budget %" PRIu64
						 " again %" PRIu64, z, budget, budget_again);
					same(inner, sizeof(inner) / sizeof(inner[0]), what);
				}
				budget_again = 0;
			}
	budget = 10000;
}

/* A block that does not fit in the budget left is run by the interpreter
 * from its start, even where the path taken would have fitted: with the
 * function's may_goto allowance as the JIT left it (here spent by the
 * first loop, so the second one ends at once), under budgets around what
 * the run takes (up to 12 more: the block at 4 is 12 long). */
static void test_handover_keeps_may_goto(void **state)
{
	(void)state;
	char what[96];
	struct bs_insn p[] = {
		MOV64_IMM(0, 0),
		INSN(0xe5, 0, 0, 2, 0),        /* may_goto +2 */
		ALU64_IMM(0x00, 0, 1),
		INSN(0x05, 0, 0, -3, 0),       /* goto -3 */
		JMP_IMM(0x10, 5, 7, 10),       /* r5 is 7: over the block's ten adds */
		ALU64_IMM(0x00, 0, 100), ALU64_IMM(0x00, 0, 100), ALU64_IMM(0x00, 0, 100),
		ALU64_IMM(0x00, 0, 100), ALU64_IMM(0x00, 0, 100), ALU64_IMM(0x00, 0, 100),
		ALU64_IMM(0x00, 0, 100), ALU64_IMM(0x00, 0, 100), ALU64_IMM(0x00, 0, 100),
		ALU64_IMM(0x00, 0, 100),
		ALU64_IMM(0x00, 0, 1),
		INSN(0xe5, 0, 0, 1, 0),        /* may_goto +1 */
		INSN(0x05, 0, 0, -2, 0),       /* goto -2 */
		EXIT(),
	};
	size_t n = sizeof(p) / sizeof(p[0]);
	struct outcome o;
	budget = 0;  /* none */
	run_engine(p, n, BS_ENGINE_INTERP, &o);
	assert_int_equal(o.rc, 0);
	/* (each run takes 25M instructions: a few budgets, also under valgrind) */
	uint64_t all = o.res.insns_executed;
	static const int64_t around[] = {-1, 0, 6, 12};
	for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
		budget = all + (uint64_t)around[i];
		snprintf(what, sizeof(what), "may_goto after a handover, budget %" PRIu64, budget);
		same(p, n, what);
	}
	budget = 10000;
}

int main(void)
{
	if (!bs_jit_available()) {
		printf("no JIT on this host; skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moves_fused),
		cmocka_unit_test(test_shift_masks),
		cmocka_unit_test(test_multiplies),
		cmocka_unit_test(test_multiply_in_value),
		cmocka_unit_test(test_skips_in_blocks),
		cmocka_unit_test(test_handover_keeps_may_goto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
