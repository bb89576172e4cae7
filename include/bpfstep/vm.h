/* SPDX-License-Identifier: MIT */
/* The reference interpreter and its memory sandbox. */
#ifndef BPFSTEP_VM_H
#define BPFSTEP_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct bs_vm;

#define BS_DEFAULT_BUDGET 1000000ULL

/* Memory the program may touch. Guest addresses are assigned by the VM (a
 * fixed, deterministic layout below 4 GiB), never host addresses, so the
 * same program and inputs give the same pointer values on every run. */
enum bs_region_flags {
	BS_REGION_READ = 1u << 0,
	BS_REGION_WRITE = 1u << 1,
	BS_REGION_RW = BS_REGION_READ | BS_REGION_WRITE,
};

/* A helper: reads r1..r5 from args, writes r0. Returns 0, or fills err. */
typedef int (*bs_helper_fn)(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user);

/* Resolves a lddw with a pseudo source (map fd, map value, func ...) to the
 * 64-bit value the program sees. Returns 0, or fills err. */
typedef int (*bs_lddw_resolver_fn)(struct bs_vm *vm, size_t pc, const struct bs_insn *insn,
				   uint64_t *value, struct bs_error *err, void *user);

enum bs_dispatch {
	BS_DISPATCH_DEFAULT = 0, /* computed goto where the compiler has it */
	BS_DISPATCH_SWITCH,      /* the portable switch loop (tests run both) */
};

/* What executes a program. The JIT gives the interpreter's results (r0,
 * memory, errors with their pc, instruction counts); runs with a stop hook,
 * breakpoints or watches always use the interpreter. JIT_UNCHECKED drops the
 * memory checks of the native code where it can (docs/jit.md: unsafe for
 * programs the kernel's verifier would refuse). Without a JIT for the host
 * (bs_jit_available), the JIT engines fail with BS_ERR_UNSUPPORTED. */
enum bs_engine {
	BS_ENGINE_INTERP = 0,
	BS_ENGINE_JIT,
	BS_ENGINE_JIT_UNCHECKED,
};

struct bs_run_result {
	uint64_t retval;          /* r0 at the top-level exit */
	uint64_t insns_executed;  /* instructions executed, lddw counts once */
};

BS_MUST_CHECK int bs_vm_new(struct bs_vm **out, struct bs_error *err);
void bs_vm_free(struct bs_vm *vm);

/* Settings; each may be changed between runs. */
void bs_vm_set_budget(struct bs_vm *vm, uint64_t max_insns);  /* 0 = unlimited */
void bs_vm_set_dispatch(struct bs_vm *vm, enum bs_dispatch dispatch);
void bs_vm_set_engine(struct bs_vm *vm, enum bs_engine engine);
/* Whether this build can JIT on this host (x86-64, arm64). */
bool bs_jit_available(void);
/* The native code of program prog (0: bs_vm_load's), compiled now if it
 * was not yet: *code and *len the machine code, offsets[pc] where
 * instruction pc starts in it (n + 1 entries; the last is the end of the
 * instructions; lddw's second slot has the next one's). Valid until the
 * program is reloaded or the VM freed. */
BS_MUST_CHECK int bs_vm_jit_code(struct bs_vm *vm, uint32_t prog, const uint8_t **code,
				 size_t *len, const uint32_t **offsets, struct bs_error *err);
/* A loop of that code which runs without memory checks once a check at its
 * head has proven that every access of every round it can run from there
 * falls inside one region (else the checked code runs it): instructions
 * [head, end], their unchecked copy at offsets[pc - head] up to code_end;
 * how often the check passed and failed since the code was made. */
struct bs_jit_loop {
	uint32_t head, end;
	const uint32_t *offsets;
	uint32_t code_end;
	uint64_t passed, failed;
};
/* The loops of program prog's native code (compiled now if it was not
 * yet), the first max of them into out, how many in *n. */
BS_MUST_CHECK int bs_vm_jit_loops(struct bs_vm *vm, uint32_t prog, struct bs_jit_loop *out,
				  size_t max, size_t *n, struct bs_error *err);
