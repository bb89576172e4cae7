// SPDX-License-Identifier: MIT
/* The JIT against the interpreter: the input is fuzz_interp's (settings
 * byte, memory length, memory, instructions); the program runs in the
 * interpreter and in the JIT (checked, and unchecked when the settings
 * byte's bit 1 says so and the interpreter ran the program without a memory
 * fault). Any difference in result, error kind, pc, instruction count or
 * memory is a finding. Where the JIT refuses (BS_ERR_UNSUPPORTED) there is
 * nothing to compare. */
#include <string.h>

#include "tests/fuzz/fuzz.h"

struct outcome {
	int rc;
	enum bs_err_kind kind;
	long pc;
	uint64_t retval, insns;
	uint8_t mem[256];
};

static void run(const struct bs_insn *prog, size_t n, const uint8_t *mem0, size_t len,
		enum bs_engine engine, struct outcome *o)
{
	struct bs_vm *vm = NULL;
	struct bs_error err;
	struct bs_env env;
	struct bs_run_result res = {0};
	uint64_t args[5] = {0};
	memset(o, 0, sizeof(*o));
	memcpy(o->mem, mem0, len);
	bs_env_default(&env);
	o->rc = -1;
	if (bs_vm_new(&vm, &err) || bs_helpers_register_env(vm, &env, &err))
		abort();
	bs_vm_set_budget(vm, FUZZ_BUDGET);
	bs_vm_set_engine(vm, engine);
	if (bs_vm_load(vm, prog, n, &err))
		goto out;
	if (len) {
		if (bs_vm_add_region(vm, "mem", o->mem, len, BS_REGION_RW, &args[0], &err))
			abort();
		args[1] = len;
		bs_vm_set_packet(vm, o->mem, len, 0, 0, 0);
	}
	o->rc = bs_vm_run(vm, args, &res, &err);
	o->retval = res.retval;
	o->insns = res.insns_executed;
out:
	if (o->rc) {
		fuzz_check_error(&err);
		o->kind = err.kind;
		o->pc = err.pc;
	}
	bs_vm_free(vm);
}

static void compare(const struct outcome *a, const struct outcome *b)
{
	if (b->rc && b->kind == BS_ERR_UNSUPPORTED)
		return;
	if (a->rc != b->rc || a->kind != b->kind || a->pc != b->pc)
		abort();
	if (!a->rc && (a->retval != b->retval || a->insns != b->insns ||
		       memcmp(a->mem, b->mem, sizeof(a->mem)) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!bs_jit_available() || size < 2)
		return 0;
	uint8_t mode = data[0];
	size_t len = data[1];
	data += 2;
	size -= 2;
	if (len > size)
		len = size;
	size_t n = (size - len) / 8;
	if (n == 0 || n > 4096)
		return 0;
	struct bs_insn *prog = malloc(n * sizeof(*prog));
	if (!prog)
		return 0;
	memcpy(prog, data + len, n * 8);

	struct outcome interp, jit;
	run(prog, n, data, len, BS_ENGINE_INTERP, &interp);
	run(prog, n, data, len, BS_ENGINE_JIT, &jit);
	compare(&interp, &jit);
	/* unchecked native code is only for programs that stay in bounds */
	if ((mode & 2) && !(interp.rc && interp.kind == BS_ERR_MEMORY)) {
		run(prog, n, data, len, BS_ENGINE_JIT_UNCHECKED, &jit);
		compare(&interp, &jit);
	}
	free(prog);
	return 0;
}
