// SPDX-License-Identifier: MIT
/* The x86-64 backend: prepared instructions (struct vm_pinsn) to native
 * code that gives the interpreter's results, r0, memory, errors and counts.
 *
 * Passes (jit/layout.c): the same emitter sizes (no buffer) until the
 * offsets stop moving, then writes into a read+write mapping, which turns
 * read+exec once nothing has moved. The tail of the last page is int3.
 *
 * Layout of one program: entry trampoline | instructions | exit routine |
 * epilogue | slow-path stubs (cold, one per checked access or counter).
 *
 * Conventions while BPF code runs: rsp never moves (bpf-to-bpf calls keep
 * their native return addresses in the frame, not on the stack), so [rsp]
 * is the struct jit_frame; r12 holds the struct bs_vm; r9 counts down the
 * instruction budget left; r10 and r11 are scratch. */
#include <stdlib.h>
#include <string.h>

#include "jit/x86_64_pass.h"
#include "vm/error.h"

/* ---- instructions ---- */

/* The access itself, at m (host memory). */
static void emit_access(struct xctx *c, const struct vm_pinsn *I, struct mem m)
{
	struct jit_buf *b = &c->ps.b;
	enum vm_op op = I->op;
	enum vm_form form = vm_ops[op].form;
	unsigned size = vm_size_bytes(vm_ops[op].code);
	int dst = reg2x[I->dst], src = reg2x[I->src];
	int w = size == 8;
	switch (form) {
	case F_LDX:
	case F_LOAD_ACQ:  /* x86 loads are acquire loads */
		if (op == VM_OP_LDXS_B)
			op_rm(b, 0, 1, 0x0fbe, dst, m, 0);      /* movsx dst, byte [m] */
		else if (op == VM_OP_LDXS_H)
			op_rm(b, 0, 1, 0x0fbf, dst, m, 0);      /* movsx dst, word [m] */
		else if (op == VM_OP_LDXS_W)
			op_rm(b, 0, 1, 0x63, dst, m, 0);        /* movsxd dst, dword [m] */
		else if (size == 1)
			op_rm(b, 0, 0, 0x0fb6, dst, m, 0);      /* movzx dst32, byte [m] */
		else if (size == 2)
			op_rm(b, 0, 0, 0x0fb7, dst, m, 0);      /* movzx dst32, word [m] */
		else
			op_rm(b, 0, w, 0x8b, dst, m, 0);        /* mov dst, [m] */
		break;
	case F_STX:
	case F_STORE_REL:  /* x86 stores are release stores */
		if (size == 1)
			op_rm(b, 0, 0, 0x88, src, m, byte_rex(src));  /* mov byte [m], src8 */
		else
			op_rm(b, size == 2 ? P66 : 0, w, 0x89, src, m, 0);  /* mov [m], src */
		break;
	case F_ST:
		if (size == 1) {
			op_rm(b, 0, 0, 0xc6, 0, m, 0);           /* mov byte [m], imm8 */
			emit1(b, (uint8_t)I->imm);
		} else if (size == 2) {
			op_rm(b, P66, 0, 0xc7, 0, m, 0);         /* mov word [m], imm16 */
			emit1(b, (uint8_t)I->imm);
			emit1(b, (uint8_t)(I->imm >> 8));
		} else {
			store_imm(b, w, m, (int32_t)I->imm);     /* mov [m], simm32 */
		}
		break;
	case F_ATOMIC: {
		static const unsigned opc[] = {[0x00] = 0x01, [0x40] = 0x09, [0x50] = 0x21, [0xa0] = 0x31};
		op_rm(b, PLOCK, w, opc[I->imm & 0xf0], src, m, 0);  /* lock add/or/and/xor [m], src */
		break;
	}
	case F_ATOMIC_FETCH:
		if ((I->imm & 0xf0) == 0x00) {
			op_rm(b, PLOCK, w, 0x0fc1, src, m, 0);   /* lock xadd [m], src */
		} else {
			/* or/and/xor with the old value: a cmpxchg loop through rax */
			static const unsigned opc[] = {[0x40] = 0x0b, [0x50] = 0x23, [0xa0] = 0x33};
			store64(b, M(RSP, F_OFF(scratch[0])), RAX);
			op_rm(b, 0, w, 0x8b, RAX, m, 0);         /* mov rax, [m] */
			size_t loop = b->len;
			mov_rr(b, 1, ADR, RAX);                  /* mov r11, rax */
			if (src == RAX)                          /* op r11, saved r0 */
				op_rm(b, 0, w, opc[I->imm & 0xf0], ADR, M(RSP, F_OFF(scratch[0])), 0);
			else
				op_rr(b, 0, w, opc[I->imm & 0xf0], ADR, src, 0);
			op_rm(b, PLOCK, w, 0x0fb1, ADR, m, 0);   /* lock cmpxchg [m], r11 */
			emit1(b, 0x75);                          /* jne loop */
			emit1(b, (uint8_t)((int64_t)loop - (int64_t)(b->len + 1)));
			mov_rr(b, w, ADR, RAX);                  /* r11 = old (zero-extended) */
			load64(b, RAX, M(RSP, F_OFF(scratch[0])));
			mov_rr(b, 1, src, ADR);
		}
		break;
	case F_XCHG:
		op_rm(b, 0, w, 0x87, src, m, 0);                 /* xchg [m], src */
		break;
	case F_CMPXCHG:
		op_rm(b, PLOCK, w, 0x0fb1, src, m, 0);           /* lock cmpxchg [m], src */
		if (!w)
			mov_rr(b, 0, RAX, RAX);  /* a 32-bit cmpxchg that stores leaves rax's top half */
		break;
	default:
		emit_fail(b);
	}
}

