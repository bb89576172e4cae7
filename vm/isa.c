// SPDX-License-Identifier: MIT
/* The instruction table expanded into data, and the opcode lookup. */
#include "vm/isa.h"

#include <pthread.h>
#include <stddef.h>

const struct vm_opinfo vm_ops[VM_OP__COUNT] = {
#define BS_OP(NAME, CODE, DISC, DVAL, FORM, MNEM, SYM) \
	[VM_OP_##NAME] = {#NAME, CODE, DISC, DVAL, FORM, MNEM, SYM},
#include "vm/isa.def"
#undef BS_OP
};

const uint8_t vm_form_fields[F__COUNT] = {
	[F_ALU_K] = U_DST | U_IMM,
	[F_ALU_X] = U_DST | U_SRC,
	[F_NEG] = U_DST,
	[F_MOVSX] = U_DST | U_SRC,
	[F_END] = U_DST,
	[F_LDX] = U_DST | U_SRC | U_OFF,
	[F_ST] = U_DST | U_OFF | U_IMM,
	[F_STX] = U_DST | U_SRC | U_OFF,
	[F_ATOMIC] = U_DST | U_SRC | U_OFF,
	[F_ATOMIC_FETCH] = U_DST | U_SRC | U_OFF,
	[F_XCHG] = U_DST | U_SRC | U_OFF,
	[F_CMPXCHG] = U_DST | U_SRC | U_OFF,
	[F_LOAD_ACQ] = U_DST | U_SRC | U_OFF,
	[F_STORE_REL] = U_DST | U_SRC | U_OFF,
	[F_LDDW] = U_DST | U_IMM,
	[F_LD_ABS] = U_IMM,
	[F_LD_IND] = U_SRC | U_IMM,
	[F_JMP_K] = U_DST | U_OFF | U_IMM,
	[F_JMP_X] = U_DST | U_SRC | U_OFF,
	[F_JA] = U_OFF,
	[F_GOTOL] = U_IMM,
	[F_MAY_GOTO] = U_OFF,
	[F_CALL] = U_IMM,
	[F_CALL_LOCAL] = U_IMM,
	[F_CALL_KFUNC] = U_IMM | U_OFF,
	[F_EXIT] = 0,
	[F_ADDR_SPACE_CAST] = U_DST | U_SRC | U_IMM,
};

/* Rows of one opcode byte are contiguous runs in no particular place, so a
 * 256-entry index of first rows is built once. */
static uint16_t first_row[256];
static uint8_t row_count[256];

static void build_index(void)
{
	for (int c = 0; c < 256; c++)
		first_row[c] = VM_OP_INVALID;
	for (int op = 0; op < VM_OP__COUNT; op++) {
		uint8_t c = vm_ops[op].code;
		if (first_row[c] == VM_OP_INVALID)
			first_row[c] = (uint16_t)op;
		row_count[c]++;
	}
}

static int32_t disc_value(const struct bs_insn *insn, enum vm_disc d)
{
	switch (d) {
	case D_OFF: return insn->off;
	case D_IMM: return insn->imm;
	case D_SRC: return insn->src_reg;
	case D_NONE: break;
	}
	return 0;
}

enum vm_op vm_op_lookup(const struct bs_insn *insn)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_index);
	int found = 0;
	for (int op = first_row[insn->code]; op < VM_OP__COUNT && found < row_count[insn->code];
	     op++) {
		const struct vm_opinfo *r = &vm_ops[op];
		if (r->code != insn->code)
			continue;
		found++;
		if (r->disc == D_NONE || disc_value(insn, r->disc) == r->dval)
			return (enum vm_op)op;
	}
	return VM_OP_INVALID;
}
