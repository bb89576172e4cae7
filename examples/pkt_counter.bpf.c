// SPDX-License-Identifier: MIT
/* tc packet counter: for every IPv4 packet, adds one packet and its length
 * in bytes to the slot of its IP protocol (6 TCP, 17 UDP, 1 ICMP, ...) in the
 * `counts` array map. Non-IPv4 packets are counted in slot 0 (IPPROTO_IP is
 * never a real next protocol here). Every packet goes on: TC_ACT_OK.
 *
 * Packets: pkt_counter_tcp.pkt, pkt_counter_udp.pkt, pkt_counter_icmp.pkt,
 * pkt_counter_arp.pkt (not IPv4). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct counter);
	__uint(max_entries, 256);
} counts SEC(".maps");

SEC("tc")
int pkt_counter(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 proto = 0;

	if ((void *)(eth + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) <= data_end)
			proto = ip->protocol;
	}

	struct counter *c = bpf_map_lookup_elem(&counts, &proto);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, skb->len);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