static unsigned access_need_store(enum vm_form form)
{
	return form == F_ST || form == F_STX || form == F_STORE_REL;
}

static int access_is_read(enum vm_form form)
{
	return form == F_LDX || form == F_LOAD_ACQ;
}

/* what the interpreter's vm_mem asks of the region */
static unsigned access_need(enum vm_form form)
{
	return access_is_read(form) ? BS_REGION_READ
	       : access_need_store(form) ? BS_REGION_WRITE : BS_REGION_RW;
}

static void guest_addr(struct jit_buf *b, int dst, int x, int64_t off)
{
	if (off)
		op_rm(b, 0, 1, 0x8d, dst, M(x, (int32_t)off), 0);  /* lea dst, [base + off] */
	else
		mov_rr(b, 1, dst, x);
}

/* A load, store or atomic at reg + off, checked unless the address is
 * provably in the current stack frame. */
static void emit_mem(struct xctx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	enum vm_form form = vm_ops[I->op].form;
	unsigned size = vm_size_bytes(vm_ops[I->op].code);
	int base = access_is_read(form) ? I->src : I->dst;
	int64_t off = I->off, k;
	if (jit_facts_in_frame(&c->facts, base, off, size, &k)) {
		emit_access(c, I, (struct mem){RBP, VMR, 0, (int32_t)(k + c->sdisp)});
		return;
	}
	/* in a loop's copy: its head's check covered the access, r10 holds
	 * the region's host - guest; in the stack, [guest + r12 + sdisp] */
	if (c->fast && c->lpc[pc].on_stack) {
		int64_t d = off + c->sdisp;
		if (d == (int32_t)d) {
			emit_access(c, I, (struct mem){reg2x[base], VMR, 0, (int32_t)d});
		} else {
			guest_addr(b, ADR, reg2x[base], off);
			emit_access(c, I, (struct mem){ADR, VMR, 0, c->sdisp});
		}
		return;
	}
	if (c->fast && c->lpc[pc].host) {
		emit_access(c, I, M(reg2x[base], (int32_t)off));  /* base: a host address */
		return;
	}
	if (c->fast && c->lpc[pc].region) {
		emit_access(c, I, (struct mem){reg2x[base], AUX, 0, (int32_t)off});
		return;
	}
	/* inside a value an inline lookup found (and a test against 0 let
	 * through): the region's place, without a check (r11: r10 may hold a
	 * loop copy's host - guest) */
	uint32_t ri;
	if (jit_facts_in_value(&c->facts, base, off, size, &ri) &&
	    (c->vm->regions[ri].flags & access_need(form)) == access_need(form)) {
		int32_t r = VM_OFF(regions) + (int32_t)(ri * sizeof(struct vm_region));
		if (c->adr_region != (int64_t)ri)
			load64(b, ADR, M(VMR, r + (int32_t)offsetof(struct vm_region, delta)));
		struct mem m = {reg2x[base], ADR, 0, (int32_t)off};
		bool plain = form == F_LDX || form == F_ST || form == F_STX;
		if (!plain) {
			/* an atomic's own scratch is r11 and rax (the fetching
			 * or/and/xor's cmpxchg loop): the address in r10, as on
			 * the checked way */
			op_rm(b, 0, 1, 0x8d, AUX, m, 0);              /* lea r10, [base + r11 + off] */
			m = M(AUX, 0);
		}
		emit_access(c, I, m);
		c->adr_region = ri;
		c->adr_kept = plain;
		return;
	}
	if (c->fast) {
		emit_fail(b);  /* the loop's plan placed every access */
		return;
	}
	/* the guest address in r10; the stub makes it again in r11 */
	guest_addr(b, AUX, reg2x[base], off);
	/* the region this access went to last time (its memo, kept across runs) */
	size_t site = c->nsites++;
	size_t memo = c->ps.data_off + site * sizeof(struct jit_memo);
	x86_op_rip(b, 1, 0x2b, AUX, memo + offsetof(struct jit_memo, lo));    /* sub r10, [lo] */
	x86_op_rip(b, 1, 0x3b, AUX, memo + offsetof(struct jit_memo, lim));   /* cmp r10, [lim] */
	struct stub s = {STUB_MEM, (uint8_t)size, (uint8_t)access_need_store(form), (uint32_t)pc, 0, 0, 0,
			 (uint32_t)site, 0};
	size_t stub = x86_jump_stub(c, CC_AE, s);
	x86_op_rip(b, 1, 0x03, AUX, memo + offsetof(struct jit_memo, host));  /* add r10, [host] */
	if (c->ps.nstubs > stub)
		c->stubs[stub].back = (uint32_t)b->len;
	emit_access(c, I, M(AUX, 0));
	if (c->ps.nstubs > stub)
		c->stubs[stub].skip = (uint32_t)b->len;
}

