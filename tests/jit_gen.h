/* SPDX-License-Identifier: MIT */
/* jit_diff's random programs (tests/jit_gen.c): every instruction kind,
 * memory through the pointers jit_diff's VM sets up (r6 packet, r7 map
 * value, r8 read-only, r9 context), helper calls 1-7, bpf-to-bpf calls, a
 * second program for tail calls, counted loops. One stream of splitmix64
 * numbers decides everything: the same rng_state, the same program. */
#ifndef BS_TESTS_JIT_GEN_H
#define BS_TESTS_JIT_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "bpfstep/bpfstep.h"

#define MAXI 1024

struct prog {
	struct bs_insn in[MAXI];
	size_t n;
	/* jumps to patch: at pc, to function-relative target index */
	struct fix { size_t pc; size_t target; int kind; } fix[MAXI];
	size_t nfix;
};

/* r1 of the array lookup helper (7): what a map's lddw would give */
#define LOOKUP_HANDLE 0xffff900000000000ULL

extern uint64_t rng_state;
uint64_t rnd(void);
/* a main program (r1-r4 its regions), or the one tail calls reach */
void gen_prog(struct prog *p, int main_prog);
void print_prog(const char *name, const struct prog *p);

#endif
