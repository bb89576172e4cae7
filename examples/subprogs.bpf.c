// SPDX-License-Identifier: MIT
/* bpf-to-bpf calls: two programs sharing static and global subprograms.
 *
 *   xdp_sum:  sums the first bytes of the packet as 16-bit words, one's
 *             complement style, and returns the folded 16-bit sum % 4 as the
 *             XDP action (0 aborted, 1 drop, 2 pass, 3 tx).
 *   tc_len:   returns TC_ACT_OK (0) if the packet is at least 60 bytes long,
 *             TC_ACT_SHOT (2) otherwise, using the same helpers.
 *
 * Call graph (each function is a separate subprogram, __noinline):
 *
 *   xdp_sum ─► csum_words ─► load_word
 *          │             └─► fold        (nested call, fold used twice)
 *          ├─► fold
 *          └─► pkt_len   (global function: its own verifier unit)
 *   tc_len  ─► clamp ─► pkt_len_skb (global)
 *
 * The linker appends each subprogram once per program, depth first in the
 * order of first use, as libbpf does: xdp_sum, csum_words, load_word, fold,
 * pkt_len.
 *
 * Packets: subprogs_short.pkt (a 42-byte ARP frame), subprogs_syn.pkt (a
 * 74-byte TCP SYN). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define NWORDS 8

static __noinline __u32 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

static __noinline __u32 load_word(const __u8 *p)
{
	return ((__u32)p[0] << 8) | p[1];
}

static __noinline __u32 csum_words(const __u8 *p, const void *end)
{
	__u32 sum = 0;
	for (int i = 0; i < NWORDS; i++) {
		if ((const void *)(p + 2) > end)
			break;
		sum += load_word(p);
		p += 2;
	}
	return fold(sum);
}

__noinline int pkt_len(struct xdp_md *ctx)
{
	if (!ctx)
		return 0;
	return ctx->data_end - ctx->data;
}

__noinline int pkt_len_skb(struct __sk_buff *skb)
{
	if (!skb)
		return 0;
	return skb->len;
}

static __noinline int clamp(struct __sk_buff *skb, int lo)
{
	int len = pkt_len_skb(skb);
	return len < lo ? lo - 1 : len;
}

SEC("xdp")
int xdp_sum(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;
	__u32 sum = csum_words(data, end);
	sum = fold(sum + (__u32)pkt_len(ctx));
	return sum % 4;
}

SEC("tc")
int tc_len(struct __sk_buff *skb)
{
	return clamp(skb, 60) >= 60 ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
