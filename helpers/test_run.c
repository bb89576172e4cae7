// SPDX-License-Identifier: MIT
/* One run of an object's program with the context its type gets, the way
 * the kernel's BPF_PROG_TEST_RUN (net/bpf/test_run.c, Linux 6.18) builds it.
 * Every rule here was checked against the running kernel by
 * tests/kernel_objects.c; docs/run.md lists them. */
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/run.h"
#include "helpers/ctx_access.h"
#include "helpers/skb_helpers.h"
#include "helpers/run_repeat.h"
#include "helpers/tail_calls.h"
#include "helpers/task_helpers.h"
#include "helpers/trace_run.h"
#include "helpers/xdp_helpers.h"
#include "vm/error.h"

#define ETH_HLEN 14
#define PAGE_SIZE_ 4096
#define XDP_PACKET_HEADROOM 256
/* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom
 * test runs reserve, which also caps the linear data of a page */
#define TEST_RUN_TAILROOM 320
/* sizeof(struct xdp_frame): it lives in the XDP headroom, so metadata may
 * take at most XDP_PACKET_HEADROOM - XDP_FRAME_SIZE bytes of it */
#define XDP_FRAME_SIZE 40
/* what does not fit the linear part of an XDP test run goes to fragments of
 * one page each, at most MAX_SKB_FRAGS of them */
#define XDP_MAX_FRAGS 17
/* NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom of an skb test run */
#define SKB_HEADROOM 64
#define SKB_MAX_DATA (PAGE_SIZE_ - SKB_HEADROOM - TEST_RUN_TAILROOM)
#define GSO_LEGACY_MAX_SIZE 65536
#define GSO_MAX_SEGS 65535
#define LOOPBACK_IFINDEX 1

enum { PACKET_HOST = 0, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3 };
enum { AF_UNSPEC_ = 0, AF_INET_ = 2, AF_INET6_ = 10 };
enum { ETH_P_802_3_ = 0x0001, ETH_P_802_2_ = 0x0004, ETH_P_802_3_MIN_ = 0x0600,
       ETH_P_IP_ = 0x0800, ETH_P_IPV6_ = 0x86dd };
enum { TCP_CLOSE_ = 7 };

int bs_object_create_maps(const struct bs_object *obj, uint32_t ncpus, struct bs_maps **out,
			  struct bs_error *err)
{
	*out = NULL;
	struct bs_maps *maps;
	if (bs_maps_new(&maps, ncpus ? ncpus : 1, err))
		return -1;
	for (size_t i = 0; i < bs_object_map_count(obj); i++) {
		struct bs_map *m;
		size_t size;
		const void *init = bs_object_map_init(obj, i, &size);
		struct bs_map_def def = *bs_object_map_def(obj, i);
		/* libbpf: a perf_event_array of 0 entries gets one per CPU */
		if (def.type == BS_MAP_PERF_EVENT_ARRAY && def.max_entries == 0)
			def.max_entries = ncpus ? ncpus : 1;
		if (bs_maps_create_with_inner(maps, &def, bs_object_map_inner(obj, i), &m, err) < 0)
			goto fail;
		if (init) {
			void *v = bs_map_array_data(m, 0);
			if (!v || size > bs_map_def(m)->value_size) {
				vm_err(err, BS_ERR_ARG, BS_NO_PC, "map '%s' cannot hold its %zu initial bytes",
				       bs_map_def(m)->name, size);
				goto fail;
			}
			memcpy(v, init, size);
		}
	}
	/* `.values = { [k] = &x }` of prog_array and maps of maps, once every
	 * map exists: the indexes are the object's, which are the set's */
	for (size_t i = 0; i < bs_object_map_count(obj); i++) {
		size_t n;
		const struct bs_map_init_value *iv = bs_object_map_init_values(obj, i, &n);
		for (size_t k = 0; k < n; k++) {
			int rc = bs_map_update(bs_maps_at(maps, i), &iv[k].key, &iv[k].value, 0);
			if (rc) {
				vm_err(err, BS_ERR_ARG, BS_NO_PC, "map '%s': initial value [%u] = %u: %s",
				       bs_object_map_def(obj, i)->name, iv[k].key, iv[k].value,
				       strerror(-rc));
				goto fail;
			}
		}
	}
	*out = maps;
	return 0;
fail:
	bs_maps_free(maps);
	return -1;
}

union run_ctx {
	struct xdp_md xdp;
	struct __sk_buff skb;
};

/* Where each part lives; the buffers are the runner's, reused run after
 * run. */
struct run_mem {
	uint8_t *buf;           /* headroom + the whole input + tailroom */
	uint8_t *frags;         /* xdp: a page for each fragment */
	size_t frag_pages;      /* how many frags holds */
	size_t out_off, out_len;/* what data_out returns */
	bool zero_l2;           /* data_out's Ethernet header reads as zeros */
	union run_ctx ctx;      /* what the program sees */
	union run_ctx in;       /* ctx_in, zero-extended: ctx_out starts from it */
	size_t ctx_size;
	struct bpf_sock sk;     /* the socket an skb test run attaches */
	uint64_t sk_guest;      /* its guest address */
	struct hlp_skb skb;     /* what the skb helpers read and write */
	struct hlp_xdp xdp;     /* the XDP buffer the xdp helpers move within */
};

