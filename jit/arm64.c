// SPDX-License-Identifier: MIT
/* The arm64 backend: prepared instructions (struct vm_pinsn) to A64 code
 * that gives the interpreter's results, r0, memory, errors and counts, as
 * the x86-64 backend does (docs/jit.md).
 *
 * Passes: the same emitter sizes (no buffer) until the offsets stop moving
 * (branches become one instruction where an imm19 reaches), then writes into
 * a read+write mapping; the written offsets must equal the last sizing pass,
 * and an operand no encoding can hold (a branch beyond +-128 MiB) fails the
 * pass: the program then runs in the interpreter. The slack of the last page
 * is brk, the I-cache is flushed, and the mapping turns read+exec.
 *
 * Layout: entry trampoline | instructions | exit routine | epilogue |
 * slow-path stubs (cold).
 *
 * While BPF code runs sp never moves: [sp] is the struct jit_frame, x24 the
 * struct bs_vm, x25 the budget left, x27 the stack's host-minus-guest delta,
 * x28 the host address of r10 - 256 (so fp-512 .. fp-1 is one ldur/stur
 * away); x9..x13 and x16/x17 are scratch. */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "jit/emit.h"
#include "jit/jit_private.h"
#include "vm/error.h"

#ifndef HWCAP_ATOMICS
#define HWCAP_ATOMICS (1UL << 8)
#endif

/* BPF r1..r5 in x0..x4, where AAPCS64 passes arguments (the kernel's arm64
 * JIT makes the same choice); r0 in x7; r6..r10 callee-saved. */
static const uint8_t reg2a[BS_MAX_REG] = {
	[0] = 7, [1] = 0, [2] = 1, [3] = 2, [4] = 3, [5] = 4,
	[6] = 19, [7] = 20, [8] = 21, [9] = 22, [10] = 23,
};
enum {
	AUX = 9,   /* host address of an access */
	ADR = 10,  /* guest address of an access */
	T1 = 11, T2 = 12, T3 = 13,
	IP = 16,   /* the encoders' own temporary (large offsets, immediates) */
	FN = 17,   /* call target */
	VMR = 24, CNT = 25, DLT = 27, SFP = 28,
	SP = 31, ZR = 31,
};

#define FRAME_SIZE ((int32_t)((sizeof(struct jit_frame) + 15) & ~(size_t)15))
#define F_OFF(field) ((int64_t)offsetof(struct jit_frame, field))
#define VM_OFF(field) ((int64_t)offsetof(struct bs_vm, field))
#define VM_REG(i) (VM_OFF(reg) + 8 * (i))
#define CACHE_OFF(k) (F_OFF(cache) + (int64_t)sizeof(struct jit_cache) * (k))
#define SAVE_AREA 96  /* x19..x30 */

/* condition codes */
enum { C_EQ = 0, C_NE = 1, C_HS = 2, C_LO = 3, C_HI = 8, C_LS = 9, C_GE = 10, C_LT = 11,
       C_GT = 12, C_LE = 13, C_AL = 14 };

static int lse_atomics(void)
{
	static int have = -1;
	if (have < 0)
		have = (getauxval(AT_HWCAP) & HWCAP_ATOMICS) != 0;
	return have;
}

/* ---- raw encodings ---- */

static void ins(struct jit_buf *b, uint32_t v)
{
	emit4(b, v);
}

/* mov rd, v: movz/movn and movk over the 16-bit pieces (sf 0: 32-bit) */
static void mov_imm(struct jit_buf *b, int sf, int rd, uint64_t v)
{
	int nh = sf ? 4 : 2;
	if (!sf)
		v = (uint32_t)v;
	int zeros = 0, ones = 0;
	for (int i = 0; i < nh; i++) {
		uint16_t h = (uint16_t)(v >> (16 * i));
		zeros += h == 0;
		ones += h == 0xffff;
	}
	int inv = ones > zeros;
	uint16_t skip = inv ? 0xffff : 0;
	int first = 1;
	for (int i = 0; i < nh; i++) {
		uint16_t h = (uint16_t)(v >> (16 * i));
		if (h == skip && !(first && i == nh - 1))
			continue;
		uint32_t hw = (uint32_t)i << 21, sfb = (uint32_t)sf << 31;
		if (first)
			ins(b, (inv ? 0x12800000 : 0x52800000) | sfb | hw |
				       (uint32_t)(uint16_t)(inv ? ~h : h) << 5 | (uint32_t)rd);  /* movn/movz */
		else
			ins(b, 0x72800000 | sfb | hw | (uint32_t)h << 5 | (uint32_t)rd);           /* movk */
		first = 0;
	}
}

/* data processing, register: op rd, rn, rm (shift 0) */
static void rrr(struct jit_buf *b, uint32_t opc, int sf, int rd, int rn, int rm)
{
	ins(b, opc | (uint32_t)sf << 31 | (uint32_t)rm << 16 | (uint32_t)rn << 5 | (uint32_t)rd);
}

enum {
	OP_ADD = 0x0B000000, OP_SUB = 0x4B000000, OP_SUBS = 0x6B000000, OP_AND = 0x0A000000,
	OP_ORR = 0x2A000000, OP_EOR = 0x4A000000, OP_ANDS = 0x6A000000, OP_ORN = 0x2A200000,
	OP_UDIV = 0x1AC00800, OP_SDIV = 0x1AC00C00, OP_LSLV = 0x1AC02000, OP_LSRV = 0x1AC02400,
	OP_ASRV = 0x1AC02800, OP_MUL = 0x1B007C00,
};

static void mov_rr(struct jit_buf *b, int sf, int rd, int rm)
{
	rrr(b, OP_ORR, sf, rd, ZR, rm);  /* orr rd, zr, rm (32-bit: zero-extends) */
}

/* add/sub (immediate): rd/rn 31 is sp */
static void addsub_imm12(struct jit_buf *b, int sf, int sub, int setf, int rd, int rn, uint32_t imm,
			 int shift)
{
	ins(b, 0x11000000 | (uint32_t)sf << 31 | (uint32_t)sub << 30 | (uint32_t)setf << 29 |
		       (uint32_t)shift << 22 | (imm & 0xfff) << 10 | (uint32_t)rn << 5 | (uint32_t)rd);
}

/* rd = rn + v (rn, rd not sp unless v fits an imm12) */
static void add_imm(struct jit_buf *b, int sf, int rd, int rn, int64_t v)
{
	if (!sf)
		v = (int64_t)(int32_t)(uint32_t)v;
	if (v >= 0 && v < 4096) {
		addsub_imm12(b, sf, 0, 0, rd, rn, (uint32_t)v, 0);
	} else if (v < 0 && v > -4096) {
		addsub_imm12(b, sf, 1, 0, rd, rn, (uint32_t)-v, 0);
	} else if (v > 0 && v < (1 << 24) && !(v & 0xfff)) {
		addsub_imm12(b, sf, 0, 0, rd, rn, (uint32_t)(v >> 12), 1);
	} else {
		mov_imm(b, sf, IP, (uint64_t)v);
		rrr(b, OP_ADD, sf, rd, rn, IP);
	}
}

