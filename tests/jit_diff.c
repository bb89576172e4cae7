// SPDX-License-Identifier: MIT
/* Interpreter against JIT on random programs: every instruction kind, loads,
 * stores and atomics on the stack, a packet, a map value, a read-only region
 * and a context with an access rule and a store hook, helper calls (one that
 * moves the packet's window, one that calls back into the program, one that
 * fails), bpf-to-bpf calls (deep enough to overflow), tail calls, LD_ABS /
 * LD_IND, may_goto, loops that run out of budget, and faults. Each program
 * runs in three VMs set up alike: the interpreter, the JIT, the unchecked
 * JIT, twice (the second run in the state the first left, under another
 * budget); r0, every register, the error (kind, pc, message), the
 * instruction count of each run, the current program and all memory must
 * agree.
 *
 *   jit_diff [--count N] [--seed S] [--start I] [-v]
 *
 * Exit 0 when every program agrees, 1 on the first difference (printed with
 * the program, so it can be replayed with --start I --count 1), 77 when the
 * host has no JIT. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/bpfstep.h"
#include "tests/array_helper.h"

/* ---- random numbers (splitmix64: one stream per program index) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static int chance(unsigned pct)
{
	return rn(100) < pct;
}

static int32_t interesting_imm(void)
{
	static const int32_t v[] = {0, 1, -1, 2, 7, 8, 16, 31, 32, 33, 63, 64, 255, 256, 0x7fff,
				    -0x8000, 0x7fffffff, INT32_MIN, 0x12345678, -2};
	return chance(50) ? v[rn(sizeof(v) / sizeof(v[0]))] : (int32_t)rnd();
}

static uint64_t interesting_u64(void)
{
	static const uint64_t v[] = {0, 1, ~0ULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL,
				     0xffffffffULL, 0x80000000ULL, 0x100000000ULL, 63, 64, 32};
	return chance(40) ? v[rn(sizeof(v) / sizeof(v[0]))] : rnd();
}

/* ---- program text ---- */

#define MAXI 1024

struct prog {
	struct bs_insn in[MAXI];
	size_t n;
	/* jumps to patch: at pc, to function-relative target index */
	struct fix { size_t pc; size_t target; int kind; } fix[MAXI];
	size_t nfix;
};

enum { FIX_OFF, FIX_IMM };

static void put(struct prog *p, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	if (p->n >= MAXI)
		return;
	p->in[p->n++] = (struct bs_insn){code, (uint8_t)dst, (uint8_t)src, off, imm};
}

