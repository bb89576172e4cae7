/* SPDX-License-Identifier: MIT */
/* Helpers that read and write an skb's linear data, and the checksum
 * helpers (net/core/filter.c, Linux 6.18 semantics). */
#ifndef BS_HELPERS_SKB_HELPERS_H
#define BS_HELPERS_SKB_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "bpfstep/vm.h"
#include "vm/isa.h"

/* BPF_SKB_MAX_LEN (SKB_MAX_ALLOC on x86-64: 16 KiB less skb_shared_info):
 * the longest packet bpf_skb_change_tail / _change_head / _adjust_room make */
#define HLP_SKB_MAX_LEN 16064
/* A test run's skb buffer: the frame starts HLP_SKB_MAX_LEN bytes in, so the
 * head can grow to the longest packet and the tail too; when a helper needs
 * more room on one side the packet is moved back there (the kernel
 * reallocates the head then, as pskb_expand_head does). */
#define HLP_SKB_BUF_SIZE (2 * HLP_SKB_MAX_LEN + 64)

struct bs_test_run;
struct bs_maps;
struct bs_env;

/* The skb of one run, as the helpers see it; must outlive the run. A test
 * run's skb is linear and its ip_summed is CHECKSUM_NONE, so the checksum
 * flags that update skb->csum have nothing to update. Offsets count from
 * buf; data/len always describe [buf + head, buf + head + len). */
struct hlp_skb {
	uint8_t *data;
	size_t len;
	uint8_t *buf;           /* HLP_SKB_BUF_SIZE bytes (NULL: no resizing) */
	size_t head;            /* skb->data */
	size_t mac, net;        /* skb->mac_header, skb->network_header */
	long trans;             /* skb->transport_header, -1 while unset */
	bool encap;             /* skb->encapsulation (bpf_skb_adjust_room) */
	uint16_t vlan_proto;    /* the out-of-band tag (network byte order), 0: none */
	uint16_t vlan_tci;
	struct __sk_buff *md;   /* the context: len, data, protocol, vlan_* follow */
	uint64_t guest;         /* guest address of buf[0] (the "pkt" region) */
	uint64_t region;        /* where the "pkt" region's window starts now */
	struct bs_test_run *tr; /* redirect and clones are recorded here */
	struct bs_maps *maps;   /* bpf_redirect_map's maps (NULL: none) */
	const struct bs_env *env; /* bpf_fib_lookup's answer */
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
 * (11), bpf_csum_diff (28), the resizing helpers (skb_resize.c), the
 * redirect helpers (redirect.c) and bpf_fib_lookup (fib.c). */
BS_HIDDEN int hlp_register_skb(struct bs_vm *vm, enum hlp_skb_kind kind, struct hlp_skb *skb,
			       struct bs_error *err);

/* skb_resize.c: bpf_skb_vlan_push (18), bpf_skb_vlan_pop (19),
 * bpf_skb_change_proto (31), bpf_skb_change_tail (38), bpf_skb_pull_data
 * (39), bpf_skb_change_head (43), bpf_skb_adjust_room (50): tc only. */
BS_HIDDEN int hlp_register_skb_resize(struct bs_vm *vm, struct hlp_skb *skb,
				      struct bs_error *err);

/* Makes the context (len, data, data_meta, data_end, protocol, vlan_*),
 * the "pkt" region's window and what LD_ABS reads follow skb. */
BS_HIDDEN int hlp_skb_sync(struct bs_vm *vm, struct hlp_skb *skb, struct bs_error *err);

/* redirect.c: bpf_clone_redirect (13), bpf_redirect (23),
 * bpf_redirect_neigh (152), bpf_redirect_peer (155) for tc. */
BS_HIDDEN int hlp_register_skb_redirect(struct bs_vm *vm, struct hlp_skb *skb,
					struct bs_error *err);

/* fib.c: bpf_fib_lookup (69) for tc (skb) or xdp (skb NULL). */
BS_HIDDEN int hlp_register_fib(struct bs_vm *vm, const struct bs_env *env,
			       const struct hlp_skb *skb, struct bs_error *err);

/* bpf_csum_diff (28) alone (xdp has it too). */
BS_HIDDEN int hlp_register_csum_diff(struct bs_vm *vm, struct bs_error *err);

/* x86-64's csum_partial: the 32-bit ones' complement partial sum of
 * [p, p + len) added to sum; odd says the buffer starts at an odd address
 * (the kernel's result depends on it). */
BS_HIDDEN uint32_t hlp_csum_partial(const uint8_t *p, size_t len, uint32_t sum, bool odd);

#endif
