// SPDX-License-Identifier: MIT
/* bpfstep run: run a program once and report its return value. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/raw.h"

static int cmd_run(int argc, char **argv);

const struct cli_cmd cli_cmd_run = {
	.name = "run",
	.run = cmd_run,
	.summary = "run a program once and print its return value (like bpftool prog run)",
	.usage =
		"Usage: bpfstep run FILE.o [--prog NAME] --data-in PKT [OPTIONS]\n"
		"       bpfstep run --raw PROG.bin [--mem FILE] [OPTIONS]\n"
		"\n"
		"With an ELF object: runs one program like BPF_PROG_TEST_RUN, with the\n"
		"object's maps and the context of its type (xdp: struct xdp_md; tc, socket\n"
		"and cgroup_skb: struct __sk_buff) over the packet of --data-in. Prints the\n"
		"u32 return value, and the packet afterwards with --data-out.\n"
		"\n"
		"With --raw: runs 8-byte little-endian eBPF instructions with r1 pointing to\n"
		"a writable copy of the --mem bytes and r2 holding their length (without\n"
		"--mem: r1 = r2 = 0), r10 at the top of a 512-byte stack. Prints r0 (64 bits).\n"
		"\n"
		"Options:\n"
		"  --prog NAME          the program of FILE.o to run (function or section name)\n"
		"  --data-in FILE       the packet (required with FILE.o; at least 14 bytes)\n"
		"  --data-out FILE      write the packet after the run\n"
		"  --ctx-in FILE        initial bytes of the context (xdp_md / __sk_buff)\n"
		"  --ctx-out FILE       write the context after the run\n"
		"  --raw FILE           a raw program instead of FILE.o\n"
		"  --mem FILE           input memory for r1/r2 of --raw; LD_ABS/LD_IND read it\n"
		"  --engine interp|jit  execution engine (default interp; jit is not built yet)\n"
		"  --budget N           stop after N executed instructions (default 1000000, 0 = none)\n"
		"  --dispatch goto|switch  interpreter dispatch (default goto)\n"
		"  --json               print one JSON object instead of text\n"
		"  -h, --help           show this help\n"
		"\n"
		"Output: 'Return value: N (0xN)' and the instruction count; with --json\n"
		"{\"retval\": N, \"insns_executed\": N, \"error\": null | {\"kind\", \"message\", \"pc\", \"insn\"}}\n"
		"and, for FILE.o, \"data_out\" and \"ctx_out\" as hex strings and \"trace\", the\n"
		"bpf_trace_printk lines (printed as 'bpf_trace_printk: LINE' without --json).\n"
		"Exit status: 0 if the program ran to exit, 1 on any error, 2 on bad usage.\n",
};

/* bpf_trace_printk lines of one run, in order */
struct trace_lines {
	char **line;
	size_t n;
};

static void on_trace(void *user, const char *text)
{
	struct trace_lines *t = user;
	char **more = realloc(t->line, (t->n + 1) * sizeof(*more));
	if (!more)
		return;
	t->line = more;
	t->line[t->n] = strdup(text);
	if (t->line[t->n])
		t->n++;
}

static void free_trace(struct trace_lines *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->line[i]);
	free(t->line);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_hex(const char *key, const uint8_t *b, size_t n)
{
	printf(", \"%s\": \"", key);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\"");
}

static void print_json(const struct bs_run_result *res, const struct bs_test_run *tr,
		       const struct trace_lines *trace, const struct bs_error *err, int rc)
{
	printf("{\"retval\": %" PRIu64 ", \"insns_executed\": %" PRIu64, rc ? 0 : res->retval,
	       res->insns_executed);
	if (tr && !rc) {
		json_hex("data_out", tr->data_out, tr->data_size_out);
		json_hex("ctx_out", tr->ctx_out, tr->ctx_size_out);
	}
	if (tr) {
		printf(", \"trace\": [");
		for (size_t i = 0; i < trace->n; i++) {
			printf("%s", i ? ", " : "");
			json_string(stdout, trace->line[i]);
		}
		printf("]");
	}
	printf(", \"error\": ");
	if (!rc) {
		printf("null}\n");
		return;
	}
	printf("{\"kind\": ");
	json_string(stdout, bs_err_kind_name(err->kind));
	printf(", \"message\": ");
	json_string(stdout, err->message);
	if (err->pc >= 0)
		printf(", \"pc\": %ld", err->pc);
	else
		printf(", \"pc\": null");
	printf(", \"insn\": ");
	if (err->insn[0])
		json_string(stdout, err->insn);
	else
		printf("null");
	printf("}}\n");
}

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
	const char *file, *prog, *raw, *mem, *data_in, *data_out, *ctx_in, *ctx_out;
	bool json;
	struct cli_raw_opts opts;
	struct trace_lines trace;
};

