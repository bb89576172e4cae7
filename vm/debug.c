// SPDX-License-Identifier: MIT
/* What a debugger needs from the VM: a stop hook, breakpoints as traps in
 * the prepared code (instructions without one run at full speed), watched
 * memory ranges, and the state at a stop. */
#include <stdlib.h>
#include <string.h>

#include "vm/error.h"
#include "vm/vm_private.h"

void bs_vm_set_stop_hook(struct bs_vm *vm, bs_stop_fn fn, void *user)
{
	vm->stop_hook = fn;
	vm->stop_user = user;
}

void bs_vm_stop_at(struct bs_vm *vm, uint64_t count)
{
	vm->stop_at = count;
}

static struct vm_break *find_break(const struct bs_vm *vm, uint32_t prog, size_t pc)
{
	for (size_t i = 0; i < vm->nbreaks; i++)
		if (vm->breaks[i].prog == prog && vm->breaks[i].pc == pc)
			return &vm->breaks[i];
	return NULL;
}

uint16_t vm_trap_op(const struct bs_vm *vm, uint32_t prog, size_t pc)
{
	const struct vm_break *b = find_break(vm, prog, pc);
	/* a trap exists only with its record */
	return b ? b->op : (uint16_t)VM_OP_INVALID;
}

void vm_trap_lift(struct bs_vm *vm, uint32_t prog, size_t pc)
{
	vm_set_op(&vm->progs[prog], pc, vm_trap_op(vm, prog, pc));
	vm->rearm = true;
	vm->rearm_prog = prog;
	vm->rearm_pc = pc;
}

int vm_at_limit(struct bs_vm *vm, size_t pc, uint64_t count, uint64_t budget, uint64_t *limit,
		struct bs_error *err)
{
	if (vm->rearm) {
		vm->rearm = false;
		/* unless a stop inside the instruction (a callback) removed it */
		if (find_break(vm, vm->rearm_prog, vm->rearm_pc))
			vm_set_op(&vm->progs[vm->rearm_prog], vm->rearm_pc, VM_OP_TRAP);
	}
	if (count == budget)
		return 1;
	bool stop = vm->stop_hook && (vm->watch_hit || vm->stop_at == count);
	if (stop) {
		vm->count = count;
		vm->pc = pc;
		enum bs_stop_reason why = vm->watch_hit ? BS_STOP_WATCH : BS_STOP_STEP;
		if (vm->stop_hook(vm, why, err, vm->stop_user))
			return -1;
	}
	vm->watch_hit = 0;
	*limit = vm_limit(vm, budget, stop ? count + 1 : count);
	return 0;
}

int bs_vm_set_break(struct bs_vm *vm, uint32_t prog, size_t pc, bool on, struct bs_error *err)
{
	if (prog >= vm->nprogs || pc >= vm->progs[prog].n)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no instruction %zu in program %u", pc,
			      prog);
	struct vm_pinsn *code = vm->progs[prog].code;
	if (pc > 0 && vm->progs[prog].prog[pc - 1].code == 0x18 &&
	    bs_insn_slots(&vm->progs[prog].prog[pc - 1]) == 2)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "instruction %zu is the second half of an lddw at %zu", pc, pc - 1);
	struct vm_break *b = find_break(vm, prog, pc);
	if (on == (b != NULL))
		return 0;
	if (!on) {
		vm_set_op(&vm->progs[prog], pc, b->op);
		*b = vm->breaks[--vm->nbreaks];
		return 0;
	}
	struct vm_break *more = realloc(vm->breaks, (vm->nbreaks + 1) * sizeof(*more));
	if (!more)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	vm->breaks = more;
	vm->breaks[vm->nbreaks++] = (struct vm_break){prog, pc, code[pc].op};
	vm_set_op(&vm->progs[prog], pc, VM_OP_TRAP);
	return 0;
}

int bs_vm_watch(struct bs_vm *vm, uint64_t addr, uint64_t len, unsigned kinds, int *id,
		struct bs_error *err)
{
	if (!len || addr + len < addr || !(kinds & BS_REGION_RW))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "a watch needs a length and a kind");
	for (int i = 0; i < VM_MAX_WATCHES; i++) {
		struct vm_watch *w = &vm->watches[i];
		if (w->len)
			continue;
		*w = (struct vm_watch){addr, len, kinds & BS_REGION_RW};
		vm->nwatches++;
		vm_regions_moved(vm);  /* the interpreter's memos would pass it by */
		*id = i;
		return 0;
	}
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "at most %d watches", VM_MAX_WATCHES);
}

void bs_vm_unwatch(struct bs_vm *vm, int id)
{
	if (id < 0 || id >= VM_MAX_WATCHES || !vm->watches[id].len)
		return;
	vm->watches[id].len = 0;
	vm->nwatches--;
}

void vm_watch_check(struct bs_vm *vm, uint64_t addr, uint64_t size, unsigned need)
{
	for (int i = 0; i < VM_MAX_WATCHES; i++) {
		const struct vm_watch *w = &vm->watches[i];
		if (w->len && (w->kinds & need) && addr < w->addr + w->len &&
		    w->addr < addr + size) {
			vm->watch_hit = i + 1;
			vm->watch_kind = need & w->kinds;
			vm->watch_addr = addr;
			return;
		}
	}
}

int bs_vm_watch_hit(const struct bs_vm *vm, unsigned *kind, uint64_t *addr)
{
	if (kind)
		*kind = vm->watch_kind;
	if (addr)
		*addr = vm->watch_addr;
	return vm->watch_hit - 1;
}

uint64_t *bs_vm_regs(struct bs_vm *vm)
{
	return vm->reg;
}

size_t bs_vm_pc(const struct bs_vm *vm, uint32_t *prog)
{
	if (prog)
		*prog = vm->cur;
	return vm->pc;
}

uint64_t bs_vm_executed(const struct bs_vm *vm)
{
	return vm->count;
}

unsigned bs_vm_depth(const struct bs_vm *vm)
{
	return vm->depth;
}

void bs_vm_frame(const struct bs_vm *vm, unsigned i, size_t *ret_pc, uint32_t *ret_prog,
		 uint64_t *fp)
{
	const struct vm_frame *f = i < vm->depth ? &vm->frames[i] : NULL;
	if (ret_pc)
		*ret_pc = f ? f->ret_pc : 0;
	if (ret_prog)
		*ret_prog = f ? f->ret_prog : 0;
	if (fp)
		*fp = f ? f->fp : 0;
}

void *bs_vm_region_of(struct bs_vm *vm, uint64_t addr, const char **name, uint64_t *off,
		      uint64_t *avail)
{
	for (unsigned i = 0; i < vm->nregions; i++) {
		const struct vm_region *r = &vm->regions[i];
		if (addr < r->guest || addr - r->guest >= r->size)
			continue;
		if (name)
			*name = r->name;
		if (off)
			*off = addr - r->guest;
		if (avail)
			*avail = r->size - (addr - r->guest);
		/* the caller may write there, in frame 0 or below it */
		if (i == 0) {
			vm->stack_touched = 1;
			vm->stack_deep_touched |= r->size - (addr - r->guest) > BS_STACK_SIZE;
		}
		return r->host + (addr - r->guest);
	}
	return NULL;
}
