/* SPDX-License-Identifier: MIT */
/* A helper that is an array lookup over guest memory for one value of r1,
 * described as such (bs_vm_set_helper_array) so the JIT does its calls
 * inline: r0 = base + key * stride for the u32 key at r2 when key < n,
 * else 0; the key read through the sandbox as the map helpers read theirs.
 * It counts its calls, which the inline code does not make. */
#ifndef BS_TESTS_ARRAY_HELPER_H
#define BS_TESTS_ARRAY_HELPER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bpfstep/bpfstep.h"

struct test_array {
	uint64_t r1;      /* the value of r1 it answers for */
	uint64_t base;    /* set once the region exists */
	uint64_t stride;
	uint32_t n;
	int calls;
};

static inline int test_array_call(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0,
				  struct bs_error *err, void *u)
{
	struct test_array *t = u;
	t->calls++;
	if (a[0] != t->r1)
		return bs_error_set(err, BS_ERR_HELPER, "lookup: r1 is not the array");
	const uint8_t *k = bs_vm_translate(vm, a[1], 4, false, err);
	if (!k)
		return -1;
	uint32_t key;
	memcpy(&key, k, 4);
	*r0 = key < t->n ? t->base + t->stride * key : 0;
	return 0;
}

static inline bool test_array_describe(void *u, uint64_t r1, struct bs_helper_array *out)
{
	const struct test_array *t = u;
	if (r1 != t->r1)
		return false;
	*out = (struct bs_helper_array){.base = t->base, .stride = t->stride, .n = t->n};
	return true;
}

/* Registers t as helper id of vm, described. */
static inline int test_array_register(struct bs_vm *vm, int32_t id, struct test_array *t,
				      struct bs_error *err)
{
	if (bs_vm_set_helper(vm, id, "lookup", test_array_call, t, err))
		return -1;
	return bs_vm_set_helper_array(vm, id, test_array_describe, err);
}

#endif
