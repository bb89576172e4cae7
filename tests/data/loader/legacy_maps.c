// SPDX-License-Identifier: MIT
/* Loader test object: legacy maps (a "maps" section of struct bpf_map_def,
 * as before BTF-defined maps), a "version" section, and a program that
 * references both maps. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* libbpf 1.x no longer defines it; the layout is the historic one */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 16,
};

struct bpf_map_def SEC("maps") flows = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 8,
	.value_size = 16,
	.max_entries = 1024,
	.map_flags = BPF_F_NO_PREALLOC,
};

__u32 _version SEC("version") = 0x050a00;

SEC("xdp")
int legacy(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex & 15;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		*v += 1;
	__u64 flow = ctx->rx_queue_index;
	if (bpf_map_lookup_elem(&flows, &flow))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