BS_MUST_CHECK int bs_vm_set_helper(struct bs_vm *vm, int32_t id, const char *name,
				   bs_helper_fn fn, void *user, struct bs_error *err);
/* An array lookup a helper call amounts to for one value of r1: r0 = base +
 * key * stride for the u32 key at r2 when key < n, else 0 (NULL); r1..r5
 * unchanged. What a helper describes so is done inline by the JIT, as the
 * kernel inlines array map lookups (map_gen_lookup), when r1 is known where
 * the call is made (a lddw earlier in the same block); a key the program
 * cannot read takes the call itself, for the helper's own error. */
struct bs_helper_array {
	uint64_t base;
	uint64_t stride;
	uint32_t n;
};
/* Whether a call with r1 == value is such a lookup (then *out is filled).
 * The answer must hold for the VM's life, and the array stay in one plain
 * region (no access rule, no store hook): the JIT keeps it in the code and
 * reaches the values it returns without asking the region again. */
typedef bool (*bs_helper_array_fn)(void *user, uint64_t r1, struct bs_helper_array *out);
/* Describes helper id (registered first; user is the helper's own).
 * bs_vm_set_helper forgets the description; either drops the native code. */
BS_MUST_CHECK int bs_vm_set_helper_array(struct bs_vm *vm, int32_t id, bs_helper_array_fn fn,
					 struct bs_error *err);
void bs_vm_set_lddw_resolver(struct bs_vm *vm, bs_lddw_resolver_fn fn, void *user);
/* The resolver installed now (NULL if none), so a new one can forward to it. */
bs_lddw_resolver_fn bs_vm_lddw_resolver(const struct bs_vm *vm, void **user);

/* A function pointer (lddw with BS_PSEUDO_FUNC, e.g. a bpf_loop callback)
 * loads this base plus 8 times the target instruction's index: outside every
 * region, so it cannot be dereferenced, and helpers can decode it. */
#define BS_FUNC_HANDLE_BASE 0xffffa00000000000ULL

/* Checks the program (opcodes, reserved fields, jump targets, helper ids,
 * the last instruction) and prepares it for execution. The instructions are
 * copied. Register helpers and the resolver first. */
BS_MUST_CHECK int bs_vm_load(struct bs_vm *vm, const struct bs_insn *prog, size_t n,
			     struct bs_error *err);

/* Tail calls: more programs in one VM. bs_vm_load loads program 0; this
 * checks and prepares another one (after the same helpers and resolver) and
 * gives its index (1, 2, ...). */
BS_MUST_CHECK int bs_vm_add_prog(struct bs_vm *vm, const struct bs_insn *prog, size_t n,
				 uint32_t *index, struct bs_error *err);

/* bpf_tail_call (helper 12) asks this which program the program array map
 * (r2) holds at index (r3): return 1 with *prog set to its index in this VM,
 * 0 when the slot is empty or out of range (the call falls through, as in
 * the kernel), -1 with err filled to stop the run. Without a resolver every
 * tail call falls through. At most 33 tail calls succeed in one run. */
typedef int (*bs_tail_call_fn)(struct bs_vm *vm, uint64_t map, uint64_t index,
			       uint32_t *prog, struct bs_error *err, void *user);
void bs_vm_set_tail_call(struct bs_vm *vm, bs_tail_call_fn fn, void *user);
/* The program running now, or after a failed run the one that faulted: 0
 * for bs_vm_load's, else the index bs_vm_add_prog gave. */
uint32_t bs_vm_current_prog(const struct bs_vm *vm);
/* A program of the VM by index (NULL past the last). */
const struct bs_insn *bs_vm_prog_at(const struct bs_vm *vm, uint32_t index, size_t *n);

/* For helpers that call back into the program (bpf_loop,
 * bpf_for_each_map_elem): runs the function whose handle func is (a
 * BS_FUNC_HANDLE_BASE value from lddw) in a new stack frame with r1..r5 =
 * args, until it returns; *r0 gets its return value. Instructions count
 * against the same budget; faults fill err. */
