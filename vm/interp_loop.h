/* SPDX-License-Identifier: MIT */
/* The interpreter loop, written once. vm/interp.c includes this file twice:
 * with VM_USE_GOTO 1 (computed goto, a label per table row) and 0 (switch).
 * Every row of vm/isa.def must have a handler here: in goto mode a missing one
 * is a compile error, because the label table names all of them.
 *
 * Conventions: I is the prepared instruction, and the loop steps it, not an
 * index: PC is worked out only where a pc is needed. A handler ends with NEXT
 * after moving I. Anything that fails fills err and jumps to fault with I
 * still at the failing instruction.
 *
 * The count is not kept either: left, the instructions still to run before
 * limit, is (limit - count), so that the per-instruction work is one
 * decrement and test of a register. COUNT gives the count back. */

/* On a page of its own start: how fast the threaded loop runs depends on
 * where its handlers fall (the bench's interpreter runs moved by up to 30%
 * when everything linked before it grew by 1 KB); aligned, that is fixed
 * whatever the rest of the library becomes. */
__attribute__((aligned(4096))) int VM_LOOP_NAME(struct bs_vm *vm, size_t start, unsigned base,
						struct bs_error *err)
{
	/* vm->reg, not a copy of its address: one register more for the loop */
#define reg (vm->reg)
#if VM_USE_GOTO
	static const void *const labels[VM_OP_TRAP + 1] = {
#define BS_OP(NAME, ...) [VM_OP_##NAME] = &&L_##NAME,
#include "vm/isa.def"
#undef BS_OP
		[VM_OP_TRAP] = &&L_TRAP,
	};
	/* every program the loop enters has its handlers filled in first */
#define ENTER(PROG) vm_thread(&vm->progs[PROG], labels)
#else
#define ENTER(PROG) ((void)0)
#endif
	ENTER(vm->cur);
	/* a tail call moves to another program */
	const struct vm_pinsn *code = vm->progs[vm->cur].code;
	const struct vm_pinsn *I = &code[start];
	const uint64_t budget = vm->budget ? vm->budget : UINT64_MAX;
	/* where the loop looks up from its work: the budget, or a debugger's stop */
	uint64_t limit = vm_limit(vm, budget, vm->count);
	uint64_t left = limit - vm->count;
#define COUNT (limit - left)
#define PC ((size_t)(I - code))
/* a new limit (the count stays) */
#define SET_LIMIT(L)                                                                  \
	do {                                                                          \
		uint64_t c_ = COUNT;                                                  \
		limit = (L);                                                          \
		left = limit - c_;                                                    \
	} while (0)
	uint32_t may_goto = vm->may_goto_resume;
	vm->may_goto_resume = VM_MAY_GOTO_LOOPS;
	/* where the running program's memos are: memo_off bytes after its code */
	size_t memo_off = vm->progs[vm->cur].memo_off;
	uint8_t *p;

#define DST reg[I->dst]
#define SRC reg[I->src]
#define IMM (I->imm)
#define OFF ((uint64_t)(int64_t)I->off)
#define JOFF ((ptrdiff_t)I->off)
#define MEMO ((struct vm_memo *)(uintptr_t)((const char *)I + memo_off))
#define MEMO_AGAIN                                                                    \
	({                                                                            \
		size_t o_ = memo_off;                                                 \
		__asm__("" : "+r"(o_));                                               \
		(struct vm_memo *)(uintptr_t)((const char *)I + o_);                  \
	})
/* the access's memo, then the stack (which fills an empty memo for frame
 * 0's part, vm_memo_stack), then vm_mem_memo (which fills the memo): p is
 * the host address of BASE + OFF; FAST runs after the first two ways, SLOW
 * after the last, the only one that can find a store hook (memos and
 * the stack never cover a hooked region). The memo is kept for the base
 * register's value, which spares the fast way the offset's addition. */
#define MEM_PATHS(BASE, SIZE, NEED, FAST, SLOW)                                       \
	do {                                                                          \
		const struct vm_memo *m_ = MEMO;                                      \
		uint64_t t_ = (BASE) - m_->lo;                                        \
		if (__builtin_expect(t_ < m_->lim, 1)) {                              \
			p = m_->host + t_;                                            \
			FAST;                                                         \
		} else {                                                              \
			/* the base again, from values the fast way does not  \
			 * keep: kept, they would cost it a copy and a lea */ \
			struct vm_memo *n_ = MEMO_AGAIN;                              \
			uint64_t b_ = t_ + n_->lo;                                    \
			const struct vm_region *s_ = &vm->regions[0];                 \
			uint64_t a_ = b_ + OFF - s_->guest;                           \
			if (b_ + OFF >= vm->stack_lo && a_ <= s_->size - (SIZE) &&    \
			    !vm->nwatches) {                                          \
				if ((NEED) != BS_REGION_READ)                         \
					vm->stack_touched = 1;                        \
				if (__builtin_expect(!n_->lim, 0) &&                  \
				    a_ >= s_->size - BS_STACK_SIZE)                   \
					p = vm_memo_stack(vm, n_, OFF, (SIZE), a_);   \
				else                                                  \
					p = s_->host + a_;                            \
				FAST;                                                 \
			} else {                                                      \
				p = vm_mem_memo(vm, b_, OFF, (SIZE), (NEED), n_, err); \
				if (!p)                                               \
					goto fault;                                   \
				if (__builtin_expect(vm->watch_hit != 0, 0))          \
					SET_LIMIT(COUNT);                             \
				SLOW;                                                 \
			}                                                             \
		}                                                                     \
	} while (0)
#define MEM(BASE, SIZE, NEED) MEM_PATHS(BASE, SIZE, NEED, , )
/* a program store of V: through the region's hook only where there can be one */
#define STORE(BASE, SIZE, V)                                                          \
	MEM_PATHS(BASE, SIZE, BS_REGION_WRITE, vm_store(p, SIZE, V), vm_store_prog(vm, p, SIZE, V))

#if VM_USE_GOTO
#define CASE(NAME) L_##NAME:
#if defined(__x86_64__)
/* a decrement whose borrow is the test: one fused op where GCC makes three
 * (test, lea, je) of the C below. left is not kept on the way out. */
#define LEFT_DOWN() __asm__ goto("sub $1, %0\n\tjc %l[out_limit]" : "+r"(left) : : "cc" : out_limit)
#else
#define LEFT_DOWN()                                                                   \
	do {                                                                          \
		if (__builtin_expect(left == 0, 0))                                   \
			goto out_limit;                                               \
		left--;                                                               \
	} while (0)
#endif
#define NEXT                                                                          \
	do {                                                                          \
		LEFT_DOWN();                                                          \
		goto *I->h;                                                           \
	} while (0)
	NEXT;
#else
#define CASE(NAME) case VM_OP_##NAME:
#define NEXT continue
	for (;;) {
		/* the stop is handled here, not by a jump out and back in: a
		 * second way into the switch costs the loop its speed */
		if (__builtin_expect(left == 0, 0)) {
			uint64_t count = limit;
			int at = vm_at_limit(vm, PC, count, budget, &limit, err);
			if (at > 0)
				goto out_budget;
			if (at < 0)
				goto fault_stop;
			left = limit - count;
		}
		left--;
		switch ((unsigned)I->op) {
#endif

/* ALU: a and b are the operands at the width of the instruction; ALU32
 * results are truncated to 32 bits and zero-extended into the register. */
#define ALU(NAME, E32, E64)                                                           \
	CASE(NAME##32_K) { uint32_t a = (uint32_t)DST, b = (uint32_t)IMM; (void)a; (void)b; \
		DST = (uint32_t)(E32); I++; NEXT; }                                  \
	CASE(NAME##32_X) { uint32_t a = (uint32_t)DST, b = (uint32_t)SRC; (void)a; (void)b; \
		DST = (uint32_t)(E32); I++; NEXT; }                                  \
	CASE(NAME##64_K) { uint64_t a = DST, b = IMM; (void)a; (void)b;               \
		DST = (E64); I++; NEXT; }                                            \
	CASE(NAME##64_X) { uint64_t a = DST, b = SRC; (void)a; (void)b;               \
		DST = (E64); I++; NEXT; }

	ALU(ADD, a + b, a + b)
	ALU(SUB, a - b, a - b)
	ALU(MUL, a * b, a * b)
	/* division by zero gives 0; modulo by zero leaves dst (32-bit: truncated) */
	ALU(DIV, b ? a / b : 0, b ? a / b : 0)
	ALU(MOD, b ? a % b : a, b ? a % b : a)
	ALU(OR, a | b, a | b)
	ALU(AND, a & b, a & b)
	ALU(XOR, a ^ b, a ^ b)
	ALU(MOV, b, b)
	/* shift counts are masked to the operand width, as the kernel does */
	ALU(LSH, a << (b & 31), a << (b & 63))
	ALU(RSH, a >> (b & 31), a >> (b & 63))
	ALU(ARSH, (uint32_t)((int32_t)a >> (b & 31)), (uint64_t)((int64_t)a >> (b & 63)))
	ALU(SDIV, (uint32_t)sdiv32((int32_t)a, (int32_t)b), (uint64_t)sdiv64((int64_t)a, (int64_t)b))
	ALU(SMOD, (uint32_t)smod32((int32_t)a, (int32_t)b), (uint64_t)smod64((int64_t)a, (int64_t)b))
#undef ALU

	/* refused by the prepare step: there are no arenas to cast between */
	CASE(ADDR_SPACE_CAST) {
		vm_err(err, BS_ERR_UNSUPPORTED, (long)PC, "addr_space_cast without an arena");
		goto fault;
	}

	CASE(NEG32) { DST = (uint32_t)(0u - (uint32_t)DST); I++; NEXT; }
	CASE(NEG64) { DST = 0 - DST; I++; NEXT; }

	CASE(MOVSX32_8) { DST = (uint32_t)sext(SRC, 8); I++; NEXT; }
	CASE(MOVSX32_16) { DST = (uint32_t)sext(SRC, 16); I++; NEXT; }
	CASE(MOVSX64_8) { DST = sext(SRC, 8); I++; NEXT; }
	CASE(MOVSX64_16) { DST = sext(SRC, 16); I++; NEXT; }
	CASE(MOVSX64_32) { DST = sext(SRC, 32); I++; NEXT; }

	/* le on a little-endian host only truncates; be and bswap swap */
	CASE(LE16) { DST = (uint16_t)DST; I++; NEXT; }
	CASE(LE32) { DST = (uint32_t)DST; I++; NEXT; }
	CASE(LE64) { I++; NEXT; }
	CASE(BE16) { DST = __builtin_bswap16((uint16_t)DST); I++; NEXT; }
	CASE(BE32) { DST = __builtin_bswap32((uint32_t)DST); I++; NEXT; }
	CASE(BE64) { DST = __builtin_bswap64(DST); I++; NEXT; }
	CASE(BSWAP16) { DST = __builtin_bswap16((uint16_t)DST); I++; NEXT; }
	CASE(BSWAP32) { DST = __builtin_bswap32((uint32_t)DST); I++; NEXT; }
	CASE(BSWAP64) { DST = __builtin_bswap64(DST); I++; NEXT; }

#define LDST(SZ, BYTES)                                                               \
	CASE(LDX_##SZ) { MEM(SRC, BYTES, BS_REGION_READ); DST = vm_load(p, BYTES); I++; NEXT; } \
	CASE(ST_##SZ) { STORE(DST, BYTES, IMM); I++; NEXT; }                   \
	CASE(STX_##SZ) { STORE(DST, BYTES, SRC); I++; NEXT; }
	LDST(B, 1)
	LDST(H, 2)
	LDST(W, 4)
	LDST(DW, 8)
#undef LDST

#define LDXS(SZ, BYTES)                                                               \
	CASE(LDXS_##SZ) { MEM(SRC, BYTES, BS_REGION_READ); DST = sext(vm_load(p, BYTES), 8 * BYTES); \
		I++; NEXT; }
	LDXS(B, 1)
	LDXS(H, 2)
	LDXS(W, 4)
#undef LDXS

/* Atomics: one thread runs a program, so plain read-modify-write is atomic.
 * FETCH forms put the old value (zero-extended from 32 bits) into src;
 * cmpxchg compares with r0 at the access width and always loads r0. */
#define ATOMIC(SZ, BYTES, T)                                                          \
	CASE(ATOMIC_ADD_##SZ) { MEM(DST, BYTES, BS_REGION_RW);                          \
		vm_store(p, BYTES, (T)vm_load(p, BYTES) + (T)SRC); I++; NEXT; }      \
	CASE(ATOMIC_OR_##SZ) { MEM(DST, BYTES, BS_REGION_RW);                           \
		vm_store(p, BYTES, (T)vm_load(p, BYTES) | (T)SRC); I++; NEXT; }      \
	CASE(ATOMIC_AND_##SZ) { MEM(DST, BYTES, BS_REGION_RW);                          \
		vm_store(p, BYTES, (T)vm_load(p, BYTES) & (T)SRC); I++; NEXT; }      \
	CASE(ATOMIC_XOR_##SZ) { MEM(DST, BYTES, BS_REGION_RW);                          \
		vm_store(p, BYTES, (T)vm_load(p, BYTES) ^ (T)SRC); I++; NEXT; }      \
	CASE(ATOMIC_FADD_##SZ) { MEM(DST, BYTES, BS_REGION_RW); T old = (T)vm_load(p, BYTES); \
		vm_store(p, BYTES, old + (T)SRC); SRC = old; I++; NEXT; }            \
	CASE(ATOMIC_FOR_##SZ) { MEM(DST, BYTES, BS_REGION_RW); T old = (T)vm_load(p, BYTES); \
		vm_store(p, BYTES, old | (T)SRC); SRC = old; I++; NEXT; }            \
	CASE(ATOMIC_FAND_##SZ) { MEM(DST, BYTES, BS_REGION_RW); T old = (T)vm_load(p, BYTES); \
		vm_store(p, BYTES, old & (T)SRC); SRC = old; I++; NEXT; }            \
	CASE(ATOMIC_FXOR_##SZ) { MEM(DST, BYTES, BS_REGION_RW); T old = (T)vm_load(p, BYTES); \
		vm_store(p, BYTES, old ^ (T)SRC); SRC = old; I++; NEXT; }            \
	CASE(ATOMIC_XCHG_##SZ) { MEM(DST, BYTES, BS_REGION_RW); T old = (T)vm_load(p, BYTES); \
		vm_store(p, BYTES, SRC); SRC = old; I++; NEXT; }                     \
	CASE(ATOMIC_CMPXCHG_##SZ) { MEM(DST, BYTES, BS_REGION_RW); T old = (T)vm_load(p, BYTES); \
		if (old == (T)reg[0]) { vm_store(p, BYTES, SRC); } reg[0] = old; I++; NEXT; }
	ATOMIC(W, 4, uint32_t)
	ATOMIC(DW, 8, uint64_t)
#undef ATOMIC

#define ACQREL(SZ, BYTES)                                                             \
	CASE(LOAD_ACQ_##SZ) { MEM(SRC, BYTES, BS_REGION_READ); DST = vm_load(p, BYTES); I++; NEXT; } \
	CASE(STORE_REL_##SZ) { STORE(DST, BYTES, SRC); I++; NEXT; }
	ACQREL(B, 1)
	ACQREL(H, 2)
	ACQREL(W, 4)
	ACQREL(DW, 8)
#undef ACQREL

	/* the prepare step resolved every pseudo source into imm */
	CASE(LDDW) CASE(LDDW_MAP_FD) CASE(LDDW_MAP_VALUE) CASE(LDDW_BTF_ID) CASE(LDDW_FUNC)
	CASE(LDDW_MAP_IDX) CASE(LDDW_MAP_IDX_VALUE) { DST = IMM; I += 2; NEXT; }

#define LDPKT(NAME, BYTES, OFFSET)                                                    \
	CASE(NAME) { uint64_t v;                                                      \
		if (vm_ld_pkt(vm, (int32_t)(OFFSET), BYTES, &v)) { reg[0] = 0; goto do_exit; } \
		reg[0] = v; I++; NEXT; }
	LDPKT(LD_ABS_B, 1, IMM)
	LDPKT(LD_ABS_H, 2, IMM)
	LDPKT(LD_ABS_W, 4, IMM)
	LDPKT(LD_IND_B, 1, SRC + IMM)
	LDPKT(LD_IND_H, 2, SRC + IMM)
	LDPKT(LD_IND_W, 4, SRC + IMM)
#undef LDPKT

/* Conditional jumps: a/b unsigned and sa/sb signed at the compare width. */
#define JMP(NAME, COND)                                                               \
	CASE(NAME##_K) { uint64_t a = DST, b = IMM; int64_t sa = (int64_t)a, sb = (int64_t)b; \
		(void)sa; (void)sb; I += (COND) ? 1 + JOFF : 1; NEXT; }               \
	CASE(NAME##_X) { uint64_t a = DST, b = SRC; int64_t sa = (int64_t)a, sb = (int64_t)b; \
		(void)sa; (void)sb; I += (COND) ? 1 + JOFF : 1; NEXT; }               \
	CASE(NAME##32_K) { uint32_t a = (uint32_t)DST, b = (uint32_t)IMM;             \
		int32_t sa = (int32_t)a, sb = (int32_t)b; (void)sa; (void)sb;         \
		I += (COND) ? 1 + JOFF : 1; NEXT; }                                   \
	CASE(NAME##32_X) { uint32_t a = (uint32_t)DST, b = (uint32_t)SRC;             \
		int32_t sa = (int32_t)a, sb = (int32_t)b; (void)sa; (void)sb;         \
		I += (COND) ? 1 + JOFF : 1; NEXT; }
	JMP(JEQ, a == b)
	JMP(JNE, a != b)
	JMP(JGT, a > b)
	JMP(JGE, a >= b)
	JMP(JLT, a < b)
	JMP(JLE, a <= b)
	JMP(JSET, (a & b) != 0)
	JMP(JSGT, sa > sb)
	JMP(JSGE, sa >= sb)
	JMP(JSLT, sa < sb)
	JMP(JSLE, sa <= sb)
#undef JMP

	CASE(JA) CASE(GOTOL) { I += 1 + JOFF; NEXT; }
	/* the kernel's may_goto: taken once the frame's loop allowance is spent */
	CASE(MAY_GOTO) {
		if (may_goto == 0) {
			I += 1 + JOFF;
		} else {
			may_goto--;
			I++;
		}
		NEXT;
	}

	/* a breakpoint: the debugger looks before the instruction runs; then
	 * the instruction the trap stands in for runs once in its place, and
	 * the check after it puts the trap back (vm_at_limit) */
	CASE(TRAP) {
		left++;  /* the trap is not an instruction of the program */
		uint64_t count = COUNT;
		vm->count = count;
		vm->pc = PC;
		if (vm->stop_hook(vm, BS_STOP_BREAK, err, vm->stop_user))
			goto fault_stop;
		/* the hook may have removed this very breakpoint */
		if (I->op == VM_OP_TRAP) {
			vm_trap_lift(vm, vm->cur, PC);
			limit = count + 1;
		} else {
			limit = vm_limit(vm, budget, count + 1);
		}
		left = limit - count;
		NEXT;
	}

	CASE(CALL) {
		if (__builtin_expect(IMM == VM_HELPER_TAIL_CALL, 0))
			goto tail_call;
		const struct vm_helper *h = &vm->helpers[IMM];
		uint64_t r0 = 0;
		/* an array lookup its helper describes: done here for a key on the
		 * stack, as the helper would (not while watches must see it read) */
		if (h->array && !vm->nwatches) {
			struct vm_memo *m_ = MEMO;
			if (!m_->filled || m_->lo != reg[1])
				call_array_memo(h, reg[1], m_);
			const struct vm_region *s_ = &vm->regions[0];
			uint64_t a_ = reg[2];
			if (m_->lim && a_ >= vm->stack_lo && a_ - s_->guest <= s_->size - 4) {
				uint32_t key = (uint32_t)vm_load(s_->host + (a_ - s_->guest), 4);
				reg[0] = key < m_->lim ? (uint64_t)(uintptr_t)m_->host + (uint64_t)key * m_->stride
						       : 0;
				I++;
				NEXT;
			}
		}
		if (!h->fn) {
			vm_err(err, BS_ERR_HELPER, (long)PC, "helper #%d was unregistered after load",
			       (int)IMM);
			goto fault;
		}
		/* a helper may run program code (bs_vm_call): it counts on */
		vm->count = COUNT;
		vm->pc = PC;
		if (h->fn(vm, &reg[1], &r0, err, h->user)) {
			/* a fault inside a callback keeps its own pc and program */
			if (err && err->pc != BS_NO_PC)
				goto fault_nested;
			goto fault;
		}
		uint64_t count = vm->count;
		/* a callback may have moved the debugger's stop, or hit a watch */
		limit = vm->watch_hit ? count : vm_limit(vm, budget, count);
		left = limit - count;
		reg[0] = r0;
		I++;
		NEXT;
	}
	/* bpf_tail_call(ctx, map, index): the kernel's JMP_TAIL_CALL. On success
	 * the target starts over in the same frame with every register as it
	 * is; on failure execution goes on with r0 untouched, as in the
	 * kernel's interpreter. */
	tail_call: {
		uint32_t target = 0;
		int found = 0;
		if (vm->tail_calls < VM_MAX_TAIL_CALLS && vm->tail_call) {
			vm->count = COUNT;
			vm->pc = PC;
			found = vm->tail_call(vm, reg[2], reg[3], &target, err, vm->tail_call_user);
			if (found < 0)
				goto fault;
		}
		if (found == 1 && target < vm->nprogs) {
			vm->tail_calls++;
			vm->cur = target;
			ENTER(target);
			code = vm->progs[target].code;
			memo_off = vm->progs[target].memo_off;
			I = code;
			NEXT;
		}
		I++;
		NEXT;
	}
	CASE(CALL_KFUNC) {
		vm_err(err, BS_ERR_UNSUPPORTED, (long)PC, "kfunc call has no fake implementation");
		goto fault;
	}
	/* bpf-to-bpf call: a new 512-byte frame below the caller's; r6..r9 and r10
	 * come back on exit, r1..r5 pass through as arguments */
	CASE(CALL_LOCAL) {
		if (vm->depth + 1 >= BS_MAX_FRAMES) {
			vm_err(err, BS_ERR_CALL_DEPTH, (long)PC,
			       "the call stack of %u frames is too deep (the kernel allows %d)",
			       vm->depth + 2, BS_MAX_FRAMES);
			goto fault;
		}
		struct vm_frame *f = &vm->frames[vm->depth++];
		f->ret_pc = PC + 1;
		f->ret_prog = vm->cur;
		memcpy(f->saved, &reg[6], sizeof(f->saved));
		f->fp = reg[10];
		f->may_goto = may_goto;
		reg[10] -= BS_STACK_SIZE;
		vm_stack_lo_set(vm, reg[10] - BS_STACK_SIZE);
		may_goto = VM_MAY_GOTO_LOOPS;
		I += 1 + JOFF;
		NEXT;
	}
	/* the exit the kernel's gen_ld_abs emits also lands here: it leaves only
	 * the current subprogram */
	CASE(EXIT) do_exit: {
		if (vm->depth == base)
			goto out_exit;
		const struct vm_frame *f = &vm->frames[--vm->depth];
		if (__builtin_expect(f->ret_prog != vm->cur, 0)) {
			vm->cur = f->ret_prog;
			ENTER(vm->cur);
			code = vm->progs[vm->cur].code;
			memo_off = vm->progs[vm->cur].memo_off;
		}
		memcpy(&reg[6], f->saved, sizeof(f->saved));
		reg[10] = f->fp;
		vm_stack_lo_set(vm, reg[10] - BS_STACK_SIZE);
		may_goto = f->may_goto;
		I = &code[f->ret_pc];
		NEXT;
	}

#if !VM_USE_GOTO
		default:
			vm_err(err, BS_ERR_INVALID, (long)PC, "unprepared instruction");
			goto fault;
		}
	}
#endif

out_exit:
	vm->count = COUNT;
	return 0;
	/* the budget ran out, or a debugger asked to stop here (a step count
	 * reached, a watched range touched, a lifted trap to put back) */
#if VM_USE_GOTO
out_limit: {
		left = 0;  /* it was, before LEFT_DOWN */
		uint64_t count = limit;
		int at = vm_at_limit(vm, PC, count, budget, &limit, err);
		if (at > 0)
			goto out_budget;
		if (at < 0)
			goto fault_stop;
		left = limit - count - 1;
		goto *I->h;
	}
#endif
out_budget:
	vm_err(err, BS_ERR_BUDGET, (long)PC,
	       "the instruction budget of %llu instructions ran out (a runaway loop?)",
	       (unsigned long long)budget);
	vm_err_hint(err, "a larger budget (or 0, no limit) lets a long loop finish");
	vm->count = COUNT;
	return -1;
fault:
	if (err)
		err->pc = (long)PC;
	vm->count = COUNT;
	return -1;
fault_nested:
	return -1;
fault_stop:
	/* the debugger ended the run: err is its reason, pc the stop */
	if (err)
		err->pc = (long)PC;
	return -1;

#undef reg
#undef DST
#undef SRC
#undef IMM
#undef OFF
#undef JOFF
#undef MEMO
#undef MEMO_AGAIN
#undef COUNT
#undef PC
#undef SET_LIMIT
#undef ENTER
#undef MEM_PATHS
#undef MEM
#undef STORE
#undef CASE
#undef NEXT
#undef LEFT_DOWN
}