/* cmp rn, v */
static void cmp_imm(struct jit_buf *b, int sf, int rn, uint64_t v)
{
	if (!sf)
		v = (uint32_t)v;
	if (v < 4096) {
		addsub_imm12(b, sf, 1, 1, ZR, rn, (uint32_t)v, 0);
	} else {
		mov_imm(b, sf, IP, v);
		rrr(b, OP_SUBS, sf, ZR, rn, IP);
	}
}

/* ubfm/sbfm rd, rn, #immr, #imms */
static void bfm(struct jit_buf *b, int sf, int sgn, int rd, int rn, unsigned immr, unsigned imms)
{
	uint32_t base = sgn ? 0x13000000 : 0x53000000;
	ins(b, base | (uint32_t)sf << 31 | (uint32_t)sf << 22 | immr << 16 | imms << 10 |
		       (uint32_t)rn << 5 | (uint32_t)rd);
}

/* Load/store of 1 << lg bytes at [rn + off]; opc 0 store, 1 load (zero-
 * extending), 2 load sign-extending to 64 bits. Picks the scaled imm12, the
 * unscaled imm9 or a register offset. */
static void ldst(struct jit_buf *b, unsigned lg, unsigned opc, int rt, int rn, int64_t off)
{
	uint32_t sz = lg << 30 | opc << 22 | (uint32_t)rn << 5 | (uint32_t)rt;
	if (off >= 0 && !(off & ((1 << lg) - 1)) && (off >> lg) < 4096) {
		ins(b, 0x39000000 | sz | (uint32_t)(off >> lg) << 10);
	} else if (off >= -256 && off < 256) {
		ins(b, 0x38000000 | sz | ((uint32_t)off & 0x1ff) << 12);
	} else {
		mov_imm(b, 1, IP, (uint64_t)off);
		ins(b, 0x38206800 | sz | (uint32_t)IP << 16);
	}
}

static void ldr64(struct jit_buf *b, int rt, int rn, int64_t off)
{
	ldst(b, 3, 1, rt, rn, off);
}

static void str64(struct jit_buf *b, int rt, int rn, int64_t off)
{
	ldst(b, 3, 0, rt, rn, off);
}

static void ldr32(struct jit_buf *b, int rt, int rn, int64_t off)
{
	ldst(b, 2, 1, rt, rn, off);
}

static void str32(struct jit_buf *b, int rt, int rn, int64_t off)
{
	ldst(b, 2, 0, rt, rn, off);
}

static void dmb_ish(struct jit_buf *b)
{
	ins(b, 0xD5033BBF);
}

/* ---- branches ---- */

static int fits(int64_t d, int bits)
{
	return !(d & 3) && d >= -((int64_t)1 << (bits + 1)) && d < ((int64_t)1 << (bits + 1));
}

/* b to d bytes from here */
static void b_rel(struct jit_buf *b, int64_t d)
{
	if (!fits(d, 26))
		emit_fail(b);
	ins(b, 0x14000000 | ((uint32_t)(d >> 2) & 0x3ffffff));
}

/* b.cond / b to an absolute code offset of this pass, two instructions when
 * the condition's imm19 might not reach: only for targets before here, or
 * after (patched in place, see fwd/patch) */
static void b_to(struct jit_buf *b, int cond, size_t target)
{
	if (cond != C_AL) {
		ins(b, 0x54000000 | 2u << 5 | (uint32_t)(cond ^ 1));  /* b.!cond +8 */
	}
	b_rel(b, (int64_t)target - (int64_t)b->len);
}

/* A forward local branch (b.cond, cbz, cbnz, b) whose target patch() sets */
static size_t fwd(struct jit_buf *b, uint32_t insn)
{
	ins(b, insn);
	return b->len - 4;
}

static void patch(struct jit_buf *b, size_t at)
{
	int64_t d = ((int64_t)b->len - (int64_t)at) >> 2;
	if (!b->buf)
		return;
	uint32_t v;
	memcpy(&v, b->buf + at, 4);
	if ((v & 0xfc000000) == 0x14000000) {
		v |= (uint32_t)d & 0x3ffffff;
	} else {
		if (d >= (1 << 18))
			emit_fail(b);
		v |= ((uint32_t)d & 0x7ffff) << 5;
	}
	memcpy(b->buf + at, &v, 4);
}

static uint32_t bcond(int cond)
{
	return 0x54000000 | (uint32_t)cond;
}

static uint32_t cbz(int sf, int nz, int rt)
{
	return 0x34000000 | (uint32_t)sf << 31 | (uint32_t)nz << 24 | (uint32_t)rt;
}

/* ---- the pass ---- */

enum stub_kind { STUB_MEM, STUB_BAIL, STUB_DEPTH };

struct stub {
	uint8_t kind;
	uint8_t size;     /* STUB_MEM: access bytes */
	uint8_t store;    /* STUB_MEM: a hook may carry the store out */
	uint32_t pc;
	uint32_t units;   /* STUB_BAIL: the block's count */
	uint32_t back;    /* where the access is */
	uint32_t skip;    /* past it */
};

struct actx {
	struct jit_pass ps;           /* buffer, offsets, stubs' offsets (jit/layout.c) */
	struct bs_vm *vm;
	uint32_t idx;
	const struct vm_pinsn *code;
	int lse;
	uint32_t *blk;
	uint8_t *leader;
	struct stub *stubs;
	size_t stub_cap;
	int64_t stack_top;            /* guest end of the stack region */
	int64_t sdisp;                /* host = guest + vm + sdisp, for the stack */
	struct jit_facts facts;       /* about the registers, so far in this block */
	uint8_t *inl;                 /* helper calls done inline (emit_helper_array) */
};

/* A branch to a code offset known from the last pass. Its own position
 * there is this instruction's start there plus the bytes emitted so far for
 * it, exact once the passes agree. One instruction where imm19 reaches,
 * else b.!cond over a b. */
static void jump_to(struct actx *c, size_t pc, int cond, size_t ptarget)
{
	struct jit_buf *b = &c->ps.b;
	if (!c->ps.prev) {
		if (cond != C_AL)
			ins(b, 0);
		ins(b, 0x14000000);
		return;
	}
	int64_t here = (int64_t)c->ps.prev[pc] + (int64_t)(b->len - c->ps.offs[pc]);
	int64_t d = (int64_t)ptarget - here;
	if (cond == C_AL) {
		b_rel(b, d);
		return;
	}
	if (fits(d, 19)) {
		ins(b, 0x54000000 | ((uint32_t)(d >> 2) & 0x7ffff) << 5 | (uint32_t)cond);
		return;
	}
	ins(b, 0x54000000 | 2u << 5 | (uint32_t)(cond ^ 1));  /* b.!cond +8 */
	b_rel(b, d - 4);
}

static void jump_pc(struct actx *c, size_t pc, int cond, size_t target)
{
	jump_to(c, pc, cond, c->ps.prev ? c->ps.prev[target] : 0);
}

