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

static int resolve_lddw(struct bs_vm *vm, size_t pc, struct vm_pinsn *p, struct bs_error *err)
{
	const struct bs_insn *insn = &vm->prog[pc];
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
	const char *name = hlp_name(id);
	if (!name)
		return vm_err(err, BS_ERR_HELPER, (long)pc, "invalid func unknown#%d", id);
	vm_err(err, BS_ERR_HELPER, (long)pc, "helper %s#%d is not available here", name, id);
	vm_err_hint(err, "bpfstep provides helpers according to the program type and inputs");
	return -1;
}

static int prepare_one(struct bs_vm *vm, size_t pc, struct bs_error *err)
{
	const struct bs_insn *insn = &vm->prog[pc];
	struct vm_pinsn *p = &vm->code[pc];
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
		return resolve_lddw(vm, pc, p, err);
	case F_ADDR_SPACE_CAST:
		vm_err(err, BS_ERR_UNSUPPORTED, (long)pc,
		       "addr_space_cast insn can only be used in a program that has an associated arena");
		vm_err_hint(err, "bpfstep has no BPF arena maps yet");
		return -1;
	default:
		return 0;
	}
}

int vm_prepare(struct bs_vm *vm, const struct bs_insn *prog, size_t n, struct bs_error *err)
{
	bs_error_clear(err);
	free(vm->prog);
	free(vm->code);
	vm->prog = NULL;
	vm->code = NULL;
	vm->n = 0;
	if (n == 0)
		return vm_err(err, BS_ERR_INVALID, BS_NO_PC, "the program is empty");
	if (n > VM_MAX_INSNS)
		return vm_err(err, BS_ERR_INVALID, BS_NO_PC,
			      "the program has %zu instructions; the kernel allows %d", n,
			      VM_MAX_INSNS);

	int rc = -1;
	vm->prog = malloc(n * sizeof(*prog));
	vm->code = calloc(n, sizeof(*vm->code));
	if (!vm->prog || !vm->code) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory preparing %zu instructions", n);
		goto out;
	}
	memcpy(vm->prog, prog, n * sizeof(*prog));
	vm->n = n;

	if (bs_prog_check(prog, n, err))
		goto out;
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc]))
		if (prepare_one(vm, pc, err))
			goto out;
	rc = 0;
out:
	if (rc) {
		vm_err_insn(err, prog, n);
		free(vm->prog);
		free(vm->code);
		vm->prog = NULL;
		vm->code = NULL;
		vm->n = 0;
	}
	return rc;
}
