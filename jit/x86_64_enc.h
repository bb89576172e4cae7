/* SPDX-License-Identifier: MIT */
/* x86-64 encodings for the JIT (jit/x86_64.c): registers, memory operands,
 * prefixes, REX and ModRM/SIB, the instruction forms the backend emits.
 * Each writes through the emit buffer (jit/emit.h), so the same calls size
 * and emit. */
#ifndef BS_JIT_X86_64_ENC_H
#define BS_JIT_X86_64_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "jit/emit.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

enum { P66 = 1, PLOCK = 2, PREP = 4 };

struct mem {
	int base, index, scale;  /* index -1: none */
	int32_t disp;
};

static inline struct mem M(int base, int32_t disp)
{
	return (struct mem){base, -1, 0, disp};
}

static inline void rex(struct jit_buf *b, int w, int r, int x, int bb, int force)
{
	uint8_t v = (uint8_t)(0x40 | w << 3 | (r >> 3) << 2 | (x >> 3) << 1 | (bb >> 3));
	if (v != 0x40 || force)
		emit1(b, v);
}

static inline void opcode(struct jit_buf *b, unsigned opc)
{
	if (opc > 0xff)
		emit1(b, (uint8_t)(opc >> 8));
	emit1(b, (uint8_t)opc);
}

static inline void prefixes(struct jit_buf *b, unsigned pfx)
{
	if (pfx & PLOCK)
		emit1(b, 0xf0);
	if (pfx & PREP)
		emit1(b, 0xf3);
	if (pfx & P66)
		emit1(b, 0x66);
}

/* a byte register 4..7 means spl..dil only with a REX prefix */
static inline int byte_rex(int r)
{
	return r >= 4 && r < 8;
}

/* op reg, rm (both registers) */
static inline void op_rr(struct jit_buf *b, unsigned pfx, int w, unsigned opc, int reg, int rm,
			 int force)
{
	prefixes(b, pfx);
	rex(b, w, reg, 0, rm, force);
	opcode(b, opc);
	emit1(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

static inline void modrm_mem(struct jit_buf *b, int reg, struct mem m)
{
	int base = m.base & 7;
	int mod = m.disp == 0 && base != 5 ? 0 : m.disp >= -128 && m.disp <= 127 ? 1 : 2;
	if (m.index < 0 && base != 4) {
		emit1(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | base));
	} else {
		if (m.index == RSP)
			emit_fail(b);
		emit1(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
		emit1(b, (uint8_t)(m.scale << 6 | (m.index < 0 ? 4 : m.index & 7) << 3 | base));
	}
	if (mod == 1)
		emit1(b, (uint8_t)m.disp);
	else if (mod == 2)
		emit4(b, (uint32_t)m.disp);
}

/* op reg, [mem] (or [mem], reg: the opcode decides) */
static inline void op_rm(struct jit_buf *b, unsigned pfx, int w, unsigned opc, int reg,
			 struct mem m, int force)
{
	prefixes(b, pfx);
	rex(b, w, reg, m.index < 0 ? 0 : m.index, m.base, force);
	opcode(b, opc);
	modrm_mem(b, reg, m);
}

static inline int is_imm8(int64_t v)
{
	return v >= -128 && v <= 127;
}

/* Group-1 ALU with an immediate: ext is add 0, or 1, and 4, sub 5, xor 6, cmp 7. */
static inline void alu_ri(struct jit_buf *b, int w, int ext, int rm, int32_t imm)
{
	rex(b, w, 0, 0, rm, 0);
	emit1(b, is_imm8(imm) ? 0x83 : 0x81);
	emit1(b, (uint8_t)(0xc0 | ext << 3 | (rm & 7)));
	if (is_imm8(imm))
		emit1(b, (uint8_t)imm);
	else
		emit4(b, (uint32_t)imm);
}

static inline void alu_mi(struct jit_buf *b, int w, int ext, struct mem m, int32_t imm)
{
	op_rm(b, 0, w, is_imm8(imm) ? 0x83 : 0x81, ext, m, 0);
	if (is_imm8(imm))
		emit1(b, (uint8_t)imm);
	else
		emit4(b, (uint32_t)imm);
}

/* mov dst, v: w = 0 loads the 32-bit v zero-extended */
static inline void mov_imm(struct jit_buf *b, int w, int dst, uint64_t v)
{
	if (!w)
		v = (uint32_t)v;
	if (v == 0) {
		op_rr(b, 0, 0, 0x31, dst, dst, 0);  /* xor dst32, dst32 */
	} else if (v <= 0xffffffffu) {
		rex(b, 0, 0, 0, dst, 0);               /* mov dst32, imm32 */
		emit1(b, (uint8_t)(0xb8 + (dst & 7)));
		emit4(b, (uint32_t)v);
	} else if ((int64_t)v == (int32_t)v) {
		rex(b, 1, 0, 0, dst, 0);               /* mov dst, simm32 */
		emit1(b, 0xc7);
		emit1(b, (uint8_t)(0xc0 | (dst & 7)));
		emit4(b, (uint32_t)v);
	} else {
		rex(b, 1, 0, 0, dst, 0);               /* movabs dst, imm64 */
		emit1(b, (uint8_t)(0xb8 + (dst & 7)));
		emit8(b, v);
	}
}

static inline void mov_rr(struct jit_buf *b, int w, int dst, int src)
{
	op_rr(b, 0, w, 0x89, src, dst, 0);  /* mov dst, src */
}

static inline void load64(struct jit_buf *b, int dst, struct mem m)
{
	op_rm(b, 0, 1, 0x8b, dst, m, 0);  /* mov dst, [m] */
}

static inline void store64(struct jit_buf *b, struct mem m, int src)
{
	op_rm(b, 0, 1, 0x89, src, m, 0);  /* mov [m], src */
}

static inline void store_imm(struct jit_buf *b, int w, struct mem m, int32_t imm)
{
	op_rm(b, 0, w, 0xc7, 0, m, 0);  /* mov [m], simm32 */
	emit4(b, (uint32_t)imm);
}

/* condition codes */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7, CC_L = 0xc, CC_GE = 0xd,
       CC_LE = 0xe, CC_G = 0xf, CC_ALWAYS = -1 };

/* jcc/jmp rel8 with the displacement patched by patch8 (local, short skips) */
static inline size_t jcc8(struct jit_buf *b, int cc)
{
	emit1(b, cc == CC_ALWAYS ? 0xeb : (uint8_t)(0x70 + cc));
	emit1(b, 0);
	return b->len;
}

static inline void patch8(struct jit_buf *b, size_t at)
{
	size_t d = b->len - at;
	if (d > 127)
		emit_fail(b);
	else if (b->buf)
		b->buf[at - 1] = (uint8_t)d;
}

/* jcc/jmp rel32 to an absolute code offset */
static inline void jcc32(struct jit_buf *b, int cc, size_t target)
{
	if (cc == CC_ALWAYS) {
		emit1(b, 0xe9);
	} else {
		emit1(b, 0x0f);
		emit1(b, (uint8_t)(0x80 + cc));
	}
	emit4(b, (uint32_t)((int64_t)target - (int64_t)(b->len + 4)));
}

/* call an absolute C function */
static inline void call_abs(struct jit_buf *b, const void *fn)
{
	mov_imm(b, 1, RAX, (uint64_t)(uintptr_t)fn);
	op_rr(b, 0, 0, 0xff, 2, RAX, 0);  /* call rax */
}

#endif