static void emit_stub_mem(struct xctx *c, const struct stub *s)
{
	struct jit_buf *b = &c->ps.b;
	size_t memo = c->ps.data_off + s->site * sizeof(struct jit_memo);
	const struct vm_pinsn *I = &c->code[s->pc];
	guest_addr(b, ADR, reg2x[access_is_read(vm_ops[I->op].form) ? I->src : I->dst], I->off);
	/* the stack: from the current frame's bottom to the top of frame 0 */
	op_rm(b, 0, 1, 0x3b, ADR, M(VMR, VM_OFF(stack_lo)), 0);  /* cmp r11, [vm->stack_lo] */
	size_t j1 = jcc8(b, CC_B);
	alu_ri(b, 1, 7, ADR, (int32_t)(c->stack_top - s->size)); /* cmp r11, top - size */
	size_t j2 = jcc8(b, CC_A);
	op_rm(b, 0, 1, 0x8d, AUX, (struct mem){ADR, VMR, 0, c->sdisp}, 0);  /* lea r10, [host] */
	if (!access_is_read(vm_ops[I->op].form))  /* a store or an atomic: noted */
		store_imm(b, 0, M(VMR, VM_OFF(stack_touched)), 1);
	jcc32(b, CC_ALWAYS, s->back);
	patch8(b, j1);
	patch8(b, j2);
	/* anything else: vm_mem, which also fills the caches and the memo */
	x86_save_all(b);
	mov_rr(b, 1, RDI, RSP);
	mov_rr(b, 1, RSI, ADR);
	mov_imm(b, 1, RDX, s->pc);
	x86_op_rip(b, 1, 0x8d, RCX, memo);                            /* lea rcx, [memo] */
	call_abs(b, (const void *)jit_rt_mem_memo);
	mov_rr(b, 1, AUX, RAX);
	x86_restore_volatile(b, 1);
	op_rr(b, 0, 1, 0x85, AUX, AUX, 0);                       /* test r10, r10 */
	jcc32(b, CC_E, c->ps.epi_off);
	if (s->store) {
		alu_ri(b, 1, 7, AUX, (int32_t)JIT_MEM_DONE);     /* cmp r10, DONE */
		jcc32(b, CC_E, s->skip);
	}
	jcc32(b, CC_ALWAYS, s->back);
}

/* Division and modulo: x86 div/idiv with rax/rdx borrowed through the
 * frame's scratch; zero divisors and INT_MIN / -1 never reach them. */
static void emit_div(struct xctx *c, const struct vm_pinsn *I, int is_k, int w, int mod, int sgn)
{
	struct jit_buf *b = &c->ps.b;
	int dst = reg2x[I->dst];
	if (is_k)
		mov_imm(b, 1, ADR, w ? I->imm : (uint32_t)I->imm);
	else
		mov_rr(b, w, ADR, reg2x[I->src]);
	op_rr(b, 0, w, 0x85, ADR, ADR, 0);        /* test r11, r11 */
	size_t jnz = jcc8(b, CC_NE);
	/* x / 0 = 0; x % 0 = x (32-bit: truncated) */
	if (mod)
		mov_rr(b, w, dst, dst);
	else
		mov_imm(b, 0, dst, 0);
	size_t done0 = jcc8(b, CC_ALWAYS);
	patch8(b, jnz);
	size_t done1 = 0;
	if (sgn) {
		/* x s/ -1 = -x and x s% -1 = 0, where idiv would trap on INT_MIN */
		alu_ri(b, w, 7, ADR, -1);          /* cmp r11, -1 */
		size_t jne = jcc8(b, CC_NE);
		if (mod)
			mov_imm(b, 0, dst, 0);
		else
			op_rr(b, 0, w, 0xf7, 3, dst, 0);  /* neg dst */
		done1 = jcc8(b, CC_ALWAYS);
		patch8(b, jne);
	}
	store64(b, M(RSP, F_OFF(scratch[0])), RAX);
	store64(b, M(RSP, F_OFF(scratch[1])), RDX);
	mov_rr(b, 1, RAX, dst);
	if (sgn) {
		if (w)
			emit_bytes(b, "\x48\x99", 2);  /* cqo */
		else
			emit1(b, 0x99);                /* cdq */
	} else {
		op_rr(b, 0, 0, 0x31, RDX, RDX, 0);    /* xor edx, edx */
	}
	op_rr(b, 0, w, 0xf7, sgn ? 7 : 6, ADR, 0);  /* (i)div r11 */
	mov_rr(b, 1, ADR, mod ? RDX : RAX);
	load64(b, RAX, M(RSP, F_OFF(scratch[0])));
	load64(b, RDX, M(RSP, F_OFF(scratch[1])));
	mov_rr(b, w, dst, ADR);                    /* 32-bit: zero-extends */
	patch8(b, done0);
	if (sgn)
		patch8(b, done1);
}

/* Shifts by a register: the count must be in cl, which is BPF r4. */
static void emit_shift_x(struct jit_buf *b, int w, int ext, int dst, int src)
{
	if (src == RCX) {
		op_rr(b, 0, w, 0xd3, ext, dst, 0);   /* shl/shr/sar dst, cl */
		return;
	}
	mov_rr(b, 1, ADR, RCX);
	mov_rr(b, 1, RCX, src);
	op_rr(b, 0, w, 0xd3, ext, dst == RCX ? ADR : dst, 0);
	mov_rr(b, 1, RCX, ADR);
}

