// SPDX-License-Identifier: MIT
/* XDP dispatcher: the entry program reads the IPv4 protocol and tail-calls
 * the handler for it through the `handlers` program array (TCP and UDP have
 * one; anything else falls through and passes). The TCP handler sums the
 * first bytes of the TCP header with bpf_loop and drops packets to port 23
 * (telnet); the UDP handler walks the `seen` hash map with
 * bpf_for_each_map_elem to count how many distinct UDP ports it has seen
 * (a small map, so the walk is short) and records the port.
 *
 * Packets: dispatch_tcp.pkt (to port 80), dispatch_telnet.pkt (to port 23),
 * dispatch_udp.pkt (DNS), dispatch_arp.pkt (not IPv4). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct stats {
	__u64 tcp_sum;     /* the last TCP header's byte sum */
	__u64 udp_ports;   /* distinct UDP ports seen before this packet */
	__u64 dispatched;  /* packets that reached a handler */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct stats);
	__uint(max_entries, 1);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);
	__type(value, __u64);
	__uint(max_entries, 16);
} seen SEC(".maps");

static __always_inline struct iphdr *ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return NULL;
	return ip;
}

struct sum_ctx {
	__u8 *bytes;
	void *end;
	__u64 sum;
};

static long add_byte(__u64 i, struct sum_ctx *c)
{
	__u8 *p = c->bytes + (i & 31);

	if ((void *)(p + 1) > c->end)
		return 1;
	c->sum += *p;
	return 0;
}

SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	struct iphdr *ip = ipv4(ctx);
	void *data_end = (void *)(long)ctx->data_end;
	struct tcphdr *tcp;
	struct stats *s;
	__u32 zero = 0;

	if (!ip)
		return XDP_PASS;
	tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS;
	struct sum_ctx c = {.bytes = (__u8 *)tcp, .end = data_end};
	bpf_loop(sizeof(*tcp), add_byte, &c, 0);
	s = bpf_map_lookup_elem(&stats, &zero);
	if (s) {
		s->tcp_sum = c.sum;
		s->dispatched++;
	}
	return tcp->dest == bpf_htons(23) ? XDP_DROP : XDP_PASS;
}

static long count_port(void *map, __u16 *key, __u64 *value, __u64 *count)
{
	(*count)++;
	return 0;
}

SEC("xdp")
int handle_udp(struct xdp_md *ctx)
{
	struct iphdr *ip = ipv4(ctx);
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp;
	struct stats *s;
	__u32 zero = 0;
	__u64 count = 0, one = 1;

	if (!ip)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	bpf_for_each_map_elem(&seen, count_port, &count, 0);
	__u16 port = bpf_ntohs(udp->dest);
	bpf_map_update_elem(&seen, &port, &one, BPF_ANY);
	s = bpf_map_lookup_elem(&stats, &zero);
	if (s) {
		s->udp_ports = count;
		s->dispatched++;
	}
	return XDP_PASS;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__array(values, int (void *));
} handlers SEC(".maps") = {
	.values = {
		[IPPROTO_TCP] = (void *)&handle_tcp,
		[IPPROTO_UDP] = (void *)&handle_udp,
	},
};

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	struct iphdr *ip = ipv4(ctx);

	if (ip)
		bpf_tail_call(ctx, &handlers, ip->protocol);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
