// SPDX-License-Identifier: MIT
/* Control transfers a helper starts: tail calls into other programs of the
 * VM, and calls back into the running program (bpf_loop and friends). */
#include <string.h>

#include "vm/error.h"
#include "vm/vm_private.h"

void bs_vm_set_tail_call(struct bs_vm *vm, bs_tail_call_fn fn, void *user)
{
	vm->tail_call = fn;
	vm->tail_call_user = user;
}

uint32_t bs_vm_current_prog(const struct bs_vm *vm)
{
	return vm->cur;
}

const struct bs_insn *bs_vm_prog_at(const struct bs_vm *vm, uint32_t index, size_t *n)
{
	if (index >= vm->nprogs) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = vm->progs[index].n;
	return vm->progs[index].prog;
}

/* The callback runs as a bpf-to-bpf call would: a new frame below the
 * caller's, r6..r9 and r10 restored on return. The helper that called us
 * still reads its own arguments afterwards, so every register comes back. */
int bs_vm_call(struct bs_vm *vm, uint64_t func, const uint64_t args[5], uint64_t *r0,
	       struct bs_error *err)
{
	if (!vm->nprogs)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no program loaded");
	const struct vm_prog *p = &vm->progs[vm->cur];
	uint64_t off = func - BS_FUNC_HANDLE_BASE;
	if (func < BS_FUNC_HANDLE_BASE || off % 8 || off / 8 >= p->n)
		return vm_err(err, BS_ERR_HELPER, BS_NO_PC,
			      "the callback 0x%llx is not a function of the program",
			      (unsigned long long)func);
	if (vm->depth + 1 >= BS_MAX_FRAMES) {
		vm_err(err, BS_ERR_CALL_DEPTH, (long)vm->pc,
		       "the call stack of %u frames is too deep for the callback (the kernel "
		       "allows %d)", vm->depth + 2, BS_MAX_FRAMES);
		return -1;
	}
	uint64_t saved[BS_MAX_REG];
	memcpy(saved, vm->reg, sizeof(saved));
	uint32_t cur = vm->cur;
	size_t pc = vm->pc;
	struct vm_frame *f = &vm->frames[vm->depth++];
	f->ret_pc = pc;
	f->ret_prog = cur;
	memcpy(f->saved, &vm->reg[6], sizeof(f->saved));
	f->fp = vm->reg[10];
	f->may_goto = 0;
	memcpy(&vm->reg[1], args, 5 * sizeof(uint64_t));
	vm->reg[10] -= BS_STACK_SIZE;
	vm_stack_lo_set(vm, vm->reg[10] - BS_STACK_SIZE);
	unsigned base = vm->depth;
	int rc = vm->dispatch == BS_DISPATCH_SWITCH ? vm_run_switch(vm, off / 8, base, err)
						    : vm_run_goto(vm, off / 8, base, err);
	if (rc)
		return -1;
	*r0 = vm->reg[0];
	vm->depth--;
	memcpy(vm->reg, saved, sizeof(saved));
	vm_stack_lo_set(vm, vm->reg[10] - BS_STACK_SIZE);
	vm->cur = cur;
	vm->pc = pc;
	return 0;
}