/* jit_mul_shape's forms; the two that need x once it is shifted keep it in r11 */
static void emit_mul_shape(struct jit_buf *b, int w, int dst, const struct jit_mul *m)
{
	if (m->kind == JIT_MUL_LEA)  /* lea dst, [dst + dst * 2^scale] */
		op_rm(b, 0, w, 0x8d, dst, (struct mem){dst, dst, m->scale, 0}, 0);
	else if (m->kind != JIT_MUL_SHIFT)
		mov_rr(b, 1, ADR, dst);
	if (m->shift) {
		op_rr(b, 0, w, 0xc1, 4, dst, 0);  /* shl dst, shift */
		emit1(b, m->shift);
	}
	if (m->kind == JIT_MUL_SHIFT_ADD)
		op_rr(b, 0, w, 0x01, ADR, dst, 0);  /* add dst, r11 */
	else if (m->kind == JIT_MUL_SHIFT_SUB)
		op_rr(b, 0, w, 0x29, ADR, dst, 0);  /* sub dst, r11 */
}

static void emit_alu(struct xctx *c, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	enum vm_op op = I->op;
	const struct vm_opinfo *info = &vm_ops[op];
	int w = (info->code & 7) == 7;
	int is_k = info->form == F_ALU_K;
	int dst = reg2x[I->dst], src = reg2x[I->src];
	int32_t imm = (int32_t)I->imm;
	struct jit_mul mul;
	switch (info->code & 0xf0) {
	case 0x00: case 0x10: case 0x40: case 0x50: case 0xa0: {
		/* add, sub, or, and, xor: the group-1 encodings */
		static const struct { unsigned rr; int ext; } g[16] = {
			[0x0] = {0x01, 0}, [0x1] = {0x29, 5}, [0x4] = {0x09, 1}, [0x5] = {0x21, 4},
			[0xa] = {0x31, 6},
		};
		unsigned k = (info->code & 0xf0) >> 4;
		if (is_k)
			alu_ri(b, w, g[k].ext, dst, imm);
		else
			op_rr(b, 0, w, g[k].rr, src, dst, 0);
		break;
	}
	case 0x20:  /* mul: the low half is the same signed or not */
		if (jit_mul_shape(I, &mul)) {
			emit_mul_shape(b, w, dst, &mul);
		} else if (is_k) {
			op_rr(b, 0, w, 0x69, dst, dst, 0);  /* imul dst, dst, imm32 */
			emit4(b, (uint32_t)imm);
		} else {
			op_rr(b, 0, w, 0x0faf, dst, src, 0);  /* imul dst, src */
		}
		break;
	case 0x30:
	case 0x90:
		emit_div(c, I, is_k, w, (info->code & 0xf0) == 0x90, I->off == 1);
		break;
	case 0x60: case 0x70: case 0xc0: {
		int ext = (info->code & 0xf0) == 0x60 ? 4 : (info->code & 0xf0) == 0x70 ? 5 : 7;
		if (is_k) {
			op_rr(b, 0, w, 0xc1, ext, dst, 0);  /* shl/shr/sar dst, imm8 */
			emit1(b, (uint8_t)(imm & (w ? 63 : 31)));
		} else {
			emit_shift_x(b, w, ext, dst, src);
		}
		break;
	}
	case 0x80:  /* neg */
		op_rr(b, 0, w, 0xf7, 3, dst, 0);
		break;
	case 0xb0:  /* mov */
		if (is_k)
			mov_imm(b, w, dst, w ? I->imm : (uint32_t)imm);
		else
			mov_rr(b, w, dst, src);
		break;
	default:
		emit_fail(b);
	}
}

static void emit_movsx(struct jit_buf *b, enum vm_op op, int dst, int src)
{
	switch (op) {
	case VM_OP_MOVSX32_8: op_rr(b, 0, 0, 0x0fbe, dst, src, byte_rex(src)); break;  /* movsx dst32, src8 */
	case VM_OP_MOVSX32_16: op_rr(b, 0, 0, 0x0fbf, dst, src, 0); break;            /* movsx dst32, src16 */
	case VM_OP_MOVSX64_8: op_rr(b, 0, 1, 0x0fbe, dst, src, 0); break;              /* movsx dst, src8 */
	case VM_OP_MOVSX64_16: op_rr(b, 0, 1, 0x0fbf, dst, src, 0); break;             /* movsx dst, src16 */
	case VM_OP_MOVSX64_32: op_rr(b, 0, 1, 0x63, dst, src, 0); break;               /* movsxd dst, src32 */
	default: emit_fail(b);
	}
}

/* le on a little-endian host only truncates; be and bswap swap */
static void emit_end(struct jit_buf *b, const struct vm_pinsn *I)
{
	int dst = reg2x[I->dst];
	int le = vm_ops[I->op].code == 0xd4;
	switch (I->imm) {
	case 16:
		if (!le) {
			op_rr(b, P66, 0, 0xc1, 1, dst, 0);  /* ror dst16, 8 */
			emit1(b, 8);
		}
		op_rr(b, 0, 0, 0x0fb7, dst, dst, 0);    /* movzx dst32, dst16 */
		break;
	case 32:
		if (le) {
			mov_rr(b, 0, dst, dst);             /* mov dst32, dst32 */
		} else {
			rex(b, 0, 0, 0, dst, 0);            /* bswap dst32 */
			emit1(b, 0x0f);
			emit1(b, (uint8_t)(0xc8 + (dst & 7)));
		}
		break;
	case 64:
		if (!le) {
			rex(b, 1, 0, 0, dst, 0);            /* bswap dst */
			emit1(b, 0x0f);
			emit1(b, (uint8_t)(0xc8 + (dst & 7)));
		}
		break;
	default:
		emit_fail(b);
	}
}

