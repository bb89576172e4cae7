/* SPDX-License-Identifier: MIT */
/* What the VM (vm/vm.c) asks of the JIT. */
#ifndef BS_JIT_JIT_H
#define BS_JIT_JIT_H

#include <stdbool.h>

#include "bpfstep/error.h"
#include "vm/isa.h"

struct bs_vm;

/* Whether this build has a JIT for the host. */
BS_HIDDEN bool jit_supported(void);

/* Runs program 0 of vm from its first instruction, with vm->reg, stack and
 * counters set up by bs_vm_run, as the interpreter would: on return
 * vm->reg[0], vm->count, vm->cur and err are what the interpreter leaves. */
BS_HIDDEN int jit_run(struct bs_vm *vm, struct bs_error *err);

/* Drops the native code (the programs were reloaded, or the VM goes away). */
BS_HIDDEN void jit_free(struct bs_vm *vm);

#endif
