/* SPDX-License-Identifier: MIT */
/* The JIT's own state, shared by the x86-64 backend (code generation) and
 * the runtime (entry, slow paths in C). The generated code addresses the
 * structures below by offsetof, so their layout is the only contract. */
#ifndef BS_JIT_JIT_PRIVATE_H
#define BS_JIT_JIT_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "jit/emit.h"
#include "jit/jit.h"
#include "vm/vm_private.h"

/* A translation cache of the arm64 code (x86-64 uses struct jit_memo): the
 * last region a load (RD) or a store/atomic (WR) went to. An access of size 1 << k at guest address a
 * hits when (a - lo) < lim[k], unsigned, so one subtraction and one compare
 * check both ends (an address below lo wraps to a huge value); host is the
 * region's host address. Empty: every lim 0, which nothing is below. */
struct jit_cache {
	uint64_t lo;
	uint64_t host;
	uint64_t lim[4];   /* by log2 of the access size: size - (1 << k) + 1 */
};

enum { JIT_RD, JIT_WR };

/* One checked access's own memory of where it last went (x86-64), kept
 * beside the code in a read+write page: (a - lo) < lim hits, host + (a - lo)
 * is the host byte. A plain region is remembered whole (lim: the offsets an
 * access of this size may start at); a region with an access rule only for
 * the one address its rule allowed (lim 1). lim 0: empty. A hit skips the C
 * slow path. When its region changes (the region's gen), a memo of a plain
 * region is made again from the region's new place; one of a rule is
 * emptied. The code reads lo, lim and host only. */
struct jit_memo {
	uint64_t lo;
	uint64_t lim;
	uint64_t host;
	uint32_t region;         /* index in vm->regions */
	uint8_t size, need, exact;
};

/* The generated code's frame, on the native stack below the saved
 * registers while a program runs; [rsp] points at it throughout (bpf-to-bpf
 * calls do not push: their native return addresses sit in ret[]). C slow
 * paths receive its address as their first argument. */
struct jit_frame {
	struct jit_run *run;
	struct bs_vm *vm;
	uint64_t remaining;      /* the budget left, while r9 is spilled */
	uint64_t may_goto;       /* the current function's may_goto allowance */
	uint64_t jump;           /* where a tail call continues */
	uint64_t scratch[2];     /* rax and rdx around div */
	uint64_t loop_last;      /* in a loop's copy: jit_loop_pass.last */
	uint64_t align;          /* (the size an odd number of words) */
	struct jit_cache cache[2];
	uint64_t ret[BS_MAX_FRAMES];  /* native return address of each call depth */
};
_Static_assert(sizeof(struct jit_frame) % 16 == 8, "frame keeps rsp 16-byte aligned at calls");

/* How a run ended, beyond the generated code's own exit. */
enum jit_outcome {
	JIT_OUT_EXIT = 0,   /* the program exited: r0 in vm->reg[0], count from remaining */
	JIT_OUT_FAULT,      /* err filled, vm->count set */
	JIT_OUT_SYNCED,     /* the interpreter finished the run: vm is up to date; rc below */
};

/* One run, in C. */
struct jit_run {
	struct bs_vm *vm;
	struct bs_error *err;
	uint64_t limit;          /* count at which the budget runs out */
	uint64_t remaining;      /* set by the epilogue */
	enum jit_outcome outcome;
	int rc;                  /* JIT_OUT_SYNCED: the interpreter's result */
};

/* One program's native code. */
struct jit_prog {
	uint8_t *mem;            /* mmap'd, read+exec */
	size_t mem_size;
	size_t len;              /* bytes of code (the rest of mem is int3) */
	size_t body;             /* where instruction 0 starts */
	uint32_t *offs;          /* n + 1 native offsets of the instructions, from mem */
	uint32_t *rest;          /* count units after each instruction in its block */
	size_t n;
	const struct vm_pinsn *code;  /* the prepared code it was made from */
	struct jit_memo *memo;   /* one per checked access, inside mem (NULL: none) */
	size_t nmemo;
	struct jit_loop *loops;  /* the loops the code checks at their heads (loops.c) */
	size_t nloops;
};