static int jmp_cc(uint8_t code)
{
	switch (code & 0xf0) {
	case 0x10: return CC_E;
	case 0x20: return CC_A;
	case 0x30: return CC_AE;
	case 0x40: return CC_NE;  /* jset: test, then non-zero */
	case 0x50: return CC_NE;
	case 0x60: return CC_G;
	case 0x70: return CC_GE;
	case 0xa0: return CC_B;
	case 0xb0: return CC_BE;
	case 0xc0: return CC_L;
	case 0xd0: return CC_LE;
	default: return -2;
	}
}

static void emit_jcond(struct xctx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	const struct vm_opinfo *info = &vm_ops[I->op];
	int w = (info->code & 7) == 5;
	int dst = reg2x[I->dst];
	int jset = (info->code & 0xf0) == 0x40;
	if (info->form == F_JMP_K) {
		int32_t imm = (int32_t)I->imm;
		if (jset) {
			rex(b, w, 0, 0, dst, 0);       /* test dst, imm32 */
			emit1(b, 0xf7);
			emit1(b, (uint8_t)(0xc0 | (dst & 7)));
			emit4(b, (uint32_t)imm);
		} else if (imm == 0) {
			op_rr(b, 0, w, 0x85, dst, dst, 0);  /* test dst, dst */
		} else {
			alu_ri(b, w, 7, dst, imm);     /* cmp dst, imm */
		}
	} else {
		op_rr(b, 0, w, jset ? 0x85 : 0x39, reg2x[I->src], dst, 0);  /* test/cmp dst, src */
	}
	int cc = jmp_cc(info->code);
	/* cmp with 0 by test: unsigned a > 0 is a != 0, a >= 0 always, a < 0 never */
	if (info->form == F_JMP_K && !jset && (int32_t)I->imm == 0) {
		if (cc == CC_A)
			cc = CC_NE;
		else if (cc == CC_BE)
			cc = CC_E;
		else if (cc == CC_AE)
			cc = CC_ALWAYS;
		else if (cc == CC_B)
			return;
	}
	if (cc == -2) {
		emit_fail(b);
		return;
	}
	x86_jump_pc(c, pc, cc, pc + 1 + (size_t)(int64_t)I->off);
}

/* The exit routine: leave the function at the current depth. At depth 0 the
 * run is over; deeper, the caller's frame comes back and its return address
 * is jumped to. */
static void emit_exit_routine(struct xctx *c)
{
	struct jit_buf *b = &c->ps.b;
	int32_t fsz = (int32_t)sizeof(struct vm_frame);
	op_rm(b, 0, 0, 0x8b, AUX, M(VMR, VM_OFF(depth)), 0);   /* mov r10d, [vm->depth] */
	op_rr(b, 0, 0, 0x85, AUX, AUX, 0);                     /* test r10d, r10d */
	size_t top = jcc8(b, CC_E);
	alu_ri(b, 0, 5, AUX, 1);                               /* sub r10d, 1 */
	op_rm(b, 0, 0, 0x89, AUX, M(VMR, VM_OFF(depth)), 0);   /* mov [vm->depth], r10d */
	load64(b, ADR, (struct mem){RSP, AUX, 3, F_OFF(ret)}); /* r11 = ret[depth] */
	op_rr(b, 0, 0, 0x69, AUX, AUX, 0);                     /* imul r10d, r10d, sizeof frame */
	emit4(b, (uint32_t)fsz);
	op_rm(b, 0, 1, 0x8d, AUX, (struct mem){VMR, AUX, 0, VM_OFF(frames)}, 0);
	static const int keep[4] = {RBX, R13, R14, R15};
	for (int i = 0; i < 4; i++)
		load64(b, keep[i], M(AUX, (int32_t)(offsetof(struct vm_frame, saved) + 8 * (size_t)i)));
	load64(b, RBP, M(AUX, (int32_t)offsetof(struct vm_frame, fp)));
	op_rm(b, 0, 0, 0x8b, AUX, M(AUX, (int32_t)offsetof(struct vm_frame, may_goto)), 0);
	store64(b, M(RSP, F_OFF(may_goto)), AUX);
	op_rm(b, 0, 1, 0x8d, AUX, M(RBP, -BS_STACK_SIZE), 0);  /* lea r10, [rbp - 512] */
	store64(b, M(VMR, VM_OFF(stack_lo)), AUX);
	op_rr(b, 0, 0, 0xff, 4, ADR, 0);                       /* jmp r11 */
	patch8(b, top);
	/* every register as the interpreter leaves them (bs_vm_regs) */
	x86_save_all(b);
	/* falls into the epilogue */
}

