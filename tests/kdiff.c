// SPDX-License-Identifier: MIT
/* kdiff: differential test of the interpreter against the Linux kernel.
 *
 * Generates random loop-free eBPF programs that the verifier accepts (scalar
 * registers only, constant stack offsets off r10, forward jumps), loads each
 * with bpf(BPF_PROG_LOAD) as a socket filter or XDP program, runs it with
 * BPF_PROG_TEST_RUN, runs the same bytes in our interpreter in both dispatch
 * modes and, where this host has them, our JIT checked and unchecked, and
 * compares. Every program ends with an epilogue that folds r1..r9
 * into r0 (xor, multiply by an odd constant, xorshift: a bijection of r0 at
 * each step, so a difference in any single register always shows). The
 * kernel only returns 32 bits, so each program is loaded twice: once as is
 * (low half) and once with `r0 >>= 32` before the exit (high half).
 *
 * Program i of seed S is a pure function of (S, i), so `--seed S --index i`
 * reproduces it alone. On a mismatch the program is printed, then shrunk
 * (delta debugging on its items, keeping only candidates the kernel accepts
 * and that still disagree) and printed again.
 *
 * Exit: 0 all agree, 1 a mismatch (or the generator is broken: most programs
 * rejected), 77 bpf() is not usable here (meson's skip code). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bpfstep/error.h"
#include "bpfstep/isa.h"
#include "bpfstep/vm.h"

/* Opcode parts. Defined here rather than taken from <linux/bpf.h>, whose
 * copy on the build machine may predate cpu v4 (MEMSX, sdiv, gotol). */
enum {
	C_LD = 0x00, C_LDX = 0x01, C_ST = 0x02, C_STX = 0x03,
	C_ALU = 0x04, C_JMP = 0x05, C_JMP32 = 0x06, C_ALU64 = 0x07,

	S_K = 0x00, S_X = 0x08,

	Z_W = 0x00, Z_H = 0x08, Z_B = 0x10, Z_DW = 0x18,
	M_IMM = 0x00, M_MEM = 0x60, M_ATOMIC = 0xc0, M_MEMSX = 0x80,

	O_ADD = 0x00, O_SUB = 0x10, O_MUL = 0x20, O_DIV = 0x30, O_OR = 0x40,
	O_AND = 0x50, O_LSH = 0x60, O_RSH = 0x70, O_NEG = 0x80, O_MOD = 0x90,
	O_XOR = 0xa0, O_MOV = 0xb0, O_ARSH = 0xc0, O_END = 0xd0,

	J_JA = 0x00, J_JEQ = 0x10, J_JGT = 0x20, J_JGE = 0x30, J_JSET = 0x40,
	J_JNE = 0x50, J_JSGT = 0x60, J_JSGE = 0x70, J_EXIT = 0x90,
	J_JLT = 0xa0, J_JLE = 0xb0, J_JSLT = 0xc0, J_JSLE = 0xd0,

	A_FETCH = 0x01, A_XCHG = 0xe0 | A_FETCH, A_CMPXCHG = 0xf0 | A_FETCH,
};

#define NREGS 10 /* r0..r9: every one a scalar, r10 only as a memory base */
#define STACK_AREA 64 /* bytes below r10 the prologue initializes */
#define MAX_CONDS 8 /* the verifier forks at most 2^8 states */
#define MAX_ITEMS 400
#define MAX_SLOTS (2 * MAX_ITEMS + 64)

/* ---------------------------------------------------------------- rng */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

#define PICK(arr) ((arr)[below(sizeof(arr) / sizeof((arr)[0]))])

static const uint64_t edge64[] = {
	0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x100,
	0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001,
	0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0x7fffffffffffffff,
	0x8000000000000000, 0x8000000000000001, 0xffffffffffffffff,
	0xfffffffffffffffe, 0xffffffff80000000, 0xffffffff7fffffff,
	0xffffffff00000000, 0x00000000ffff8000, 0xffffffffffff8000,
	0xffffffffffffff80, 0x8000000080000000, 0x7fffffff7fffffff,
	0x0123456789abcdef, 0xfedcba9876543210, 0xaaaaaaaaaaaaaaaa,
	0x5555555555555555, 0x00000000000000ff, 0xff00000000000000,
};

static const int32_t edge32[] = {
	0, 1, -1, 2, -2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff,
	-128, -129, 0x7fff, 0x8000, 0xffff, -32768, -32769, 0x10000, -65536,
	INT32_MAX, INT32_MIN, INT32_MIN + 1, INT32_MAX - 1, 0x55555555,
	(int32_t)0xaaaaaaaa, 0x01234567, (int32_t)0x89abcdef,
};

/* Divisors where division misbehaves: 0, +-1, the minimum integers, and
 * values whose low 32 bits are 0 or -1 (zero / minus one only for ALU32). */
static const uint64_t edge_divisor[] = {
	0, 1, 0xffffffffffffffff, 2, 0x80000000, 0xffffffff80000000,
	0x8000000000000000, 0xffffffff00000000, 0x00000000ffffffff,
	0x100000000, 0x7fffffff, 0x7fffffffffffffff, 0xfffffffffffffffe,
};

static const uint64_t edge_dividend[] = {
	0x8000000000000000, 0x0000000080000000, 0xffffffff80000000,
	0x7fffffffffffffff, 0xffffffffffffffff, 0, 0x80000000ffffffff,
};

