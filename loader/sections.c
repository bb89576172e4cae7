// SPDX-License-Identifier: MIT
/* Program section names, as libbpf's section_defs types them. A name with
 * PFX matches itself and "name/anything"; EXACT matches only itself. */
#include "loader/loader.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { EXACT = 0, PFX = 1 };

static const struct {
	const char *sec;
	enum bs_prog_type type;
	int match;
} section_defs[] = {
	{"socket", BS_PROG_SOCKET_FILTER, PFX},
	{"sk_reuseport/migrate", BS_PROG_SK_REUSEPORT, EXACT},
	{"sk_reuseport", BS_PROG_SK_REUSEPORT, EXACT},
	{"kprobe", BS_PROG_KPROBE, PFX},
	{"uprobe", BS_PROG_KPROBE, PFX},
	{"uprobe.s", BS_PROG_KPROBE, PFX},
	{"kretprobe", BS_PROG_KPROBE, PFX},
	{"uretprobe", BS_PROG_KPROBE, PFX},
	{"uretprobe.s", BS_PROG_KPROBE, PFX},
	{"kprobe.multi", BS_PROG_KPROBE, PFX},
	{"kretprobe.multi", BS_PROG_KPROBE, PFX},
	{"uprobe.multi", BS_PROG_KPROBE, PFX},
	{"uretprobe.multi", BS_PROG_KPROBE, PFX},
	{"ksyscall", BS_PROG_KPROBE, PFX},
	{"kretsyscall", BS_PROG_KPROBE, PFX},
	{"usdt", BS_PROG_KPROBE, PFX},
	{"tc/ingress", BS_PROG_SCHED_CLS, EXACT},
	{"tc/egress", BS_PROG_SCHED_CLS, EXACT},
	{"tcx/ingress", BS_PROG_SCHED_CLS, EXACT},
	{"tcx/egress", BS_PROG_SCHED_CLS, EXACT},
	{"tc", BS_PROG_SCHED_CLS, PFX},
	{"classifier", BS_PROG_SCHED_CLS, PFX},
	{"action", BS_PROG_SCHED_ACT, PFX},
	{"netkit/primary", BS_PROG_SCHED_CLS, EXACT},
	{"netkit/peer", BS_PROG_SCHED_CLS, EXACT},
	{"tracepoint", BS_PROG_TRACEPOINT, PFX},
	{"tp", BS_PROG_TRACEPOINT, PFX},
	{"raw_tracepoint", BS_PROG_RAW_TRACEPOINT, PFX},
	{"raw_tp", BS_PROG_RAW_TRACEPOINT, PFX},
	{"raw_tracepoint.w", BS_PROG_RAW_TRACEPOINT_WRITABLE, PFX},
	{"raw_tp.w", BS_PROG_RAW_TRACEPOINT_WRITABLE, PFX},
	{"tp_btf", BS_PROG_TRACING, PFX},
	{"fentry", BS_PROG_TRACING, PFX},
	{"fmod_ret", BS_PROG_TRACING, PFX},
	{"fexit", BS_PROG_TRACING, PFX},
	{"fentry.s", BS_PROG_TRACING, PFX},
	{"fmod_ret.s", BS_PROG_TRACING, PFX},
	{"fexit.s", BS_PROG_TRACING, PFX},
	{"freplace", BS_PROG_EXT, PFX},
	{"lsm", BS_PROG_LSM, PFX},
	{"lsm.s", BS_PROG_LSM, PFX},
	{"lsm_cgroup", BS_PROG_LSM, PFX},
	{"iter", BS_PROG_TRACING, PFX},
	{"iter.s", BS_PROG_TRACING, PFX},
	{"syscall", BS_PROG_SYSCALL, EXACT},
	{"xdp.frags/devmap", BS_PROG_XDP, EXACT},
	{"xdp/devmap", BS_PROG_XDP, EXACT},
	{"xdp.frags/cpumap", BS_PROG_XDP, EXACT},
	{"xdp/cpumap", BS_PROG_XDP, EXACT},
	{"xdp.frags", BS_PROG_XDP, EXACT},
	{"xdp", BS_PROG_XDP, PFX},
	{"perf_event", BS_PROG_PERF_EVENT, EXACT},
	{"lwt_in", BS_PROG_LWT_IN, EXACT},
	{"lwt_out", BS_PROG_LWT_OUT, EXACT},
	{"lwt_xmit", BS_PROG_LWT_XMIT, EXACT},
	{"lwt_seg6local", BS_PROG_LWT_SEG6LOCAL, EXACT},
	{"sockops", BS_PROG_SOCK_OPS, EXACT},
	{"sk_skb/stream_parser", BS_PROG_SK_SKB, EXACT},
	{"sk_skb/stream_verdict", BS_PROG_SK_SKB, EXACT},
	{"sk_skb/verdict", BS_PROG_SK_SKB, EXACT},
	{"sk_skb", BS_PROG_SK_SKB, EXACT},
	{"sk_msg", BS_PROG_SK_MSG, EXACT},
	{"lirc_mode2", BS_PROG_LIRC_MODE2, EXACT},
	{"flow_dissector", BS_PROG_FLOW_DISSECTOR, EXACT},
	{"cgroup_skb/ingress", BS_PROG_CGROUP_SKB, EXACT},
	{"cgroup_skb/egress", BS_PROG_CGROUP_SKB, EXACT},
	{"cgroup/skb", BS_PROG_CGROUP_SKB, EXACT},
	{"cgroup/sock_create", BS_PROG_CGROUP_SOCK, EXACT},
	{"cgroup/sock_release", BS_PROG_CGROUP_SOCK, EXACT},
	{"cgroup/sock", BS_PROG_CGROUP_SOCK, EXACT},
	{"cgroup/post_bind4", BS_PROG_CGROUP_SOCK, EXACT},
	{"cgroup/post_bind6", BS_PROG_CGROUP_SOCK, EXACT},
	{"cgroup/bind4", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/bind6", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/connect4", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/connect6", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/connect_unix", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/sendmsg4", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/sendmsg6", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/sendmsg_unix", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/recvmsg4", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/recvmsg6", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/recvmsg_unix", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/getpeername4", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/getpeername6", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/getsockname4", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/getsockname6", BS_PROG_CGROUP_SOCK_ADDR, EXACT},
	{"cgroup/sysctl", BS_PROG_CGROUP_SYSCTL, EXACT},
	{"cgroup/getsockopt", BS_PROG_CGROUP_SOCKOPT, EXACT},
	{"cgroup/setsockopt", BS_PROG_CGROUP_SOCKOPT, EXACT},
	{"cgroup/dev", BS_PROG_CGROUP_DEVICE, EXACT},
	{"struct_ops", BS_PROG_STRUCT_OPS, PFX},
	{"struct_ops.s", BS_PROG_STRUCT_OPS, PFX},
	{"sk_lookup", BS_PROG_SK_LOOKUP, EXACT},
	{"netfilter", BS_PROG_NETFILTER, EXACT},
};

#define NDEFS (sizeof(section_defs) / sizeof(section_defs[0]))

enum bs_prog_type ldr_section_type(const char *sec)
{
	for (size_t i = 0; i < NDEFS; i++) {
		size_t len = strlen(section_defs[i].sec);
		if (strncmp(sec, section_defs[i].sec, len) != 0)
			continue;
		if (sec[len] == 0 || (section_defs[i].match == PFX && sec[len] == '/'))
			return section_defs[i].type;
	}
	return BS_PROG_UNSPEC;
}

static char known_list[2048];

static void build_known_list(void)
{
	size_t at = 0;
	for (size_t i = 0; i < NDEFS && at < sizeof(known_list) - 40; i++)
		at += (size_t)snprintf(known_list + at, sizeof(known_list) - at, "%s%s%s",
				       i ? ", " : "", section_defs[i].sec,
				       section_defs[i].match == PFX ? "[/...]" : "");
}

const char *bs_object_known_sections(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_known_list);
	return known_list;
}

const char *bs_prog_type_name(enum bs_prog_type type)
{
	static const char *const names[] = {
		"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
		"perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit",
		"sock_ops", "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint",
		"cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
		"flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt",
		"tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
	};
	if ((unsigned)type >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[type];
}
