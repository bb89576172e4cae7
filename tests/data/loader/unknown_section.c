// SPDX-License-Identifier: MIT
/* Loader test object: a program in a section that names no program type. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("frobnicate")
int weird(void *ctx)
{
	return ctx != 0;
}

char LICENSE[] SEC("license") = "GPL";