static uint64_t rand_u64(void)
{
	unsigned r = below(100);
	if (r < 35)
		return PICK(edge64);
	if (r < 45)
		return PICK(edge64) + (uint64_t)(int64_t)((int)below(5) - 2);
	if (r < 60)
		return (uint64_t)(int64_t)((int)below(41) - 20);
	if (r < 75)
		return rnd();
	if (r < 85)
		return (uint32_t)rnd();
	if (r < 95)
		return (uint64_t)(int64_t)(int32_t)rnd();
	return rnd() & rnd() & rnd();
}

static int32_t rand_imm(void)
{
	unsigned r = below(100);
	if (r < 40)
		return PICK(edge32);
	if (r < 55)
		return (int)below(41) - 20;
	if (r < 70)
		return (int32_t)(uint32_t)(rnd() & rnd());
	return (int32_t)(uint32_t)rnd();
}

static int rand_reg(void)
{
	return (int)below(NREGS);
}

/* ------------------------------------------------------------ program */

enum item_kind {
	IT_INSN,  /* one plain instruction */
	IT_LDDW,  /* lddw dst, imm64 */
	IT_JCOND, /* conditional jump: insn holds code/regs/imm, target is an item */
	IT_JA,    /* ja +off */
	IT_GOTOL, /* gotol +imm (JMP32 JA) */
};

struct item {
	uint8_t kind;
	struct bs_insn insn;
	uint64_t imm64;
	int target;    /* jumps: index of the item jumped to (n = the epilogue) */
	int lo, hi;    /* range target is drawn from, while generating */
	bool pinned;   /* never shrunk away: the prologue's stack initialization
			* (root may read uninitialized stack: garbage) and r1's
			* init (r1 enters as the ctx pointer, which root may use
			* as a number) */
	bool glued;    /* stays right after the previous item: no jump lands here */
};

struct prog {
	struct item it[MAX_ITEMS];
	int n;
	unsigned fold_mask; /* bit r: fold r (1..9) into r0 in the epilogue */
	uint32_t type;      /* BPF_PROG_TYPE_SOCKET_FILTER or _XDP */
	int conds;          /* conditional jumps so far */
};

static struct bs_insn mk(uint8_t code, int dst, int src, int off, int32_t imm)
{
	struct bs_insn in;
	memset(&in, 0, sizeof(in));
	in.code = code;
	in.dst_reg = (uint8_t)dst & 0xf;
	in.src_reg = (uint8_t)src & 0xf;
	in.off = (int16_t)off;
	in.imm = imm;
	return in;
}

