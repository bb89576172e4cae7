// SPDX-License-Identifier: MIT
/* The environment and tracing helpers: task ids and name, clocks, the
 * bpf_probe_read family, bpf_snprintf, bpf_trace_vprintk, bpf_strtol /
 * bpf_strtoul, bpf_spin_lock / unlock, and every error path.
 * tests/kernel_helpers.c compares the same helpers with the kernel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers/task_helpers.h"
#include "testutil.h"

static struct bs_env env;
static uint8_t mem[256];
static uint64_t mem_guest;
static char last_line[1100];

static void on_trace(void *user, const char *line)
{
	(void)user;
	snprintf(last_line, sizeof(last_line), "%s", line);
}

/* Runs prog with r1 = mem (256 writable bytes) and the tracing helpers;
 * returns 0 and *r0, or -1 with err. */
static int run(const struct bs_insn *prog, size_t n, int64_t *r0, struct bs_error *err)
{
	struct bs_vm *vm;
	uint64_t args[5] = {0};
	struct bs_run_result res = {0};
	assert_int_equal(bs_vm_new(&vm, err), 0);
	assert_int_equal(bs_helpers_register_env(vm, &env, err), 0);
	assert_int_equal(hlp_register_tracing(vm, &env, 0, err), 0);
	int rc = bs_vm_load(vm, prog, n, err);
	if (!rc)
		rc = bs_vm_add_region(vm, "mem", mem, sizeof(mem), BS_REGION_RW, &args[0], err);
	mem_guest = args[0];
	if (!rc)
		rc = bs_vm_run(vm, args, &res, err);
	*r0 = (int64_t)res.retval;
	bs_vm_free(vm);
	return rc;
}

#define P(...) ((const struct bs_insn[]){__VA_ARGS__}), \
	sizeof((const struct bs_insn[]){__VA_ARGS__}) / sizeof(struct bs_insn)

static int64_t ok(const struct bs_insn *prog, size_t n)
{
	int64_t r0;
	struct bs_error err;
	int rc = run(prog, n, &r0, &err);
	if (rc)
		print_message("error: %s\n", err.message);
	assert_int_equal(rc, 0);
	return r0;
}

static void fails(const struct bs_insn *prog, size_t n, const char *msg)
{
	int64_t r0;
	struct bs_error err;
	assert_int_not_equal(run(prog, n, &r0, &err), 0);
	if (!strstr(err.message, msg))
		print_message("message: %s\n", err.message);
	assert_non_null(strstr(err.message, msg));
}

static int setup(void **state)
{
	(void)state;
	bs_env_default(&env);
	env.trace = on_trace;
	memset(mem, 0, sizeof(mem));
	return 0;
}

static void test_task(void **state)
{
	(void)state;
	env.pid_tgid = 0x0000123400005678ULL;
	env.uid_gid = 0x000003e8000003e9ULL;
	env.numa_node = 3;
	assert_int_equal(ok(P(CALL_HELPER(14), EXIT())), 0x0000123400005678LL);
	assert_int_equal(ok(P(CALL_HELPER(15), EXIT())), 0x000003e8000003e9LL);
	assert_int_equal(ok(P(CALL_HELPER(42), EXIT())), 3);
	assert_int_equal((uint64_t)ok(P(CALL_HELPER(35), EXIT())), HLP_FAKE_TASK);
	assert_int_equal((uint64_t)ok(P(CALL_HELPER(158), EXIT())), HLP_FAKE_TASK);
	/* the task is no memory: dereferencing it faults */
	fails(P(CALL_HELPER(35), LDX(SZ_DW, 0, 0, 0), EXIT()), "not in any region");
}

static void test_defaults(void **state)
{
	(void)state;
	struct bs_env e;
	memset(&e, 0xff, sizeof(e));
	bs_env_default(&e);
	assert_int_equal(e.numa_node, 0);
	assert_int_equal(e.pid_tgid, (4242ULL << 32) | 4242);
	assert_int_equal(e.uid_gid, 0);
	assert_string_equal(e.comm, "bpfstep");
	assert_int_equal(e.comm[15], 0);
}

/* comm("bpfstep-longname") into mem with size */
static void comm_case(uint32_t size, const char *want)
{
	memset(mem, 0xaa, sizeof(mem));
	assert_int_equal(ok(P(MOV64_IMM(2, (int32_t)size), CALL_HELPER(16), EXIT())), 0);
	assert_memory_equal(mem, want, size);
	assert_int_equal(mem[size], 0xaa);
}

