// SPDX-License-Identifier: MIT
/* bpfstep run: run a program like `bpftool prog run` / BPF_PROG_TEST_RUN and
 * report what it did. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/raw.h"
#include "cli/run.h"

static int cmd_run(int argc, char **argv);

const struct cli_cmd cli_cmd_run = {
	.name = "run",
	.run = cmd_run,
	.summary = "run a program and print its return value (like bpftool prog run)",
	.usage =
		"Usage: bpfstep run FILE.o [--prog NAME] --data-in PKT [OPTIONS]\n"
		"       bpfstep run --raw PROG.bin [--mem FILE] [OPTIONS]\n"
		"\n"
		"With an ELF object: runs one program like BPF_PROG_TEST_RUN, with the\n"
		"object's maps and the context of its type (xdp: struct xdp_md; tc, socket\n"
		"and cgroup_skb: struct __sk_buff) over the packet of --data-in.\n"
		"\n"
		"With --raw: runs 8-byte little-endian eBPF instructions with r1 pointing to\n"
		"a writable copy of the --mem bytes and r2 holding their length (without\n"
		"--mem: r1 = r2 = 0), r10 at the top of a 512-byte stack; r0 is the result.\n"
		"\n"
		"Options:\n"
		"  --prog NAME          the program of FILE.o to run (function or section name)\n"
		"  --data-in FILE       the packet (required with FILE.o; at least 14 bytes)\n"
		"  --data-out FILE      write the packet after the run\n"
		"  --ctx-in FILE        initial bytes of the context (xdp_md / __sk_buff)\n"
		"  --ctx-out FILE       write the context after the run\n"
		"  --repeat N           run N times over the same context, as the kernel's\n"
		"                       repeat: state carries over, the last run's result counts\n"
		"  --duration           report the average wall time of a run (not deterministic)\n"
		"  --raw FILE           a raw program instead of FILE.o\n"
		"  --type T             the raw program's type as bpftool names it (xdp,\n"
		"                       sched_cls, ...), or raw (default: r1/r2 = --mem)\n"
		"  --mem FILE           input memory for r1/r2 of --raw; LD_ABS/LD_IND read it\n"
		"  --engine interp|jit  execution engine (default jit on x86-64, else interp)\n"
		"  --jit-unchecked      the JIT's unchecked mode (docs/jit.md: for programs the\n"
		"                       kernel's verifier accepts; the checked code for now)\n"
		"  --budget N           stop after N executed instructions (default 1000000, 0 = none)\n"
		"  --dispatch goto|switch  interpreter dispatch (default goto)\n"
		"  --json               print one JSON object instead of text (docs/run-json.md)\n"
		"\n"
		"The fake environment (the same values give the same output, byte for byte):\n"
		"  --time-ns N          bpf_ktime_get_ns starts at N (default 1000000000)\n"
		"  --seed N             bpf_get_prandom_u32's seed (default 1)\n"
		"  --cpu N              bpf_get_smp_processor_id, and the percpu copy used (default 0)\n"
		"  --ncpus N            copies a percpu map keeps (default 1; with\n"
		"                       --compare-kernel: the machine's possible CPUs)\n"
		"  --numa-node N        bpf_get_numa_node_id\n"
		"  --pid-tgid N         bpf_get_current_pid_tgid (tgid << 32 | pid)\n"
		"  --uid-gid N          bpf_get_current_uid_gid (gid << 32 | uid)\n"
		"  --comm S             bpf_get_current_comm (at most 15 characters)\n"
		"  --fib RET[,IFINDEX[,SMAC[,DMAC]]]  what bpf_fib_lookup answers (RET: a\n"
		"                       number or success, no_neigh, not_fwded, ...)\n"
		"\n"
		"Maps:\n"
		"  --maps-in FILE       preload maps from JSON ({\"NAME\": {\"entries\": [{\"key\":\n"
		"                       HEX, \"value\": HEX}]}}; typed values with BTF)\n"
		"  --maps-out FILE      write every map after the run, in the same format\n"
		"  --map-update NAME:KEYHEX:VALHEX  set one entry before the run (repeatable)\n"
		"  --map-memory BYTES   host memory the maps may hold (default and most: 1 GiB)\n"
		"\n"
		"  --compare-kernel     also run the object in the running kernel (libbpf,\n"
		"                       BPF_PROG_TEST_RUN) with the same input and maps, and\n"
		"                       report every difference\n"
		"  -h, --help           show this help\n"
		"\n"
		"Output: 'Return value: N' (bpftool's line), the verdict of xdp and tc\n"
		"programs, 'Instructions executed: N', bpf_trace_printk lines, ringbuf and\n"
		"perf records and the redirect verdict; --json prints them as one object.\n"
		"Exit status: 0 if the program ran to exit, 1 on any error, 2 on bad usage;\n"
		"with --compare-kernel 4 if the kernel's results differ and 3 if bpf() is not\n"
		"permitted here.\n",
};

static int write_file(const char *path, const void *buf, size_t len, struct bs_error *err)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	bool ok = fwrite(buf, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

struct run_args {
	const char *file, *prog, *raw, *type, *mem, *data_in, *data_out, *ctx_in, *ctx_out;
	const char *maps_in, *maps_out;
	const char **updates;
	size_t nupdates;
	uint32_t repeat;
	uint64_t map_memory;  /* --map-memory; 0: the library's limit */
	bool json, duration, compare;
	struct cli_raw_opts opts;
	struct cli_env env;
};

