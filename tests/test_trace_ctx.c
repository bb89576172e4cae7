// SPDX-License-Identifier: MIT
/* Tracing contexts (kprobe, tracepoint, raw_tracepoint, perf_event) run
 * through bs_test_run, the verifier-worded context access errors of every
 * context, raw programs (bs_prog_new_raw, bs_prog_type_by_name), the
 * loader's words for helpers a type lacks, and the custom-helper example of
 * docs/helpers.md. tests/kernel_helpers.c compares the access rules and raw
 * tracepoint runs with the kernel. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define P(...) ((const struct bs_insn[]){__VA_ARGS__}), \
	sizeof((const struct bs_insn[]){__VA_ARGS__}) / sizeof(struct bs_insn)

/* Runs insns as type with ctx_in (and data_in); 0 and *ret, or -1 / err. */
static int run_as(enum bs_prog_type type, const struct bs_insn *insns, size_t n, const void *ctx,
		  size_t ctx_size, const void *data, size_t data_size, uint64_t *ret,
		  struct bs_error *err)
{
	struct bs_prog *prog;
	assert_int_equal(bs_prog_new_raw(insns, n, type, NULL, &prog, err), 0);
	assert_null(bs_prog_object(prog));
	struct bs_test_run tr;
	memset(&tr, 0, sizeof(tr));
	tr.ctx_in = ctx;
	tr.ctx_size_in = ctx_size;
	tr.data_in = data;
	tr.data_size_in = data_size;
	int rc = bs_test_run(prog, NULL, &tr, err);
	*ret = tr.retval;
	free(tr.data_out);
	free(tr.ctx_out);
	bs_prog_free(prog);
	return rc;
}

static void expect_error(enum bs_prog_type type, const struct bs_insn *insns, size_t n,
			 const void *ctx, size_t ctx_size, const char *msg)
{
	uint64_t ret;
	struct bs_error err;
	static uint8_t pkt[64];
	bool packet = type == BS_PROG_XDP || type == BS_PROG_SOCKET_FILTER ||
		      type == BS_PROG_SCHED_CLS || type == BS_PROG_CGROUP_SKB;
	int rc = run_as(type, insns, n, ctx, ctx_size, packet ? pkt : NULL, packet ? 64 : 0, &ret,
			&err);
	if (!rc || !strstr(err.message, msg))
		print_message("got: %s\n", rc ? err.message : "ran");
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(err.message, msg));
}

static uint64_t expect_ok(enum bs_prog_type type, const struct bs_insn *insns, size_t n,
			  const void *ctx, size_t ctx_size)
{
	uint64_t ret;
	struct bs_error err;
	int rc = run_as(type, insns, n, ctx, ctx_size, NULL, 0, &ret, &err);
	if (rc)
		print_message("error: %s\n", err.message);
	assert_int_equal(rc, 0);
	return ret;
}

static void test_kprobe(void **state)
{
	(void)state;
	bpf_user_pt_regs_t regs;
	memset(&regs, 0, sizeof(regs));
#if defined(__x86_64__)
	regs.rdi = 0x1234;
	int off = offsetof(bpf_user_pt_regs_t, rdi);
#else
	regs.regs[0] = 0x1234;
	int off = offsetof(bpf_user_pt_regs_t, regs);
#endif
	assert_int_equal(expect_ok(BS_PROG_KPROBE, P(LDX(SZ_DW, 0, 1, off), EXIT()), &regs,
				   sizeof(regs)), 0x1234);
	/* narrow aligned reads are fine */
	assert_int_equal(expect_ok(BS_PROG_KPROBE, P(LDX(SZ_B, 0, 1, off + 1), EXIT()), &regs,
				   sizeof(regs)), 0x12);
	/* ctx_in shorter than pt_regs is zero-extended; no ctx_in is all zeros */
	assert_int_equal(expect_ok(BS_PROG_KPROBE, P(LDX(SZ_DW, 0, 1, off), EXIT()), NULL, 0), 0);
	char msg[64];
	snprintf(msg, sizeof(msg), "invalid bpf_context access off=%zu size=8",
		 sizeof(bpf_user_pt_regs_t));
	expect_error(BS_PROG_KPROBE, P(LDX(SZ_DW, 0, 1, (int)sizeof(regs)), EXIT()), NULL, 0, msg);
	expect_error(BS_PROG_KPROBE, P(LDX(SZ_W, 0, 1, 2), EXIT()), NULL, 0,
		     "invalid bpf_context access off=2 size=4");
	expect_error(BS_PROG_KPROBE, P(MOV64_IMM(2, 1), STX(SZ_DW, 1, 2, 0), EXIT()), NULL, 0,
		     "invalid bpf_context access off=0 size=8");
	expect_error(BS_PROG_KPROBE, P(LDX(SZ_DW, 0, 1, -8), EXIT()), NULL, 0,
		     "invalid bpf_context access off=-8 size=8");
	/* kprobe programs take no packet; a longer ctx_in must be zeros past it */
	uint64_t ret;
	struct bs_error err;
	uint8_t big[sizeof(regs) + 8] = {0};
	assert_int_not_equal(run_as(BS_PROG_KPROBE, P(MOV64_IMM(0, 0), EXIT()), NULL, 0, big, 20,
				    &ret, &err), 0);
	assert_non_null(strstr(err.message, "take no packet"));
	assert_int_equal(expect_ok(BS_PROG_KPROBE, P(MOV64_IMM(0, 7), EXIT()), big, sizeof(big)), 7);
	big[sizeof(regs) + 3] = 1;
	expect_error(BS_PROG_KPROBE, P(MOV64_IMM(0, 7), EXIT()), big, sizeof(big), "not all zero");
	/* the tracing helpers are there: bpf_get_current_pid_tgid */
	assert_int_equal(expect_ok(BS_PROG_KPROBE, P(CALL_HELPER(14), EXIT()), NULL, 0),
			 (uint32_t)((4242ULL << 32) | 4242));
}

