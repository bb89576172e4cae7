// SPDX-License-Identifier: MIT
/* skb helpers (net/core/filter.c semantics). */
#include "helpers/skb_helpers.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "helpers/helper_names.h"

/* bpf_skb_load_bytes(skb, offset, to, len): offset counts from skb->data; a
 * range outside the packet zeroes `to` and returns -EFAULT */
static int h_skb_load_bytes(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user)
{
	const struct hlp_skb *skb = user;
	uint32_t off = (uint32_t)args[1], len = (uint32_t)args[3];
	uint8_t *to = bs_vm_translate(vm, args[2], len, true, err);
	if (!to)
		return -1;
	if (off > INT_MAX || off > skb->len || len > skb->len - off) {
		memset(to, 0, len);
		*r0 = (uint64_t)-EFAULT;
		return 0;
	}
	memcpy(to, skb->data + off, len);
	*r0 = 0;
	return 0;
}

int hlp_register_skb(struct bs_vm *vm, struct hlp_skb *skb, struct bs_error *err)
{
	return bs_vm_set_helper(vm, 26, hlp_name(26), h_skb_load_bytes, skb, err);
}
