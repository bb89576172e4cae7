// SPDX-License-Identifier: MIT
/* bpf_trace_printk: the kernel's format rules and return values. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/testutil.h"

static char last[1100];
static int lines;

static void sink(void *user, const char *line)
{
	(void)user;
	snprintf(last, sizeof(last), "%s", line);
	lines++;
}

/* Runs trace_printk(fmt, sizeof fmt (+extra), a1, a2, a3) with fmt on the stack. */
static int64_t printk(const char *fmt, int size_delta, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct bs_insn prog[64];
	size_t n = 0, len = strlen(fmt) + 1, slots = (len + 7) / 8;
	char buf[64] = {0};
	memcpy(buf, fmt, len);
	for (size_t i = 0; i < slots; i++) {
		uint64_t w;
		memcpy(&w, buf + 8 * i, 8);
		prog[n++] = (struct bs_insn)LD_IMM64_LO(1, w);
		prog[n++] = (struct bs_insn)LD_IMM64_HI(w);
		prog[n++] = (struct bs_insn)STX(SZ_DW, 10, 1, (int16_t)(-64 + 8 * (int)i));
	}
	prog[n++] = (struct bs_insn)MOV64_REG(1, 10);
	prog[n++] = (struct bs_insn)ALU64_IMM(0x00, 1, -64);
	prog[n++] = (struct bs_insn)MOV64_IMM(2, (int32_t)len + size_delta);
	prog[n++] = (struct bs_insn)LD_IMM64_LO(3, a1);
	prog[n++] = (struct bs_insn)LD_IMM64_HI(a1);
	prog[n++] = (struct bs_insn)LD_IMM64_LO(4, a2);
	prog[n++] = (struct bs_insn)LD_IMM64_HI(a2);
	prog[n++] = (struct bs_insn)LD_IMM64_LO(5, a3);
	prog[n++] = (struct bs_insn)LD_IMM64_HI(a3);
	prog[n++] = (struct bs_insn)CALL_HELPER(6);
	prog[n++] = (struct bs_insn)EXIT();
	struct bs_vm *vm;
	struct bs_error err;
	struct bs_run_result res;
	struct bs_env env;
	bs_env_default(&env);
	env.trace = sink;
	last[0] = 0;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_helpers_register_env(vm, &env, &err), 0);
	assert_int_equal(bs_vm_load(vm, prog, n, &err), 0);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	bs_vm_free(vm);
	return (int64_t)res.retval;
}

static void test_formats(void **state)
{
	(void)state;
	assert_int_equal(printk("x=%d\n", 0, 5, 0, 0), 4);
	assert_string_equal(last, "x=5\n");
	assert_int_equal(printk("%d %u", 0, 0xffffffffULL, 0xffffffffULL, 0), 13);
	assert_string_equal(last, "-1 4294967295");
	assert_int_equal(printk("%ld %llx", 0, (uint64_t)-2, 0xabcdef0123ULL, 0), 13);
	assert_string_equal(last, "-2 abcdef0123");
	printk("%x %X %i", 0, 0x1234abcd5678ULL, 255, (uint64_t)-7);
	assert_string_equal(last, "abcd5678 FF -7");  /* %x takes the low 32 bits */
	printk("[%5d|%-4u|%08x]", 0, 42, 7, 0xbeef);
	assert_string_equal(last, "[   42|7   |0000beef]");
	printk("%c%c 100%%", 0, 'o', 'k', 0);
	assert_string_equal(last, "ok 100%");
	printk("%lu%lu%lu", 0, 1, 2, 3);
	assert_string_equal(last, "123");
}

static void test_refusals(void **state)
{
	(void)state;
	int before = lines;
	assert_int_equal(printk("%d%d%d%d", 0, 1, 2, 3), -EINVAL);   /* more than 3 args */
	assert_int_equal(printk("%q", 0, 1, 0, 0), -EINVAL);         /* unknown conversion */
	assert_int_equal(printk("%lllx", 0, 1, 0, 0), -EINVAL);      /* too many l */
	assert_int_equal(printk("abc", -1, 0, 0, 0), -EINVAL);       /* no NUL within fmt_size */
	assert_int_equal(printk("a\tb\x01", 0, 0, 0, 0), -EINVAL);   /* not printable */
	assert_int_equal(lines, before);                             /* nothing was traced */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
