// SPDX-License-Identifier: MIT
/* Global variables, the three ways libbpf turns them into maps:
 *
 *   .rodata  const volatile configuration (set before load by the loader or
 *            a skeleton) and a constant string     -> map "globals.rodata",
 *            read-only for the program (BPF_F_RDONLY_PROG)
 *   .data    initialised variables                 -> map "globals.data"
 *   .bss     zero-initialised variables            -> map "globals.bss"
 *
 * The XDP program counts packets and bytes in .data/.bss, remembers the
 * longest packet, prints the banner with bpf_trace_printk and drops packets
 * longer than cfg_max_len.
 *
 * Packets: globals_small.pkt (60 bytes), globals_big.pkt (1514 bytes). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* .rodata */
const volatile __u32 cfg_max_len = 1500;
const volatile __u32 cfg_verbose = 1;
const char banner[] = "globals: packet of %u bytes";

/* .data */
__u64 packets = 100;
__u32 magic = 0xb0f5e7;

/* .bss */
__u64 bytes;
__u32 longest;

SEC("xdp")
int globals(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	packets++;
	bytes += len;
	if (len > longest)
		longest = len;
	if (cfg_verbose)
		bpf_trace_printk(banner, sizeof(banner), len);
	return len > cfg_max_len ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
