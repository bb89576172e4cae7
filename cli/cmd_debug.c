// SPDX-License-Identifier: MIT
/* bpfstep debug: the step debugger on a program and its input, with the
 * program and input options of `bpfstep run` (their values are parsed by
 * run's own helpers: cli_env_option, cli_maps_load_file, cli_map_update_arg). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfstep/debug.h"
#include "bpfstep/pcap.h"
#include "cli/run.h"
#include "debugger/repl.h"
#include "debugger/repl_srcpath.h"

static int cmd_debug(int argc, char **argv);

const struct cli_cmd cli_cmd_debug = {
	.name = "debug",
	.run = cmd_debug,
	.summary = "step through a program like gdb: breakpoints, watchpoints, reverse steps",
	.usage =
		"Usage: bpfstep debug FILE.o [--prog NAME] --data-in PKT [OPTIONS]\n"
		"       bpfstep debug FILE.o [--prog NAME] --pcap FILE --packet N [OPTIONS]\n"
		"       bpfstep debug --raw PROG.bin --type TYPE --data-in PKT [OPTIONS]\n"
		"\n"
		"Opens a gdb-like debugger on the program, run as `bpfstep run` runs it. gdb's\n"
		"commands work (break, run, step, next, finish, print, x, watch, info registers,\n"
		"backtrace ...) and so do reverse-step, reverse-next, reverse-continue,\n"
		"reverse-finish: the debugger re-runs the program to the point wanted, so\n"
		"registers, memory and maps are exactly as they were. `help` inside lists every\n"
		"command; docs/debugger.md has a walkthrough.\n"
		"\n"
		"Options:\n"
		"  --prog NAME          the program of FILE.o (function or section name)\n"
		"  --raw FILE --type T  a raw program of type T (xdp, sched_cls, ...)\n"
		"  --data-in FILE       the packet (this or --pcap)\n"
		"  --pcap FILE --packet N\n"
		"                       packet N (from 1) of a capture, with the maps and the\n"
		"                       environment as packets 1..N-1 left them (replayed as\n"
		"                       `bpfstep replay` does, again before every re-run)\n"
		"  --ctx-in FILE        initial bytes of the context\n"
		"  --maps-in FILE       preload maps from JSON, as `run` does\n"
		"  --map-update NAME:KEYHEX:VALHEX  set one entry before each run (repeatable)\n"
		"  --budget N           instruction budget of a run (default 1000000, 0 = none)\n"
		"  --dispatch goto|switch\n"
		"  --time-ns, --seed, --cpu, --ncpus, --numa-node, --pid-tgid, --uid-gid, --comm,\n"
		"  --fib                the fake environment, as for `run`\n"
		"  --source-dir DIR     look for source files in DIR too (repeatable); inside:\n"
		"                       directory DIR, set substitute-path FROM TO\n"
		"  -x FILE              run the commands of FILE\n"
		"  -ex CMD              run CMD (repeatable; with -x, in command-line order)\n"
		"  --batch              no prompt: run -x / -ex (or stdin) and exit; each command\n"
		"                       is echoed as +CMD\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit status with --batch: 0 if every command ran and the program exited\n"
		"normally; 1 otherwise: a command failed (the script goes on), the program did\n"
		"not exit, or it stopped with a runtime error (the script ends there); 2 on bad\n"
		"usage.\n",
};

struct debug_args {
	const char *file, *prog, *raw, *type, *data_in, *ctx_in, *maps_in, *pcap;
	uint64_t packet;          /* --packet: 1-based, 0 without --pcap */
	const struct bs_prog *the_prog;
	const uint8_t *ctx;       /* --ctx-in, for the replayed packets */
	size_t ctx_len;
	struct bs_env env_start;  /* the environment before packet 1 */
	const char **updates;
	size_t nupdates;
	const char **srcdirs;
	size_t nsrcdirs;
	const char **actions;  /* "x:FILE" / "e:CMD" in order */
	size_t nactions;
	bool batch;
	uint64_t budget;
	bool budget_given;
	enum bs_dispatch dispatch;
	struct cli_env env;
	struct bs_object *obj;
	uint32_t ncpus;
};

