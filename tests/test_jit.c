// SPDX-License-Identifier: MIT
/* The JIT: every row of the instruction table runs natively and agrees with
 * the interpreter; sandbox violations give the interpreter's error (kind,
 * pc, words) without touching host memory; the code is mapped W^X with an
 * offset per instruction; debugging falls back to the interpreter. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/testutil.h"
#include "vm/isa.h"

struct outcome {
	int load_rc, rc;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t regs[BS_MAX_REG];
	uint8_t mem[64];
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

static void run_engine(const struct bs_insn *prog, size_t n, enum bs_engine eng, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->mem, mem_init, sizeof(o->mem));
	struct bs_vm *vm;
	assert_int_equal(bs_vm_new(&vm, &o->err), 0);
	assert_int_equal(bs_vm_set_helper(vm, 1, "add", h_add, NULL, &o->err), 0);
	bs_vm_set_lddw_resolver(vm, resolver, NULL);
	bs_vm_set_engine(vm, eng);
	bs_vm_set_budget(vm, 10000);
	uint64_t args[5] = {0, sizeof(o->mem), 0x8000000000000000ULL, 0xffffffffULL, 7};
	o->load_rc = bs_vm_load(vm, prog, n, &o->err);
	if (!o->load_rc) {
		assert_int_equal(bs_vm_add_region(vm, "mem", o->mem, sizeof(o->mem), BS_REGION_RW,
						  &args[0], &o->err), 0);
		bs_vm_set_packet(vm, o->mem, sizeof(o->mem), 0, 0, 0);
		o->rc = bs_vm_run(vm, args, &o->res, &o->err);
		memcpy(o->regs, bs_vm_regs(vm), sizeof(o->regs));
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
