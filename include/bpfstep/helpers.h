/* SPDX-License-Identifier: MIT */
/* Fake helpers: the deterministic environment programs run in. */
#ifndef BPFSTEP_HELPERS_H
#define BPFSTEP_HELPERS_H

#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* What bpf_fib_lookup answers: bpfstep has no routing table, so the
 * answer is set. ret is a BPF_FIB_LKUP_RET_* value; on success (0) the
 * helper fills ifindex and the MAC addresses into the caller's params. */
struct bs_fib {
	int32_t ret;          /* default BPF_FIB_LKUP_RET_NOT_FWDED (4): no route */
	uint32_t ifindex;
	uint8_t smac[6];
	uint8_t dmac[6];
	uint32_t mtu;         /* the route's MTU (mtu_result, FRAG_NEEDED); default 1500 */
};

/* The deterministic environment: a virtual clock, a seeded PRNG, a CPU id. */
struct bs_env {
	uint64_t time_ns;     /* bpf_ktime_get_ns returns this, then it advances */
	uint64_t time_step_ns;/* advance per read (default 1000) */
	uint64_t seed;        /* bpf_get_prandom_u32 stream */
	uint32_t cpu;         /* bpf_get_smp_processor_id */
	uint32_t numa_node;   /* bpf_get_numa_node_id */
	uint64_t pid_tgid;    /* bpf_get_current_pid_tgid: tgid << 32 | pid */
	uint64_t uid_gid;     /* bpf_get_current_uid_gid: gid << 32 | uid */
	char comm[16];        /* bpf_get_current_comm, NUL-padded */
	struct bs_fib fib;    /* bpf_fib_lookup */
	/* bpf_trace_printk's lines (the message, without trace_pipe's prefix);
	 * NULL discards them */
	void (*trace)(void *user, const char *line);
	void *trace_user;
};

void bs_env_default(struct bs_env *env);

/* Registers the helpers every program type has (the kernel's
 * bpf_base_func_proto) that need nothing but the environment:
 * bpf_ktime_get_ns (5), bpf_trace_printk (6), bpf_get_prandom_u32 (7),
 * bpf_get_smp_processor_id (8), bpf_get_numa_node_id (42), bpf_spin_lock
 * (93), bpf_spin_unlock (94), bpf_strtol (105), bpf_strtoul (106),
 * bpf_jiffies64 (118), bpf_ktime_get_boot_ns (125), bpf_ktime_get_coarse_ns
 * (160), bpf_snprintf (165), bpf_trace_vprintk (177), bpf_ktime_get_tai_ns
 * (208); docs/helpers.md has their semantics.
 * env must outlive vm. */
BS_MUST_CHECK int bs_helpers_register_env(struct bs_vm *vm, struct bs_env *env,
					  struct bs_error *err);

/* "bpf_map_lookup_elem" for 1; NULL for ids the kernel does not define. */
const char *bs_helper_name(int32_t id);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
