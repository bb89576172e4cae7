// SPDX-License-Identifier: MIT
/* bpf_fib_lookup (net/core/filter.c, Linux 6.18) without a routing table:
 * the argument checks are the kernel's, the route is what bs_env.fib says
 * (include/bpfstep/helpers.h). */
#include <errno.h>
#include <string.h>

#include "bpfstep/helpers.h"
#include "helpers/helper_names.h"
#include "helpers/skb_helpers.h"
#include "vm/error.h"

/* struct bpf_fib_lookup (uapi linux/bpf.h) */
#define FIB_SIZE 64
#define O_FAMILY 0
#define O_TOT_LEN 6   /* in: tot_len; out: mtu_result */
#define O_IFINDEX 8
#define O_RT_METRIC 12
#define O_SRC 16
#define O_DST 32
#define O_TBID 48     /* in: tbid; out: h_vlan_proto, h_vlan_TCI */
#define O_SMAC 52
#define O_DMAC 58

#define LOOKUP_DIRECT (1u << 0)
#define LOOKUP_TBID (1u << 3)
#define LOOKUP_SKIP_NEIGH (1u << 2)
#define LOOKUP_MASK 0x3fu    /* DIRECT OUTPUT SKIP_NEIGH TBID SRC MARK */
enum { RET_SUCCESS = 0, RET_NOT_FWDED = 4, RET_FRAG_NEEDED = 3 };
enum { AF_INET_ = 2, AF_INET6_ = 10 };
#define ETH_HLEN 14
#define VLAN_HLEN 4

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static void st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* rt6_need_strict: multicast, link-local and loopback addresses are never
 * forwarded */
static bool need_strict(const uint8_t *a)
{
	static const uint8_t loopback[16] = {[15] = 1};
	return a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       !memcmp(a, loopback, 16);
}

static int fib_lookup(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		      struct bs_error *err, const struct bs_env *env, const struct hlp_skb *skb)
{
	int32_t plen = (int32_t)args[2];
	uint32_t flags = (uint32_t)args[3];
	/* the verifier checks that params is plen bytes of the program's memory */
	uint8_t *p = bs_vm_translate(vm, args[1], (uint64_t)(uint32_t)plen, true, err);
	if (!p)
		return -1;
	if (plen < FIB_SIZE || (flags & ~LOOKUP_MASK)) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	uint16_t tot_len = ld16(p + O_TOT_LEN);
	bool check_mtu = !skb || tot_len;
	uint8_t family = p[O_FAMILY];
	if (family == AF_INET6_ && (need_strict(p + O_DST) || need_strict(p + O_SRC))) {
		*r0 = RET_NOT_FWDED;
		return 0;
	}
	if (family != AF_INET_ && family != AF_INET6_) {
		*r0 = (uint64_t)-EAFNOSUPPORT;
		return 0;
	}
	/* the input device: bpfstep takes every ifindex but 0 as existing */
	if (!ld32(p + O_IFINDEX)) {
		*r0 = (uint64_t)-ENODEV;
		return 0;
	}
	if ((flags & LOOKUP_DIRECT) && (flags & LOOKUP_TBID))
		st32(p + O_TBID, 0);
	int64_t ret = env->fib.ret;
	if (ret != RET_SUCCESS) {
		*r0 = (uint64_t)ret;
		return 0;
	}
	uint32_t mtu = env->fib.mtu;
	if (check_mtu && tot_len > mtu) {
		st16(p + O_TOT_LEN, (uint16_t)mtu);
		*r0 = RET_FRAG_NEEDED;
		return 0;
	}
	st32(p + O_RT_METRIC, 0);
	st32(p + O_IFINDEX, env->fib.ifindex);
	if (!(flags & LOOKUP_SKIP_NEIGH)) {
		memcpy(p + O_DMAC, env->fib.dmac, 6);
		memcpy(p + O_SMAC, env->fib.smac, 6);
	}
	st32(p + O_TBID, 0);  /* h_vlan_proto, h_vlan_TCI */
	if (check_mtu && mtu)
		st16(p + O_TOT_LEN, (uint16_t)mtu);
	if (skb && !check_mtu) {
		/* is_skb_forwardable on the output device */
		if (skb->len > (uint64_t)mtu + ETH_HLEN + VLAN_HLEN && !skb->md->gso_size)
			ret = RET_FRAG_NEEDED;
		st16(p + O_TOT_LEN, (uint16_t)mtu);
	}
	*r0 = (uint64_t)ret;
	return 0;
}

/* bpf_fib_lookup(ctx, params, plen, flags) from xdp: the MTU is always
 * checked against params->tot_len */
static int h_fib_xdp(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		     struct bs_error *err, void *user)
{
	return fib_lookup(vm, args, r0, err, user, NULL);
}

/* from tc: with tot_len 0 the skb's length is checked instead */
static int h_fib_skb(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		     struct bs_error *err, void *user)
{
	const struct hlp_skb *skb = user;
	return fib_lookup(vm, args, r0, err, skb->env, skb);
}

int hlp_register_fib(struct bs_vm *vm, const struct bs_env *env, const struct hlp_skb *skb,
		     struct bs_error *err)
{
	if (skb)
		return bs_vm_set_helper(vm, 69, hlp_name(69), h_fib_skb, (void *)skb, err);
	return bs_vm_set_helper(vm, 69, hlp_name(69), h_fib_xdp, (void *)env, err);
}