static void put_lddw(struct prog *p, int dst, int src, uint64_t v)
{
	put(p, 0x18, dst, src, 0, (int32_t)(uint32_t)v);
	put(p, 0x00, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* registers: r0..r5 data; r6 pkt, r7 map value, r8 read-only, r9 ctx */
static int data_reg(void)
{
	return (int)rn(6);
}

static int any_src(void)
{
	return (int)rn(11);
}

static void gen_alu(struct prog *p)
{
	static const uint8_t ops[] = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90,
				      0xa0, 0xb0, 0xc0};
	uint8_t op = ops[rn(sizeof(ops))];
	int is64 = chance(60);
	int x = chance(50);
	int dst = data_reg();
	uint8_t code = (uint8_t)(op | (is64 ? 0x07 : 0x04) | (x && op != 0x80 ? 0x08 : 0));
	int16_t off = 0;
	int src = op == 0x80 ? 0 : x ? any_src() : 0;
	int32_t imm = op == 0x80 || x ? 0 : interesting_imm();
	if ((op == 0x30 || op == 0x90) && chance(40))
		off = 1;  /* sdiv / smod */
	if ((op == 0x30 || op == 0x90) && !x && imm == 0)
		imm = chance(50) ? -1 : 3;
	if (op == 0xb0 && x && chance(30)) {
		/* movsx */
		static const int16_t w64[] = {8, 16, 32}, w32[] = {8, 16};
		off = is64 ? w64[rn(3)] : w32[rn(2)];
	}
	/* constant shifts past the width are refused when loading */
	if ((op == 0x60 || op == 0x70 || op == 0xc0) && !x)
		imm = (int32_t)rn(is64 ? 64 : 32);
	put(p, code, dst, src, off, imm);
}

static void gen_end(struct prog *p)
{
	static const uint8_t codes[] = {0xd4, 0xdc, 0xd7};
	static const int32_t widths[] = {16, 32, 64};
	put(p, codes[rn(3)], data_reg(), 0, 0, widths[rn(3)]);
}

/* A base register and offset for an access of size sz: mostly inside a
 * region, sometimes just outside, sometimes nowhere. */
static void pick_base(struct prog *p, unsigned sz, int *base, int16_t *off)
{
	/* mostly valid: each program has dozens of accesses, and one fault ends it */
	unsigned k = rn(20);
	switch (k < 8 ? 0 : k < 11 ? 3 : k < 14 ? 4 : k < 15 ? 5 : k < 16 ? 6 : 7) {
	case 0:
		*base = 10;
		*off = chance(98) ? (int16_t)(-(int)sz - (int)rn(512 - sz + 1)) : (int16_t)(rn(40) - 20);
		if (chance(70))
			*off = (int16_t)(*off & ~(int)(sz - 1));
		return;
	case 3:
		*base = 6;
		*off = (int16_t)(chance(97) ? rn(256 - sz + 1) : rn(280) - 12);
		return;
	case 4:
		*base = 7;
		*off = (int16_t)(chance(97) ? rn(64 - sz + 1) : rn(80) - 8);
		return;
	case 5:
		*base = 8;
		*off = (int16_t)rn(64 - sz + 1);
		return;
	case 6:
		*base = 9;
		*off = (int16_t)(chance(90) ? rn(32 - sz + 1) : rn(40) - 4);
		return;
	default: {
		/* a pointer in a data register: copied from one of the pointers, or garbage */
		int r = (int)(1 + rn(5));
		static const int ptrs[] = {6, 7, 10};
		int from = ptrs[rn(3)];
		put(p, 0xbf, r, from, 0, 0);                   /* r = ptr */
		int32_t add = from == 10 ? -(int32_t)(8 + rn(64)) : (int32_t)rn(40);
		put(p, 0x07, r, 0, 0, add);                    /* r += add */
		*base = chance(97) ? r : data_reg();
		*off = (int16_t)(rn(16) - 8);
		return;
	}
	}
}

static const uint8_t size_bits[4] = {0x10, 0x08, 0x00, 0x18};  /* B H W DW */
static const unsigned size_bytes[4] = {1, 2, 4, 8};

static void gen_mem(struct prog *p)
{
	unsigned k = rn(4), sz = size_bytes[k];
	int base;
	int16_t off;
	pick_base(p, sz, &base, &off);
	switch (rn(5)) {
	case 0: case 1:  /* ldx, ldxs */
		if (k < 3 && chance(30))
			put(p, (uint8_t)(0x81 | size_bits[k]), data_reg(), base, off, 0);
		else
			put(p, (uint8_t)(0x61 | size_bits[k]), data_reg(), base, off, 0);
		break;
	case 2:  /* st */
		put(p, (uint8_t)(0x62 | size_bits[k]), base, 0, off, interesting_imm());
		break;
	case 3:  /* stx */
		put(p, (uint8_t)(0x63 | size_bits[k]), base, any_src(), off, 0);
		break;
	default: {
		/* atomics (W, DW) and load-acquire / store-release (any size) */
		static const int32_t aops[] = {0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1,
					       0x100, 0x110};
		int32_t a = aops[rn(12)];
		if (a < 0x100 && k < 2)
			k = 2 + rn(2);
		sz = size_bytes[k];
		pick_base(p, sz, &base, &off);
		uint8_t code = (uint8_t)(0xc3 | size_bits[k]);
		if (a == 0x100)
			put(p, code, data_reg(), base, off, a);  /* dst = load_acquire(src + off) */
		else
			put(p, code, base, (a & 1) || a == 0x110 ? data_reg() : any_src(), off, a);
		break;
	}
	}
}

static void gen_jump(struct prog *p, size_t fn_start, size_t fn_len, size_t here_rel)
{
	static const uint8_t conds[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0,
					0xd0};
	size_t target;
	/* mostly forward (to a later instruction of this function), sometimes back */
	if (chance(85) || here_rel == 0)
		target = here_rel + 1 + rn((unsigned)(fn_len - here_rel));
	else
		target = rn((unsigned)here_rel + 1);
	if (target >= fn_len)
		target = fn_len - 1;
	unsigned kind = rn(20);
	size_t pc = p->n;
	if (kind == 0) {
		put(p, 0x05, 0, 0, 0, 0);          /* ja */
	} else if (kind == 1) {
		put(p, 0x06, 0, 0, 0, 0);          /* gotol */
		p->fix[p->nfix++] = (struct fix){pc, fn_start + target, FIX_IMM};
		return;
	} else if (kind == 2) {
		put(p, 0xe5, 0, 0, 0, 0);          /* may_goto */
	} else {
		uint8_t c = conds[rn(sizeof(conds))];
		int x = chance(50), j32 = chance(40);
		put(p, (uint8_t)(c | (j32 ? 0x06 : 0x05) | (x ? 0x08 : 0)), any_src() % 6, x ? any_src() : 0,
		    0, x ? 0 : interesting_imm());
	}
	p->fix[p->nfix++] = (struct fix){pc, fn_start + target, FIX_OFF};
}

enum { FN_MAIN, FN_SUB, FN_CB, FN__COUNT };

struct layout {
	size_t start[FN__COUNT];
	size_t len[FN__COUNT];  /* planned body slots (a function may use fewer, padded) */
};

/* r1 of the array lookup helper (7): what a map's lddw would give */
#define LOOKUP_HANDLE 0xffff900000000000ULL

static void gen_call(struct prog *p, int fn)
{
	switch (rn(10)) {
	case 9:  /* an array lookup, done inline by the JIT when r1 is known */
		if (chance(85))
			put_lddw(p, 1, 0, chance(90) ? LOOKUP_HANDLE : LOOKUP_HANDLE + 0x1000);
		if (chance(60)) {
			static const int32_t keys[] = {0, 1, 4, 5, -1, 0x10000};
			put(p, 0x62, 10, 0, -8, keys[rn(6)]);  /* *(u32 *)(r10 - 8) = key */
			put(p, 0xbf, 2, 10, 0, 0);
			put(p, 0x07, 2, 0, 0, -8);
		}
		put(p, 0x85, 0, 0, 0, 7);
		if (chance(60)) {
			/* through the value: inside one (no check), or past it */
			static const int16_t offs[] = {0, 4, 8, 12, -4, 56};
			/* (not always tested: then 0 faults) */
			put(p, chance(80) ? 0x15 : 0x55, 0, 0, chance(80) ? 2 : 0, 0);  /* if r0 ==/!= 0 */
			put(p, 0x61, data_reg(), 0, offs[rn(6)], 0);   /* rX = *(u32 *)(r0 + off) */
			put(p, chance(50) ? 0x63 : 0x7b, 0, data_reg(), offs[rn(6)], 0);
		}
		break;
	case 0: case 1:  /* a helper that computes */
		put(p, 0x85, 0, 0, 0, 1);
		break;
	case 2:  /* the map value's address, or 0 */
		put(p, 0x85, 0, 0, 0, 2);
		break;
	case 3:  /* reads and writes through a pointer argument */
		if (chance(70)) {
			put(p, 0xbf, 1, chance(50) ? 7 : 10, 0, 0);
			put(p, 0x07, 1, 0, 0, chance(50) ? -16 : 8);
		}
		put(p, 0x85, 0, 0, 0, 3);
		break;
	case 4:  /* fails when r1 == 7 */
		if (chance(30))
			put(p, 0xb7, 1, 0, 0, 7);
		put(p, 0x85, 0, 0, 0, 4);
		break;
	case 5:  /* moves the packet's window */
		put(p, 0x85, 0, 0, 0, 6);
		break;
	case 6:  /* tail call: index 0 -> program 1, 1 -> program 0, 99 -> error */
		if (chance(80)) {
			static const int32_t idx[] = {0, 1, 99, 5};
			put(p, 0xb7, 3, 0, 0, idx[rn(4)]);
		}
		put(p, 0x85, 0, 0, 0, 12);
		break;
	case 7:  /* bpf-to-bpf call of the subprogram (recursion from it) */
		if (fn != FN_CB) {
			p->fix[p->nfix++] = (struct fix){p->n, (size_t)-1 - FN_SUB, FIX_IMM};
			put(p, 0x85, 0, 1, 0, 0);
		}
		break;
	default:  /* bpf_loop-like: calls the callback r1 & 3 times */
		if (fn == FN_CB)
			break;
		put(p, 0xb7, 1, 0, 0, (int32_t)rn(4));
		p->fix[p->nfix++] = (struct fix){p->n, (size_t)-1 - FN_CB, FIX_IMM};
		put_lddw(p, 2, 4, 0);
		put(p, 0x85, 0, 0, 0, 5);
		break;
	}
}

static void gen_ldpkt(struct prog *p)
{
	static const uint8_t codes[] = {0x20, 0x28, 0x30, 0x40, 0x48, 0x50};
	uint8_t c = codes[rn(6)];
	int32_t off = chance(80) ? (int32_t)rn(80) : chance(50) ? -0x100000 + (int32_t)rn(40)
								: -0x200000 + (int32_t)rn(40);
	if (chance(5))
		off = (int32_t)rnd();
	put(p, c, 0, (c & 0x40) ? data_reg() : 0, 0, off);
}

/* A counted loop over a pointer register: the shape the JIT checks once at
 * the head (jit/loops.c) and runs without checks when the whole range fits
 * in one region, with variants it must refuse or whose check must fail:
 * ranges past a region's end, the context (a rule) and the read-only
 * region, bounds the condition never meets, 32-bit steps and compares,
 * steps that do not divide the distance, early exits. */
static void gen_loop(struct prog *p)
{
	if (p->n + 32 >= MAXI)
		return;
	int iv = 1 + (int)rn(5), a, lreg = -1;
	do
		a = (int)rn(6);
	while (a == iv);
	static const int bases[] = {6, 6, 6, 7, 7, 8, 9, 10};
	int base = chance(95) ? bases[rn(8)] : data_reg();
	/* an array lookup in the body (a call: r1-r5 do not survive it, so
	 * the variable then lives in r6-r9) */
	int lookup = chance(25);
	if (lookup)
		do
			iv = 6 + (int)rn(4);
		while (iv == base);
	static const int64_t steps[] = {1, 1, 2, 4, 8, 3};
	int64_t step = steps[rn(6)];
	int64_t first = chance(80) ? (int64_t)rn(8) : interesting_imm();
	int64_t n = 1 + rn(chance(80) ? 24 : 80);
	int64_t limit = chance(85) ? first + n * step : first + (int64_t)rn(100) - 20;
	if (chance(90))
		put(p, 0xb7, iv, 0, 0, (int32_t)first);          /* iv = first */
	if (chance(40)) {
		do
			lreg = (int)rn(6);
		while (lreg == iv || lreg == a);
		put(p, 0xb7, lreg, 0, 0, (int32_t)limit);        /* lreg = limit */
	}
	/* an end pointer for a verifier-style test (if a > end goto out) */
	int e = -1;
	if (chance(30)) {
		do
			e = (int)rn(6);
		while (e == iv || e == a || e == lreg);
		put(p, 0xbf, e, base, 0, 0);                      /* e = base */
		put(p, 0x07, e, 0, 0, (int32_t)rn(300) - 20);     /* e += k */
	}
	size_t head = p->n, exits[5];
	unsigned nexits = 0;
	if (chance(30))
		gen_alu(p);  /* may write iv, a or lreg: then it no longer qualifies */
	put(p, 0xbf, a, base, 0, 0);                             /* a = base */
	put(p, chance(95) ? 0x0f : 0x0c, a, iv, 0, 0);          /* a += iv (sometimes 32-bit) */
	if (chance(10))
		put(p, 0x0f, a, iv, 0, 0);                       /* twice: not a plain sum */
	if (chance(30))
		put(p, 0x07, a, 0, 0, (int32_t)rn(16) - 4);      /* a += k */
	if (e >= 0) {
		static const uint8_t tests[] = {0x2d, 0x3d, 0x6d, 0x7d, 0xad};
		exits[nexits++] = p->n;
		put(p, tests[rn(sizeof(tests))], a, e, 0, 0);     /* if a > end goto out */
	}
	for (unsigned k = 0, m = 1 + rn(3); k < m; k++) {
		unsigned z = rn(4);
		int16_t off = (int16_t)(chance(90) ? (int)rn(8) : (int)rn(600) - 300);
		switch (rn(4)) {
		case 0: case 1: {
			/* mostly into a register the loop does not steer by */
			int d = data_reg();
			while (chance(90) && (d == iv || d == a || d == lreg))
				d = data_reg();
			put(p, (uint8_t)(0x61 | size_bits[z]), d, a, off, 0);
			break;
		}
		case 2:
			put(p, (uint8_t)(0x62 | size_bits[z]), a, 0, off, interesting_imm());
			break;
		default:
			put(p, (uint8_t)(0x63 | size_bits[z]), a, any_src(), off, 0);
			break;
		}
		if (chance(15) && nexits < 5) {
			/* an early exit, patched to the end below */
			exits[nexits++] = p->n;
			put(p, (uint8_t)(chance(50) ? 0x2d : 0x15), a, 0, 0, 0);
			if (p->in[p->n - 1].code == 0x2d)
				p->in[p->n - 1].src_reg = (uint8_t)(chance(50) ? base : data_reg()) & 0xf;
			else
				p->in[p->n - 1].imm = (int32_t)rn(256);
		}
		if (chance(10))
			put(p, 0x7b, 10, any_src(), (int16_t)(-8 * (int)(1 + rn(8))), 0);  /* the frame */
		if (chance(10))
			put(p, 0x71, a == 0 ? 1 : 0, base, (int16_t)rn(8), 0);  /* invariant address */
	}
	if (lookup && nexits < 5) {
		/* the key in the frame (or, rarely, where the loop reads) */
		int16_t koff = (int16_t)(-4 * (int)(1 + rn(4)));
		if (chance(50))
			put(p, 0x62, 10, 0, koff, (int32_t)rn(7));                /* *(u32 *)(r10 + k) = key */
		else
			put(p, 0x63, 10, chance(80) ? a : any_src(), koff, 0);
		put(p, 0xbf, 2, chance(95) ? 10 : a, 0, 0);
		put(p, 0x07, 2, 0, 0, koff);
		put_lddw(p, 1, 0, chance(95) ? LOOKUP_HANDLE : LOOKUP_HANDLE + 0x1000);
		put(p, 0x85, 0, 0, 0, 7);
		if (chance(90)) {
			exits[nexits++] = p->n;
			put(p, 0x15, 0, 0, 0, 0);                          /* if r0 == 0 goto out */
		}
		uint8_t z = size_bits[rn(4)];
		int16_t off = (int16_t)rn(14);
		if (chance(50))
			put(p, (uint8_t)(0x61 | z), 1 + (int)rn(5), 0, off, 0);      /* load from the value */
		else
			put(p, (uint8_t)(0x63 | z), 0, any_src(), off, 0);             /* store into it */
	}
	put(p, chance(93) ? 0x07 : 0x04, iv, 0, 0, (int32_t)(chance(95) ? step : -step));
	/* the back edge: iv against the limit, in one of the forms the JIT
	 * reads or one it must refuse */
	static const uint8_t conds[] = {0x50, 0xa0, 0xb0, 0xc0, 0xd0, 0x20, 0x60, 0x30, 0x70, 0x10};
	uint8_t c = conds[rn(sizeof(conds))];
	int j32 = chance(15);
	int reversed = c == 0x20 || c == 0x60 || c == 0x30 || c == 0x70;
	size_t at = p->n;
	int16_t back = (int16_t)((int64_t)head - (int64_t)at - 1);
	if (chance(40)) {
		/* rotated, as clang writes many loops: an exit test, then goto head */
		static const uint8_t exits_k[] = {0x10, 0x30, 0x20, 0x70, 0x60, 0x50, 0xa0};
		if (lreg >= 0 && chance(50))
			put(p, (uint8_t)((chance(50) ? 0xb0 : 0xa0) | (j32 ? 0x0e : 0x0d)), lreg, iv, 1, 0);
		else
			put(p, (uint8_t)(exits_k[rn(sizeof(exits_k))] | (j32 ? 0x06 : 0x05)), iv, 0, 1,
			    (int32_t)limit);
		put(p, 0x05, 0, 0, (int16_t)((int64_t)head - (int64_t)p->n - 1), 0);  /* goto head */
	} else if (lreg >= 0 && reversed)
		put(p, (uint8_t)(c | (j32 ? 0x0e : 0x0d)), lreg, iv, back, 0);
	else if (lreg >= 0)
		put(p, (uint8_t)(c | (j32 ? 0x0e : 0x0d)), iv, lreg, back, 0);
	else if (reversed)  /* limit > iv as iv < limit: the immediate is always src */
		put(p, (uint8_t)((c == 0x20 ? 0xa0 : c == 0x30 ? 0xb0 : c == 0x60 ? 0xc0 : 0xd0) |
				 (j32 ? 0x06 : 0x05)), iv, 0, back, (int32_t)limit);
	else
		put(p, (uint8_t)(c | (j32 ? 0x06 : 0x05)), iv, 0, back, (int32_t)limit);
	for (unsigned k = 0; k < nexits; k++)
		p->in[exits[k]].off = (int16_t)(p->n - exits[k] - 1);
}

static void gen_body(struct prog *p, int fn, size_t start, size_t len)
{
	for (size_t rel = 0; p->n < start + len - 2;) {
		rel = p->n - start;
		unsigned k = rn(100);
		if (k < 38)
			gen_alu(p);
		else if (k < 42)
			gen_end(p);
		else if (k < 66)
			gen_mem(p);
		else if (k < 78)
			gen_jump(p, start, len - 1, rel);
		else if (k < 86)
			gen_call(p, fn);
		else if (k < 90)
			gen_ldpkt(p);
		else if (k < 93)
			put_lddw(p, data_reg(), 0, interesting_u64());
		else if (k < 96)
			gen_loop(p);
		else
			put(p, 0xb7, data_reg(), 0, 0, interesting_imm());
	}
	while (p->n < start + len - 1)
		put(p, 0xbf, 0, data_reg(), 0, 0);
	put(p, 0x95, 0, 0, 0, 0);
}

static void gen_prog(struct prog *p, int main_prog)
{
	memset(p, 0, sizeof(*p));
	struct layout L;
	size_t total = 40 + rn(160);
	L.len[FN_MAIN] = total;
	L.len[FN_SUB] = 10 + rn(40);
	L.len[FN_CB] = 6 + rn(16);
	L.start[FN_MAIN] = 0;
	/* prologue: the pointers, then data registers from the arguments */
	if (main_prog) {
		put(p, 0xbf, 6, 1, 0, 0);
		put(p, 0xbf, 7, 2, 0, 0);
		put(p, 0xbf, 8, 3, 0, 0);
		put(p, 0xbf, 9, 4, 0, 0);
	}
	for (int r = 0; r < 6; r++)
		if (chance(70))
			put_lddw(p, r, 0, interesting_u64());
	gen_body(p, FN_MAIN, 0, L.len[FN_MAIN]);
	for (int fn = FN_SUB; fn < FN__COUNT; fn++) {
		/* the callback's r0 decides whether bpf_loop goes on */
		/* a function may come out longer than planned: it starts where the last ended */
		L.start[fn] = p->n;
		if (fn == FN_CB)
			put(p, 0xb7, 0, 0, 0, 0);
		gen_body(p, fn, L.start[fn], L.len[fn]);
	}
	static uint8_t second[MAXI + 1];
	memset(second, 0, sizeof(second));
	for (size_t pc = 0; pc + 1 < p->n; pc++)
		if (p->in[pc].code == 0x18)
			second[++pc] = 1;
	for (size_t i = 0; i < p->nfix; i++) {
		struct fix *f = &p->fix[i];
		size_t t = f->target;
		if (t >= (size_t)-1 - FN__COUNT)
			t = L.start[(size_t)-1 - t];
		else if (second[t])
			t++;  /* not into the middle of a lddw */
		int64_t rel = (int64_t)t - (int64_t)f->pc - 1;
		if (f->kind == FIX_IMM)
			p->in[f->pc].imm = (int32_t)rel;
		else
			p->in[f->pc].off = (int16_t)rel;
	}
}

/* ---- the environment ---- */

#define PKT_BUF 512
#define PKT_AT 128

struct env {
	uint8_t pkt[PKT_BUF], map[64], ro[64], ctx[32];
	uint64_t pkt_guest, pkt_region, map_guest, ro_guest, ctx_guest;
	size_t pkt_start, pkt_len;
	uint32_t prog1;
	int moves;
	/* helper 7: 5 values 12 bytes apart over the map region */
	struct test_array array;
};

static int h_sum(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)vm; (void)err; (void)u;
	*r0 = a[0] + 2 * a[1] + (a[2] ^ a[3]) - a[4];
	return 0;
}

