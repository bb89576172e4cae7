// SPDX-License-Identifier: MIT
/* The x86-64 JIT's counted loops (jit/loops.c, docs/jit.md "Counted loops
 * checked once"): every form it reads gives the interpreter's results,
 * counts and errors, under every budget, run once or again; the check at
 * the head passes where every round fits and fails where one does not.
 * Elsewhere (arm64) the same programs must agree too, without copies. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/array_helper.h"
#include "tests/jit_compare.h"
#include "tests/testutil.h"

/* Counted loops over the 64-byte region, each back-edge form the JIT reads,
 * every step and a limit on each side of the region's end: the check at the
 * head lets the unchecked copy run only when every round fits, so the last
 * round's fault (or its absence) is the interpreter's. */
static void test_counted_loops(void **state)
{
	(void)state;
	const struct bs_insn back[] = {
		JMP_IMM(0x50, 2, 0, -7), JMP_IMM(0xa0, 2, 0, -7), JMP_IMM(0xb0, 2, 0, -7),
		JMP_IMM(0xc0, 2, 0, -7), JMP_IMM(0xd0, 2, 0, -7), JMP_REG(0x20, 5, 2, -7),
		JMP_REG(0x30, 5, 2, -7), JMP_REG(0x60, 5, 2, -7), JMP_REG(0x70, 5, 2, -7),
		JMP_REG(0xa0, 2, 5, -7),
	};
	/* rotated, as clang writes many loops: an exit test (+1: past the
	 * goto, to the exit), then goto head */
	const struct bs_insn leave[] = {
		JMP_IMM(0x10, 2, 0, 1), JMP_IMM(0x30, 2, 0, 1), JMP_IMM(0x20, 2, 0, 1),
		JMP_IMM(0x70, 2, 0, 1), JMP_IMM(0x60, 2, 0, 1), JMP_REG(0xb0, 5, 2, 1),
		JMP_REG(0xa0, 5, 2, 1), JMP_REG(0xd0, 5, 2, 1), JMP_REG(0xc0, 5, 2, 1),
	};
	static const int32_t steps[] = {1, 2, 3, 4, 8};
	static const struct { uint8_t sz; int16_t off; } acc[] = {{SZ_B, 0}, {SZ_B, 3}, {SZ_DW, 0},
								  {SZ_DW, 5}};
	char what[96];
	size_t nback = sizeof(back) / sizeof(back[0]), nleave = sizeof(leave) / sizeof(leave[0]);
	for (size_t f = 0; f < nback + nleave; f++)
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
			for (size_t a = 0; a < sizeof(acc) / sizeof(acc[0]); a++)
				for (int32_t l = 44; l <= 66; l++) {
					/* and limits whose unsigned form wraps */
					static const int32_t wide[] = {-1, -2, INT32_MIN, INT32_MAX};
					int32_t lim = l < 48 ? wide[l - 44] : l;
					struct bs_insn p[] = {
						MOV64_IMM(2, (int32_t)(k & 1)), MOV64_IMM(5, lim),
						MOV64_REG(3, 1), ALU64_REG(0x00, 3, 2),
						LDX(acc[a].sz, 4, 3, acc[a].off),
						STX(acc[a].sz, 3, 4, acc[a].off), ALU64_REG(0x00, 0, 4),
						ALU64_IMM(0x00, 2, steps[k]), EXIT(), EXIT(), EXIT(),
					};
					const struct bs_insn back_to_head = INSN(0x05, 0, 0, -8, 0);  /* goto head */
					p[8] = f < nback ? back[f] : leave[f - nback];
					if (f >= nback)
						p[9] = back_to_head;
					if (p[8].src_reg == 0)
						p[8].imm = lim;
					snprintf(what, sizeof(what), "loop: back edge %zu, step %d, access %zu, limit %d",
						 f, steps[k], a, lim);
					same(p, f < nback ? 10 : 11, what);
				}
	/* bounded only by the pointer it reads through, as verified packet
	 * loops are: if (p + i + k > end) goto out, with end past the region
	 * or not, and a test of each kind on each side */
	static const uint8_t ptr_tests[] = {0x2d, 0x3d, 0x6d, 0x7d};
	for (size_t t = 0; t < sizeof(ptr_tests); t++)
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
			for (size_t a = 0; a < sizeof(acc) / sizeof(acc[0]); a++)
				for (int32_t end = 56; end <= 72; end++) {
					int32_t reach = acc[a].off + (acc[a].sz == SZ_B ? 1 : 8);
					struct bs_insn p[] = {
						MOV64_IMM(2, (int32_t)(k & 1)), MOV64_REG(6, 1),
						ALU64_IMM(0x00, 6, end), MOV64_REG(3, 1),
						ALU64_REG(0x00, 3, 2), MOV64_REG(7, 3),
						ALU64_IMM(0x00, 7, reach), INSN(ptr_tests[t], 7, 6, 4, 0),
						LDX(acc[a].sz, 4, 3, acc[a].off), ALU64_REG(0x00, 0, 4),
						ALU64_IMM(0x00, 2, steps[k]), INSN(0x05, 0, 0, -9, 0),
						EXIT(),
					};
					snprintf(what, sizeof(what), "pointer loop: test %zu, step %d, access %zu, end %d",
						 t, steps[k], a, end);
					same(p, sizeof(p) / sizeof(p[0]), what);
				}
	/* a loop copying the region into a stack buffer through r10 + i: the
	 * stack's range is checked against the frame, its accesses made from
	 * the VM's place; the buffer is read back after the loop */
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
		for (int32_t lim = 50; lim <= 70; lim++)
			for (int16_t off = -1; off <= 1; off++) {
				struct bs_insn p[] = {
					MOV64_IMM(2, (int32_t)(k & 1)), MOV64_REG(3, 1),
					ALU64_REG(0x00, 3, 2), LDX(SZ_B, 4, 3, 0), MOV64_REG(5, 10),
					ALU64_IMM(0x00, 5, -64), ALU64_REG(0x00, 5, 2),
					STX(SZ_B, 5, 4, off), ALU64_REG(0x00, 0, 4),
					ALU64_IMM(0x00, 2, steps[k]), JMP_IMM(0xa0, 2, lim, -10),
					LDX(SZ_DW, 6, 10, -64), ALU64_REG(0x00, 0, 6),
					LDX(SZ_DW, 6, 10, -16), ALU64_REG(0x00, 0, 6),
					LDX(SZ_DW, 6, 10, -8), ALU64_REG(0x00, 0, 6), EXIT(),
				};
				snprintf(what, sizeof(what), "stack loop: step %d, limit %d, offset %d",
					 steps[k], lim, off);
				same(p, sizeof(p) / sizeof(p[0]), what);
			}
	/* the checks at the heads pass where every round fits (x86-64): a
	 * counted loop over the region, a pointer loop whose end is the
	 * region's; and fail where the last round would not fit */
	struct bs_insn counted[] = {
		MOV64_IMM(2, 0), MOV64_REG(3, 1), ALU64_REG(0x00, 3, 2), LDX(SZ_B, 4, 3, 0),
		ALU64_IMM(0x00, 2, 1), JMP_IMM(0x50, 2, 64, -5), EXIT(),
	};
	struct bs_insn pointer[] = {
		MOV64_IMM(2, 0), MOV64_REG(6, 1), ALU64_IMM(0x00, 6, 64), MOV64_REG(3, 1),
		ALU64_REG(0x00, 3, 2), MOV64_REG(7, 3), ALU64_IMM(0x00, 7, 8),
		INSN(0x2d, 7, 6, 4, 0), LDX(SZ_DW, 4, 3, 0), ALU64_REG(0x00, 0, 4),
		ALU64_IMM(0x00, 2, 8), INSN(0x05, 0, 0, -9, 0), EXIT(),
	};
	struct bs_insn stack[] = {
		MOV64_IMM(2, 0), MOV64_REG(3, 10), ALU64_IMM(0x00, 3, -64), ALU64_REG(0x00, 3, 2),
		ST(SZ_DW, 3, 0, 7), ALU64_IMM(0x00, 2, 8), JMP_IMM(0xa0, 2, 64, -6), EXIT(),
	};
	for (int past = 0; past < 2; past++) {
		counted[5].imm = 64 + past;
		pointer[2].imm = 64 + 8 * past;
		stack[6].imm = 64 + past;
		struct outcome o;
		run_engine(stack, 8, BS_ENGINE_JIT, &o);
		assert_int_equal(o.loop_passed, JIT_LOOP_COPIES && !past);
		assert_int_equal(o.loop_failed, JIT_LOOP_COPIES && past);
		run_engine(counted, 7, BS_ENGINE_JIT, &o);
		bool x86 = JIT_LOOP_COPIES;
		assert_int_equal(o.loop_passed, x86 && !past);
		assert_int_equal(o.loop_failed, x86 && past);
		run_engine(pointer, 13, BS_ENGINE_JIT, &o);
		assert_int_equal(o.loop_passed, x86 && !past);
		assert_int_equal(o.loop_failed, x86 && past);
	}
	/* the budget running out in any round, or just after the last: the
	 * interpreter's count and error (the copy charges a round at once, so
	 * the check at the head must see the budget cover every round) */
	struct bs_insn exact[] = {
		MOV64_IMM(2, 0), MOV64_REG(3, 1), ALU64_REG(0x00, 3, 2), LDX(SZ_B, 4, 3, 0),
		JMP_IMM(0x10, 4, 0x42, 2), ALU64_IMM(0x00, 2, 1), JMP_IMM(0x50, 2, 64, -6), EXIT(),
	};
	/* leaving at the byte 0x44 (the fourth round) or never */
	for (int leave = 0; leave < 2; leave++) {
		exact[4].imm = leave ? 0x44 : 0x142;
		for (budget = 1; budget <= 64 * 6 + 4; budget++) {
			snprintf(what, sizeof(what), "loop: budget %" PRIu64 ", leaving %d", budget, leave);
			same(exact, sizeof(exact) / sizeof(exact[0]), what);
		}
	}
	budget = 10000;
	/* run again in the same VM (x86-64: the check's memo answers at the
	 * head), under every budget: the memo's charge must still be covered */
	exact[4].imm = 0x44;
	for (budget_again = 1; budget_again <= 64 * 6 + 4; budget_again++) {
		snprintf(what, sizeof(what), "loop run again: budget %" PRIu64, budget_again);
		same(exact, sizeof(exact) / sizeof(exact[0]), what);
	}
	budget_again = 0;
	struct outcome twice;
	budget_again = 10000;
	counted[5].imm = 64;
	run_engine(counted, 7, BS_ENGINE_JIT, &twice);
	budget_again = 0;
	assert_int_equal(twice.loop_passed, 2 * JIT_LOOP_COPIES);
	/* planned (x86-64): this loop; not one with a call, nor one compared in
	 * 32 bits */
	struct bs_insn p[] = {
		MOV64_IMM(2, 0), MOV64_REG(3, 1), ALU64_REG(0x00, 3, 2), LDX(SZ_B, 4, 3, 0),
		ALU64_IMM(0x00, 2, 1), JMP_IMM(0x50, 2, 64, -5), EXIT(),
	};
	struct bs_insn with_call[] = {
		MOV64_IMM(2, 0), MOV64_REG(3, 1), ALU64_REG(0x00, 3, 2), CALL_HELPER(1),
		ALU64_IMM(0x00, 2, 1), JMP_IMM(0x50, 2, 64, -5), EXIT(),
	};
	struct bs_insn cmp32[] = {
		MOV64_IMM(2, 0), MOV64_REG(3, 1), ALU64_REG(0x00, 3, 2), LDX(SZ_B, 4, 3, 0),
		ALU64_IMM(0x00, 2, 1), INSN(0x56, 2, 0, -5, 64), EXIT(),
	};
	const struct bs_insn *progs[] = {p, with_call, cmp32};
	for (size_t i = 0; i < 3; i++) {
		struct bs_vm *vm;
		struct bs_error err;
		struct bs_jit_loop loops[2];
		size_t n = 9;
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(bs_vm_set_helper(vm, 1, "add", h_add, NULL, &err), 0);
		assert_int_equal(bs_vm_load(vm, progs[i], 7, &err), 0);
		assert_int_equal(bs_vm_jit_loops(vm, 0, loops, 2, &n, &err), 0);
#if defined(__x86_64__)
		assert_int_equal(n, i == 0);
		if (n) {
			assert_int_equal(loops[0].head, 1);
			assert_int_equal(loops[0].end, 5);
			assert_true(loops[0].offsets[0] < loops[0].code_end);
		}
#else
		assert_int_equal(n, 0);
#endif
		bs_vm_free(vm);
	}
}

