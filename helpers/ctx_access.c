// SPDX-License-Identifier: MIT
/* Which loads and stores the kernel's verifier allows into the context of
 * each program type: the is_valid_access functions of net/core/filter.c and
 * kernel/trace/bpf_trace.c (Linux 6.18). The verifier checks them when the
 * program loads; bpfstep checks each access as it runs, so a refused one
 * stops the run with the verifier's "invalid bpf_context access". Atomics
 * into the context are refused for every type (the verifier: "BPF_ATOMIC
 * stores into R1 ctx is not allowed"). tests/kernel_helpers.c asks the
 * kernel's verifier about every offset, size and direction and compares. */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <stddef.h>

#include "helpers/ctx_access.h"

#define END(type, f) (offsetof(type, f) + sizeof(((type *)0)->f))
#define IN(off, type, f) ((off) >= offsetof(type, f) && (off) < END(type, f))
#define SKB(off, f) IN(off, struct __sk_buff, f)

static bool aligned(uint64_t off, unsigned size)
{
	return off % size == 0;
}

/* xdp_is_valid_access: every field a 4-byte read; egress_ifindex only for
 * devmap programs, which bpfstep does not run. */
static bool xdp_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	(void)user;
	return need == BS_REGION_READ && off < sizeof(struct xdp_md) && size == 4 &&
	       aligned(off, size) && off != offsetof(struct xdp_md, egress_ifindex);
}

/* bpf_skb_is_valid_access: the rules common to every __sk_buff type. */
static bool skb_common(uint64_t off, unsigned size, bool write)
{
	if (off >= sizeof(struct __sk_buff) || !aligned(off, size))
		return false;
	if (off >= offsetof(struct __sk_buff, cb) && off < END(struct __sk_buff, cb))
		return off + size <= END(struct __sk_buff, cb);
	if (SKB(off, data) || SKB(off, data_meta) || SKB(off, data_end))
		return size == 4;
	if (SKB(off, flow_keys))
		return false;
	if (SKB(off, tstamp) || SKB(off, hwtstamp))
		return size == 8;
	if (SKB(off, sk))
		return !write && size == 8 && off == offsetof(struct __sk_buff, sk);
	/* the socket's addresses only whole */
	if (off >= offsetof(struct __sk_buff, remote_ip4) &&
	    off < END(struct __sk_buff, local_ip6))
		return size == 4;
	/* tstamp_type and the padding after it */
	if (off >= offsetof(struct __sk_buff, tstamp_type) &&
	    off < offsetof(struct __sk_buff, hwtstamp))
		return false;
	/* every other field is a u32: narrow reads, whole writes */
	return write ? size == 4 : size <= 4;
}

static bool skb_family_to_local_port(uint64_t off)
{
	return off >= offsetof(struct __sk_buff, family) &&
	       off < END(struct __sk_buff, local_port);
}

/* sk_filter_is_valid_access */
static bool socket_filter_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	(void)user;
	bool write = need & BS_REGION_WRITE;
	if (need == BS_REGION_RW)
		return false;
	if (SKB(off, tc_classid) || SKB(off, data) || SKB(off, data_meta) || SKB(off, data_end) ||
	    skb_family_to_local_port(off) || SKB(off, tstamp) || SKB(off, wire_len) ||
	    SKB(off, hwtstamp))
		return false;
	if (write && !SKB(off, cb))
		return false;
	return skb_common(off, size, write);
}

/* tc_cls_act_is_valid_access */
static bool tc_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	(void)user;
	bool write = need & BS_REGION_WRITE;
	if (need == BS_REGION_RW)
		return false;
	if (write && !(SKB(off, mark) || SKB(off, tc_index) || SKB(off, priority) ||
		       SKB(off, tc_classid) || SKB(off, cb) || SKB(off, tstamp) ||
		       SKB(off, queue_mapping)))
		return false;
	if (skb_family_to_local_port(off))
		return false;
	/* tc programs read tstamp_type, a u8 */
	if (off == offsetof(struct __sk_buff, tstamp_type))
		return !write && size == 1;
	return skb_common(off, size, write);
}

/* cg_skb_is_valid_access, for a program loaded with CAP_BPF */
static bool cgroup_skb_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	(void)user;
	bool write = need & BS_REGION_WRITE;
	if (need == BS_REGION_RW)
		return false;
	if (SKB(off, tc_classid) || SKB(off, data_meta) || SKB(off, wire_len))
		return false;
	if (write && !(SKB(off, mark) || SKB(off, priority) || SKB(off, cb) || SKB(off, tstamp)))
		return false;
	return skb_common(off, size, write);
}

/* kprobe_prog_is_valid_access: struct pt_regs, read-only, aligned */
static bool kprobe_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	(void)user;
	return need == BS_REGION_READ && aligned(off, size) &&
	       off + size <= sizeof(bpf_user_pt_regs_t);
}

/* tp_prog_is_valid_access: the record past its 8 bytes of common fields */
static bool tp_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	(void)user;
	return need == BS_REGION_READ && off >= 8 && off < HLP_TP_MAX_SIZE && aligned(off, size);
}

/* raw_tp_prog_is_valid_access (bpf_tracing_ctx_access): the u64 arguments,
 * read-only, aligned. The kernel runs the program only if ctx_in covers
 * every access; one that reaches past it is remembered for the error. */
static bool raw_tp_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	struct hlp_raw_tp_rule *r = user;
	if (need != BS_REGION_READ || off >= 8 * HLP_RAW_TP_MAX_ARGS || !aligned(off, size))
		return false;
	if (off + size > r->size_in) {
		r->past_input = true;
		r->off = off;
		r->size = size;
		return false;
	}
	return true;
}

/* pe_prog_is_valid_access: the registers as whole u64s, sample_period and
 * addr also as narrower aligned reads */
static bool perf_event_rule(void *user, uint64_t off, unsigned size, unsigned need)
{
	(void)user;
	if (need != BS_REGION_READ || off >= sizeof(struct bpf_perf_event_data) ||
	    !aligned(off, size))
		return false;
	if (IN(off, struct bpf_perf_event_data, sample_period) ||
	    IN(off, struct bpf_perf_event_data, addr))
		return true;
	return size == 8;
}

bs_access_rule_fn hlp_ctx_rule(enum bs_prog_type type)
{
	switch (type) {
	case BS_PROG_XDP: return xdp_rule;
	case BS_PROG_SOCKET_FILTER: return socket_filter_rule;
	case BS_PROG_SCHED_CLS: case BS_PROG_SCHED_ACT: return tc_rule;
	case BS_PROG_CGROUP_SKB: return cgroup_skb_rule;
	case BS_PROG_KPROBE: return kprobe_rule;
	case BS_PROG_TRACEPOINT: return tp_rule;
	case BS_PROG_RAW_TRACEPOINT: return raw_tp_rule;
	case BS_PROG_PERF_EVENT: return perf_event_rule;
	default: return NULL;
	}
}
