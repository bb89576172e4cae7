// SPDX-License-Identifier: MIT
/* The JIT: every row of the instruction table runs natively and agrees with
 * the interpreter; sandbox violations give the interpreter's error (kind,
 * pc, words) without touching host memory; the code is mapped W^X with an
 * offset per instruction; debugging falls back to the interpreter. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/array_helper.h"
#include "tests/jit_compare.h"
#include "tests/testutil.h"
#include "vm/isa.h"

/* Register values each ALU/jump row runs with: the edges the semantics name. */
static const uint64_t vals[] = {0, 1, 2, 7, 31, 32, 63, 64, 0x7fffffff, 0x80000000, 0xffffffff,
				0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
				~0ULL, 0xfffffffffffffffeULL, 0x123456789abcdef0ULL};
#define NVALS (sizeof(vals) / sizeof(vals[0]))

#define LDDW2(d, v) LD_IMM64_LO(d, v), LD_IMM64_HI(v)

/* One instruction of the row, with dst r1 and src r2 (memory: based on the
 * mem region in r6, or the stack). */
static struct bs_insn row_insn(enum vm_op op, int32_t imm, int16_t off)
{
	const struct vm_opinfo *info = &vm_ops[op];
	struct bs_insn in = INSN(info->code, 1, 2, 0, 0);
	if (info->disc == D_OFF)
		in.off = (int16_t)info->dval;
	if (info->disc == D_IMM)
		in.imm = info->dval;
	if (info->disc == D_SRC)
		in.src_reg = (uint8_t)info->dval;
	switch ((enum vm_form)info->form) {
	case F_ALU_K: case F_JMP_K:
		in.src_reg = 0;
		in.imm = imm;
		break;
	case F_NEG: case F_END:
		in.src_reg = 0;
		break;
	default:
		break;
	}
	if (info->form == F_JMP_K || info->form == F_JMP_X || info->form == F_JA)
		in.off = off;
	return in;
}