/* Runs packets 1..N-1 of --pcap into maps from the environment of the
 * command line; env is then the environment packet N starts with (its
 * clock and random stream moved on) and data packet N (malloc'd). */
static int replay_before(struct debug_args *a, struct bs_maps *maps, struct bs_env *env,
			 uint8_t **data, size_t *size, uint64_t *failed, struct bs_error *err)
{
	*env = a->env_start;
	env->trace = NULL;  /* the earlier packets' trace lines are not this run's */
	env->trace_user = NULL;
	struct bs_test_run tmpl = {
		.ctx_in = a->ctx, .ctx_size_in = a->ctx_len, .env = env,
		.budget = a->budget_given ? (a->budget ? a->budget : UINT64_MAX) : 0,
		.dispatch = a->dispatch,
	};
	return bs_pcap_replay_to(a->pcap, a->packet, a->the_prog, maps, &tmpl, data, size, failed,
				 err);
}

static int make_maps(void *user, struct bs_maps **out, struct bs_error *err)
{
	struct debug_args *a = user;
	struct bs_maps *maps;
	if (bs_object_create_maps(a->obj, a->ncpus, &maps, err))
		return -1;
	if (bs_maps_set_cpu(maps, a->env.env.cpu) < 0) {
		bs_maps_free(maps);
		return bs_error_set(err, BS_ERR_ARG, "--cpu %u is not below the number of CPUs (%u; "
				    "set it with --ncpus)", a->env.env.cpu, a->ncpus);
	}
	if (a->maps_in && cli_maps_load_file(maps, a->ncpus, a->obj, a->maps_in, err)) {
		bs_maps_free(maps);
		return -1;
	}
	for (size_t i = 0; i < a->nupdates; i++)
		if (cli_map_update_arg(maps, a->ncpus, a->updates[i], err)) {
			bs_maps_free(maps);
			return -1;
		}
	if (a->pcap) {
		/* packets 1..N-1 again: the replay is deterministic, so every re-run
		 * of packet N starts from the same maps */
		struct bs_env env;
		uint8_t *data;
		size_t size;
		if (replay_before(a, maps, &env, &data, &size, NULL, err)) {
			bs_maps_free(maps);
			return -1;
		}
		free(data);
	}
	*out = maps;
	return 0;
}

static int push(const char ***list, size_t *n, const char *s)
{
	const char **more = realloc(*list, (*n + 1) * sizeof(*more));
	if (!more)
		return -1;
	*list = more;
	more[(*n)++] = s;
	return 0;
}

static const char *const env_opts[] = {"time-ns", "seed", "cpu", "ncpus", "numa-node",
				       "pid-tgid", "uid-gid", "comm", "fib"};

