/* SPDX-License-Identifier: MIT */
/* The kernel verifier's context access rules, per program type, as region
 * access rules (bs_vm_region_set_access_rule). */
#ifndef BS_HELPERS_CTX_ACCESS_H
#define BS_HELPERS_CTX_ACCESS_H

#include <stdint.h>

#include "bpfstep/object.h"
#include "bpfstep/vm.h"
#include "vm/isa.h"

/* PERF_MAX_TRACE_SIZE: how far into its record a tracepoint program reads */
#define HLP_TP_MAX_SIZE 8192
/* MAX_BPF_FUNC_ARGS: a raw tracepoint's context is this many u64 arguments */
#define HLP_RAW_TP_MAX_ARGS 12

/* What the raw tracepoint rule needs: the ctx_in length (the kernel runs the
 * program only if no access reaches past it) and the first access that
 * did, for the error. */
struct hlp_raw_tp_rule {
	uint32_t size_in;
	bool past_input;
	uint64_t off;
	unsigned size;
};

/* The rule of the context of type (its is_valid_access), NULL for types
 * without one. The raw tracepoint rule takes a struct hlp_raw_tp_rule. */
BS_HIDDEN bs_access_rule_fn hlp_ctx_rule(enum bs_prog_type type);

#endif