/* Every row of vm/isa.def: the JIT's coverage is this table. */
static void test_every_row(void **state)
{
	(void)state;
	unsigned ran = 0;
	for (int op = 0; op < VM_OP__COUNT; op++) {
		const struct vm_opinfo *info = &vm_ops[op];
		char what[96];
		snprintf(what, sizeof(what), "row %s", info->name);
		switch ((enum vm_form)info->form) {
		case F_ALU_K: case F_ALU_X: case F_NEG: case F_MOVSX: case F_END:
			for (size_t i = 0; i < NVALS; i++)
				for (size_t j = 0; j < NVALS; j += (info->form == F_ALU_X ? 1 : NVALS)) {
					int is_shift_k = info->form == F_ALU_K &&
							 ((info->code & 0xf0) == 0x60 || (info->code & 0xf0) == 0x70 ||
							  (info->code & 0xf0) == 0xc0);
					int32_t imm = is_shift_k ? (int32_t)(vals[i] & ((info->code & 7) == 7 ? 63 : 31))
								 : (int32_t)vals[i];
					if (info->form == F_ALU_K && ((info->code & 0xf0) == 0x30 ||
								      (info->code & 0xf0) == 0x90) && imm == 0)
						imm = -1;
					struct bs_insn p[] = {LDDW2(1, vals[(i + 5) % NVALS]), LDDW2(2, vals[j]),
							      row_insn(op, imm, 0), MOV64_REG(0, 1), EXIT()};
					if (info->form == F_ALU_K)
						p[2].imm = imm;
					else
						p[0] = (struct bs_insn)LD_IMM64_LO(1, vals[i]),
						p[1] = (struct bs_insn)LD_IMM64_HI(vals[i]);
					same(p, 7, what);
					ran++;
				}
			break;
		case F_JMP_K: case F_JMP_X:
			for (size_t i = 0; i < NVALS; i++)
				for (size_t j = 0; j < NVALS; j++) {
					struct bs_insn p[] = {LDDW2(1, vals[i]), LDDW2(2, vals[j]),
							      MOV64_IMM(0, 0), row_insn(op, (int32_t)vals[j], 1),
							      EXIT(), MOV64_IMM(0, 1), EXIT()};
					same(p, 9, what);
					ran++;
				}
			break;
		case F_LDX: case F_ST: case F_STX: case F_ATOMIC: case F_ATOMIC_FETCH: case F_XCHG:
		case F_CMPXCHG: case F_LOAD_ACQ: case F_STORE_REL:
			for (int base = 0; base < 2; base++)
				for (int16_t off = 0; off < 24; off += 5) {
					/* through the region (r6) and on the stack (r10) */
					struct bs_insn in = row_insn(op, 0x5a5a1234, 0);
					int reads = info->form == F_LDX || info->form == F_LOAD_ACQ;
					if (reads) {
						in.src_reg = base ? 10 : 6;
						in.off = (int16_t)(base ? -32 + off : off);
					} else {
						in.dst_reg = base ? 10 : 6;
						in.off = (int16_t)(base ? -32 + off : off);
					}
					if (info->form == F_ST)
						in.imm = -7;
					if (info->form == F_ATOMIC || info->form == F_ATOMIC_FETCH ||
					    info->form == F_XCHG || info->form == F_CMPXCHG)
						in.imm = info->dval;
					if (info->form == F_LOAD_ACQ || info->form == F_STORE_REL)
						in.imm = info->dval;
					struct bs_insn p[] = {MOV64_REG(6, 1), LDDW2(1, 0x8877665544332211ULL),
							      LDDW2(2, 0xf0e1d2c3b4a59687ULL), LDDW2(0, 0x44332211),
							      STX(SZ_DW, 10, 2, -32), STX(SZ_DW, 10, 1, -24),
							      STX(SZ_DW, 10, 2, -16), STX(SZ_DW, 10, 1, -8),
							      in, LDX(SZ_DW, 3, 10, -32), ALU64_REG(0xa0, 0, 3),
							      LDX(SZ_DW, 3, 10, -24), ALU64_REG(0xa0, 0, 3),
							      ALU64_REG(0xa0, 0, 1), ALU64_REG(0xa0, 0, 2), EXIT()};
					same(p, sizeof(p) / sizeof(p[0]), what);
					ran++;
				}
			break;
		case F_LDDW: {
			struct bs_insn p[] = {INSN(0x18, 0, (uint8_t)info->dval, 0, info->dval == 4 ? 1 : 0x1234),
					      LD_IMM64_HI(0), EXIT(), MOV64_IMM(0, 3), EXIT()};
			if (info->dval == 4)
				p[1].imm = 0;
			same(p, 5, what);
			ran++;
			break;
		}
		case F_LD_ABS: case F_LD_IND:
			for (int32_t k = -2; k < 68; k += 3) {
				struct bs_insn p[] = {MOV64_IMM(2, 3), MOV64_REG(6, 1), row_insn(op, k, 0),
						      ALU64_IMM(0x00, 0, 1), EXIT()};
				p[2].src_reg = info->form == F_LD_IND ? 2 : 0;
				p[2].dst_reg = 0;
				same(p, 5, what);
				ran++;
			}
			break;
		case F_JA: case F_GOTOL: case F_MAY_GOTO: {
			struct bs_insn p[] = {MOV64_IMM(0, 1), INSN(info->code, 0, 0, 1, 0), EXIT(),
					      MOV64_IMM(0, 2), EXIT()};
			if (info->form == F_GOTOL)
				p[1].off = 0, p[1].imm = 1;
			if (info->form == F_MAY_GOTO)
				p[1].src_reg = 0;
			same(p, 5, what);
			/* a loop: may_goto ends it, the others run out of budget at the same pc */
			struct bs_insn q[] = {MOV64_IMM(0, 1), ALU64_IMM(0x00, 0, 1), INSN(info->code, 0, 0, -2, 0),
					      EXIT()};
			if (info->form == F_GOTOL)
				q[2].off = 0, q[2].imm = -2;
			same(q, 4, what);
			ran += 2;
			break;
		}
		case F_CALL: {
			struct bs_insn p[] = {MOV64_IMM(1, 5), MOV64_IMM(2, 6), MOV64_IMM(5, 100),
					      CALL_HELPER(1), EXIT()};
			same(p, 5, what);
			ran++;
			break;
		}
		case F_CALL_LOCAL: {
			struct bs_insn p[] = {MOV64_IMM(6, 9), ST(SZ_DW, 10, -8, 77), CALL_LOCAL(3),
					      LDX(SZ_DW, 1, 10, -8), ALU64_REG(0x00, 0, 1), EXIT(),
					      ST(SZ_DW, 10, -8, 5), MOV64_IMM(6, 1), MOV64_REG(0, 10), EXIT()};
			same(p, 10, what);
			/* recursion until the frames run out */
			struct bs_insn q[] = {MOV64_IMM(0, 0), CALL_LOCAL(-1), EXIT()};
			same(q, 3, what);
			ran += 2;
			break;
		}
		case F_EXIT: {
			struct bs_insn p[] = {MOV64_IMM(0, 42), EXIT()};
			same(p, 2, what);
			ran++;
			break;
		}
		case F_CALL_KFUNC: case F_ADDR_SPACE_CAST: {
			/* refused when loading, by every engine */
			struct bs_insn p[] = {row_insn(op, 1, 0), MOV64_IMM(0, 0), EXIT()};
			struct outcome o;
			run_engine(p, 3, BS_ENGINE_JIT, &o);
			assert_int_not_equal(o.load_rc, 0);
			ran++;
			break;
		}
		default:
			print_message("row %s: form %d has no test here\n", info->name, info->form);
			fail();
		}
	}
	assert_true(ran > VM_OP__COUNT);
}

