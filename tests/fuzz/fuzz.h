/* SPDX-License-Identifier: MIT */
/* Shared bits of the libFuzzer targets (docs/fuzzing.md). */
#ifndef BS_TESTS_FUZZ_H
#define BS_TESTS_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/bpfstep.h"

/* Instructions one fuzzed run may execute: enough for real programs' loops,
 * few enough that every input finishes in milliseconds. */
#define FUZZ_BUDGET 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A request for more than ASan can ever give (libdwarf sizes a table from a
 * corrupt count) returns NULL, as glibc's malloc does in a normal build,
 * instead of stopping the run; libFuzzer's -malloc_limit_mb (the 2 GiB of
 * -rss_limit_mb) still reports any large allocation that succeeds. */
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* An error value must always say something: an empty message is a finding. */
static inline void fuzz_check_error(const struct bs_error *err)
{
	if (err->kind == BS_OK || err->kind >= BS_ERR__COUNT || !err->message[0])
		abort();
}

static inline void fuzz_free_test_run(struct bs_test_run *tr)
{
	free(tr->data_out);
	free(tr->ctx_out);
	for (size_t i = 0; i < tr->nclones; i++)
		free(tr->clones[i].data);
	free(tr->clones);
	tr->data_out = tr->ctx_out = NULL;
	tr->clones = NULL;
	tr->nclones = 0;
}

/* What one run of a raw program gave, for targets that compare engines. */
struct fuzz_outcome {
	int rc;
	enum bs_err_kind kind;
	long pc;
	uint64_t retval, insns;
	uint8_t mem[256];
};

/* Runs prog with r1 = a copy of mem0 (len <= 256 bytes), r2 = len, as
 * `run --raw` does, in the given dispatch mode and engine. */
static inline void fuzz_run_raw(const struct bs_insn *prog, size_t n, const uint8_t *mem0,
				size_t len, enum bs_dispatch dispatch, enum bs_engine engine,
				struct fuzz_outcome *o)
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
	bs_vm_set_dispatch(vm, dispatch);
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

/* A 64-byte IPv4/TCP frame: what the fuzzed programs run over. */
static const uint8_t fuzz_packet[64] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
};

#endif