enum run_kind { RUN_XDP, RUN_SKB, RUN_TRACE };

struct bs_test_runner {
	const struct bs_prog *prog;
	struct bs_maps *maps;
	enum bs_prog_type type;
	enum run_kind kind;
	struct bs_vm *vm;
	struct hlp_tail_calls *tc;
	struct hlp_trace *trace;
	struct bs_env *env;        /* the one the helpers hold */
	bool env_fresh;            /* env is env_default, reset before each run */
	struct bs_env env_default;
	uint64_t args[5];          /* r1 = the context */
	struct run_mem m;
	/* what bs_test_runner_run_lent hands out, the runner's until its next
	 * run: data_out when it is not the packet buffer itself, ctx_out, and
	 * the clones of the run */
	uint8_t *out_buf;
	size_t out_cap;
	union run_ctx ctx_out;
	struct bs_clone *lent_clones;
	size_t lent_nclones;
};

/* n as the compiler cannot bound it: for a size it can bound (a packet
 * within a page) it inlines memset and memcpy as rep stos / rep movs,
 * whose start-up costs more than libc's vector code for a packet */
static inline size_t opaque(size_t n)
{
	__asm__("" : "+r"(n));
	return n;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t to_be16(uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	uint16_t r;
	memcpy(&r, b, 2);
	return r;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* ctx_in as bpf_ctx_init takes it: shorter than the struct is zero-extended,
 * longer must be zeros past it (bpf_check_uarg_tail_zero: E2BIG). */
static int take_ctx_in(const struct bs_test_run *tr, size_t ctx_size, const char *name, void *in,
		       struct bs_error *err)
{
	if (!tr->ctx_in)
		return 0;
	if (tr->ctx_size_in > ctx_size &&
	    !all_zero((const uint8_t *)tr->ctx_in + ctx_size, tr->ctx_size_in - ctx_size))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "ctx_in is %zu bytes and not all zero past struct %s (%zu bytes); the "
			      "kernel refuses that (E2BIG)", tr->ctx_size_in, name, ctx_size);
	memcpy(in, tr->ctx_in, tr->ctx_size_in < ctx_size ? tr->ctx_size_in : ctx_size);
	return 0;
}

static int refuse(struct bs_error *err, const char *msg)
{
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "%s", msg);
}

/* bpf_prog_test_run_xdp: the frame sits after XDP_PACKET_HEADROOM bytes of
 * headroom, metadata (ctx_in->data bytes of data_in) just in front of it;
 * ctx_in->data_end is where the linear part ends, the rest goes to page
 * fragments the program reaches only through helpers. */