static void emit_epilogue(struct jit_buf *b)
{
	load64(b, AUX, M(RSP, F_OFF(run)));
	load64(b, ADR, M(RSP, F_OFF(remaining)));
	store64(b, M(AUX, (int32_t)offsetof(struct jit_run, remaining)), ADR);
	alu_ri(b, 1, 0, RSP, FRAME_SIZE);                      /* add rsp, FRAME */
	static const uint8_t pops[] = {0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5b, 0x5d, 0xc3};
	emit_bytes(b, pops, sizeof(pops));                     /* pop r15..rbx, rbp; ret */
}

/* entry(init frame, target): saves the callee-saved registers, copies the
 * fields of the frame the code reads before writing to [rsp], loads the BPF
 * registers from vm->reg and jumps in. */
static void emit_entry(struct jit_buf *b)
{
	static const uint8_t push[] = {0x55, 0x53, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
	emit_bytes(b, push, sizeof(push));                     /* push rbp, rbx, r12..r15 */
	alu_ri(b, 1, 5, RSP, FRAME_SIZE);                      /* sub rsp, FRAME */
	mov_rr(b, 1, ADR, RSI);
	static const int32_t copy[] = {F_OFF(run), F_OFF(vm), F_OFF(remaining), F_OFF(may_goto)};
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		load64(b, RAX, M(RDI, copy[i]));
		store64(b, M(RSP, copy[i]), RAX);
	}
	load64(b, VMR, M(RSP, F_OFF(vm)));
	load64(b, CNT, M(RSP, F_OFF(remaining)));
	for (int i = 0; i < BS_MAX_REG; i++)
		load64(b, reg2x[i], M(VMR, VM_REG(i)));
	op_rr(b, 0, 0, 0xff, 4, ADR, 0);                       /* jmp r11 */
}

static void emit_ld_pkt(struct xctx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	unsigned size = vm_size_bytes(vm_ops[I->op].code);
	if (vm_ops[I->op].form == F_LD_IND) {
		mov_rr(b, 0, ADR, reg2x[I->src]);
		alu_ri(b, 0, 0, ADR, (int32_t)I->imm);
	} else {
		mov_imm(b, 0, ADR, (uint32_t)I->imm);
	}
	/* the offset is the low 32 bits, signed */
	op_rr(b, 0, 1, 0x63, ADR, ADR, 0);                       /* movsxd r11, r11d */
	x86_save_all(b);
	mov_rr(b, 1, RDI, RSP);
	mov_rr(b, 1, RSI, ADR);
	mov_imm(b, 1, RDX, size);
	call_abs(b, (const void *)jit_rt_ld_pkt);
	mov_rr(b, 1, ADR, RAX);
	mov_rr(b, 1, AUX, RDX);
	x86_restore_volatile(b, 0);
	mov_rr(b, 1, RAX, ADR);
	op_rr(b, 0, 1, 0x85, AUX, AUX, 0);
	/* out of bounds: r0 = 0 and the function returns */
	x86_jump_to(c, pc, CC_E, c->ps.pexit);
}

/* The pair at pc and pc + 1 (jit_pair) that one x86 instruction does, or
 * none: BPF keeps no flags, and neither can fail. In a loop's copy both
 * must be in it. Fewer instructions in a counted loop is what lets it run
 * at the front end's full width (checksum's loop: 16 x86 instructions a
 * round, 13 with its three pairs fused). */
static enum jit_pair fused(const struct xctx *c, size_t pc)
{
	enum jit_pair k = jit_pair(c->code, c->ps.n, c->leader, pc);
	if (k == JIT_PAIR_NONE || (c->loop_at && c->loop_at[pc + 1] >= 0))
		return JIT_PAIR_NONE;
	if (c->fast && !(pc >= c->fast->head && pc + 1 <= c->fast->end))
		return JIT_PAIR_NONE;
	return k;
}

/* mov d, s; add d, imm / add d, t: lea d, [s + imm] / [s + t], at the width
 * of both (a 32-bit lea keeps the low half of the sum, zero-extended).
 * d >>= k; d &= 2^(32 - k) - 1: shr d32, k (zero-extends). d <<= 32;
 * d >>= 32 / d s>>= 32: mov d32, d32 / movsxd d, d32. */
static void emit_pair(struct xctx *c, size_t pc, enum jit_pair k)
{
	const struct vm_pinsn *I = &c->code[pc], *J = &c->code[pc + 1];
	int d = reg2x[I->dst];
	switch (k) {
	case JIT_PAIR_SHIFT_MASK:
		op_rr(&c->ps.b, 0, 0, 0xc1, 5, d, 0);  /* shr d32, k */
		emit1(&c->ps.b, (uint8_t)I->imm);
		return;
	case JIT_PAIR_ZERO_EXTEND:
		mov_rr(&c->ps.b, 0, d, d);             /* mov d32, d32 */
		return;
	case JIT_PAIR_SIGN_EXTEND:
		op_rr(&c->ps.b, 0, 1, 0x63, d, d, 0);  /* movsxd d, d32 */
		return;
	default:
		break;
	}
	int w = (vm_ops[I->op].code & 7) == 7;
	int src = reg2x[I->src];
	struct mem m = M(src, (int32_t)J->imm);
	if (vm_ops[J->op].form == F_ALU_X) {
		/* after the move, d holds s */
		int t = J->src == I->dst ? src : reg2x[J->src];
		m = (struct mem){src, t, 0, 0};
	}
	op_rm(&c->ps.b, 0, w, 0x8d, d, m, 0);
}