/* Accesses outside the regions: the interpreter's error, at the same pc,
 * and host memory next to the regions untouched. */
static void test_sandbox(void **state)
{
	(void)state;
	static uint64_t host_var = 0x1122334455667788ULL;
	uint64_t host = (uint64_t)(uintptr_t)&host_var;
	const struct {
		const char *what;
		struct bs_insn p[6];
		size_t n;
	} cases[] = {
		{"past the region", {LDX(SZ_W, 0, 1, 62), EXIT()}, 2},
		{"before the region", {ST(SZ_B, 1, -1, 1), MOV64_IMM(0, 0), EXIT()}, 3},
		{"below the frame", {LDX(SZ_DW, 0, 10, -520), EXIT()}, 2},
		{"above the stack", {STX(SZ_DW, 10, 1, 0), MOV64_IMM(0, 0), EXIT()}, 3},
		{"null", {MOV64_IMM(2, 0), LDX(SZ_DW, 0, 2, 0), EXIT()}, 3},
		{"a host address", {LDDW2(2, host), LDX(SZ_DW, 0, 2, 0), EXIT()}, 4},
		{"a host store", {LDDW2(2, host), ST(SZ_DW, 2, 0, 0), MOV64_IMM(0, 0), EXIT()}, 5},
		{"atomic past the end", {MOV64_IMM(2, 1), INSN(0xdb, 1, 2, 60, 0x01), MOV64_IMM(0, 0), EXIT()}, 4},
		{"wrapping", {LDDW2(2, ~0ULL - 2), LDX(SZ_DW, 0, 2, 0), EXIT()}, 4},
		{"stack through a copy", {MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -600), LDX(SZ_B, 0, 2, 0), EXIT()}, 4},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outcome a, b;
		run_engine(cases[i].p, cases[i].n, BS_ENGINE_INTERP, &a);
		run_engine(cases[i].p, cases[i].n, BS_ENGINE_JIT, &b);
		assert_int_equal(a.rc, -1);
		assert_int_equal(a.err.kind, BS_ERR_MEMORY);
		same(cases[i].p, cases[i].n, cases[i].what);
		assert_int_equal(b.err.pc, a.err.pc);
		assert_string_equal(b.err.message, a.err.message);
	}
	assert_int_equal(host_var, 0x1122334455667788ULL);
}

