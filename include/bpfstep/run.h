/* SPDX-License-Identifier: MIT */
/* Running a program of an object once, the way BPF_PROG_TEST_RUN does:
 * packet and context in, return value, packet and context out. */
#ifndef BPFSTEP_RUN_H
#define BPFSTEP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/helpers.h"
#include "bpfstep/maps.h"
#include "bpfstep/object.h"
#include "bpfstep/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Where the program asked the packet to go (bpf_redirect, bpf_redirect_map,
 * bpf_redirect_peer, bpf_redirect_neigh): recorded, never sent. The last
 * call before exit wins, as in the kernel's per-CPU redirect info. */
enum bs_redirect_kind {
	BS_REDIRECT_NONE = 0,
	BS_REDIRECT_IFINDEX,   /* bpf_redirect */
	BS_REDIRECT_PEER,      /* bpf_redirect_peer */
	BS_REDIRECT_NEIGH,     /* bpf_redirect_neigh */
	BS_REDIRECT_MAP,       /* bpf_redirect_map: map and key */
};

struct bs_redirect {
	enum bs_redirect_kind kind;
	uint32_t ifindex;       /* the target device (for maps: from the entry) */
	uint64_t flags;
	const char *map;        /* BS_REDIRECT_MAP: the map's name */
	uint32_t key;
};

/* One bpf_clone_redirect: a copy of the packet as it was at the call. */
struct bs_clone {
	uint32_t ifindex;
	uint64_t flags;
	uint8_t *data;
	size_t size;
};

struct bs_test_run {
	/* in */
	const void *data_in;
	size_t data_size_in;
	const void *ctx_in;     /* xdp_md / __sk_buff fields to set, or NULL */
	size_t ctx_size_in;
	uint64_t budget;        /* 0: BS_DEFAULT_BUDGET */
	enum bs_dispatch dispatch;
	enum bs_engine engine;  /* BS_ENGINE_INTERP (0) unless set */
	struct bs_env *env;     /* NULL: bs_env_default() */
	/* called with the VM after everything is set up, before the first
	 * instruction runs: a debugger installs its stop hook here */
	void (*on_vm)(struct bs_vm *vm, void *user);
	void *on_vm_user;
	uint32_t repeat;        /* runs over the same context, as the kernel's repeat
				 * (state carries over); 0 means 1 */
	bool no_duration;       /* leave duration_ns 0: saves two clock reads a
				 * run where nobody looks at it (replay) */
	/* out: the caller frees data_out and ctx_out */
	uint64_t retval;
	uint64_t insns_executed;  /* over all repeat runs */
	uint8_t *data_out;
	size_t data_size_out;
	uint8_t *ctx_out;
	size_t ctx_size_out;
	uint64_t duration_ns;   /* average wall time of one run (not deterministic) */
	struct bs_redirect redirect;
	struct bs_clone *clones; /* the caller frees each data and the array */
	size_t nclones;
};

/* Creates the object's maps in *out (index i = map i of the object, global
 * data loaded with its initial contents). ncpus: the copies percpu maps keep
 * (see bs_maps_new; 0 means 1). */
BS_MUST_CHECK int bs_object_create_maps(const struct bs_object *obj, uint32_t ncpus,
					struct bs_maps **out, struct bs_error *err);

/* Runs prog once. maps (from bs_object_create_maps) keeps its contents
 * across runs. Program types with a context: xdp (struct xdp_md over a
 * packet with 256 bytes of headroom), sched_cls / sched_act / socket_filter
 * / cgroup_skb (struct __sk_buff; socket filters and cgroup_skb see the
 * packet from the network header, as the kernel pulls the Ethernet header).
 * Other types are refused with BS_ERR_UNSUPPORTED. Input the kernel would
 * refuse (a packet shorter than an Ethernet header) is refused the same way. */
BS_MUST_CHECK int bs_test_run(const struct bs_prog *prog, struct bs_maps *maps,
			      struct bs_test_run *tr, struct bs_error *err);

/* Many runs of one program, each as bs_test_run would give it, without
 * setting the program up again for every one: bs_test_runner_new makes the
 * VM, registers the helpers, attaches maps, loads the program and prepares
 * its tail calls once; bs_test_runner_run does only what one run needs (the
 * packet, the context, the run, data_out and ctx_out), and the JIT's code
 * is compiled on the first run and kept. bs_test_run is new + run + free.
 *
 * tmpl gives what stays the same over the runner's life: tmpl->env (the
 * helpers keep the pointer; NULL: a default environment, reset before each
 * run as separate bs_test_run calls would see it). Each run takes its
 * packet, ctx_in, repeat, budget, dispatch, engine and on_vm from tr (what
 * on_vm sets on the VM, such as a stop hook, stays for later runs); tr->env
 * must be NULL or tmpl->env. A run that fails (bad input, a fault) leaves
 * the runner usable. maps must outlive the runner; the runner stays
 * attached to them until it is freed. */
struct bs_test_runner;
BS_MUST_CHECK int bs_test_runner_new(const struct bs_prog *prog, struct bs_maps *maps,
				     const struct bs_test_run *tmpl, struct bs_test_runner **out,
				     struct bs_error *err);
BS_MUST_CHECK int bs_test_runner_run(struct bs_test_runner *r, struct bs_test_run *tr,
				     struct bs_error *err);
/* bs_test_runner_run whose outputs stay the runner's: data_out, ctx_out and
 * the clones (the array and their data) are valid until the runner's next
 * run or bs_test_runner_free, and the caller neither frees nor writes them
 * (nor gives them to the next run as its input: copy them first).
 * data_out is then often the packet buffer itself, not a copy. For callers
 * that are done with a run's outputs before the next run (replay): no
 * allocation a run. Results are bs_test_runner_run's, byte for byte. */
BS_MUST_CHECK int bs_test_runner_run_lent(struct bs_test_runner *r, struct bs_test_run *tr,
					  struct bs_error *err);
void bs_test_runner_free(struct bs_test_runner *r);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
