// SPDX-License-Identifier: MIT
/* Loader test object: two programs in one section (xdp) and a third in
 * another (tc/ingress), so a program is chosen by function name. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int first(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data > 100 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int second(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex == 1 ? XDP_TX : XDP_PASS;
}

SEC("tc/ingress")
int third(struct __sk_buff *skb)
{
	return skb->len > 1000 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