/* A branch to a new stub (placed after the exit routine); returns its index. */
static size_t jump_stub(struct actx *c, size_t pc, int cond, struct stub s)
{
	if (c->ps.nstubs == c->stub_cap) {
		size_t cap = c->stub_cap ? 2 * c->stub_cap : 64;
		struct stub *ns = realloc(c->stubs, cap * sizeof(*ns));
		uint32_t *no = realloc(c->ps.stub_off, cap * sizeof(*no));
		if (ns)
			c->stubs = ns;
		if (no)
			c->ps.stub_off = no;
		if (!ns || !no) {
			emit_fail(&c->ps.b);
			return 0;
		}
		c->stub_cap = cap;
	}
	size_t k = c->ps.nstubs++;
	c->stubs[k] = s;
	jump_to(c, pc, cond, c->ps.pstub_off ? c->ps.pstub_off[k] : 0);
	return k;
}

/* x28 = host address of r10 - 256 */
static void set_sfp(struct jit_buf *b)
{
	rrr(b, OP_ADD, 1, SFP, reg2a[10], DLT);
	addsub_imm12(b, 1, 1, 0, SFP, SFP, 256, 0);
}

/* All BPF registers to vm->reg, the counter to the frame: what C sees. */
static void save_all(struct jit_buf *b)
{
	for (int i = 0; i < BS_MAX_REG; i++)
		str64(b, reg2a[i], VMR, VM_REG(i));
	str64(b, CNT, SP, F_OFF(remaining));
}

/* The registers C may have clobbered, back (r0 too if with_r0). */
static void restore_volatile(struct jit_buf *b, int with_r0)
{
	for (int i = with_r0 ? 0 : 1; i <= 5; i++)
		ldr64(b, reg2a[i], VMR, VM_REG(i));
	ldr64(b, CNT, SP, F_OFF(remaining));
}

static void call_abs(struct jit_buf *b, const void *fn)
{
	mov_imm(b, 1, FN, (uint64_t)(uintptr_t)fn);
	ins(b, 0xD63F0000 | (uint32_t)FN << 5);  /* blr x17 */
}

/* fn(frame, a1, a2) with the registers saved */
static void c_call(struct jit_buf *b, const void *fn, int a1_is_adr, uint64_t a1, uint64_t a2)
{
	save_all(b);
	addsub_imm12(b, 1, 0, 0, 0, SP, 0, 0);  /* mov x0, sp */
	if (a1_is_adr)
		mov_rr(b, 1, 1, ADR);
	else
		mov_imm(b, 1, 1, a1);
	mov_imm(b, 1, 2, a2);
	call_abs(b, fn);
}

/* ---- memory ---- */