/* Whether an ALU instruction leaves r11 as it was (no scratch: div,
 * shifts by a register and multiplications by 2^n +- 1 may use it). */
static bool alu_keeps_r11(const struct vm_pinsn *I)
{
	const struct vm_opinfo *info = &vm_ops[I->op];
	struct jit_mul m;
	switch (info->code & 0xf0) {
	case 0x20:
		return !jit_mul_shape(I, &m) || m.kind == JIT_MUL_SHIFT || m.kind == JIT_MUL_LEA;
	case 0x00: case 0x10: case 0x40: case 0x50: case 0x80: case 0xa0: case 0xb0:
		return true;
	case 0x60: case 0x70: case 0xc0:
		return info->form == F_ALU_K;
	default:
		return false;
	}
}

static void emit_insn(struct xctx *c, size_t pc);

void x86_emit_insn(struct xctx *c, size_t pc)
{
	const struct vm_opinfo *info = &vm_ops[c->code[pc].op];
	/* (a loop's head is a leader: its check, which uses r11, is behind) */
	if (c->leader[pc] || (c->fast && pc == c->fast->head))
		c->adr_region = -1;
	c->adr_kept = (info->form == F_ALU_K || info->form == F_ALU_X) && alu_keeps_r11(&c->code[pc]);
	emit_insn(c, pc);
	if (!c->adr_kept)
		c->adr_region = -1;
}

static void emit_insn(struct xctx *c, size_t pc)
{
	struct jit_buf *b = &c->ps.b;
	const struct vm_pinsn *I = &c->code[pc];
	const struct vm_opinfo *info = &vm_ops[I->op];
	if (c->blk[pc] && !c->fast) {
		/* the block's instructions, charged up front; not enough left: the
		 * interpreter runs on from here and stops exactly where it would */
		alu_ri(b, 1, 5, CNT, (int32_t)c->blk[pc]);        /* sub r9, units */
		struct stub s = {STUB_BAIL, 0, 0, (uint32_t)pc, c->blk[pc], 0, 0, 0, 0};
		x86_jump_stub(c, CC_B, s);
	}
	if (pc > 0 && fused(c, pc - 1))
		return;  /* the instruction before it did both */
	enum jit_pair pair = fused(c, pc);
	if (pair) {
		emit_pair(c, pc, pair);
		return;
	}
	switch ((enum vm_form)info->form) {
	case F_ALU_K: case F_ALU_X: case F_NEG:
		emit_alu(c, I);
		break;
	case F_MOVSX:
		emit_movsx(b, I->op, reg2x[I->dst], reg2x[I->src]);
		break;
	case F_END:
		emit_end(b, I);
		break;
	case F_LDX: case F_ST: case F_STX: case F_ATOMIC: case F_ATOMIC_FETCH: case F_XCHG:
	case F_CMPXCHG: case F_LOAD_ACQ: case F_STORE_REL:
		emit_mem(c, pc, I);
		break;
	case F_LDDW:
		mov_imm(b, 1, reg2x[I->dst], I->imm);
		break;
	case F_LD_ABS: case F_LD_IND:
		emit_ld_pkt(c, pc, I);
		break;
	case F_JMP_K: case F_JMP_X:
		emit_jcond(c, pc, I);
		break;
	case F_JA: case F_GOTOL:
		x86_jump_pc(c, pc, CC_ALWAYS, pc + 1 + (size_t)(int64_t)I->off);
		break;
	case F_MAY_GOTO:
		alu_mi(b, 1, 7, M(RSP, F_OFF(may_goto)), 1);      /* cmp qword [may_goto], 1 */
		{
			/* taken once the allowance is spent */
			size_t skip = jcc8(b, CC_AE);
			x86_jump_pc(c, pc, CC_ALWAYS, pc + 1 + (size_t)(int64_t)I->off);
			patch8(b, skip);
		}
		op_rm(b, 0, 1, 0xff, 1, M(RSP, F_OFF(may_goto)), 0); /* dec qword [may_goto] */
		break;
	case F_CALL:
		x86_emit_helper(c, pc, I);
		break;
	case F_CALL_LOCAL:
		x86_emit_call_local(c, pc, I);
		break;
	case F_EXIT:
		x86_jump_to(c, pc, CC_ALWAYS, c->ps.pexit);
		break;
	case F_CALL_KFUNC: case F_ADDR_SPACE_CAST: default: {
		/* nothing here runs them: the interpreter gives its error */
		struct stub s = {STUB_BAIL, 0, 0, (uint32_t)pc, 0, 0, 0, 0, 0};
		x86_jump_stub(c, CC_ALWAYS, s);
		break;
	}
	}
}

