/* SPDX-License-Identifier: MIT */
/* What the x86-64 backend's files share (jit/x86_64.c: the passes and most
 * instructions; jit/x86_64_calls.c: calls): the register map, the pass
 * state, the slow-path stubs, and the pieces every emitter uses. */
#ifndef BS_JIT_X86_64_PASS_H
#define BS_JIT_X86_64_PASS_H

#include <stdbool.h>

#include "jit/emit.h"
#include "jit/jit_private.h"
#include "jit/x86_64_enc.h"

/* BPF r1..r5 sit where the SysV ABI passes arguments (the kernel's choice
 * too), r6..r9 and r10 in callee-saved registers, so C slow paths only ever
 * clobber r0..r5 and the counter. */
static const uint8_t reg2x[BS_MAX_REG] = {
	[0] = RAX, [1] = RDI, [2] = RSI, [3] = RDX, [4] = RCX, [5] = R8,
	[6] = RBX, [7] = R13, [8] = R14, [9] = R15, [10] = RBP,
};
#define AUX R10  /* scratch; the host address of an access */
#define ADR R11  /* scratch; the guest address of an access */
#define CNT R9   /* budget left */
#define VMR R12  /* struct bs_vm */

#define FRAME_SIZE ((int32_t)sizeof(struct jit_frame))
#define F_OFF(field) ((int32_t)offsetof(struct jit_frame, field))
#define VM_OFF(field) ((int32_t)offsetof(struct bs_vm, field))
#define VM_REG(i) (VM_OFF(reg) + 8 * (i))

/* The cold slow paths after the code, one per checked access, block
 * counter, call depth check, inline call or way out of a loop's copy. */
enum stub_kind {
	STUB_MEM, STUB_BAIL, STUB_DEPTH, STUB_HELPER_ARRAY, STUB_ARRAY_MISS, STUB_LEAVE, STUB_LOOP_LEAVE
};

struct stub {
	uint8_t kind;
	uint8_t size;     /* STUB_MEM: access bytes */
	uint8_t store;    /* STUB_MEM: a hook may carry the store out */
	uint32_t pc;      /* STUB_(LOOP_)LEAVE: where the jump goes (its ps.offs slot) */
	uint32_t units;   /* STUB_BAIL: the block's count; STUB_(LOOP_)LEAVE: given back */
	uint32_t back;    /* where the access is; STUB_ARRAY_MISS: where r0 = 0 goes on */
	uint32_t skip;    /* past it */
	uint32_t site;    /* STUB_MEM, STUB_HELPER_ARRAY: its memo; STUB_LOOP_LEAVE: the loop */
	uint32_t from;    /* STUB_LOOP_LEAVE: the jump's pc */
};

/* One compilation: the passes' shared state and what this backend knows. */
struct xctx {
	struct jit_pass ps;           /* buffer, offsets, stubs' offsets (jit/layout.c) */
	struct bs_vm *vm;
	uint32_t idx;
	const struct vm_pinsn *code;
	int unchecked;
	uint32_t *blk;                /* count units of the block a leader starts, else 0 */
	const uint32_t *rest;         /* units after each instruction in its block */
	uint8_t *leader;
	struct stub *stubs;
	size_t stub_cap;
	size_t nsites;                /* checked accesses so far this pass */
	struct jit_facts facts;       /* about the registers, so far in this block */
	uint8_t *inl;                 /* helper calls done inline (emit_helper_array) */
	int64_t stack_top;            /* guest end of the stack region */
	int32_t sdisp;                /* [guest + r12 + sdisp] is the stack's host byte */
	/* Loops checked at their heads (jit/loops.c): each has a copy without
	 * checks after the body, taken when the check passes. Their offsets
	 * follow the instructions' in ps.offs: the copy's instruction pc at
	 * n + 1 + pc, loop l's checked head (past the check) at 2 (n + 1) + l,
	 * where its copy ends at 2 (n + 1) + nloops + l. */
	struct jit_loop *loops;
	size_t nloops;
	int32_t *loop_at;             /* by pc: the loop whose head it is, or -1 */
	struct jit_loop_pc *lpc;      /* by pc: what a loop's copy needs there */
	const struct jit_loop *fast;  /* the loop whose copy is being emitted */
	size_t slot;                  /* 0, or n + 1 while emitting a copy */
	uint32_t refund;              /* in a copy: units of the round after this
				       * instruction, given back when it leaves */
	/* r11 holds regions[adr_region].delta (-1: nothing known), from an
	 * access inside a lookup's value, through instructions that leave r11
	 * alone (adr_kept: this one did) up to the next leader */
	int64_t adr_region;
	bool adr_kept;
};

/* The size of a jump from instruction pc at code offset `at` of this pass
 * to ptarget of the last pass: 2 when rel8 reaches, else 5 or 6. */
BS_HIDDEN int x86_jump_size(const struct xctx *c, size_t pc, int cc, size_t ptarget, size_t at);
/* A jump to the code offset ptarget of the last pass (rel8 when it reaches),
 * from instruction pc. */
BS_HIDDEN void x86_jump_to(struct xctx *c, size_t pc, int cc, size_t ptarget);
/* A jump to instruction target. */
BS_HIDDEN void x86_jump_pc(struct xctx *c, size_t pc, int cc, size_t target);
/* rel32 to a new stub s; returns its index */
BS_HIDDEN size_t x86_jump_stub(struct xctx *c, int cc, struct stub s);
/* All BPF registers to vm->reg, the counter to the frame: what C sees. */
BS_HIDDEN void x86_save_all(struct jit_buf *b);
/* The registers C may have clobbered, back (r0 too unless !with_r0). */
BS_HIDDEN void x86_restore_volatile(struct jit_buf *b, int with_r0);
/* op reg, [rip + to the code offset target]: always 4-byte displacement */
BS_HIDDEN void x86_op_rip(struct jit_buf *b, int w, unsigned opc, int reg, size_t target);
/* call fn(frame, a1, a2) with the registers saved */
BS_HIDDEN void x86_c_call(struct jit_buf *b, const void *fn, int a1_is_adr, uint64_t a1,
			  uint64_t a2);

/* One instruction (jit/x86_64.c), in the body or in a loop's copy. */
BS_HIDDEN void x86_emit_insn(struct xctx *c, size_t pc);

/* jit/x86_64_loops.c */
/* At loop l's head (instruction pc), entered from outside the loop. */
BS_HIDDEN void x86_emit_loop_check(struct xctx *c, size_t pc, size_t l);
/* Loop l's copy without memory checks, after the body. */
BS_HIDDEN void x86_emit_loop_copy(struct xctx *c, size_t l);
/* The way out of a loop's copy a STUB_LOOP_LEAVE stands for. */
BS_HIDDEN void x86_emit_stub_loop_leave(struct xctx *c, const struct stub *s);

/* jit/x86_64_calls.c */
/* bpf-to-bpf call */
BS_HIDDEN void x86_emit_call_local(struct xctx *c, size_t pc, const struct vm_pinsn *I);
/* helper call, tail call, or an array lookup done inline */
BS_HIDDEN void x86_emit_helper(struct xctx *c, size_t pc, const struct vm_pinsn *I);
BS_HIDDEN void x86_emit_stub_helper_array(struct xctx *c, const struct stub *s);

#endif
