/* SPDX-License-Identifier: MIT */
/* What the JIT tests share (tests/test_jit.c, tests/test_jit_loops.c): a
 * program run under one engine over a 64-byte region, and the check that
 * the JITs give the interpreter's outcome; the array lookup the JITs do
 * inline. */
#ifndef BS_TESTS_JIT_COMPARE_H
#define BS_TESTS_JIT_COMPARE_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/testutil.h"

struct outcome {
	int load_rc, rc;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t regs[BS_MAX_REG];
	uint8_t mem[64];
	uint64_t loop_passed, loop_failed;  /* the JIT's checks at loop heads */
};

static int h_add(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)vm; (void)err; (void)u;
	*r0 = a[0] + a[1] * 3 + a[4];
	return 0;
}

static int resolver(struct bs_vm *vm, size_t pc, const struct bs_insn *insn, uint64_t *value,
		    struct bs_error *err, void *user)
{
	(void)vm; (void)pc; (void)err; (void)user;
	*value = 0x1000000 + (uint64_t)insn->src_reg;
	return 0;
}

static const uint8_t mem_init[64] = {
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
	0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	0x45, 0x00, 0x00, 0x54, 0, 0, 0x40, 0, 0x40, 1, 0, 0, 10, 0, 0, 1,
};

/* the budget run_engine gives a run */
static uint64_t budget = 10000;
/* non-zero: each VM runs the program a second time, with this budget, and
 * the outcome is that run's (what the first left in memory included) */
static uint64_t budget_again;

static void run_engine(const struct bs_insn *prog, size_t n, enum bs_engine eng, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->mem, mem_init, sizeof(o->mem));
	struct bs_vm *vm;
	assert_int_equal(bs_vm_new(&vm, &o->err), 0);
	assert_int_equal(bs_vm_set_helper(vm, 1, "add", h_add, NULL, &o->err), 0);
	bs_vm_set_lddw_resolver(vm, resolver, NULL);
	bs_vm_set_engine(vm, eng);
	bs_vm_set_budget(vm, budget);
	uint64_t args[5] = {0, sizeof(o->mem), 0x8000000000000000ULL, 0xffffffffULL, 7};
	o->load_rc = bs_vm_load(vm, prog, n, &o->err);
	if (!o->load_rc) {
		assert_int_equal(bs_vm_add_region(vm, "mem", o->mem, sizeof(o->mem), BS_REGION_RW,
						  &args[0], &o->err), 0);
		bs_vm_set_packet(vm, o->mem, sizeof(o->mem), 0, 0, 0);
		o->rc = bs_vm_run(vm, args, &o->res, &o->err);
		if (budget_again) {
			bs_vm_set_budget(vm, budget_again);
			o->rc = bs_vm_run(vm, args, &o->res, &o->err);
		}
		memcpy(o->regs, bs_vm_regs(vm), sizeof(o->regs));
		struct bs_jit_loop loops[4];
		size_t nl = 0;
		struct bs_error e;
		if (eng != BS_ENGINE_INTERP && bs_vm_jit_loops(vm, 0, loops, 4, &nl, &e) == 0)
			for (size_t l = 0; l < nl && l < 4; l++) {
				o->loop_passed += loops[l].passed;
				o->loop_failed += loops[l].failed;
			}
	}
	bs_vm_free(vm);
}

static void same(const struct bs_insn *prog, size_t n, const char *what)
{
	struct outcome a, b, c;
	run_engine(prog, n, BS_ENGINE_INTERP, &a);
	run_engine(prog, n, BS_ENGINE_JIT, &b);
	run_engine(prog, n, BS_ENGINE_JIT_UNCHECKED, &c);
	const struct outcome *o[2] = {&b, &c};
	for (int k = 0; k < 2; k++) {
		if (a.load_rc != o[k]->load_rc || a.rc != o[k]->rc || a.err.kind != o[k]->err.kind ||
		    a.err.pc != o[k]->err.pc || strcmp(a.err.message, o[k]->err.message) ||
		    a.res.retval != o[k]->res.retval ||
		    a.res.insns_executed != o[k]->res.insns_executed ||
		    memcmp(a.regs, o[k]->regs, sizeof(a.regs)) || memcmp(a.mem, o[k]->mem, sizeof(a.mem))) {
			print_message("%s (%s): interp rc %d r0 0x%" PRIx64 " insns %" PRIu64
				      " err '%s' at %ld; jit rc %d r0 0x%" PRIx64 " insns %" PRIu64
				      " err '%s' at %ld\n",
				      what, k ? "unchecked" : "checked", a.rc, a.res.retval,
				      a.res.insns_executed, a.err.message, a.err.pc, o[k]->rc,
				      o[k]->res.retval, o[k]->res.insns_executed, o[k]->err.message,
				      o[k]->err.pc);
			fail();
		}
	}
}

/* Whether this host's JIT remembers where a key off the stack was, and
 * reads it there inline the next time (x86-64; arm64 calls the helper for
 * such keys) */
#if defined(__x86_64__)
#define JIT_KEY_MEMOS 1
#else
#define JIT_KEY_MEMOS 0
#endif

/* Whether this host's JIT runs counted loops in a copy without memory
 * checks (x86-64) */
#if defined(__x86_64__)
#define JIT_LOOP_COPIES 1
#else
#define JIT_LOOP_COPIES 0
#endif

/* r1 of the array lookup helper (tests/array_helper.h): 4 values of 16 bytes */
#define LOOKUP_R1 0xffff900000001000ULL

/* r0 = the address of the key's value (0 if none), key at r2 */
#define LOOKUP(r2_from, r2_off)                                                                 \
	MOV64_REG(2, r2_from), ALU64_IMM(0x00, 2, r2_off), LD_IMM64_LO(1, LOOKUP_R1),           \
		LD_IMM64_HI(LOOKUP_R1), CALL_HELPER(1)

/* r0 = the key's value (0 if none), key at r2 */
#define LOOKUP_AND_READ(r2_from, r2_off)                                                        \
	MOV64_REG(2, r2_from), ALU64_IMM(0x00, 2, r2_off), LD_IMM64_LO(1, LOOKUP_R1),           \
		LD_IMM64_HI(LOOKUP_R1), CALL_HELPER(1), JMP_IMM(0x10, 0, 0, 1),                  \
		LDX(SZ_DW, 0, 0, 0)

#endif