/* Copies of r10 moved by constants are frame pointers the JIT does not
 * check inside the frame, and checks past it: the interpreter's results. */
static void test_frame_pointer_copies(void **state)
{
	(void)state;
	const struct {
		const char *what;
		struct bs_insn p[10];
		size_t n;
	} cases[] = {
		{"in the frame", {MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -8), ST(SZ_DW, 2, 0, 7),
		  MOV64_REG(3, 2), ALU64_IMM(0x10, 3, 8), ST(SZ_W, 3, 4, 9), LDX(SZ_DW, 0, 10, -8),
		  LDX(SZ_DW, 4, 10, -16), ALU64_REG(0x00, 0, 4), EXIT()}, 10},
		{"across the top", {MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -4), ST(SZ_DW, 2, 0, 1),
		  MOV64_IMM(0, 0), EXIT()}, 5},
		{"below the frame", {MOV64_REG(2, 10), ALU64_IMM(0x10, 2, 512), LDX(SZ_B, 0, 2, -1),
		  EXIT()}, 4},
		{"overwritten", {MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -8), MOV64_REG(2, 1),
		  LDX(SZ_DW, 0, 2, 0), EXIT()}, 5},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same(cases[i].p, cases[i].n, cases[i].what);
}

/* Accesses inside the values of two arrays, each in its own region, one
 * right after the other, and a division between two in one value: each
 * reaches its own region (x86-64 keeps a region's place in a scratch
 * register between accesses to it; the division uses that register). */
static void test_values_of_two_arrays(void **state)
{
	(void)state;
#define LOOKUP_R1B (LOOKUP_R1 + 0x1000)
	struct bs_insn p[] = {
		ST(SZ_W, 10, -4, 1),
		MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -4), LD_IMM64_LO(1, LOOKUP_R1),
		LD_IMM64_HI(LOOKUP_R1), CALL_HELPER(1), JMP_IMM(0x10, 0, 0, 14),
		MOV64_REG(6, 0),
		MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -4), LD_IMM64_LO(1, LOOKUP_R1B),
		LD_IMM64_HI(LOOKUP_R1B), CALL_HELPER(2), JMP_IMM(0x10, 0, 0, 7),
		LDX(SZ_DW, 3, 6, 0),        /* the first array's value */
		LDX(SZ_DW, 4, 0, 0),        /* the second's, right after */
		ALU64_IMM(0x30, 3, 7),
		LDX(SZ_DW, 5, 0, 8),
		ALU64_REG(0x00, 3, 4), ALU64_REG(0x00, 3, 5), MOV64_REG(0, 3), EXIT(),
	};
#undef LOOKUP_R1B
	uint8_t a[64], b[64];
	for (size_t i = 0; i < 64; i++) {
		a[i] = (uint8_t)(i * 7 + 3);
		b[i] = (uint8_t)(i * 13 + 5);
	}
	uint64_t a0, b0, b8;
	memcpy(&a0, a + 16, 8);
	memcpy(&b0, b + 16, 8);
	memcpy(&b8, b + 24, 8);
	for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT_UNCHECKED; eng++) {
		struct bs_vm *vm;
		struct bs_error err;
		struct bs_run_result res;
		struct test_array ea = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
		struct test_array eb = {.r1 = LOOKUP_R1 + 0x1000, .stride = 16, .n = 4};
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(test_array_register(vm, 1, &ea, &err), 0);
		assert_int_equal(test_array_register(vm, 2, &eb, &err), 0);
		bs_vm_set_engine(vm, (enum bs_engine)eng);
		assert_int_equal(bs_vm_load(vm, p, sizeof(p) / sizeof(p[0]), &err), 0);
		assert_int_equal(bs_vm_add_region(vm, "a", a, sizeof(a), BS_REGION_RW, &ea.base, &err), 0);
		assert_int_equal(bs_vm_add_region(vm, "b", b, sizeof(b), BS_REGION_RW, &eb.base, &err), 0);
		for (int run = 0; run < 2; run++) {
			assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
			assert_int_equal(res.retval, a0 / 7 + b0 + b8);
		}
		assert_int_equal(ea.calls + eb.calls, 0);
		bs_vm_free(vm);
	}
}

