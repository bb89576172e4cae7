// SPDX-License-Identifier: MIT
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>

int tu_run(const struct bs_insn *prog, size_t n, void *mem, size_t len,
	   enum bs_dispatch dispatch, struct bs_run_result *res, struct bs_error *err)
{
	struct bs_vm *vm = NULL;
	static struct bs_env env;
	uint64_t args[5] = {0};
	int rc = -1;
	bs_env_default(&env);
	if (bs_vm_new(&vm, err) || bs_helpers_register_env(vm, &env, err))
		goto out;
	bs_vm_set_dispatch(vm, dispatch);
	if (bs_vm_load(vm, prog, n, err))
		goto out;
	if (mem) {
		if (bs_vm_add_region(vm, "mem", mem, len, BS_REGION_RW, &args[0], err))
			goto out;
		args[1] = len;
		bs_vm_set_packet(vm, mem, len, 0, 0, 0);
	}
	rc = bs_vm_run(vm, args, res, err);
out:
	bs_vm_free(vm);
	return rc;
}

struct bs_insn *tu_asm(const char *text, size_t *n)
{
	struct bs_insn *prog = NULL;
	struct bs_error err;
	if (bs_asm(text, "<test>", &prog, n, &err)) {
		fprintf(stderr, "assembly failed: %s (line %d)\n", err.message, err.line);
		fail();
	}
	return prog;
}
