// SPDX-License-Identifier: MIT
/* The tc helpers that change where an skb's packet starts or ends
 * (net/core/filter.c and net/core/skbuff.c, Linux 6.18): bpf_skb_pull_data,
 * bpf_skb_change_tail, bpf_skb_change_head, bpf_skb_vlan_push / _pop,
 * bpf_skb_change_proto and bpf_skb_adjust_room, over a test run's linear,
 * CHECKSUM_NONE skb whose VLAN tag, as on a real device with tag offload,
 * lives out of band (skb->vlan_proto / vlan_tci). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bpfstep/maps.h"
#include "helpers/helper_names.h"
#include "helpers/skb_helpers.h"
#include "vm/error.h"

#define ETH_HLEN 14
#define ETH_ALEN 6
#define VLAN_HLEN 4
#define VLAN_ETH_HLEN 18
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define ETH_P_802_3_MIN 0x0600
/* x86-64's largest kmalloc (order-10 pages): a head that grows past it
 * cannot be allocated */
#define KMALLOC_MAX_SIZE (4u << 20)

/* bpf_skb_adjust_room's flags and modes (uapi linux/bpf.h) */
#define ADJ_FIXED_GSO (1ULL << 0)
#define ADJ_ENCAP_L3_IPV4 (1ULL << 1)
#define ADJ_ENCAP_L3_IPV6 (1ULL << 2)
#define ADJ_ENCAP_L4_GRE (1ULL << 3)
#define ADJ_ENCAP_L4_UDP (1ULL << 4)
#define ADJ_NO_CSUM_RESET (1ULL << 5)
#define ADJ_ENCAP_L2_ETH (1ULL << 6)
#define ADJ_DECAP_L3_IPV4 (1ULL << 7)
#define ADJ_DECAP_L3_IPV6 (1ULL << 8)
#define ADJ_ENCAP_L2_SHIFT 56
#define ADJ_ENCAP_L3_MASK (ADJ_ENCAP_L3_IPV4 | ADJ_ENCAP_L3_IPV6)
#define ADJ_DECAP_L3_MASK (ADJ_DECAP_L3_IPV4 | ADJ_DECAP_L3_IPV6)
#define ADJ_MASK (ADJ_FIXED_GSO | ADJ_ENCAP_L3_MASK | ADJ_ENCAP_L4_GRE | ADJ_ENCAP_L4_UDP | \
		  ADJ_ENCAP_L2_ETH | (0xffULL << ADJ_ENCAP_L2_SHIFT) | ADJ_DECAP_L3_MASK)
enum { ADJ_ROOM_NET = 0, ADJ_ROOM_MAC = 1 };

static uint16_t be16(uint16_t host)
{
	uint8_t b[2] = {(uint8_t)(host >> 8), (uint8_t)host};
	uint16_t r;
	memcpy(&r, b, 2);
	return r;
}

static uint16_t ld_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void st_raw16(uint8_t *p, uint16_t raw)
{
	memcpy(p, &raw, 2);
}

static bool is_vlan_proto(uint16_t raw)
{
	return raw == be16(0x8100) || raw == be16(0x88a8);
}

int hlp_skb_sync(struct bs_vm *vm, struct hlp_skb *s, struct bs_error *err)
{
	s->data = s->buf + s->head;
	struct __sk_buff *md = s->md;
	md->len = (uint32_t)s->len;
	md->data = (uint32_t)(s->guest + s->head);
	md->data_meta = md->data;
	md->data_end = (uint32_t)(s->guest + s->head + s->len);
	md->vlan_present = s->vlan_proto || s->vlan_tci;
	md->vlan_tci = s->vlan_tci;
	md->vlan_proto = s->vlan_proto;
	if (bs_vm_region_update(vm, s->region, s->data, s->len, err))
		return -1;
	s->region = s->guest + s->head;
	/* LD_ABS reads from the MAC header (which may lie before data) on */
	size_t base = s->mac < s->head ? s->mac : s->head;
	size_t net = s->net > base ? s->net - base : 0;
	bs_vm_set_packet(vm, s->buf + base, s->head + s->len - base, s->head - base, s->mac - base,
			 net);
	return 0;
}

static int unsupported(struct bs_error *err, const char *what, size_t need)
{
	vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
	       "%s: the packet would need %zu bytes; bpfstep keeps an skb of at most %d bytes "
	       "on either side of where it started", what, need, HLP_SKB_MAX_LEN);
	return -1;
}