static void emit_stubs(struct xctx *c)
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
				alu_ri(b, 1, 0, CNT, (int32_t)s->units);  /* add r9, units: undo */
			x86_c_call(b, (const void *)jit_rt_bail, 0, s->pc, 0);
			jcc32(b, CC_ALWAYS, c->ps.epi_off);
			break;
		case STUB_DEPTH:
			x86_c_call(b, (const void *)jit_rt_call_depth, 0, s->pc, 0);
			jcc32(b, CC_ALWAYS, c->ps.epi_off);
			break;
		case STUB_HELPER_ARRAY:
			x86_emit_stub_helper_array(c, s);
			break;
		case STUB_ARRAY_MISS:
			op_rr(b, 0, 0, 0x31, RAX, RAX, 0);               /* xor eax, eax */
			jcc32(b, CC_ALWAYS, s->back);
			break;
		case STUB_LEAVE:
			alu_ri(b, 1, 0, CNT, (int32_t)s->units);         /* add r9, units */
			jcc32(b, CC_ALWAYS, c->ps.offs[s->pc]);
			break;
		case STUB_LOOP_LEAVE:
			x86_emit_stub_loop_leave(c, s);
			break;
		}
	}
}

static void emit_pass(struct xctx *c)
{
	struct jit_buf *b = &c->ps.b;
	b->len = 0;
	b->err = 0;
	c->ps.nstubs = 0;
	c->nsites = 0;
	c->adr_region = -1;
	emit_entry(b);
	for (size_t pc = 0; pc < c->ps.n; pc++) {
		c->ps.offs[pc] = (uint32_t)b->len;
		/* lddw's second slot: no code, the offset of the next instruction */
		if (pc > 0 && vm_ops[c->code[pc - 1].op].form == F_LDDW)
			continue;
		jit_facts_enter(&c->facts, c->code, pc, c->leader[pc]);
		if (c->loop_at && c->loop_at[pc] >= 0) {
			size_t l = (size_t)c->loop_at[pc];
			x86_emit_loop_check(c, pc, l);
			c->ps.offs[2 * (c->ps.n + 1) + l] = (uint32_t)b->len;
		}
		x86_emit_insn(c, pc);
		jit_facts_after(c->vm, &c->facts, &c->code[pc], c->inl[pc]);
	}
	c->ps.offs[c->ps.n] = (uint32_t)b->len;
	for (size_t l = 0; l < c->nloops; l++)
		x86_emit_loop_copy(c, l);
	c->ps.exit_off = b->len;
	emit_exit_routine(c);
	c->ps.epi_off = b->len;
	emit_epilogue(b);
	emit_stubs(c);
}

static void x86_pass(void *ctx)
{
	emit_pass(ctx);
}

/* the memos: read+write pages right after the code, reached rip-relative */
static size_t x86_memo_bytes(const void *ctx)
{
	return ((const struct xctx *)ctx)->nsites * sizeof(struct jit_memo);
}

/* int3 in the slack */
static void x86_fill(uint8_t *mem, size_t len)
{
	memset(mem, 0xcc, len);
}

static const struct jit_backend x86_backend = {x86_pass, x86_memo_bytes, x86_fill, NULL};

struct jit_prog *jit_compile(struct bs_vm *vm, uint32_t idx, int unchecked, struct bs_error *err)
{
	const struct vm_prog *vp = &vm->progs[idx];
	struct xctx c = {0};
	struct jit_prog *p = calloc(1, sizeof(*p));
	c.vm = vm;
	c.idx = idx;
	c.code = vp->code;
	c.ps.n = vp->n;
	c.unchecked = unchecked;
	int64_t sdisp = (int64_t)((uintptr_t)vm->regions[0].host - (uintptr_t)vm) -
			(int64_t)vm->regions[0].guest;
	c.stack_top = (int64_t)(vm->regions[0].guest + vm->regions[0].size);
	c.sdisp = (int32_t)sdisp;
	if (sdisp != c.sdisp || c.stack_top > INT32_MAX || vm->regions[0].host != vm->stack) {
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
	if (jit_plan_inline(c.vm, c.code, c.ps.n, c.inl, true, c.leader, c.blk, p->rest, err))
		goto fail;
	c.lpc = calloc(c.ps.n + 1, sizeof(*c.lpc));
	if (!c.lpc ||
	    jit_plan_loops(c.vm, c.code, c.ps.n, c.leader, c.inl, &p->loops, &p->nloops, c.lpc)) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory compiling %zu instructions", c.ps.n);
		goto fail;
	}
	c.loops = p->loops;
	c.nloops = p->nloops;
	c.rest = p->rest;
	if (c.nloops) {
		c.ps.extra = c.ps.n + 1 + 2 * c.nloops;
		c.loop_at = malloc(c.ps.n * sizeof(*c.loop_at));
		if (!c.loop_at) {
			vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory compiling %zu instructions", c.ps.n);
			goto fail;
		}
		memset(c.loop_at, 0xff, c.ps.n * sizeof(*c.loop_at));
		for (size_t l = 0; l < c.nloops; l++)
			c.loop_at[c.loops[l].head] = (int32_t)l;
	}
	if (jit_layout(&c.ps, &c, &x86_backend, idx, p, err))
		goto fail;
	p->memo = c.nsites ? (struct jit_memo *)(void *)(p->mem + c.ps.data_off) : NULL;
	p->nmemo = c.nsites;
	p->n = c.ps.n;
	p->code = vp->code;
	free(c.blk);
	free(c.leader);
	free(c.inl);
	free(c.stubs);
	free(c.ps.stub_off);
	free(c.loop_at);
	free(c.lpc);
	return p;
fail:
	free(c.blk);
	free(c.leader);
	free(c.inl);
	free(c.stubs);
	free(c.ps.stub_off);
	free(c.loop_at);
	free(c.lpc);
	jit_prog_free(p);
	return NULL;
}