/* One run of a loop of inline lookups (test_lookup_loops), under eng. */
struct lookup_run {
	int rc;
	struct bs_run_result res;
	struct bs_error err;
	uint64_t regs[BS_MAX_REG];
	uint8_t mem[64];
	int calls;
	uint64_t passed;
};

static void lookup_run(const struct bs_insn *p, size_t n, enum bs_engine eng, uint64_t b1,
		       uint64_t b2, unsigned flags, struct lookup_run *o)
{
	struct bs_vm *vm;
	struct test_array e = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < sizeof(o->mem); i++)
		o->mem[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(bs_vm_new(&vm, &o->err), 0);
	assert_int_equal(test_array_register(vm, 1, &e, &o->err), 0);
	bs_vm_set_engine(vm, eng);
	assert_int_equal(bs_vm_load(vm, p, n, &o->err), 0);
	uint64_t args[5] = {0};
	assert_int_equal(bs_vm_add_region(vm, "mem", o->mem, sizeof(o->mem), flags, &e.base,
					  &o->err), 0);
	args[0] = e.base;
	bs_vm_set_budget(vm, b1);
	o->rc = bs_vm_run(vm, args, &o->res, &o->err);
	if (b2) {
		bs_vm_set_budget(vm, b2);
		o->rc = bs_vm_run(vm, args, &o->res, &o->err);
	}
	memcpy(o->regs, bs_vm_regs(vm), sizeof(o->regs));
	o->calls = e.calls;
	struct bs_jit_loop loops[2];
	size_t nl = 0;
	struct bs_error e2;
	if (eng != BS_ENGINE_INTERP && bs_vm_jit_loops(vm, 0, loops, 2, &nl, &e2) == 0 && nl)
		o->passed = loops[0].passed;
	bs_vm_free(vm);
}

