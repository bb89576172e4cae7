/* SPDX-License-Identifier: MIT */
/* The part of a test run every program type shares: running the prepared
 * VM tr->repeat times the way the kernel's bpf_test_run does. */
#ifndef BS_HELPERS_RUN_REPEAT_H
#define BS_HELPERS_RUN_REPEAT_H

#include "bpfstep/run.h"
#include "vm/isa.h"

/* Hands the VM to tr->on_vm, then runs it over args tr->repeat times
 * (state carries over; stops at the first failure), filling
 * tr->insns_executed (all runs), tr->duration_ns (average wall time) and
 * tr->retval (the last run's u32 return value, as the kernel reports it). */
BS_HIDDEN int hlp_run_repeat(struct bs_vm *vm, const uint64_t args[5], struct bs_test_run *tr,
			     struct bs_error *err);

#endif
