// SPDX-License-Identifier: MIT
/* The prepare step: everything that can be known before running is checked
 * and resolved once, so the interpreter's handlers do no decoding. This is
 * the program `dump` shows and the only one the interpreter runs. */
#include <stdlib.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "vm/error.h"
#include "vm/vm_private.h"

static const char *pseudo_name(int src)
{
	static const char *const names[] = {"", "map_fd", "map_value", "btf_id", "func",
					    "map_idx", "map_idx_value"};
	return src >= 0 && src < 7 ? names[src] : "?";
}

static int resolve_lddw(struct bs_vm *vm, const struct bs_insn *prog, size_t pc,
			struct vm_pinsn *p, struct bs_error *err)
{
	const struct bs_insn *insn = &prog[pc];
	if (insn->src_reg == BS_PSEUDO_NONE) {
		p->imm = ((uint64_t)(uint32_t)insn[1].imm << 32) | (uint32_t)insn->imm;
		return 0;
	}
	if (insn->src_reg == BS_PSEUDO_FUNC) {
		/* bs_prog_check has made sure the target starts a subprogram */
		p->imm = BS_FUNC_HANDLE_BASE + 8 * (uint64_t)((int64_t)pc + 1 + insn->imm);
		return 0;
	}
	if (!vm->resolver) {
		vm_err(err, BS_ERR_UNSUPPORTED, (long)pc,
		       "ldimm64 with pseudo source %s (src_reg=%d) refers to a map or function, "
		       "and nothing provides one here",
		       pseudo_name(insn->src_reg), insn->src_reg);
		vm_err_hint(err, "load the program from an ELF object so its maps exist");
		return -1;
	}
	return vm->resolver(vm, pc, insn, &p->imm, err, vm->resolver_user);
}

static int check_call(struct bs_vm *vm, size_t pc, const struct bs_insn *insn,
		      struct bs_error *err)
{
	if (insn->src_reg == BS_CALL_KFUNC) {
		vm_err(err, BS_ERR_UNSUPPORTED, (long)pc,
		       "kfunc call (btf id %d) has no fake implementation", insn->imm);
		vm_err_hint(err, "kernel functions exist only in the kernel; register a fake to run this");
		return -1;
	}
	int32_t id = insn->imm;
	if (id > 0 && id < VM_MAX_HELPER_ID && vm->helpers[id].fn)
		return 0;
	/* the VM itself carries out tail calls */
	if (id == VM_HELPER_TAIL_CALL)
		return 0;
	const char *name = hlp_name(id);
	if (!name)
		return vm_err(err, BS_ERR_HELPER, (long)pc, "invalid func unknown#%d", id);
	/* the verifier's words where the kernel itself refuses the helper */
	if (hlp_type_allows(vm->prog_type, id) == 0)
		return vm_err(err, BS_ERR_HELPER, (long)pc,
			      "program of this type cannot use helper %s#%d", name, id);
	vm_err(err, BS_ERR_HELPER, (long)pc, "helper %s#%d is not emulated", name, id);
	vm_err_hint(err, "docs/helpers.md lists the helpers bpfstep provides for each program type");
	return -1;
}

static int prepare_one(struct bs_vm *vm, const struct bs_insn *prog, struct vm_pinsn *code,
		       size_t pc, struct bs_error *err)
{
	const struct bs_insn *insn = &prog[pc];
	struct vm_pinsn *p = &code[pc];
	enum vm_op op = vm_op_lookup(insn);
	const struct vm_opinfo *info = &vm_ops[op];

	p->op = (uint16_t)op;
	p->dst = insn->dst_reg;
	p->src = insn->src_reg;
	p->off = insn->off;
	p->imm = (uint64_t)(int64_t)insn->imm;

	switch ((enum vm_form)info->form) {
	case F_GOTOL: case F_CALL_LOCAL:
		p->off = insn->imm;  /* both keep their offset in imm */
		return 0;
	case F_CALL: case F_CALL_KFUNC:
		return check_call(vm, pc, insn, err);
	case F_LDDW:
		return resolve_lddw(vm, prog, pc, p, err);
	case F_ADDR_SPACE_CAST:
		vm_err(err, BS_ERR_UNSUPPORTED, (long)pc,
		       "addr_space_cast insn can only be used in a program that has an associated arena");
		vm_err_hint(err, "bpfstep has no BPF arena maps yet");
		return -1;
	default:
		return 0;
	}
}

