/* SPDX-License-Identifier: MIT */
/* The VM's state, shared by its setup (vm.c), prepare step and interpreter. */
#ifndef BS_VM_VM_PRIVATE_H
#define BS_VM_VM_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfstep/vm.h"
#include "vm/isa.h"

#define VM_MAX_REGIONS 64
#define VM_MAX_HELPER_ID 1024
/* kernel BPF_COMPLEXITY_LIMIT_INSNS: the longest program root may load */
#define VM_MAX_INSNS 1000000
/* kernel BPF_MAX_LOOPS: may_goto falls through this many times per frame */
#define VM_MAY_GOTO_LOOPS (8u * 1024 * 1024)
/* kernel MAX_TAIL_CALL_CNT */
#define VM_MAX_TAIL_CALLS 33
/* programs one VM holds for tail calls */
#define VM_MAX_PROGS 4096
#define VM_HELPER_TAIL_CALL 12
/* Not an instruction: what a breakpoint puts in place of one in the
 * prepared code (vm/debug.c keeps the original). */
#define VM_OP_TRAP (VM_OP__COUNT + 1)
#define VM_MAX_WATCHES 16

/* Guest address layout: regions are placed one after another from
 * VM_GUEST_BASE, each start aligned to VM_GUEST_ALIGN, with at least one
 * unmapped VM_GUEST_ALIGN gap between neighbours so an overrun never lands in
 * the next region. Address 0 is never mapped: NULL faults. */
#define VM_GUEST_BASE 0x00100000ULL
#define VM_GUEST_ALIGN 0x10000ULL

struct vm_region {
	char name[32];
	uint8_t *host;
	uint64_t guest;
	uint64_t size;
	/* host - guest (mod 2^64): fixed for the region's life, an update
	 * moving both alike; what the JIT adds to a guest address */
	uint64_t delta;
	unsigned flags;
	uint64_t gen;           /* regions_gen of its last change (the JIT's memos) */
	bs_store_hook_fn hook;  /* NULL for plain memory */
	void *hook_user;
	bs_access_rule_fn rule; /* a context's access rules, or NULL */
	void *rule_user;
};

/* A prepared instruction: the table row, registers, and the operand the
 * handler needs already widened (imm sign-extended, lddw's 64-bit value).
 * h spares the computed-goto loop a table load per instruction; 32 bytes,
 * so that the pc of one is a shift away, and the same size as a memo, so
 * that an instruction's memo is a fixed distance from it (vm_prog). */
struct vm_pinsn {
	const void *h;   /* the handler of op (vm_set_op), once the program is threaded */
	uint16_t op;
	uint8_t dst;
	uint8_t src;
	int32_t off;   /* jump/call offset in slots (gotol: its imm), or memory offset */
	uint64_t imm;
	uint64_t unused;
};

struct vm_helper {
	bs_helper_fn fn;
	void *user;
	bs_helper_array_fn array;  /* bs_vm_set_helper_array, or NULL */
	char name[48];
};

/* A load's or store's memory of the region it reached last (the
 * interpreter keeps one per instruction): the access from a base register
 * holding b with (b - lo) < lim is at host + (b - lo); lo is the region's
 * guest address less the instruction's offset, so that the interpreter adds
 * none. A plain region is remembered whole, one with an access rule only for
 * the one address its rule allowed; of the stack, whose low end moves with
 * calls, only frame 0's 512 bytes, which every frame may reach
 * (vm_memo_stack); never a store into a hooked region, or anything while
 * watches are set. Empty: lim 0. A filled memo is listed in vm->memos_set,
 * and every change of a region, hook, rule or watch empties them all
 * (vm_regions_moved): eagerly, so that an access compares no generation. */
struct vm_memo {
	uint64_t lo, lim;
	uint8_t *host;
	/* A helper call's memo instead: what its helper's array description
	 * (bs_vm_set_helper_array) said for r1 == lo, once filled: an array
	 * of lim values `stride` bytes apart from guest address host, or none
	 * (lim 0). Region changes leave it be. */
	union {
		uint32_t stride;
		uint32_t region;  /* a memory memo's: the region it remembers */
	};
	uint32_t filled;
};

/* One loaded program: its instructions, their prepared form, and a memo
 * per instruction. code and memo are one allocation, memo[pc] memo_off
 * bytes after code[pc], so that the interpreter finds a memo from its
 * instruction pointer without a load. */
struct vm_prog {
	struct bs_insn *prog;
	struct vm_pinsn *code;
	struct vm_memo *memo;
	size_t memo_off;
	size_t n;
	/* the computed-goto loop's handler table the h of code came from, or
	 * NULL while they are unset */
	const void *const *labels;
};