/* Everything one run holds, freed by run_free. */
struct run_state {
	struct bs_object *obj;
	const struct bs_prog *prog;
	struct bs_prog *raw_prog;  /* --raw with --type */
	struct bs_maps *maps;
	uint32_t ncpus;
	uint8_t *data, *ctx;
	size_t data_len, ctx_len;
	json_t *maps_before;
	struct bs_test_run tr;
};

static void run_free(struct run_state *s)
{
	free(s->data);
	free(s->ctx);
	free(s->tr.data_out);
	free(s->tr.ctx_out);
	for (size_t i = 0; i < s->tr.nclones; i++)
		free(s->tr.clones[i].data);
	free(s->tr.clones);
	json_decref(s->maps_before);
	bs_prog_free(s->raw_prog);
	bs_maps_free(s->maps);
	bs_object_close(s->obj);
}

void cli_add_source_line(const struct bs_prog *prog, struct bs_error *err)
{
	if (!prog || err->pc < 0 || err->file[0])
		return;
	const struct bs_line *best = NULL;
	for (size_t i = 0; i < bs_prog_line_count(prog); i++) {
		const struct bs_line *l = bs_prog_line(prog, i);
		if (l->insn <= (size_t)err->pc)
			best = l;
	}
	if (best && best->line) {
		snprintf(err->file, sizeof(err->file), "%s", best->file);
		err->line = (int)best->line;
	}
}

/* The maps, set up as the options say, before the run. */
static int prepare_maps(const struct run_args *a, struct run_state *s, struct bs_error *err)
{
	s->ncpus = a->env.ncpus ? a->env.ncpus : a->compare ? cli_kernel_ncpus() : 1;
	if (!s->ncpus)
		s->ncpus = 1;
	if (bs_object_create_maps(s->obj, s->ncpus, &s->maps, err) ||
	    (a->map_memory && bs_maps_set_memory_limit(s->maps, a->map_memory, err)))
		return -1;
	if (bs_maps_set_cpu(s->maps, a->env.env.cpu) < 0)
		return bs_error_set(err, BS_ERR_ARG, "--cpu %u is not below the number of CPUs (%u; "
				    "set it with --ncpus)", a->env.env.cpu, s->ncpus);
	if (a->maps_in && cli_maps_load_file(s->maps, s->ncpus, s->obj, a->maps_in, err))
		return -1;
	for (size_t i = 0; i < a->nupdates; i++)
		if (cli_map_update_arg(s->maps, s->ncpus, a->updates[i], err))
			return -1;
	if (a->compare && !(s->maps_before = cli_maps_json(s->maps, s->ncpus, NULL, err)))
		return -1;
	return 0;
}

