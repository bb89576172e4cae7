// SPDX-License-Identifier: MIT
/* replay's test program: one packet of each XDP verdict, with a rewrite, a
 * trace line and a ringbuf record, over tests/data/pcap/xdp_tx.pcap.
 *   UDP:             MAC addresses swapped, XDP_TX, "tx N" traced, a ringbuf
 *                    record of the source address, `seen` counts UDP packets
 *   TCP to port 23:  XDP_DROP
 *   ICMP:            bpf_redirect to ifindex 7: XDP_REDIRECT
 *   IPv4 options:    XDP_ABORTED
 *   anything else:   XDP_PASS */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->ihl != 5)
		return XDP_ABORTED;
	if (ip->protocol == IPPROTO_ICMP)
		return bpf_redirect(7, 0);
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		return tcp->dest == bpf_htons(23) ? XDP_DROP : XDP_PASS;
	}
	if (ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	__u8 tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	bpf_printk("tx %u", n ? (__u32)*n : 0);
	__u32 saddr = ip->saddr;
	bpf_ringbuf_output(&events, &saddr, sizeof(saddr), 0);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
