// SPDX-License-Identifier: MIT
/* jit_diff's random programs (tests/jit_gen.h). */
#include <stdio.h>
#include <string.h>

#include "tests/jit_gen.h"

/* ---- random numbers (splitmix64: one stream per program index) ---- */

uint64_t rng_state;

uint64_t rnd(void)
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

/* a factor of a shape the JITs make shifts and adds of (jit_mul_shape):
 * 2^n, 3, 5 or 9 times 2^n, 2^n + 1, 2^n - 1; now and then negated */
static int32_t shaped_factor(void)
{
	static const uint32_t odd[] = {1, 3, 5, 9};
	unsigned n = (unsigned)rn(31);
	int64_t k;
	switch (rn(3)) {
	case 0: k = (int64_t)odd[rn(4)] << n; break;
	case 1: k = ((int64_t)1 << n) + 1; break;
	default: k = ((int64_t)1 << n) - 1; break;
	}
	if (k > INT32_MAX)
		k = INT32_MAX;
	return chance(10) ? (int32_t)-k : (int32_t)k;
}

/* ---- program text ---- */

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
	if (op == 0x20 && !x && chance(50))
		imm = shaped_factor();
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

/* pairs the JITs make one instruction of (jit_pair): a move and an
 * addition to the same register (one lea on x86-64), at one width, the
 * addition's source sometimes the register itself; a 64-bit right shift
 * by k and a mask of the 32 - k bits left (one 32-bit shift), now and then
 * with a mask one off, at 32 bits, or of another register; a shift left by
 * 32 and back (one move) */
static void gen_pair_on(struct prog *p, int dst)
{
	if (chance(25)) {
		/* << 32, then >> 32 or s>> 32: sometimes another count */
		put(p, 0x67, dst, 0, 0, chance(90) ? 32 : 31);
		put(p, chance(50) ? 0x77 : 0xc7, dst, 0, 0, chance(90) ? 32 : 33);
		return;
	}
	if (chance(35)) {
		int32_t k = 1 + (int32_t)rn(31);
		uint32_t mask = (1u << (32 - k)) - 1;
		put(p, chance(90) ? 0x77 : 0x74, dst, 0, 0, k);
		if (chance(15))
			mask += chance(50) ? 1 : (uint32_t)-1;
		put(p, chance(95) ? 0x57 : 0x54, chance(95) ? dst : data_reg(), 0, 0, (int32_t)mask);
		return;
	}
	uint8_t w = chance(60) ? 0x07 : 0x04;
	int src = any_src();
	put(p, (uint8_t)(0xb8 | w), dst, src, 0, 0);
	if (chance(50))
		put(p, w, dst, 0, 0, interesting_imm());
	else
		put(p, (uint8_t)(0x08 | w), dst, chance(30) ? dst : any_src(), 0, 0);
}

static void gen_pair(struct prog *p)
{
	gen_pair_on(p, data_reg());
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
			int atomic = chance(30), mul = chance(30);
			put(p, chance(80) ? 0x15 : 0x55, 0, 0,
			    chance(80) ? (int16_t)(2 + atomic + mul) : 0, 0);  /* if r0 ==/!= 0 */
			put(p, 0x61, data_reg(), 0, offs[rn(6)], 0);   /* rX = *(u32 *)(r0 + off) */
			if (mul)  /* between two accesses (x86-64 borrows r11 for some) */
				put(p, chance(50) ? 0x27 : 0x24, 1 + (int)rn(5), 0, 0, shaped_factor());
			put(p, chance(50) ? 0x63 : 0x7b, 0, data_reg(), offs[rn(6)], 0);
			if (atomic) {
				/* an atomic there, the address in r0 (which some borrow) */
				static const int32_t aops[] = {0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51,
							       0xa1, 0xe1, 0xf1};
				put(p, chance(50) ? 0xdb : 0xc3, 0, data_reg(), (int16_t)(4 * rn(3)),
				    aops[rn(10)]);
			}
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
			/* folded as hashes and CRCs fold what they read */
			if (chance(20))
				put(p, chance(60) ? 0x27 : 0x24, d, 0, 0, shaped_factor());
			else if (chance(20))
				gen_pair_on(p, d);
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
		else if (k < 98)
			gen_pair(p);
		else
			put(p, 0xb7, data_reg(), 0, 0, interesting_imm());
	}
	while (p->n < start + len - 1)
		put(p, 0xbf, 0, data_reg(), 0, 0);
	put(p, 0x95, 0, 0, 0, 0);
}

void gen_prog(struct prog *p, int main_prog)
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

void print_prog(const char *name, const struct prog *p)
{
	printf("%s (%zu insns):\n", name, p->n);
	for (size_t pc = 0; pc < p->n; pc += bs_insn_slots(&p->in[pc])) {
		char buf[160];
		bs_disasm(p->in, p->n, pc, buf, sizeof(buf));
		printf("  %4zu: %s\n", pc, buf);
	}
}