static int h_ptr(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)vm; (void)err;
	struct env *e = u;
	*r0 = a[0] & 1 ? e->map_guest : 0;
	return 0;
}

static int h_mem(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)u;
	struct bs_error e2;
	uint8_t *p = bs_vm_translate(vm, a[0], 8, true, &e2);
	(void)err;
	if (!p) {
		*r0 = (uint64_t)-14;
		return 0;
	}
	uint64_t v;
	memcpy(&v, p, 8);
	v = v * 3 + 1;
	memcpy(p, &v, 8);
	*r0 = v;
	return 0;
}

static int h_fail(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)vm; (void)u;
	if (a[0] == 7)
		return bs_error_set(err, BS_ERR_HELPER, "the helper refused r1 = 7");
	*r0 = a[0] >> 1;
	return 0;
}

static int h_loop(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	(void)u;
	uint64_t i;
	for (i = 0; i < (a[0] & 3); i++) {
		uint64_t args[5] = {i, a[2], a[3], 0, 0}, ret;
		if (bs_vm_call(vm, a[1], args, &ret, err))
			return -1;
		if (ret)
			break;
	}
	*r0 = i;
	return 0;
}

/* like bpf_xdp_adjust_head: the window moves inside the buffer, bytes keep
 * their guest addresses, and r6 may now point outside it */