/* One option with its value; 0, or an exit status. */
static int option(struct debug_args *a, const char *name, const char *val)
{
	const struct cli_cmd *c = &cli_cmd_debug;
	char why[400];
	if (strcmp(name, "prog") == 0) a->prog = val;
	else if (strcmp(name, "raw") == 0) a->raw = val;
	else if (strcmp(name, "type") == 0) a->type = val;
	else if (strcmp(name, "data-in") == 0) a->data_in = val;
	else if (strcmp(name, "pcap") == 0) a->pcap = val;
	else if (strcmp(name, "packet") == 0) {
		if (cli_parse_u64(val, &a->packet) || a->packet == 0)
			return cli_usage_error(c, "--packet needs a packet number from 1, not '%s'", val);
	}
	else if (strcmp(name, "ctx-in") == 0) a->ctx_in = val;
	else if (strcmp(name, "maps-in") == 0) a->maps_in = val;
	else if (strcmp(name, "map-update") == 0) {
		if (push(&a->updates, &a->nupdates, val))
			return cli_usage_error(c, "out of memory");
	} else if (strcmp(name, "source-dir") == 0) {
		if (push(&a->srcdirs, &a->nsrcdirs, val))
			return cli_usage_error(c, "out of memory");
	} else if (strcmp(name, "budget") == 0) {
		if (cli_parse_u64(val, &a->budget))
			return cli_usage_error(c, "--budget needs a non-negative number, not '%s'", val);
		a->budget_given = true;
	} else if (strcmp(name, "dispatch") == 0) {
		if (strcmp(val, "goto") == 0)
			a->dispatch = BS_DISPATCH_DEFAULT;
		else if (strcmp(val, "switch") == 0)
			a->dispatch = BS_DISPATCH_SWITCH;
		else
			return cli_usage_error(c, "--dispatch must be goto or switch, not '%s'", val);
	} else {
		int rc = cli_env_option(&a->env, name, val, why, sizeof(why));
		if (rc < 0)
			return cli_usage_error(c, "%s", why);
		if (rc > 0)
			return cli_usage_error(c, "unknown option '--%s'", name);
	}
	return 0;
}

static bool takes_value(const char *name)
{
	static const char *const with[] = {"prog", "raw", "type", "data-in", "pcap", "packet",
					   "ctx-in", "maps-in", "source-dir",
					   "map-update", "budget", "dispatch"};
	for (size_t i = 0; i < sizeof(with) / sizeof(with[0]); i++)
		if (strcmp(name, with[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(env_opts) / sizeof(env_opts[0]); i++)
		if (strcmp(name, env_opts[i]) == 0)
			return true;
	return false;
}

static int parse_args(struct debug_args *a, int argc, char **argv, bool *help)
{
	const struct cli_cmd *c = &cli_cmd_debug;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			*help = true;
			return 0;
		}
		if (strcmp(s, "--batch") == 0 || strcmp(s, "-batch") == 0) {
			a->batch = true;
			continue;
		}
		if (strcmp(s, "-x") == 0 || strcmp(s, "-ex") == 0 || strcmp(s, "--ex") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error(c, "option '%s' needs a value", s);
			char *tagged = malloc(strlen(argv[i + 1]) + 3);
			if (!tagged)
				return cli_usage_error(c, "out of memory");
			sprintf(tagged, "%c:%s", s[1] == 'x' ? 'x' : 'e', argv[++i]);
			if (push(&a->actions, &a->nactions, tagged))
				return cli_usage_error(c, "out of memory");
			continue;
		}
		if (strncmp(s, "--", 2) == 0) {
			char name[64];
			const char *eq = strchr(s, '=');
			size_t n = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
			if (n >= sizeof(name))
				return cli_usage_error(c, "unknown option '%s'", s);
			memcpy(name, s + 2, n);
			name[n] = 0;
			if (!takes_value(name))
				return cli_usage_error(c, "unknown option '%s'", s);
			const char *val = eq ? eq + 1 : NULL;
			if (!val) {
				if (i + 1 >= argc)
					return cli_usage_error(c, "option '%s' needs a value", s);
				val = argv[++i];
			}
			int rc = option(a, name, val);
			if (rc)
				return rc;
			continue;
		}
		if (s[0] == '-' && s[1])
			return cli_usage_error(c, "unknown option '%s'", s);
		if (a->file || a->raw)
			return cli_usage_error(c, "unexpected argument '%s'", s);
		a->file = s;
	}
	if (!a->file && !a->raw)
		return cli_usage_error(c, "a program is required: FILE.o or --raw PROG.bin --type T");
	if (a->file && a->raw)
		return cli_usage_error(c, "give FILE.o or --raw PROG.bin, not both");
	if (a->raw && (!a->type || strcmp(a->type, "raw") == 0))
		return cli_usage_error(c, "--raw needs a program type to debug: --type xdp, sched_cls, ...");
	if (a->type && !a->raw)
		return cli_usage_error(c, "--type is for --raw programs");
	if (a->raw && (a->maps_in || a->nupdates || a->prog))
		return cli_usage_error(c, "a raw program has no maps and one program: --maps-in, "
				       "--map-update and --prog are for FILE.o");
	if (a->pcap && a->data_in)
		return cli_usage_error(c, "give --data-in PKT or --pcap FILE --packet N, not both");
	if (a->pcap && !a->packet)
		return cli_usage_error(c, "--pcap needs --packet N: the packet to debug (from 1)");
	if (a->packet && !a->pcap)
		return cli_usage_error(c, "--packet is for --pcap FILE");
	if (a->pcap && a->raw)
		return cli_usage_error(c, "--pcap replays the packets before N with the maps of "
				       "FILE.o: it is not for --raw programs");
	if (!a->data_in && !a->pcap)
		return cli_usage_error(c, "the program needs a packet: --data-in PKT or --pcap FILE "
				       "--packet N");
	return 0;
}