/* Room for front more bytes before data and back more after the packet
 * (skb_cow_head / pskb_expand_head): when a side lacks it the packet, with
 * its MAC header, moves back to the middle of the buffer. */
static int make_room(struct hlp_skb *s, size_t front, size_t back, const char *what,
		     struct bs_error *err)
{
	size_t base = s->mac < s->head ? s->mac : s->head;
	size_t end = s->head + s->len;
	if (base >= front && end + back <= HLP_SKB_BUF_SIZE)
		return 0;
	size_t new_head = HLP_SKB_MAX_LEN, new_base = new_head - (s->head - base);
	if (new_base < front || new_head + s->len + back > HLP_SKB_BUF_SIZE)
		return unsupported(err, what, s->len + front + back);
	memmove(s->buf + new_base, s->buf + base, end - base);
	long shift = (long)new_base - (long)base;
	s->head = (size_t)((long)s->head + shift);
	s->mac = (size_t)((long)s->mac + shift);
	s->net = (size_t)((long)s->net + shift);
	if (s->trans >= 0)
		s->trans += shift;
	s->data = s->buf + s->head;
	return 0;
}

static int done(struct bs_vm *vm, struct hlp_skb *s, uint64_t *r0, int64_t ret,
		struct bs_error *err)
{
	*r0 = (uint64_t)ret;
	return hlp_skb_sync(vm, s, err);
}

static bool is_gso(const struct hlp_skb *s)
{
	return s->md->gso_size != 0;
}

/* bpf_skb_pull_data(skb, len): a test run's skb is linear, so this only
 * checks that len bytes (0: the whole packet) exist (pskb_may_pull) */
static int h_pull_data(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		       struct bs_error *err, void *user)
{
	struct hlp_skb *s = user;
	uint32_t len = (uint32_t)args[1];
	uint64_t want = len ? len : s->len;
	return done(vm, s, r0, want > s->len ? -ENOMEM : 0, err);
}

/* __bpf_skb_min_len: the headers before the network (or transport) header
 * must stay */
static uint64_t min_len(const struct hlp_skb *s)
{
	long off = (long)s->net - (long)s->head, min = 0;
	if (off > 0)
		min = off;
	if (s->trans >= 0 && s->trans - (long)s->head > 0)
		min = s->trans - (long)s->head;
	return (uint64_t)min;
}

/* bpf_skb_change_tail(skb, len, flags): the packet becomes len bytes long,
 * grown bytes zero; a GSO skb stops being one (skb_gso_reset) */
static int h_change_tail(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	struct hlp_skb *s = user;
	uint32_t new_len = (uint32_t)args[1];
	if (args[2] || new_len > HLP_SKB_MAX_LEN || new_len < min_len(s))
		return done(vm, s, r0, -EINVAL, err);
	if (s->encap)
		return done(vm, s, r0, -BS_ENOTSUPP, err);
	if (new_len > s->len) {
		if (make_room(s, 0, new_len - s->len, "bpf_skb_change_tail", err))
			return -1;
		memset(s->buf + s->head + s->len, 0, new_len - s->len);
	}
	s->len = new_len;
	if (is_gso(s)) {
		s->md->gso_size = 0;
		s->md->gso_segs = 0;
	}
	return done(vm, s, r0, 0, err);
}

/* bpf_skb_change_head(skb, head_room, flags): head_room zero bytes in
 * front, where the MAC header now starts; the network header stays */
static int h_change_head(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	struct hlp_skb *s = user;
	uint32_t room = (uint32_t)args[1];
	uint32_t new_len = (uint32_t)s->len + room;
	if (args[2] || room > INT_MAX || (!is_gso(s) && new_len > HLP_SKB_MAX_LEN) ||
	    new_len < s->len)
		return done(vm, s, r0, -EINVAL, err);
	/* a GSO skb may grow past BPF_SKB_MAX_LEN, as far as kmalloc goes */
	if ((uint64_t)room + s->len > KMALLOC_MAX_SIZE)
		return done(vm, s, r0, -ENOMEM, err);
	if (make_room(s, room, 0, "bpf_skb_change_head", err))
		return -1;
	s->head -= room;
	s->len += room;
	memset(s->buf + s->head, 0, room);
	s->mac = s->head;
	return done(vm, s, r0, 0, err);
}

