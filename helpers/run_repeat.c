// SPDX-License-Identifier: MIT
#include <time.h>

#include "helpers/run_repeat.h"

int hlp_run_repeat(struct bs_vm *vm, const uint64_t args[5], struct bs_test_run *tr,
		   struct bs_error *err)
{
	uint32_t repeat = tr->repeat ? tr->repeat : 1;
	struct bs_run_result res = {0};
	struct timespec t0 = {0}, t1;
	int rc = 0;
	tr->insns_executed = 0;
	if (tr->on_vm)
		tr->on_vm(vm, tr->on_vm_user);
	/* the native code is made before the clock starts, as the kernel's is
	 * at load (a failure here is the first run's to report) */
	if (tr->engine != BS_ENGINE_INTERP) {
		const uint8_t *code;
		const uint32_t *offs;
		size_t len;
		struct bs_error ignored;
		if (bs_vm_jit_code(vm, 0, &code, &len, &offs, &ignored))
			bs_error_clear(&ignored);
	}
	if (!tr->no_duration)
		clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = bs_vm_run_repeat(vm, args, repeat, &res, err);
	tr->insns_executed = res.insns_executed;
	tr->duration_ns = 0;
	if (!tr->no_duration) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		tr->duration_ns = ((uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
				   (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec) / repeat;
	}
	tr->retval = (uint32_t)res.retval;
	return rc;
}