static int setup_xdp(struct bs_vm *vm, const struct bs_test_run *tr, struct run_mem *m,
		     struct bs_error *err)
{
	const struct xdp_md *in = &m->in.xdp;
	if (take_ctx_in(tr, sizeof(struct xdp_md), "xdp_md", &m->in.xdp, err))
		return -1;
	size_t size = tr->data_size_in, meta = 0, linear = size;
	if (tr->ctx_in) {
		if (in->data_meta)
			return refuse(err, "ctx_in data_meta must be 0: no data may come before the "
				      "metadata (the kernel: EINVAL)");
		if (in->data_end > size)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in data_end (%u) is past the end of data_in (%zu bytes); the "
				      "kernel refuses that (EINVAL)", in->data_end, size);
		if (in->data > in->data_end)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in data (%u) is past data_end (%u) (the kernel: EINVAL)",
				      in->data, in->data_end);
		meta = in->data;
		if (meta % 4 || meta > XDP_PACKET_HEADROOM - XDP_FRAME_SIZE)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in data (%zu) is the metadata length, which must be a multiple "
				      "of 4 and at most %d (the kernel: EINVAL)", meta,
				      XDP_PACKET_HEADROOM - XDP_FRAME_SIZE);
		linear = in->data_end;
	}
	size_t max_linear = PAGE_SIZE_ - (XDP_PACKET_HEADROOM - meta) - TEST_RUN_TAILROOM;
	if (linear > max_linear)
		linear = max_linear;
	if (size - meta < ETH_HLEN)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the frame after %zu bytes of metadata is %zu bytes; the kernel's test "
			      "run needs at least an Ethernet header (14) (EINVAL)", meta, size - meta);
	if ((size - linear + PAGE_SIZE_ - 1) / PAGE_SIZE_ > XDP_MAX_FRAGS)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "data_in is %zu bytes: the %zu past the linear part (%zu) need more "
			      "than %d page fragments (the kernel: ENOMEM)", size, size - linear,
			      linear, XDP_MAX_FRAGS);
	if (tr->ctx_in) {
		if (in->egress_ifindex)
			return refuse(err, "ctx_in egress_ifindex must be 0 (the kernel: EINVAL)");
		if (!in->ingress_ifindex && in->rx_queue_index)
			return refuse(err, "ctx_in rx_queue_index needs an ingress_ifindex (the kernel: "
				      "EINVAL)");
		if (in->ingress_ifindex == LOOPBACK_IFINDEX && in->rx_queue_index)
			return refuse(err, "ctx_in rx_queue_index: the loopback device has one receive "
				      "queue, 0 (the kernel: EINVAL)");
	}
	/* m->buf is the page (data_hard_start first), then one page per
	 * fragment. Bytes past the frame become visible only through
	 * bpf_xdp_adjust_tail, which zeroes them, but adjust_head and
	 * adjust_meta show the headroom as it is: clear what an earlier run
	 * may have left there */
	size_t start = XDP_PACKET_HEADROOM - meta;
	struct hlp_xdp *hx = &m->xdp;
	/* the fragments are no region (helpers reach them): their memory may move */
	size_t pages = (size - linear + PAGE_SIZE_ - 1) / PAGE_SIZE_;
	if (pages > m->frag_pages) {
		uint8_t *more = realloc(m->frags, pages * PAGE_SIZE_);
		if (!more)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for a %zu-byte packet",
				      size);
		m->frags = more;
		m->frag_pages = pages;
	}
	hx->frag_mem = m->frags;
	/* data_in may be what the last run lent (struct bs_test_runner): move
	 * it before the headroom it may lie in is cleared */
	memmove(m->buf + start, tr->data_in, opaque(linear));
	memset(m->buf, 0, opaque(start));
	hx->nr_frags = 0;
	hx->frags_size = 0;
	for (size_t done = linear; done < size; done += hx->frag_size[hx->nr_frags++]) {
		size_t n = size - done < PAGE_SIZE_ ? size - done : PAGE_SIZE_;
		memcpy(hx->frag_mem + (size_t)hx->nr_frags * PAGE_SIZE_,
		       (const uint8_t *)tr->data_in + done, n);
		hx->frag_size[hx->nr_frags] = (uint32_t)n;
		hx->frags_size += (uint32_t)n;
	}
	hx->meta = (uint32_t)start;
	/* data and end in one store: hlp_xdp_sync loads the two as one, which
	 * two stores just before would stall (store forwarding) */
	_Static_assert(offsetof(struct hlp_xdp, end) == offsetof(struct hlp_xdp, data) + 4,
		       "data and end side by side");
	uint32_t data_end[2] = {(uint32_t)(start + meta), (uint32_t)(start + linear)};
	memcpy(&hx->data, data_end, sizeof(data_end));
	m->ctx_size = sizeof(struct xdp_md);
	struct xdp_md *x = &m->ctx.xdp;
	if (hlp_xdp_sync(vm, hx, err))
		return -1;
	/* the receive queue is the loopback device's queue 0 unless ctx_in names
	 * another device; bpfstep knows no other device, and takes the ifindex
	 * and queue as given (the kernel checks they exist) */
	x->ingress_ifindex = in->ingress_ifindex ? in->ingress_ifindex : LOOPBACK_IFINDEX;
	x->rx_queue_index = in->rx_queue_index;
	return 0;
}

/* The XDP buffer's regions, once per runner: the page (the region reserves
 * guest addresses for all of it, so the packet keeps its addresses as the
 * helpers move its window within it) and the context. */
static int regions_xdp(struct bs_vm *vm, struct run_mem *m, uint64_t *r1, struct bs_error *err)
{
	struct hlp_xdp *hx = &m->xdp;
	hx->buf = m->buf;
	hx->md = &m->ctx.xdp;
	if (bs_vm_add_region(vm, "pkt", m->buf, PAGE_SIZE_, BS_REGION_RW, &hx->guest, err))
		return -1;
	hx->region = hx->guest;
	if (bs_vm_add_region(vm, "ctx", &m->ctx.xdp, sizeof(struct xdp_md), BS_REGION_READ, r1,
			     err))
		return -1;
	return bs_vm_region_set_access_rule(vm, *r1, hlp_ctx_rule(BS_PROG_XDP), NULL, err);
}

/* xdp_convert_buff_to_md: offsets from data_meta; the rest as ctx_in had it */
static void xdp_ctx_out(const struct run_mem *m, struct xdp_md *out)
{
	*out = m->in.xdp;
	out->data = m->ctx.xdp.data - m->ctx.xdp.data_meta;
	out->data_end = m->ctx.xdp.data_end - m->ctx.xdp.data_meta;
	out->data_meta = 0;
}

/* eth_type_trans on the loopback device, whose address and broadcast
 * address are both all zeros (`ip link show lo`): the packet type, and
 * skb->protocol in network byte order. ff:ff:ff:ff:ff:ff is not lo's
 * broadcast address, so it is only multicast; PACKET_BROADCAST never occurs. */