static struct item *emit_item(struct prog *p, uint8_t kind)
{
	if (p->n >= MAX_ITEMS)
		abort(); /* the generator's bounds keep programs far below this */
	struct item *it = &p->it[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->target = -1;
	return it;
}

static void emit(struct prog *p, struct bs_insn in)
{
	emit_item(p, IT_INSN)->insn = in;
}

static void emit_lddw(struct prog *p, int dst, uint64_t v)
{
	struct item *it = emit_item(p, IT_LDDW);
	it->insn = mk(C_LD | M_IMM | Z_DW, dst, 0, 0, (int32_t)(uint32_t)v);
	it->imm64 = v;
}

/* dst = v, by whichever encoding can express it (and sometimes lddw anyway). */
static void emit_set(struct prog *p, int dst, uint64_t v)
{
	if ((uint64_t)(int64_t)(int32_t)v == v && chance(70))
		emit(p, mk(C_ALU64 | O_MOV | S_K, dst, 0, 0, (int32_t)v));
	else if ((v >> 32) == 0 && chance(70))
		emit(p, mk(C_ALU | O_MOV | S_K, dst, 0, 0, (int32_t)(uint32_t)v));
	else
		emit_lddw(p, dst, v);
}

static void emit_set_random(struct prog *p, int dst)
{
	switch (below(4)) {
	case 0:
		emit(p, mk(C_ALU64 | O_MOV | S_K, dst, 0, 0, rand_imm()));
		break;
	case 1:
		emit(p, mk(C_ALU | O_MOV | S_K, dst, 0, 0, rand_imm()));
		break;
	default:
		emit_lddw(p, dst, rand_u64());
		break;
	}
}

static int rand_size(void)
{
	static const int sz[] = { Z_B, Z_H, Z_W, Z_DW };
	return PICK(sz);
}

static int size_bytes(int z)
{
	switch (z) {
	case Z_B: return 1;
	case Z_H: return 2;
	case Z_W: return 4;
	default: return 8;
	}
}

/* A stack offset inside the initialized area, aligned as the verifier
 * demands of every stack access. */
static int rand_stack_off(int bytes)
{
	return -bytes * (int)(1 + below(STACK_AREA / bytes));
}

static void gen_alu(struct prog *p)
{
	bool is64 = chance(50);
	uint8_t cls = is64 ? C_ALU64 : C_ALU;
	int dst = rand_reg(), src = rand_reg();
	bool x = chance(50);
	static const uint8_t plain[] = { O_ADD, O_SUB, O_MUL, O_OR, O_AND, O_XOR, O_MOV };

	switch (below(10)) {
	case 0: case 1: case 2: { /* add sub mul or and xor mov */
		uint8_t op = PICK(plain);
		if (x)
			emit(p, mk(cls | op | S_X, dst, src, 0, 0));
		else
			emit(p, mk(cls | op | S_K, dst, 0, 0, rand_imm()));
		break;
	}
	case 3: case 4: { /* div mod sdiv smod */
		uint8_t op = chance(50) ? O_DIV : O_MOD;
		int off = chance(50) ? 1 : 0;
		/* the one overflowing signed case: INT_MIN / -1 */
		bool overflow = off == 1 && chance(12);
		if (overflow)
			emit_set(p, dst, is64 ? 0x8000000000000000ULL
					      : chance(50) ? 0x80000000ULL : 0xffffffff80000000ULL);
		else if (chance(15))
			emit_set(p, dst, PICK(edge_dividend));
		if (x && overflow && src != dst) {
			emit_set(p, src, is64 || chance(50) ? UINT64_MAX : 0xffffffffULL);
			emit(p, mk(cls | op | S_X, dst, src, off, 0));
		} else if (!x && overflow) {
			emit(p, mk(cls | op | S_K, dst, 0, off, -1));
		} else if (x) {
			if (chance(35))
				emit_set(p, src, PICK(edge_divisor));
			emit(p, mk(cls | op | S_X, dst, src, off, 0));
		} else {
			int32_t k;
			do
				k = chance(30) ? PICK(edge32) : rand_imm();
			while (k == 0); /* the verifier rejects a constant zero divisor */
			emit(p, mk(cls | op | S_K, dst, 0, off, k));
		}
		break;
	}
	case 5: case 6: { /* lsh rsh arsh */
		static const uint8_t sh[] = { O_LSH, O_RSH, O_ARSH };
		uint8_t op = PICK(sh);
		if (x) {
			/* Mostly 0..63 (an amount >= the width is masked, as the
			 * kernel's interpreter and JITs do), sometimes anything. */
			if (chance(40))
				emit(p, mk(C_ALU64 | O_MOV | S_K, src, 0, 0, (int32_t)below(64)));
			else if (chance(40))
				emit(p, mk(C_ALU64 | O_AND | S_K, src, 0, 0, 63));
			emit(p, mk(cls | op | S_X, dst, src, 0, 0));
		} else {
			emit(p, mk(cls | op | S_K, dst, 0, 0, (int32_t)below(is64 ? 64 : 32)));
		}
		break;
	}
	case 7: { /* movsx */
		static const int w64[] = { 8, 16, 32 }, w32[] = { 8, 16 };
		int off = is64 ? PICK(w64) : PICK(w32);
		emit(p, mk(cls | O_MOV | S_X, dst, src, off, 0));
		break;
	}
	case 8: /* neg */
		emit(p, mk(cls | O_NEG | S_K, dst, 0, 0, 0));
		break;
	default: { /* le16/32/64, be16/32/64, bswap16/32/64 */
		static const int widths[] = { 16, 32, 64 };
		unsigned kind = below(3);
		uint8_t code = kind == 0 ? (C_ALU | O_END | S_K)     /* le */
			     : kind == 1 ? (C_ALU | O_END | S_X)     /* be */
					 : (C_ALU64 | O_END | S_K);  /* bswap */
		emit(p, mk(code, dst, 0, 0, PICK(widths)));
		break;
	}
	}
}

static void gen_store(struct prog *p)
{
	int z = rand_size(), off = rand_stack_off(size_bytes(z));
	if (chance(60))
		emit(p, mk(C_STX | M_MEM | (uint8_t)z, 10, rand_reg(), off, 0));
	else
		emit(p, mk(C_ST | M_MEM | (uint8_t)z, 10, 0, off, rand_imm()));
}

static void gen_load(struct prog *p)
{
	if (chance(35)) { /* sign-extending: b, h, w */
		static const int zs[] = { Z_B, Z_H, Z_W };
		int z = PICK(zs);
		emit(p, mk(C_LDX | M_MEMSX | (uint8_t)z, rand_reg(), 10,
			   rand_stack_off(size_bytes(z)), 0));
	} else {
		int z = rand_size();
		emit(p, mk(C_LDX | M_MEM | (uint8_t)z, rand_reg(), 10,
			   rand_stack_off(size_bytes(z)), 0));
	}
}

/* Atomics. A fetching one (fetch-op, xchg, cmpxchg) is always preceded by a
 * non-fetching one on the same bytes, glued to it (no jump lands between):
 * that leaves the bytes unknown (STACK_MISC) to the verifier on every path.
 * Linux 6.18's precision backtracking does not follow a fetched value back to
 * the stack slot it came from (fixed upstream later: backtrack_insn() now
 * treats atomic fetches like ldx), so a slot holding a spilled constant on
 * one path and unknown bytes on another may be pruned as equivalent, and the
 * verifier then removes a branch the program does take: the kernel runs a
 * different program than the bytes say. See docs/testing-kernel-diff.md. */
static void gen_atomic(struct prog *p)
{
	static const int32_t plain[] = { O_ADD, O_OR, O_AND, O_XOR };
	static const int32_t fetch[] = {
		O_ADD | A_FETCH, O_OR | A_FETCH, O_AND | A_FETCH, O_XOR | A_FETCH,
		A_XCHG, A_CMPXCHG,
	};
	int z = chance(50) ? Z_W : Z_DW;
	int off = rand_stack_off(size_bytes(z));
	emit(p, mk(C_STX | M_ATOMIC | (uint8_t)z, 10, rand_reg(), off, PICK(plain)));
	if (chance(25))
		return;
	int32_t op = PICK(fetch);
	/* cmpxchg compares with r0: make it succeed some of the time */
	if (op == A_CMPXCHG && chance(35)) {
		emit(p, mk(C_LDX | M_MEM | (uint8_t)z, 0, 10, off, 0));
		p->it[p->n - 1].glued = true;
	}
	emit(p, mk(C_STX | M_ATOMIC | (uint8_t)z, 10, rand_reg(), off, op));
	p->it[p->n - 1].glued = true;
	/* x86 cmpxchg leaves rax alone when the comparison succeeds, so the
	 * kernel zero-extends r0 after a 32-bit cmpxchg only where the verifier
	 * saw a 64-bit read of it; on 6.18 a read it only reaches on a pruned
	 * path does not count, and the upper half of r0 survives. A 64-bit use
	 * right behind it, on every path, keeps that mark (and the upper half
	 * of r0 observable, unlike `w0 = w0`). */
	if (op == A_CMPXCHG && z == Z_W) {
		emit(p, mk(C_ALU64 | O_XOR | S_K, 0, 0, 0, rand_imm()));
		p->it[p->n - 1].glued = true;
	}
}

static void gen_simple(struct prog *p)
{
	unsigned r = below(100);
	if (r < 55)
		gen_alu(p);
	else if (r < 63)
		emit_set_random(p, rand_reg());
	else if (r < 73)
		gen_store(p);
	else if (r < 86)
		gen_load(p);
	else
		gen_atomic(p);
}

/* A conditional jump; its target is drawn later from [lo, hi]. */
static struct item *gen_cond(struct prog *p)
{
	static const uint8_t conds[] = {
		J_JEQ, J_JGT, J_JGE, J_JSET, J_JNE, J_JSGT, J_JSGE,
		J_JLT, J_JLE, J_JSLT, J_JSLE,
	};
	uint8_t cls = chance(50) ? C_JMP : C_JMP32;
	uint8_t op = PICK(conds);
	int dst = rand_reg();
	struct bs_insn in;
	if (chance(50)) {
		int src = chance(15) ? dst : rand_reg();
		in = mk(cls | op | S_X, dst, src, 0, 0);
	} else {
		in = mk(cls | op | S_K, dst, 0, 0, chance(50) ? PICK(edge32) : rand_imm());
	}
	struct item *it = emit_item(p, IT_JCOND);
	it->insn = in;
	it->lo = p->n;
	it->hi = p->n + (int)below(12);
	p->conds++;
	return it;
}

static void emit_ja(struct prog *p, int lo, int hi)
{
	struct item *it = emit_item(p, chance(50) ? IT_JA : IT_GOTOL);
	it->lo = lo;
	it->hi = hi;
}

/* if (cond) goto else; then...; ja end; else: else...; end:
 * The code after the ja is reachable only through the paired jump, which
 * keeps every instruction reachable (the verifier's CFG check). */
static void gen_ifelse(struct prog *p, int limit)
{
	int c = (int)(gen_cond(p) - p->it);
	for (int k = 1 + (int)below(4); k > 0 && p->n < limit; k--) {
		if (p->conds < MAX_CONDS && chance(15))
			gen_cond(p);
		else
			gen_simple(p);
	}
	int ja = p->n;
	emit_ja(p, ja + 1, 0);
	for (int k = 1 + (int)below(4); k > 0 && p->n < limit; k--)
		gen_simple(p);
	p->it[c].lo = p->it[c].hi = ja + 1;
	p->it[ja].hi = p->n + (int)below(3);
}

static void gen_prologue(struct prog *p)
{
	int order[NREGS];
	for (int i = 0; i < NREGS; i++)
		order[i] = i;
	for (int i = NREGS - 1; i > 0; i--) {
		int j = (int)below((uint32_t)i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < NREGS; i++) {
		if (chance(20))
			emit_set(p, order[i], PICK(edge64));
		else
			emit_set_random(p, order[i]);
		if (order[i] == 1)
			p->it[p->n - 1].pinned = true;
	}
	/* every byte the body may read: a whole-slot store or smaller pieces */
	int first = p->n;
	for (int slot = 1; slot <= STACK_AREA / 8; slot++) {
		int base = -8 * slot;
		if (chance(60)) {
			if (chance(50))
				emit(p, mk(C_STX | M_MEM | Z_DW, 10, rand_reg(), base, 0));
			else
				emit(p, mk(C_ST | M_MEM | Z_DW, 10, 0, base, rand_imm()));
		} else {
			static const int zs[] = { Z_W, Z_H, Z_B };
			int z = PICK(zs), b = size_bytes(z);
			for (int o = 0; o < 8; o += b) {
				if (chance(50))
					emit(p, mk(C_STX | M_MEM | (uint8_t)z, 10, rand_reg(), base + o, 0));
				else
					emit(p, mk(C_ST | M_MEM | (uint8_t)z, 10, 0, base + o, rand_imm()));
			}
		}
	}
	for (int i = first; i < p->n; i++)
		p->it[i].pinned = true;
}

static void assign_targets(struct prog *p)
{
	for (int i = 0; i < p->n; i++) {
		struct item *it = &p->it[i];
		if (it->kind != IT_JCOND && it->kind != IT_JA && it->kind != IT_GOTOL)
			continue;
		if (it->target >= 0)
			continue;
		int lo = it->lo, hi = it->hi < p->n ? it->hi : p->n;
		if (hi < lo)
			hi = lo;
		it->target = lo + (int)below((uint32_t)(hi - lo + 1));
		while (it->target < p->n && p->it[it->target].glued)
			it->target++;
	}
}

static uint64_t seed_for(uint64_t seed, uint64_t index)
{
	rng_state = seed ^ 0x6a09e667f3bcc909ULL;
	uint64_t a = rnd();
	rng_state = a + index * 0xd1342543de82ef95ULL;
	return rnd();
}

static void gen_prog(struct prog *p, uint64_t seed, uint64_t index, uint32_t type)
{
	memset(p, 0, sizeof(*p));
	rng_state = seed_for(seed, index);
	p->type = type;
	p->fold_mask = 0x3fe;
	gen_prologue(p);
	int limit = p->n + 20 + (int)below(41);
	int max_conds = chance(85) ? MAX_CONDS : (int)below(MAX_CONDS + 1);
	while (p->n < limit) {
		unsigned r = below(100);
		if (r < 16 && p->conds < max_conds) {
			if (chance(35) && p->conds + 1 < max_conds)
				gen_ifelse(p, limit);
			else
				gen_cond(p);
		} else if (r < 18) {
			emit_ja(p, p->n + 1, p->n + 1); /* ja +0 / gotol +0 */
		} else {
			gen_simple(p);
		}
	}
	assign_targets(p);
}

/* -------------------------------------------------------------- layout */

static const int32_t fold_mul[NREGS] = {
	0, (int32_t)0x9e3779b1, (int32_t)0x85ebca77, (int32_t)0xc2b2ae3d, 0x27d4eb2f,
	0x165667b1, (int32_t)0xd3a2646d, (int32_t)0xfd7046c5, (int32_t)0xb55a4f09,
	(int32_t)0x81dadef5,
};
static const int fold_shift[NREGS] = { 0, 29, 31, 27, 33, 30, 28, 32, 26, 35 };

/* The program as instructions: items, the fold epilogue, with `r0 >>= 32`
 * when hi. Returns the number of slots. */
static size_t layout(const struct prog *p, bool hi, struct bs_insn *out)
{
	int pos[MAX_ITEMS + 1];
	size_t s = 0;
	for (int i = 0; i < p->n; i++) {
		pos[i] = (int)s;
		s += p->it[i].kind == IT_LDDW ? 2 : 1;
	}
	pos[p->n] = (int)s;
	for (int i = 0; i < p->n; i++) {
		const struct item *it = &p->it[i];
		struct bs_insn *o = &out[pos[i]];
		int rel = it->target >= 0 ? pos[it->target] - pos[i] - 1 : 0;
		switch (it->kind) {
		case IT_INSN:
			*o = it->insn;
			break;
		case IT_LDDW:
			o[0] = it->insn;
			o[0].imm = (int32_t)(uint32_t)it->imm64;
			o[1] = mk(0, 0, 0, 0, (int32_t)(uint32_t)(it->imm64 >> 32));
			break;
		case IT_JCOND:
			*o = it->insn;
			o->off = (int16_t)rel;
			break;
		case IT_JA:
			*o = mk(C_JMP | J_JA, 0, 0, rel, 0);
			break;
		case IT_GOTOL:
			*o = mk(C_JMP32 | J_JA, 0, 0, 0, rel);
			break;
		}
	}
	for (int r = 1; r < NREGS; r++) {
		if (!(p->fold_mask & (1u << r)))
			continue;
		out[s++] = mk(C_ALU64 | O_XOR | S_X, 0, r, 0, 0);          /* r0 ^= rN */
		out[s++] = mk(C_ALU64 | O_MUL | S_K, 0, 0, 0, fold_mul[r]); /* r0 *= odd K */
		out[s++] = mk(C_ALU64 | O_MOV | S_X, r, 0, 0, 0);          /* rN = r0 */
		out[s++] = mk(C_ALU64 | O_RSH | S_K, r, 0, 0, fold_shift[r]);
		out[s++] = mk(C_ALU64 | O_XOR | S_X, 0, r, 0, 0);          /* r0 ^= r0 >> s */
	}
	if (hi)
		out[s++] = mk(C_ALU64 | O_RSH | S_K, 0, 0, 0, 32);
	out[s++] = mk(C_JMP | J_EXIT, 0, 0, 0, 0);
	return s;
}

/* -------------------------------------------------------------- kernel */

static char vlog[1 << 20];
static uint8_t packet[64];

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int kload(const struct bs_insn *ins, size_t n, uint32_t type, bool with_log)
{
	for (int tries = 0;; tries++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_type = type;
		a.insns = (uint64_t)(uintptr_t)ins;
		a.insn_cnt = (uint32_t)n;
		a.license = (uint64_t)(uintptr_t)"GPL";
		if (with_log) {
			vlog[0] = 0;
			a.log_buf = (uint64_t)(uintptr_t)vlog;
			a.log_size = sizeof(vlog);
			a.log_level = 1;
		}
		long fd = sys_bpf(BPF_PROG_LOAD, &a);
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || tries >= 5)
			return (int)fd;
	}
}

static int krun(int fd, uint32_t *retval)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)packet;
	a.test.data_size_in = sizeof(packet);
	a.test.repeat = 1;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0)
		return -errno;
	*retval = a.test.retval;
	return 0;
}

