// SPDX-License-Identifier: MIT
/* Loader test object: string literals (clang puts them in the mergeable
 * section .rodata.str1.1), a custom data section (.data.custom) and plain
 * .rodata, each a separate global-data map. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 limit = 64;
int tuned SEC(".data.custom") = 5;

SEC("tp/syscalls/sys_enter_write")
int strings(void *ctx)
{
	if (limit > 10)
		bpf_trace_printk("limit is %d\n", sizeof("limit is %d\n"), limit);
	bpf_trace_printk("tuned %d\n", sizeof("tuned %d\n"), tuned);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