/* FILE.o: the program with its maps and context, as BPF_PROG_TEST_RUN runs it. */
static int run_object(struct run_args *a, struct run_state *s, struct cli_report *r,
		      struct bs_error *err)
{
	struct bs_test_run *tr = &s->tr;
	if (a->opts.engine == CLI_ENGINE_JIT && !bs_jit_available())
		return bs_error_set(err, BS_ERR_UNSUPPORTED, "this build has no JIT for this machine");
	if (cli_read_file(a->data_in, CLI_MAX_FILE_BYTES, &s->data, &s->data_len, err) ||
	    (a->ctx_in && cli_read_file(a->ctx_in, CLI_MAX_FILE_BYTES, &s->ctx, &s->ctx_len, err)))
		return -1;
	if (a->raw) {
		/* a raw program of a type: no object, no maps */
		struct bs_insn *insns;
		size_t n;
		enum bs_prog_type type = BS_PROG_UNSPEC;
		if (cli_read_raw_prog(a->raw, &insns, &n, err))
			return -1;
		int rc = bs_prog_type_by_name(a->type, &type);
		rc = rc ? -1 : bs_prog_new_raw(insns, n, type, NULL, &s->raw_prog, err);
		free(insns);
		if (rc)
			return -1;
		s->prog = s->raw_prog;
	} else {
		if (bs_object_open(a->file, &s->obj, err))
			return -1;
		cli_print_notes(stderr, bs_object_notes(s->obj));
		cli_btf_set_object(a->file);
		if (bs_object_find_prog(s->obj, a->prog, &s->prog, err))
			return -1;
	}
	r->obj = s->obj;
	r->prog = s->prog;
	if (s->obj && prepare_maps(a, s, err))
		return -1;
	r->maps = s->maps;
	r->ncpus = s->ncpus;
	a->env.env.trace = cli_trace_add;
	a->env.env.trace_user = &r->trace;
	tr->env = &a->env.env;
	tr->data_in = s->data;
	tr->data_size_in = s->data_len;
	tr->ctx_in = s->ctx;
	tr->ctx_size_in = s->ctx_len;
	tr->budget = a->opts.budget ? a->opts.budget : UINT64_MAX;
	tr->dispatch = a->opts.dispatch;
	tr->engine = cli_bs_engine(&a->opts);
	tr->repeat = a->repeat;
	r->tr = tr;
	int rc = bs_test_run(s->prog, s->maps, tr, err);
	r->retval = tr->retval;
	r->insns = tr->insns_executed;
	r->duration_ns = tr->duration_ns;
	if (rc) {
		cli_add_source_line(s->prog, err);
		return -1;
	}
	r->data_out = tr->data_out;
	r->data_len = tr->data_size_out;
	r->ctx_out = tr->ctx_out;
	r->ctx_len = tr->ctx_size_out;
	if (a->data_out && write_file(a->data_out, tr->data_out, tr->data_size_out, err))
		return -1;
	if (a->ctx_out && write_file(a->ctx_out, tr->ctx_out, tr->ctx_size_out, err))
		return -1;
	if (a->maps_out) {
		json_t *m = cli_maps_json(s->maps, s->ncpus, s->obj, err);
		int wrc = m ? cli_json_write_file(m, a->maps_out, err) : -1;
		json_decref(m);
		if (wrc)
			return -1;
	}
	return 0;
}

struct raw_state {
	struct bs_insn *prog;
	uint8_t *mem;
	size_t n, mem_len;
};

static int run_raw(const struct run_args *a, struct raw_state *s, struct cli_report *r,
		   struct bs_error *err)
{
	struct bs_run_result res = {0};
	struct cli_raw_opts opts = a->opts;
	struct bs_env env = a->env.env;
	env.trace = cli_trace_add;
	env.trace_user = &r->trace;
	opts.env = &env;
	int rc = cli_read_raw_prog(a->raw, &s->prog, &s->n, err);
	if (!rc && a->mem)
		rc = cli_read_file(a->mem, CLI_MAX_FILE_BYTES, &s->mem, &s->mem_len, err);
	if (!rc)
		rc = cli_run_raw(s->prog, s->n, s->mem, s->mem_len, &opts, &res, err);
	r->retval = res.retval;
	r->insns = res.insns_executed;
	if (!rc && s->mem) {
		r->data_out = s->mem;
		r->data_len = s->mem_len;
	}
	return rc;
}

static int add_update(struct run_args *a, const char *arg)
{
	const char **more = realloc(a->updates, (a->nupdates + 1) * sizeof(*more));
	if (!more)
		return -1;
	a->updates = more;
	a->updates[a->nupdates++] = arg;
	return 0;
}