/* FILE.o: the program with its maps and context, as BPF_PROG_TEST_RUN runs it. */
static int run_object(struct run_args *a, struct bs_test_run *tr, struct bs_error *err)
{
	struct bs_env env;
	bs_env_default(&env);
	env.trace = on_trace;
	env.trace_user = &a->trace;
	tr->env = &env;
	struct bs_object *obj = NULL;
	struct bs_maps *maps = NULL;
	const struct bs_prog *prog;
	uint8_t *data = NULL, *ctx = NULL;
	size_t data_len = 0, ctx_len = 0;
	int rc = -1;
	if (a->opts.engine == CLI_ENGINE_JIT) {
		bs_error_set(err, BS_ERR_UNSUPPORTED, "the JIT engine is not available yet in this build");
		goto out;
	}
	if (cli_read_file(a->data_in, CLI_MAX_FILE_BYTES, &data, &data_len, err) ||
	    (a->ctx_in && cli_read_file(a->ctx_in, CLI_MAX_FILE_BYTES, &ctx, &ctx_len, err)))
		goto out;
	if (bs_object_open(a->file, &obj, err))
		goto out;
	cli_print_notes(stderr, bs_object_notes(obj));
	if (bs_object_find_prog(obj, a->prog, &prog, err) || bs_object_create_maps(obj, &maps, err))
		goto out;
	tr->data_in = data;
	tr->data_size_in = data_len;
	tr->ctx_in = ctx;
	tr->ctx_size_in = ctx_len;
	tr->budget = a->opts.budget ? a->opts.budget : UINT64_MAX;
	tr->dispatch = a->opts.dispatch;
	if (bs_test_run(prog, maps, tr, err))
		goto out;
	if (a->data_out && write_file(a->data_out, tr->data_out, tr->data_size_out, err))
		goto out;
	if (a->ctx_out && write_file(a->ctx_out, tr->ctx_out, tr->ctx_size_out, err))
		goto out;
	rc = 0;
out:
	free(data);
	free(ctx);
	bs_maps_free(maps);
	bs_object_close(obj);
	return rc;
}