struct jit_state {
	struct jit_prog **progs; /* by program index; NULL until compiled */
	uint32_t nprogs;
	int unchecked;           /* the mode the code was made for */
	uint64_t memo_gen;       /* the regions_gen the memos were filled under */
};

typedef int (*jit_entry_fn)(struct jit_frame *init, void *target);

/* What a backend's passes share with the driver (jit/layout.c), first in its
 * pass state: the buffer, the instructions' offsets this pass and the last,
 * the stubs' offsets, where the exit routine and the epilogue start. */
struct jit_pass {
	struct jit_buf b;
	size_t n;                       /* instructions */
	uint32_t *offs, *prev;          /* n + 1 offsets this pass and the last (NULL) */
	uint32_t *stub_off, *pstub_off; /* the stubs', this pass and the last */
	size_t nstubs;
	size_t exit_off, epi_off;       /* this pass */
	size_t pexit, pepi;             /* the last pass */
	size_t data_off;                /* where the read+write data after the code
					 * starts (the emitting pass; 0 while sizing) */
	size_t extra;                   /* offsets of the backend's own after the
					 * n + 1 instructions' (offs and prev) */
};

/* What the driver asks of a backend. */
struct jit_backend {
	void (*pass)(void *ctx);                        /* one pass over the program */
	size_t (*data_bytes)(const void *ctx);          /* read+write bytes after the code, or NULL */
	void (*fill)(uint8_t *mem, size_t len);         /* the slack: trap instructions */
	void (*flush)(uint8_t *mem, size_t len);        /* the instruction cache, or NULL */
};

/* Sizes with be->pass until no offset moves (32 passes at most), maps the
 * code with its slack filled and the data pages after it, emits once more
 * into the mapping, checks that nothing moved, and turns the code (not the
 * data) read+exec: p->mem, mem_size, len, offs and body. ps (inside ctx)
 * has b, n and the backend's stub_off; 0, or -1 with err. */
BS_HIDDEN int jit_layout(struct jit_pass *ps, void *ctx, const struct jit_backend *be,
			 uint32_t idx, struct jit_prog *p, struct bs_error *err);

/* Compiles program idx of vm (x86_64.c or arm64.c); NULL with err on failure. */
BS_HIDDEN struct jit_prog *jit_compile(struct bs_vm *vm, uint32_t idx, int unchecked,
				       struct bs_error *err);
BS_HIDDEN void jit_prog_free(struct jit_prog *p);
/* Block leaders and each leader's count units (blk), and rest[pc]: the units
 * after pc in its block (plan.c); -1 if a jump leaves the program, -2 out
 * of memory. leader[pc] has JIT_LEAD, JIT_TARGET when a jump leads there,
 * JIT_FALL when it follows a forward conditional jump, JIT_ENTRY when a
 * block must start there whatever merge says: the program's start, the
 * target of a jump that is not a forward conditional one (backward,
 * unconditional, a call) and what follows an instruction that ends a block
 * other than a forward conditional jump (a call not done inline, an exit,
 * a packet load, a backward or unconditional jump). Calls end their block,
 * except where inside[pc] (a call done inline, which cannot change the
 * count; inside may be NULL).
 * merge: a leader reached only by falling through a forward conditional
 * jump, or only by forward conditional jumps from its block and by falling
 * in (an if without an else: the target gets JIT_INNER), starts no block of
 * its own (blk 0): the block is charged whole where it starts, and the
 * backend gives back jit_skipped(...) where a jump in it is taken. */
enum { JIT_LEAD = 1, JIT_TARGET = 2, JIT_FALL = 4, JIT_ENTRY = 8, JIT_INNER = 16 };
BS_HIDDEN int jit_plan_blocks(const struct vm_pinsn *code, size_t n, const uint8_t *inside,
			      bool merge, uint8_t *leader, uint32_t *blk, uint32_t *rest);
/* The units charged ahead that a jump from pc to target taken does not run:
 * up to the target inside the block (JIT_INNER), else the rest of it. */
BS_HIDDEN uint32_t jit_skipped(const uint8_t *leader, const uint32_t *rest, size_t pc,
			       size_t target);
