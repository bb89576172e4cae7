/* SPDX-License-Identifier: MIT */
/* The helpers tracing programs get from bpf_tracing_func_proto: memory
 * reads (bpf_probe_read*) and the current task. */
#ifndef BS_HELPERS_TASK_HELPERS_H
#define BS_HELPERS_TASK_HELPERS_H

#include "bpfstep/helpers.h"
#include "bpfstep/vm.h"
#include "vm/isa.h"

/* What bpf_get_current_task / bpf_get_current_task_btf return: a kernel
 * address (x86-64's direct map) that is in no region, so reading it with
 * bpf_probe_read_kernel gives -EFAULT and dereferencing it faults. */
#define HLP_FAKE_TASK 0xffff888004000000ULL

/* Registers bpf_probe_read (4), bpf_get_current_pid_tgid (14),
 * bpf_get_current_uid_gid (15), bpf_get_current_comm (16),
 * bpf_get_current_task (35), bpf_probe_read_str (45),
 * bpf_probe_read_user (112), bpf_probe_read_kernel (113),
 * bpf_probe_read_user_str (114), bpf_probe_read_kernel_str (115),
 * bpf_get_current_task_btf (158), each only if the kernel gives it to
 * programs of type (enum bpf_prog_type; 0: all of them). env must
 * outlive vm. */
BS_HIDDEN int hlp_register_tracing(struct bs_vm *vm, struct bs_env *env, int type,
				   struct bs_error *err);

/* The base helpers of str_helpers.c and lock_helpers.c, for
 * bs_helpers_register_env. */
BS_HIDDEN int hlp_snprintf(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			   struct bs_error *err, void *user);
BS_HIDDEN int hlp_trace_vprintk(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
				struct bs_error *err, void *user);
BS_HIDDEN int hlp_strtol(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user);
BS_HIDDEN int hlp_strtoul(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			  struct bs_error *err, void *user);
BS_HIDDEN int hlp_spin_lock(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user);
BS_HIDDEN int hlp_spin_unlock(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			      struct bs_error *err, void *user);

#endif