BS_MUST_CHECK int bs_vm_call(struct bs_vm *vm, uint64_t func, const uint64_t args[5],
			     uint64_t *r0, struct bs_error *err);

/* Debugging. A stop hook sees the program between two instructions: at a
 * breakpoint (before the instruction there runs), once stop_at
 * instructions have run (before the next one), and after an instruction
 * (or helper) touched a watched range. It runs inside bs_vm_run: it may read
 * and change registers (bs_vm_regs) and memory, set breakpoints, watches and
 * the next stop_at, then return 0 to go on, or -1 with err filled to end
 * the run with that error. Without a hook none of this costs anything. */
enum bs_stop_reason {
	BS_STOP_STEP,    /* stop_at reached */
	BS_STOP_BREAK,   /* a breakpoint's instruction is next */
	BS_STOP_WATCH,   /* the last instruction touched a watched range */
};
typedef int (*bs_stop_fn)(struct bs_vm *vm, enum bs_stop_reason why, struct bs_error *err,
			  void *user);
void bs_vm_set_stop_hook(struct bs_vm *vm, bs_stop_fn fn, void *user);
/* Stop once count instructions of this run have been executed (UINT64_MAX:
 * never). Counts as bs_run_result's insns_executed does. */
void bs_vm_stop_at(struct bs_vm *vm, uint64_t count);
/* A breakpoint at instruction pc of program prog (0: bs_vm_load's). */
BS_MUST_CHECK int bs_vm_set_break(struct bs_vm *vm, uint32_t prog, size_t pc, bool on,
				  struct bs_error *err);
/* Watches [addr, addr+len) for loads (BS_REGION_READ), stores
 * (BS_REGION_WRITE) or both, by the program and by helpers. *id is for
 * bs_vm_unwatch. */
BS_MUST_CHECK int bs_vm_watch(struct bs_vm *vm, uint64_t addr, uint64_t len, unsigned kinds,
			      int *id, struct bs_error *err);
void bs_vm_unwatch(struct bs_vm *vm, int id);
/* At a BS_STOP_WATCH: which watch, the access (BS_REGION_READ or _WRITE)
 * and its address. */
int bs_vm_watch_hit(const struct bs_vm *vm, unsigned *kind, uint64_t *addr);

/* For a debugger: the region that holds addr, its name, addr's offset in
 * it and the bytes from addr to the region's end; returns the host address
 * of addr, or NULL when no region holds it. Unlike bs_vm_translate this is
 * no access of the program: no permission, context rule or watch applies,
 * and the whole stack (every frame) counts. */
void *bs_vm_region_of(struct bs_vm *vm, uint64_t addr, const char **name, uint64_t *off,
		      uint64_t *avail);

/* The state at a stop (or after a run). */
uint64_t *bs_vm_regs(struct bs_vm *vm);               /* r0..r10, live */
size_t bs_vm_pc(const struct bs_vm *vm, uint32_t *prog);  /* the next instruction */
uint64_t bs_vm_executed(const struct bs_vm *vm);      /* instructions so far */
/* Frames below the current function: depth is 0 in the program's own
 * function; frame i (0 = the outermost caller) returns to ret_pc of
 * ret_prog with r10 = fp. */
unsigned bs_vm_depth(const struct bs_vm *vm);
void bs_vm_frame(const struct bs_vm *vm, unsigned i, size_t *ret_pc, uint32_t *ret_prog,
		 uint64_t *fp);

/* Registers memory the program may access; the VM does not own host.
 * *guest receives its guest address. */
BS_MUST_CHECK int bs_vm_add_region(struct bs_vm *vm, const char *name, void *host,
				   uint64_t size, unsigned flags, uint64_t *guest,
				   struct bs_error *err);

