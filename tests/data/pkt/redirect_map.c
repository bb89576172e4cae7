// SPDX-License-Identifier: MIT
/* bpf_redirect_map over one redirect map type (-DWANT_DEVMAP,
 * -DWANT_DEVMAP_HASH, -DWANT_CPUMAP, -DWANT_XSKMAP: one object each), the
 * key and flags taken from the packet's first bytes (tests/kernel_objects.c
 * preloads entries; tests/test_pkt_helpers.c reads the recorded target). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef WANT_DEVMAP
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

#endif

#ifdef WANT_DEVMAP_HASH
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_hash SEC(".maps");

#endif

#ifdef WANT_CPUMAP
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

#endif

#ifdef WANT_XSKMAP
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

#endif

/* key: byte 0 & 7; flags: byte 1 & 3 (the verdict when there is no entry),
 * with BPF_F_BROADCAST if byte 2 is odd and BPF_F_EXCLUDE_INGRESS if byte
 * 3 is odd */
static __always_inline int args(struct xdp_md *ctx, __u32 *key, __u64 *flags)
{
	__u8 *d = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (d + 4 > end)
		return -1;
	*key = d[0] & 7;
	*flags = (d[1] & 3) | (d[2] & 1 ? BPF_F_BROADCAST : 0) |
		 (d[3] & 1 ? BPF_F_EXCLUDE_INGRESS : 0);
	return 0;
}

#ifdef WANT_DEVMAP
SEC("xdp")
int to_devmap(struct xdp_md *ctx)
{
	__u32 key;
	__u64 flags;
	if (args(ctx, &key, &flags))
		return XDP_ABORTED;
	return bpf_redirect_map(&tx_port, key, flags);
}

#endif

#ifdef WANT_DEVMAP_HASH
SEC("xdp")
int to_devmap_hash(struct xdp_md *ctx)
{
	__u32 key;
	__u64 flags;
	if (args(ctx, &key, &flags))
		return XDP_ABORTED;
	return bpf_redirect_map(&tx_hash, key, flags);
}

#endif

#ifdef WANT_CPUMAP
SEC("xdp")
int to_cpumap(struct xdp_md *ctx)
{
	__u32 key;
	__u64 flags;
	if (args(ctx, &key, &flags))
		return XDP_ABORTED;
	return bpf_redirect_map(&cpus, key, flags & 3);
}

#endif

#ifdef WANT_XSKMAP
SEC("xdp")
int to_xskmap(struct xdp_md *ctx)
{
	__u32 key;
	__u64 flags;
	if (args(ctx, &key, &flags))
		return XDP_ABORTED;
	return bpf_redirect_map(&xsks, key, flags & 3);
}

#endif

#ifdef WANT_DEVMAP
/* what a program reads from a devmap entry: its ifindex, or 77 */
SEC("xdp")
int devmap_ifindex(struct xdp_md *ctx)
{
	__u32 key;
	__u64 flags;
	if (args(ctx, &key, &flags))
		return XDP_ABORTED;
	__u32 *ifindex = bpf_map_lookup_elem(&tx_port, &key);
	return ifindex ? *ifindex : 77;
}

#endif

char LICENSE[] SEC("license") = "GPL";
