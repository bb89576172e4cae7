// SPDX-License-Identifier: MIT
/* Raw programs through the program checks and the interpreter. Input: one
 * byte of settings (bit 0: with a program type, bits 1..7 pick it), one
 * byte of memory length L, L bytes of memory (the packet), then 8-byte
 * instructions. Every program runs in both dispatch modes under a small
 * budget; any difference between them (result, error kind, pc, memory) is a
 * finding. */
#include <string.h>

#include "tests/fuzz/fuzz.h"

static const enum bs_prog_type types[] = {
	BS_PROG_XDP, BS_PROG_SCHED_CLS, BS_PROG_SOCKET_FILTER, BS_PROG_CGROUP_SKB,
	BS_PROG_KPROBE, BS_PROG_TRACEPOINT, BS_PROG_RAW_TRACEPOINT, BS_PROG_SCHED_ACT,
	BS_PROG_LWT_IN, BS_PROG_SK_SKB, BS_PROG_FLOW_DISSECTOR, BS_PROG_PERF_EVENT,
};

/* A program of a type, as `run --raw --type T` runs it. */
static void run_typed(const struct bs_insn *prog, size_t n, enum bs_prog_type type,
		      const uint8_t *mem, size_t len, enum bs_dispatch dispatch,
		      struct fuzz_outcome *o)
{
	struct bs_prog *p = NULL;
	struct bs_error err;
	struct bs_test_run tr = {
		.data_in = len ? mem : fuzz_packet, .data_size_in = len ? len : sizeof(fuzz_packet),
		.budget = FUZZ_BUDGET, .dispatch = dispatch,
	};
	memset(o, 0, sizeof(*o));
	o->rc = bs_prog_new_raw(prog, n, type, NULL, &p, &err);
	if (!o->rc)
		o->rc = bs_test_run(p, NULL, &tr, &err);
	if (o->rc) {
		fuzz_check_error(&err);
		o->kind = err.kind;
		o->pc = err.pc;
	} else {
		o->retval = tr.retval;
		o->insns = tr.insns_executed;
		memcpy(o->mem, tr.data_out, tr.data_size_out < sizeof(o->mem) ? tr.data_size_out
									 : sizeof(o->mem));
	}
	fuzz_free_test_run(&tr);
	bs_prog_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t mode = data[0];
	size_t len = data[1];
	data += 2;
	size -= 2;
	if (len > size)
		len = size;
	const uint8_t *mem = data;
	size_t n = (size - len) / 8;
	if (n == 0 || n > 4096)
		return 0;
	struct bs_insn *prog = malloc(n * sizeof(*prog));
	if (!prog)
		return 0;
	memcpy(prog, data + len, n * 8);

	struct fuzz_outcome a, b;
	if (mode & 1) {
		enum bs_prog_type t = types[(mode >> 1) % (sizeof(types) / sizeof(types[0]))];
		run_typed(prog, n, t, mem, len, BS_DISPATCH_DEFAULT, &a);
		run_typed(prog, n, t, mem, len, BS_DISPATCH_SWITCH, &b);
	} else {
		fuzz_run_raw(prog, n, mem, len, BS_DISPATCH_DEFAULT, BS_ENGINE_INTERP, &a);
		fuzz_run_raw(prog, n, mem, len, BS_DISPATCH_SWITCH, BS_ENGINE_INTERP, &b);
	}
	/* the two dispatch loops are one semantics */
	if (a.rc != b.rc || a.kind != b.kind || a.pc != b.pc || a.retval != b.retval ||
	    a.insns != b.insns || memcmp(a.mem, b.mem, sizeof(a.mem)) != 0)
		abort();
	free(prog);
	return 0;
}