/* __vlan_insert_tag: the tag goes into the data after the MAC addresses */
static int insert_tag(struct hlp_skb *s, uint16_t proto, uint16_t tci, struct bs_error *err)
{
	if (make_room(s, VLAN_HLEN, 0, "bpf_skb_vlan_push", err))
		return -1;
	s->head -= VLAN_HLEN;
	s->len += VLAN_HLEN;
	uint8_t *d = s->buf + s->head;
	memmove(d, d + VLAN_HLEN, 2 * ETH_ALEN);
	s->mac -= VLAN_HLEN;
	st_raw16(d + 2 * ETH_ALEN, proto);
	st_raw16(d + 2 * ETH_ALEN + 2, be16(tci));
	return 0;
}

/* bpf_skb_vlan_push(skb, proto, tci): the new tag goes out of band; a tag
 * already there moves into the data first (skb_vlan_push) */
static int h_vlan_push(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		       struct bs_error *err, void *user)
{
	struct hlp_skb *s = user;
	uint16_t proto = (uint16_t)args[1], tci = (uint16_t)args[2];
	if (!is_vlan_proto(proto))
		proto = be16(0x8100);
	if (s->vlan_proto || s->vlan_tci) {
		if (s->head != s->mac)
			return done(vm, s, r0, -EINVAL, err);
		if (insert_tag(s, s->vlan_proto, s->vlan_tci, err))
			return -1;
		s->md->protocol = s->vlan_proto;
		s->net -= VLAN_HLEN;
	}
	s->vlan_proto = proto;
	s->vlan_tci = tci;
	return done(vm, s, r0, 0, err);
}

/* __skb_vlan_pop: the tag after the MAC addresses leaves the data; its TCI
 * goes to *tci and skb->protocol becomes what it carried
 * (vlan_set_encap_proto) */
static int64_t pop_data_tag(struct hlp_skb *s, uint16_t *tci)
{
	if (s->head != s->mac)
		return -EINVAL;
	if (s->len < VLAN_ETH_HLEN)
		return -ENOMEM;
	uint8_t *d = s->buf + s->head;
	*tci = ld_be16(d + ETH_HLEN);
	uint16_t inner = ld_be16(d + ETH_HLEN + 2);
	if (inner >= ETH_P_802_3_MIN)
		s->md->protocol = be16(inner);
	else if (s->len >= VLAN_ETH_HLEN + 2 && ld_be16(d + VLAN_ETH_HLEN) == 0xffff)
		s->md->protocol = be16(0x0001);  /* ETH_P_802_3 */
	else
		s->md->protocol = be16(0x0004);  /* ETH_P_802_2 */
	memmove(d + VLAN_HLEN, d, 2 * ETH_ALEN);
	s->head += VLAN_HLEN;
	s->len -= VLAN_HLEN;
	s->mac = s->head;
	if ((long)s->net - (long)s->head < ETH_HLEN)
		s->net = s->head + ETH_HLEN;
	return 0;
}

/* bpf_skb_vlan_pop(skb): the out-of-band tag goes, or else the one in the
 * data; a tag under it then moves out of band (skb_vlan_pop) */
static int h_vlan_pop(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		      struct bs_error *err, void *user)
{
	(void)args;
	struct hlp_skb *s = user;
	uint16_t tci;
	if (s->vlan_proto || s->vlan_tci) {
		s->vlan_proto = s->vlan_tci = 0;
	} else {
		if (!is_vlan_proto((uint16_t)s->md->protocol))
			return done(vm, s, r0, 0, err);
		int64_t rc = pop_data_tag(s, &tci);
		if (rc)
			return done(vm, s, r0, rc, err);
	}
	if (!is_vlan_proto((uint16_t)s->md->protocol))
		return done(vm, s, r0, 0, err);
	uint16_t proto = (uint16_t)s->md->protocol;
	int64_t rc = pop_data_tag(s, &tci);
	if (rc)
		return done(vm, s, r0, rc, err);
	s->vlan_proto = proto;
	s->vlan_tci = tci;
	return done(vm, s, r0, 0, err);
}

/* bpf_skb_net_hdr_push: len zero bytes at off from data, the bytes before
 * them moving to the front; MAC and network headers move with data */
