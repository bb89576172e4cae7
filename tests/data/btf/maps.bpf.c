// SPDX-License-Identifier: MIT
/* BTF-defined maps of every shape libbpf reads (tests/test_btf.c checks
 * each attribute), and programs whose line table the tests compare with
 * this file: keep the lines marked "line:" as they are. */
#include <linux/bpf.h>

#include "bpf_defs.h"

struct stats {
	__u64 packets;
	__u64 bytes;
};

struct flow_key {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct stats);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flow_key);
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
	__uint(max_entries, 1);
	__uint(pinning, 1);
} percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NUMA_NODE);
	__uint(numa_node, 1);
	__type(key, __u64);
	__type(value, struct stats);
} lru SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = {&inner_a, &inner_b},
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps");

int tail(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(struct xdp_md *));
} jumps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index & 15;
	struct stats *s = bpf_map_lookup_elem(&counts, &key); /* line: lookup */
	if (!s)
		return XDP_PASS;
	s->packets++; /* line: packets */
	s->bytes += ctx->data_end - ctx->data;
	bpf_tail_call(ctx, &jumps, 0); /* line: tail */
	return XDP_PASS;
}

SEC("xdp")
int tail(struct xdp_md *ctx)
{
	__u64 one = 1, key = ctx->ingress_ifindex;
	bpf_map_update_elem(&lru, &key, &one, BPF_ANY); /* line: update */
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
