// SPDX-License-Identifier: MIT
/* One way to run a raw program, shared by `run --raw` and the conformance plugin. */
#include <string.h>

#include "cli/raw.h"

void cli_raw_opts_default(struct cli_raw_opts *o)
{
	o->engine = CLI_ENGINE_INTERP;
	o->jit_unchecked = false;
	o->budget = BS_DEFAULT_BUDGET;
	o->dispatch = BS_DISPATCH_DEFAULT;
	o->env = NULL;
}

int cli_parse_engine(const char *s, enum cli_engine *e)
{
	if (strcmp(s, "interp") == 0)
		*e = CLI_ENGINE_INTERP;
	else if (strcmp(s, "jit") == 0)
		*e = CLI_ENGINE_JIT;
	else
		return -1;
	return 0;
}

enum bs_engine cli_bs_engine(const struct cli_raw_opts *o)
{
	if (o->engine != CLI_ENGINE_JIT)
		return BS_ENGINE_INTERP;
	return o->jit_unchecked ? BS_ENGINE_JIT_UNCHECKED : BS_ENGINE_JIT;
}

int cli_run_raw(const struct bs_insn *prog, size_t n, uint8_t *mem, size_t mem_len,
		const struct cli_raw_opts *opts, struct bs_run_result *res, struct bs_error *err)
{
	bs_error_clear(err);
	memset(res, 0, sizeof(*res));
	if (opts->engine == CLI_ENGINE_JIT && !bs_jit_available()) {
		bs_error_set(err, BS_ERR_UNSUPPORTED, "this build has no JIT for this machine");
		snprintf(err->hint, sizeof(err->hint), "use --engine interp");
		return -1;
	}
	struct bs_vm *vm = NULL;
	struct bs_env env_default, *env = opts->env;
	uint64_t args[5] = {0};
	int rc = -1;
	if (!env) {
		memset(&env_default, 0, sizeof(env_default));
		bs_env_default(&env_default);
		env = &env_default;
	}
	if (bs_vm_new(&vm, err) || bs_helpers_register_env(vm, env, err))
		goto out;
	bs_vm_set_budget(vm, opts->budget);
	bs_vm_set_dispatch(vm, opts->dispatch);
	bs_vm_set_engine(vm, cli_bs_engine(opts));
	if (bs_vm_load(vm, prog, n, err))
		goto out;
	if (mem && mem_len) {
		if (bs_vm_add_region(vm, "mem", mem, mem_len, BS_REGION_RW, &args[0], err))
			goto out;
		args[1] = mem_len;
		bs_vm_set_packet(vm, mem, mem_len, 0, 0, 0);
	}
	rc = bs_vm_run(vm, args, res, err);
out:
	bs_vm_free(vm);
	return rc;
}