static int run_raw(const struct run_args *a, struct bs_run_result *res, struct bs_error *err)
{
	struct bs_insn *prog = NULL;
	uint8_t *mem = NULL;
	size_t n = 0, mem_len = 0;
	int rc = cli_read_raw_prog(a->raw, &prog, &n, err);
	if (!rc && a->mem)
		rc = cli_read_file(a->mem, CLI_MAX_FILE_BYTES, &mem, &mem_len, err);
	if (!rc)
		rc = cli_run_raw(prog, n, mem, mem_len, &a->opts, res, err);
	free(prog);
	free(mem);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_MEM, OPT_ENGINE, OPT_BUDGET, OPT_DISPATCH, OPT_JSON, OPT_PROG,
	       OPT_DATA_IN, OPT_DATA_OUT, OPT_CTX_IN, OPT_CTX_OUT };
	static const struct option longopts[] = {
		{"raw", required_argument, NULL, OPT_RAW},
		{"mem", required_argument, NULL, OPT_MEM},
		{"prog", required_argument, NULL, OPT_PROG},
		{"data-in", required_argument, NULL, OPT_DATA_IN},
		{"data-out", required_argument, NULL, OPT_DATA_OUT},
		{"ctx-in", required_argument, NULL, OPT_CTX_IN},
		{"ctx-out", required_argument, NULL, OPT_CTX_OUT},
		{"engine", required_argument, NULL, OPT_ENGINE},
		{"budget", required_argument, NULL, OPT_BUDGET},
		{"dispatch", required_argument, NULL, OPT_DISPATCH},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run_args a = {0};
	cli_raw_opts_default(&a.opts);

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RAW: a.raw = optarg; break;
		case OPT_MEM: a.mem = optarg; break;
		case OPT_PROG: a.prog = optarg; break;
		case OPT_DATA_IN: a.data_in = optarg; break;
		case OPT_DATA_OUT: a.data_out = optarg; break;
		case OPT_CTX_IN: a.ctx_in = optarg; break;
		case OPT_CTX_OUT: a.ctx_out = optarg; break;
		case OPT_JSON: a.json = true; break;
		case OPT_ENGINE:
			if (cli_parse_engine(optarg, &a.opts.engine))
				return cli_usage_error(&cli_cmd_run,
						       "--engine must be interp or jit, not '%s'", optarg);
			break;
		case OPT_BUDGET:
			if (cli_parse_u64(optarg, &a.opts.budget))
				return cli_usage_error(&cli_cmd_run,
						       "--budget needs a non-negative number, not '%s'",
						       optarg);
			break;
		case OPT_DISPATCH:
			if (strcmp(optarg, "goto") == 0)
				a.opts.dispatch = BS_DISPATCH_DEFAULT;
			else if (strcmp(optarg, "switch") == 0)
				a.opts.dispatch = BS_DISPATCH_SWITCH;
			else
				return cli_usage_error(&cli_cmd_run,
						       "--dispatch must be goto or switch, not '%s'",
						       optarg);
			break;
		case 'h':
			fputs(cli_cmd_run.usage, stdout);
			return CLI_OK;
		case ':':
			return cli_usage_error(&cli_cmd_run, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(&cli_cmd_run, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc && !a.raw && !a.file)
		a.file = argv[optind++];
	if (optind < argc)
		return cli_usage_error(&cli_cmd_run, "unexpected argument '%s'", argv[optind]);
	if (!a.raw && !a.file)
		return cli_usage_error(&cli_cmd_run, "a program is required: FILE.o or --raw PROG.bin");
	if (a.raw && (a.prog || a.data_in || a.data_out || a.ctx_in || a.ctx_out))
		return cli_usage_error(&cli_cmd_run, "--prog, --data-in/out and --ctx-in/out are for "
				       "ELF objects; a --raw program takes --mem");
	if (a.file && a.mem)
		return cli_usage_error(&cli_cmd_run, "--mem is for --raw programs; give FILE.o a packet "
				       "with --data-in");
	if (a.file && !a.data_in)
		return cli_usage_error(&cli_cmd_run, "FILE.o needs a packet: --data-in PKT");

	struct bs_error err;
	struct bs_run_result res = {0};
	struct bs_test_run tr = {0};
	int rc;
	if (a.file) {
		rc = run_object(&a, &tr, &err);
		res.retval = tr.retval;
		res.insns_executed = tr.insns_executed;
	} else {
		rc = run_raw(&a, &res, &err);
	}
	/* the lines a kernel would put in trace_pipe come before the result */
	for (size_t i = 0; !a.json && i < a.trace.n; i++)
		printf("bpf_trace_printk: %s%s", a.trace.line[i],
		       strchr(a.trace.line[i], '\n') ? "" : "\n");
	if (a.json)
		print_json(&res, a.file ? &tr : NULL, &a.trace, &err, rc);
	else if (rc)
		cli_print_error(stderr, "bpfstep run", &err);
	else
		printf("Return value: %" PRIu64 " (0x%" PRIx64 ")\nInstructions executed: %" PRIu64
		       "\n",
		       res.retval, res.retval, res.insns_executed);
	free(tr.data_out);
	free(tr.ctx_out);
	free_trace(&a.trace);
	return rc ? CLI_FAIL : CLI_OK;
}
