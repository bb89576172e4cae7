// SPDX-License-Identifier: MIT
/* skb and checksum helpers (net/core/filter.c, Linux 6.18 semantics; the
 * checksum arithmetic is x86-64's, as the kernel tests ran there). */
#include "helpers/skb_helpers.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "helpers/helper_names.h"

#define F_RECOMPUTE_CSUM (1ULL << 0)
#define F_INVALIDATE_HASH (1ULL << 1)
#define F_HDR_FIELD_MASK 0xfULL
#define F_PSEUDO_HDR (1ULL << 4)
#define F_MARK_MANGLED_0 (1ULL << 5)
#define F_MARK_ENFORCE (1ULL << 6)
#define F_IPV6 (1ULL << 7)
#define CSUM_MANGLED_0 0xffff

/* ------------------------------------------------ checksum arithmetic */

static uint64_t add64_with_carry(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;
	return r + (r < a);
}

static uint32_t add32_with_carry(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < a);
}

static uint32_t ror32(uint32_t v, unsigned n)
{
	return v >> n | v << (32 - n);
}

/* arch/x86/lib/csum-partial_64.c: 64-bit words with end-around carry, the
 * tail zero-padded, folded to 32 bits; an odd start is realigned */
uint32_t hlp_csum_partial(const uint8_t *p, size_t len, uint32_t sum, bool odd)
{
	uint64_t t = sum;
	if (odd) {
		if (!len)
			return sum;
		t = ror32(sum, 8);
		t += (uint64_t)p[0] << 8;
		len--;
		p++;
	}
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		t = add64_with_carry(t, w);
	}
	if (len) {
		uint64_t w = 0;
		memcpy(&w, p, len);
		t = add64_with_carry(t, w);
	}
	uint32_t r = add32_with_carry((uint32_t)(t >> 32), (uint32_t)t);
	if (odd) {
		uint16_t hi = (uint16_t)(r >> 16), lo = (uint16_t)r;
		uint16_t s = (uint16_t)(hi + lo);
		s = (uint16_t)(s + (s < lo));
		r = (uint32_t)((s >> 8) & 0xff) | (uint32_t)((s & 0xff) << 8);
	}
	return r;
}

static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < b);
}

static uint32_t csum_sub(uint32_t a, uint32_t b)
{
	return csum_add(a, ~b);
}

static uint16_t csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t csum16_add(uint16_t c, uint16_t a)
{
	uint16_t r = (uint16_t)(c + a);
	return (uint16_t)(r + (r < a));
}

/* ---------------------------------------------------------- helpers */

/* bpf_skb_load_bytes(skb, offset, to, len): offset counts from skb->data; a
 * range outside the packet zeroes `to` and returns -EFAULT */
static int h_skb_load_bytes(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			    struct bs_error *err, void *user)
{
	const struct hlp_skb *skb = user;
	uint32_t off = (uint32_t)args[1], len = (uint32_t)args[3];
	uint8_t *to = bs_vm_translate(vm, args[2], len, true, err);
	if (!to)
		return -1;
	if (off > INT_MAX || off > skb->len || len > skb->len - off) {
		memset(to, 0, len);
		*r0 = (uint64_t)-EFAULT;
		return 0;
	}
	memcpy(to, skb->data + off, len);
	*r0 = 0;
	return 0;
}

/* bpf_try_make_writable: the first `end` bytes must be in the packet */
static bool writable(const struct hlp_skb *skb, uint64_t end)
{
	return end <= skb->len;
}

