// SPDX-License-Identifier: MIT
/* Whole-program checks, the static part of the kernel's check_subprogs:
 * every instruction valid, subprograms found from calls and function
 * pointers, every jump inside its own subprogram and not into the middle of
 * a lddw, and every subprogram ending in exit or a jump. */
#include <stdlib.h>

#include "bpfstep/isa.h"
#include "vm/error.h"
#include "vm/isa.h"

/* Where control goes from a jump, call or function pointer at pc. */
static int64_t target_of(const struct bs_insn *insn, size_t pc)
{
	bool gotol = insn->code == 0x06, by_imm = gotol || insn->code == 0x85 || insn->code == 0x18;
	return (int64_t)pc + 1 + (by_imm ? insn->imm : insn->off);
}

static bool is_jump(const struct bs_insn *insn)
{
	unsigned cls = insn->code & 7, op = insn->code & 0xf0;
	return (cls == 5 || cls == 6) && op != 0x80 && op != 0x90;
}

static bool is_subprog_ref(const struct bs_insn *insn)
{
	return (insn->code == 0x85 && insn->src_reg == BS_CALL_LOCAL) ||
	       (insn->code == 0x18 && insn->src_reg == BS_PSEUDO_FUNC);
}

static int check_target(const uint8_t *second, size_t n, size_t pc, int64_t t, size_t lo,
			size_t hi, const char *what, struct bs_error *err)
{
	if (t < (int64_t)lo || t >= (int64_t)hi || (uint64_t)t >= n)
		return vm_err(err, BS_ERR_INVALID, (long)pc, "%s out of range from insn %zu to %lld",
			      what, pc, (long long)t);
	if (second[t])
		return vm_err(err, BS_ERR_INVALID, (long)pc,
			      "%s from insn %zu lands in the middle of the ldimm64 at %lld", what, pc,
			      (long long)t - 1);
	return 0;
}

int bs_prog_check(const struct bs_insn *prog, size_t n, struct bs_error *err)
{
	bs_error_clear(err);
	if (n == 0)
		return vm_err(err, BS_ERR_INVALID, BS_NO_PC, "the program is empty");
	int rc = -1;
	uint8_t *second = calloc(n, 1), *start = calloc(n + 1, 1);
	if (!second || !start) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory checking %zu instructions", n);
		goto out;
	}
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc])) {
		if (bs_insn_check(prog, n, pc, err))
			goto out;
		if (bs_insn_slots(&prog[pc]) == 2)
			second[pc + 1] = 1;
	}
	start[0] = start[n] = 1;
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc]))
		if (is_subprog_ref(&prog[pc])) {
			if (check_target(second, n, pc, target_of(&prog[pc], pc), 0, n,
					 prog[pc].code == 0x85 ? "function call" : "function pointer",
					 err))
				goto out;
			start[target_of(&prog[pc], pc)] = 1;
		}
	size_t lo = 0, hi = 0;
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc])) {
		size_t next = pc + bs_insn_slots(&prog[pc]);
		/* the first subprogram start at or after next; it only moves
		 * forward, so a million-instruction program is checked in one
		 * pass, not in n^2 steps */
		if (hi < next) {
			hi = next;
			while (!start[hi])
				hi++;
		}
		if (is_jump(&prog[pc]) &&
		    check_target(second, n, pc, target_of(&prog[pc], pc), lo, hi, "jump", err))
			goto out;
		if (start[next]) {
			uint8_t c = prog[pc].code;
			if (c != 0x95 && c != 0x05 && c != 0x06) {
				vm_err(err, BS_ERR_INVALID, (long)pc, "last insn is not an exit or jmp");
				vm_err_hint(err, "the %s at insn %zu would run into %s",
					    lo == 0 ? "program" : "subprogram",
					    lo, next < n ? "the next subprogram" : "the end");
				goto out;
			}
			lo = next;
		}
	}
	rc = 0;
out:
	free(second);
	free(start);
	return rc;
}
