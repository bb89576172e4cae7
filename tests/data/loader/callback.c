// SPDX-License-Identifier: MIT
/* Loader test object: a bpf_loop callback, whose address is taken with a
 * function-pointer lddw (src_reg BPF_PSEUDO_FUNC, 4), plus an ordinary
 * bpf-to-bpf call. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct loop_ctx {
	__u64 sum;
};

static __noinline __u64 square(__u64 x)
{
	return x * x;
}

static int add_square(__u32 i, void *data)
{
	struct loop_ctx *c = data;
	c->sum += square(i);
	return 0;
}

SEC("xdp")
int looper(struct xdp_md *ctx)
{
	struct loop_ctx c = {0};
	bpf_loop(ctx->rx_queue_index & 7, add_square, &c, 0);
	return square(c.sum) & 3;
}

char LICENSE[] SEC("license") = "GPL";