static void test_tracepoint(void **state)
{
	(void)state;
	uint8_t rec[24];
	for (int i = 0; i < 24; i++)
		rec[i] = (uint8_t)(i + 1);
	assert_int_equal(expect_ok(BS_PROG_TRACEPOINT, P(LDX(SZ_W, 0, 1, 8), EXIT()), rec, 24),
			 0x0c0b0a09);
	/* past the record: zeros up to PERF_MAX_TRACE_SIZE */
	assert_int_equal(expect_ok(BS_PROG_TRACEPOINT, P(LDX(SZ_DW, 0, 1, 8184), EXIT()), rec, 24),
			 0);
	expect_error(BS_PROG_TRACEPOINT, P(LDX(SZ_W, 0, 1, 4), EXIT()), rec, 24,
		     "invalid bpf_context access off=4 size=4");
	expect_error(BS_PROG_TRACEPOINT, P(LDX(SZ_W, 0, 1, 8192), EXIT()), rec, 24,
		     "invalid bpf_context access off=8192 size=4");
	expect_error(BS_PROG_TRACEPOINT, P(MOV64_IMM(2, 0), STX(SZ_W, 1, 2, 8), EXIT()), rec, 24,
		     "invalid bpf_context access off=8 size=4");
	uint8_t *huge = calloc(1, 8200);
	expect_error(BS_PROG_TRACEPOINT, P(MOV64_IMM(0, 0), EXIT()), huge, 8200, "at most 8192");
	free(huge);
}

static void test_raw_tracepoint(void **state)
{
	(void)state;
	uint64_t args[12] = {11, 22, 33};
	assert_int_equal(expect_ok(BS_PROG_RAW_TRACEPOINT, P(LDX(SZ_DW, 0, 1, 8), EXIT()), args, 16),
			 22);
	expect_error(BS_PROG_RAW_TRACEPOINT, P(LDX(SZ_DW, 0, 1, 16), EXIT()), args, 16,
		     "past the 16 bytes of ctx_in");
	expect_error(BS_PROG_RAW_TRACEPOINT, P(LDX(SZ_DW, 0, 1, 0), EXIT()), NULL, 0,
		     "past the 0 bytes of ctx_in");
	expect_error(BS_PROG_RAW_TRACEPOINT, P(LDX(SZ_DW, 0, 1, 96), EXIT()), args, 96,
		     "invalid bpf_context access off=96 size=8");
	expect_error(BS_PROG_RAW_TRACEPOINT, P(LDX(SZ_W, 0, 1, 2), EXIT()), args, 96,
		     "invalid bpf_context access off=2 size=4");
	uint64_t more[13] = {0};
	expect_error(BS_PROG_RAW_TRACEPOINT, P(MOV64_IMM(0, 0), EXIT()), more, sizeof(more),
		     "at most 12 u64");
	expect_error(BS_PROG_RAW_TRACEPOINT, P(MOV64_IMM(0, 0), EXIT()), args, 0,
		     "ctx_in is given but ctx_size_in is 0");
	expect_error(BS_PROG_RAW_TRACEPOINT, P(MOV64_IMM(0, 0), EXIT()), NULL, 8,
		     "ctx_in is NULL");
	/* data_in and repeat are refused */
	uint64_t ret;
	struct bs_error err;
	uint8_t pkt[14] = {0};
	assert_int_not_equal(run_as(BS_PROG_RAW_TRACEPOINT, P(MOV64_IMM(0, 0), EXIT()), NULL, 0, pkt,
				    14, &ret, &err), 0);
	assert_non_null(strstr(err.message, "EINVAL"));
	struct bs_prog *prog;
	assert_int_equal(bs_prog_new_raw(P(MOV64_IMM(0, 0), EXIT()), BS_PROG_RAW_TRACEPOINT, "r",
					 &prog, &err), 0);
	struct bs_test_run tr;
	memset(&tr, 0, sizeof(tr));
	tr.repeat = 2;
	assert_int_not_equal(bs_test_run(prog, NULL, &tr, &err), 0);
	assert_non_null(strstr(err.message, "does not repeat"));
	bs_prog_free(prog);
}