/* Hashes over the region in a counted loop, which runs in the copy
 * without checks on x86-64: multiplications by constants the JITs make
 * shifts and adds of (r11 borrowed on x86-64, where r10 holds the copy's
 * host - guest difference) and the pairs fused into one instruction, a
 * shift and mask and a shift left and back; under budgets that end in
 * each of the first rounds, then every 37th instruction past the whole
 * run (17 a round). */
static void test_hash_loops(void **state)
{
	(void)state;
	static const int32_t factors[] = {31, 33, 5, 12, 0x7fffffff, 0x40000001, 9 << 27, 11};
	char what[96];
	for (size_t f = 0; f < sizeof(factors) / sizeof(factors[0]); f++) {
		struct bs_insn p[] = {
			MOV64_IMM(2, 0), MOV64_IMM(0, 0),
			MOV64_REG(3, 1), ALU64_REG(0x00, 3, 2), LDX(SZ_B, 4, 3, 0),
			ALU64_IMM(0x20, 0, factors[f]), ALU64_REG(0x00, 0, 4),
			MOV64_REG(5, 0), ALU64_IMM(0x70, 5, 3), ALU64_IMM(0x50, 5, 0x1fffffff),
			ALU32_IMM(0x20, 5, factors[f]), ALU64_REG(0xa0, 0, 5),
			MOV64_REG(4, 0), ALU64_IMM(0x60, 4, 32), ALU64_IMM(0xc0, 4, 32),
			STX(SZ_B, 3, 4, 0), ALU64_REG(0x00, 0, 4),
			ALU64_IMM(0x00, 2, 1), JMP_IMM(0x50, 2, 64, -17), EXIT(),
		};
		size_t n = sizeof(p) / sizeof(p[0]);
		struct outcome o;
		run_engine(p, n, BS_ENGINE_JIT, &o);
		assert_int_equal(o.loop_passed, JIT_LOOP_COPIES);
		for (budget = 1; budget <= 64 * 17 + 8; budget += budget < 40 ? 1 : 37) {
			snprintf(what, sizeof(what), "hash loop: times %" PRId32 ", budget %" PRIu64,
				 factors[f], budget);
			same(p, n, what);
		}
		budget = 10000;
		snprintf(what, sizeof(what), "hash loop: times %" PRId32, factors[f]);
		same(p, n, what);
	}
}

