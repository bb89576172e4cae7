// SPDX-License-Identifier: MIT
/* Variables for tests/test_dwarf.c: an inlined parser, a struct with
 * bitfields on the stack, an enum, globals in .data and .bss, a static
 * subprogram. test_dwarf.c finds the lines by the markers in the comments
 * (@NAME) and computes what each variable holds from the packet. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum verdict { V_PASS = 2, V_DROP = 1, V_ODD = 7 };

struct flags {
	unsigned int ihl : 4;
	unsigned int version : 4;
	signed int delta : 5;
	unsigned int df : 1;
	unsigned char tos;
	unsigned short id;
};

struct stats {
	__u64 packets;
	__u32 last_saddr;
	enum verdict last;
	unsigned char tag[4];
};

struct stats totals = {.tag = {'d', 'w', 'r', 'f'}};
__u32 seen_bytes;

static __always_inline int parse_ipv4(struct iphdr *ip, void *end, __u32 *saddr)
{
	if ((void *)(ip + 1) > end)
		return -1;
	__u8 proto = ip->protocol; /* @PROTO */
	*saddr = ip->saddr;
	__u8 ttl = ip->ttl; /* @TTL */
	return proto + (ttl & 1) * 256;
}

static __noinline __u32 mix(__u32 a, __u32 b)
{
	__u32 x = a ^ (b << 3); /* @MIX */
	return x + 1;
}

SEC("xdp")
int xdp_vars(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 saddr = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	int r = parse_ipv4(ip, data_end, &saddr);
	if (r < 0)
		return XDP_PASS;
	volatile struct flags fl = {};
	fl.ihl = ip->ihl;
	fl.version = ip->version;
	fl.delta = (signed int)(ip->ttl & 0xf) - 8;
	fl.df = !!(ip->frag_off & bpf_htons(0x4000));
	fl.tos = ip->tos;
	fl.id = bpf_ntohs(ip->id);
	enum verdict v = (r & 0xff) == IPPROTO_TCP ? V_DROP : V_PASS;
	__u32 m = mix(saddr, fl.id); /* @FLAGS */
	totals.packets++;
	totals.last_saddr = saddr;
	totals.last = v;
	seen_bytes += (__u32)(data_end - data);
	return m == 0 ? V_ODD : v; /* @END */
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