/* What the instructions of one block so far say of each register (plan.c):
 * r10 + v (a pointer into the current frame: r10 is read-only and always
 * its top), the constant v (lddw, mov), or what an inline array lookup
 * gave: 0 or a pointer v bytes into a value of `stride` bytes of region
 * `region` (VALUE_OR_NULL), and past a test against 0, such a pointer
 * (VALUE). Every block starts knowing nothing, except the one a failed
 * `if rX == 0` falls through to when no jump leads there. */
enum { JIT_FACT_NONE, JIT_FACT_FP, JIT_FACT_CONST, JIT_FACT_VALUE_OR_NULL, JIT_FACT_VALUE };
struct jit_facts {
	uint8_t kind[BS_MAX_REG];
	int64_t v[BS_MAX_REG];
	uint64_t stride[BS_MAX_REG];
	uint32_t region[BS_MAX_REG];
};
BS_HIDDEN void jit_facts_clear(struct jit_facts *f);
/* The facts after instruction I (not a call done inline). */
BS_HIDDEN void jit_facts_step(struct jit_facts *f, const struct vm_pinsn *I);
/* The facts after an inline array lookup: r0 is 0 or a value's start
 * (region 0: somewhere not known). */
BS_HIDDEN void jit_facts_lookup(struct jit_facts *f, uint64_t stride, uint32_t region);
/* The facts at leader pc, reached from pc - 1 only if no jump leads there
 * (leader flags of jit_plan_blocks): kept, and refined past `if rX == 0`;
 * else nothing is known. */
BS_HIDDEN void jit_facts_enter(struct jit_facts *f, const struct vm_pinsn *code, size_t pc,
			       uint8_t leader);
/* Whether reg + off is r10 + *k with [*k, *k + size) inside the current frame. */
BS_HIDDEN bool jit_facts_in_frame(const struct jit_facts *f, int reg, int64_t off, unsigned size,
				  int64_t *k);
/* Two instructions that one backend instruction does, with no jump into
 * the second (both backends): */
enum jit_pair {
	JIT_PAIR_NONE,
	/* a register moved into rD, then a constant or a register added to
	 * rD at the same width: x86-64 lea, arm64 three-register add */
	JIT_PAIR_MOVE_ADD,
	/* rD >>= k (1..31), then rD &= 2^(32 - k) - 1, both at 64 bits: the
	 * low half shifted, one 32-bit shift (how clang shifts a u32 that
	 * lives in a 64-bit register, without alu32) */
	JIT_PAIR_SHIFT_MASK,
	/* rD <<= 32, then rD >>= 32 or rD s>>= 32, at 64 bits: the low half
	 * zero- or sign-extended (clang's u32 and s32 to 64 bits without
	 * alu32), one move */
	JIT_PAIR_ZERO_EXTEND,
	JIT_PAIR_SIGN_EXTEND,
};
/* What code[pc] and code[pc + 1] are together. */
BS_HIDDEN enum jit_pair jit_pair(const struct vm_pinsn *code, size_t n, const uint8_t *leader,
				 size_t pc);
/* A multiplication by a constant k as shifts and adds, which take one or
 * two cycles where a multiply takes three (h = h * 31 + c, h * 33 ^ c:
 * the hashes programs loop over): x << shift; (x + (x << scale)) << shift
 * for k = 3, 5 or 9 times 2^shift; (x << shift) + x; (x << shift) - x. */
enum { JIT_MUL_SHIFT, JIT_MUL_LEA, JIT_MUL_SHIFT_ADD, JIT_MUL_SHIFT_SUB };
struct jit_mul {
	uint8_t kind, shift, scale;
};
/* Whether I multiplies by a constant of one of those shapes (*m), from 2 to
 * 2^31 - 1: an immediate read the same at both widths. */
BS_HIDDEN bool jit_mul_shape(const struct vm_pinsn *I, struct jit_mul *m);
/* Whether reg holds a known constant (*v). */
BS_HIDDEN bool jit_facts_const(const struct jit_facts *f, int reg, uint64_t *v);
/* Whether [reg + off, + size) lies inside one value of region *region. */
BS_HIDDEN bool jit_facts_in_value(const struct jit_facts *f, int reg, int64_t off, unsigned size,
				  uint32_t *region);
/* Drops the code when a helper changed since it was made (vm->jit_stale);
 * only where no native code runs. */
