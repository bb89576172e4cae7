// SPDX-License-Identifier: MIT
/* The JIT's public face: whether it exists here, and its output for `dump jited`. */
#include "jit/jit_private.h"
#include "vm/error.h"

bool bs_jit_available(void)
{
	return jit_supported();
}

/* Program prog's native code, made now if needed; NULL with err. */
static struct jit_prog *prog_code(struct bs_vm *vm, uint32_t prog, struct bs_error *err)
{
	if (prog >= vm->nprogs) {
		vm_err(err, BS_ERR_ARG, BS_NO_PC, "no program %u in the VM", prog);
		return NULL;
	}
	jit_drop_stale(vm);
	return jit_get(vm, prog, err);
}

int bs_vm_jit_code(struct bs_vm *vm, uint32_t prog, const uint8_t **code, size_t *len,
		   const uint32_t **offsets, struct bs_error *err)
{
	struct jit_prog *p = prog_code(vm, prog, err);
	if (!p)
		return -1;
	*code = p->mem;
	*len = p->len;
	*offsets = p->offs;
	return 0;
}

int bs_vm_jit_loops(struct bs_vm *vm, uint32_t prog, struct bs_jit_loop *out, size_t max,
		    size_t *n, struct bs_error *err)
{
	struct jit_prog *p = prog_code(vm, prog, err);
	if (!p)
		return -1;
	/* the backend's offsets after the instructions' (jit/x86_64_pass.h) */
	for (size_t l = 0; l < p->nloops && l < max; l++)
		out[l] = (struct bs_jit_loop){p->loops[l].head, p->loops[l].end,
					      p->offs + p->n + 1 + p->loops[l].head,
					      p->offs[2 * (p->n + 1) + p->nloops + l],
					      p->loops[l].passed, p->loops[l].failed};
	*n = p->nloops;
	return 0;
}