/* bpf_skb_store_bytes(skb, offset, from, len, flags) */
static int h_skb_store_bytes(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			     struct bs_error *err, void *user)
{
	const struct hlp_skb *skb = user;
	uint32_t off = (uint32_t)args[1], len = (uint32_t)args[3];
	uint64_t flags = args[4];
	const uint8_t *from = bs_vm_translate(vm, args[2], len, false, err);
	if (!from)
		return -1;
	if (flags & ~(F_RECOMPUTE_CSUM | F_INVALIDATE_HASH)) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	/* offset + len is u32 arithmetic in the kernel */
	if (off > INT_MAX || !writable(skb, (uint32_t)(off + len))) {
		*r0 = (uint64_t)-EFAULT;
		return 0;
	}
	/* CHECKSUM_NONE: nothing to recompute; skb->hash is already 0 */
	memmove(skb->data + off, from, len);
	*r0 = 0;
	return 0;
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

/* the checksum field at offset: -EFAULT unless it is an even offset up to
 * 0xffff with both bytes in the packet */
static uint8_t *csum_field(const struct hlp_skb *skb, uint32_t off)
{
	if (off > 0xffff || off & 1 || !writable(skb, (uint64_t)off + 2))
		return NULL;
	return skb->data + off;
}

/* inet_proto_csum_replace4 / csum_replace4 with CHECKSUM_NONE */
static uint16_t replace4(uint16_t sum, uint32_t from, uint32_t to)
{
	uint32_t diff[2] = {~from, to};
	return csum_fold(hlp_csum_partial((const uint8_t *)diff, sizeof(diff), ~(uint32_t)sum,
					  false));
}

/* bpf_l3_csum_replace(skb, offset, from, to, flags) */
static int h_l3_csum_replace(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			     struct bs_error *err, void *user)
{
	(void)vm;
	(void)err;
	const struct hlp_skb *skb = user;
	uint64_t from = args[2], to = args[3], flags = args[4];
	*r0 = (uint64_t)-EINVAL;
	if (flags & ~F_HDR_FIELD_MASK)
		return 0;
	uint8_t *p = csum_field(skb, (uint32_t)args[1]);
	if (!p) {
		*r0 = (uint64_t)-EFAULT;
		return 0;
	}
	uint16_t sum = ld16(p);
	switch (flags & F_HDR_FIELD_MASK) {
	case 0:
		if (from)
			return 0;
		/* csum_replace_by_diff */
		sum = csum_fold(csum_add((uint32_t)to, ~(uint32_t)sum));
		break;
	case 2:
		/* csum_replace2 */
		sum = (uint16_t)~csum16_add(csum16_add((uint16_t)~sum, (uint16_t)~(uint16_t)from),
					    (uint16_t)to);
		break;
	case 4: {
		/* csum_replace4 */
		uint32_t tmp = csum_sub(~(uint32_t)sum, (uint32_t)from);
		sum = csum_fold(csum_add(tmp, (uint32_t)to));
		break;
	}
	default:
		return 0;
	}
	st16(p, sum);
	*r0 = 0;
	return 0;
}

/* bpf_l4_csum_replace(skb, offset, from, to, flags): with CHECKSUM_NONE,
 * BPF_F_PSEUDO_HDR and BPF_F_IPV6 only matter to skb->csum, which a test
 * run's skb does not use */
static int h_l4_csum_replace(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			     struct bs_error *err, void *user)
{
	(void)vm;
	(void)err;
	const struct hlp_skb *skb = user;
	uint64_t from = args[2], to = args[3], flags = args[4];
	bool mmzero = flags & F_MARK_MANGLED_0, mforce = flags & F_MARK_ENFORCE;
	*r0 = (uint64_t)-EINVAL;
	if (flags & ~(F_MARK_MANGLED_0 | F_MARK_ENFORCE | F_PSEUDO_HDR | F_HDR_FIELD_MASK | F_IPV6))
		return 0;
	uint8_t *p = csum_field(skb, (uint32_t)args[1]);
	if (!p) {
		*r0 = (uint64_t)-EFAULT;
		return 0;
	}
	uint16_t sum = ld16(p);
	if (mmzero && !mforce && !sum) {
		*r0 = 0;
		return 0;
	}
	switch (flags & F_HDR_FIELD_MASK) {
	case 0:
		if (from)
			return 0;
		/* inet_proto_csum_replace_by_diff */
		sum = csum_fold(csum_add((uint32_t)to, ~(uint32_t)sum));
		break;
	case 2:
		/* inet_proto_csum_replace2: the __be16 values widened */
		sum = replace4(sum, (uint16_t)from, (uint16_t)to);
		break;
	case 4:
		sum = replace4(sum, (uint32_t)from, (uint32_t)to);
		break;
	default:
		return 0;
	}
	if (mmzero && !sum)
		sum = CSUM_MANGLED_0;
	st16(p, sum);
	*r0 = 0;
	return 0;
}

/* bpf_csum_diff(from, from_size, to, to_size, seed): any sizes (the
 * verifier checks the memory); since Linux 6.12 the result is folded to 16
 * bits (csum_from32to16), the same on every architecture */
static int h_csum_diff(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		       struct bs_error *err, void *user)
{
	(void)user;
	uint32_t fsz = (uint32_t)args[1], tsz = (uint32_t)args[3], seed = (uint32_t)args[4];
	const uint8_t *from = NULL, *to = NULL;
	if (fsz && !(from = bs_vm_translate(vm, args[0], fsz, false, err)))
		return -1;
	if (tsz && !(to = bs_vm_translate(vm, args[2], tsz, false, err)))
		return -1;
	bool fodd = args[0] & 1, todd = args[2] & 1;
	uint32_t r;
	if (fsz && tsz)
		r = csum_sub(hlp_csum_partial(to, tsz, seed, todd),
			     hlp_csum_partial(from, fsz, 0, fodd));
	else if (tsz)
		r = hlp_csum_partial(to, tsz, seed, todd);
	else if (fsz)
		r = ~hlp_csum_partial(from, fsz, ~seed, fodd);
	else
		r = seed;
	/* csum_from32to16 */
	r += r >> 16 | r << 16;
	*r0 = r >> 16;
	return 0;
}

int hlp_register_csum_diff(struct bs_vm *vm, struct bs_error *err)
{
	return bs_vm_set_helper(vm, 28, hlp_name(28), h_csum_diff, NULL, err);
}

int hlp_register_skb(struct bs_vm *vm, enum hlp_skb_kind kind, struct hlp_skb *skb,
		     struct bs_error *err)
{
	if (bs_vm_set_helper(vm, 26, hlp_name(26), h_skb_load_bytes, skb, err))
		return -1;
	if (kind != HLP_SKB_TC)
		return 0;
	if (bs_vm_set_helper(vm, 9, hlp_name(9), h_skb_store_bytes, skb, err) ||
	    bs_vm_set_helper(vm, 10, hlp_name(10), h_l3_csum_replace, skb, err) ||
	    bs_vm_set_helper(vm, 11, hlp_name(11), h_l4_csum_replace, skb, err) ||
	    hlp_register_skb_resize(vm, skb, err) || hlp_register_skb_redirect(vm, skb, err) ||
	    hlp_register_fib(vm, skb->env, skb, err))
		return -1;
	return hlp_register_csum_diff(vm, err);
}
