// SPDX-License-Identifier: MIT
/* Semantic edge cases of the interpreter, one row each, in the kernel's terms.
 * Every row runs under both dispatch modes. */
#include <stdio.h>
#include <string.h>

#include "tests/testutil.h"

struct row {
	const char *desc;
	struct bs_insn prog[24];
	size_t n;
	uint64_t expect;
};

#define P(...) .prog = {__VA_ARGS__}, .n = sizeof((struct bs_insn[]){__VA_ARGS__}) / 8
#define LDDW(d, v) LD_IMM64_LO(d, v), LD_IMM64_HI(v)

enum { ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60,
       RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0, MOV = 0xb0, ARSH = 0xc0,
       JEQ = 0x10, JGT = 0x20, JSGT = 0x60, JNE = 0x50 };

static const struct row rows[] = {
	{"alu32 result zero-extends: (u32)-1 + 1 = 0 in all 64 bits", P(MOV64_IMM(0, -1),
	  ALU32_IMM(ADD, 0, 1), EXIT()), 0},
	{"mov32 w0 = w0 clears the upper half", P(LDDW(0, 0xffffffff00000005ULL),
	  ALU32_REG(MOV, 0, 0), EXIT()), 5},
	{"mov64 imm sign-extends", P(MOV64_IMM(0, -2), EXIT()), 0xfffffffffffffffeULL},
	{"mov32 imm does not sign-extend", P(ALU32_IMM(MOV, 0, -2), EXIT()), 0xfffffffeULL},
	{"div64 by zero register gives 0", P(MOV64_IMM(0, 7), MOV64_IMM(1, 0),
	  ALU64_REG(DIV, 0, 1), EXIT()), 0},
	{"div32 by zero gives 0, upper half cleared", P(LDDW(0, 0x100000007ULL), MOV64_IMM(1, 0),
	  ALU32_REG(DIV, 0, 1), EXIT()), 0},
	{"mod64 by zero leaves dst", P(LDDW(0, 0x100000007ULL), MOV64_IMM(1, 0),
	  ALU64_REG(MOD, 0, 1), EXIT()), 0x100000007ULL},
	{"mod32 by zero leaves dst truncated to 32 bits", P(LDDW(0, 0x100000007ULL),
	  MOV64_IMM(1, 0), ALU32_REG(MOD, 0, 1), EXIT()), 7},
	{"div32 uses only the low 32 bits of the divisor", P(MOV64_IMM(0, 12),
	  LDDW(1, 0x100000003ULL), ALU32_REG(DIV, 0, 1), EXIT()), 4},
	{"div64 is unsigned", P(MOV64_IMM(0, -8), MOV64_IMM(1, 2), ALU64_REG(DIV, 0, 1), EXIT()),
	 0x7ffffffffffffffcULL},
	{"sdiv64 INT64_MIN / -1 = INT64_MIN", P(LDDW(0, 0x8000000000000000ULL),
	  INSN(0x37, 0, 0, 1, -1), EXIT()), 0x8000000000000000ULL},
	{"smod64 INT64_MIN % -1 = 0", P(LDDW(0, 0x8000000000000000ULL), MOV64_IMM(1, -1),
	  INSN(0x9f, 0, 1, 1, 0), EXIT()), 0},
	{"sdiv32 INT32_MIN / -1 = INT32_MIN zero-extended", P(ALU32_IMM(MOV, 0, INT32_MIN),
	  INSN(0x34, 0, 0, 1, -1), EXIT()), 0x80000000ULL},
	{"sdiv64 -7 / 2 = -3 (truncates toward zero)", P(MOV64_IMM(0, -7),
	  INSN(0x37, 0, 0, 1, 2), EXIT()), (uint64_t)-3},
	{"smod32 -7 % 2 = -1, as u32", P(ALU32_IMM(MOV, 0, -7), INSN(0x94, 0, 0, 1, 2), EXIT()),
	 0xffffffffULL},
	{"smod64 by zero leaves dst", P(MOV64_IMM(0, -7), MOV64_IMM(1, 0), INSN(0x9f, 0, 1, 1, 0),
	  EXIT()), (uint64_t)-7},
	{"sdiv64 by zero gives 0", P(MOV64_IMM(0, -7), MOV64_IMM(1, 0), INSN(0x3f, 0, 1, 1, 0),
	  EXIT()), 0},
	{"lsh64 count is masked to 6 bits", P(MOV64_IMM(0, 1), MOV64_IMM(1, 65),
	  ALU64_REG(LSH, 0, 1), EXIT()), 2},
	{"lsh32 count is masked to 5 bits", P(MOV64_IMM(0, 1), MOV64_IMM(1, 33),
	  ALU32_REG(LSH, 0, 1), EXIT()), 2},
	{"rsh32 of a 64-bit value looks at the low half only", P(LDDW(0, 0xf0000000f0000000ULL),
	  ALU32_IMM(RSH, 0, 4), EXIT()), 0x0f000000ULL},
	{"arsh32 sign-fills from bit 31 and zero-extends", P(ALU32_IMM(MOV, 0, INT32_MIN),
	  ALU32_IMM(ARSH, 0, 4), EXIT()), 0xf8000000ULL},
	{"arsh64 sign-fills from bit 63", P(LDDW(0, 0x8000000000000000ULL), ALU64_IMM(ARSH, 0, 63),
	  EXIT()), UINT64_MAX},
	{"neg32 of INT32_MIN stays, zero-extended", P(LDDW(0, 0xffffffff80000000ULL),
	  ALU32_IMM(NEG, 0, 0), EXIT()), 0x80000000ULL},
	{"mul32 truncates", P(MOV64_IMM(0, 0x10000), ALU32_IMM(MUL, 0, 0x10000), EXIT()), 0},
	{"le16 truncates", P(LDDW(0, 0x1122334455667788ULL), INSN(0xd4, 0, 0, 0, 16), EXIT()),
	 0x7788},
	{"le32 truncates", P(LDDW(0, 0x1122334455667788ULL), INSN(0xd4, 0, 0, 0, 32), EXIT()),
	 0x55667788},
	{"le64 keeps all", P(LDDW(0, 0x1122334455667788ULL), INSN(0xd4, 0, 0, 0, 64), EXIT()),
	 0x1122334455667788ULL},
	{"be16 swaps and truncates", P(LDDW(0, 0x1122334455667788ULL), INSN(0xdc, 0, 0, 0, 16),
	  EXIT()), 0x8877},
	{"be32 swaps and truncates", P(LDDW(0, 0x1122334455667788ULL), INSN(0xdc, 0, 0, 0, 32),
	  EXIT()), 0x88776655},
	{"be64 swaps", P(LDDW(0, 0x1122334455667788ULL), INSN(0xdc, 0, 0, 0, 64), EXIT()),
	 0x8877665544332211ULL},
	{"bswap16 (alu64) swaps and truncates", P(LDDW(0, 0x1122334455667788ULL),
	  INSN(0xd7, 0, 0, 0, 16), EXIT()), 0x8877},
	{"movsx64 s8", P(MOV64_IMM(1, 0x80), INSN(0xbf, 0, 1, 8, 0), EXIT()),
	 0xffffffffffffff80ULL},
	{"movsx32 s8 zero-extends the 32-bit result", P(MOV64_IMM(1, 0x80),
	  INSN(0xbc, 0, 1, 8, 0), EXIT()), 0xffffff80ULL},
	{"movsx32 s16", P(MOV64_IMM(1, 0x8001), INSN(0xbc, 0, 1, 16, 0), EXIT()), 0xffff8001ULL},
	{"movsx64 s32", P(ALU32_IMM(MOV, 1, INT32_MIN), INSN(0xbf, 0, 1, 32, 0), EXIT()),
	 0xffffffff80000000ULL},
	{"jmp32 compares the low 32 bits", P(LDDW(1, 0x100000000ULL), MOV64_IMM(0, 1),
	  INSN(0x16, 1, 0, 1, 0), MOV64_IMM(0, 2), EXIT()), 1},
	{"jmp64 compares all 64 bits", P(LDDW(1, 0x100000000ULL), MOV64_IMM(0, 1),
	  JMP_IMM(JEQ, 1, 0, 1), MOV64_IMM(0, 2), EXIT()), 2},
	{"jsgt is signed: -1 s> 1 is false", P(MOV64_IMM(1, -1), MOV64_IMM(0, 1),
	  JMP_IMM(JSGT, 1, 1, 1), MOV64_IMM(0, 2), EXIT()), 2},
	{"jgt is unsigned: -1 > 1 is true", P(MOV64_IMM(1, -1), MOV64_IMM(0, 1),
	  JMP_IMM(JGT, 1, 1, 1), MOV64_IMM(0, 2), EXIT()), 1},
	{"jmp K compares with the sign-extended imm", P(MOV64_IMM(1, -1), MOV64_IMM(0, 1),
	  JMP_IMM(JEQ, 1, -1, 1), MOV64_IMM(0, 2), EXIT()), 1},
	{"jmp32 K compares with the 32-bit imm", P(ALU32_IMM(MOV, 1, -1), MOV64_IMM(0, 1),
	  INSN(0x16, 1, 0, 1, -1), MOV64_IMM(0, 2), EXIT()), 1},
	{"gotol jumps by imm", P(MOV64_IMM(0, 1), INSN(0x06, 0, 0, 0, 1), MOV64_IMM(0, 2), EXIT()),
	 1},
	{"st dw sign-extends its imm", P(ST(SZ_DW, 10, -8, -1), LDX(SZ_DW, 0, 10, -8), EXIT()),
	 UINT64_MAX},
	{"ldxsb sign-extends", P(ST(SZ_B, 10, -1, 0x80), INSN(0x91, 0, 10, -1, 0), EXIT()),
	 0xffffffffffffff80ULL},
	{"ldxsh sign-extends", P(ST(SZ_H, 10, -2, 0x8000), INSN(0x89, 0, 10, -2, 0), EXIT()),
	 0xffffffffffff8000ULL},
	{"ldxsw sign-extends", P(ST(SZ_W, 10, -4, INT32_MIN), INSN(0x81, 0, 10, -4, 0), EXIT()),
	 0xffffffff80000000ULL},
	{"ldxw zero-extends", P(ST(SZ_W, 10, -4, -1), LDX(SZ_W, 0, 10, -4), EXIT()),
	 0xffffffffULL},
	{"the stack starts zeroed", P(LDX(SZ_DW, 0, 10, -512), EXIT()), 0},
	{"atomic fetch_add64 returns the old value in src", P(ST(SZ_DW, 10, -8, 5),
	  MOV64_IMM(1, 3), INSN(0xdb, 10, 1, -8, 0x01), MOV64_REG(0, 1), EXIT()), 5},
	{"atomic add64 updates memory", P(ST(SZ_DW, 10, -8, 5), MOV64_IMM(1, 3),
	  INSN(0xdb, 10, 1, -8, 0x00), LDX(SZ_DW, 0, 10, -8), EXIT()), 8},
	{"atomic fetch_or32 zero-extends the old value", P(ST(SZ_W, 10, -8, -1), MOV64_IMM(1, -1),
	  INSN(0xc3, 10, 1, -8, 0x41), MOV64_REG(0, 1), EXIT()), 0xffffffffULL},
	{"atomic fetch_and64", P(ST(SZ_DW, 10, -8, 0xff), MOV64_IMM(1, 0x0f),
	  INSN(0xdb, 10, 1, -8, 0x51), LDX(SZ_DW, 0, 10, -8), ALU64_REG(ADD, 0, 1), EXIT()),
	 0x0f + 0xff},
	{"atomic xor32 leaves the upper word", P(ST(SZ_DW, 10, -8, -1), MOV64_IMM(1, 1),
	  INSN(0xc3, 10, 1, -8, 0xa0), LDX(SZ_DW, 0, 10, -8), EXIT()), 0xfffffffffffffffeULL},
	{"xchg64 swaps", P(ST(SZ_DW, 10, -8, 7), MOV64_IMM(1, 9), INSN(0xdb, 10, 1, -8, 0xe1),
	  LDX(SZ_DW, 0, 10, -8), ALU64_IMM(MUL, 0, 100), ALU64_REG(ADD, 0, 1), EXIT()), 907},
	{"cmpxchg64 success stores src and loads the old value into r0", P(ST(SZ_DW, 10, -8, 7),
	  MOV64_IMM(0, 7), MOV64_IMM(1, 9), INSN(0xdb, 10, 1, -8, 0xf1), LDX(SZ_DW, 2, 10, -8),
	  ALU64_IMM(MUL, 0, 100), ALU64_REG(ADD, 0, 2), EXIT()), 709},
	{"cmpxchg64 failure keeps memory and loads it into r0", P(ST(SZ_DW, 10, -8, 7),
	  MOV64_IMM(0, 8), MOV64_IMM(1, 9), INSN(0xdb, 10, 1, -8, 0xf1), LDX(SZ_DW, 2, 10, -8),
	  ALU64_IMM(MUL, 0, 100), ALU64_REG(ADD, 0, 2), EXIT()), 707},
	{"cmpxchg32 compares the low 32 bits of r0 and zero-extends", P(ST(SZ_W, 10, -8, 7),
	  LDDW(0, 0x500000007ULL), MOV64_IMM(1, 9), INSN(0xc3, 10, 1, -8, 0xf1),
	  LDX(SZ_W, 2, 10, -8), ALU64_IMM(MUL, 0, 100), ALU64_REG(ADD, 0, 2), EXIT()), 709},
	{"load_acquire and store_release", P(MOV64_IMM(1, 0x1234), INSN(0xcb, 10, 1, -2, 0x110),
	  INSN(0xdb, 0, 10, -8, 0x100), ALU64_IMM(RSH, 0, 48), EXIT()), 0x1234},
	{"bpf-to-bpf call preserves r6-r9 and passes r1-r5", P(MOV64_IMM(6, 6), MOV64_IMM(1, 40),
	  MOV64_IMM(2, 2), CALL_LOCAL(3), ALU64_REG(ADD, 0, 6), EXIT(), EXIT(),
	  /* callee */ MOV64_REG(0, 1), ALU64_REG(ADD, 0, 2), MOV64_IMM(6, 1000), EXIT()), 48},
	{"callee has its own stack frame", P(ST(SZ_DW, 10, -8, 11), CALL_LOCAL(2),
	  LDX(SZ_DW, 0, 10, -8), EXIT(),
	  /* callee */ ST(SZ_DW, 10, -8, 22), EXIT()), 11},
	{"callee reads the caller's stack through a pointer", P(ST(SZ_DW, 10, -8, 33),
	  MOV64_REG(1, 10), ALU64_IMM(ADD, 1, -8), CALL_LOCAL(1), EXIT(),
	  /* callee */ LDX(SZ_DW, 0, 1, 0), EXIT()), 33},
	{"r10 in a callee is 512 bytes below the caller's", P(MOV64_REG(6, 10), CALL_LOCAL(3),
	  ALU64_REG(SUB, 6, 0), MOV64_REG(0, 6), EXIT(),
	  /* callee */ MOV64_REG(0, 10), EXIT()), 512},
	{"may_goto falls through, then is taken when the allowance is spent",
	 P(MOV64_IMM(0, 0), INSN(0xe5, 0, 0, 2, 0), ALU64_IMM(ADD, 0, 1), INSN(0x05, 0, 0, -3, 0),
	   EXIT()), 8u * 1024 * 1024},
	{"bpf_ktime_get_ns reads the virtual clock", P(CALL_HELPER(5), EXIT()), 1000000000ULL},
	{"the virtual clock advances per read", P(CALL_HELPER(5), MOV64_REG(6, 0), CALL_HELPER(5),
	  ALU64_REG(SUB, 0, 6), EXIT()), 1000},
	{"lddw loads 64 bits", P(LDDW(0, 0x8877665544332211ULL), EXIT()), 0x8877665544332211ULL},
	{"lddw of a function pointer loads its handle", P(INSN(0x18, 0, 4, 0, 2), INSN(0, 0, 0, 0, 0),
	  EXIT(), MOV64_IMM(0, 0), EXIT()), BS_FUNC_HANDLE_BASE + 8 * 3},
};