static unsigned lg_of(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

/* The read-modify-write forms without atomicity (one thread runs the
 * program): for addresses the exclusive and LSE instructions would fault on
 * (not naturally aligned), which the interpreter accepts. */
static void atomic_plain(struct actx *c, const struct vm_pinsn *I, unsigned lg, int src)
{
	struct jit_buf *b = &c->ps.b;
	int sf = lg == 3;
	unsigned aop = (unsigned)I->imm & 0xf0;
	enum vm_form form = vm_ops[I->op].form;
	ldst(b, lg, 1, T1, AUX, 0);
	switch (form) {
	case F_ATOMIC: case F_ATOMIC_FETCH: {
		uint32_t opc = aop == 0x00 ? OP_ADD : aop == 0x40 ? OP_ORR : aop == 0x50 ? OP_AND : OP_EOR;
		rrr(b, opc, sf, T2, T1, src);
		ldst(b, lg, 0, T2, AUX, 0);
		if (form == F_ATOMIC_FETCH)
			mov_rr(b, 1, src, T1);
		break;
	}
	case F_XCHG:
		ldst(b, lg, 0, src, AUX, 0);
		mov_rr(b, 1, src, T1);
		break;
	case F_CMPXCHG: {
		rrr(b, OP_SUBS, sf, ZR, T1, reg2a[0]);
		size_t ne = fwd(b, bcond(C_NE));
		ldst(b, lg, 0, src, AUX, 0);
		patch(b, ne);
		mov_rr(b, 1, reg2a[0], T1);
		break;
	}
	default:
		emit_fail(b);
	}
}

/* The atomic forms at [x9], naturally aligned. */
static void atomic_aligned(struct actx *c, const struct vm_pinsn *I, unsigned lg, int src)
{
	struct jit_buf *b = &c->ps.b;
	int sf = lg == 3;
	unsigned aop = (unsigned)I->imm & 0xf0;
	enum vm_form form = vm_ops[I->op].form;
	uint32_t size = lg << 30, rn = (uint32_t)AUX << 5;
	if (c->lse) {
		/* ld<op>{al} rs, rt, [x9]: opc add 0, clr 1, eor 2, set 3 */
		uint32_t lop = aop == 0x00 ? 0 : aop == 0x40 ? 3 : aop == 0x50 ? 1 : 2;
		int rs = src;
		if (aop == 0x50 && (form == F_ATOMIC || form == F_ATOMIC_FETCH)) {
			rrr(b, OP_ORN, sf, T1, ZR, src);  /* and is clear of the complement */
			rs = T1;
		}
		switch (form) {
		case F_ATOMIC:
			ins(b, 0x38200000 | size | (uint32_t)rs << 16 | lop << 12 | rn | ZR);
			break;
		case F_ATOMIC_FETCH:
			ins(b, 0x38E00000 | size | (uint32_t)rs << 16 | lop << 12 | rn | (uint32_t)src);
			break;
		case F_XCHG:
			ins(b, 0x38E08000 | size | (uint32_t)src << 16 | rn | (uint32_t)src);  /* swpal */
			break;
		case F_CMPXCHG:
			/* casal: compares rs (r0) with memory, stores rt (src) if equal,
			 * rs gets the old value (32-bit: zero-extended) */
			ins(b, 0x08E0FC00 | size | (uint32_t)reg2a[0] << 16 | rn | (uint32_t)src);
			break;
		default:
			emit_fail(b);
		}
		return;
	}
	/* load/store exclusive loops */
	uint32_t ldxr = 0x085F7C00 | size | rn, stxr = 0x08007C00 | size | rn,
		 stlxr = 0x0800FC00 | size | rn;
	size_t loop = b->len;
	ins(b, ldxr | T1);
	switch (form) {
	case F_ATOMIC: case F_ATOMIC_FETCH: {
		uint32_t opc = aop == 0x00 ? OP_ADD : aop == 0x40 ? OP_ORR : aop == 0x50 ? OP_AND : OP_EOR;
		rrr(b, opc, sf, T2, T1, src);
		ins(b, (form == F_ATOMIC ? stxr : stlxr) | (uint32_t)T3 << 16 | T2);
		ins(b, cbz(0, 1, T3) | ((uint32_t)(((int64_t)loop - (int64_t)b->len) >> 2) & 0x7ffff) << 5);
		if (form == F_ATOMIC_FETCH) {
			dmb_ish(b);
			mov_rr(b, 1, src, T1);
		}
		break;
	}
	case F_XCHG:
		ins(b, stlxr | (uint32_t)T3 << 16 | (uint32_t)src);
		ins(b, cbz(0, 1, T3) | ((uint32_t)(((int64_t)loop - (int64_t)b->len) >> 2) & 0x7ffff) << 5);
		dmb_ish(b);
		mov_rr(b, 1, src, T1);
		break;
	case F_CMPXCHG: {
		rrr(b, OP_SUBS, sf, ZR, T1, reg2a[0]);
		size_t ne = fwd(b, bcond(C_NE));
		ins(b, stlxr | (uint32_t)T3 << 16 | (uint32_t)src);
		ins(b, cbz(0, 1, T3) | ((uint32_t)(((int64_t)loop - (int64_t)b->len) >> 2) & 0x7ffff) << 5);
		patch(b, ne);
		dmb_ish(b);
		mov_rr(b, 1, reg2a[0], T1);
		break;
	}
	default:
		emit_fail(b);
	}
}

/* The access itself at [base + off] (host memory; off nonzero only with
 * base x28 for plain loads and stores, the atomics take x9 only). */
static void emit_access(struct actx *c, const struct vm_pinsn *I, int base, int64_t off)
{
	struct jit_buf *b = &c->ps.b;
	enum vm_op op = I->op;
	enum vm_form form = vm_ops[op].form;
	unsigned size = vm_size_bytes(vm_ops[op].code), lg = lg_of(size);
	int dst = reg2a[I->dst], src = reg2a[I->src];
	switch (form) {
	case F_LDX:
		if (op == VM_OP_LDXS_B || op == VM_OP_LDXS_H || op == VM_OP_LDXS_W)
			ldst(b, lg, 2, dst, base, off);    /* ldrsb/ldrsh/ldrsw */
		else
			ldst(b, lg, 1, dst, base, off);    /* ldrb/ldrh/ldr (zero-extend) */
		return;
	case F_STX:
		ldst(b, lg, 0, src, base, off);
		return;
	case F_ST:
		mov_imm(b, lg == 3, T2, I->imm);
		ldst(b, lg, 0, T2, base, off);
		return;
	default:
		break;
	}
	if (base != AUX || off) {
		add_imm(b, 1, AUX, base, off);
		base = AUX;
	}
	/* the exclusive, acquire/release and LSE forms fault unless aligned */
	size_t odd = 0, done = 0;
	if (lg) {
		ins(b, 0xF2400000 | 1u << 22 | (lg - 1) << 10 | (uint32_t)AUX << 5 | ZR);  /* tst x9, #size-1 */
		odd = fwd(b, bcond(C_NE));
	}
	switch (form) {
	case F_LOAD_ACQ:
		ins(b, 0x08DFFC00 | lg << 30 | (uint32_t)AUX << 5 | (uint32_t)dst);  /* ldar */
		break;
	case F_STORE_REL:
		ins(b, 0x089FFC00 | lg << 30 | (uint32_t)AUX << 5 | (uint32_t)src);  /* stlr */
		break;
	default:
		atomic_aligned(c, I, lg, src);
		break;
	}
	if (!lg)
		return;
	done = fwd(b, 0x14000000);
	patch(b, odd);
	switch (form) {
	case F_LOAD_ACQ:
		ldst(b, lg, 1, dst, AUX, 0);
		break;
	case F_STORE_REL:
		ldst(b, lg, 0, src, AUX, 0);
		break;
	default:
		atomic_plain(c, I, lg, src);
		break;
	}
	patch(b, done);
}

static int access_is_read(enum vm_form form)
{
	return form == F_LDX || form == F_LOAD_ACQ;
}

static int access_is_store(enum vm_form form)
{
	return form == F_ST || form == F_STX || form == F_STORE_REL;
}

/* A load, store or atomic at reg + off, checked unless the address is
 * provably in the current stack frame. */
static void emit_mem(struct actx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	enum vm_form form = vm_ops[I->op].form;
	unsigned size = vm_size_bytes(vm_ops[I->op].code);
	int base = access_is_read(form) ? I->src : I->dst;
	int64_t off = I->off, k;
	/* through r10, or a register the block set from it, inside the
	 * current frame: no check at run time (jit_facts_in_frame) */
	if (jit_facts_in_frame(&c->facts, base, off, size, &k)) {
		emit_access(c, I, SFP, k + 256);
		return;
	}
	/* inside a value an inline lookup found (and a test against 0 let
	 * through): the region's place, without a check */
	uint32_t ri;
	unsigned need = access_is_read(form) ? BS_REGION_READ
			: access_is_store(form) ? BS_REGION_WRITE : BS_REGION_RW;
	if (jit_facts_in_value(&c->facts, base, off, size, &ri) &&
	    (c->vm->regions[ri].flags & need) == need) {
		int64_t r = VM_OFF(regions) + (int64_t)(ri * sizeof(struct vm_region));
		add_imm(b, 1, AUX, reg2a[base], off);
		ldr64(b, T1, VMR, r + (int64_t)offsetof(struct vm_region, guest));
		rrr(b, OP_SUB, 1, AUX, AUX, T1);
		ldr64(b, T1, VMR, r + (int64_t)offsetof(struct vm_region, host));
		rrr(b, OP_ADD, 1, AUX, AUX, T1);
		emit_access(c, I, AUX, 0);
		return;
	}
	int kind = access_is_read(form) ? JIT_RD : JIT_WR;
	add_imm(b, 1, ADR, reg2a[base], off);
	ldr64(b, T1, SP, CACHE_OFF(kind) + (int64_t)offsetof(struct jit_cache, lo));
	rrr(b, OP_SUB, 1, AUX, ADR, T1);
	ldr64(b, T1, SP, CACHE_OFF(kind) + (int64_t)offsetof(struct jit_cache, lim) + 8 * lg_of(size));
	rrr(b, OP_SUBS, 1, ZR, AUX, T1);
	struct stub s = {STUB_MEM, (uint8_t)size, (uint8_t)access_is_store(form), (uint32_t)pc, 0, 0, 0};
	size_t stub = jump_stub(c, pc, C_HS, s);
	ldr64(b, T1, SP, CACHE_OFF(kind) + (int64_t)offsetof(struct jit_cache, host));
	rrr(b, OP_ADD, 1, AUX, AUX, T1);
	if (c->ps.nstubs > stub)
		c->stubs[stub].back = (uint32_t)b->len;
	emit_access(c, I, AUX, 0);
	if (c->ps.nstubs > stub)
		c->stubs[stub].skip = (uint32_t)b->len;
}

static void emit_stub_mem(struct actx *c, const struct stub *s)
{
	struct jit_buf *b = &c->ps.b;
	/* the stack: from the current frame's bottom to the top of frame 0 */
	ldr64(b, T1, VMR, VM_OFF(stack_lo));
	rrr(b, OP_SUBS, 1, ZR, ADR, T1);
	size_t j1 = fwd(b, bcond(C_LO));
	cmp_imm(b, 1, ADR, (uint64_t)(c->stack_top - s->size));
	size_t j2 = fwd(b, bcond(C_HI));
	rrr(b, OP_ADD, 1, AUX, ADR, DLT);
	if (!access_is_read(vm_ops[c->code[s->pc].op].form)) {
		/* a store or an atomic: noted (vm->stack_touched) */
		mov_imm(b, 0, T1, 1);
		str32(b, T1, VMR, VM_OFF(stack_touched));
	}
	b_to(b, C_AL, s->back);
	patch(b, j1);
	patch(b, j2);
	/* anything else: vm_mem, which also fills the caches */
	c_call(b, (const void *)jit_rt_mem, 1, 0, s->pc);
	mov_rr(b, 1, AUX, 0);
	restore_volatile(b, 1);
	size_t ok = fwd(b, cbz(1, 1, AUX));
	b_to(b, C_AL, c->ps.epi_off);
	patch(b, ok);
	if (s->store) {
		cmp_imm(b, 1, AUX, JIT_MEM_DONE);
		b_to(b, C_EQ, s->skip);
	}
	b_to(b, C_AL, s->back);
}

/* ---- ALU ---- */

static void lsl_imm(struct jit_buf *b, int sf, int rd, int rn, unsigned s)
{
	unsigned bits = sf ? 64 : 32;
	bfm(b, sf, 0, rd, rn, (bits - s) & (bits - 1), bits - 1 - s);
}

/* jit_mul_shape's forms, with the shifted-register add and sub: x + (x << n)
 * in one instruction, (x << n) - x as -(x - (x << n)) */
static void emit_mul_shape(struct jit_buf *b, int sf, int dst, const struct jit_mul *m)
{
	switch (m->kind) {
	case JIT_MUL_SHIFT:
		lsl_imm(b, sf, dst, dst, m->shift);
		break;
	case JIT_MUL_LEA:
		rrr(b, OP_ADD | (uint32_t)m->scale << 10, sf, dst, dst, dst);
		if (m->shift)
			lsl_imm(b, sf, dst, dst, m->shift);
		break;
	case JIT_MUL_SHIFT_ADD:
		rrr(b, OP_ADD | (uint32_t)m->shift << 10, sf, dst, dst, dst);
		break;
	default:
		rrr(b, OP_SUB | (uint32_t)m->shift << 10, sf, dst, dst, dst);
		rrr(b, OP_SUB, sf, dst, ZR, dst);  /* neg */
		break;
	}
}

static void emit_alu(struct actx *c, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	const struct vm_opinfo *info = &vm_ops[I->op];
	int sf = (info->code & 7) == 7;
	int is_k = info->form == F_ALU_K;
	int dst = reg2a[I->dst];
	uint64_t imm = sf ? I->imm : (uint32_t)I->imm;
	unsigned opn = info->code & 0xf0;
	int src = reg2a[I->src];
	if (opn == 0xb0) {  /* mov */
		if (is_k)
			mov_imm(b, sf, dst, imm);
		else
			mov_rr(b, sf, dst, src);
		return;
	}
	if (opn == 0x80) {  /* neg */
		rrr(b, OP_SUB, sf, dst, ZR, dst);
		return;
	}
	if (is_k && (opn == 0x60 || opn == 0x70 || opn == 0xc0)) {
		unsigned bits = sf ? 64 : 32, s = (unsigned)(I->imm & (bits - 1));
		if (opn == 0x60)
			lsl_imm(b, sf, dst, dst, s);
		else
			bfm(b, sf, opn == 0xc0, dst, dst, s, bits - 1);                  /* lsr/asr */
		return;
	}
	struct jit_mul mul;
	if (jit_mul_shape(I, &mul)) {
		emit_mul_shape(b, sf, dst, &mul);
		return;
	}
	if (is_k && (opn == 0x00 || opn == 0x10)) {
		int64_t v = sf ? (int64_t)imm : (int64_t)(int32_t)(uint32_t)imm;
		add_imm(b, sf, dst, dst, opn == 0x10 ? -v : v);
		return;
	}
	if (is_k) {
		mov_imm(b, sf, IP, imm);
		src = IP;
	}
	int sgn = I->off == 1;
	switch (opn) {
	case 0x00: rrr(b, OP_ADD, sf, dst, dst, src); break;
	case 0x10: rrr(b, OP_SUB, sf, dst, dst, src); break;
	case 0x20: rrr(b, OP_MUL, sf, dst, dst, src); break;
	case 0x40: rrr(b, OP_ORR, sf, dst, dst, src); break;
	case 0x50: rrr(b, OP_AND, sf, dst, dst, src); break;
	case 0xa0: rrr(b, OP_EOR, sf, dst, dst, src); break;
	/* shift counts are masked by the hardware as BPF masks them */
	case 0x60: rrr(b, OP_LSLV, sf, dst, dst, src); break;
	case 0x70: rrr(b, OP_LSRV, sf, dst, dst, src); break;
	case 0xc0: rrr(b, OP_ASRV, sf, dst, dst, src); break;
	/* x / 0 = 0 and x s/ -1 wraps on INT_MIN, as BPF wants, without a trap */
	case 0x30: rrr(b, sgn ? OP_SDIV : OP_UDIV, sf, dst, dst, src); break;
	case 0x90:
		/* dst - (dst / src) * src: x % 0 = x, INT_MIN s% -1 = 0 */
		rrr(b, sgn ? OP_SDIV : OP_UDIV, sf, T1, dst, src);
		ins(b, 0x1B008000 | (uint32_t)sf << 31 | (uint32_t)src << 16 | (uint32_t)dst << 10 |
			       (uint32_t)T1 << 5 | (uint32_t)dst);  /* msub */
		break;
	default:
		emit_fail(b);
	}
}

static void emit_movsx(struct jit_buf *b, enum vm_op op, int dst, int src)
{
	switch (op) {
	case VM_OP_MOVSX32_8: bfm(b, 0, 1, dst, src, 0, 7); break;    /* sxtb wd */
	case VM_OP_MOVSX32_16: bfm(b, 0, 1, dst, src, 0, 15); break;  /* sxth wd */
	case VM_OP_MOVSX64_8: bfm(b, 1, 1, dst, src, 0, 7); break;    /* sxtb xd */
	case VM_OP_MOVSX64_16: bfm(b, 1, 1, dst, src, 0, 15); break;  /* sxth xd */
	case VM_OP_MOVSX64_32: bfm(b, 1, 1, dst, src, 0, 31); break;  /* sxtw xd */
	default: emit_fail(b);
	}
}

/* le on a little-endian host only truncates; be and bswap reverse */
static void emit_end(struct jit_buf *b, const struct vm_pinsn *I)
{
	int dst = reg2a[I->dst];
	int le = vm_ops[I->op].code == 0xd4;
	uint32_t rd = (uint32_t)dst << 5 | (uint32_t)dst;
	switch (I->imm) {
	case 16:
		if (!le)
			ins(b, 0x5AC00400 | rd);       /* rev16 wd, wd */
		bfm(b, 0, 0, dst, dst, 0, 15);      /* uxth wd, wd */
		break;
	case 32:
		if (le)
			mov_rr(b, 0, dst, dst);
		else
			ins(b, 0x5AC00800 | rd);       /* rev wd, wd */
		break;
	case 64:
		if (!le)
			ins(b, 0xDAC00C00 | rd);       /* rev xd, xd */
		break;
	default:
		emit_fail(b);
	}
}

static int jmp_cond(uint8_t code)
{
	switch (code & 0xf0) {
	case 0x10: return C_EQ;
	case 0x20: return C_HI;
	case 0x30: return C_HS;
	case 0x40: return C_NE;  /* jset: tst, then non-zero */
	case 0x50: return C_NE;
	case 0x60: return C_GT;
	case 0x70: return C_GE;
	case 0xa0: return C_LO;
	case 0xb0: return C_LS;
	case 0xc0: return C_LT;
	case 0xd0: return C_LE;
	default: return -1;
	}
}

static void emit_jcond(struct actx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	const struct vm_opinfo *info = &vm_ops[I->op];
	int sf = (info->code & 7) == 5;
	int dst = reg2a[I->dst];
	int jset = (info->code & 0xf0) == 0x40;
	int cond = jmp_cond(info->code);
	if (cond < 0) {
		emit_fail(b);
		return;
	}
	if (info->form == F_JMP_K) {
		uint64_t v = sf ? I->imm : (uint32_t)I->imm;
		if (jset) {
			mov_imm(b, sf, IP, v);
			rrr(b, OP_ANDS, sf, ZR, dst, IP);
		} else {
			cmp_imm(b, sf, dst, v);
		}
	} else {
		rrr(b, jset ? OP_ANDS : OP_SUBS, sf, ZR, dst, reg2a[I->src]);
	}
	jump_pc(c, pc, cond, pc + 1 + (size_t)(int64_t)I->off);
}

/* ---- calls, exit, entry ---- */

/* x12 = &vm->frames[w9] */
static void frame_addr(struct jit_buf *b)
{
	mov_imm(b, 1, T1, sizeof(struct vm_frame));
	ins(b, 0x9B000000 | (uint32_t)T1 << 16 | (uint32_t)VMR << 10 | (uint32_t)AUX << 5 | T2);  /* madd */
	add_imm(b, 1, T2, T2, VM_OFF(frames));
}

/* ret[] of the frame: x13 = sp + offsetof(ret) */
static void ret_base(struct jit_buf *b)
{
	addsub_imm12(b, 1, 0, 0, T3, SP, (uint32_t)F_OFF(ret), 0);
}

/* The exit routine: leave the function at the current depth. At depth 0 the
 * run is over; deeper, the caller's frame comes back and its return address
 * is jumped to. */
static void emit_exit_routine(struct actx *c)
{
	struct jit_buf *b = &c->ps.b;
	ldr32(b, AUX, VMR, VM_OFF(depth));
	size_t top = fwd(b, cbz(0, 0, AUX));
	addsub_imm12(b, 0, 1, 0, AUX, AUX, 1, 0);
	str32(b, AUX, VMR, VM_OFF(depth));
	ret_base(b);
	ins(b, 0xF8607800 | (uint32_t)AUX << 16 | (uint32_t)T3 << 5 | ADR);  /* ldr x10, [x13, x9, lsl #3] */
	frame_addr(b);
	for (int i = 0; i < 4; i++)
		ldr64(b, reg2a[6 + i], T2, (int64_t)(offsetof(struct vm_frame, saved) + 8 * (size_t)i));
	ldr64(b, reg2a[10], T2, (int64_t)offsetof(struct vm_frame, fp));
	ldr32(b, T1, T2, (int64_t)offsetof(struct vm_frame, may_goto));
	str64(b, T1, SP, F_OFF(may_goto));
	addsub_imm12(b, 1, 1, 0, T1, reg2a[10], BS_STACK_SIZE, 0);
	str64(b, T1, VMR, VM_OFF(stack_lo));
	set_sfp(b);
	ins(b, 0xD61F0000 | (uint32_t)ADR << 5);  /* br x10 */
	patch(b, top);
	/* every register as the interpreter leaves them (bs_vm_regs) */
	save_all(b);
	/* falls into the epilogue */
}

static void emit_epilogue(struct jit_buf *b)
{
	ldr64(b, AUX, SP, F_OFF(run));
	ldr64(b, ADR, SP, F_OFF(remaining));
	str64(b, ADR, AUX, (int64_t)offsetof(struct jit_run, remaining));
	add_imm(b, 1, SP, SP, FRAME_SIZE);
	for (int i = 0; i < 6; i++)  /* ldp x19+2i, x20+2i, [sp, #16i] */
		ins(b, 0xA9400000 | (uint32_t)(2 * i) << 15 | (uint32_t)(20 + 2 * i) << 10 |
			       (uint32_t)SP << 5 | (uint32_t)(19 + 2 * i));
	add_imm(b, 1, SP, SP, SAVE_AREA);
	ins(b, 0xD65F03C0);  /* ret */
}

/* entry(init frame, target): saves x19..x30, copies the frame to [sp],
 * loads the BPF registers from vm->reg and jumps in. */
static void emit_entry(struct actx *c)
{
	struct jit_buf *b = &c->ps.b;
	add_imm(b, 1, SP, SP, -SAVE_AREA);
	for (int i = 0; i < 6; i++)  /* stp x19+2i, x20+2i, [sp, #16i] */
		ins(b, 0xA9000000 | (uint32_t)(2 * i) << 15 | (uint32_t)(20 + 2 * i) << 10 |
			       (uint32_t)SP << 5 | (uint32_t)(19 + 2 * i));
	add_imm(b, 1, SP, SP, -FRAME_SIZE);
	for (size_t o = 0; o < sizeof(struct jit_frame); o += 8) {
		ldr64(b, T1, 0, (int64_t)o);
		str64(b, T1, SP, (int64_t)o);
	}
	mov_rr(b, 1, ADR, 1);
	ldr64(b, VMR, SP, F_OFF(vm));
	ldr64(b, CNT, SP, F_OFF(remaining));
	for (int i = 0; i < BS_MAX_REG; i++)
		ldr64(b, reg2a[i], VMR, VM_REG(i));
	mov_imm(b, 1, IP, (uint64_t)c->sdisp);
	rrr(b, OP_ADD, 1, DLT, VMR, IP);
	set_sfp(b);
	ins(b, 0xD61F0000 | (uint32_t)ADR << 5);  /* br x10 */
}

static void emit_call_local(struct actx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	struct stub s = {STUB_DEPTH, 0, 0, (uint32_t)pc, 0, 0, 0};
	ldr32(b, AUX, VMR, VM_OFF(depth));
	cmp_imm(b, 0, AUX, BS_MAX_FRAMES - 1);
	jump_stub(c, pc, C_HS, s);
	frame_addr(b);
	mov_imm(b, 1, T1, pc + 1);
	str64(b, T1, T2, (int64_t)offsetof(struct vm_frame, ret_pc));
	mov_imm(b, 0, T1, c->idx);
	str32(b, T1, T2, (int64_t)offsetof(struct vm_frame, ret_prog));
	for (int i = 0; i < 4; i++)
		str64(b, reg2a[6 + i], T2, (int64_t)(offsetof(struct vm_frame, saved) + 8 * (size_t)i));
	str64(b, reg2a[10], T2, (int64_t)offsetof(struct vm_frame, fp));
	ldr64(b, T1, SP, F_OFF(may_goto));
	str32(b, T1, T2, (int64_t)offsetof(struct vm_frame, may_goto));
	mov_imm(b, 1, T1, VM_MAY_GOTO_LOOPS);
	str64(b, T1, SP, F_OFF(may_goto));
	addsub_imm12(b, 0, 0, 0, T1, AUX, 1, 0);
	str32(b, T1, VMR, VM_OFF(depth));
	addsub_imm12(b, 1, 1, 0, reg2a[10], reg2a[10], BS_STACK_SIZE, 0);
	addsub_imm12(b, 1, 1, 0, T1, reg2a[10], BS_STACK_SIZE, 0);
	str64(b, T1, VMR, VM_OFF(stack_lo));
	set_sfp(b);
	/* ret[depth] = the native return address, just past the b below */
	ret_base(b);
	ins(b, 0x10000000 | (12u >> 2) << 5 | T1);                             /* adr x11, .+12 */
	ins(b, 0xF8207800 | (uint32_t)AUX << 16 | (uint32_t)T3 << 5 | T1);    /* str x11, [x13, x9, lsl #3] */
	jump_pc(c, pc, C_AL, pc + 1 + (size_t)(int64_t)I->off);
	/* back from the callee: a tail call there may have left another program current */
	mov_imm(b, 0, T1, c->idx);
	str32(b, T1, VMR, VM_OFF(cur));
}

/* A helper call that is an array lookup for the r1 it gets (struct
 * bs_helper_array), inline as the kernel's array_map_gen_lookup: with the
 * u32 key on the stack where the block says r2 points, a bound compare
 * and a multiply-add; with the key anywhere else, the helper itself (the
 * call sits inside its block: jit_rt_helper_array keeps the count). */
static void emit_helper_array(struct actx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	struct bs_helper_array d;
	if (!jit_call_array(c->vm, &c->facts, I, &d)) {
		emit_fail(b);  /* planned inline; the facts cannot have shrunk */
		return;
	}
	int r0 = reg2a[0];
	int64_t k;
	if (!jit_facts_in_frame(&c->facts, 2, 0, 4, &k)) {
		save_all(b);
		addsub_imm12(b, 1, 0, 0, 0, SP, 0, 0);  /* mov x0, sp */
		mov_imm(b, 1, 1, pc);
		mov_imm(b, 1, 2, (uint64_t)(uintptr_t)&c->vm->helpers[I->imm]);
		mov_imm(b, 1, 3, 0);                    /* no memo */
		call_abs(b, (const void *)jit_rt_helper_array);
		mov_rr(b, 0, AUX, 0);
		restore_volatile(b, 1);
		cmp_imm(b, 0, AUX, 0);
		jump_to(c, pc, C_NE, c->ps.pepi);
		return;
	}
	ldst(b, 2, 1, r0, SFP, k + 256);                 /* ldr w7, [key] */
	mov_imm(b, 0, T1, d.n);
	rrr(b, OP_SUBS, 0, ZR, r0, T1);                  /* cmp w7, n */
	size_t miss = fwd(b, bcond(C_HS));
	mov_imm(b, 1, T1, d.stride);
	mov_imm(b, 1, T2, d.base);
	ins(b, 0x9B000000 | (uint32_t)T1 << 16 | (uint32_t)T2 << 10 | (uint32_t)r0 << 5 |
		       (uint32_t)r0);                   /* madd x7, x7, stride, base */
	size_t done = fwd(b, 0x14000000);                /* b done */
	patch(b, miss);
	mov_imm(b, 1, r0, 0);
	patch(b, done);
}

static void emit_helper(struct actx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	if (c->inl[pc]) {
		emit_helper_array(c, pc, I);
		return;
	}
	if (I->imm == VM_HELPER_TAIL_CALL) {
		c_call(b, (const void *)jit_rt_tail_call, 0, pc, 0);
		mov_rr(b, 0, AUX, 0);
		restore_volatile(b, 1);
		cmp_imm(b, 0, AUX, 0);
		jump_to(c, pc, C_LT, c->ps.pepi);   /* a fault, or the interpreter finished */
		size_t fall = fwd(b, bcond(C_EQ));
		ldr64(b, T1, SP, F_OFF(jump));
		ins(b, 0xD61F0000 | (uint32_t)T1 << 5);  /* br x11 */
		patch(b, fall);
		return;
	}
	c_call(b, (const void *)jit_rt_helper, 0, pc, 0);
	mov_rr(b, 0, AUX, 0);
	restore_volatile(b, 1);
	cmp_imm(b, 0, AUX, 0);
	jump_to(c, pc, C_NE, c->ps.pepi);
}

static void emit_ld_pkt(struct actx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	unsigned size = vm_size_bytes(vm_ops[I->op].code);
	if (vm_ops[I->op].form == F_LD_IND)
		add_imm(b, 0, ADR, reg2a[I->src], (int64_t)(int32_t)I->imm);
	else
		mov_imm(b, 0, ADR, (uint32_t)I->imm);
	/* the offset is the low 32 bits, signed */
	bfm(b, 1, 1, ADR, ADR, 0, 31);  /* sxtw x10, w10 */
	save_all(b);
	addsub_imm12(b, 1, 0, 0, 0, SP, 0, 0);
	mov_rr(b, 1, 1, ADR);
	mov_imm(b, 1, 2, size);
	call_abs(b, (const void *)jit_rt_ld_pkt);
	mov_rr(b, 1, ADR, 0);   /* value */
	mov_rr(b, 1, AUX, 1);   /* ok */
	restore_volatile(b, 0);
	mov_rr(b, 1, reg2a[0], ADR);
	cmp_imm(b, 1, AUX, 0);
	/* out of bounds: r0 = 0 and the function returns */
	jump_to(c, pc, C_EQ, c->ps.pexit);
}

/* mov d, s; add d, k / add d, t: add d, s, k / add d, s, t at the width
 * of both. d >>= k; d &= 2^(32 - k) - 1: lsr wd, wd, #k. d <<= 32;
 * d >>= 32 / d s>>= 32: mov wd, wd / sxtw xd, wd (jit_pair) */
static void emit_pair(struct actx *c, size_t pc, enum jit_pair k)
{
	const struct vm_pinsn *I = &c->code[pc], *J = &c->code[pc + 1];
	int sf = (vm_ops[I->op].code & 7) == 7;
	int dst = reg2a[I->dst], src = reg2a[I->src];
	if (k == JIT_PAIR_SHIFT_MASK) {
		bfm(&c->ps.b, 0, 0, dst, dst, (unsigned)I->imm, 31);
	} else if (k == JIT_PAIR_ZERO_EXTEND) {
		mov_rr(&c->ps.b, 0, dst, dst);
	} else if (k == JIT_PAIR_SIGN_EXTEND) {
		bfm(&c->ps.b, 1, 1, dst, dst, 0, 31);  /* sxtw */
	} else if (vm_ops[J->op].form == F_ALU_K) {
		add_imm(&c->ps.b, sf, dst, src, sf ? (int64_t)J->imm : (int64_t)(int32_t)J->imm);
	} else {
		/* after the move, d holds s */
		int t = J->src == I->dst ? src : reg2a[J->src];
		rrr(&c->ps.b, OP_ADD, sf, dst, src, t);
	}
}

static void emit_insn(struct actx *c, size_t pc)
{
	struct jit_buf *b = &c->ps.b;
	const struct vm_pinsn *I = &c->code[pc];
	const struct vm_opinfo *info = &vm_ops[I->op];
	if (c->blk[pc]) {
		/* the block's instructions, charged up front; not enough left: the
		 * interpreter runs on from here and stops exactly where it would */
		if (c->blk[pc] < 4096) {
			addsub_imm12(b, 1, 1, 1, CNT, CNT, c->blk[pc], 0);  /* subs x25, x25, #units */
		} else {
			mov_imm(b, 1, IP, c->blk[pc]);
			rrr(b, OP_SUBS, 1, CNT, CNT, IP);
		}
		struct stub s = {STUB_BAIL, 0, 0, (uint32_t)pc, c->blk[pc], 0, 0};
		jump_stub(c, pc, C_LO, s);
	}
	if (pc > 0 && jit_pair(c->code, c->ps.n, c->leader, pc - 1))
		return;  /* the instruction before it did both */
	enum jit_pair pair = jit_pair(c->code, c->ps.n, c->leader, pc);
	if (pair) {
		emit_pair(c, pc, pair);
		return;
	}
	switch ((enum vm_form)info->form) {
	case F_ALU_K: case F_ALU_X: case F_NEG:
		emit_alu(c, I);
		break;
	case F_MOVSX:
		emit_movsx(b, I->op, reg2a[I->dst], reg2a[I->src]);
		break;
	case F_END:
		emit_end(b, I);
		break;
	case F_LDX: case F_ST: case F_STX: case F_ATOMIC: case F_ATOMIC_FETCH: case F_XCHG:
	case F_CMPXCHG: case F_LOAD_ACQ: case F_STORE_REL:
		emit_mem(c, pc, I);
		break;
	case F_LDDW:
		mov_imm(b, 1, reg2a[I->dst], I->imm);
		break;
	case F_LD_ABS: case F_LD_IND:
		emit_ld_pkt(c, pc, I);
		break;
	case F_JMP_K: case F_JMP_X:
		emit_jcond(c, pc, I);
		break;
	case F_JA: case F_GOTOL:
		jump_pc(c, pc, C_AL, pc + 1 + (size_t)(int64_t)I->off);
		break;
	case F_MAY_GOTO: {
		/* taken once the allowance is spent */
		ldr64(b, T1, SP, F_OFF(may_goto));
		size_t more = fwd(b, cbz(1, 1, T1));
		jump_pc(c, pc, C_AL, pc + 1 + (size_t)(int64_t)I->off);
		patch(b, more);
		addsub_imm12(b, 1, 1, 0, T1, T1, 1, 0);
		str64(b, T1, SP, F_OFF(may_goto));
		break;
	}
	case F_CALL:
		emit_helper(c, pc, I);
		break;
	case F_CALL_LOCAL:
		emit_call_local(c, pc, I);
		break;
	case F_EXIT:
		jump_to(c, pc, C_AL, c->ps.pexit);
		break;
	case F_CALL_KFUNC: case F_ADDR_SPACE_CAST: default: {
		/* nothing here runs them: the interpreter gives its error */
		struct stub s = {STUB_BAIL, 0, 0, (uint32_t)pc, 0, 0, 0};
		jump_stub(c, pc, C_AL, s);
		break;
	}
	}
}

static void emit_stubs(struct actx *c)
{
	struct jit_buf *b = &c->ps.b;
	for (size_t k = 0; k < c->ps.nstubs; k++) {
		const struct stub *s = &c->stubs[k];
		c->ps.stub_off[k] = (uint32_t)b->len;
		switch (s->kind) {
		case STUB_MEM:
			emit_stub_mem(c, s);
			break;
		case STUB_BAIL:
			if (s->units)
				add_imm(b, 1, CNT, CNT, s->units);  /* undo the block's charge */
			c_call(b, (const void *)jit_rt_bail, 0, s->pc, 0);
			b_to(b, C_AL, c->ps.epi_off);
			break;
		case STUB_DEPTH:
			c_call(b, (const void *)jit_rt_call_depth, 0, s->pc, 0);
			b_to(b, C_AL, c->ps.epi_off);
			break;
		}
	}
}

static void emit_pass(struct actx *c)
{
	struct jit_buf *b = &c->ps.b;
	b->len = 0;
	b->err = 0;
	c->ps.nstubs = 0;
	emit_entry(c);
	for (size_t pc = 0; pc < c->ps.n; pc++) {
		c->ps.offs[pc] = (uint32_t)b->len;
		/* lddw's second slot: no code, the offset of the next instruction */
		if (pc > 0 && vm_ops[c->code[pc - 1].op].form == F_LDDW)
			continue;
		jit_facts_enter(&c->facts, c->code, pc, c->leader[pc]);
		emit_insn(c, pc);
		jit_facts_after(c->vm, &c->facts, &c->code[pc], c->inl[pc]);
	}
	c->ps.offs[c->ps.n] = (uint32_t)b->len;
	c->ps.exit_off = b->len;
	emit_exit_routine(c);
	c->ps.epi_off = b->len;
	emit_epilogue(b);
	emit_stubs(c);
}

static void a64_pass(void *ctx)
{
	emit_pass(ctx);
}

/* brk #0x7d1 in the slack: a stray jump there stops at once */
static void a64_fill(uint8_t *mem, size_t len)
{
	for (size_t o = 0; o + 4 <= len; o += 4) {
		uint32_t brk = 0xD4200000 | 0x7d1u << 5;
		memcpy(mem + o, &brk, 4);
	}
}

static void a64_flush(uint8_t *mem, size_t len)
{
	__builtin___clear_cache((char *)mem, (char *)mem + len);
}

static const struct jit_backend a64_backend = {a64_pass, NULL, a64_fill, a64_flush};

struct jit_prog *jit_compile(struct bs_vm *vm, uint32_t idx, int unchecked, struct bs_error *err)
{
	const struct vm_prog *vp = &vm->progs[idx];
	struct actx c = {0};
	struct jit_prog *p = calloc(1, sizeof(*p));
	(void)unchecked;  /* the same checked code (docs/jit.md) */
	c.vm = vm;
	c.idx = idx;
	c.code = vp->code;
	c.ps.n = vp->n;
	c.lse = lse_atomics();
	c.sdisp = (int64_t)((uintptr_t)vm->regions[0].host - (uintptr_t)vm) -
		  (int64_t)vm->regions[0].guest;
	c.stack_top = (int64_t)(vm->regions[0].guest + vm->regions[0].size);
	if (vm->regions[0].host != vm->stack) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC, "the JIT cannot address this VM's stack");
		goto fail;
	}
	c.blk = calloc(c.ps.n + 1, sizeof(*c.blk));
	c.leader = calloc(c.ps.n + 1, 1);
	c.inl = calloc(c.ps.n + 1, 1);
	if (p)
		p->rest = calloc(c.ps.n + 1, sizeof(*p->rest));
	if (!p || !c.blk || !c.leader || !c.inl || !p->rest) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory compiling %zu instructions", c.ps.n);
		goto fail;
	}
	if (jit_plan_inline(c.vm, c.code, c.ps.n, c.inl, false, c.leader, c.blk, p->rest, err))
		goto fail;
	if (jit_layout(&c.ps, &c, &a64_backend, idx, p, err))
		goto fail;
	p->n = c.ps.n;
	p->code = vp->code;
	free(c.blk);
	free(c.leader);
	free(c.inl);
	free(c.stubs);
	free(c.ps.stub_off);
	return p;
fail:
	free(c.blk);
	free(c.leader);
	free(c.inl);
	free(c.stubs);
	free(c.ps.stub_off);
	jit_prog_free(p);
	return NULL;
}
