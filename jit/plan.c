// SPDX-License-Identifier: MIT
/* What every backend needs besides its encodings: the basic blocks the
 * instruction budget is charged by, what a block knows of its registers
 * (struct jit_facts), which helper calls are done inline, and freeing a
 * compiled program. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "jit/jit_private.h"
#include "vm/error.h"

/* Whether leader pc joins the block that started at start (merge): reached
 * only by falling through a forward conditional jump, or by forward
 * conditional jumps from inside that block (from[pc], the first of them)
 * and by falling in from pc - 1 */
static bool joins(const uint8_t *leader, const uint32_t *from, size_t pc, size_t start)
{
	if (leader[pc] & JIT_ENTRY)
		return false;
	return !(leader[pc] & JIT_TARGET) || from[pc] >= start;
}

int jit_plan_blocks(const struct vm_pinsn *code, size_t n, const uint8_t *inside, bool merge,
		    uint8_t *leader, uint32_t *blk, uint32_t *rest)
{
	/* merged: the first pc a forward conditional jump to each comes from */
	uint32_t *from = NULL;
	if (merge) {
		from = malloc((n + 1) * sizeof(*from));
		if (!from)
			return -2;
		for (size_t pc = 0; pc <= n; pc++)
			from[pc] = UINT32_MAX;
	}
	leader[0] = JIT_LEAD | JIT_TARGET | JIT_ENTRY;  /* calls and tail calls come in */
	for (size_t pc = 0; pc < n; pc++) {
		const struct vm_pinsn *I = &code[pc];
		enum vm_form f = vm_ops[I->op].form;
		if (f == F_LDDW) {
			pc++;
			continue;
		}
		bool fwd_cond = (f == F_JMP_K || f == F_JMP_X) && I->off >= 0;
		int ends = 0;
		switch (f) {
		case F_JMP_K: case F_JMP_X: case F_JA: case F_GOTOL: case F_MAY_GOTO:
		case F_CALL_LOCAL: {
			int64_t t = (int64_t)pc + 1 + I->off;
			if (t < 0 || (size_t)t >= n) {
				free(from);
				return -1;
			}
			leader[t] |= JIT_LEAD | JIT_TARGET;
			if (!fwd_cond)
				leader[t] |= JIT_ENTRY;
			else if (from && pc < from[t])
				from[t] = (uint32_t)pc;
			ends = 1;
			break;
		}
		case F_CALL:
			ends = !(inside && inside[pc]);
			break;
		case F_CALL_KFUNC: case F_EXIT: case F_LD_ABS: case F_LD_IND:
			ends = 1;
			break;
		default:
			break;
		}
		if (ends && pc + 1 < n)
			leader[pc + 1] |= JIT_LEAD | (fwd_cond ? JIT_FALL : JIT_ENTRY);
	}
	/* walk each block backwards from its end; merged, a block goes on past
	 * the leaders that join it */
	size_t start = 0;
	for (size_t pc = 0; pc <= n; pc++) {
		if (pc < n && (!leader[pc] || pc == 0 || (merge && joins(leader, from, pc, start)))) {
			if (pc > 0 && leader[pc] & JIT_TARGET)
				leader[pc] |= JIT_INNER;
			continue;
		}
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
	free(from);
	return 0;
}

uint32_t jit_skipped(const uint8_t *leader, const uint32_t *rest, size_t pc, size_t target)
{
	if (target > pc && leader[target] & JIT_INNER)
		return rest[pc] - rest[target] - 1;
	return rest[pc];
}

void jit_facts_clear(struct jit_facts *f)
{
	memset(f->kind, JIT_FACT_NONE, sizeof(f->kind));
}

static void fact_set(struct jit_facts *f, int r, int kind, int64_t v)
{
	f->kind[r] = (uint8_t)kind;
	f->v[r] = v;
}

static void fact_copy(struct jit_facts *f, int to, int from)
{
	f->kind[to] = f->kind[from];
	f->v[to] = f->v[from];
	f->stride[to] = f->stride[from];
	f->region[to] = f->region[from];
}

void jit_facts_step(struct jit_facts *f, const struct vm_pinsn *I)
{
	int d = I->dst;
	switch ((enum vm_form)vm_ops[I->op].form) {
	case F_ST: case F_STX: case F_STORE_REL: case F_ATOMIC:
	case F_JMP_K: case F_JMP_X: case F_JA: case F_GOTOL: case F_MAY_GOTO:
		return;
	case F_ATOMIC_FETCH: case F_XCHG:
		f->kind[I->src] = JIT_FACT_NONE;
		return;
	case F_CMPXCHG: case F_LD_ABS: case F_LD_IND:
		f->kind[0] = JIT_FACT_NONE;
		return;
	case F_CALL: case F_CALL_LOCAL: case F_CALL_KFUNC: case F_EXIT:
		jit_facts_clear(f);
		return;
	case F_LDDW:
		fact_set(f, d, JIT_FACT_CONST, (int64_t)I->imm);
		return;
	default:
		break;
	}
	/* pointers move by small constants only, so offsets never overflow */
	int64_t k = (int64_t)I->imm;
	int small = k >= -2 * BS_STACK_SIZE && k <= 2 * BS_STACK_SIZE;
	int moves = f->kind[d] == JIT_FACT_FP || f->kind[d] == JIT_FACT_VALUE;
	if (I->op == VM_OP_MOV64_X && I->src == 10)
		fact_set(f, d, JIT_FACT_FP, 0);
	else if (I->op == VM_OP_MOV64_X)
		fact_copy(f, d, I->src);
	else if (I->op == VM_OP_MOV64_K)
		fact_set(f, d, JIT_FACT_CONST, k);
	else if (I->op == VM_OP_ADD64_K && moves && small)
		f->v[d] += k;
	else if (I->op == VM_OP_SUB64_K && moves && small)
		f->v[d] -= k;
	else
		f->kind[d] = JIT_FACT_NONE;
}

void jit_facts_lookup(struct jit_facts *f, uint64_t stride, uint32_t region)
{
	fact_set(f, 0, region ? JIT_FACT_VALUE_OR_NULL : JIT_FACT_NONE, 0);
	f->stride[0] = stride;
	f->region[0] = region;
}

void jit_facts_enter(struct jit_facts *f, const struct vm_pinsn *code, size_t pc, uint8_t leader)
{
	if (!leader)
		return;
	/* pc - 1 is one slot: a lddw ends no block */
	const struct vm_pinsn *P = pc ? &code[pc - 1] : NULL;
	if (leader & JIT_TARGET || !P ||
	    (vm_ops[P->op].form != F_JMP_K && vm_ops[P->op].form != F_JMP_X)) {
		jit_facts_clear(f);
		return;
	}
	/* if rX == 0 goto: falling through, rX is not 0 */
	if (P->op == VM_OP_JEQ_K && P->imm == 0 && f->kind[P->dst] == JIT_FACT_VALUE_OR_NULL)
		f->kind[P->dst] = JIT_FACT_VALUE;
}

enum jit_pair jit_pair(const struct vm_pinsn *code, size_t n, const uint8_t *leader, size_t pc)
{
	if (pc + 1 >= n || leader[pc + 1])
		return JIT_PAIR_NONE;
	const struct vm_pinsn *I = &code[pc], *J = &code[pc + 1];
	const struct vm_opinfo *fi = &vm_ops[I->op], *si = &vm_ops[J->op];
	if (J->dst != I->dst)
		return JIT_PAIR_NONE;
	if (fi->form == F_ALU_X && (fi->code & 0xf0) == 0xb0 &&
	    (si->form == F_ALU_K || si->form == F_ALU_X) && (si->code & 0xf0) == 0x00 &&
	    (si->code & 7) == (fi->code & 7))
		return JIT_PAIR_MOVE_ADD;
	/* x << 32 >> 32, and with an arithmetic shift: the low half extended */
	if (fi->code == 0x67 && fi->form == F_ALU_K && I->imm == 32 && si->form == F_ALU_K &&
	    J->imm == 32 && (si->code == 0x77 || si->code == 0xc7))
		return si->code == 0x77 ? JIT_PAIR_ZERO_EXTEND : JIT_PAIR_SIGN_EXTEND;
	/* (x >> k) & (2^(32 - k) - 1) at 64 bits is the low half shifted */
	if (fi->code == 0x77 && fi->form == F_ALU_K && si->code == 0x57 && si->form == F_ALU_K &&
	    I->imm >= 1 && I->imm <= 31 && (int32_t)J->imm == (int32_t)((1u << (32 - I->imm)) - 1))
		return JIT_PAIR_SHIFT_MASK;
	return JIT_PAIR_NONE;
}

bool jit_mul_shape(const struct vm_pinsn *I, struct jit_mul *m)
{
	const struct vm_opinfo *info = &vm_ops[I->op];
	int32_t v = (int32_t)I->imm;
	/* from 2 to 2^31 - 1: the same factor at both widths */
	if (info->form != F_ALU_K || (info->code & 0xf0) != 0x20 || v < 2)
		return false;
	uint32_t k = (uint32_t)v;
	unsigned tz = (unsigned)__builtin_ctz(k);
	uint32_t odd = k >> tz;
	*m = (struct jit_mul){.shift = (uint8_t)tz};
	if (odd == 1) {
		m->kind = JIT_MUL_SHIFT;
	} else if (odd == 3 || odd == 5 || odd == 9) {
		m->kind = JIT_MUL_LEA;
		m->scale = (uint8_t)__builtin_ctz(odd - 1);
	} else if (tz == 0 && !((k - 1) & (k - 2))) {
		m->kind = JIT_MUL_SHIFT_ADD;
		m->shift = (uint8_t)__builtin_ctz(k - 1);
	} else if (tz == 0 && !(k & (k + 1))) {
		m->kind = JIT_MUL_SHIFT_SUB;
		m->shift = (uint8_t)__builtin_ctz(k + 1);
	} else {
		return false;
	}
	return true;
}

bool jit_facts_in_frame(const struct jit_facts *f, int reg, int64_t off, unsigned size, int64_t *k)
{
	if (reg == 10)
		*k = off;
	else if (f->kind[reg] == JIT_FACT_FP)
		*k = f->v[reg] + off;
	else
		return false;
	return *k >= -BS_STACK_SIZE && *k + (int64_t)size <= 0;
}

bool jit_facts_const(const struct jit_facts *f, int reg, uint64_t *v)
{
	*v = (uint64_t)f->v[reg];
	return f->kind[reg] == JIT_FACT_CONST;
}

bool jit_facts_in_value(const struct jit_facts *f, int reg, int64_t off, unsigned size,
			uint32_t *region)
{
	if (f->kind[reg] != JIT_FACT_VALUE)
		return false;
	/* v moved by small constants only (jit_facts_step): no overflow */
	int64_t at = f->v[reg] + off;
	*region = f->region[reg];
	return at >= 0 && (uint64_t)at + size <= f->stride[reg];
}

bool jit_call_array(const struct bs_vm *vm, const struct jit_facts *f, const struct vm_pinsn *I,
		    struct bs_helper_array *d)
{
	if (vm_ops[I->op].form != F_CALL || I->imm >= VM_MAX_HELPER_ID ||
	    I->imm == VM_HELPER_TAIL_CALL)
		return false;
	const struct vm_helper *h = &vm->helpers[I->imm];
	uint64_t r1;
	return h->array && jit_facts_const(f, 1, &r1) && h->array(h->user, r1, d) &&
	       d->stride > 0 && d->stride <= INT32_MAX;
}

/* The region holding all of array d, plain memory, or 0 (none). */
static uint32_t array_region(const struct bs_vm *vm, const struct bs_helper_array *d)
{
	for (uint32_t i = 1; i < vm->nregions; i++) {
		const struct vm_region *r = &vm->regions[i];
		if (d->base >= r->guest && d->base - r->guest <= r->size &&
		    (uint64_t)d->n * d->stride <= r->size - (d->base - r->guest))
			return r->rule || r->hook ? 0 : i;
	}
	return 0;
}

void jit_facts_after(const struct bs_vm *vm, struct jit_facts *f, const struct vm_pinsn *I,
		     bool inl)
{
	struct bs_helper_array d;
	if (inl && jit_call_array(vm, f, I, &d))
		jit_facts_lookup(f, d.stride, array_region(vm, &d));
	else
		jit_facts_step(f, I);
}

int jit_plan_inline(const struct bs_vm *vm, const struct vm_pinsn *code, size_t n, uint8_t *inl,
		    bool merge, uint8_t *leader, uint32_t *blk, uint32_t *rest, struct bs_error *err)
{
	struct jit_facts f;
	for (int round = 0;; round++) {
		memset(leader, 0, n + 1);
		memset(blk, 0, (n + 1) * sizeof(*blk));
		int rc = jit_plan_blocks(code, n, inl, merge, leader, blk, rest);
		if (rc == -2)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC,
				      "out of memory compiling %zu instructions", n);
		if (rc)
			return vm_err(err, BS_ERR_INVALID, BS_NO_PC, "a jump leaves the program");
		if (round == 2)
			return 0;
		/* the blocks just planned: any call they let inline? */
		bool more = false;
		jit_facts_clear(&f);
		for (size_t pc = 0; pc < n; pc++) {
			if (pc > 0 && vm_ops[code[pc - 1].op].form == F_LDDW)
				continue;
			jit_facts_enter(&f, code, pc, leader[pc]);
			struct bs_helper_array d;
			if (!inl[pc] && jit_call_array(vm, &f, &code[pc], &d)) {
				inl[pc] = 1;
				more = true;
			}
			jit_facts_after(vm, &f, &code[pc], inl[pc]);
		}
		if (!more)
			return 0;
	}
}

void jit_prog_free(struct jit_prog *p)
{
	if (!p)
		return;
	if (p->mem)
		munmap(p->mem, p->mem_size);
	free(p->offs);
	free(p->rest);
	free(p->loops);
	free(p);
}