/* Usage errors of option combinations; 0 if none. */
static int check_args(const struct run_args *a)
{
	const struct cli_cmd *c = &cli_cmd_run;
	if (!a->raw && !a->file)
		return cli_usage_error(c, "a program is required: FILE.o or --raw PROG.bin");
	bool typed_raw = a->raw && a->type && strcmp(a->type, "raw") != 0;
	enum bs_prog_type type;
	if (a->type && !a->raw)
		return cli_usage_error(c, "--type is for --raw programs; FILE.o has its types in "
				       "its section names");
	if (typed_raw && bs_prog_type_by_name(a->type, &type))
		return cli_usage_error(c, "--type '%s' is not a program type as bpftool names them "
				       "(xdp, sched_cls, socket_filter, ...) nor raw", a->type);
	if (typed_raw) {
		if (a->mem || a->prog)
			return cli_usage_error(c, "--raw with --type %s runs like FILE.o: give the packet "
					       "with --data-in (--mem and --prog are for --type raw "
					       "and FILE.o)", a->type);
		if (a->maps_in || a->maps_out || a->nupdates || a->compare || a->env.ncpus ||
		    a->map_memory)
			return cli_usage_error(c, "a raw program has no maps: --maps-in, --maps-out, "
					       "--map-update, --ncpus and --compare-kernel are for "
					       "FILE.o");
		if (!a->data_in)
			return cli_usage_error(c, "--raw with --type %s needs a packet: --data-in PKT",
					       a->type);
		return 0;
	}
	if (a->raw && (a->prog || a->data_in || a->data_out || a->ctx_in || a->ctx_out))
		return cli_usage_error(c, "--prog, --data-in/out and --ctx-in/out are for "
				       "ELF objects; a --raw program takes --mem");
	if (a->raw && (a->maps_in || a->maps_out || a->nupdates || a->compare || a->repeat > 1 ||
		       a->env.ncpus || a->map_memory))
		return cli_usage_error(c, "--maps-in, --maps-out, --map-update, --map-memory, --repeat, "
				       "--ncpus and --compare-kernel are for ELF objects");
	if (a->file && a->mem)
		return cli_usage_error(c, "--mem is for --raw programs; give FILE.o a packet "
				       "with --data-in");
	if (a->file && !a->data_in)
		return cli_usage_error(c, "FILE.o needs a packet: --data-in PKT");
	return 0;
}