static uint32_t pkt_type(const uint8_t *eth)
{
	static const uint8_t lo_addr[6];
	if (memcmp(eth, lo_addr, 6) == 0)
		return PACKET_HOST;
	return eth[0] & 1 ? PACKET_MULTICAST : PACKET_OTHERHOST;
}

static uint16_t eth_protocol(const uint8_t *eth, size_t size)
{
	uint16_t proto = be16(eth + 12);
	if (proto >= ETH_P_802_3_MIN_)
		return to_be16(proto);
	/* a length field: raw 802.3 (Novell's IPX) says so with 0xffff where the
	 * 802.2 header would start, anything else is 802.2 LLC */
	if (size >= ETH_HLEN + 2 && be16(eth + ETH_HLEN) == 0xffff)
		return to_be16(ETH_P_802_3_);
	return to_be16(ETH_P_802_2_);
}

/* The __sk_buff fields ctx_in may set; convert___skb_to_skb refuses any
 * other non-zero byte (EINVAL). */
static const struct {
	const char *name;
	size_t off, size;
} skb_settable[] = {
#define F(f) {#f, offsetof(struct __sk_buff, f), sizeof(((struct __sk_buff *)0)->f)}
	F(mark), F(priority), F(ingress_ifindex), F(ifindex), F(cb), F(tstamp), F(wire_len),
	F(gso_segs), F(gso_size), F(hwtstamp),
#undef F
};

/* The first byte of ctx_in outside the settable fields that is not zero. */
static long skb_unsettable(const struct __sk_buff *in)
{
	const uint8_t *b = (const uint8_t *)in;
	for (size_t i = 0; i < sizeof(*in); i++) {
		bool settable = false;
		for (size_t j = 0; j < sizeof(skb_settable) / sizeof(skb_settable[0]); j++)
			settable |= i >= skb_settable[j].off &&
				    i < skb_settable[j].off + skb_settable[j].size;
		if (!settable && b[i])
			return (long)i;
	}
	return -1;
}

/* The socket bpf_prog_test_run_skb attaches (skb->sk): a fresh AF_UNSPEC
 * one, turned AF_INET / AF_INET6 with the packet's addresses (the receiving
 * side's view: the source is the peer) for IPv4 / IPv6 packets. */
static void fill_sock(struct bpf_sock *sk, uint16_t proto, const uint8_t *net)
{
	memset(sk, 0, sizeof(*sk));
	sk->state = TCP_CLOSE_;
	sk->rx_queue_mapping = -1;
	if (proto == to_be16(ETH_P_IP_)) {
		sk->family = AF_INET_;
		memcpy(&sk->src_ip4, net + 12, 4);
		memcpy(&sk->dst_ip4, net + 16, 4);
	} else if (proto == to_be16(ETH_P_IPV6_)) {
		sk->family = AF_INET6_;
		memcpy(sk->src_ip6, net + 8, 16);
		memcpy(sk->dst_ip6, net + 24, 16);
	}
}

/* bpf_prog_test_run_skb: an skb over the frame on the loopback device, its
 * Ethernet header consumed by eth_type_trans, then pushed back for tc. */
/* The verifier's convert_ctx_access for __sk_buff stores: tc_index and
 * tc_classid are 16-bit fields, and queue_mapping too, where a value of
 * NO_QUEUE_MAPPING (0xffff) or more is not stored at all. */
static bool skb_ctx_store(void *user, uint64_t off, unsigned size, uint64_t v, void *host)
{
	(void)user;
	if (size != 4)
		return false;
	if (off == offsetof(struct __sk_buff, queue_mapping) && v >= 0xffff)
		return true;
	if (off == offsetof(struct __sk_buff, tc_index) ||
	    off == offsetof(struct __sk_buff, tc_classid) ||
	    off == offsetof(struct __sk_buff, queue_mapping)) {
		uint32_t low = (uint16_t)v;
		memcpy(host, &low, sizeof(low));
		return true;
	}
	return false;
}

