/* SPDX-License-Identifier: MIT */
/* Running a raw program the conformance way: r1 = the memory, r2 = its length. */
#ifndef BS_CLI_RAW_H
#define BS_CLI_RAW_H

#include "cli/cli.h"

enum cli_engine { CLI_ENGINE_INTERP, CLI_ENGINE_JIT };

struct cli_raw_opts {
	enum cli_engine engine;
	bool jit_unchecked;  /* --jit-unchecked: the JIT without memory checks */
	uint64_t budget;
	enum bs_dispatch dispatch;
	struct bs_env *env;  /* NULL: bs_env_default() */
};

void cli_raw_opts_default(struct cli_raw_opts *o);
/* "interp" / "jit" -> engine; -1 for anything else. */
int cli_parse_engine(const char *s, enum cli_engine *e);
/* The library's engine for the options. */
enum bs_engine cli_bs_engine(const struct cli_raw_opts *o);

int cli_run_raw(const struct bs_insn *prog, size_t n, uint8_t *mem, size_t mem_len,
		const struct cli_raw_opts *opts, struct bs_run_result *res, struct bs_error *err);

#endif