/* Every atomic, both widths, inside a value an inline lookup found, with
 * the value's address in r0 (which the fetching or/and/xor borrows on
 * x86-64) or in r6: what the interpreter does, to registers and memory. */
static void test_atomics_in_values(void **state)
{
	(void)state;
	static const int32_t ops[] = {0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1};
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		for (int wide = 0; wide < 2; wide++)
			for (int base = 0; base <= 6; base += 6) {
				struct bs_insn p[] = {
					ST(SZ_W, 10, -4, 1),
					MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -4), LD_IMM64_LO(1, LOOKUP_R1),
					LD_IMM64_HI(LOOKUP_R1), CALL_HELPER(1), JMP_IMM(0x10, 0, 0, 5),
					MOV64_REG(6, 0),
					LD_IMM64_LO(3, 0x0ff000f0f00f0ff0ULL), LD_IMM64_HI(0x0ff000f0f00f0ff0ULL),
					INSN(wide ? 0xdb : 0xc3, (uint8_t)base, 3, 4, ops[k]),
					ALU64_REG(0xa0, 0, 3),
					EXIT(),
				};
				uint8_t mem[3][64];
				uint64_t regs[3][BS_MAX_REG], r0[3];
				int rcs[3];
				for (int j = 0; j < 3; j++) {
					int eng = j;  /* interpreter, JIT, unchecked JIT */
					struct bs_vm *vm;
					struct bs_error err;
					struct bs_run_result res = {0};
					struct test_array e = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
					for (size_t i = 0; i < 64; i++)
						mem[j][i] = (uint8_t)(i * 29 + 7);
					assert_int_equal(bs_vm_new(&vm, &err), 0);
					assert_int_equal(test_array_register(vm, 1, &e, &err), 0);
					bs_vm_set_engine(vm, (enum bs_engine)eng);
					assert_int_equal(bs_vm_load(vm, p, sizeof(p) / sizeof(p[0]), &err), 0);
					assert_int_equal(bs_vm_add_region(vm, "a", mem[j], 64, BS_REGION_RW, &e.base,
									  &err), 0);
					rcs[j] = bs_vm_run(vm, NULL, &res, &err);
					r0[j] = res.retval;
					memcpy(regs[j], bs_vm_regs(vm), sizeof(regs[j]));
					bs_vm_free(vm);
				}
				for (int j = 1; j < 3; j++)
					if (rcs[0] != rcs[j] || r0[0] != r0[j] ||
					    memcmp(regs[0], regs[j], sizeof(regs[0])) || memcmp(mem[0], mem[j], 64))
						fail_msg("atomic 0x%x, %s, address in r%d: engine %d differs",
							 ops[k], wide ? "64-bit" : "32-bit", base, j);
			}
}

/* The code is mapped read+exec, never writable, with one offset per instruction. */
static void test_code_mapping(void **state)
{
	(void)state;
	struct bs_insn p[] = {MOV64_IMM(0, 1), LDDW2(1, 5), JMP_IMM(0x10, 1, 5, 1), MOV64_IMM(0, 2), EXIT()};
	struct bs_vm *vm;
	struct bs_error err;
	const uint8_t *code;
	const uint32_t *offs;
	size_t len;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_load(vm, p, 6, &err), 0);
	assert_int_equal(bs_vm_jit_code(vm, 0, &code, &len, &offs, &err), 0);
	for (size_t pc = 0; pc < 6; pc++)
		assert_true(offs[pc] <= offs[pc + 1]);
	assert_int_equal(offs[2], offs[3]);  /* lddw's second slot: no code */
	assert_true(offs[6] <= len);
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[512];
	int found = 0;
	uintptr_t at = (uintptr_t)code;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && at >= lo && at < hi) {
			found = 1;
			assert_true(perms[0] == 'r' && perms[1] == '-' && perms[2] == 'x');
		}
	}
	fclose(f);
	assert_true(found);
	/* a reload makes new code for the new program */
	struct bs_insn q[] = {MOV64_IMM(0, 9), EXIT()};
	struct bs_run_result res;
	bs_vm_set_engine(vm, BS_ENGINE_JIT);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	assert_int_equal(res.retval, 1);  /* r1 == 5: the jump skips r0 = 2 */
	assert_int_equal(bs_vm_load(vm, q, 2, &err), 0);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	assert_int_equal(res.retval, 9);
	bs_vm_free(vm);
}