/* The kernel comparison after a successful run; an exit status. */
static int compare(const struct run_args *a, struct run_state *s, struct bs_error *err)
{
	json_t *after = cli_maps_json(s->maps, s->ncpus, NULL, err);
	if (!after)
		return CLI_FAIL;
	struct cli_compare c = {
		.path = a->file, .prog = s->prog, .maps_before = s->maps_before, .tr = &s->tr,
		.maps_after = after, .ncpus = s->ncpus, .cpu = a->env.env.cpu,
	};
	FILE *f = a->json ? stderr : stdout;
	int rc = cli_compare_kernel(&c, f, err);
	json_decref(after);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_MEM, OPT_SHARED, OPT_JSON, OPT_PROG,
	       OPT_DATA_IN, OPT_DATA_OUT, OPT_CTX_IN, OPT_CTX_OUT, OPT_REPEAT, OPT_DURATION,
	       OPT_TYPE, OPT_MAPS_IN, OPT_MAPS_OUT, OPT_MAP_UPDATE, OPT_COMPARE, OPT_MAP_MEMORY };
	static const struct option longopts[] = {
		{"raw", required_argument, NULL, OPT_RAW},
		{"mem", required_argument, NULL, OPT_MEM},
		{"type", required_argument, NULL, OPT_TYPE},
		{"prog", required_argument, NULL, OPT_PROG},
		{"data-in", required_argument, NULL, OPT_DATA_IN},
		{"data-out", required_argument, NULL, OPT_DATA_OUT},
		{"ctx-in", required_argument, NULL, OPT_CTX_IN},
		{"ctx-out", required_argument, NULL, OPT_CTX_OUT},
		{"repeat", required_argument, NULL, OPT_REPEAT},
		{"duration", no_argument, NULL, OPT_DURATION},
		{"json", no_argument, NULL, OPT_JSON},
		{"maps-in", required_argument, NULL, OPT_MAPS_IN},
		{"maps-out", required_argument, NULL, OPT_MAPS_OUT},
		{"map-update", required_argument, NULL, OPT_MAP_UPDATE},
		{"compare-kernel", no_argument, NULL, OPT_COMPARE},
		{"map-memory", required_argument, NULL, OPT_MAP_MEMORY},
		CLI_SHARED_LONGOPTS(OPT_SHARED),
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run_args a = {0};
	cli_raw_opts_default(&a.opts);
	/* run's default engine: the JIT where there is one */
	if (bs_jit_available())
		a.opts.engine = CLI_ENGINE_JIT;
	cli_env_default(&a.env);

	optind = 1;
	opterr = 0;
	int c, idx = 0, usage = 0;
	uint64_t v;
	char why[400];
	while (!usage && (c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
		switch (c) {
		case OPT_RAW: a.raw = optarg; break;
		case OPT_MEM: a.mem = optarg; break;
		case OPT_TYPE: a.type = optarg; break;
		case OPT_PROG: a.prog = optarg; break;
		case OPT_DATA_IN: a.data_in = optarg; break;
		case OPT_DATA_OUT: a.data_out = optarg; break;
		case OPT_CTX_IN: a.ctx_in = optarg; break;
		case OPT_CTX_OUT: a.ctx_out = optarg; break;
		case OPT_JSON: a.json = true; break;
		case OPT_DURATION: a.duration = true; break;
		case OPT_MAPS_IN: a.maps_in = optarg; break;
		case OPT_MAPS_OUT: a.maps_out = optarg; break;
		case OPT_COMPARE: a.compare = true; break;
		case OPT_MAP_UPDATE:
			if (add_update(&a, optarg))
				usage = cli_usage_error(&cli_cmd_run, "out of memory");
			break;
		case OPT_MAP_MEMORY:
			if (cli_parse_u64(optarg, &a.map_memory) || a.map_memory == 0 ||
			    a.map_memory > (1ULL << 30))
				usage = cli_usage_error(&cli_cmd_run, "--map-memory needs a number of bytes "
							"from 1 to 1073741824, not '%s'", optarg);
			break;
		case OPT_REPEAT:
			if (cli_parse_u64(optarg, &v) || v == 0 || v > UINT32_MAX)
				usage = cli_usage_error(&cli_cmd_run, "--repeat needs a number from 1 to "
							"4294967295, not '%s'", optarg);
			a.repeat = (uint32_t)v;
			break;
		case OPT_SHARED:
			if (cli_shared_option(&a.opts, &a.env, longopts[idx].name, optarg, why,
					      sizeof(why)))
				usage = cli_usage_error(&cli_cmd_run, "%s", why);
			break;
		case 'h':
			fputs(cli_cmd_run.usage, stdout);
			free(a.updates);
			return CLI_OK;
		case ':':
			usage = cli_usage_error(&cli_cmd_run, "option '%s' needs a value",
						argv[optind - 1]);
			break;
		default:
			usage = cli_usage_error(&cli_cmd_run, "unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	if (!usage && optind < argc && !a.raw && !a.file)
		a.file = argv[optind++];
	if (!usage && optind < argc)
		usage = cli_usage_error(&cli_cmd_run, "unexpected argument '%s'", argv[optind]);
	if (!usage)
		usage = check_args(&a);
	if (usage) {
		free(a.updates);
		return usage;
	}

	struct cli_report r = {.repeat = a.repeat, .show_duration = a.duration};
	struct run_state s = {0};
	struct raw_state raw = {0};
	r.object = a.file || (a.type && strcmp(a.type, "raw") != 0);
	if (r.object)
		r.rc = run_object(&a, &s, &r, &r.err);
	else
		r.rc = run_raw(&a, &raw, &r, &r.err);
	if (a.json) {
		json_t *j = cli_report_json(&r);
		json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		cli_report_text(stdout, &r);
		if (r.rc)
			cli_print_error(stderr, "bpfstep run", &r.err);
	}
	int status = r.rc ? CLI_FAIL : CLI_OK;
	if (!r.rc && a.compare) {
		fflush(stdout);
		status = compare(&a, &s, &r.err);
		if (status == CLI_FAIL)
			cli_print_error(stderr, "bpfstep run --compare-kernel", &r.err);
	}
	cli_trace_free(&r.trace);
	run_free(&s);
	free(raw.prog);
	free(raw.mem);
	free(a.updates);
	cli_btf_set_object(NULL);
	return status;
}