/* The last few lines of the verifier log (the reason is at its end). */
static void log_tail(char *out, size_t len, int lines)
{
	size_t n = strlen(vlog);
	while (n > 0 && vlog[n - 1] == '\n')
		n--;
	size_t start = n;
	for (int seen = 0; start > 0; start--) {
		if (vlog[start - 1] == '\n' && ++seen == lines)
			break;
	}
	snprintf(out, len, "%.*s", (int)(n - start), vlog + start);
}

/* how our side runs a program: the interpreter's two dispatch loops, the
 * JIT with memory checks and without (where bs_jit_available) */
static const struct {
	const char *name;
	enum bs_engine engine;
	enum bs_dispatch dispatch;
} modes[] = {
	{"ours (default):", BS_ENGINE_INTERP, BS_DISPATCH_DEFAULT},
	{"ours (switch):", BS_ENGINE_INTERP, BS_DISPATCH_SWITCH},
	{"ours (jit):", BS_ENGINE_JIT, BS_DISPATCH_DEFAULT},
	{"ours (unchecked):", BS_ENGINE_JIT_UNCHECKED, BS_DISPATCH_DEFAULT},
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))
static size_t nmodes = 2;  /* 4 where the JIT is */

struct outcome {
	bool rejected;
	char why[1024];
	uint64_t kval;              /* the kernel's 64-bit fold */
	bool ok[NMODES];            /* per mode: ran without error */
	uint64_t val[NMODES];
	struct bs_error err[NMODES];
};