static void test_perf_event(void **state)
{
	(void)state;
	struct bpf_perf_event_data pe;
	memset(&pe, 0, sizeof(pe));
	pe.sample_period = 0x1122334455667788ULL;
	pe.addr = 99;
	int sp = offsetof(struct bpf_perf_event_data, sample_period);
	assert_int_equal(expect_ok(BS_PROG_PERF_EVENT, P(LDX(SZ_W, 0, 1, sp + 4), EXIT()), &pe,
				   sizeof(pe)), 0x11223344);
	assert_int_equal(expect_ok(BS_PROG_PERF_EVENT,
				   P(LDX(SZ_DW, 0, 1, offsetof(struct bpf_perf_event_data, addr)),
				     EXIT()), &pe, sizeof(pe)), 99);
	expect_error(BS_PROG_PERF_EVENT, P(LDX(SZ_W, 0, 1, 0), EXIT()), &pe, sizeof(pe),
		     "invalid bpf_context access off=0 size=4");
}

static void test_packet_ctx_rules(void **state)
{
	(void)state;
	/* xdp_md: 4-byte reads only, read-only, no egress_ifindex */
	expect_error(BS_PROG_XDP, P(LDX(SZ_H, 0, 1, 4), EXIT()), NULL, 0,
		     "invalid bpf_context access off=4 size=2");
	expect_error(BS_PROG_XDP, P(MOV64_IMM(2, 0), STX(SZ_W, 1, 2, 12), EXIT()), NULL, 0,
		     "invalid bpf_context access off=12 size=4");
	expect_error(BS_PROG_XDP, P(LDX(SZ_W, 0, 1, 20), EXIT()), NULL, 0,
		     "invalid bpf_context access off=20 size=4");
	expect_error(BS_PROG_XDP, P(LDX(SZ_W, 0, 1, 24), EXIT()), NULL, 0,
		     "invalid bpf_context access off=24 size=4");
	/* __sk_buff: socket filters write only cb; tc writes mark */
	expect_error(BS_PROG_SOCKET_FILTER, P(MOV64_IMM(2, 0), STX(SZ_W, 1, 2, 8), EXIT()), NULL, 0,
		     "invalid bpf_context access off=8 size=4");
	expect_error(BS_PROG_SCHED_CLS, P(MOV64_IMM(2, 0), STX(SZ_W, 1, 2, 0), EXIT()), NULL, 0,
		     "invalid bpf_context access off=0 size=4");
	expect_error(BS_PROG_SCHED_CLS, P(LDX(SZ_W, 0, 1, 152), EXIT()), NULL, 0,
		     "invalid bpf_context access off=152 size=4");
	expect_error(BS_PROG_SCHED_CLS, P(LDX(SZ_W, 0, 1, 192), EXIT()), NULL, 0,
		     "invalid bpf_context access off=192 size=4");
	uint64_t ret;
	struct bs_error err;
	uint8_t pkt[64] = {0};
	assert_int_equal(run_as(BS_PROG_SCHED_CLS,
				P(MOV64_IMM(2, 7), STX(SZ_W, 1, 2, 8), LDX(SZ_B, 0, 1, 8), EXIT()),
				NULL, 0, pkt, 64, &ret, &err), 0);
	assert_int_equal(ret, 7);
	assert_int_equal(run_as(BS_PROG_SOCKET_FILTER,
				P(MOV64_IMM(2, 5), STX(SZ_H, 1, 2, 48), LDX(SZ_W, 0, 1, 48), EXIT()),
				NULL, 0, pkt, 64, &ret, &err), 0);
	assert_int_equal(ret, 5);
}