static int hdr_push(struct hlp_skb *s, uint32_t off, uint32_t len, const char *what,
		    struct bs_error *err)
{
	if (make_room(s, len, 0, what, err))
		return -1;
	bool trans_same = s->trans == (long)s->net;
	s->head -= len;
	s->len += len;
	uint8_t *d = s->buf + s->head;
	memmove(d, d + len, off);
	memset(d + off, 0, len);
	s->mac -= len;
	s->net -= len;
	if (trans_same)
		s->trans = (long)s->net;
	return 0;
}

/* bpf_skb_net_hdr_pop: len bytes at off go (-ENOMEM past the packet) */
static int64_t hdr_pop(struct hlp_skb *s, uint32_t off, uint32_t len)
{
	if ((uint64_t)off + len > s->len)
		return -ENOMEM;
	bool trans_same = s->trans == (long)s->net;
	uint8_t *d = s->buf + s->head;
	memmove(d + len, d, off);
	s->head += len;
	s->len -= len;
	s->mac += len;
	s->net += len;
	if (trans_same)
		s->trans = (long)s->net;
	return 0;
}

/* bpf_skb_change_proto(skb, proto, flags): IPv4 <-> IPv6 only, growing or
 * shrinking the network header by 20 bytes (zeros) after the MAC header;
 * skb->protocol changes, the packet's EtherType does not */
static int h_change_proto(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			  struct bs_error *err, void *user)
{
	struct hlp_skb *s = user;
	uint16_t to = (uint16_t)args[1], from = (uint16_t)s->md->protocol;
	uint32_t off = (uint32_t)(s->net - s->mac), diff = IPV6_HLEN - IPV4_HLEN;
	if (args[2])
		return done(vm, s, r0, -EINVAL, err);
	if (from == be16(0x0800) && to == be16(0x86dd)) {
		if (hdr_push(s, off, diff, "bpf_skb_change_proto", err))
			return -1;
	} else if (from == be16(0x86dd) && to == be16(0x0800)) {
		int64_t rc = hdr_pop(s, off, diff);
		if (rc)
			return done(vm, s, r0, rc, err);
	} else {
		return done(vm, s, r0, -BS_ENOTSUPP, err);
	}
	s->md->protocol = to;
	s->md->hash = 0;
	return done(vm, s, r0, 0, err);
}

static uint32_t net_base_len(uint16_t proto)
{
	return proto == be16(0x0800) ? IPV4_HLEN : proto == be16(0x86dd) ? IPV6_HLEN : UINT32_MAX;
}

/* bpf_skb_net_grow: a test run's GSO skb has no gso_type, which this helper
 * refuses (it takes TCP, or UDP with BPF_F_ADJ_ROOM_FIXED_GSO) */
static int net_grow(struct hlp_skb *s, uint32_t off, uint32_t diff, uint64_t flags,
		    int64_t *ret, struct bs_error *err)
{
	uint8_t inner_mac = (uint8_t)(flags >> ADJ_ENCAP_L2_SHIFT);
	bool encap = flags & ADJ_ENCAP_L3_MASK;
	uint16_t proto = (uint16_t)s->md->protocol;
	*ret = -BS_ENOTSUPP;
	if (is_gso(s))
		return 0;
	if (make_room(s, diff, 0, "bpf_skb_adjust_room", err))
		return -1;
	uint32_t mac_len = (uint32_t)(s->net - s->mac);
	*ret = -EINVAL;
	if (encap) {
		if ((flags & ADJ_ENCAP_L3_MASK) == ADJ_ENCAP_L3_MASK ||
		    ((flags & ADJ_ENCAP_L4_GRE) && (flags & ADJ_ENCAP_L4_UDP)) ||
		    ((flags & ADJ_ENCAP_L2_ETH) && inner_mac < ETH_HLEN))
			return 0;
		if (s->encap) {
			*ret = -EALREADY;
			return 0;
		}
		if (inner_mac > diff)
			return 0;
	}
	if (hdr_push(s, off, diff, "bpf_skb_adjust_room", err))
		return -1;
	if (encap) {
		s->encap = true;
		s->net = s->head + mac_len;
		if (flags & (ADJ_ENCAP_L4_GRE | ADJ_ENCAP_L4_UDP))
			s->trans = (long)(s->head + mac_len) +
				   ((flags & ADJ_ENCAP_L3_IPV6) ? IPV6_HLEN : IPV4_HLEN);
		if (proto == be16(0x0800) && (flags & ADJ_ENCAP_L3_IPV6))
			s->md->protocol = be16(0x86dd);
		else if (proto == be16(0x86dd) && (flags & ADJ_ENCAP_L3_IPV4))
			s->md->protocol = be16(0x0800);
	}
	*ret = 0;
	return 0;
}

