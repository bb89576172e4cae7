// SPDX-License-Identifier: MIT
/* The reference interpreter, built twice from one loop (vm/interp_loop.h):
 * computed-goto dispatch and a portable switch, so both stay correct. */
#include <string.h>

#include "vm/error.h"
#include "vm/vm_private.h"

/* Memory is little-endian guest memory at arbitrary alignment. */
static inline uint64_t vm_load(const void *p, unsigned size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static inline void vm_store(void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* A program store: through the region's hook when vm_mem found one. */
static inline void vm_store_prog(struct bs_vm *vm, void *p, unsigned size, uint64_t v)
{
	const struct vm_region *r = vm->hook_region;
	if (__builtin_expect(r != NULL, 0)) {
		vm->hook_region = NULL;
		if (r->hook(r->hook_user, (uint64_t)((uint8_t *)p - r->host), size, v, p))
			return;
	}
	vm_store(p, size, v);
}

/* What helper h's array description says for r1, into a call site's memo
 * (struct vm_memo). */
static void call_array_memo(const struct vm_helper *h, uint64_t r1, struct vm_memo *m)
{
	struct bs_helper_array d;
	m->filled = 1;
	m->lo = r1;
	m->lim = 0;
	if (h->array(h->user, r1, &d) && d.stride <= UINT32_MAX) {
		m->lim = d.n;
		m->host = (uint8_t *)(uintptr_t)d.base;
		m->stride = (uint32_t)d.stride;
	}
}

static inline uint64_t sext(uint64_t v, unsigned bits)
{
	unsigned sh = 64 - bits;
	return (uint64_t)((int64_t)(v << sh) >> sh);
}

/* Signed division as the kernel's verifier fixups define it: x / 0 = 0,
 * x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0 (no trap). */
static inline int64_t sdiv64(int64_t a, int64_t b)
{
	if (b == 0)
		return 0;
	if (b == -1)
		return (int64_t)(0 - (uint64_t)a);
	return a / b;
}

static inline int64_t smod64(int64_t a, int64_t b)
{
	if (b == 0)
		return a;
	if (b == -1)
		return 0;
	return a % b;
}

static inline int32_t sdiv32(int32_t a, int32_t b)
{
	if (b == 0)
		return 0;
	if (b == -1)
		return (int32_t)(0 - (uint32_t)a);
	return a / b;
}

static inline int32_t smod32(int32_t a, int32_t b)
{
	if (b == 0)
		return a;
	if (b == -1)
		return 0;
	return a % b;
}

/* LD_ABS / LD_IND: the kernel's bpf_skb_load_helper_*: big-endian bytes of the
 * linear packet from skb->data; offsets from SKF_NET_OFF and SKF_LL_OFF read
 * from the network and MAC headers (bpf_internal_load_pointer_neg_helper).
 * Anything out of range fails, and the (sub)program then returns 0. */
#define SKF_NET_OFF (-0x100000)
#define SKF_LL_OFF (-0x200000)

static inline int vm_ld_pkt(const struct bs_vm *vm, int32_t off, unsigned size, uint64_t *out)
{
	uint64_t at;
	if (off >= 0)
		at = vm->pkt_data + (uint64_t)off;
	else if (off >= SKF_NET_OFF)
		at = vm->pkt_net + (uint64_t)((int64_t)off - SKF_NET_OFF);
	else if (off >= SKF_LL_OFF)
		at = vm->pkt_mac + (uint64_t)((int64_t)off - SKF_LL_OFF);
	else
		return -1;
	if (at > vm->pkt_len || size > vm->pkt_len - at)
		return -1;
	const uint8_t *p = vm->pkt + at;
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v = (v << 8) | p[i];
	*out = v;
	return 0;
}

/* Fills in the handler of every instruction of p from the computed-goto
 * loop's table, unless that is done. */
static void vm_thread_fill(struct vm_prog *p, const void *const *labels)
{
	for (size_t pc = 0; pc < p->n; pc++)
		p->code[pc].h = labels[p->code[pc].op];
	p->labels = labels;
}

static inline void vm_thread(struct vm_prog *p, const void *const *labels)
{
	if (__builtin_expect(p->labels != labels, 0))
		vm_thread_fill(p, labels);
}

#define VM_LOOP_NAME vm_run_goto
#define VM_USE_GOTO 1
#include "vm/interp_loop.h"
#undef VM_LOOP_NAME
#undef VM_USE_GOTO

#define VM_LOOP_NAME vm_run_switch
#define VM_USE_GOTO 0
#include "vm/interp_loop.h"
#undef VM_LOOP_NAME
#undef VM_USE_GOTO