/* Checks prog and fills code; on failure err names the instruction. */
static int prepare_code(struct bs_vm *vm, const struct bs_insn *prog, size_t n,
			struct vm_pinsn *code, struct bs_error *err)
{
	if (n == 0)
		return vm_err(err, BS_ERR_INVALID, BS_NO_PC, "the program is empty");
	if (n > VM_MAX_INSNS)
		return vm_err(err, BS_ERR_INVALID, BS_NO_PC,
			      "the program has %zu instructions; the kernel allows %d", n,
			      VM_MAX_INSNS);
	if (bs_prog_check(prog, n, err))
		goto fail;
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc]))
		if (prepare_one(vm, prog, code, pc, err))
			goto fail;
	return 0;
fail:
	vm_err_insn(err, prog, n);
	return -1;
}

static void prog_free(struct vm_prog *p)
{
	free(p->prog);
	free(p->code);  /* and the memos after it */
	memset(p, 0, sizeof(*p));
}

/* Copies and prepares prog into p (left empty on failure). */
static int prog_load(struct bs_vm *vm, const struct bs_insn *prog, size_t n, struct vm_prog *p,
		     struct bs_error *err)
{
	memset(p, 0, sizeof(*p));
	if (n && n <= VM_MAX_INSNS) {
		_Static_assert(sizeof(struct vm_memo) == sizeof(struct vm_pinsn),
			       "memo[pc] is a fixed distance from code[pc]");
		p->prog = malloc(n * sizeof(*prog));
		p->code = calloc(2 * n, sizeof(*p->code));
		if (!p->prog || !p->code) {
			prog_free(p);
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC,
				      "out of memory preparing %zu instructions", n);
		}
		memcpy(p->prog, prog, n * sizeof(*prog));
	}
	if (prepare_code(vm, prog, n, p->code, err)) {
		prog_free(p);
		return -1;
	}
	p->memo = (struct vm_memo *)(void *)(p->code + n);
	p->memo_off = n * sizeof(*p->code);
	p->n = n;
	for (size_t pc = 0; pc < n; pc++)
		vm->stack_names_r10 |= prog[pc].dst_reg == 10 || prog[pc].src_reg == 10;
	return 0;
}

void vm_progs_free(struct bs_vm *vm)
{
	vm->nmemos_set = 0;  /* they go with their programs */
	for (uint32_t i = 0; i < vm->nprogs; i++)
		prog_free(&vm->progs[i]);
	free(vm->progs);
	vm->progs = NULL;
	vm->nprogs = 0;
}

int vm_prepare(struct bs_vm *vm, const struct bs_insn *prog, size_t n, struct bs_error *err)
{
	bs_error_clear(err);
	vm_progs_free(vm);
	/* breakpoints and watches belonged to the program that is gone */
	free(vm->breaks);
	vm->breaks = NULL;
	vm->nbreaks = 0;
	vm->rearm = false;
	memset(vm->watches, 0, sizeof(vm->watches));
	vm->nwatches = 0;
	vm->progs = calloc(1, sizeof(*vm->progs));
	if (!vm->progs)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	/* whatever the last program left there: the new one starts clean */
	memset(vm->stack, 0, sizeof(vm->stack));
	vm->stack_names_r10 = false;
	vm->stack_touched = 0;
	vm->stack_deep_touched = false;
	if (prog_load(vm, prog, n, &vm->progs[0], err)) {
		vm_progs_free(vm);
		return -1;
	}
	vm->nprogs = 1;
	return 0;
}

int bs_vm_add_prog(struct bs_vm *vm, const struct bs_insn *prog, size_t n, uint32_t *index,
		   struct bs_error *err)
{
	bs_error_clear(err);
	if (!vm->nprogs)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "load the main program first (bs_vm_load)");
	if (vm->nprogs >= VM_MAX_PROGS)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "a VM holds at most %d programs",
			      VM_MAX_PROGS);
	struct vm_prog *more = realloc(vm->progs, (vm->nprogs + 1) * sizeof(*more));
	if (!more)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	vm->progs = more;
	if (prog_load(vm, prog, n, &vm->progs[vm->nprogs], err))
		return -1;
	*index = vm->nprogs++;
	return 0;
}