static int64_t net_shrink(struct hlp_skb *s, uint32_t off, uint32_t diff, uint64_t flags)
{
	if (flags & ~(ADJ_FIXED_GSO | ADJ_DECAP_L3_MASK | ADJ_NO_CSUM_RESET))
		return -EINVAL;
	if (is_gso(s))
		return -BS_ENOTSUPP;
	int64_t rc = hdr_pop(s, off, diff);
	if (rc)
		return rc;
	uint16_t proto = (uint16_t)s->md->protocol;
	if (proto == be16(0x0800) && (flags & ADJ_DECAP_L3_IPV6))
		s->md->protocol = be16(0x86dd);
	else if (proto == be16(0x86dd) && (flags & ADJ_DECAP_L3_IPV4))
		s->md->protocol = be16(0x0800);
	return 0;
}

/* bpf_skb_adjust_room(skb, len_diff, mode, flags): grows (zeros) or
 * shrinks the room after the MAC header (BPF_ADJ_ROOM_MAC) or after the
 * IPv4 / IPv6 base header (BPF_ADJ_ROOM_NET) */
static int h_adjust_room(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	struct hlp_skb *s = user;
	int32_t diff = (int32_t)args[1];
	uint32_t mode = (uint32_t)args[2];
	uint64_t flags = args[3];
	uint32_t abs_diff = diff < 0 ? 0u - (uint32_t)diff : (uint32_t)diff;
	uint16_t proto = (uint16_t)s->md->protocol;
	uint32_t len_min = net_base_len(proto);
	bool shrink = diff < 0;
	if (flags & ~(ADJ_MASK | ADJ_NO_CSUM_RESET))
		return done(vm, s, r0, -EINVAL, err);
	if (abs_diff > 0xfff)
		return done(vm, s, r0, -EFAULT, err);
	if (proto != be16(0x0800) && proto != be16(0x86dd))
		return done(vm, s, r0, -BS_ENOTSUPP, err);
	uint32_t off = (uint32_t)(s->net - s->mac);
	if (mode == ADJ_ROOM_NET)
		off += net_base_len(proto);
	else if (mode != ADJ_ROOM_MAC)
		return done(vm, s, r0, -BS_ENOTSUPP, err);
	if (flags & ADJ_DECAP_L3_MASK) {
		if (!shrink)
			return done(vm, s, r0, -EINVAL, err);
		switch (flags & ADJ_DECAP_L3_MASK) {
		case ADJ_DECAP_L3_IPV4:
			len_min = IPV4_HLEN;
			break;
		case ADJ_DECAP_L3_IPV6:
			len_min = IPV6_HLEN;
			break;
		default:
			return done(vm, s, r0, -EINVAL, err);
		}
	}
	uint32_t len_cur = (uint32_t)((long)s->len - ((long)s->net - (long)s->head));
	if ((shrink && (abs_diff >= len_cur || len_cur - abs_diff < len_min)) ||
	    (!shrink && s->len + abs_diff > HLP_SKB_MAX_LEN && !is_gso(s)))
		return done(vm, s, r0, -BS_ENOTSUPP, err);
	int64_t ret;
	if (shrink)
		ret = net_shrink(s, off, abs_diff, flags);
	else if (net_grow(s, off, abs_diff, flags, &ret, err))
		return -1;
	return done(vm, s, r0, ret, err);
}

int hlp_register_skb_resize(struct bs_vm *vm, struct hlp_skb *skb, struct bs_error *err)
{
	static const struct {
		int32_t id;
		bs_helper_fn fn;
	} table[] = {
		{18, h_vlan_push}, {19, h_vlan_pop}, {31, h_change_proto}, {38, h_change_tail},
		{39, h_pull_data}, {43, h_change_head}, {50, h_adjust_room},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (bs_vm_set_helper(vm, table[i].id, hlp_name(table[i].id), table[i].fn, skb, err))
			return -1;
	return 0;
}