static int h_move(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0, struct bs_error *err, void *u)
{
	struct env *e = u;
	int64_t d = (int64_t)(a[0] % 33) - 16;
	if ((int64_t)e->pkt_start + d < 0 || (int64_t)e->pkt_len - d < 8 ||
	    e->pkt_start + e->pkt_len > PKT_BUF) {
		*r0 = (uint64_t)-22;
		return 0;
	}
	uint64_t guest = e->pkt_region;
	size_t ns = (size_t)((int64_t)e->pkt_start + d), nl = (size_t)((int64_t)e->pkt_len - d);
	if (bs_vm_region_update(vm, guest, e->pkt + ns, nl, err))
		return -1;
	e->pkt_region = guest + (uint64_t)d;
	e->pkt_start = ns;
	e->pkt_len = nl;
	e->moves++;
	*r0 = 0;
	return 0;
}

static int tail_call(struct bs_vm *vm, uint64_t map, uint64_t index, uint32_t *prog,
		     struct bs_error *err, void *u)
{
	(void)vm; (void)map;
	struct env *e = u;
	if (index == 0) {
		*prog = e->prog1;
		return 1;
	}
	if (index == 1) {
		*prog = 0;
		return 1;
	}
	if (index == 99) {
		bs_error_set(err, BS_ERR_HELPER, "no program array here");
		return -1;
	}
	return 0;
}