static int setup_skb(struct bs_vm *vm, enum bs_prog_type type, const struct bs_test_run *tr,
		     struct run_mem *m, struct bs_error *err)
{
	const struct __sk_buff *in = &m->in.skb;
	if (take_ctx_in(tr, sizeof(struct __sk_buff), "__sk_buff", &m->in.skb, err))
		return -1;
	size_t size = tr->data_size_in;
	if (size > SKB_MAX_DATA)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the packet is %zu bytes; an skb test run takes at most %d (a page "
			      "less headroom and tailroom) (the kernel: EINVAL)", size, SKB_MAX_DATA);
	const uint8_t *frame = tr->data_in;
	uint16_t proto = eth_protocol(frame, size);
	size_t net_len = size - ETH_HLEN;
	if (proto == to_be16(ETH_P_IP_) && net_len < 20)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "an IPv4 packet needs its 20-byte header: %zu bytes after the Ethernet "
			      "header (the kernel: EINVAL)", net_len);
	if (proto == to_be16(ETH_P_IPV6_) && net_len < 40)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "an IPv6 packet needs its 40-byte header: %zu bytes after the Ethernet "
			      "header (the kernel: EINVAL)", net_len);
	/* tc programs see the Ethernet header; the others start at the network header */
	bool is_l2 = type == BS_PROG_SCHED_CLS || type == BS_PROG_SCHED_ACT;
	size_t pull = is_l2 ? 0 : ETH_HLEN, len = size - pull;
	if (tr->ctx_in) {
		long off = skb_unsettable(in);
		if (off >= 0)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in byte %ld is not zero: BPF_PROG_TEST_RUN takes only mark, "
				      "priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, "
				      "gso_size and hwtstamp (the kernel: EINVAL)", off);
		if (in->ifindex > LOOPBACK_IFINDEX)
			return vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
				      "ctx_in ifindex %u: bpfstep knows only the loopback device (1); the "
				      "kernel receives on that device, whose address decides pkt_type",
				      in->ifindex);
		if (in->wire_len && (in->wire_len < len || in->wire_len > GSO_LEGACY_MAX_SIZE))
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in wire_len %u is not within skb->len (%zu) .. %d (the "
				      "kernel: EINVAL)", in->wire_len, len, GSO_LEGACY_MAX_SIZE);
		if (in->gso_segs > GSO_MAX_SEGS)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "ctx_in gso_segs %u is more than %d (the kernel: EINVAL)",
				      in->gso_segs, GSO_MAX_SEGS);
	}
	/* the frame sits in the middle of a buffer the resizing helpers grow
	 * the packet into (skb_resize.c). What an earlier run left in the rest
	 * of it never shows: every helper that widens the packet writes or
	 * zeroes the bytes it adds, as the kernel's do */
	size_t at = HLP_SKB_MAX_LEN;
	memmove(m->buf + at, frame, opaque(size));
	const uint8_t *eth = m->buf + at;
	m->out_off = at;
	m->out_len = size;
	/* for the pulled types the kernel pushes the header back as zeros */
	m->zero_l2 = !is_l2;
	m->ctx_size = sizeof(struct __sk_buff);
	struct hlp_skb *hs = &m->skb;
	hs->head = at + pull;
	hs->len = len;
	hs->mac = at;
	hs->net = at + ETH_HLEN;
	hs->trans = -1;
	hs->encap = false;
	hs->vlan_proto = hs->vlan_tci = 0;
	uint64_t pkt = hs->guest + at + pull;
	fill_sock(&m->sk, proto, eth + ETH_HLEN);
	struct __sk_buff *s = &m->ctx.skb;
	s->len = (uint32_t)len;
	s->pkt_type = pkt_type(eth);
	s->protocol = proto;
	s->ifindex = LOOPBACK_IFINDEX;
	s->data = (uint32_t)pkt;
	s->data_meta = (uint32_t)pkt;
	s->data_end = (uint32_t)(pkt + len);
	/* a 64-bit guest address in a pointer-sized field (__bpf_md_ptr) */
	memcpy(&s->sk, &m->sk_guest, sizeof(m->sk_guest));
	/* the skb's socket fields (cgroup_skb reads them) */
	s->family = m->sk.family;
	s->remote_ip4 = m->sk.dst_ip4;
	s->local_ip4 = m->sk.src_ip4;
	memcpy(s->remote_ip6, m->sk.dst_ip6, sizeof(s->remote_ip6));
	memcpy(s->local_ip6, m->sk.src_ip6, sizeof(s->local_ip6));
	/* what ctx_in sets (convert___skb_to_skb); without one, wire_len stays 0 */
	s->mark = in->mark;
	s->priority = in->priority;
	s->ingress_ifindex = in->ingress_ifindex;
	memcpy(s->cb, in->cb, sizeof(s->cb));
	s->tstamp = in->tstamp;
	if (tr->ctx_in)
		s->wire_len = in->wire_len ? in->wire_len : (uint32_t)len;
	s->gso_segs = in->gso_segs;
	s->gso_size = in->gso_size;
	s->hwtstamp = in->hwtstamp;
	bs_vm_set_packet(vm, eth, size, pull, 0, ETH_HLEN);
	return hlp_skb_sync(vm, hs, err);
}

/* The skb's regions, once per runner: the buffer (the region reserves guest
 * addresses for all of it, so bytes keep their addresses as the helpers
 * move the packet's window), the socket and the context. */
static int regions_skb(struct bs_vm *vm, enum bs_prog_type type, struct run_mem *m, uint64_t *r1,
		       struct bs_error *err)
{
	struct hlp_skb *hs = &m->skb;
	hs->buf = m->buf;
	hs->md = &m->ctx.skb;
	if (bs_vm_add_region(vm, "pkt", m->buf, HLP_SKB_BUF_SIZE, BS_REGION_RW, &hs->guest, err))
		return -1;
	hs->region = hs->guest;
	if (bs_vm_add_region(vm, "sk", &m->sk, sizeof(m->sk), BS_REGION_READ, &m->sk_guest, err))
		return -1;
	if (bs_vm_add_region(vm, "ctx", &m->ctx.skb, sizeof(struct __sk_buff), BS_REGION_RW, r1,
			     err))
		return -1;
	if (bs_vm_region_set_access_rule(vm, *r1, hlp_ctx_rule(type), NULL, err))
		return -1;
	return bs_vm_region_set_store_hook(vm, *r1, skb_ctx_store, NULL, err);
}

