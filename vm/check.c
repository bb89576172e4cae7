// SPDX-License-Identifier: MIT
/* Static checks of single instructions, in the kernel verifier's words:
 * opcode known, reserved fields zero, registers valid, r10 never written. */
#include <stdbool.h>

#include "bpfstep/isa.h"
#include "vm/error.h"
#include "vm/isa.h"

static const char *const class_names[8] = {
	"BPF_LD", "BPF_LDX", "BPF_ST", "BPF_STX", "BPF_ALU", "BPF_JMP", "BPF_JMP32", "BPF_ALU64",
};

size_t bs_insn_slots(const struct bs_insn *insn)
{
	return insn->code == 0x18 ? 2 : 1;
}

static bool writes_dst(enum vm_form f)
{
	switch (f) {
	case F_ALU_K: case F_ALU_X: case F_NEG: case F_MOVSX: case F_END:
	case F_LDX: case F_LDDW: case F_LOAD_ACQ: case F_ADDR_SPACE_CAST:
		return true;
	default:
		return false;
	}
}

static bool writes_src(enum vm_form f)
{
	return f == F_ATOMIC_FETCH || f == F_XCHG;
}

static int check_lddw(const struct bs_insn *prog, size_t n, size_t pc, struct bs_error *err)
{
	const struct bs_insn *insn = &prog[pc];
	if (pc + 1 >= n)
		return vm_err(err, BS_ERR_INVALID, (long)pc,
			      "invalid bpf_ld_imm64 insn: the second slot is missing");
	const struct bs_insn *next = &insn[1];
	if (next->code || next->dst_reg || next->src_reg || next->off)
		return vm_err(err, BS_ERR_INVALID, (long)pc,
			      "invalid bpf_ld_imm64 insn: second slot must hold only imm "
			      "(code=%02x dst=%d src=%d off=%d)",
			      next->code, next->dst_reg, next->src_reg, next->off);
	switch (insn->src_reg) {
	case BS_PSEUDO_MAP_FD: case BS_PSEUDO_MAP_IDX: case BS_PSEUDO_BTF_ID:
	case BS_PSEUDO_FUNC:
		if (next->imm)
			return vm_err(err, BS_ERR_INVALID, (long)pc,
				      "unrecognized bpf_ld_imm64 insn: src_reg %d needs imm of the "
				      "second slot to be 0, not %d",
				      insn->src_reg, next->imm);
		break;
	default:
		break;
	}
	return 0;
}

/* The verifier's check_alu_op refusals for constant operands. */
static int check_alu_imm(const struct bs_insn *insn, long pc, struct bs_error *err)
{
	unsigned op = insn->code & 0xf0;
	bool is64 = (insn->code & 7) == 7;
	if ((op == 0x30 || op == 0x90) && insn->imm == 0)
		return vm_err(err, BS_ERR_INVALID, pc, "div by zero");
	if ((op == 0x60 || op == 0x70 || op == 0xc0) &&
	    (insn->imm < 0 || insn->imm >= (is64 ? 64 : 32)))
		return vm_err(err, BS_ERR_INVALID, pc, "invalid shift %d", insn->imm);
	return 0;
}

int bs_insn_check(const struct bs_insn *prog, size_t n, size_t pc, struct bs_error *err)
{
	if (pc >= n)
		return vm_err(err, BS_ERR_ARG, (long)pc, "instruction %zu is past the end (%zu)", pc, n);
	const struct bs_insn *insn = &prog[pc];
	enum vm_op op = vm_op_lookup(insn);
	const char *cls = class_names[insn->code & 7];

	if (op == VM_OP_INVALID) {
		/* rows exist for this code, so the discriminating field is wrong */
		for (int i = 0; i < VM_OP__COUNT; i++)
			if (vm_ops[i].code == insn->code)
				return vm_err(err, BS_ERR_INVALID, (long)pc,
					      "%s uses reserved fields: opcode %02x with src_reg=%d "
					      "off=%d imm=%d is not an instruction",
					      cls, insn->code, insn->src_reg, insn->off, insn->imm);
		return vm_err(err, BS_ERR_INVALID, (long)pc, "unknown opcode %02x", insn->code);
	}

	const struct vm_opinfo *info = &vm_ops[op];
	enum vm_form form = (enum vm_form)info->form;
	unsigned used = vm_form_fields[form];
	switch (info->disc) {
	case D_OFF: used |= U_OFF; break;
	case D_IMM: used |= U_IMM; break;
	case D_SRC: used |= U_SRC; break;
	default: break;
	}
	if (!(used & U_DST) && insn->dst_reg)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "%s uses reserved fields: dst_reg=%d",
			      cls, insn->dst_reg);
	if (!(used & U_SRC) && insn->src_reg)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "%s uses reserved fields: src_reg=%d",
			      cls, insn->src_reg);
	if (!(used & U_OFF) && insn->off)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "%s uses reserved fields: off=%d", cls,
			      insn->off);
	if (!(used & U_IMM) && insn->imm)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "%s uses reserved fields: imm=%d", cls,
			      insn->imm);

	/* pseudo sources live in src_reg; only real register operands are checked */
	bool src_is_reg = (vm_form_fields[form] & U_SRC) != 0;
	if ((used & U_DST) && insn->dst_reg >= BS_MAX_REG)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "R%d is invalid", insn->dst_reg);
	if (src_is_reg && insn->src_reg >= BS_MAX_REG)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "R%d is invalid", insn->src_reg);
	if (writes_dst(form) && insn->dst_reg == 10)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "frame pointer is read only");
	if (writes_src(form) && insn->src_reg == 10)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "frame pointer is read only");

	if (form == F_ALU_K)
		return check_alu_imm(insn, (long)pc, err);
	if (form == F_LDDW)
		return check_lddw(prog, n, pc, err);
	return 0;
}
