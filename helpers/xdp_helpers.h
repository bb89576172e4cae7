/* SPDX-License-Identifier: MIT */
/* XDP helpers that move the packet inside its buffer (net/core/filter.c,
 * Linux 6.18 semantics). */
#ifndef BS_HELPERS_XDP_HELPERS_H
#define BS_HELPERS_XDP_HELPERS_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/vm.h"
#include "vm/isa.h"

struct bs_test_run;
struct bs_maps;
struct bs_env;

#define HLP_XDP_PAGE 4096
/* sizeof(struct xdp_frame): data_meta never goes below it */
#define HLP_XDP_FRAME_SIZE 40
/* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom
 * xdp_data_hard_end keeps */
#define HLP_XDP_TAILROOM 320
/* MAX_SKB_FRAGS */
#define HLP_XDP_MAX_FRAGS 17

/* One XDP buffer (struct xdp_buff of a test run): a page whose start is
 * data_hard_start, the offsets of data_meta, data and data_end into it,
 * and the page fragments past the linear part. Must outlive the run. */
struct hlp_xdp {
	uint8_t *buf;           /* HLP_XDP_PAGE bytes */
	uint64_t guest;         /* guest address of buf[0] (the "pkt" region's mapping) */
	uint64_t region;        /* where the "pkt" region starts now */
	struct xdp_md *md;      /* the context the program reads */
	uint32_t meta, data, end;
	uint8_t *frag_mem;      /* fragment i: frag_mem + i * HLP_XDP_PAGE */
	uint32_t frag_size[HLP_XDP_MAX_FRAGS];
	unsigned nr_frags;
	uint32_t frags_size;    /* sum of frag_size */
	struct bs_test_run *tr; /* the redirect is recorded here */
	struct bs_maps *maps;   /* bpf_redirect_map's maps (NULL: none) */
	const struct bs_env *env; /* bpf_fib_lookup's answer */
};

/* Registers bpf_xdp_adjust_head (44), bpf_xdp_adjust_meta (54),
 * bpf_xdp_adjust_tail (65) over x, bpf_csum_diff (28), bpf_redirect (23),
 * bpf_redirect_map (51) and bpf_fib_lookup (69): the part of xdp_func_proto
 * bpfstep has. */
BS_HIDDEN int hlp_register_xdp(struct bs_vm *vm, struct hlp_xdp *x, struct bs_error *err);

/* redirect.c: bpf_redirect (23) and bpf_redirect_map (51) for xdp. */
BS_HIDDEN int hlp_register_xdp_redirect(struct bs_vm *vm, struct hlp_xdp *x,
					struct bs_error *err);

/* Makes the context's data_meta / data / data_end and the "pkt" region's
 * window ([data_meta, data_end): a packet pointer kept from before an
 * adjustment faults outside it) follow x's offsets. */
BS_HIDDEN int hlp_xdp_sync(struct bs_vm *vm, struct hlp_xdp *x, struct bs_error *err);

#endif