/* convert_skb_to___skb: these fields from the skb, the rest as ctx_in had it */
static void skb_ctx_out(const struct run_mem *m, struct __sk_buff *out)
{
	const struct __sk_buff *s = &m->ctx.skb;
	*out = m->in.skb;
	out->mark = s->mark;
	out->priority = s->priority;
	out->ingress_ifindex = s->ingress_ifindex;
	out->ifindex = s->ifindex;
	out->tstamp = s->tstamp;
	memcpy(out->cb, s->cb, sizeof(out->cb));
	out->wire_len = s->wire_len;
	out->gso_segs = s->gso_segs;
	out->hwtstamp = s->hwtstamp;
}

/* data_out and ctx_out as bpf_prog_test_run gives them. Lent (the runner
 * keeps them): data_out is the packet buffer itself when the packet lies
 * there whole, else a copy in the runner's out_buf; given: malloc'd copies
 * the caller frees. */
static int copy_out(struct bs_test_runner *r, struct bs_test_run *tr, bool xdp, bool lend,
		    struct bs_error *err)
{
	struct run_mem *m = &r->m;
	const struct hlp_xdp *hx = &m->xdp;
	const uint8_t *lin;
	size_t lin_len;
	if (xdp) {
		/* bpf_prog_test_run_xdp: from data_meta to data_end, then the fragments */
		lin = hx->buf + hx->meta;
		lin_len = hx->end - hx->meta;
		m->out_len = lin_len + hx->frags_size;
	} else {
		if (!m->zero_l2) {
			/* tc: from skb->data, wherever the helpers left the packet */
			m->out_off = m->skb.head;
			m->out_len = m->skb.len;
		}
		lin = m->buf + m->out_off;
		lin_len = m->out_len;
	}
	/* lent: straight into the runner's; the union is as large as the
	 * largest context, and xdp_md is an eighth of it */
	union run_ctx given, *out = lend ? &r->ctx_out : &given;
	if (xdp)
		xdp_ctx_out(m, &out->xdp);
	else
		skb_ctx_out(m, &out->skb);
	uint8_t *data, *ctx;
	if (!lend) {
		data = malloc(m->out_len ? m->out_len : 1);
		ctx = malloc(m->ctx_size);
		/* the caller's now: a failure frees them */
		tr->data_out = data;
		tr->ctx_out = ctx;
		if (!data || !ctx)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		memcpy(ctx, out, m->ctx_size);
	} else {
		ctx = (uint8_t *)out;
		if (lin_len == m->out_len && !m->zero_l2) {
			data = (uint8_t *)lin;
		} else {
			if (m->out_len > r->out_cap) {
				uint8_t *more = realloc(r->out_buf, m->out_len);
				if (!more)
					return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
				r->out_buf = more;
				r->out_cap = m->out_len;
			}
			data = r->out_buf;
		}
	}
	if (data != lin) {
		memcpy(data, lin, opaque(lin_len));
		for (unsigned i = 0; xdp && i < hx->nr_frags; i++) {
			memcpy(data + lin_len, hx->frag_mem + (size_t)i * PAGE_SIZE_, hx->frag_size[i]);
			lin_len += hx->frag_size[i];
		}
		if (m->zero_l2)
			memset(data, 0, ETH_HLEN);
	}
	tr->data_out = data;
	tr->ctx_out = ctx;
	tr->data_size_out = m->out_len;
	tr->ctx_size_out = m->ctx_size;
	return 0;
}

static int refuse_type(enum bs_prog_type type, struct bs_error *err)
{
	return vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		      "running %s programs is not supported yet (xdp, sched_cls, sched_act, "
		      "socket_filter, cgroup_skb, kprobe, tracepoint, raw_tracepoint and "
		      "perf_event are)",
		      bs_prog_type_name(type));
}

/* What the kernel refuses before it looks at anything else; the same
 * messages, in the same order, whether the run is the first of a runner or
 * not. */