/* offsets 0..15 readable, 16..23 read+write, 24..31 write-only (as ctx rules go) */
static bool ctx_rule(void *u, uint64_t off, unsigned size, unsigned need)
{
	(void)u;
	if (need & BS_REGION_WRITE && off + size <= 16)
		return false;
	if (need & BS_REGION_READ && off >= 24)
		return false;
	return true;
}

/* a 4-byte store at 16 keeps only 16 bits, as the kernel does for tc_index */
static bool ctx_hook(void *u, uint64_t off, unsigned size, uint64_t v, void *host)
{
	(void)u;
	if (off == 16 && size == 4) {
		uint32_t low = (uint16_t)v;
		memcpy(host, &low, 4);
		return true;
	}
	return false;
}

/* The second run of a program in the same VM. */
struct again {
	int rc;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t regs[BS_MAX_REG];
};

struct result {
	struct again again;
	int rc;
	struct bs_error err;
	struct bs_run_result res;
	uint64_t regs[BS_MAX_REG];
	uint32_t cur;
	uint8_t stack[BS_STACK_SIZE * BS_MAX_FRAMES];
	size_t stack_len;
	struct env env;
};

static int setup(struct bs_vm **out, struct env *e, const struct prog *p0, const struct prog *p1,
		 uint64_t seed, struct bs_error *err)
{
	struct bs_vm *vm;
	if (bs_vm_new(&vm, err))
		return -1;
	*out = vm;
	uint64_t save = rng_state;
	rng_state = seed;
	for (size_t i = 0; i < PKT_BUF; i++)
		e->pkt[i] = (uint8_t)rnd();
	for (size_t i = 0; i < 64; i++) {
		e->map[i] = (uint8_t)rnd();
		e->ro[i] = (uint8_t)rnd();
	}
	for (size_t i = 0; i < 32; i++)
		e->ctx[i] = (uint8_t)rnd();
	rng_state = save;
	e->pkt_start = PKT_AT;
	e->pkt_len = 256;
	if (bs_vm_set_helper(vm, 1, "sum", h_sum, e, err) ||
	    bs_vm_set_helper(vm, 2, "ptr", h_ptr, e, err) ||
	    bs_vm_set_helper(vm, 3, "mem", h_mem, e, err) ||
	    bs_vm_set_helper(vm, 4, "fail", h_fail, e, err) ||
	    bs_vm_set_helper(vm, 5, "loop", h_loop, e, err) ||
	    bs_vm_set_helper(vm, 6, "move", h_move, e, err) ||
	    test_array_register(vm, 7, &e->array, err))
		return -1;
	bs_vm_set_tail_call(vm, tail_call, e);
	bs_vm_set_budget(vm, 3000);
	if (bs_vm_load(vm, p0->in, p0->n, err) || bs_vm_add_prog(vm, p1->in, p1->n, &e->prog1, err))
		return -1;
	uint64_t g;
	/* the packet buffer is the region; the window is narrowed to the packet */
	if (bs_vm_add_region(vm, "pkt", e->pkt, PKT_BUF, BS_REGION_RW, &g, err) ||
	    bs_vm_region_update(vm, g, e->pkt + PKT_AT, 256, err))
		return -1;
	e->pkt_region = g + PKT_AT;
	e->pkt_guest = g + PKT_AT;
	e->array = (struct test_array){.r1 = LOOKUP_HANDLE, .stride = 12, .n = 5};
	if (bs_vm_add_region(vm, "map", e->map, 64, BS_REGION_RW, &e->map_guest, err) ||
	    bs_vm_add_region(vm, "ro", e->ro, 64, BS_REGION_READ, &e->ro_guest, err) ||
	    bs_vm_add_region(vm, "ctx", e->ctx, 32, BS_REGION_RW, &e->ctx_guest, err) ||
	    bs_vm_region_set_access_rule(vm, e->ctx_guest, ctx_rule, NULL, err) ||
	    bs_vm_region_set_store_hook(vm, e->ctx_guest, ctx_hook, NULL, err))
		return -1;
	e->array.base = e->map_guest;
	bs_vm_set_packet(vm, e->pkt + PKT_AT, 256, 14, 0, 14 + 0);
	return 0;
}

