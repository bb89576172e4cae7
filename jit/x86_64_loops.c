// SPDX-License-Identifier: MIT
/* The x86-64 backend's counted loops (jit/loops.c plans them): the check at
 * a loop's head, and the copy of the loop without memory checks that runs
 * when it passes. */
#include "jit/x86_64_pass.h"

/* jcc rel32 forward, to where fwd32_here is called */
static size_t fwd32(struct jit_buf *b, int cc)
{
	jcc32(b, cc, b->len + (cc == CC_ALWAYS ? 5 : 6));
	return b->len;
}

static void fwd32_here(struct jit_buf *b, size_t at)
{
	if (b->buf)
		memcpy(b->buf + at - 4, &(uint32_t){(uint32_t)(b->len - at)}, 4);
}

#define MEMO(field) ((int32_t)offsetof(struct jit_loop, memo.field))

/* At loop l's head, entered from outside the loop: the check, then the
 * copy without checks if it passed, else on into the checked loop. The
 * check's memo first: the same registers, regions and frame as when the
 * check last passed, and budget for its charge, give its answer again. */
void x86_emit_loop_check(struct xctx *c, size_t pc, size_t l)
{
	struct jit_buf *b = &c->ps.b;
	const struct jit_loop *L = &c->loops[l];
	size_t miss[BS_MAX_REG + 3], nmiss = 0;
	mov_imm(b, 1, ADR, (uint64_t)(uintptr_t)L);
	for (int r = 0; r < BS_MAX_REG; r++)
		if (L->reads & 1u << r) {
			op_rm(b, 0, 1, 0x3b, reg2x[r], M(ADR, MEMO(reg[r])), 0);  /* cmp reg, [memo] */
			miss[nmiss++] = fwd32(b, CC_NE);
		}
	load64(b, AUX, M(VMR, VM_OFF(regions_gen)));
	op_rm(b, 0, 1, 0x3b, AUX, M(ADR, MEMO(gen)), 0);
	miss[nmiss++] = fwd32(b, CC_NE);
	/* the frame's bottom matters to the check only for a group in the stack */
	bool stack = false;
	for (unsigned g = 0; g < L->ngroups; g++)
		stack |= L->group[g].stack;
	if (stack) {
		load64(b, AUX, M(VMR, VM_OFF(stack_lo)));
		op_rm(b, 0, 1, 0x3b, AUX, M(ADR, MEMO(stack_lo)), 0);
		miss[nmiss++] = fwd32(b, CC_NE);
	}
	op_rm(b, 0, 1, 0x3b, CNT, M(ADR, MEMO(pass.charge)), 0);  /* cmp r9, [charge] */
	miss[nmiss++] = fwd32(b, CC_B);
	op_rm(b, 0, 1, 0x2b, CNT, M(ADR, MEMO(pass.charge)), 0);  /* sub r9, [charge] */
	alu_mi(b, 1, 0, M(ADR, (int32_t)offsetof(struct jit_loop, passed)), 1);
	load64(b, AUX, M(ADR, MEMO(pass.last)));
	store64(b, M(RSP, F_OFF(loop_last)), AUX);
	load64(b, AUX, M(ADR, MEMO(pass.delta)));
	size_t enter = fwd32(b, CC_ALWAYS);
	for (size_t i = 0; i < nmiss; i++)
		fwd32_here(b, miss[i]);
	x86_c_call(b, (const void *)jit_rt_loop, 0, pc, (uint64_t)(uintptr_t)L);
	mov_rr(b, 1, AUX, RAX);
	mov_rr(b, 1, ADR, RDX);
	x86_restore_volatile(b, 1);
	op_rr(b, 0, 1, 0x85, ADR, ADR, 0);                       /* test r11, r11 */
	size_t fail = fwd32(b, CC_E);
	fwd32_here(b, enter);
	/* the copy holds these as host addresses */
	for (int r = 0; r < BS_MAX_REG; r++)
		if (L->host & 1u << r)
			op_rr(b, 0, 1, 0x01, AUX, reg2x[r], 0);  /* add reg, r10 */
	x86_jump_to(c, pc, CC_ALWAYS, c->ps.prev ? c->ps.prev[c->ps.n + 1 + pc] : 0);
	fwd32_here(b, fail);
}

/* Out of loop l's copy from the jump at s->from: the registers holding host
 * addresses back to the guest's; left before the last round, the rounds
 * after this one given back (jit_rt_loop_leave); then the rest of the
 * round. */
void x86_emit_stub_loop_leave(struct xctx *c, const struct stub *s)
{
	struct jit_buf *b = &c->ps.b;
	const struct jit_loop_pc *at = &c->lpc[s->from];
	for (int r = 0; r < BS_MAX_REG; r++)
		if (at->hosts & 1u << r)
			op_rr(b, 0, 1, 0x29, AUX, reg2x[r], 0);  /* sub reg, r10 */
	/* r11: the variable at the round's head */
	op_rm(b, 0, 1, 0x8d, ADR, M(reg2x[at->iv], -at->iv_off), 0);
	op_rm(b, 0, 1, 0x3b, ADR, M(RSP, F_OFF(loop_last)), 0);  /* cmp r11, [last] */
	size_t last_round = fwd32(b, CC_E);
	x86_c_call(b, (const void *)jit_rt_loop_leave, 1, 0, (uint64_t)(uintptr_t)&c->loops[s->site]);
	x86_restore_volatile(b, 1);
	fwd32_here(b, last_round);
	if (s->units)
		alu_ri(b, 1, 0, CNT, (int32_t)s->units);  /* add r9, units */
	jcc32(b, CC_ALWAYS, c->ps.offs[s->pc]);
}

/* Loop l again, after the body: accesses outside the frame unchecked, its
 * jumps to itself staying in the copy, falling out to the instruction
 * after it. */
void x86_emit_loop_copy(struct xctx *c, size_t l)
{
	const struct jit_loop *L = &c->loops[l];
	struct jit_facts outer = c->facts;
	c->fast = L;
	c->slot = c->ps.n + 1;
	jit_facts_clear(&c->facts);
	/* a short loop that crosses a 64-byte line runs at half speed
	 * (byte_copy's 28-byte loop, its bytes moved by hand: 145 ns, 284
	 * once it crosses); from a 32-byte boundary a loop of up to 32 bytes
	 * never does. Nothing runs into the padding. */
	while (c->ps.b.len % 32)
		emit1(&c->ps.b, 0xcc);
	for (size_t pc = L->head; pc <= L->end; pc++) {
		c->ps.offs[c->slot + pc] = (uint32_t)c->ps.b.len;
		if (pc > L->head && vm_ops[c->code[pc - 1].op].form == F_LDDW)
			continue;
		/* the check charged every round: none here, no test */
		if (pc == L->head)
			c->refund = L->units;
		c->refund--;
		jit_facts_enter(&c->facts, c->code, pc, pc == L->head ? 0 : c->leader[pc]);
		x86_emit_insn(c, pc);
		jit_facts_after(c->vm, &c->facts, &c->code[pc], c->inl[pc]);
	}
	if (vm_ops[c->code[L->end].op].form != F_JA)
		x86_jump_pc(c, L->end, CC_ALWAYS, L->end + 1);
	c->ps.offs[2 * (c->ps.n + 1) + c->nloops + l] = (uint32_t)c->ps.b.len;
	c->fast = NULL;
	c->slot = 0;
	c->facts = outer;
}
