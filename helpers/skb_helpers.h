/* SPDX-License-Identifier: MIT */
/* Helpers that read and write an skb's linear data, and the checksum
 * helpers (net/core/filter.c, Linux 6.18 semantics). */
#ifndef BS_HELPERS_SKB_HELPERS_H
#define BS_HELPERS_SKB_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/vm.h"
#include "vm/isa.h"

/* The packet from skb->data, as the helpers see it; must outlive the run.
 * A test run's skb is linear and its ip_summed is CHECKSUM_NONE, so the
 * checksum flags that update skb->csum have nothing to update. */
struct hlp_skb {
	uint8_t *data;
	size_t len;
};

/* Which program type the skb helpers are registered for: each gets the
 * kernel's func_proto list (tc_cls_act_func_proto, sk_filter_func_proto,
 * cg_skb_func_proto) restricted to the helpers bpfstep has. */
enum hlp_skb_kind {
	HLP_SKB_TC,         /* sched_cls, sched_act */
	HLP_SKB_SOCKET,     /* socket_filter */
	HLP_SKB_CGROUP,     /* cgroup_skb */
};

/* Registers over skb: bpf_skb_load_bytes (26) for every kind; for tc also
 * bpf_skb_store_bytes (9), bpf_l3_csum_replace (10), bpf_l4_csum_replace
 * (11) and bpf_csum_diff (28). */
BS_HIDDEN int hlp_register_skb(struct bs_vm *vm, enum hlp_skb_kind kind, struct hlp_skb *skb,
			       struct bs_error *err);

/* bpf_csum_diff (28) alone (xdp has it too). */
BS_HIDDEN int hlp_register_csum_diff(struct bs_vm *vm, struct bs_error *err);

/* x86-64's csum_partial: the 32-bit ones' complement partial sum of
 * [p, p + len) added to sum; odd says the buffer starts at an odd address
 * (the kernel's result depends on it). */
BS_HIDDEN uint32_t hlp_csum_partial(const uint8_t *p, size_t len, uint32_t sum, bool odd);

#endif