/* Every change of a prepared op (a breakpoint's trap) goes through here, so
 * that a threaded program's handler follows it. */
static inline void vm_set_op(struct vm_prog *p, size_t pc, uint16_t op)
{
	p->code[pc].op = op;
	if (p->labels)
		p->code[pc].h = p->labels[op];
}

struct vm_frame {
	size_t ret_pc;
	uint32_t ret_prog;   /* the caller's program (a tail call may replace the callee's) */
	uint64_t saved[4];   /* caller's r6..r9 */
	uint64_t fp;         /* caller's r10 */
	uint32_t may_goto;   /* caller's may_goto budget */
};

struct bs_vm {
	/* [0] from bs_vm_load, the others from bs_vm_add_prog */
	struct vm_prog *progs;
	uint32_t nprogs;
	bs_tail_call_fn tail_call;
	void *tail_call_user;

	struct vm_helper *helpers;  /* VM_MAX_HELPER_ID entries */
	bs_lddw_resolver_fn resolver;
	void *resolver_user;

	struct vm_region regions[VM_MAX_REGIONS];  /* [0] is the stack */
	unsigned nregions;
	uint64_t next_guest;

	/* the stack region's lowest valid address: the current frame's fp - 512 */
	uint64_t stack_lo;
	uint8_t stack[BS_MAX_FRAMES * BS_STACK_SIZE] __attribute__((aligned(16)));

	const uint8_t *pkt;   /* LD_ABS view: see bs_vm_set_packet */
	uint64_t pkt_len, pkt_data, pkt_mac, pkt_net;

	uint64_t budget;
	int prog_type;        /* enum bpf_prog_type, 0 if unknown */
	bool translating;     /* vm_mem works for bs_vm_translate (a helper) */
	enum bs_dispatch dispatch;

	/* set by vm_mem when a program store lands in a hooked region; the
	 * store that follows consumes it */
	const struct vm_region *hook_region;

	/* state of the current run */
	uint64_t reg[BS_MAX_REG];
	struct vm_frame frames[BS_MAX_FRAMES];
	unsigned depth;
	uint32_t cur;          /* the program running (at a fault: the faulting one) */
	uint64_t count;        /* instructions executed, across helper callbacks */
	uint32_t tail_calls;   /* successful tail calls so far */
	size_t pc;             /* the instruction of the helper call running now */

	/* the engine bs_vm_run uses, and the JIT's native code (jit/) */
	enum bs_engine engine;
	struct jit_state *jit;
	bool jit_stale;        /* the code must be made again before the next run */
	/* moves whenever a region is added or moved (vm_regions_moved): 64
	 * bits, so that it never comes round to a value the JIT remembers */
	uint64_t regions_gen;
	/* the interpreter's filled memory memos (struct vm_memo) */
	struct vm_memo **memos_set;
	size_t nmemos_set, memos_set_cap;

	/* debugging (vm/debug.c) */
	bs_stop_fn stop_hook;
	void *stop_user;
	uint64_t stop_at;      /* stop before executing instruction number stop_at + 1 */
	struct vm_break {
		uint32_t prog;
		size_t pc;
		uint16_t op;   /* the instruction's own op */
	} *breaks;
	size_t nbreaks;
	/* a trap lifted for one instruction, put back at the next check */
	bool rearm;
	uint32_t rearm_prog;
	size_t rearm_pc;
	struct vm_watch {
		uint64_t addr, len;
		unsigned kinds;  /* BS_REGION_READ / BS_REGION_WRITE */
	} watches[VM_MAX_WATCHES];
	unsigned nwatches;
	int watch_hit;          /* 1 + the watch the last access touched, or 0 */
	unsigned watch_kind;    /* how it was touched */
	uint64_t watch_addr;

	/* Whether a run must zero frame 0 before it starts. A program that
	 * never names r10 cannot reach the stack from it, so its stack stays
	 * as the load left it (zero) unless a write arrives some other way: a
	 * guest address made up or passed in (the interpreter's and the JITs'
	 * ways into the stack from any other register set stack_touched), a
	 * helper (bs_vm_translate), a debugger (bs_vm_region_of). Sticky until
	 * the next load. */
	bool stack_names_r10;
	uint32_t stack_touched;
	/* a debugger may have written below frame 0 (bs_vm_region_of): the
	 * next run clears the whole stack */
	bool stack_deep_touched;
	/* the current frame's may_goto allowance for the interpreter's next
	 * entry, which takes it and puts back VM_MAY_GOTO_LOOPS: a JIT that
	 * hands its run over mid-function leaves its own here */
	uint32_t may_goto_resume;
};