static struct bs_insn slots[MAX_SLOTS];

static int kernel_eval(const struct prog *p, struct outcome *o)
{
	uint32_t half[2];
	for (int hi = 0; hi < 2; hi++) {
		size_t n = layout(p, hi, slots);
		int fd = kload(slots, n, p->type, false);
		if (fd < 0) {
			int e = errno;
			o->rejected = true;
			if (kload(slots, n, p->type, true) >= 0) {
				snprintf(o->why, sizeof(o->why),
					 "load failed (%s), then passed with a log", strerror(e));
			} else {
				char tail[900];
				log_tail(tail, sizeof(tail), 4);
				snprintf(o->why, sizeof(o->why), "%s:\n%s", strerror(e), tail);
			}
			return -1;
		}
		int rc = krun(fd, &half[hi]);
		close(fd);
		if (rc < 0) {
			o->rejected = true;
			snprintf(o->why, sizeof(o->why), "BPF_PROG_TEST_RUN: %s", strerror(-rc));
			return -1;
		}
	}
	o->kval = (uint64_t)half[1] << 32 | half[0];
	return 0;
}

static void ours_eval(const struct prog *p, struct outcome *o)
{
	size_t n = layout(p, false, slots);
	for (size_t mode = 0; mode < nmodes; mode++) {
		struct bs_vm *vm = NULL;
		struct bs_run_result res;
		struct bs_error *err = &o->err[mode];
		bs_error_clear(err);
		o->ok[mode] = false;
		if (bs_vm_new(&vm, err))
			continue;
		bs_vm_set_dispatch(vm, modes[mode].dispatch);
		bs_vm_set_engine(vm, modes[mode].engine);
		if (bs_vm_load(vm, slots, n, err) == 0 && bs_vm_run(vm, NULL, &res, err) == 0) {
			o->ok[mode] = true;
			o->val[mode] = res.retval;
		}
		bs_vm_free(vm);
	}
}

