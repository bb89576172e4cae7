/* SPDX-License-Identifier: MIT */
/* bs_test_run for the tracing program types: kprobe, tracepoint,
 * raw_tracepoint, perf_event. */
#ifndef BS_HELPERS_TRACE_RUN_H
#define BS_HELPERS_TRACE_RUN_H

#include "bpfstep/run.h"
#include "vm/isa.h"

BS_HIDDEN bool hlp_is_trace_type(enum bs_prog_type type);

/* Runs prog (of a type hlp_is_trace_type accepts) with ctx_in as its
 * context; tr's outputs are cleared by the caller. */
BS_HIDDEN int hlp_trace_run(const struct bs_prog *prog, struct bs_maps *maps,
			    struct bs_test_run *tr, struct bs_error *err);

#endif