static int run_one(const struct prog *p0, const struct prog *p1, uint64_t seed, enum bs_engine eng,
		   struct result *r)
{
	memset(r, 0, sizeof(*r));
	struct bs_vm *vm = NULL;
	int rc = setup(&vm, &r->env, p0, p1, seed, &r->err);
	if (rc) {
		bs_vm_free(vm);
		r->rc = -2;
		return -1;
	}
	bs_vm_set_engine(vm, eng);
	uint64_t args[5] = {r->env.pkt_guest, r->env.map_guest, r->env.ro_guest, r->env.ctx_guest,
			    seed};
	r->rc = bs_vm_run(vm, args, &r->res, &r->err);
	memcpy(r->regs, bs_vm_regs(vm), sizeof(r->regs));
	r->cur = bs_vm_current_prog(vm);
	/* again in the same VM, as run --repeat and replay do: the JIT's
	 * memos (a loop check's among them) meet what the first run left,
	 * under the same budget or one that may run out anywhere */
	bs_vm_set_budget(vm, seed & 1 ? 3000 : 1 + (seed >> 1) % 3000);
	r->again.rc = bs_vm_run(vm, args, &r->again.res, &r->again.err);
	memcpy(r->again.regs, bs_vm_regs(vm), sizeof(r->again.regs));
	/* the stack from the current frame's bottom up to the top of frame 0 */
	uint64_t fp = r->regs[10];
	struct bs_error e2;
	for (uint64_t lo = fp - BS_STACK_SIZE;; lo += BS_STACK_SIZE) {
		uint8_t *s = bs_vm_translate(vm, lo, BS_STACK_SIZE, false, &e2);
		if (!s)
			break;
		if (r->stack_len + BS_STACK_SIZE > sizeof(r->stack))
			break;
		memcpy(r->stack + r->stack_len, s, BS_STACK_SIZE);
		r->stack_len += BS_STACK_SIZE;
	}
	bs_vm_free(vm);
	return 0;
}