/* The modes whose result differs from the kernel's (bit per mode). */
static unsigned differing(const struct outcome *o)
{
	unsigned m = 0;
	for (size_t mode = 0; mode < nmodes; mode++)
		if (!o->ok[mode] || o->val[mode] != o->kval)
			m |= 1u << mode;
	return m;
}

/* 1 mismatch, 0 agree, -1 rejected by the kernel */
static int evaluate(const struct prog *p, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	if (kernel_eval(p, o))
		return -1;
	ours_eval(p, o);
	return differing(o) != 0;
}

/* ------------------------------------------------------------ printing */

static const char *type_name(uint32_t type)
{
	return type == BPF_PROG_TYPE_XDP ? "xdp" : "socket_filter";
}

static void print_prog(const struct prog *p)
{
	size_t n = layout(p, false, slots);
	char buf[160];
	for (size_t pc = 0; pc < n; pc++) {
		size_t w = bs_insn_slots(&slots[pc]);
		if (pc + w > n)
			w = 1;
		bs_disasm(slots, n, pc, buf, sizeof(buf));
		printf("  %4zu: ", pc);
		for (size_t k = 0; k < 8 * 2; k++) {
			if (k < 8 * w)
				printf("%02x", ((const uint8_t *)&slots[pc])[k]);
			else
				printf("  ");
			if (k % 8 == 7)
				printf(" ");
		}
		printf(" %s\n", buf);
		pc += w - 1;
	}
	printf("  bytes:");
	for (size_t k = 0; k < n * 8; k++)
		printf("%s%02x", k % 8 ? "" : " ", ((const uint8_t *)slots)[k]);
	printf("\n");
}

static void print_outcome(const struct outcome *o)
{
	printf("  %-18s 0x%016" PRIx64 "\n", "kernel:", o->kval);
	for (size_t mode = 0; mode < nmodes; mode++) {
		const char *name = modes[mode].name;
		if (o->ok[mode])
			printf("  %-18s 0x%016" PRIx64 "%s\n", name, o->val[mode],
			       o->val[mode] == o->kval ? "" : "  <-- differs");
		else
			printf("  %-18s error %s at pc %ld: %s  <-- differs\n", name,
			       bs_err_kind_name(o->err[mode].kind), o->err[mode].pc,
			       o->err[mode].message);
	}
}

/* ------------------------------------------------------------ shrinking */

/* Removes items [a, b); jumps into the range land on what follows it.
 * False if that would remove a pinned item, split a glued group or make a
 * jump land inside one: those candidates are not tried. */
