/* SPDX-License-Identifier: MIT */
/* bpf_loop: a helper that calls back into the program. */
#ifndef BS_HELPERS_LOOP_HELPERS_H
#define BS_HELPERS_LOOP_HELPERS_H

#include "bpfstep/vm.h"
#include "vm/isa.h"

/* Registers bpf_loop (181), which every program type has. */
BS_HIDDEN int hlp_register_loop(struct bs_vm *vm, struct bs_error *err);

#endif