/* A helper that describes itself as an array lookup runs inline, for keys
 * on the stack, in the JITs and the interpreter (the helper is not called)
 * with the helper's results; a key elsewhere takes the helper, and the x86-64
 * JIT then reads it inline where it was the time before; registering the
 * helper again drops the inline code and what the call sites remember. */
static void test_inline_array_lookup(void **state)
{
	(void)state;
	uint8_t mem[64];
	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 3 + 1);
	mem[8] = 2;  /* a key in the region: 2 */
	mem[9] = mem[10] = mem[11] = 0;
	struct bs_insn p[] = {
		MOV64_REG(7, 1),                                                       /* the region */
		ST(SZ_W, 10, -4, 3), LOOKUP_AND_READ(10, -4), MOV64_REG(6, 0),      /* key 3, stack */
		ST(SZ_W, 10, -4, 4), LOOKUP_AND_READ(10, -4), ALU64_REG(0x00, 6, 0), /* key 4: NULL */
		LOOKUP_AND_READ(7, 8), ALU64_REG(0x00, 6, 0),                         /* key 2, region */
		MOV64_REG(0, 6), EXIT(),
	};
	size_t n = sizeof(p) / sizeof(p[0]);
	uint64_t want = 0, v;
	memcpy(&v, mem + 48, 8);
	want += v;
	memcpy(&v, mem + 32, 8);
	want += v;
	for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT; eng++) {
		struct bs_vm *vm;
		struct bs_error err;
		struct bs_run_result res;
		struct test_array e = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(test_array_register(vm, 1, &e, &err), 0);
		bs_vm_set_engine(vm, (enum bs_engine)eng);
		assert_int_equal(bs_vm_load(vm, p, n, &err), 0);
		uint64_t args[5] = {0};
		assert_int_equal(bs_vm_add_region(vm, "mem", mem, sizeof(mem), BS_REGION_RW, &e.base,
						  &err), 0);
		args[0] = e.base;
		assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
		assert_int_equal(res.retval, want);
		/* the helper is called for the key outside the stack only, and by
		 * an x86-64 JIT only the first time (then its memo knows where) */
		int memo = eng != BS_ENGINE_INTERP && JIT_KEY_MEMOS;
		assert_int_equal(e.calls, 1);
		assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
		assert_int_equal(res.retval, want);
		assert_int_equal(e.calls, memo ? 1 : 2);
		/* registered again without a description: every call is a call */
		assert_int_equal(bs_vm_set_helper(vm, 1, "lookup", test_array_call, &e, &err), 0);
		assert_int_equal(bs_vm_run(vm, args, &res, &err), 0);
		assert_int_equal(res.retval, want);
		assert_int_equal(e.calls, memo ? 4 : 5);
		bs_vm_free(vm);
	}
	/* through the value a lookup found, past a test against 0: no check
	 * inside the value, the interpreter's errors past it or into a
	 * read-only array; the count goes on across the call */
	const struct {
		const char *what;
		struct bs_insn p[12];
		size_t n;
		unsigned flags;
	} through[] = {
		{"in the value", {ST(SZ_W, 10, -4, 1), LOOKUP(10, -4), JMP_IMM(0x10, 0, 0, 2),
		  STX(SZ_W, 0, 10, 12), LDX(SZ_W, 0, 0, 12), EXIT()}, 10, BS_REGION_RW},
		{"past the array", {ST(SZ_W, 10, -4, 3), LOOKUP(10, -4), JMP_IMM(0x10, 0, 0, 1),
		  LDX(SZ_W, 0, 0, 16), EXIT()}, 9, BS_REGION_RW},
		{"a read-only array", {ST(SZ_W, 10, -4, 0), LOOKUP(10, -4), JMP_IMM(0x10, 0, 0, 1),
		  ST(SZ_DW, 0, 8, 5), EXIT()}, 9, BS_REGION_READ},
		{"not tested", {ST(SZ_W, 10, -4, 9), LOOKUP(10, -4), LDX(SZ_B, 0, 0, 1), EXIT()}, 8,
		 BS_REGION_RW},
	};
	for (size_t i = 0; i < sizeof(through) / sizeof(through[0]); i++) {
		struct bs_error errs[2];
		struct bs_run_result res[2];
		int rcs[2];
		for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT; eng++) {
			struct bs_vm *vm;
			struct test_array e = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
			uint8_t copy[64];
			memcpy(copy, mem, sizeof(copy));
			assert_int_equal(bs_vm_new(&vm, &errs[eng]), 0);
			assert_int_equal(test_array_register(vm, 1, &e, &errs[eng]), 0);
			bs_vm_set_engine(vm, (enum bs_engine)eng);
			assert_int_equal(bs_vm_load(vm, through[i].p, through[i].n, &errs[eng]), 0);
			assert_int_equal(bs_vm_add_region(vm, "mem", copy, sizeof(copy), through[i].flags,
							  &e.base, &errs[eng]), 0);
			memset(&res[eng], 0, sizeof(res[eng]));
			rcs[eng] = bs_vm_run(vm, NULL, &res[eng], &errs[eng]);
			/* keys on the stack: no call */
			assert_int_equal(e.calls, 0);
			bs_vm_free(vm);
		}
		print_message("%s: rc %d r0 %" PRIu64 " %s\n", through[i].what, rcs[0], res[0].retval,
			      rcs[0] ? errs[0].message : "");
		assert_int_equal(rcs[1], rcs[0]);
		assert_int_equal(res[1].retval, res[0].retval);
		assert_int_equal(res[1].insns_executed, res[0].insns_executed);
		if (rcs[0]) {
			assert_int_equal(errs[1].pc, errs[0].pc);
			assert_string_equal(errs[1].message, errs[0].message);
		}
	}
	/* the tail call is the VM's own: it cannot be described as a lookup */
	{
		struct bs_vm *vm;
		struct bs_error err;
		struct test_array e = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(bs_vm_set_helper(vm, 12, "tail", test_array_call, &e, &err), 0);
		assert_int_equal(bs_vm_set_helper_array(vm, 12, test_array_describe, &err), -1);
		assert_int_equal(bs_vm_set_helper_array(vm, 13, test_array_describe, &err), -1);
		bs_vm_free(vm);
	}
	/* keys the helper refuses or cannot read: the same errors as the interpreter */
	const struct {
		const char *what;
		struct bs_insn p[8];
		size_t n;
	} bad[] = {
		{"key below the frame", {MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -600), LD_IMM64_LO(1, LOOKUP_R1),
		   LD_IMM64_HI(LOOKUP_R1), CALL_HELPER(1), EXIT()}, 6},
		{"key past the region", {MOV64_REG(2, 1), ALU64_IMM(0x00, 2, 62), LD_IMM64_LO(1, LOOKUP_R1),
		   LD_IMM64_HI(LOOKUP_R1), CALL_HELPER(1), EXIT()}, 6},
		{"another r1", {ST(SZ_W, 10, -4, 1), MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -4),
		   LD_IMM64_LO(1, LOOKUP_R1 + 1), LD_IMM64_HI(LOOKUP_R1 + 1), CALL_HELPER(1), EXIT()}, 7},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bs_error errs[2];
		int rcs[2];
		for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT; eng++) {
			struct bs_vm *vm;
			struct bs_run_result res;
			struct test_array e = {.r1 = LOOKUP_R1, .stride = 16, .n = 4};
			struct bs_error *err = &errs[eng];
			assert_int_equal(bs_vm_new(&vm, err), 0);
			assert_int_equal(test_array_register(vm, 1, &e, err), 0);
			bs_vm_set_engine(vm, (enum bs_engine)eng);
			assert_int_equal(bs_vm_load(vm, bad[i].p, bad[i].n, err), 0);
			uint64_t args[5] = {0};
			assert_int_equal(bs_vm_add_region(vm, "mem", mem, sizeof(mem), BS_REGION_RW,
							  &e.base, err), 0);
			args[0] = e.base;
			rcs[eng] = bs_vm_run(vm, args, &res, err);
			bs_vm_free(vm);
		}
		print_message("%s: %s\n", bad[i].what, errs[0].message);
		assert_int_equal(rcs[0], -1);
		assert_int_equal(rcs[1], -1);
		assert_int_equal(errs[1].kind, errs[0].kind);
		assert_int_equal(errs[1].pc, errs[0].pc);
		assert_string_equal(errs[1].message, errs[0].message);
	}
}

