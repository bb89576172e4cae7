// SPDX-License-Identifier: MIT
/* bpf_loop(nr_loops, callback, ctx, flags), kernel/bpf/bpf_iter.c: calls
 * callback(i, ctx) for i = 0 .. nr_loops - 1 until it returns non-zero. */
#include <errno.h>

#include "helpers/helper_names.h"
#include "helpers/loop_helpers.h"

/* kernel BPF_MAX_LOOPS */
#define MAX_LOOPS (8u * 1024 * 1024)

static int h_loop(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		  struct bs_error *err, void *user)
{
	(void)user;
	uint32_t nr = (uint32_t)args[0];  /* the helper takes a u32 */
	if (args[3]) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	if (nr > MAX_LOOPS) {
		*r0 = (uint64_t)-E2BIG;
		return 0;
	}
	uint32_t i;
	for (i = 0; i < nr; i++) {
		uint64_t cb_args[5] = {i, args[2], 0, 0, 0}, ret;
		if (bs_vm_call(vm, args[1], cb_args, &ret, err))
			return -1;
		/* the verifier allows the callback to return 0 (go on) or 1 (stop) */
		if (ret) {
			*r0 = (uint64_t)i + 1;
			return 0;
		}
	}
	*r0 = i;
	return 0;
}

int hlp_register_loop(struct bs_vm *vm, struct bs_error *err)
{
	return bs_vm_set_helper(vm, 181, hlp_name(181), h_loop, NULL, err);
}
