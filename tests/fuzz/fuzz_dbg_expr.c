// SPDX-License-Identifier: MIT
/* The debugger's expression and location parsers (print, x, set, watch,
 * break LOCATION, conditions): each input is an expression evaluated at a
 * stop of a small XDP program, then a breakpoint location. The REPL's
 * command-line parser (debugger/repl.c) goes here too once it is in. */
#include <string.h>

#include "bpfstep/debug.h"
#include "tests/fuzz/fuzz.h"

static const char prog_text[] =
	"r2 = *(u32 *)(r1 + 0)\n"
	"r3 = *(u32 *)(r1 + 4)\n"
	"r4 = r2\n"
	"r4 += 14\n"
	"if r4 > r3 goto out\n"
	"r0 = *(u8 *)(r2 + 12)\n"
	"*(u64 *)(r10 - 8) = r0\n"
	"call sub\n"
	"exit\n"
	"out:\n"
	"r0 = 2\n"
	"exit\n"
	"sub:\n"
	"r0 += 1\n"
	"exit\n";

static struct bs_prog *prog;
static struct bs_dbg *dbg;
static unsigned uses;

static void fresh_session(void)
{
	struct bs_error err;
	struct bs_dbg_stop st;
	bs_dbg_free(dbg);
	struct bs_dbg_config cfg = {
		.prog = prog, .data_in = fuzz_packet, .data_size_in = sizeof(fuzz_packet),
		.budget = FUZZ_BUDGET,
	};
	if (bs_dbg_new(&cfg, &dbg, &err) || bs_dbg_start(dbg, &st, &err) ||
	    bs_dbg_stepi(dbg, 6, &st, &err))
		abort();
	uses = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct bs_insn *insns;
	size_t n;
	struct bs_error err;
	if (bs_asm(prog_text, "fuzz.s", &insns, &n, &err) ||
	    bs_prog_new_raw(insns, n, BS_PROG_XDP, NULL, &prog, &err))
		abort();
	free(insns);
	fresh_session();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	/* assignments are remembered as edits: start over now and then so
	 * the session does not grow without end */
	if (++uses > 200)
		fresh_session();
	struct bs_error err;
	struct bs_dbg_value v = {0};
	if (bs_dbg_eval(dbg, text, &v, &err))
		fuzz_check_error(&err);
	size_t pc;
	if (bs_dbg_resolve(dbg, text, &pc, &err))
		fuzz_check_error(&err);
	char kind[64];
	bs_dbg_kind(dbg, v.value, kind, sizeof(kind));
	free(text);
	return 0;
}
