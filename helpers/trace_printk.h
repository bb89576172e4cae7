/* SPDX-License-Identifier: MIT */
/* bpf_trace_printk, registered with the environment's helpers. */
#ifndef BS_HELPERS_TRACE_PRINTK_H
#define BS_HELPERS_TRACE_PRINTK_H

#include "bpfstep/vm.h"
#include "vm/isa.h"

/* user is the struct bs_env whose trace callback receives each line. */
BS_HIDDEN int hlp_trace_printk(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			       struct bs_error *err, void *user);

#endif