static const char *differ(const struct result *a, const struct result *b)
{
	static char why[1024];
	if (a->rc != b->rc)
		return "rc";
	if (a->rc && (a->err.kind != b->err.kind || a->err.pc != b->err.pc ||
		      strcmp(a->err.message, b->err.message) != 0)) {
		snprintf(why, sizeof(why), "error: %s at %ld '%.320s' vs %s at %ld '%.320s'",
			 bs_err_kind_name(a->err.kind), a->err.pc, a->err.message,
			 bs_err_kind_name(b->err.kind), b->err.pc, b->err.message);
		return why;
	}
	if (a->res.retval != b->res.retval)
		return "r0";
	if (a->res.insns_executed != b->res.insns_executed) {
		snprintf(why, sizeof(why), "insns_executed %" PRIu64 " vs %" PRIu64,
			 a->res.insns_executed, b->res.insns_executed);
		return why;
	}
	for (int i = 0; i < BS_MAX_REG; i++)
		if (a->regs[i] != b->regs[i]) {
			snprintf(why, sizeof(why), "r%d: 0x%" PRIx64 " vs 0x%" PRIx64, i, a->regs[i],
				 b->regs[i]);
			return why;
		}
	if (a->cur != b->cur)
		return "current program";
	const struct again *x = &a->again, *y = &b->again;
	if (x->rc != y->rc || x->err.kind != y->err.kind || x->err.pc != y->err.pc ||
	    strcmp(x->err.message, y->err.message) != 0 || x->res.retval != y->res.retval ||
	    x->res.insns_executed != y->res.insns_executed || memcmp(x->regs, y->regs, sizeof(x->regs))) {
		snprintf(why, sizeof(why), "second run: rc %d/%d r0 0x%" PRIx64 "/0x%" PRIx64
			 " insns %" PRIu64 "/%" PRIu64 " '%.320s' at %ld / '%.320s' at %ld",
			 x->rc, y->rc, x->res.retval, y->res.retval, x->res.insns_executed,
			 y->res.insns_executed, x->err.message, x->err.pc, y->err.message, y->err.pc);
		return why;
	}
	if (a->stack_len != b->stack_len || memcmp(a->stack, b->stack, a->stack_len))
		return "stack";
	if (memcmp(a->env.pkt, b->env.pkt, PKT_BUF) || a->env.pkt_start != b->env.pkt_start ||
	    a->env.pkt_len != b->env.pkt_len)
		return "packet";
	if (memcmp(a->env.map, b->env.map, 64))
		return "map value";
	if (memcmp(a->env.ro, b->env.ro, 64))
		return "read-only region";
	if (memcmp(a->env.ctx, b->env.ctx, 32))
		return "ctx";
	return NULL;
}

