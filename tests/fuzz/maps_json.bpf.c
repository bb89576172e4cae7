// SPDX-License-Identifier: MIT
/* The maps fuzz_maps_json loads JSON into: one of each kind of map contents
 * (entries, percpu values, queue elements, program and map references,
 * global data) with BTF types of each kind (structs with bitfields, unions,
 * enums, char arrays, nested arrays). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum colour { RED, GREEN = 5, BLUE = -1 };

struct key {
	__u32 addr;
	__u16 port;
	__u8 proto;
	__u8 flags : 3, spare : 5;
};

struct value {
	char name[12];
	__s64 counts[3];
	enum colour colour;
	union {
		__u32 u;
		__s16 s[2];
	} un;
	struct {
		__u8 a, b;
	} pair[2];
};

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct value);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, struct key);
	__type(value, struct value);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u64);
	__type(value, __u32);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u64);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} progs SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

__u64 counter = 7;
struct value last;
const volatile char tag[8] = "fuzz";

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct value *v = bpf_map_lookup_elem(&arr, &k);
	if (v)
		v->counts[0] += tag[0];
	counter++;
	last.colour = GREEN;
	bpf_tail_call(ctx, &progs, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