static int run_actions(struct repl *r, struct debug_args *a)
{
	for (size_t i = 0; i < a->nactions && !r->quit; i++) {
		const char *act = a->actions[i];
		if (act[0] == 'e') {
			if (r->batch)
				fprintf(r->out, "+%s\n", act + 2);
			repl_exec(r, act + 2);
		} else {
			FILE *f = fopen(act + 2, "r");
			if (!f) {
				repl_error(r, "%s: cannot open the script", act + 2);
				return -1;
			}
			int rc = repl_script(r, f, act + 2);
			fclose(f);
			if (rc)
				return -1;
		}
		const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
		if (r->batch && st->reason == BS_DBG_FAULT && bs_dbg_state(r->d) == BS_DBG_STOPPED)
			return -1;
	}
	return 0;
}

static int cmd_debug(int argc, char **argv)
{
	struct debug_args a = {0};
	cli_env_default(&a.env);
	bool help = false;
	int status = parse_args(&a, argc, argv, &help);
	if (help)
		fputs(cli_cmd_debug.usage, stdout);
	if (status || help)
		goto out;

	struct bs_error err;
	uint8_t *data = NULL, *ctx = NULL;
	size_t data_len = 0, ctx_len = 0;
	const struct bs_prog *prog = NULL;
	struct bs_prog *raw_prog = NULL;
	struct bs_dbg *d = NULL;
	status = CLI_FAIL;
	if ((a.data_in && cli_read_file(a.data_in, CLI_MAX_FILE_BYTES, &data, &data_len, &err)) ||
	    (a.ctx_in && cli_read_file(a.ctx_in, CLI_MAX_FILE_BYTES, &ctx, &ctx_len, &err)))
		goto fail;
	if (a.raw) {
		struct bs_insn *insns;
		size_t n;
		enum bs_prog_type type;
		if (cli_read_raw_prog(a.raw, &insns, &n, &err))
			goto fail;
		if (bs_prog_type_by_name(a.type, &type)) {
			free(insns);
			status = cli_usage_error(&cli_cmd_debug, "--type '%s' is not a program type as "
						 "bpftool names them", a.type);
			goto done;
		}
		int rc = bs_prog_new_raw(insns, n, type, NULL, &raw_prog, &err);
		free(insns);
		if (rc)
			goto fail;
		prog = raw_prog;
	} else {
		if (bs_object_open(a.file, &a.obj, &err))
			goto fail;
		cli_print_notes(stderr, bs_object_notes(a.obj));
		cli_btf_set_object(a.file);
		if (bs_object_find_prog(a.obj, a.prog, &prog, &err))
			goto fail;
	}
	a.ncpus = a.env.ncpus ? a.env.ncpus : 1;
	a.the_prog = prog;
	a.ctx = ctx;
	a.ctx_len = ctx_len;
	a.env_start = a.env.env;
	struct bs_env env_n = a.env.env;  /* what packet N starts with */
	if (a.pcap) {
		struct bs_maps *maps = NULL;
		uint64_t failed = 0;
		const char *pcap = a.pcap;
		a.pcap = NULL;  /* the maps before the replay */
		int rc = make_maps(&a, &maps, &err);
		a.pcap = pcap;
		if (rc || replay_before(&a, maps, &env_n, &data, &data_len, &failed, &err)) {
			bs_maps_free(maps);
			goto fail;
		}
		bs_maps_free(maps);
		env_n.trace = NULL;
		env_n.trace_user = NULL;
		if (ctx)
			bs_pcap_fit_ctx(bs_prog_type(prog), ctx, ctx_len, data_len);
		printf("Packet %llu of %s (%zu bytes), after %llu packet%s replayed%s",
			(unsigned long long)a.packet,
			strrchr(a.pcap, '/') ? strrchr(a.pcap, '/') + 1 : a.pcap, data_len,
			(unsigned long long)(a.packet - 1), a.packet == 2 ? "" : "s",
			failed ? "" : ".\n");
		if (failed)
			printf(" (%llu of them failed and left the maps as they were).\n",
				(unsigned long long)failed);
	}
	struct bs_dbg_config cfg = {
		.prog = prog, .make_maps = a.obj ? make_maps : NULL, .user = &a,
		.data_in = data, .data_size_in = data_len, .ctx_in = ctx, .ctx_size_in = ctx_len,
		.budget = a.budget_given ? (a.budget ? a.budget : UINT64_MAX) : 0,
		.dispatch = a.dispatch, .env = &env_n,
	};
	if (bs_dbg_new(&cfg, &d, &err))
		goto fail;
	struct repl r = {.d = d, .obj = a.obj, .ncpus = a.ncpus, .out = stdout, .batch = a.batch,
			 .tty = isatty(STDOUT_FILENO) && !a.batch};
	for (size_t i = 0; i < a.nsrcdirs; i++)
		if (repl_add_source_dir(&r, a.srcdirs[i])) {
			repl_srcpath_free(&r);
			status = cli_usage_error(&cli_cmd_debug, "out of memory");
			goto done;
		}
	bool interactive = !a.batch && isatty(STDIN_FILENO);
	if (interactive)
		printf("bpfstep debug: %s (%s) with a %zu-byte packet. \"help\" lists the commands, "
		       "\"run\" starts.\n", bs_prog_name(prog), bs_prog_type_name(bs_prog_type(prog)),
		       data_len);
	int rc = run_actions(&r, &a);
	if (!a.batch && !r.quit && rc == 0) {
		if (interactive)
			repl_loop(&r);
		else
			repl_script(&r, stdin, "stdin");
	} else if (a.batch && !a.nactions && rc == 0) {
		rc = repl_script(&r, stdin, "stdin");
	}
	fflush(stdout);
	if (a.batch)
		status = rc == 0 && !r.failed && bs_dbg_state(d) == BS_DBG_EXITED ? CLI_OK : CLI_FAIL;
	else
		status = CLI_OK;
	for (size_t i = 0; i < r.ndisplays; i++)
		free(r.displays[i].expr);
	free(r.displays);
	repl_srcpath_free(&r);
	goto done;
fail:
	cli_print_error(stderr, "bpfstep debug", &err);
	status = CLI_FAIL;
done:
	bs_dbg_free(d);
	bs_prog_free(raw_prog);
	free(data);
	free(ctx);
out:
	for (size_t i = 0; i < a.nactions; i++)
		free((char *)a.actions[i]);
	free(a.actions);
	free(a.updates);
	free(a.srcdirs);
	bs_object_close(a.obj);
	cli_btf_set_object(NULL);
	return status;
}
