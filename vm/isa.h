/* SPDX-License-Identifier: MIT */
/* Private view of the instruction table (vm/isa.def). */
#ifndef BS_VM_ISA_H
#define BS_VM_ISA_H

#include <stdint.h>

#include "bpfstep/insn.h"

#define BS_HIDDEN __attribute__((visibility("hidden")))

/* Which field separates rows that share an opcode byte. */
enum vm_disc { D_NONE, D_OFF, D_IMM, D_SRC };

/* Operand forms. Each says which fields an instruction uses; the rest are
 * reserved and must be zero. */
enum vm_form {
	F_ALU_K, F_ALU_X, F_NEG, F_MOVSX, F_END,
	F_LDX, F_ST, F_STX,
	F_ATOMIC, F_ATOMIC_FETCH, F_XCHG, F_CMPXCHG, F_LOAD_ACQ, F_STORE_REL,
	F_LDDW, F_LD_ABS, F_LD_IND,
	F_JMP_K, F_JMP_X, F_JA, F_GOTOL, F_MAY_GOTO,
	F_CALL, F_CALL_LOCAL, F_CALL_KFUNC, F_EXIT, F_ADDR_SPACE_CAST,
	F__COUNT
};

enum vm_field {
	U_DST = 1u << 0,
	U_SRC = 1u << 1,
	U_OFF = 1u << 2,
	U_IMM = 1u << 3,
};

enum vm_op {
#define BS_OP(NAME, CODE, DISC, DVAL, FORM, MNEM, SYM) VM_OP_##NAME,
#include "vm/isa.def"
#undef BS_OP
	VM_OP__COUNT,
	VM_OP_INVALID = VM_OP__COUNT,
};

struct vm_opinfo {
	const char *name;  /* "ADD32_K" */
	uint8_t code;
	uint8_t disc;      /* enum vm_disc */
	int32_t dval;
	uint8_t form;      /* enum vm_form */
	const char *mnem;  /* conformance dialect: "add32" */
	const char *sym;   /* kernel syntax: "+=", "u32", "(s8)" */
};

BS_HIDDEN extern const struct vm_opinfo vm_ops[VM_OP__COUNT];

/* Fields used by each form (enum vm_field bits). */
BS_HIDDEN extern const uint8_t vm_form_fields[F__COUNT];

/* The row for an instruction, or VM_OP_INVALID. Looks only at code and the
 * discriminating field, not at reserved fields (bs_insn_check does). */
BS_HIDDEN enum vm_op vm_op_lookup(const struct bs_insn *insn);

static inline int vm_op_is_alu32(enum vm_op op)
{
	return (vm_ops[op].code & 0x07) == 0x04;
}

static inline int vm_op_is_jmp32(enum vm_op op)
{
	return (vm_ops[op].code & 0x07) == 0x06;
}

/* Access size in bytes of a load/store/atomic opcode. */
static inline unsigned vm_size_bytes(uint8_t code)
{
	static const unsigned sz[4] = {4, 2, 1, 8};
	return sz[(code >> 3) & 3];
}

#endif
