// SPDX-License-Identifier: MIT
/* Types for the BTF tests: every kind clang writes, bitfields, nested
 * anonymous types, function pointers, arrays of them, a pointer cycle
 * through a typedef, a packed and an over-aligned struct. Globals keep the
 * types alive in the object's BTF. */
#include <linux/bpf.h>

#include "bpf_defs.h"

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))

typedef unsigned int u32_t;
typedef const volatile u32_t cv_u32;

enum color { RED, GREEN = 5, BLUE = -1 };

struct node;
typedef struct node *node_ptr;

struct node {
	node_ptr next;
	struct node *prev;
	int (*cmp)(const struct node *a, const struct node *b);
	void (*callbacks[2])(int);
	char name[16];
	int grid[3][4];
	unsigned int flags : 3;
	unsigned int kind : 5;
	int delta : 7;
	enum color color : 4;
	union {
		long as_long;
		struct {
			short lo, hi;
		} parts;
	};
	struct {
		unsigned char tag;
		float ratio;
		double precise;
	} meta;
	cv_u32 counter;
	char *restrict scratch;
	_Bool ok;
	const char *const *argv;
	int __user *uptr;
} __tag("node_struct");

struct __attribute__((packed)) packed_hdr {
	char c;
	int i;
	short s;
};

struct aligned_thing {
	char c;
	long l __attribute__((aligned(16)));
};

struct opaque;
union later;
struct uses_fwd {
	struct opaque *o;
	union later *u;
	enum { ANON_A = 1, ANON_B } anon_kind;
};

typedef int (*handler_t)(void *ctx, unsigned long long flags);

struct node g_node;
struct packed_hdr g_packed;
struct aligned_thing g_aligned;
struct uses_fwd g_fwd;
handler_t g_handlers[4];
int g_tagged __tag("counter") = 3;

static __attribute__((noinline)) int helper(struct node *n __tag("arg"), int x)
{
	return n->flags + x;
}

SEC("xdp")
int types_prog(struct xdp_md *ctx)
{
	g_node.flags = ctx->ingress_ifindex & 7;
	return helper(&g_node, ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