static void test_comm(void **state)
{
	(void)state;
	memcpy(env.comm, "bpfstep-longnam", 16);  /* 15 characters and the NUL */
	comm_case(1, "");
	comm_case(4, "bpf");
	comm_case(16, "bpfstep-longnam");
	comm_case(20, "bpfstep-longnam\0\0\0\0");
	memset(env.comm, 0, 16);
	memcpy(env.comm, "ab", 2);
	comm_case(8, "ab\0\0\0\0\0");
	fails(P(MOV64_IMM(2, 0), CALL_HELPER(16), EXIT()), "size 0");
	fails(P(MOV64_IMM(1, 0), MOV64_IMM(2, 4), CALL_HELPER(16), EXIT()), "invalid write");
}

static void test_clocks(void **state)
{
	(void)state;
	env.time_ns = 0;
	/* INITIAL_JIFFIES at time 0, 250 a second */
	assert_int_equal(ok(P(CALL_HELPER(118), EXIT())), 4294892296LL);
	env.time_ns = 2000000000ULL + 3999999;
	assert_int_equal(ok(P(CALL_HELPER(118), EXIT())), 4294892296LL + 500);
	/* jiffies do not advance the clock; tai reads it like ktime */
	env.time_ns = 5000;
	assert_int_equal(ok(P(CALL_HELPER(118), CALL_HELPER(208), EXIT())), 5000);
	assert_int_equal(env.time_ns, 5000 + env.time_step_ns);
}

/* r0 = helper(mem + 0, size, src) where src is mem + off, or an address */
static int64_t probe(int id, uint32_t size, bool in_mem, uint64_t addr)
{
	if (in_mem)
		return ok(P(MOV64_REG(3, 1), ALU64_IMM(0x00, 3, (int32_t)addr),
			    MOV64_IMM(2, (int32_t)size), CALL_HELPER(id), EXIT()));
	return ok(P(LD_IMM64_LO(3, addr), LD_IMM64_HI(addr), MOV64_IMM(2, (int32_t)size),
		    CALL_HELPER(id), EXIT()));
}

static void test_probe_read(void **state)
{
	(void)state;
	/* regions are kernel memory: probe_read_kernel and probe_read read them */
	memcpy(mem + 100, "hello", 6);
	assert_int_equal(probe(113, 6, true, 100), 0);
	assert_string_equal((char *)mem, "hello");
	memset(mem, 0, 8);
	assert_int_equal(probe(4, 5, true, 100), 0);
	assert_memory_equal(mem, "hello", 5);
	/* and user reads of them fault, the destination zeroed */
	assert_int_equal(probe(112, 5, true, 100), -EFAULT);
	assert_memory_equal(mem, "\0\0\0\0\0", 5);
	assert_int_equal(probe(112, 0, true, 100), -EFAULT);
	assert_int_equal(probe(112, 0, false, 0), 0);
	assert_int_equal(probe(112, 4, false, 0), -EFAULT);
	/* user addresses are refused to kernel reads, even for 0 bytes */
	mem[0] = 1;
	assert_int_equal(probe(113, 4, false, 0), -ERANGE);
	assert_int_equal(mem[0], 0);
	assert_int_equal(probe(113, 0, false, 0x1000), -ERANGE);
	assert_int_equal(probe(113, 4, false, 0x8000000000000000ULL), -ERANGE);
	assert_int_equal(probe(113, 4, false, HLP_FAKE_TASK), -EFAULT);
	assert_int_equal(probe(113, 0, false, HLP_FAKE_TASK), 0);
	/* bpf_probe_read: user below TASK_SIZE, kernel above */
	assert_int_equal(probe(4, 4, false, 0), -EFAULT);
	assert_int_equal(probe(4, 4, false, HLP_FAKE_TASK), -EFAULT);
	assert_int_equal(probe(4, 4, false, 0x8000000000000000ULL), -ERANGE);
	/* past a region's end is no region: a user address to the kernel */
	assert_int_equal(probe(113, 8, true, 252), -ERANGE);
}

