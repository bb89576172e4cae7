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
	unsigned flags;
	bs_store_hook_fn hook;  /* NULL for plain memory */
	void *hook_user;
};

/* A prepared instruction: the table row, registers, and the operand the
 * handler needs already widened (imm sign-extended, lddw's 64-bit value). */
struct vm_pinsn {
	uint16_t op;
	uint8_t dst;
	uint8_t src;
	int32_t off;   /* jump/call offset in slots (gotol: its imm), or memory offset */
	uint64_t imm;
};

struct vm_helper {
	bs_helper_fn fn;
	void *user;
	char name[48];
};

struct vm_frame {
	size_t ret_pc;
	uint64_t saved[4];   /* caller's r6..r9 */
	uint64_t fp;         /* caller's r10 */
	uint32_t may_goto;   /* caller's may_goto budget */
};

struct bs_vm {
	struct bs_insn *prog;
	struct vm_pinsn *code;
	size_t n;

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
	enum bs_dispatch dispatch;

	/* set by vm_mem when a program store lands in a hooked region; the
	 * store that follows consumes it */
	const struct vm_region *hook_region;

	/* state of the current run */
	uint64_t reg[BS_MAX_REG];
	struct vm_frame frames[BS_MAX_FRAMES];
	unsigned depth;
};

/* Guest address of the top of frame 0's stack. */
static inline uint64_t vm_stack_top(const struct bs_vm *vm)
{
	return vm->regions[0].guest + vm->regions[0].size;
}

/* The checked translation every load and store goes through. */
BS_HIDDEN void *vm_mem(struct bs_vm *vm, uint64_t addr, uint64_t size, unsigned need,
		       struct bs_error *err);

/* The interpreter loops, one per dispatch mode, from vm/interp_loop.h. */
BS_HIDDEN int vm_run_goto(struct bs_vm *vm, uint64_t *executed, struct bs_error *err);
BS_HIDDEN int vm_run_switch(struct bs_vm *vm, uint64_t *executed, struct bs_error *err);

BS_HIDDEN int vm_prepare(struct bs_vm *vm, const struct bs_insn *prog, size_t n,
			 struct bs_error *err);

#endif