/* The count the interpreter runs up to before looking: the budget, or the
 * debugger's next stop if that comes first and not before `from`. */
static inline uint64_t vm_limit(const struct bs_vm *vm, uint64_t budget, uint64_t from)
{
	return vm->stop_hook && vm->stop_at >= from && vm->stop_at < budget ? vm->stop_at : budget;
}

/* The interpreter reached its limit at pc with count instructions done:
 * puts back a lifted trap, calls the stop hook if a stop is due, and sets
 * the next limit. 1: the budget ran out; -1: the hook ended the run (err);
 * 0: go on. */
BS_HIDDEN int vm_at_limit(struct bs_vm *vm, size_t pc, uint64_t count, uint64_t budget,
			  uint64_t *limit, struct bs_error *err) __attribute__((cold, noinline));
/* Takes the trap at (prog, pc) out for one instruction. */
BS_HIDDEN void vm_trap_lift(struct bs_vm *vm, uint32_t prog, size_t pc);

/* The op a trap at (prog, pc) replaced. */
BS_HIDDEN uint16_t vm_trap_op(const struct bs_vm *vm, uint32_t prog, size_t pc);
/* Notes an access of [addr, addr+size) against the watches (vm_mem). */
BS_HIDDEN void vm_watch_check(struct bs_vm *vm, uint64_t addr, uint64_t size, unsigned need);

/* Guest address of the top of frame 0's stack. */
static inline uint64_t vm_stack_top(const struct bs_vm *vm)
{
	return vm->regions[0].guest + vm->regions[0].size;
}

/* The region other than the stack that holds guest byte addr, or NULL. */
BS_HIDDEN const struct vm_region *vm_region_at(const struct bs_vm *vm, uint64_t addr);
/* The checked translation every load and store goes through. */
BS_HIDDEN void *vm_mem(struct bs_vm *vm, uint64_t addr, uint64_t size, unsigned need,
		       struct bs_error *err);
/* Forgets every memo of every program (a helper was registered again). */
BS_HIDDEN void vm_memos_forget(struct bs_vm *vm);
/* Empties every filled memory memo. */
BS_HIDDEN void vm_memos_drop(struct bs_vm *vm);
/* A region was added, or a watch set: moves regions_gen (returned) and
 * empties the memos that may have passed the change by. */
BS_HIDDEN uint64_t vm_regions_moved(struct bs_vm *vm);
/* Region ri moved or got a hook or a rule: moves regions_gen (returned) and
 * empties the memos of that region only (a replay moves the packet before
 * every packet; what the context's loads remember stays). */
BS_HIDDEN uint64_t vm_region_changed(struct bs_vm *vm, uint32_t ri);
/* Fills m, empty, for an access of frame 0's stack at base + off, at
 * stack offset at (the interpreter's stack way found it); returns its host
 * address. */
BS_HIDDEN uint8_t *vm_memo_stack(struct bs_vm *vm, struct vm_memo *m, uint64_t off, uint64_t size,
				 uint64_t at) __attribute__((cold, noinline));

/* Every change of the stack's low end goes through here. It stays at or
 * below frame 0's unless a debugger moved r10 up (bs_vm_regs): only then
 * may a stack memo (vm_memo_stack) reach below it. */
static inline void vm_stack_lo_set(struct bs_vm *vm, uint64_t lo)
{
	vm->stack_lo = lo;
	if (__builtin_expect(lo > vm_stack_top(vm) - BS_STACK_SIZE, 0))
		vm_memos_drop(vm);
}

/* vm_mem for a program's access of base + off, which also fills the
 * access's memo m (for base). */
BS_HIDDEN void *vm_mem_memo(struct bs_vm *vm, uint64_t base, uint64_t off, uint64_t size,
			    unsigned need, struct vm_memo *m, struct bs_error *err);

/* The interpreter loops, one per dispatch mode, from vm/interp_loop.h: run
 * program vm->cur from pc until a function at depth `base` returns. */
BS_HIDDEN int vm_run_goto(struct bs_vm *vm, size_t pc, unsigned base, struct bs_error *err);
BS_HIDDEN int vm_run_switch(struct bs_vm *vm, size_t pc, unsigned base, struct bs_error *err);
BS_HIDDEN void vm_progs_free(struct bs_vm *vm);

BS_HIDDEN int vm_prepare(struct bs_vm *vm, const struct bs_insn *prog, size_t n,
			 struct bs_error *err);

#endif
