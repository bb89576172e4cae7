// SPDX-License-Identifier: MIT
/* What every backend needs besides its encodings: the basic blocks the
 * instruction budget is charged by, and freeing a compiled program. */
#include <stdlib.h>
#include <sys/mman.h>

#include "jit/jit_private.h"

int jit_plan_blocks(const struct vm_pinsn *code, size_t n, uint8_t *leader, uint32_t *blk,
		    uint32_t *rest)
{
	leader[0] = 1;
	for (size_t pc = 0; pc < n; pc++) {
		const struct vm_pinsn *I = &code[pc];
		enum vm_form f = vm_ops[I->op].form;
		if (f == F_LDDW) {
			pc++;
			continue;
		}
		int ends = 0;
		switch (f) {
		case F_JMP_K: case F_JMP_X: case F_JA: case F_GOTOL: case F_MAY_GOTO:
		case F_CALL_LOCAL: {
			int64_t t = (int64_t)pc + 1 + I->off;
			if (t < 0 || (size_t)t >= n)
				return -1;
			leader[t] = 1;
			ends = 1;
			break;
		}
		case F_CALL: case F_CALL_KFUNC: case F_EXIT: case F_LD_ABS: case F_LD_IND:
			ends = 1;
			break;
		default:
			break;
		}
		if (ends && pc + 1 < n)
			leader[pc + 1] = 1;
	}
	/* walk each block backwards from its end */
	size_t start = 0;
	for (size_t pc = 0; pc <= n; pc++) {
		if (pc < n && (!leader[pc] || pc == 0))
			continue;
		if (pc > start) {
			uint32_t units = 0;
			for (size_t q = pc; q-- > start;) {
				if (q > start && vm_ops[code[q - 1].op].form == F_LDDW)
					continue;  /* second slot */
				rest[q] = units;
				units++;
			}
			blk[start] = units;
		}
		start = pc;
	}
	return 0;
}

void jit_prog_free(struct jit_prog *p)
{
	if (!p)
		return;
	if (p->mem)
		munmap(p->mem, p->mem_size);
	free(p->offs);
	free(p->rest);
	free(p);
}
