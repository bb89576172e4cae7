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

static void compare(const struct fuzz_outcome *a, const struct fuzz_outcome *b)
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

	struct fuzz_outcome interp, jit;
	fuzz_run_raw(prog, n, data, len, BS_DISPATCH_DEFAULT, BS_ENGINE_INTERP, &interp);
	fuzz_run_raw(prog, n, data, len, BS_DISPATCH_DEFAULT, BS_ENGINE_JIT, &jit);
	compare(&interp, &jit);
	/* unchecked native code is only for programs that stay in bounds */
	if ((mode & 2) && !(interp.rc && interp.kind == BS_ERR_MEMORY)) {
		fuzz_run_raw(prog, n, data, len, BS_DISPATCH_DEFAULT, BS_ENGINE_JIT_UNCHECKED, &jit);
		compare(&interp, &jit);
	}
	free(prog);
	return 0;
}