BS_HIDDEN void jit_drop_stale(struct bs_vm *vm);
/* Whether I calls a helper that describes itself as an array lookup (*d)
 * for the r1 the facts know (bs_vm_set_helper_array). */
BS_HIDDEN bool jit_call_array(const struct bs_vm *vm, const struct jit_facts *f,
			      const struct vm_pinsn *I, struct bs_helper_array *d);
/* The facts after I: an inline lookup's (inl) or jit_facts_step's. */
BS_HIDDEN void jit_facts_after(const struct bs_vm *vm, struct jit_facts *f,
			       const struct vm_pinsn *I, bool inl);
/* jit_plan_blocks with the helper calls done inline marked in inl[] and
 * inside their blocks (they cannot change the count). Facts only grow as
 * blocks merge, so a call marked stays inline; a second round finds those
 * a merge makes known. -1 with err if jit_plan_blocks fails. */
BS_HIDDEN int jit_plan_inline(const struct bs_vm *vm, const struct vm_pinsn *code, size_t n,
			      uint8_t *inl, bool merge, uint8_t *leader, uint32_t *blk,
			      uint32_t *rest, struct bs_error *err);
/* A loop whose accesses outside the frame one check at its head covers
 * (loops.c): [head, end], end the jump back. Each group of accesses
 * reaches [sum of reg[] + (iv ? the induction variable) + lo, ... + hi)
 * over one round; over the loop, the variable goes from its value at the
 * head up to the last value the tests every round passes let through,
 * each "go on while reg[iv] + reg[add] + d < limit" (le: <= limit; ne: !=
 * limit, step 1), limit the sum of lim[] (-1: none) + lc. Every planned
 * loop has its variable and a test. */
#define JIT_LOOP_GROUPS 4
#define JIT_LOOP_BOUNDS 2
#define JIT_LOOP_CMPS 4
#define JIT_LOOP_NO_IV 0xff
struct jit_loop_group {
	int8_t reg[2];            /* invariant registers added, -1: none */
	uint8_t iv;               /* plus the induction variable */
	uint8_t stack;            /* r10 among them: in the stack, or refused */
	uint8_t after;            /* the bounds (bits) whose tests come before */
	int64_t lo, hi;
};
struct jit_loop_bound {
	uint32_t at;              /* the test's pc */
	int8_t add;               /* an invariant register added, -1: none */
	int8_t lim[2];
	uint8_t ne;
	uint8_t le;               /* the limit is inclusive: compare with it + 1 */
	int64_t d, lc;
};
/* What a check that passed found: host minus guest address in the region,
 * the variable at the last round's head, the budget all rounds take. */
struct jit_loop_pass {
	uint64_t delta, last, charge;
};
struct jit_loop {
	uint32_t head, end;
	uint8_t iv;               /* the induction variable, or JIT_LOOP_NO_IV */
	unsigned nbounds;
	struct jit_loop_bound bound[JIT_LOOP_BOUNDS];
	int64_t step;
	uint32_t units;           /* the budget one round takes at most */
	uint64_t passed, failed;  /* the checks at the head so far */
	unsigned need;            /* BS_REGION_READ and/or BS_REGION_WRITE */
	unsigned ngroups;
	struct jit_loop_group group[JIT_LOOP_GROUPS];
	/* registers (bits) the copy holds as host addresses (the region's
	 * place minus its guest address added): invariants only ever added
	 * to, used as addresses of the region's groups, or compared; cmp: the
	 * sides of those compares (lo = hi = the constant), whose values the
	 * check keeps where both forms order alike */
	uint16_t host;
	unsigned ncmps;
	struct jit_loop_group cmp[JIT_LOOP_CMPS];
	/* The last check that passed: the registers it read (reads), the
	 * regions' generation and the frame's bottom it saw (compared only
	 * for a group in the stack), what it found.
	 * The code at the head compares them before calling the check: a
	 * program run again over the same packet checks in a few compares. */
	uint16_t reads;
	struct {
		uint64_t reg[BS_MAX_REG];
		uint64_t gen, stack_lo;   /* gen UINT64_MAX: none yet */
		struct jit_loop_pass pass;
	} memo;
};
/* What the copy needs at one pc of a planned loop. */
struct jit_loop_pc {
	uint8_t on_stack;         /* an access from r10, the facts not in the frame */
	uint8_t region;           /* an access to the region's groups */
	uint8_t host;             /* an access whose base holds a host address */
	/* at a jump (the last: falling out too): a register holding the
	 * induction variable's value at the round's head + iv_off, and the
	 * registers holding host addresses */
	int8_t iv;
	int32_t iv_off;
	uint16_t hosts;
};
/* The loops of code that qualify (*out malloc'd, may be NULL); -1: out of
 * memory. leader: jit_plan_blocks'; inl: jit_plan_inline's (a loop may
 * hold an inline lookup whose key is in the frame). at[pc] (n entries, zeroed by the
 * caller): what a loop's copy needs there; an access from r10 (on_stack)
 * has its group's range checked against the stack and its copy addresses
 * it from the VM. */
