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

/* The context of a tracing program over the runs of a runner: one buffer of
 * the type's size, registered once; each run copies its ctx_in over the
 * part the run before filled (the program cannot write it). */
struct hlp_trace {
	enum bs_prog_type type;
	uint8_t *ctx;
	size_t size;   /* what the program may read */
	size_t dirty;  /* bytes from the start the last run's ctx_in set */
	uint64_t guest;
	struct hlp_raw_tp_rule raw;
};

/* The size of the context, and how much of ctx_in it keeps. */
static size_t ctx_size(enum bs_prog_type type)
{
	switch (type) {
	case BS_PROG_RAW_TRACEPOINT:
		/* all 12 arguments, so that the rule sees every read of
		 * them and can tell one past ctx_in */
		return 8 * HLP_RAW_TP_MAX_ARGS;
	case BS_PROG_TRACEPOINT:
		/* the record sits in a buffer of PERF_MAX_TRACE_SIZE the
		 * program may read all of; past the record it reads zeros */
		return HLP_TP_MAX_SIZE;
	case BS_PROG_KPROBE:
		return sizeof(bpf_user_pt_regs_t);
	default:
		return sizeof(struct bpf_perf_event_data);
	}
}

int hlp_trace_check(enum bs_prog_type type, const struct bs_test_run *tr, struct bs_error *err)
{
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
	size_t in = tr->ctx_in ? tr->ctx_size_in : 0, want = ctx_size(type);
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
		return 0;
	case BS_PROG_TRACEPOINT:
		if (in > HLP_TP_MAX_SIZE)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in is %zu bytes; a tracepoint record is at most %d "
				      "(PERF_MAX_TRACE_SIZE)", in, HLP_TP_MAX_SIZE);
		return 0;
	default:
		/* as bpf_ctx_init takes a context: zero-extended, and longer
		 * only with zeros past the structure */
		if (in > want && !all_zero((const uint8_t *)tr->ctx_in + want, in - want))
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in is %zu bytes and not all zero past the %s context (%zu "
				      "bytes)", in, bs_prog_type_name(type), want);
		return 0;
	}
}

int hlp_trace_setup(struct bs_vm *vm, enum bs_prog_type type, struct hlp_trace **out,
		    uint64_t *r1, struct bs_error *err)
{
	*out = NULL;
	struct hlp_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	t->type = type;
	t->size = ctx_size(type);
	t->ctx = calloc(1, t->size);
	if (!t->ctx) {
		free(t);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	if (bs_vm_add_region(vm, "ctx", t->ctx, t->size, BS_REGION_READ, r1, err) ||
	    bs_vm_region_set_access_rule(vm, *r1, hlp_ctx_rule(type), &t->raw, err)) {
		hlp_trace_free(t);
		return -1;
	}
	t->guest = *r1;
	*out = t;
	return 0;
}

int hlp_trace_begin(struct bs_vm *vm, struct hlp_trace *t, const struct bs_test_run *tr,
		    struct bs_error *err)
{
	size_t keep = tr->ctx_in ? tr->ctx_size_in : 0;
	if (keep > t->size)
		keep = t->size;
	memset(t->ctx, 0, t->dirty);
	if (keep)
		memcpy(t->ctx, tr->ctx_in, keep);
	t->dirty = keep;
	t->raw = (struct hlp_raw_tp_rule){.size_in = (uint32_t)(tr->ctx_in ? tr->ctx_size_in : 0)};
	/* the raw tracepoint rule's answers depend on this run's ctx_in: set
	 * it again, so that nothing (the JIT) keeps an answer of an earlier run */
	return bs_vm_region_set_access_rule(vm, t->guest, hlp_ctx_rule(t->type), &t->raw, err);
}

void hlp_trace_end(const struct hlp_trace *t, int rc, struct bs_error *err)
{
	/* the kernel refuses to run a raw tracepoint program that reads an
	 * argument past ctx_in: say so instead of naming the access */
	if (rc && t->raw.past_input && err->kind == BS_ERR_MEMORY) {
		snprintf(err->message, sizeof(err->message),
			 "the program reads its context at off=%llu size=%u, past the %u bytes of "
			 "ctx_in; the kernel refuses to run it (EINVAL: ctx_size_in is less than "
			 "the program's largest context access)",
			 (unsigned long long)t->raw.off, t->raw.size, t->raw.size_in);
		err->hint[0] = 0;
	}
}

void hlp_trace_free(struct hlp_trace *t)
{
	if (!t)
		return;
	free(t->ctx);
	free(t);
}
