// SPDX-License-Identifier: MIT
/* XDP firewall: drops IPv4 packets whose source address is in the `blocked`
 * hash map and counts the drops per source in the map's value; everything
 * else passes.
 *
 *   key   = IPv4 source address as it is on the wire (network byte order)
 *   value = number of packets dropped from that source
 *
 * Packets: xdp_firewall_blocked.pkt (from 192.0.2.66, the address to put in
 * `blocked`), xdp_firewall_allowed.pkt (from 198.51.100.7), and
 * xdp_firewall_ipv6.pkt (not IPv4: always passes). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} blocked SEC(".maps");

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;

	__u32 saddr = ip->saddr;
	__u64 *drops = bpf_map_lookup_elem(&blocked, &saddr);
	if (!drops)
		return XDP_PASS;
	__sync_fetch_and_add(drops, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