static void test_rows(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (int d = 0; d < 2; d++) {
			struct bs_run_result res;
			struct bs_error err;
			enum bs_dispatch disp = d ? BS_DISPATCH_SWITCH : BS_DISPATCH_DEFAULT;
			struct bs_vm *vm;
			static struct bs_env env;
			bs_env_default(&env);
			assert_int_equal(bs_vm_new(&vm, &err), 0);
			assert_int_equal(bs_helpers_register_env(vm, &env, &err), 0);
			bs_vm_set_dispatch(vm, disp);
			bs_vm_set_budget(vm, 0);
			int rc = bs_vm_load(vm, rows[i].prog, rows[i].n, &err);
			if (!rc)
				rc = bs_vm_run(vm, NULL, &res, &err);
			bs_vm_free(vm);
			if (rc) {
				printf("FAIL [%s] %s: error %s at pc %ld\n", d ? "switch" : "goto",
				       rows[i].desc, err.message, err.pc);
				failures++;
			} else if (res.retval != rows[i].expect) {
				printf("FAIL [%s] %s: got 0x%llx, expected 0x%llx\n",
				       d ? "switch" : "goto", rows[i].desc,
				       (unsigned long long)res.retval,
				       (unsigned long long)rows[i].expect);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

/* Rows that must be refused, by load or by run, with an error kind and text. */
struct bad_row {
	const char *desc;
	struct bs_insn prog[12];
	size_t n;
	enum bs_err_kind kind;
	long pc;
	const char *msg;
};

static const struct bad_row bad_rows[] = {
	{"write to r10", P(MOV64_IMM(10, 0), EXIT()), BS_ERR_INVALID, 0,
	 "frame pointer is read only"},
	{"unknown opcode", P(INSN(0xff, 0, 0, 0, 0), EXIT()), BS_ERR_INVALID, 0,
	 "unknown opcode ff"},
	{"reserved src_reg in an imm ALU op", P(INSN(0x07, 0, 1, 0, 1), EXIT()), BS_ERR_INVALID, 0,
	 "uses reserved fields"},
	{"reserved imm in a register ALU op", P(INSN(0x0f, 0, 1, 0, 1), EXIT()), BS_ERR_INVALID, 0,
	 "uses reserved fields"},
	{"off=2 on div is not sdiv", P(INSN(0x3f, 0, 1, 2, 0), EXIT()), BS_ERR_INVALID, 0,
	 "uses reserved fields"},
	{"register r11", P(MOV64_IMM(11, 0), EXIT()), BS_ERR_INVALID, 0, "R11 is invalid"},
	{"jump out of range", P(INSN(0x05, 0, 0, 5, 0), EXIT()), BS_ERR_INVALID, 0,
	 "jump out of range"},
	{"jump into the middle of lddw", P(INSN(0x05, 0, 0, 1, 0), LDDW(0, 1), EXIT()),
	 BS_ERR_INVALID, 0, "middle of the ldimm64"},
	{"lddw without a second slot", P(EXIT(), INSN(0x18, 0, 0, 0, 1)), BS_ERR_INVALID, 1,
	 "bpf_ld_imm64"},
	{"last insn is not exit", P(MOV64_IMM(0, 0)), BS_ERR_INVALID, 0, "last insn"},
	{"unknown helper", P(CALL_HELPER(100000), EXIT()), BS_ERR_HELPER, 0, "unknown#100000"},
	{"known helper without an implementation", P(CALL_HELPER(1), EXIT()), BS_ERR_HELPER, 0,
	 "bpf_map_lookup_elem#1"},
	{"kfunc call", P(INSN(0x85, 0, 2, 0, 77), EXIT()), BS_ERR_UNSUPPORTED, 0, "kfunc"},
	{"lddw map fd without maps", P(INSN(0x18, 1, 1, 0, 3), INSN(0, 0, 0, 0, 0), EXIT()),
	 BS_ERR_UNSUPPORTED, 0, "map_fd"},
	{"call to an invalid destination", P(CALL_LOCAL(5), EXIT()), BS_ERR_INVALID, 0,
	 "function call out of range"},
	{"runaway loop hits the budget", P(INSN(0x05, 0, 0, -1, 0), EXIT()), BS_ERR_BUDGET, 0,
	 "budget"},
	{"unbounded recursion stops at 8 frames", P(CALL_LOCAL(-1), EXIT()), BS_ERR_CALL_DEPTH, 0,
	 "too deep"},
	{"empty program", .n = 0, BS_ERR_INVALID, BS_NO_PC, "empty"},
	{"constant shift past the width (64)", P(ALU64_IMM(LSH, 0, 64), EXIT()), BS_ERR_INVALID, 0,
	 "invalid shift 64"},
	{"constant shift past the width (32)", P(ALU32_IMM(ARSH, 0, 32), EXIT()), BS_ERR_INVALID, 0,
	 "invalid shift 32"},
	{"negative constant shift", P(ALU64_IMM(RSH, 0, -1), EXIT()), BS_ERR_INVALID, 0,
	 "invalid shift -1"},
	{"constant divisor 0", P(ALU64_IMM(DIV, 0, 0), EXIT()), BS_ERR_INVALID, 0, "div by zero"},
	{"constant modulus 0 (32-bit)", P(ALU32_IMM(MOD, 0, 0), EXIT()), BS_ERR_INVALID, 0,
	 "div by zero"},
	{"constant signed divisor 0", P(INSN(0x37, 0, 0, 1, 0), EXIT()), BS_ERR_INVALID, 0,
	 "div by zero"},
	{"jump from the program into a subprogram", P(CALL_LOCAL(2), INSN(0x05, 0, 0, 2, 0), EXIT(),
	  MOV64_IMM(0, 1), EXIT()), BS_ERR_INVALID, 1, "jump out of range from insn 1 to 4"},
	{"subprogram falls through into the next", P(MOV64_IMM(0, 7), CALL_LOCAL(1), MOV64_IMM(0, 1),
	  EXIT()), BS_ERR_INVALID, 2, "last insn is not an exit or jmp"},
	{"function pointer out of range", P(INSN(0x18, 1, 4, 0, 9), INSN(0, 0, 0, 0, 0), EXIT()),
	 BS_ERR_INVALID, 0, "function pointer out of range"},
};

static void test_bad_rows(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *r = &bad_rows[i];
		for (int d = 0; d < 2; d++) {
			struct bs_run_result res;
			struct bs_error err;
			int rc = tu_run(r->prog, r->n, NULL, 0, d ? BS_DISPATCH_SWITCH : BS_DISPATCH_DEFAULT,
					&res, &err);
			if (rc == 0 || err.kind != r->kind || err.pc != r->pc ||
			    !strstr(err.message, r->msg)) {
				printf("FAIL %s: rc=%d kind=%s pc=%ld msg='%s' (want %s pc %ld '%s')\n",
				       r->desc, rc, bs_err_kind_name(err.kind), err.pc, err.message,
				       bs_err_kind_name(r->kind), r->pc, r->msg);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

static void test_budget_counts(void **state)
{
	(void)state;
	/* 3 instructions: exactly a budget of 3 passes, 2 does not */
	struct bs_insn prog[] = {MOV64_IMM(0, 1), ALU64_IMM(ADD, 0, 1), EXIT()};
	struct bs_vm *vm;
	struct bs_error err;
	struct bs_run_result res;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_load(vm, prog, 3, &err), 0);
	bs_vm_set_budget(vm, 3);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	assert_int_equal(res.insns_executed, 3);
	bs_vm_set_budget(vm, 2);
	assert_int_not_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	assert_int_equal(err.kind, BS_ERR_BUDGET);
	assert_int_equal(err.pc, 2);
	assert_string_equal(err.insn, "exit");
	bs_vm_free(vm);
}

static void test_ld_abs(void **state)
{
	(void)state;
	uint8_t pkt[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa};
	struct bs_insn prog[] = {
		MOV64_REG(6, 1),
		INSN(0x28, 0, 0, 0, 2),   /* r0 = *(u16 *)skb[2] */
		MOV64_REG(7, 0),
		MOV64_IMM(1, 4),
		INSN(0x40, 0, 1, 0, 2),   /* r0 = *(u32 *)skb[r1 + 2] */
		ALU64_IMM(LSH, 7, 32),
		ALU64_REG(OR, 0, 7),
		EXIT(),
	};
	struct bs_run_result res;
	struct bs_error err;
	assert_int_equal(tu_run(prog, 8, pkt, sizeof(pkt), BS_DISPATCH_DEFAULT, &res, &err), 0);
	assert_int_equal(res.retval, 0x00003344778899aaULL);

	/* out of bounds ends the program with r0 = 0, whatever r0 held */
	struct bs_insn oob[] = {MOV64_IMM(0, 5), INSN(0x20, 0, 0, 0, 13), MOV64_IMM(0, 9), EXIT()};
	assert_int_equal(tu_run(oob, 4, pkt, sizeof(pkt), BS_DISPATCH_SWITCH, &res, &err), 0);
	assert_int_equal(res.retval, 0);
	struct bs_insn neg[] = {MOV64_IMM(1, -1), INSN(0x50, 0, 1, 0, 0), MOV64_IMM(0, 9), EXIT()};
	assert_int_equal(tu_run(neg, 4, pkt, sizeof(pkt), BS_DISPATCH_DEFAULT, &res, &err), 0);
	assert_int_equal(res.retval, 0);

	/* a failed load inside a subprogram returns 0 from that subprogram only */
	struct bs_insn sub[] = {CALL_LOCAL(2), ALU64_IMM(ADD, 0, 7), EXIT(),
				MOV64_IMM(0, 5), INSN(0x30, 0, 0, 0, 100), EXIT()};
	assert_int_equal(tu_run(sub, 6, pkt, sizeof(pkt), BS_DISPATCH_SWITCH, &res, &err), 0);
	assert_int_equal(res.retval, 7);
}

/* SKF_NET_OFF / SKF_LL_OFF read from the network and MAC headers, as the
 * kernel's bpf_internal_load_pointer_neg_helper does; data starts after an
 * Ethernet header as it does for socket filters. */
static void test_ld_abs_negative(void **state)
{
	(void)state;
	uint8_t buf[20];
	for (int i = 0; i < 20; i++)
		buf[i] = (uint8_t)(0xa0 + i);
	struct bs_vm *vm;
	struct bs_error err;
	struct bs_run_result res;
	const int32_t net = -0x100000, ll = -0x200000;
	struct {
		int32_t off;
		uint64_t want;
	} rows[] = {
		{0, 0xae},        /* data = buf + 14 */
		{net, 0xae},      /* network header = data */
		{net + 1, 0xaf},
		{ll, 0xa0},       /* MAC header = buf */
		{ll + 13, 0xad},
		{-1, 0},          /* between the two: fails */
		{ll - 1, 0},      /* below SKF_LL_OFF: fails */
		{6, 0},           /* past the end */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bs_insn prog[] = {MOV64_IMM(0, 99), INSN(0x30, 0, 0, 0, rows[i].off), EXIT()};
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(bs_vm_load(vm, prog, 3, &err), 0);
		bs_vm_set_packet(vm, buf, sizeof(buf), 14, 0, 14);
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.retval, rows[i].want);
		bs_vm_free(vm);
	}
}

static void test_prng_deterministic(void **state)
{
	(void)state;
	struct bs_insn prog[] = {CALL_HELPER(7), MOV64_REG(6, 0), CALL_HELPER(7),
				 ALU64_IMM(LSH, 0, 32), ALU64_REG(OR, 0, 6), EXIT()};
	struct bs_run_result a, b;
	struct bs_error err;
	assert_int_equal(tu_run(prog, 6, NULL, 0, BS_DISPATCH_DEFAULT, &a, &err), 0);
	assert_int_equal(tu_run(prog, 6, NULL, 0, BS_DISPATCH_SWITCH, &b, &err), 0);
	assert_int_equal(a.retval, b.retval);
	assert_int_not_equal(a.retval >> 32, a.retval & 0xffffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_budget_counts),
		cmocka_unit_test(test_ld_abs),
		cmocka_unit_test(test_ld_abs_negative),
		cmocka_unit_test(test_prng_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
