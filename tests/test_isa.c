// SPDX-License-Identifier: MIT
/* The instruction table: unique rows, lookups that find them, and the
 * decoder's reserved-field checks for every opcode byte. */
#include <stdio.h>
#include <string.h>

#include "tests/testutil.h"
#include "vm/isa.h"

/* An instruction that matches row op, with its used fields set. */
static struct bs_insn encode_row(int op)
{
	const struct vm_opinfo *r = &vm_ops[op];
	struct bs_insn i = {.code = r->code};
	unsigned used = vm_form_fields[r->form];
	if (used & U_DST)
		i.dst_reg = 1;
	if (used & U_SRC)
		i.src_reg = 2;
	if (used & U_OFF)
		i.off = 1;
	if (used & U_IMM)
		i.imm = 1;
	switch (r->disc) {
	case D_OFF: i.off = (int16_t)r->dval; break;
	case D_IMM: i.imm = r->dval; break;
	case D_SRC: i.src_reg = (uint8_t)r->dval; break;
	default: break;
	}
	return i;
}

static void test_rows_are_unique_and_found(void **state)
{
	(void)state;
	for (int a = 0; a < VM_OP__COUNT; a++) {
		struct bs_insn i = encode_row(a);
		assert_int_equal(vm_op_lookup(&i), a);
		assert_non_null(vm_ops[a].mnem);
		assert_true(strlen(vm_ops[a].mnem) > 0);
		for (int b = a + 1; b < VM_OP__COUNT; b++)
			if (vm_ops[a].code == vm_ops[b].code) {
				/* rows that share a code must differ in one field's value */
				assert_int_equal(vm_ops[a].disc, vm_ops[b].disc);
				assert_int_not_equal(vm_ops[a].dval, vm_ops[b].dval);
			}
	}
}

static void test_every_row_passes_the_check(void **state)
{
	(void)state;
	for (int op = 0; op < VM_OP__COUNT; op++) {
		struct bs_insn prog[2] = {encode_row(op), {0}};
		struct bs_error err;
		if (vm_ops[op].form == F_LDDW)
			prog[0].dst_reg = 1;
		if (bs_insn_check(prog, 2, 0, &err)) {
			printf("row %s: %s\n", vm_ops[op].name, err.message);
			fail();
		}
	}
}

/* Flip each field a form does not use: the check must refuse it. */
static void test_reserved_fields_are_refused(void **state)
{
	(void)state;
	int checked = 0;
	for (int op = 0; op < VM_OP__COUNT; op++) {
		const struct vm_opinfo *r = &vm_ops[op];
		unsigned used = vm_form_fields[r->form];
		for (unsigned f = U_DST; f <= U_IMM; f <<= 1) {
			if (used & f)
				continue;
			if ((f == U_OFF && r->disc == D_OFF) || (f == U_IMM && r->disc == D_IMM) ||
			    (f == U_SRC && r->disc == D_SRC))
				continue;
			struct bs_insn prog[2] = {encode_row(op), {0}};
			if (f == U_DST) prog[0].dst_reg = 3;
			if (f == U_SRC) prog[0].src_reg = 3;
			if (f == U_OFF) prog[0].off = 3;
			if (f == U_IMM) prog[0].imm = 3;
			struct bs_error err;
			if (bs_insn_check(prog, 2, 0, &err) == 0 || err.kind != BS_ERR_INVALID) {
				printf("row %s accepted a reserved field %u\n", r->name, f);
				fail();
			}
			checked++;
		}
	}
	assert_true(checked > 100);
}

/* Every opcode byte without a row is "unknown opcode", like the kernel says. */
static void test_unknown_opcodes(void **state)
{
	(void)state;
	int known = 0;
	for (int c = 0; c < 256; c++) {
		bool has_row = false;
		for (int op = 0; op < VM_OP__COUNT; op++)
			has_row |= vm_ops[op].code == c;
		struct bs_insn prog[2] = {{.code = (uint8_t)c}, {0}};
		struct bs_error err;
		int rc = bs_insn_check(prog, 2, 0, &err);
		if (!has_row) {
			assert_int_not_equal(rc, 0);
			char want[32];
			snprintf(want, sizeof(want), "unknown opcode %02x", c);
			assert_string_equal(err.message, want);
			assert_int_equal(err.pc, 0);
		} else {
			known++;
		}
	}
	/* ALU: 12 ops x K/X x 32/64 + neg32/64 + le/be/bswap = 53; LDX 4 + MEMSX 3;
	 * ST 4; STX 4; atomics 4 sizes; lddw + LD_ABS 3 + LD_IND 3 = 7;
	 * JMP/JMP32: 11 conditions x K/X x 2 = 44 + ja, gotol, call, exit, may_goto */
	assert_int_equal(known, 53 + 7 + 4 + 4 + 4 + 7 + 49);
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(vm_size_bytes(0x61), 4);
	assert_int_equal(vm_size_bytes(0x69), 2);
	assert_int_equal(vm_size_bytes(0x71), 1);
	assert_int_equal(vm_size_bytes(0x79), 8);
	struct bs_insn lddw = {.code = 0x18};
	struct bs_insn mov = {.code = 0xb7};
	assert_int_equal(bs_insn_slots(&lddw), 2);
	assert_int_equal(bs_insn_slots(&mov), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_are_unique_and_found),
		cmocka_unit_test(test_every_row_passes_the_check),
		cmocka_unit_test(test_reserved_fields_are_refused),
		cmocka_unit_test(test_unknown_opcodes),
		cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