static bool remove_items(struct prog *p, int a, int b)
{
	int k = b - a;
	for (int i = a; i < b; i++) {
		if (p->it[i].pinned)
			return false;
	}
	if (p->it[a].glued || (b < p->n && p->it[b].glued))
		return false;
	for (int i = 0; i < p->n; i++) {
		struct item *it = &p->it[i];
		if (it->kind != IT_JCOND && it->kind != IT_JA && it->kind != IT_GOTOL)
			continue;
		if (it->target >= b)
			it->target -= k;
		else if (it->target > a)
			it->target = a;
	}
	memmove(&p->it[a], &p->it[b], (size_t)(p->n - b) * sizeof(p->it[0]));
	p->n -= k;
	for (int i = 0; i < p->n; i++) {
		const struct item *it = &p->it[i];
		bool jump = it->kind == IT_JCOND || it->kind == IT_JA || it->kind == IT_GOTOL;
		if (jump && it->target < p->n && p->it[it->target].glued)
			return false;
	}
	return true;
}

/* Replaces the stack initialization by eight `*(u64 *)(r10 -8k) = 0`. */
static bool zero_stack_init(struct prog *p)
{
	int a = -1, b = -1;
	for (int i = 0; i < p->n; i++) {
		if (p->it[i].pinned && p->it[i].insn.dst_reg == 10) {
			if (a < 0)
				a = i;
			b = i + 1;
		}
	}
	int k = STACK_AREA / 8;
	if (a < 0 || b - a == k || p->n - (b - a) + k > MAX_ITEMS)
		return false;
	int delta = k - (b - a);
	for (int i = 0; i < p->n; i++) {
		if (p->it[i].target >= b)
			p->it[i].target += delta;
	}
	memmove(&p->it[b + delta], &p->it[b], (size_t)(p->n - b) * sizeof(p->it[0]));
	p->n += delta;
	for (int j = 0; j < k; j++) {
		struct item *it = &p->it[a + j];
		memset(it, 0, sizeof(*it));
		it->kind = IT_INSN;
		it->target = -1;
		it->pinned = true;
		it->insn = mk(C_ST | M_MEM | Z_DW, 10, 0, -8 * (j + 1), 0);
	}
	return true;
}

static struct prog cand;

/* Whether cand still shows the mismatch: the same modes differ */
static bool still_differs(unsigned want)
{
	struct outcome o;
	return evaluate(&cand, &o) == 1 && differing(&o) == want;
}

/* want: the modes that differ on p, which every step keeps so */
static void shrink(struct prog *p, unsigned want)
{
	cand = *p;
	if (zero_stack_init(&cand) && still_differs(want))
		*p = cand;
	for (int round = 0; round < 4; round++) {
		bool progress = false;
		for (int chunk = p->n / 2; chunk >= 1; chunk /= 2) {
			for (int a = 0; a + chunk <= p->n;) {
				cand = *p;
				if (remove_items(&cand, a, a + chunk) && still_differs(want)) {
					*p = cand;
					progress = true;
				} else {
					a += chunk;
				}
			}
		}
		for (int r = 1; r < NREGS; r++) {
			if (!(p->fold_mask & (1u << r)))
				continue;
			cand = *p;
			cand.fold_mask &= ~(1u << r);
			if (still_differs(want)) {
				*p = cand;
				progress = true;
			}
		}
		if (!progress)
			break;
	}
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kdiff [--seed N] [--count N] [--index I] [--type sk|xdp|mix]\n"
		"             [--no-shrink] [--max-report N] [--verbose] [--dump]\n"
		"Compares random verifier-accepted programs run by the kernel\n"
		"(BPF_PROG_TEST_RUN) with the bpfstep interpreter.\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		return false;
	*out = v;
	return true;
}