static void print_prog(const char *name, const struct prog *p)
{
	printf("%s (%zu insns):\n", name, p->n);
	for (size_t pc = 0; pc < p->n; pc += bs_insn_slots(&p->in[pc])) {
		char buf[160];
		bs_disasm(p->in, p->n, pc, buf, sizeof(buf));
		printf("  %4zu: %s\n", pc, buf);
	}
}

int main(int argc, char **argv)
{
	uint64_t count = 2000, seed = 0x6a17d1ff, start = 0;
	int verbose = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc)
			start = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else {
			fprintf(stderr, "usage: %s [--count N] [--seed S] [--start I] [-v]\n", argv[0]);
			return 2;
		}
	}
	if (!bs_jit_available()) {
		printf("jit_diff: no JIT on this host; skipped\n");
		return 77;
	}
	static struct prog p0, p1;
	static struct result ri, rj, ru;
	uint64_t loaded = 0, faults = 0, tails = 0, moved = 0;
	uint64_t kinds[BS_ERR__COUNT] = {0};
	for (uint64_t k = start; k < start + count; k++) {
		rng_state = seed ^ (k * 0x2545f4914f6cdd1dULL);
		gen_prog(&p0, 1);
		gen_prog(&p1, 0);
		uint64_t mseed = rnd();
		if (verbose) {
			/* before it runs: a crash leaves the program on the screen */
			print_prog("program 0", &p0);
			print_prog("program 1", &p1);
		}
		run_one(&p0, &p1, mseed, BS_ENGINE_INTERP, &ri);
		run_one(&p0, &p1, mseed, BS_ENGINE_JIT, &rj);
		run_one(&p0, &p1, mseed, BS_ENGINE_JIT_UNCHECKED, &ru);
		const char *d = differ(&ri, &rj);
		const char *which = "jit";
		if (!d) {
			d = differ(&ri, &ru);
			which = "jit-unchecked";
		}
		if (d) {
			printf("jit_diff: program %" PRIu64 " (seed 0x%" PRIx64 "): interpreter and %s "
			       "differ: %s\n", k, seed, which, d);
			printf("interpreter: rc %d r0 0x%" PRIx64 " insns %" PRIu64 " %s at %ld: %s\n", ri.rc,
			       ri.res.retval, ri.res.insns_executed, bs_err_kind_name(ri.err.kind),
			       ri.err.pc, ri.err.message);
			const struct result *o = which[3] ? &ru : &rj;
			printf("%s: rc %d r0 0x%" PRIx64 " insns %" PRIu64 " %s at %ld: %s\n", which, o->rc,
			       o->res.retval, o->res.insns_executed, bs_err_kind_name(o->err.kind),
			       o->err.pc, o->err.message);
			print_prog("program 0", &p0);
			print_prog("program 1", &p1);
			return 1;
		}
		if (ri.rc != -2)
			loaded++;
		else if (verbose)
			printf("%" PRIu64 ": not loaded: %s at %ld: %s\n", k, bs_err_kind_name(ri.err.kind),
			       ri.err.pc, ri.err.message);
		if (ri.rc == -1) {
			faults++;
			kinds[ri.err.kind]++;
		}
		tails += ri.cur != 0;
		moved += ri.env.moves != 0;
		if (verbose && ri.rc == -1)
			printf("%" PRIu64 ": %s at %ld: %s\n", k, bs_err_kind_name(ri.err.kind), ri.err.pc,
			       ri.err.message);
	}
	printf("jit_diff: %" PRIu64 " programs (seed 0x%" PRIx64 ", from %" PRIu64 "), %" PRIu64
	       " loaded, %" PRIu64 " ended in an error (",
	       count, seed, start, loaded, faults);
	for (int k = 1; k < BS_ERR__COUNT; k++)
		if (kinds[k])
			printf("%s%s %" PRIu64, k > 1 ? " " : "", bs_err_kind_name(k), kinds[k]);
	printf("), %" PRIu64 " ended in a tail-called program, %" PRIu64
	       " moved the packet; 0 differences\n", tails, moved);
	return loaded * 2 < count ? 1 : 0;
}
