// SPDX-License-Identifier: MIT
/* The x86-64 backend's calls: bpf-to-bpf calls, helper calls and tail calls
 * through the runtime (jit/runtime.c), and the helper calls it does inline:
 * array lookups a helper describes (bs_vm_set_helper_array), as the
 * kernel's verifier inlines array map lookups. */
#include <string.h>

#include "jit/x86_64_pass.h"

void x86_emit_call_local(struct xctx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	struct stub s = {STUB_DEPTH, 0, 0, (uint32_t)pc, 0, 0, 0, 0, 0};
	op_rm(b, 0, 0, 0x8b, AUX, M(VMR, VM_OFF(depth)), 0);   /* mov r10d, [vm->depth] */
	alu_ri(b, 0, 7, AUX, BS_MAX_FRAMES - 1);
	x86_jump_stub(c, CC_AE, s);
	op_rr(b, 0, 0, 0x69, AUX, AUX, 0);                     /* imul r10d, r10d, sizeof frame */
	emit4(b, (uint32_t)sizeof(struct vm_frame));
	op_rm(b, 0, 1, 0x8d, AUX, (struct mem){VMR, AUX, 0, VM_OFF(frames)}, 0);
	store_imm(b, 1, M(AUX, (int32_t)offsetof(struct vm_frame, ret_pc)), (int32_t)(pc + 1));
	store_imm(b, 0, M(AUX, (int32_t)offsetof(struct vm_frame, ret_prog)), (int32_t)c->idx);
	static const int keep[4] = {RBX, R13, R14, R15};
	for (int i = 0; i < 4; i++)
		store64(b, M(AUX, (int32_t)(offsetof(struct vm_frame, saved) + 8 * (size_t)i)), keep[i]);
	store64(b, M(AUX, (int32_t)offsetof(struct vm_frame, fp)), RBP);
	load64(b, ADR, M(RSP, F_OFF(may_goto)));
	op_rm(b, 0, 0, 0x89, ADR, M(AUX, (int32_t)offsetof(struct vm_frame, may_goto)), 0);
	store_imm(b, 1, M(RSP, F_OFF(may_goto)), (int32_t)VM_MAY_GOTO_LOOPS);
	op_rm(b, 0, 0, 0x8b, AUX, M(VMR, VM_OFF(depth)), 0);   /* r10d = depth again */
	op_rm(b, 0, 0, 0xff, 0, M(VMR, VM_OFF(depth)), 0);     /* inc dword [vm->depth] */
	alu_ri(b, 1, 5, RBP, BS_STACK_SIZE);                   /* sub rbp, 512 */
	op_rm(b, 0, 1, 0x8d, ADR, M(RBP, -BS_STACK_SIZE), 0);
	store64(b, M(VMR, VM_OFF(stack_lo)), ADR);
	/* the native return address: just past the jmp below */
	struct jit_buf t = {0};
	store64(&t, (struct mem){RSP, AUX, 3, F_OFF(ret)}, ADR);
	size_t target = pc + 1 + (size_t)(int64_t)I->off;
	size_t lea_len = 7;
	int jlen = x86_jump_size(c, pc, CC_ALWAYS, c->ps.prev ? c->ps.prev[target] : 0, b->len + lea_len + t.len);
	emit_bytes(b, "\x4c\x8d\x1d", 3);                      /* lea r11, [rip + disp32] */
	emit4(b, (uint32_t)(t.len + (size_t)jlen));
	store64(b, (struct mem){RSP, AUX, 3, F_OFF(ret)}, ADR);  /* ret[depth] = r11 */
	x86_jump_pc(c, pc, CC_ALWAYS, target);
	/* back from the callee: a tail call there may have left another program current */
	store_imm(b, 0, M(VMR, VM_OFF(cur)), (int32_t)c->idx);
}

/* r0 = base + eax * stride if eax < n, else 0 (out of line: the found
 * value falls through, no jump taken) */
static void emit_array_index(struct xctx *c, size_t pc, const struct bs_helper_array *d)
{
	struct jit_buf *b = &c->ps.b;
	alu_ri(b, 0, 7, RAX, (int32_t)d->n);                              /* cmp eax, n */
	struct stub s = {STUB_ARRAY_MISS, 0, 0, (uint32_t)pc, 0, 0, 0, 0, 0};
	size_t miss = x86_jump_stub(c, CC_AE, s);
	int scale = d->stride == 2 ? 1 : d->stride == 4 ? 2 : d->stride == 8 ? 3 : -1;
	if (scale > 0 && d->base <= INT32_MAX) {
		/* lea rax, [rax * stride + base] */
		static const uint8_t lea[] = {0x48, 0x8d, 0x04};
		emit_bytes(b, lea, sizeof(lea));
		emit1(b, (uint8_t)(scale << 6 | 0 << 3 | 5));
		emit4(b, (uint32_t)d->base);
	} else {
		if (d->stride != 1) {
			op_rr(b, 0, 1, 0x69, RAX, RAX, 0);                /* imul rax, rax, stride */
			emit4(b, (uint32_t)d->stride);
		}
		if (d->base <= INT32_MAX) {
			alu_ri(b, 1, 0, RAX, (int32_t)d->base);           /* add rax, base */
		} else {
			mov_imm(b, 1, ADR, d->base);
			op_rr(b, 0, 1, 0x01, ADR, RAX, 0);                /* add rax, r11 */
		}
	}
	if (c->ps.nstubs > miss)
		c->stubs[miss].back = (uint32_t)b->len;
}

