// SPDX-License-Identifier: MIT
/* Loader test object: an extern .kconfig variable, which only a kernel (or
 * libbpf reading /proc/config.gz) can give a value. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("xdp")
int kver(struct xdp_md *ctx)
{
	return LINUX_KERNEL_VERSION > 0x050f00 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