static int h_register(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err,
		      void *u)
{
	(void)a; (void)u;
	*r0 = 40;
	return bs_vm_set_helper(vm, 2, "add", h_add, NULL, err);
}

/* A helper may register helpers while native code runs: the code goes
 * only before the next run (freeing it under the running program would
 * return into unmapped memory). */
static void test_register_during_run(void **state)
{
	(void)state;
	struct bs_insn p[] = {CALL_HELPER(1), ALU64_IMM(0x00, 0, 2), EXIT()};
	for (int eng = BS_ENGINE_INTERP; eng <= BS_ENGINE_JIT; eng++) {
		struct bs_vm *vm;
		struct bs_error err;
		struct bs_run_result res;
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(bs_vm_set_helper(vm, 1, "register", h_register, NULL, &err), 0);
		bs_vm_set_engine(vm, (enum bs_engine)eng);
		assert_int_equal(bs_vm_load(vm, p, 3, &err), 0);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
			assert_int_equal(res.retval, 42);
		}
		bs_vm_free(vm);
	}
}

static int stops;

static int count_stop(struct bs_vm *vm, enum bs_stop_reason why, struct bs_error *err, void *user)
{
	(void)why; (void)err; (void)user;
	stops++;
	bs_vm_stop_at(vm, bs_vm_executed(vm) + 1);
	return 0;
}