static int check_input(enum bs_prog_type type, const struct bs_test_run *tr, struct bs_error *err)
{
	/* tracing programs take no packet: their context is ctx_in */
	if (hlp_is_trace_type(type))
		return hlp_trace_check(type, tr, err);
	bool xdp = type == BS_PROG_XDP;
	bool skb = type == BS_PROG_SCHED_CLS || type == BS_PROG_SCHED_ACT ||
		   type == BS_PROG_SOCKET_FILTER || type == BS_PROG_CGROUP_SKB;
	if (!xdp && !skb)
		return refuse_type(type, err);
	if (tr->data_size_in < ETH_HLEN)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the packet is %zu bytes; the kernel's test run needs at least an "
			      "Ethernet header (14) (EINVAL)",
			      tr->data_size_in);
	/* the most any XDP run takes (the largest linear part, with the most
	 * metadata, and every fragment), checked exactly in setup_xdp; this
	 * only keeps absurd sizes from being allocated */
	size_t xdp_cap = PAGE_SIZE_ - XDP_FRAME_SIZE - TEST_RUN_TAILROOM +
			 (size_t)XDP_MAX_FRAGS * PAGE_SIZE_;
	if (xdp && tr->data_size_in > xdp_cap)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the packet is %zu bytes; an XDP test run takes at most %zu (the linear "
			      "part and %d page fragments) (the kernel: ENOMEM)",
			      tr->data_size_in, xdp_cap, XDP_MAX_FRAGS);
	if (skb && tr->data_size_in > SKB_MAX_DATA)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "the packet is %zu bytes; an skb test run takes at most %d (a page "
			      "less headroom and tailroom) (the kernel: EINVAL)",
			      tr->data_size_in, SKB_MAX_DATA);
	return 0;
}

static void free_outputs(struct bs_test_run *tr)
{
	free(tr->data_out);
	free(tr->ctx_out);
	tr->data_out = tr->ctx_out = NULL;
	for (size_t i = 0; i < tr->nclones; i++)
		free(tr->clones[i].data);
	free(tr->clones);
	tr->clones = NULL;
	tr->nclones = 0;
}

/* The clones a lent run handed out: the runner's until the next run. */
static void free_lent(struct bs_test_runner *r)
{
	for (size_t i = 0; i < r->lent_nclones; i++)
		free(r->lent_clones[i].data);
	free(r->lent_clones);
	r->lent_clones = NULL;
	r->lent_nclones = 0;
}

void bs_test_runner_free(struct bs_test_runner *r)
{
	if (!r)
		return;
	free_lent(r);
	free(r->out_buf);
	bs_maps_detach(r->maps, r->vm);
	bs_vm_free(r->vm);
	hlp_tail_calls_free(r->tc);
	hlp_trace_free(r->trace);
	free(r->m.buf);
	free(r->m.frags);
	free(r);
}

/* The VM as every run of the program gets it: helpers, maps, the program
 * and its tail calls, the context's regions. Each kind keeps the order in
 * which a run used to set its VM up, so regions get the same addresses. */
static int runner_setup(struct bs_test_runner *r, const struct bs_test_run *tmpl,
			struct bs_error *err)
{
	struct run_mem *m = &r->m;
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(r->prog, &n);
	int type = (int)r->type;
	if (bs_vm_new(&r->vm, err))
		return -1;
	struct bs_vm *vm = r->vm;
	if (r->kind == RUN_TRACE) {
		bs_vm_set_prog_type(vm, type);
		if (bs_helpers_register_env(vm, r->env, err) ||
		    (r->maps && bs_maps_attach(r->maps, vm, err)) ||
		    hlp_register_tracing(vm, r->env, type, err))
			return -1;
	} else {
		/* helpers are checked when the program loads, so they come
		 * first; the skb they read is filled in before each run */
		if (bs_helpers_register_env(vm, r->env, err) ||
		    hlp_register_tracing(vm, r->env, type, err) ||
		    (r->maps && bs_maps_attach(r->maps, vm, err)))
			return -1;
		if (r->kind == RUN_XDP ? hlp_register_xdp(vm, &m->xdp, err)
				       : hlp_register_skb(vm, r->type == BS_PROG_SOCKET_FILTER
								      ? HLP_SKB_SOCKET
								  : r->type == BS_PROG_CGROUP_SKB
								      ? HLP_SKB_CGROUP
								      : HLP_SKB_TC,
							  &m->skb, err))
			return -1;
		bs_vm_set_prog_type(vm, type);
	}
	bs_vm_set_budget(vm, tmpl->budget ? tmpl->budget : BS_DEFAULT_BUDGET);
	bs_vm_set_dispatch(vm, tmpl->dispatch);
	bs_vm_set_engine(vm, tmpl->engine);
	if (bs_vm_load(vm, insns, n, err) || hlp_tail_calls_setup(vm, r->prog, r->maps, &r->tc, err))
		return -1;
	switch (r->kind) {
	case RUN_TRACE:
		return hlp_trace_setup(vm, r->type, &r->trace, &r->args[0], err);
	case RUN_XDP:
		return regions_xdp(vm, m, &r->args[0], err);
	default:
		return regions_skb(vm, r->type, m, &r->args[0], err);
	}
}

