// SPDX-License-Identifier: MIT
/* XDP helpers (net/core/filter.c, Linux 6.18): bpf_xdp_adjust_head,
 * bpf_xdp_adjust_meta and bpf_xdp_adjust_tail over a test run's buffer. */
#include "helpers/xdp_helpers.h"

#include <errno.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "helpers/skb_helpers.h"

#define ETH_HLEN 14
/* type_max(skb_shared_info.meta_len), a u8 */
#define META_MAX 255

int hlp_xdp_sync(struct bs_vm *vm, struct hlp_xdp *x, struct bs_error *err)
{
	x->md->data_meta = (uint32_t)(x->guest + x->meta);
	x->md->data = (uint32_t)(x->guest + x->data);
	x->md->data_end = (uint32_t)(x->guest + x->end);
	if (bs_vm_region_update(vm, x->region, x->buf + x->meta, x->end - x->meta, err))
		return -1;
	x->region = x->guest + x->meta;
	return 0;
}

static int done(struct bs_vm *vm, struct hlp_xdp *x, uint64_t *r0, struct bs_error *err)
{
	*r0 = 0;
	return hlp_xdp_sync(vm, x, err);
}

/* bpf_xdp_adjust_head(xdp, offset): data moves by offset, the metadata
 * with it; data stays past the xdp_frame and the metadata, and at least an
 * Ethernet header before data_end */
static int h_adjust_head(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	struct hlp_xdp *x = user;
	int64_t off = (int32_t)args[1];
	int64_t metalen = (int64_t)x->data - x->meta;
	int64_t data = (int64_t)x->data + off;
	if (data < HLP_XDP_FRAME_SIZE + metalen || data > (int64_t)x->end - ETH_HLEN) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	if (metalen)
		memmove(x->buf + x->meta + off, x->buf + x->meta, (size_t)metalen);
	x->meta = (uint32_t)((int64_t)x->meta + off);
	x->data = (uint32_t)data;
	return done(vm, x, r0, err);
}

/* bpf_xdp_adjust_meta(xdp, offset): data_meta moves, between the xdp_frame
 * and data; the metadata is a multiple of 4 bytes, at most 255 (EACCES) */
static int h_adjust_meta(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	struct hlp_xdp *x = user;
	int64_t meta = (int64_t)x->meta + (int32_t)args[1];
	if (meta < HLP_XDP_FRAME_SIZE || meta > (int64_t)x->data) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	int64_t metalen = (int64_t)x->data - meta;
	if (metalen % 4 || metalen > META_MAX) {
		*r0 = (uint64_t)-EACCES;
		return 0;
	}
	x->meta = (uint32_t)meta;
	return done(vm, x, r0, err);
}

/* bpf_xdp_frags_shrink_tail: fragments shrink from the last one, emptied
 * ones are freed; what is left over comes off the linear part once none
 * are left */
static void frags_shrink(struct hlp_xdp *x, int64_t off)
{
	while (x->nr_frags && off > 0) {
		uint32_t *fs = &x->frag_size[x->nr_frags - 1];
		uint32_t shrink = off < *fs ? (uint32_t)off : *fs;
		*fs -= shrink;
		x->frags_size -= shrink;
		off -= shrink;
		if (!*fs)
			x->nr_frags--;
	}
	if (!x->nr_frags)
		x->end = (uint32_t)((int64_t)x->end - off);
}

/* bpf_xdp_adjust_tail(xdp, offset): data_end moves, at most to the hard
 * end (the page less its tailroom), keeping an Ethernet header after data;
 * grown bytes read as zeros. With fragments the last fragment changes. */
static int h_adjust_tail(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	struct hlp_xdp *x = user;
	int64_t off = (int32_t)args[1];
	*r0 = (uint64_t)-EINVAL;
	if (x->nr_frags) {
		if (off < 0) {
			/* -offset is an int: INT_MIN stays negative and shrinks nothing */
			int64_t shrink = (int32_t)(0u - (uint32_t)off);
			int64_t buf_len = (int64_t)(x->end - x->data) + x->frags_size;
			if (shrink > buf_len - ETH_HLEN)
				return 0;
			frags_shrink(x, shrink);
			return done(vm, x, r0, err);
		}
		uint32_t *last = &x->frag_size[x->nr_frags - 1];
		if (off > (int64_t)HLP_XDP_PAGE - *last)
			return 0;
		memset(x->frag_mem + (size_t)(x->nr_frags - 1) * HLP_XDP_PAGE + *last, 0, (size_t)off);
		*last += (uint32_t)off;
		x->frags_size += (uint32_t)off;
		return done(vm, x, r0, err);
	}
	int64_t end = (int64_t)x->end + off;
	if (end > HLP_XDP_PAGE - HLP_XDP_TAILROOM || end < (int64_t)x->data + ETH_HLEN)
		return 0;
	if (off > 0)
		memset(x->buf + x->end, 0, (size_t)off);
	x->end = (uint32_t)end;
	return done(vm, x, r0, err);
}

int hlp_register_xdp(struct bs_vm *vm, struct hlp_xdp *x, struct bs_error *err)
{
	if (bs_vm_set_helper(vm, 44, hlp_name(44), h_adjust_head, x, err) ||
	    bs_vm_set_helper(vm, 54, hlp_name(54), h_adjust_meta, x, err) ||
	    bs_vm_set_helper(vm, 65, hlp_name(65), h_adjust_tail, x, err) ||
	    hlp_register_xdp_redirect(vm, x, err) || hlp_register_fib(vm, x->env, NULL, err))
		return -1;
	return hlp_register_csum_diff(vm, err);
}
