// SPDX-License-Identifier: MIT
/* Helpers that depend only on the deterministic environment. */
#include "bpfstep/helpers.h"
#include "helpers/helper_names.h"
#include "helpers/loop_helpers.h"
#include "helpers/task_helpers.h"
#include "helpers/trace_printk.h"

#include <string.h>

/* CONFIG_HZ of the kernel bpfstep follows (Linux 6.18 as Debian and
 * Fedora build it for x86-64): jiffies advance HZ times a second */
#define HZ 250
/* INITIAL_JIFFIES: jiffies start 5 minutes before the 32-bit wrap */
#define INITIAL_JIFFIES ((uint64_t)(uint32_t)(-300 * HZ))

void bs_env_default(struct bs_env *env)
{
	env->time_ns = 1000000000ULL;
	env->time_step_ns = 1000;
	env->seed = 1;
	env->cpu = 0;
	env->numa_node = 0;
	/* a process of its own, run by root */
	env->pid_tgid = (4242ULL << 32) | 4242;
	env->uid_gid = 0;
	memset(env->comm, 0, sizeof(env->comm));
	memcpy(env->comm, "bpfstep", 7);
	/* no route: bpf_fib_lookup answers BPF_FIB_LKUP_RET_NOT_FWDED */
	memset(&env->fib, 0, sizeof(env->fib));
	env->fib.ret = 4;
	env->fib.mtu = 1500;
	env->trace = NULL;
	env->trace_user = NULL;
}

static int h_ktime(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		   struct bs_error *err, void *user)
{
	(void)vm, (void)args, (void)err;
	struct bs_env *env = user;
	*r0 = env->time_ns;
	env->time_ns += env->time_step_ns;
	return 0;
}

/* splitmix64: a small generator with a full 64-bit state; the same seed
 * gives the same stream on every engine and run. */
static int h_prandom(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		     struct bs_error *err, void *user)
{
	(void)vm, (void)args, (void)err;
	struct bs_env *env = user;
	uint64_t z = (env->seed += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	*r0 = (uint32_t)(z ^ (z >> 31));
	return 0;
}

static int h_cpu(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		 void *user)
{
	(void)vm, (void)args, (void)err;
	*r0 = ((struct bs_env *)user)->cpu;
	return 0;
}

static int h_numa(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		  void *user)
{
	(void)vm, (void)args, (void)err;
	*r0 = ((struct bs_env *)user)->numa_node;
	return 0;
}

/* bpf_jiffies64: the virtual clock in jiffies, counted from INITIAL_JIFFIES
 * at time 0 as the kernel's are from boot; reading it does not advance
 * the clock. */
static int h_jiffies64(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		       struct bs_error *err, void *user)
{
	(void)vm, (void)args, (void)err;
	*r0 = INITIAL_JIFFIES + ((struct bs_env *)user)->time_ns / (1000000000ULL / HZ);
	return 0;
}

int bs_helpers_register_env(struct bs_vm *vm, struct bs_env *env, struct bs_error *err)
{
	static const struct {
		int32_t id;
		bs_helper_fn fn;
	} table[] = {
		{5, h_ktime},     /* bpf_ktime_get_ns */
		{6, hlp_trace_printk},
		{7, h_prandom},   /* bpf_get_prandom_u32 */
		{8, h_cpu},       /* bpf_get_smp_processor_id */
		{125, h_ktime},   /* bpf_ktime_get_boot_ns */
		{160, h_ktime},   /* bpf_ktime_get_coarse_ns */
		{208, h_ktime},   /* bpf_ktime_get_tai_ns: the same virtual clock */
		{42, h_numa},     /* bpf_get_numa_node_id */
		{93, hlp_spin_lock},
		{94, hlp_spin_unlock},
		{105, hlp_strtol},
		{106, hlp_strtoul},
		{118, h_jiffies64},
		{165, hlp_snprintf},
		{177, hlp_trace_vprintk},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (bs_vm_set_helper(vm, table[i].id, hlp_name(table[i].id), table[i].fn, env, err))
			return -1;
	return hlp_register_loop(vm, err);
}

const char *bs_helper_name(int32_t id)
{
	return hlp_name(id);
}
