/* SPDX-License-Identifier: MIT */
/* bs_test_run for the tracing program types: kprobe, tracepoint,
 * raw_tracepoint, perf_event. */
#ifndef BS_HELPERS_TRACE_RUN_H
#define BS_HELPERS_TRACE_RUN_H

#include "bpfstep/run.h"
#include "vm/isa.h"

BS_HIDDEN bool hlp_is_trace_type(enum bs_prog_type type);

/* Checks tr as the kernel would for a program of this (tracing) type,
 * before anything is set up. */
BS_HIDDEN int hlp_trace_check(enum bs_prog_type type, const struct bs_test_run *tr,
			      struct bs_error *err);

/* The context of a tracing program over the runs of one VM: registered
 * once (*r1 gets its address), filled from ctx_in before each run. */
struct hlp_trace;
BS_HIDDEN int hlp_trace_setup(struct bs_vm *vm, enum bs_prog_type type, struct hlp_trace **out,
			      uint64_t *r1, struct bs_error *err);
/* Before a run of tr (checked by hlp_trace_check). */
BS_HIDDEN int hlp_trace_begin(struct bs_vm *vm, struct hlp_trace *t,
			      const struct bs_test_run *tr, struct bs_error *err);
/* After the run: rewords a fault the kernel would have refused to run. */
BS_HIDDEN void hlp_trace_end(const struct hlp_trace *t, int rc, struct bs_error *err);
BS_HIDDEN void hlp_trace_free(struct hlp_trace *t);

#endif
