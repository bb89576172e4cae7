/* SPDX-License-Identifier: MIT */
/* Helpers that read and write an skb's linear data. */
#ifndef BS_HELPERS_SKB_HELPERS_H
#define BS_HELPERS_SKB_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "bpfstep/vm.h"
#include "vm/isa.h"

/* The packet from skb->data, as the helpers see it; must outlive the run. */
struct hlp_skb {
	uint8_t *data;
	size_t len;
};

/* Registers bpf_skb_load_bytes (26) over skb. */
BS_HIDDEN int hlp_register_skb(struct bs_vm *vm, struct hlp_skb *skb, struct bs_error *err);

#endif
