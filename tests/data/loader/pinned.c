// SPDX-License-Identifier: MIT
/* Loader test object: a BTF-defined map pinned by name, which the loader
 * ignores with a note (there is no BPF filesystem). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&pinned, &k);
	if (v)
		(*v)++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