static void test_raw_progs(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum bs_prog_type type;
	} names[] = {
		{"socket_filter", BS_PROG_SOCKET_FILTER}, {"kprobe", BS_PROG_KPROBE},
		{"sched_cls", BS_PROG_SCHED_CLS},         {"tracepoint", BS_PROG_TRACEPOINT},
		{"xdp", BS_PROG_XDP},                     {"perf_event", BS_PROG_PERF_EVENT},
		{"raw_tracepoint", BS_PROG_RAW_TRACEPOINT}, {"netfilter", BS_PROG_NETFILTER},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum bs_prog_type t = BS_PROG_UNSPEC;
		assert_int_equal(bs_prog_type_by_name(names[i].name, &t), 0);
		assert_int_equal(t, names[i].type);
	}
	enum bs_prog_type t;
	assert_int_equal(bs_prog_type_by_name("unspec", &t), -1);
	assert_int_equal(bs_prog_type_by_name("tc", &t), -1);
	assert_int_equal(bs_prog_type_by_name(NULL, &t), -1);
	struct bs_prog *p;
	struct bs_error err;
	struct bs_insn two[] = {MOV64_IMM(0, 3), EXIT()};
	assert_int_equal(bs_prog_new_raw(two, 2, BS_PROG_XDP, "mine", &p, &err), 0);
	two[0].imm = 9;  /* copied */
	size_t n;
	assert_int_equal(bs_prog_insns(p, &n)[0].imm, 3);
	assert_int_equal(n, 2);
	assert_string_equal(bs_prog_name(p), "mine");
	assert_string_equal(bs_prog_section(p), "");
	assert_int_equal(bs_prog_type(p), BS_PROG_XDP);
	assert_int_equal(bs_prog_func_count(p), 1);
	assert_null(bs_prog_object(p));
	bs_prog_free(p);
	bs_prog_free(NULL);
	assert_int_equal(bs_prog_new_raw(two, 0, BS_PROG_XDP, NULL, &p, &err), -1);
	assert_null(p);
	assert_int_equal(bs_prog_new_raw(two, 2, (enum bs_prog_type)77, NULL, &p, &err), -1);
}

static void test_helper_words(void **state)
{
	(void)state;
	/* the kernel gives xdp no bpf_probe_read; kprobe has bpf_get_stackid,
	 * which bpfstep does not emulate */
	expect_error(BS_PROG_XDP, P(CALL_HELPER(4), EXIT()), NULL, 0,
		     "program of this type cannot use helper bpf_probe_read#4");
	expect_error(BS_PROG_KPROBE, P(CALL_HELPER(27), EXIT()), NULL, 0,
		     "helper bpf_get_stackid#27 is not emulated");
	expect_error(BS_PROG_SOCKET_FILTER, P(CALL_HELPER(4), EXIT()), NULL, 0,
		     "program of this type cannot use helper bpf_probe_read#4");
	/* the kernel gives socket filters bpf_get_current_uid_gid: so does bpfstep */
	uint64_t ret;
	struct bs_error e;
	uint8_t pkt[64] = {0};
	assert_int_equal(run_as(BS_PROG_SOCKET_FILTER, P(CALL_HELPER(15), ALU64_IMM(0x00, 0, 1), EXIT()),
				NULL, 0, pkt, 64, &ret, &e), 0);
	assert_int_equal(ret, 1);
	expect_error(BS_PROG_KPROBE, P(CALL_HELPER(9999), EXIT()), NULL, 0, "invalid func unknown#9999");
	/* without a type: never "cannot use" */
	struct bs_vm *vm;
	struct bs_error err;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_not_equal(bs_vm_load(vm, P(CALL_HELPER(4), EXIT()), &err), 0);
	assert_non_null(strstr(err.message, "helper bpf_probe_read#4 is not emulated"));
	bs_vm_set_prog_type(vm, BS_PROG_SOCKET_FILTER);
	assert_int_not_equal(bs_vm_load(vm, P(CALL_HELPER(4), EXIT()), &err), 0);
	assert_non_null(strstr(err.message, "cannot use helper"));
	bs_vm_free(vm);
}

/* The custom helper of docs/helpers.md: helper 9 (bpf_skb_store_bytes's
 * id, whatever the program means by it) returns r1 + r2. */
static int my_add(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		  void *user)
{
	(void)vm, (void)err;
	*r0 = args[0] + args[1] + *(uint64_t *)user;
	return 0;
}

static void test_custom_helper(void **state)
{
	(void)state;
	struct bs_vm *vm;
	struct bs_error err;
	uint64_t bias = 100;
	struct bs_run_result res;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_set_helper(vm, 9, "my_add", my_add, &bias, &err), 0);
	assert_int_equal(bs_vm_load(vm, P(MOV64_IMM(1, 2), MOV64_IMM(2, 3), CALL_HELPER(9), EXIT()),
				    &err), 0);
	assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
	assert_int_equal(res.retval, 105);
	bs_vm_free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kprobe),
		cmocka_unit_test(test_tracepoint),
		cmocka_unit_test(test_raw_tracepoint),
		cmocka_unit_test(test_perf_event),
		cmocka_unit_test(test_packet_ctx_rules),
		cmocka_unit_test(test_raw_progs),
		cmocka_unit_test(test_helper_words),
		cmocka_unit_test(test_custom_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
