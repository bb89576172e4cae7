// SPDX-License-Identifier: MIT
/* Returns the low bits of bpf_ktime_get_ns: bpfstep's clock is virtual, so
 * `run --compare-kernel` finds the kernel's result different (docs/errors.md,
 * exit status 4). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int ktime(struct xdp_md *ctx)
{
	return (int)(bpf_ktime_get_ns() & 0xffff) + 100;
}

char LICENSE[] SEC("license") = "GPL";