/* A helper call that is an array lookup for the r1 it gets (struct
 * bs_helper_array), inline as the kernel's array_map_gen_lookup: the u32
 * key read where r2 points (the stack, or the region its memo remembers),
 * compared with the bound, scaled. A key anywhere else takes the stub, the
 * helper itself, so every error is the helper's own. 0: not such a call. */
static int emit_helper_array(struct xctx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	struct bs_helper_array d;
	if (!c->inl[pc])
		return 0;
	if (!jit_call_array(c->vm, &c->facts, I, &d)) {
		emit_fail(b);  /* planned inline; the facts cannot have shrunk */
		return 1;
	}
	int64_t k;
	if (jit_facts_in_frame(&c->facts, 2, 0, 4, &k)) {
		op_rm(b, 0, 0, 0x8b, RAX, (struct mem){RBP, VMR, 0, (int32_t)(k + c->sdisp)}, 0);
		emit_array_index(c, pc, &d);
		return 1;
	}
	mov_rr(b, 1, ADR, reg2x[2]);
	/* on the stack: from the current frame's bottom to the top of frame 0 */
	op_rm(b, 0, 1, 0x3b, ADR, M(VMR, VM_OFF(stack_lo)), 0);  /* cmp r11, [vm->stack_lo] */
	size_t j1 = jcc8(b, CC_B);
	alu_ri(b, 1, 7, ADR, (int32_t)(c->stack_top - 4));      /* cmp r11, top - 4 */
	size_t j2 = jcc8(b, CC_A);
	op_rm(b, 0, 0, 0x8b, RAX, (struct mem){ADR, VMR, 0, c->sdisp}, 0);  /* mov eax, [host] */
	size_t have = jcc8(b, CC_ALWAYS);
	patch8(b, j1);
	patch8(b, j2);
	size_t site = c->nsites++;
	size_t memo = c->ps.data_off + site * sizeof(struct jit_memo);
	mov_rr(b, 1, AUX, ADR);
	x86_op_rip(b, 1, 0x2b, AUX, memo + offsetof(struct jit_memo, lo));    /* sub r10, [lo] */
	x86_op_rip(b, 1, 0x3b, AUX, memo + offsetof(struct jit_memo, lim));   /* cmp r10, [lim] */
	struct stub s = {STUB_HELPER_ARRAY, 4, 0, (uint32_t)pc, 0, 0, 0, (uint32_t)site, 0};
	size_t stub = x86_jump_stub(c, CC_AE, s);
	x86_op_rip(b, 1, 0x03, AUX, memo + offsetof(struct jit_memo, host));  /* add r10, [host] */
	op_rm(b, 0, 0, 0x8b, RAX, M(AUX, 0), 0);                         /* mov eax, [r10] */
	patch8(b, have);
	emit_array_index(c, pc, &d);
	if (c->ps.nstubs > stub)
		c->stubs[stub].back = (uint32_t)b->len;
	return 1;
}

void x86_emit_stub_helper_array(struct xctx *c, const struct stub *s)
{
	struct jit_buf *b = &c->ps.b;
	x86_save_all(b);
	mov_rr(b, 1, RDI, RSP);
	mov_imm(b, 1, RSI, s->pc);
	mov_imm(b, 1, RDX, (uint64_t)(uintptr_t)&c->vm->helpers[c->code[s->pc].imm]);
	x86_op_rip(b, 1, 0x8d, RCX, c->ps.data_off + s->site * sizeof(struct jit_memo));  /* lea rcx, [memo] */
	call_abs(b, (const void *)jit_rt_helper_array);
	mov_rr(b, 0, AUX, RAX);
	x86_restore_volatile(b, 1);
	op_rr(b, 0, 0, 0x85, AUX, AUX, 0);                       /* test r10d, r10d */
	jcc32(b, CC_NE, c->ps.epi_off);
	jcc32(b, CC_ALWAYS, s->back);
}

void x86_emit_helper(struct xctx *c, size_t pc, const struct vm_pinsn *I)
{
	struct jit_buf *b = &c->ps.b;
	if (I->imm < VM_MAX_HELPER_ID && emit_helper_array(c, pc, I))
		return;
	if (I->imm == VM_HELPER_TAIL_CALL) {
		x86_c_call(b, (const void *)jit_rt_tail_call, 0, pc, 0);
		mov_rr(b, 0, AUX, RAX);
		x86_restore_volatile(b, 1);
		op_rr(b, 0, 0, 0x85, AUX, AUX, 0);               /* test r10d, r10d */
		jcc32(b, CC_L, c->ps.pepi);                          /* a fault, or the interpreter finished */
		size_t fall = jcc8(b, CC_E);
		op_rm(b, 0, 0, 0xff, 4, M(RSP, F_OFF(jump)), 0);  /* jmp [frame->jump] */
		patch8(b, fall);
		return;
	}
	if (I->imm < VM_MAX_HELPER_ID)
		x86_c_call(b, (const void *)jit_rt_helper_at, 0, pc,
		       (uint64_t)(uintptr_t)&c->vm->helpers[I->imm]);
	else
		x86_c_call(b, (const void *)jit_rt_helper, 0, pc, 0);
	mov_rr(b, 0, AUX, RAX);
	x86_restore_volatile(b, 1);
	op_rr(b, 0, 0, 0x85, AUX, AUX, 0);
	jcc32(b, CC_NE, c->ps.pepi);
}
