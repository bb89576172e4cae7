// SPDX-License-Identifier: MIT
/* The x86-64 backend's ways from one piece of code to another: jumps to
 * instructions (rel8 where the last pass says it reaches), into the cold
 * stubs, and calls out to C with the BPF registers where C sees them. */
#include <stdlib.h>

#include "jit/x86_64_pass.h"

/* A jump to a code offset known from the last pass: rel8 when it reaches.
 * The jump's own position in the last pass is this instruction's start
 * there plus the bytes emitted so far for it (all before it have fixed
 * sizes), which is exact once the passes agree. */
int x86_jump_size(const struct xctx *c, size_t pc, int cc, size_t ptarget, size_t at)
{
	int far = cc == CC_ALWAYS ? 5 : 6;
	if (!c->ps.prev)
		return far;
	pc += c->slot;
	int64_t here = (int64_t)c->ps.prev[pc] + (int64_t)(at - c->ps.offs[pc]);
	return is_imm8((int64_t)ptarget - (here + 2)) ? 2 : far;
}

void x86_jump_to(struct xctx *c, size_t pc, int cc, size_t ptarget)
{
	struct jit_buf *b = &c->ps.b;
	int len = x86_jump_size(c, pc, cc, ptarget, b->len);
	size_t at = pc + c->slot;
	int64_t here = c->ps.prev ? (int64_t)c->ps.prev[at] + (int64_t)(b->len - c->ps.offs[at]) : 0;
	int64_t d = c->ps.prev ? (int64_t)ptarget - (here + len) : 0;
	if (len == 2) {
		emit1(b, cc == CC_ALWAYS ? 0xeb : (uint8_t)(0x70 + cc));   /* jcc/jmp rel8 */
		emit1(b, (uint8_t)d);
		return;
	}
	if (cc == CC_ALWAYS) {
		emit1(b, 0xe9);                                          /* jmp rel32 */
	} else {
		emit1(b, 0x0f);                                          /* jcc rel32 */
		emit1(b, (uint8_t)(0x80 + cc));
	}
	emit4(b, (uint32_t)d);
}

void x86_jump_pc(struct xctx *c, size_t pc, int cc, size_t target)
{
	size_t slot = target;
	const struct jit_loop *L = c->fast;
	/* units charged ahead that a taken jump does not run: the rest of a
	 * loop copy's round, or of a block that goes on past this jump (up to
	 * the target when the block goes on past that too) */
	uint32_t back = L ? c->refund : jit_skipped(c->leader, c->rest, pc, target);
	if (L && target >= L->head && target <= L->end) {
		slot = c->ps.n + 1 + target;       /* inside the copy */
		back = 0;
	} else if (!L && c->loop_at && c->loop_at[target] >= 0) {
		/* a loop's own jumps to its head skip the check */
		size_t l = (size_t)c->loop_at[target];
		if (pc >= target && pc <= c->loops[l].end)
			slot = 2 * (c->ps.n + 1) + l;
	}
	if (L && slot == target) {
		/* out of a copy: a stub gives back the rounds charged ahead
		 * and turns host addresses back into the guest's */
		struct stub s = {STUB_LOOP_LEAVE, 0, 0, (uint32_t)slot, back, 0, 0,
				 (uint32_t)(L - c->loops), (uint32_t)pc};
		x86_jump_stub(c, cc, s);
		return;
	}
	if (back) {
		/* a stub gives them back, out of the way of the path not taken */
		struct stub s = {STUB_LEAVE, 0, 0, (uint32_t)slot, back, 0, 0, 0, 0};
		x86_jump_stub(c, cc, s);
		return;
	}
	x86_jump_to(c, pc, cc, c->ps.prev ? c->ps.prev[slot] : 0);
}

/* rel32 to a stub; returns its index */
size_t x86_jump_stub(struct xctx *c, int cc, struct stub s)
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
	jcc32(&c->ps.b, cc, c->ps.pstub_off ? c->ps.pstub_off[k] : 0);
	return k;
}

/* All BPF registers to vm->reg, the counter to the frame: what C sees. */
void x86_save_all(struct jit_buf *b)
{
	for (int i = 0; i < BS_MAX_REG; i++)
		store64(b, M(VMR, VM_REG(i)), reg2x[i]);
	store64(b, M(RSP, F_OFF(remaining)), CNT);
}

/* The registers C may have clobbered, back (r0 too unless keep_r0). */
void x86_restore_volatile(struct jit_buf *b, int with_r0)
{
	for (int i = with_r0 ? 0 : 1; i <= 5; i++)
		load64(b, reg2x[i], M(VMR, VM_REG(i)));
	load64(b, CNT, M(RSP, F_OFF(remaining)));
}

/* op reg, [rip + to the code offset target]: always 4-byte displacement */
void x86_op_rip(struct jit_buf *b, int w, unsigned opc, int reg, size_t target)
{
	rex(b, w, reg, 0, 0, 0);
	opcode(b, opc);
	emit1(b, (uint8_t)((reg & 7) << 3 | 5));
	emit4(b, (uint32_t)((int64_t)target - (int64_t)(b->len + 4)));
}

/* call fn(frame, a1, a2) with the registers saved */
void x86_c_call(struct jit_buf *b, const void *fn, int a1_is_adr, uint64_t a1, uint64_t a2)
{
	x86_save_all(b);
	mov_rr(b, 1, RDI, RSP);
	if (a1_is_adr)
		mov_rr(b, 1, RSI, ADR);
	else
		mov_imm(b, 1, RSI, a1);
	mov_imm(b, 1, RDX, a2);
	call_abs(b, fn);
}