static void test_probe_read_str(void **state)
{
	(void)state;
	memcpy(mem + 100, "hello", 6);
	for (int id = 45; id <= 115; id += 70) {
		memset(mem, 0xaa, 16);
		assert_int_equal(probe(id, 16, true, 100), 6);
		assert_string_equal((char *)mem, "hello");
		assert_int_equal(mem[6], 0xaa);  /* nothing past the NUL */
		assert_int_equal(probe(id, 3, true, 100), 3);
		assert_memory_equal(mem, "he", 3);
		assert_int_equal(probe(id, 1, true, 100), 1);
		assert_int_equal(mem[0], 0);
		assert_int_equal(probe(id, 0, true, 100), 0);
	}
	assert_int_equal(probe(114, 16, true, 100), -EFAULT);
	assert_int_equal(probe(114, 0, true, 100), 0);
	memset(mem, 0xaa, 16);
	assert_int_equal(probe(115, 16, false, 0), -ERANGE);
	assert_memory_equal(mem, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(probe(115, 16, false, HLP_FAKE_TASK), -EFAULT);
	assert_int_equal(probe(45, 16, false, 0x10), -EFAULT);
	/* a string running into the region's end */
	memset(mem + 250, 'x', 6);
	assert_int_equal(probe(115, 16, true, 250), -EFAULT);
	/* the destination must be writable */
	fails(P(MOV64_IMM(1, 0), MOV64_IMM(2, 4), MOV64_IMM(3, 0), CALL_HELPER(113), EXIT()),
	      "invalid write");
}

/* snprintf(mem + 0, size, mem + 64 (fmt), mem + 144 (args), len) */
static int64_t snp(const char *fmt, uint32_t size, const uint64_t *args, uint32_t len)
{
	memset(mem, 0xaa, 64);
	memset(mem + 64, 0, 80);
	memcpy(mem + 64, fmt, strlen(fmt) + 1);
	if (args)
		memcpy(mem + 144, args, len < 96 ? len : 96);
	return ok(P(MOV64_REG(3, 1), ALU64_IMM(0x00, 3, 64), MOV64_REG(4, 1), ALU64_IMM(0x00, 4, 144),
		    MOV64_IMM(2, (int32_t)size), MOV64_IMM(5, (int32_t)len), CALL_HELPER(165),
		    EXIT()));
}

static void test_snprintf(void **state)
{
	(void)state;
	uint64_t a[12] = {42, (uint64_t)-1, 0xbeef};
	assert_int_equal(snp("n=%d u=%u x=%x", 64, a, 24), 25);
	assert_string_equal((char *)mem, "n=42 u=4294967295 x=beef");
	/* cut to the size, the return value is the whole length plus one */
	assert_int_equal(snp("n=%d u=%u x=%x", 5, a, 24), 25);
	assert_string_equal((char *)mem, "n=42");
	assert_int_equal(mem[5], 0xaa);
	assert_int_equal(snp("abc", 0, NULL, 0), 4);
	assert_int_equal(mem[0], 0xaa);
	/* strings from guest memory; an unreadable one prints nothing */
	memcpy(mem + 240, "str", 4);
	a[0] = mem_guest + 240;
	a[1] = 8;
	assert_int_equal(snp("[%s|%5s|%-4s|%s]", 64, (uint64_t[]){a[0], a[0], a[0], 8}, 32), 18);
	assert_string_equal((char *)mem, "[str|  str|str |]");
	assert_int_equal(snp("%pI4 %pi4", 64, (uint64_t[]){mem_guest + 240, mem_guest + 240}, 16),
			 30);
	assert_string_equal((char *)mem, "115.116.114.0 115.116.114.000");
	assert_int_equal(snp("%px %ps", 64, (uint64_t[]){0x1234, 0x1234}, 16), 24);
	assert_string_equal((char *)mem, "0000000000001234 0x1234");
	/* data_len: a multiple of 8, at most 12 arguments (-EINVAL) */
	assert_int_equal(snp("%d", 64, a, 12), -EINVAL);
	assert_int_equal(snp("%d", 64, a, 104), -EINVAL);
	/* 12 arguments fit */
	uint64_t twelve[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	assert_int_equal(snp("%d%d%d%d%d%d%d%d%d%d%d%d", 64, twelve, 96), 16);
	/* a format the verifier refuses stops the run */
	int64_t r0;
	struct bs_error err;
	memcpy(mem + 64, "%d %d", 6);
	assert_int_not_equal(run(P(MOV64_REG(3, 1), ALU64_IMM(0x00, 3, 64), MOV64_REG(4, 1),
				   MOV64_IMM(2, 8), MOV64_IMM(5, 8), CALL_HELPER(165), EXIT()),
				 &r0, &err), 0);
	assert_non_null(strstr(err.message, "Invalid format string"));
	/* the format must be a NUL-terminated string in the program's memory */
	fails(P(MOV64_IMM(3, 0), MOV64_IMM(2, 8), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
		CALL_HELPER(165), EXIT()), "NUL-terminated");
}

static void test_bprintf_rules(void **state)
{
	(void)state;
	static const struct {
		const char *fmt;
		int64_t ret;
		const char *out;
	} cases[] = {
		{"%%", 2, "%"},
		{"[%05d|%+d|%-3d]", 15, "[-0042|+7|1  ]"},
		{"[% d|%3d]", 10, "[-42|  7]"},
		{"[%d|% d]", 9, "[-42| 7]"},
		{"%lld %llx %lX", 23, "-1 ffffffffffffffff 2A"},
		{"%c%3c", 5, "a  b"},
		{"%q", -EINVAL, NULL},
		{"%.2d", -EINVAL, NULL},
		{"%hd", -EINVAL, NULL},
		{"%#x", -EINVAL, NULL},
		{"%sx", -EINVAL, NULL},
		{"%pa", -EINVAL, NULL},
		{"%pI5", -EINVAL, NULL},
		{"\x01", -EINVAL, NULL},
		{"%d%d%d%d", -EINVAL, NULL},  /* more conversions than arguments */
		{"%pxab.", 18, "0000000000000000."}, /* letters after %p are eaten */
	};
	uint64_t args[3] = {(uint64_t)-42, 7, 1};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t *a = args;
		uint64_t other[3] = {(uint64_t)-1, (uint64_t)-1, 42};
		uint64_t chars[3] = {'a', 'b', 0};
		if (strstr(cases[i].fmt, "ll"))
			a = other;
		if (strchr(cases[i].fmt, 'c'))
			a = chars;
		uint64_t zero[3] = {0};
		if (strstr(cases[i].fmt, "%px"))
			a = zero;
		/* bpf_trace_printk: 3 arguments in registers */
		size_t len = strlen(cases[i].fmt) + 1;
		memset(mem, 0, sizeof(mem));
		memcpy(mem, cases[i].fmt, len);
		last_line[0] = 0;
		int64_t r = ok(P(MOV64_IMM(2, (int32_t)len), LD_IMM64_LO(3, a[0]), LD_IMM64_HI(a[0]),
				 LD_IMM64_LO(4, a[1]), LD_IMM64_HI(a[1]), LD_IMM64_LO(5, a[2]),
				 LD_IMM64_HI(a[2]), CALL_HELPER(6), EXIT()));
		int64_t want = cases[i].ret < 0 ? cases[i].ret : cases[i].ret - 1;
		if (r != want)
			print_message("%s: %lld\n", cases[i].fmt, (long long)r);
		assert_int_equal(r, want);
		if (cases[i].out)
			assert_string_equal(last_line, cases[i].out);
	}
}

static void test_trace_vprintk(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	memcpy(mem, "%d-%d-%d-%d", 12);
	uint64_t a[4] = {1, 2, 3, 4};
	memcpy(mem + 64, a, sizeof(a));
	last_line[0] = 0;
	assert_int_equal(ok(P(MOV64_IMM(2, 12), MOV64_REG(3, 1), ALU64_IMM(0x00, 3, 64),
			      MOV64_IMM(4, 32), CALL_HELPER(177), EXIT())), 7);
	assert_string_equal(last_line, "1-2-3-4");
	assert_int_equal(ok(P(MOV64_IMM(2, 12), MOV64_REG(3, 1), ALU64_IMM(0x00, 3, 64),
			      MOV64_IMM(4, 20), CALL_HELPER(177), EXIT())), -EINVAL);
	assert_int_equal(ok(P(MOV64_IMM(2, 12), MOV64_REG(3, 1), MOV64_IMM(4, 24),
			      CALL_HELPER(177), EXIT())), -EINVAL);  /* %d without an argument */
	fails(P(MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL_HELPER(177), EXIT()),
	      "fmt_size 0");
}

/* r0 = strtol/strtoul(mem + 8, len, flags, mem + 0); *res in mem[0..8] */
static int64_t strtox(int id, const char *s, uint32_t len, uint64_t flags, int64_t *res)
{
	memset(mem, 0xaa, 8);
	memset(mem + 8, 0, 100);
	memcpy(mem + 8, s, strlen(s));
	int64_t r = ok(P(MOV64_REG(4, 1), MOV64_REG(1, 4), ALU64_IMM(0x00, 1, 8),
			 MOV64_IMM(2, (int32_t)len), LD_IMM64_LO(3, flags), LD_IMM64_HI(flags),
			 CALL_HELPER(id), EXIT()));
	memcpy(res, mem, 8);
	return r;
}

static void test_strtox(void **state)
{
	(void)state;
	static const struct {
		int id;
		const char *s;
		uint64_t flags;
		int64_t ret, res;
	} cases[] = {
		{105, "123", 0, 3, 123},
		{105, "  -42z", 0, 5, -42},
		{105, "\t\n7", 10, 3, 7},
		{105, "0x1f", 0, 4, 31},
		{105, "0x1f", 16, 4, 31},
		{105, "0x", 16, -EINVAL, 0},
		{105, "0xg", 0, 1, 0},
		{105, "017", 0, 3, 15},
		{105, "08", 0, 1, 0},
		{105, "ff", 16, 2, 255},
		{105, "+5", 0, -EINVAL, 0},
		{105, "-", 0, -EINVAL, 0},
		{105, " ", 0, -EINVAL, 0},
		{105, "--1", 0, -EINVAL, 0},
		{105, "5", 2, -EINVAL, 0},
		{105, "5", 0x20, -EINVAL, 0},
		{105, "9223372036854775807", 0, 19, INT64_MAX},
		{105, "9223372036854775808", 0, -ERANGE, 0},
		{105, "-9223372036854775808", 0, 20, INT64_MIN},
		{105, "-9223372036854775809", 0, -ERANGE, 0},
		{105, "18446744073709551616", 0, -ERANGE, 0},
		{105, "\2405", 0, 2, 5},
		{106, "18446744073709551615", 0, 20, -1},
		{106, "-1", 0, -EINVAL, 0},
		{106, "42 ", 0, 2, 42},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t res;
		int64_t r = strtox(cases[i].id, cases[i].s, (uint32_t)strlen(cases[i].s),
				   cases[i].flags, &res);
		if (r != cases[i].ret || res != cases[i].res)
			print_message("'%s': %lld %lld\n", cases[i].s, (long long)r, (long long)res);
		assert_int_equal(r, cases[i].ret);
		assert_int_equal(res, cases[i].res);
	}
	/* buf_len limits the string; 63 characters after the sign are parsed */
	int64_t res;
	assert_int_equal(strtox(105, "12345", 2, 0, &res), 2);
	assert_int_equal(res, 12);
	char zeros[80];
	memset(zeros, '0', 70);
	zeros[70] = '7';
	zeros[71] = 0;
	assert_int_equal(strtox(105, zeros, 71, 10, &res), 63);
	assert_int_equal(res, 0);
	fails(P(MOV64_REG(4, 1), MOV64_IMM(2, 0), MOV64_IMM(3, 0), CALL_HELPER(105), EXIT()),
	      "buf_len 0");
	fails(P(MOV64_IMM(4, 0), MOV64_IMM(2, 1), MOV64_IMM(3, 0), CALL_HELPER(106), EXIT()),
	      "invalid write");
}

static void test_spin_lock(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	/* lock, read the word, unlock */
	assert_int_equal(ok(P(MOV64_REG(6, 1), CALL_HELPER(93), LDX(SZ_W, 7, 6, 0), MOV64_REG(1, 6),
			      CALL_HELPER(94), LDX(SZ_W, 0, 6, 0), ALU64_IMM(0x60, 7, 8),
			      ALU64_REG(0x40, 0, 7), EXIT())), 0x100);
	fails(P(MOV64_REG(6, 1), CALL_HELPER(93), MOV64_REG(1, 6), CALL_HELPER(93), EXIT()),
	      "already held");
	memset(mem, 0, 4);
	fails(P(CALL_HELPER(94), EXIT()), "not held");
	fails(P(ALU64_IMM(0x00, 1, 2), CALL_HELPER(93), EXIT()), "4-byte aligned");
	fails(P(MOV64_IMM(1, 0), CALL_HELPER(93), EXIT()), "invalid write");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_task, setup),
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_comm, setup),
		cmocka_unit_test_setup(test_clocks, setup),
		cmocka_unit_test_setup(test_probe_read, setup),
		cmocka_unit_test_setup(test_probe_read_str, setup),
		cmocka_unit_test_setup(test_snprintf, setup),
		cmocka_unit_test_setup(test_bprintf_rules, setup),
		cmocka_unit_test_setup(test_trace_vprintk, setup),
		cmocka_unit_test_setup(test_strtox, setup),
		cmocka_unit_test_setup(test_spin_lock, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
