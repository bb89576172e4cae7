// SPDX-License-Identifier: MIT
/* Test runs of tracing programs. The context is what ctx_in gives:
 *
 *   kprobe          struct pt_regs (x86-64) / user_pt_regs (arm64)
 *   perf_event      struct bpf_perf_event_data: those registers,
 *                   sample_period, addr
 *   tracepoint      the tracepoint's raw record (common fields first)
 *   raw_tracepoint  the tracepoint's arguments, u64 each
 *
 * Linux 6.18's BPF_PROG_TEST_RUN runs only raw tracepoint programs
 * (bpf_prog_test_run_raw_tp, net/bpf/test_run.c), whose rules are followed
 * here exactly; kprobe, tracepoint and perf_event programs it refuses
 * (ENOTSUPP), and bpfstep runs them anyway over the bytes given. No type
 * takes a packet, and none returns data_out or ctx_out: the context is
 * read-only to the program. docs/contexts.md describes each context. */
#include <linux/bpf_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/ctx_access.h"
#include "helpers/run_repeat.h"
#include "helpers/tail_calls.h"
#include "helpers/task_helpers.h"
#include "helpers/trace_run.h"
#include "vm/error.h"

bool hlp_is_trace_type(enum bs_prog_type type)
{
	return type == BS_PROG_KPROBE || type == BS_PROG_TRACEPOINT ||
	       type == BS_PROG_RAW_TRACEPOINT || type == BS_PROG_PERF_EVENT;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The context's bytes for one run, checked as the kernel would. */
static int make_ctx(enum bs_prog_type type, const struct bs_test_run *tr, uint8_t **ctx,
		    size_t *size, struct bs_error *err)
{
	const char *name = bs_prog_type_name(type);
	size_t in = tr->ctx_in ? tr->ctx_size_in : 0;
	size_t want, keep = in;
	switch (type) {
	case BS_PROG_RAW_TRACEPOINT:
		/* bpf_prog_test_run_raw_tp */
		if (tr->repeat)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "a raw_tracepoint test run does not repeat (the kernel: EINVAL)");
		if (in > 8 * HLP_RAW_TP_MAX_ARGS)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in is %zu bytes; a raw tracepoint has at most %d u64 "
				      "arguments, %d bytes (the kernel: EINVAL)", in,
				      HLP_RAW_TP_MAX_ARGS, 8 * HLP_RAW_TP_MAX_ARGS);
		/* all 12 arguments, so that the rule sees every read of
		 * them and can tell one past ctx_in */
		want = 8 * HLP_RAW_TP_MAX_ARGS;
		break;
	case BS_PROG_TRACEPOINT:
		if (in > HLP_TP_MAX_SIZE)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in is %zu bytes; a tracepoint record is at most %d "
				      "(PERF_MAX_TRACE_SIZE)", in, HLP_TP_MAX_SIZE);
		/* the record sits in a buffer of PERF_MAX_TRACE_SIZE the
		 * program may read all of; past the record it reads zeros */
		want = HLP_TP_MAX_SIZE;
		break;
	default:
		want = type == BS_PROG_KPROBE ? sizeof(bpf_user_pt_regs_t)
					      : sizeof(struct bpf_perf_event_data);
		/* as bpf_ctx_init takes a context: zero-extended, and longer
		 * only with zeros past the structure */
		if (in > want && !all_zero((const uint8_t *)tr->ctx_in + want, in - want))
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in is %zu bytes and not all zero past the %s context (%zu "
				      "bytes)", in, name, want);
		if (keep > want)
			keep = want;
		break;
	}
	*ctx = calloc(1, want ? want : 1);
	if (!*ctx)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	if (keep)
		memcpy(*ctx, tr->ctx_in, keep);
	*size = want;
	return 0;
}

int hlp_trace_run(const struct bs_prog *prog, struct bs_maps *maps, struct bs_test_run *tr,
		  struct bs_error *err)
{
	enum bs_prog_type type = bs_prog_type(prog);
	bool raw_tp = type == BS_PROG_RAW_TRACEPOINT;
	if (tr->data_in || tr->data_size_in)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "%s programs take no packet: their context is ctx_in%s",
			      bs_prog_type_name(type), raw_tp ? " (the kernel: EINVAL)" : "");
	/* bpf_prog_test_run: a context pointer and its size come together */
	if (!tr->ctx_in != !tr->ctx_size_in)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "ctx_in %s but ctx_size_in is %zu (the kernel: EINVAL)",
			      tr->ctx_in ? "is given" : "is NULL", tr->ctx_size_in);
	struct bs_env env_default;
	struct bs_env *env = tr->env;
	if (!env) {
		bs_env_default(&env_default);
		env = &env_default;
	}
	uint8_t *ctx = NULL;
	size_t size = 0;
	struct bs_vm *vm = NULL;
	struct hlp_tail_calls *tc = NULL;
	struct hlp_raw_tp_rule raw = {.size_in = (uint32_t)(tr->ctx_in ? tr->ctx_size_in : 0)};
	uint64_t args[5] = {0};
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(prog, &n);
	int rc = -1;
	if (make_ctx(type, tr, &ctx, &size, err))
		return -1;
	if (bs_vm_new(&vm, err))
		goto out;
	bs_vm_set_prog_type(vm, (int)type);
	if (bs_helpers_register_env(vm, env, err) || (maps && bs_maps_attach(maps, vm, err)) ||
	    hlp_register_tracing(vm, env, (int)type, err))
		goto out;
	bs_vm_set_budget(vm, tr->budget ? tr->budget : BS_DEFAULT_BUDGET);
	bs_vm_set_dispatch(vm, tr->dispatch);
	bs_vm_set_engine(vm, tr->engine);
	if (bs_vm_load(vm, insns, n, err) || hlp_tail_calls_setup(vm, prog, maps, &tc, err))
		goto out;
	if (bs_vm_add_region(vm, "ctx", ctx, size, BS_REGION_READ, &args[0], err) ||
	    bs_vm_region_set_access_rule(vm, args[0], hlp_ctx_rule(type), &raw, err))
		goto out;
	rc = hlp_run_repeat(vm, args, tr, err);
	/* the kernel refuses to run a raw tracepoint program that reads an
	 * argument past ctx_in: say so instead of naming the access */
	if (rc && raw.past_input && err->kind == BS_ERR_MEMORY) {
		snprintf(err->message, sizeof(err->message),
			 "the program reads its context at off=%llu size=%u, past the %u bytes of "
			 "ctx_in; the kernel refuses to run it (EINVAL: ctx_size_in is less than "
			 "the program's largest context access)",
			 (unsigned long long)raw.off, raw.size, raw.size_in);
		err->hint[0] = 0;
	}
out:
	if (rc && vm && bs_vm_current_prog(vm))
		hlp_note_tail_called(err, hlp_tail_calls_prog_name(tc, bs_vm_current_prog(vm)));
	bs_maps_detach(maps, vm);
	bs_vm_free(vm);
	hlp_tail_calls_free(tc);
	free(ctx);
	return rc;
}
