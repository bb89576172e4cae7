// SPDX-License-Identifier: MIT
/* XDP event logger: sends one `struct event` per packet to the `events`
 * ring buffer (length, EtherType, IP protocol, IPv4 source) and counts the
 * packet in a map of maps: `counts` is an array_of_maps whose slot 0 is the
 * per-IP-protocol counter array of IPv4 packets and slot 1 the per-EtherType
 * (low byte) counter array of everything else, set statically with
 * `.values`. Every packet passes (XDP_PASS); when the ring is full the
 * event is lost and `lost` counts it.
 *
 * Packets: events_dns.pkt (IPv4/UDP), events_arp.pkt (ARP). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 len;
	__u16 eth_proto;  /* host order */
	__u8 ip_proto;    /* 0 unless IPv4 */
	__u8 pad;
	__u32 saddr;      /* IPv4 source as on the wire, 0 otherwise */
};

struct counters {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} ipv4_counts SEC(".maps"), other_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct counters);
} counts SEC(".maps") = {
	.values = {[0] = &ipv4_counts, [1] = &other_counts},
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

__u64 lost;

SEC("xdp")
int xdp_events(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct event ev = {.len = (__u32)(data_end - data)};
	__u32 family = 1, slot;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	ev.eth_proto = bpf_ntohs(eth->h_proto);
	slot = ev.eth_proto & 0xff;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) <= data_end) {
			ev.ip_proto = ip->protocol;
			ev.saddr = ip->saddr;
			family = 0;
			slot = ip->protocol;
		}
	}

	void *inner = bpf_map_lookup_elem(&counts, &family);
	if (inner) {
		__u64 *c = bpf_map_lookup_elem(inner, &slot);
		if (c)
			__sync_fetch_and_add(c, 1);
	}

	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return XDP_PASS;
	}
	*e = ev;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