/* Moves the window of the region that starts at guest address `guest` (as
 * bs_vm_add_region or the last update left it) to [host, host + size). The
 * mapping keeps its offset: the new window starts at guest + (host - the
 * region's host now), so a byte keeps its guest address while the window
 * grows or shrinks around it (an XDP packet moving inside its buffer:
 * register the whole buffer, then narrow the window). The new guest range
 * must not wrap, start at 0, or overlap another region; the caller keeps
 * host valid, as for bs_vm_add_region. */
BS_MUST_CHECK int bs_vm_region_update(struct bs_vm *vm, uint64_t guest, void *host,
				      uint64_t size, struct bs_error *err);

/* A region whose stores the kernel rewrites (a context field narrower than
 * the program's view of it): called instead of the plain store for every
 * program store (ST, STX, store-release) into the region; return true when
 * it stored (or deliberately dropped) the value itself, false for the plain
 * store. off is the offset in the region, host the destination. */
typedef bool (*bs_store_hook_fn)(void *user, uint64_t off, unsigned size, uint64_t value,
				 void *host);
BS_MUST_CHECK int bs_vm_region_set_store_hook(struct bs_vm *vm, uint64_t guest,
					      bs_store_hook_fn fn, void *user,
					      struct bs_error *err);

/* A context region: the kernel's verifier lets each program type access its
 * context only in certain ways (which fields, at which sizes, read or
 * write). The rule is asked about every program load and store inside the
 * region (off: offset in the region; need: BS_REGION_READ, BS_REGION_WRITE,
 * or both for an atomic) and returns whether the verifier allows it. A
 * refused access, or one just outside the region, stops the run with the
 * verifier's words: "invalid bpf_context access off=N size=M". Helpers
 * reading the region through bs_vm_translate are not subject to it. */
typedef bool (*bs_access_rule_fn)(void *user, uint64_t off, unsigned size, unsigned need);
BS_MUST_CHECK int bs_vm_region_set_access_rule(struct bs_vm *vm, uint64_t guest,
					       bs_access_rule_fn fn, void *user,
					       struct bs_error *err);

/* The program type (the kernel's enum bpf_prog_type; 0 = none, the default)
 * decides how loading words a call to a helper nobody registered: "program
 * of this type cannot use helper bpf_foo#N" where the kernel refuses that
 * helper for the type, "helper bpf_foo#N is not emulated" otherwise. */
void bs_vm_set_prog_type(struct bs_vm *vm, int type);

/* What LD_ABS / LD_IND read: the skb's linear buffer [buf, buf + len), with
 * skb->data, the MAC header and the network header at the given offsets into
 * it. A load at offset k >= 0 reads buf[data_off + k]; the kernel's negative
 * offsets SKF_NET_OFF + k and SKF_LL_OFF + k read from the network and MAC
 * headers. Raw programs use one buffer with all three offsets 0. */
void bs_vm_set_packet(struct bs_vm *vm, const void *buf, uint64_t len, uint64_t data_off,
		      uint64_t mac_off, uint64_t net_off);

/* Translates a guest range to host memory, checked against the regions, as
 * helpers must before touching program memory. NULL with err on violation. */
void *bs_vm_translate(struct bs_vm *vm, uint64_t addr, uint64_t size, bool write,
		      struct bs_error *err);

/* Runs from instruction 0 with r1..r5 = args (NULL: all zero) and r10 at the
 * top of a fresh 512-byte stack. */
BS_MUST_CHECK int bs_vm_run(struct bs_vm *vm, const uint64_t args[5],
			    struct bs_run_result *res, struct bs_error *err);

/* n runs, as n calls of bs_vm_run would make them (each from a fresh stack
 * and registers, memory as the last left it), stopping at the first that
 * fails: res holds the last run's r0 and the instructions of all of them.
 * That a program is loaded is checked once. */
BS_MUST_CHECK int bs_vm_run_repeat(struct bs_vm *vm, const uint64_t args[5], uint32_t n,
				   struct bs_run_result *res, struct bs_error *err);

/* The loaded program (after bs_vm_load). */
const struct bs_insn *bs_vm_program(const struct bs_vm *vm, size_t *n);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
