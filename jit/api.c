// SPDX-License-Identifier: MIT
/* The JIT's public face: whether it exists here, and its output for `dump jited`. */
#include "jit/jit_private.h"
#include "vm/error.h"

bool bs_jit_available(void)
{
	return jit_supported();
}

int bs_vm_jit_code(struct bs_vm *vm, uint32_t prog, const uint8_t **code, size_t *len,
		   const uint32_t **offsets, struct bs_error *err)
{
	if (prog >= vm->nprogs)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no program %u in the VM", prog);
	jit_drop_stale(vm);
	struct jit_prog *p = jit_get(vm, prog, err);
	if (!p)
		return -1;
	*code = p->mem;
	*len = p->len;
	*offsets = p->offs;
	return 0;
}