BS_HIDDEN int jit_plan_loops(const struct bs_vm *vm, const struct vm_pinsn *code, size_t n,
			     const uint8_t *leader, const uint8_t *inl, struct jit_loop **out,
			     size_t *nout, struct jit_loop_pc *at);
/* Whether, with the registers reg at L's head, every access of every round
 * the loop can run from there falls inside one plain region that allows
 * them (accesses from r10: inside the stack), and the budget left
 * (remaining) covers all those rounds; *pass filled when so. */
BS_HIDDEN bool jit_loop_check(const struct bs_vm *vm, const struct jit_loop *L,
			      const uint64_t *reg, uint64_t remaining, struct jit_loop_pass *pass);

/* The compiled program idx, compiling it first if needed (runtime.c). */
BS_HIDDEN struct jit_prog *jit_get(struct bs_vm *vm, uint32_t idx, struct bs_error *err);

/* Slow paths the generated code calls (runtime.c). Each gets the frame;
 * the BPF registers are in vm->reg and the budget left in f->remaining. */
BS_HIDDEN uintptr_t jit_rt_mem(struct jit_frame *f, uint64_t addr, uint64_t pc);
/* jit_rt_mem that also fills the access's memo m (may be NULL). */
BS_HIDDEN uintptr_t jit_rt_mem_memo(struct jit_frame *f, uint64_t addr, uint64_t pc,
				    struct jit_memo *m);
BS_HIDDEN int jit_rt_helper(struct jit_frame *f, uint64_t pc);
/* jit_rt_helper with the helper's entry (&vm->helpers[imm], fixed for the
 * VM's life) resolved when the code was made. */
BS_HIDDEN int jit_rt_helper_at(struct jit_frame *f, uint64_t pc, const struct vm_helper *h);
/* A call jit_rt_helper_at makes, for an inline array lookup whose key was
 * not where its memo m said (x86-64): also points m at the key's region;
 * m NULL: none (arm64). The call may sit inside its block. */
BS_HIDDEN int jit_rt_helper_array(struct jit_frame *f, uint64_t pc, const struct vm_helper *h,
				  struct jit_memo *m);
BS_HIDDEN int jit_rt_tail_call(struct jit_frame *f, uint64_t pc);
BS_HIDDEN void jit_rt_bail(struct jit_frame *f, uint64_t pc);
BS_HIDDEN void jit_rt_call_depth(struct jit_frame *f, uint64_t pc);
struct jit_pkt { uint64_t value, ok; };
BS_HIDDEN struct jit_pkt jit_rt_ld_pkt(struct jit_frame *f, uint64_t off, uint64_t size);
/* jit_loop_check at loop L's head, counted in L: value the delta, ok
 * whether it holds; if so, the budget of every round is charged. */
BS_HIDDEN struct jit_pkt jit_rt_loop(struct jit_frame *f, uint64_t pc, struct jit_loop *L);
/* A loop's copy left in a round before its last, whose variable was iv at
 * the round's head: the rounds after it, charged at the head, given back. */
BS_HIDDEN void jit_rt_loop_leave(struct jit_frame *f, uint64_t iv, struct jit_loop *L);

/* jit_rt_mem's answer for a store a region's hook carried out itself. */
#define JIT_MEM_DONE ((uintptr_t)1)

#endif
