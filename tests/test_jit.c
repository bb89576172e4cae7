// SPDX-License-Identifier: MIT
/* The JIT: every row of the instruction table runs natively and agrees with
 * the interpreter; sandbox violations give the interpreter's error (kind,
 * pc, words) without touching host memory; the code is mapped W^X with an
 * offset per instruction; debugging falls back to the interpreter. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/array_helper.h"
#include "tests/testutil.h"
#include "vm/isa.h"

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

/* Whether this host's JIT remembers where a key off the stack was, and
 * reads it there inline the next time (x86-64; arm64 calls the helper for
 * such keys) */
#if defined(__x86_64__)
#define JIT_KEY_MEMOS 1
#else
#define JIT_KEY_MEMOS 0
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
		assert_int_equal(o.loop_passed, JIT_KEY_MEMOS && !past);
		assert_int_equal(o.loop_failed, JIT_KEY_MEMOS && past);
		run_engine(counted, 7, BS_ENGINE_JIT, &o);
		bool x86 = JIT_KEY_MEMOS;
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
	assert_int_equal(twice.loop_passed, 2 * JIT_KEY_MEMOS);
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
	assert_int_equal(r.passed, 2 * JIT_KEY_MEMOS);
	assert_int_equal(r.calls, 0);
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
		cmocka_unit_test(test_register_during_run),
		cmocka_unit_test(test_counted_loops),
		cmocka_unit_test(test_lookup_loops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