/* Loads and test-runs a probe program: NULL if that works, else why not. */
static const char *probe(uint32_t type, const struct bs_insn *prog, size_t n, char *buf,
			 size_t len)
{
	int fd = kload(prog, n, type, false);
	if (fd < 0) {
		int e = errno;
		snprintf(buf, len, "bpf(BPF_PROG_LOAD, %s): %s%s", type_name(type), strerror(e),
			 e == EPERM || e == EACCES
				 ? (geteuid() ? " (not root)" : " (no CAP_BPF, or seccomp)")
				 : "");
		return buf;
	}
	uint32_t rv;
	int rc = krun(fd, &rv);
	close(fd);
	if (rc < 0) {
		snprintf(buf, len, "bpf(BPF_PROG_TEST_RUN, %s): %s", type_name(type), strerror(-rc));
		return buf;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct prog prog;

int main(int argc, char **argv)
{
	uint64_t seed = 0x6b64696666ULL, count = 1500, start = 0, max_report = 5;
	bool verbose = false, dump = false, do_shrink = true;
	int type_mode = 2; /* 0 socket filter, 1 xdp, 2 alternate */

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--seed") && has_val) {
			if (!parse_u64(argv[++i], &seed))
				goto bad;
		} else if (!strcmp(a, "--count") && has_val) {
			if (!parse_u64(argv[++i], &count))
				goto bad;
		} else if (!strcmp(a, "--index") && has_val) {
			if (!parse_u64(argv[++i], &start))
				goto bad;
			count = 1;
		} else if (!strcmp(a, "--max-report") && has_val) {
			if (!parse_u64(argv[++i], &max_report))
				goto bad;
		} else if (!strcmp(a, "--type") && has_val) {
			const char *t = argv[++i];
			if (!strcmp(t, "sk") || !strcmp(t, "socket_filter"))
				type_mode = 0;
			else if (!strcmp(t, "xdp"))
				type_mode = 1;
			else if (!strcmp(t, "mix"))
				type_mode = 2;
			else
				goto bad;
		} else if (!strcmp(a, "--dump")) {
			dump = verbose = true;
		} else if (!strcmp(a, "--no-shrink")) {
			do_shrink = false;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			verbose = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			goto bad;
		}
	}

	/* bpf() usable at all, then the cpu v4 instructions (Linux 6.6), then
	 * XDP's test run: what this kernel lacks is skipped, not failed. */
	const struct bs_insn ret0[] = {
		mk(C_ALU64 | O_MOV | S_K, 0, 0, 0, 0),
		mk(C_JMP | J_EXIT, 0, 0, 0, 0),
	};
	const struct bs_insn v4[] = {
		mk(C_ST | M_MEM | Z_DW, 10, 0, -8, -5),
		mk(C_LDX | M_MEMSX | Z_B, 0, 10, -8, 0),          /* r0 = *(s8 *)(r10 -8) */
		mk(C_ALU64 | O_DIV | S_K, 0, 0, 1, -1),           /* r0 s/= -1 */
		mk(C_ALU | O_MOV | S_X, 0, 0, 8, 0),              /* w0 = (s8)w0 */
		mk(C_JMP32 | J_JA, 0, 0, 0, 0),                   /* gotol +0 */
		mk(C_ALU64 | O_END | S_K, 0, 0, 0, 16),           /* r0 = bswap16 r0 */
		mk(C_JMP | J_EXIT, 0, 0, 0, 0),
	};
	char why[256];
	if (geteuid() != 0) {
		/* unprivileged loads (where allowed) verify differently */
		printf("kdiff: skipped: not root\n");
		return 77;
	}
	if (probe(BPF_PROG_TYPE_SOCKET_FILTER, ret0, 2, why, sizeof(why))) {
		printf("kdiff: skipped: %s\n", why);
		return 77;
	}
	if (probe(BPF_PROG_TYPE_SOCKET_FILTER, v4, sizeof(v4) / sizeof(v4[0]), why, sizeof(why))) {
		printf("kdiff: skipped: this kernel lacks the BPF cpu v4 instructions "
		       "(Linux >= 6.6): %s\n", why);
		return 77;
	}
	if (type_mode != 0 && probe(BPF_PROG_TYPE_XDP, ret0, 2, why, sizeof(why))) {
		if (type_mode == 1) {
			printf("kdiff: skipped: %s\n", why);
			return 77;
		}
		printf("kdiff: XDP unusable (%s): socket filters only\n", why);
		type_mode = 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct utsname u;
	char jit[8] = "?";
	FILE *jf = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	if (jf) {
		if (!fgets(jit, sizeof(jit), jf))
			strcpy(jit, "?");
		jit[strcspn(jit, "\n")] = 0;
		fclose(jf);
	}
	printf("kdiff: kernel %s, bpf_jit_enable=%s; seed %" PRIu64 ", %" PRIu64
	       " programs from index %" PRIu64 "\n", uname(&u) ? "?" : u.release, jit, seed,
	       count, start);
	nmodes = bs_jit_available() ? NMODES : 2;
	printf("kdiff: against the interpreter (both dispatch loops)%s\n",
	       nmodes > 2 ? " and the JIT (checked and unchecked)" : "; no JIT on this host");

	double t0 = now();
	uint64_t total = 0, mismatches = 0, rejected = 0;
	struct outcome o;
	for (uint64_t idx = start; idx < start + count; idx++) {
		uint32_t type = type_mode == 0 ? BPF_PROG_TYPE_SOCKET_FILTER
			      : type_mode == 1 ? BPF_PROG_TYPE_XDP
			      : (idx & 1) ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SOCKET_FILTER;
		gen_prog(&prog, seed, idx, type);
		total++;
		int rc = evaluate(&prog, &o);
		if (rc < 0) {
			rejected++;
			if (verbose || rejected <= 3) {
				printf("kdiff: seed %" PRIu64 " index %" PRIu64 " (%s) rejected: %s\n",
				       seed, idx, type_name(type), o.why);
				if (verbose)
					print_prog(&prog);
			}
			continue;
		}
		if (rc == 0) {
			if (verbose) {
				printf("kdiff: seed %" PRIu64 " index %" PRIu64 " (%s) ok 0x%016" PRIx64
				       "\n", seed, idx, type_name(type), o.kval);
				if (dump)
					print_prog(&prog);
			}
			continue;
		}
		mismatches++;
		printf("kdiff: MISMATCH seed %" PRIu64 " index %" PRIu64 " (%s)\n", seed, idx,
		       type_name(type));
		if (mismatches > max_report && !verbose)
			continue;
		print_outcome(&o);
		print_prog(&prog);
		if (do_shrink) {
			shrink(&prog, differing(&o));
			evaluate(&prog, &o);
			printf("kdiff: shrunk to %d items (fold mask 0x%x; the original is "
			       "--seed %" PRIu64 " --index %" PRIu64 "):\n", prog.n, prog.fold_mask,
			       seed, idx);
			print_outcome(&o);
			print_prog(&prog);
		}
	}
	double dt = now() - t0;

	printf("kdiff: %.2f s, %.1f%% rejected\n", dt,
	       total ? 100.0 * (double)rejected / (double)total : 0.0);
	printf("kdiff: %" PRIu64 " programs, %" PRIu64 " mismatches, %" PRIu64
	       " rejected by the verifier\n", total, mismatches, rejected);
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", total - mismatches - rejected,
	       mismatches);
	if (mismatches)
		return 1;
	if (total >= 20 && rejected * 4 > total) {
		printf("kdiff: more than 25%% of the programs were rejected: the generator is "
		       "broken for this kernel\n");
		return 1;
	}
	return 0;

bad:
	usage(stderr);
	return 2;
}