/* A stop hook means a debugger: the interpreter runs, stopping everywhere. */
static void test_debugger_uses_interp(void **state)
{
	(void)state;
	struct bs_insn p[] = {MOV64_IMM(0, 1), ALU64_IMM(0x00, 0, 2), EXIT()};
	struct bs_vm *vm;
	struct bs_error err;
	struct bs_run_result res;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	bs_vm_set_engine(vm, BS_ENGINE_JIT);
	assert_int_equal(bs_vm_load(vm, p, 3, &err), 0);
	bs_vm_set_stop_hook(vm, count_stop, NULL);
	bs_vm_stop_at(vm, 0);
	stops = 0;
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	assert_int_equal(res.retval, 3);
	assert_int_equal(stops, 3);
	bs_vm_free(vm);
}

int main(void)
{
	if (!bs_jit_available()) {
		printf("no JIT on this host; skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row),
		cmocka_unit_test(test_sandbox),
		cmocka_unit_test(test_code_mapping),
		cmocka_unit_test(test_debugger_uses_interp),
		cmocka_unit_test(test_inline_array_lookup),
		cmocka_unit_test(test_frame_pointer_copies),
		cmocka_unit_test(test_values_of_two_arrays),
		cmocka_unit_test(test_atomics_in_values),
		cmocka_unit_test(test_register_during_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