int bs_test_runner_new(const struct bs_prog *prog, struct bs_maps *maps,
		       const struct bs_test_run *tmpl, struct bs_test_runner **out,
		       struct bs_error *err)
{
	bs_error_clear(err);
	*out = NULL;
	static const struct bs_test_run none;
	if (!tmpl)
		tmpl = &none;
	enum bs_prog_type type = bs_prog_type(prog);
	enum run_kind kind = hlp_is_trace_type(type) ? RUN_TRACE
			     : type == BS_PROG_XDP    ? RUN_XDP
						      : RUN_SKB;
	if (kind == RUN_SKB && type != BS_PROG_SCHED_CLS && type != BS_PROG_SCHED_ACT &&
	    type != BS_PROG_SOCKET_FILTER && type != BS_PROG_CGROUP_SKB)
		return refuse_type(type, err);
	struct bs_test_runner *r = calloc(1, sizeof(*r));
	if (!r)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	r->prog = prog;
	r->maps = maps;
	r->type = type;
	r->kind = kind;
	r->env = tmpl->env;
	if (!r->env) {
		bs_env_default(&r->env_default);
		r->env = &r->env_default;
		r->env_fresh = true;
	}
	struct run_mem *m = &r->m;
	/* where the redirect helpers record (set for each run), and what they read */
	m->skb.maps = m->xdp.maps = maps;
	m->skb.env = m->xdp.env = r->env;
	/* xdp: the page (its fragments come with the packets that have
	 * them); the buffer never moves, since the guest addresses follow its
	 * host ones */
	if (kind != RUN_TRACE) {
		m->buf = calloc(1, kind == RUN_XDP ? PAGE_SIZE_ : HLP_SKB_BUF_SIZE);
		if (!m->buf) {
			free(r);
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for the packet buffer");
		}
	}
	if (runner_setup(r, tmpl, err)) {
		bs_test_runner_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static int runner_run(struct bs_test_runner *r, struct bs_test_run *tr, bool lend,
		      struct bs_error *err)
{
	free_lent(r);
	/* err is not cleared here: every failure below fills it, and the run
	 * (bs_vm_run) clears it first; a packet's worth of memset saved */
	tr->data_out = tr->ctx_out = NULL;
	tr->data_size_out = tr->ctx_size_out = 0;
	memset(&tr->redirect, 0, sizeof(tr->redirect));
	tr->clones = NULL;
	tr->nclones = 0;
	if (tr->env && tr->env != r->env)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "a run's environment must be the one its runner was made with (the "
			      "helpers keep it)");
	if (check_input(r->type, tr, err))
		return -1;
	struct bs_vm *vm = r->vm;
	struct run_mem *m = &r->m;
	if (r->env_fresh)
		bs_env_default(&r->env_default);
	bs_vm_set_budget(vm, tr->budget ? tr->budget : BS_DEFAULT_BUDGET);
	bs_vm_set_dispatch(vm, tr->dispatch);
	bs_vm_set_engine(vm, tr->engine);
	int rc;
	if (r->kind == RUN_TRACE) {
		if (hlp_trace_begin(vm, r->trace, tr, err))
			return -1;
		rc = hlp_run_repeat(vm, r->args, tr, err);
		hlp_trace_end(r->trace, rc, err);
	} else {
		bool xdp = r->kind == RUN_XDP;
		/* the type's own struct: xdp_md is an eighth of the union */
		size_t ctx_size = xdp ? sizeof(struct xdp_md) : sizeof(struct __sk_buff);
		memset(&m->ctx, 0, ctx_size);
		memset(&m->in, 0, ctx_size);
		m->skb.tr = m->xdp.tr = tr;
		if (xdp ? setup_xdp(vm, tr, m, err) : setup_skb(vm, r->type, tr, m, err))
			return -1;
		/* bpf_test_run: repeat runs over the same context and packet, each
		 * seeing what the one before left; the last one's result counts */
		rc = hlp_run_repeat(vm, r->args, tr, err);
		if (!rc)
			rc = copy_out(r, tr, xdp, lend, err);
	}
	if (rc && bs_vm_current_prog(vm))
		hlp_note_tail_called(err, hlp_tail_calls_prog_name(r->tc, bs_vm_current_prog(vm)));
	if (rc) {
		if (lend)
			tr->data_out = tr->ctx_out = NULL;
		free_outputs(tr);
	} else if (lend) {
		r->lent_clones = tr->clones;
		r->lent_nclones = tr->nclones;
	}
	return rc;
}

int bs_test_runner_run(struct bs_test_runner *r, struct bs_test_run *tr, struct bs_error *err)
{
	return runner_run(r, tr, false, err);
}

int bs_test_runner_run_lent(struct bs_test_runner *r, struct bs_test_run *tr,
			    struct bs_error *err)
{
	return runner_run(r, tr, true, err);
}

int bs_test_run(const struct bs_prog *prog, struct bs_maps *maps, struct bs_test_run *tr,
		struct bs_error *err)
{
	bs_error_clear(err);
	tr->data_out = tr->ctx_out = NULL;
	tr->data_size_out = tr->ctx_size_out = 0;
	memset(&tr->redirect, 0, sizeof(tr->redirect));
	tr->clones = NULL;
	tr->nclones = 0;
	/* input the kernel refuses outright is refused before the program loads */
	if (check_input(bs_prog_type(prog), tr, err))
		return -1;
	struct bs_test_runner *r;
	if (bs_test_runner_new(prog, maps, tr, &r, err))
		return -1;
	int rc = bs_test_runner_run(r, tr, err);
	bs_test_runner_free(r);
	return rc;
}