/* Counted loops that look up an array inline with a key in the frame
 * (map_lookups' shape: key = p[i] & mask, the value read and bumped, out
 * of the loop where the lookup finds none): the copy without checks on
 * x86-64, the interpreter's results under every budget, run once or twice,
 * over a writable or a read-only array (whose stores fault). */
static void test_lookup_loops(void **state)
{
	(void)state;
	struct bs_insn p[] = {
		MOV64_REG(7, 1), MOV64_IMM(8, 0), MOV64_IMM(6, 0),
		MOV64_REG(1, 7), ALU64_REG(0x00, 1, 8), LDX(SZ_B, 1, 1, 0), ALU64_IMM(0x50, 1, 3),
		STX(SZ_W, 10, 1, -4), LOOKUP(10, -4), JMP_IMM(0x10, 0, 0, 6),
		LDX(SZ_DW, 1, 0, 0), ALU64_REG(0x00, 6, 1), ALU64_IMM(0x00, 1, 1),
		STX(SZ_DW, 0, 1, 0), ALU64_IMM(0x00, 8, 1), JMP_IMM(0x50, 8, 40, -17),
		MOV64_REG(0, 6), EXIT(),
	};
	size_t n = sizeof(p) / sizeof(p[0]);
	char what[96];
	static const int32_t masks[] = {3, 7};  /* every key found, or some not */
	static const unsigned flags[] = {BS_REGION_RW, BS_REGION_READ};
	for (size_t m = 0; m < 2; m++)
		for (size_t f = 0; f < 2; f++)
			for (uint64_t b = 1; b <= 16 * 40 + 8; b += (b < 40 ? 1 : 7))
				for (int again = 0; again < 2; again++) {
					p[6].imm = masks[m];
					struct lookup_run r[2];
					lookup_run(p, n, BS_ENGINE_INTERP, again ? 100000 : b,
						   again ? b : 0, flags[f], &r[0]);
					lookup_run(p, n, BS_ENGINE_JIT, again ? 100000 : b, again ? b : 0,
						   flags[f], &r[1]);
					snprintf(what, sizeof(what), "lookup loop: mask %d, %s, budget %" PRIu64
						 "%s", masks[m], f ? "read-only" : "writable", b,
						 again ? ", run again" : "");
					if (r[0].rc != r[1].rc || r[0].res.retval != r[1].res.retval ||
					    r[0].res.insns_executed != r[1].res.insns_executed ||
					    r[0].err.pc != r[1].err.pc || r[0].err.kind != r[1].err.kind ||
					    memcmp(r[0].regs, r[1].regs, sizeof(r[0].regs)) ||
					    memcmp(r[0].mem, r[1].mem, sizeof(r[0].mem)) ||
					    r[0].calls != r[1].calls) {
						print_message("%s: interp rc %d insns %" PRIu64 " '%s'; jit rc %d "
							      "insns %" PRIu64 " '%s'\n", what, r[0].rc,
							      r[0].res.insns_executed, r[0].err.message, r[1].rc,
							      r[1].res.insns_executed, r[1].err.message);
						fail();
					}
				}
	/* with the budget to spare, the copy runs (x86-64), its check found
	 * in the memo the second time */
	struct lookup_run r;
	p[6].imm = 3;
	lookup_run(p, n, BS_ENGINE_JIT, 100000, 100000, BS_REGION_RW, &r);
	assert_int_equal(r.passed, 2 * JIT_LOOP_COPIES);
	assert_int_equal(r.calls, 0);
}

int main(void)
{
	if (!bs_jit_available()) {
		printf("no JIT on this host; skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counted_loops),
		cmocka_unit_test(test_lookup_loops),
		cmocka_unit_test(test_hash_loops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
