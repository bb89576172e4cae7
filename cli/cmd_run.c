// SPDX-License-Identifier: MIT
/* bpfstep run: run a program once and report its return value. */
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
		"Usage: bpfstep run --raw PROG.bin [--mem FILE] [OPTIONS]\n"
		"\n"
		"Runs a program of 8-byte little-endian eBPF instructions with r1 pointing to\n"
		"a writable copy of the --mem bytes and r2 holding their length (without\n"
		"--mem: r1 = r2 = 0), r10 at the top of a 512-byte stack. Prints r0.\n"
		"\n"
		"Options:\n"
		"  --raw FILE           the program (required)\n"
		"  --mem FILE           input memory for r1/r2; LD_ABS/LD_IND read it as the packet\n"
		"  --engine interp|jit  execution engine (default interp; jit is not built yet)\n"
		"  --budget N           stop after N executed instructions (default 1000000, 0 = none)\n"
		"  --dispatch goto|switch  interpreter dispatch (default goto)\n"
		"  --json               print one JSON object instead of text\n"
		"  -h, --help           show this help\n"
		"\n"
		"Output: 'Return value: N (0xN)' and the instruction count; with --json\n"
		"{\"retval\": N, \"insns_executed\": N, \"error\": null | {\"kind\", \"message\", \"pc\", \"insn\"}}.\n"
		"Exit status: 0 if the program ran to exit, 1 on any error, 2 on bad usage.\n",
};

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

static void print_json(const struct bs_run_result *res, const struct bs_error *err, int rc)
{
	printf("{\"retval\": %" PRIu64 ", \"insns_executed\": %" PRIu64 ", \"error\": ",
	       rc ? 0 : res->retval, res->insns_executed);
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

static int cmd_run(int argc, char **argv)
{
	enum { OPT_RAW = 256, OPT_MEM, OPT_ENGINE, OPT_BUDGET, OPT_DISPATCH, OPT_JSON };
	static const struct option longopts[] = {
		{"raw", required_argument, NULL, OPT_RAW},
		{"mem", required_argument, NULL, OPT_MEM},
		{"engine", required_argument, NULL, OPT_ENGINE},
		{"budget", required_argument, NULL, OPT_BUDGET},
		{"dispatch", required_argument, NULL, OPT_DISPATCH},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *raw = NULL, *mem_path = NULL;
	bool json = false;
	struct cli_raw_opts opts;
	cli_raw_opts_default(&opts);

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RAW: raw = optarg; break;
		case OPT_MEM: mem_path = optarg; break;
		case OPT_JSON: json = true; break;
		case OPT_ENGINE:
			if (cli_parse_engine(optarg, &opts.engine))
				return cli_usage_error(&cli_cmd_run,
						       "--engine must be interp or jit, not '%s'", optarg);
			break;
		case OPT_BUDGET:
			if (cli_parse_u64(optarg, &opts.budget))
				return cli_usage_error(&cli_cmd_run,
						       "--budget needs a non-negative number, not '%s'",
						       optarg);
			break;
		case OPT_DISPATCH:
			if (strcmp(optarg, "goto") == 0)
				opts.dispatch = BS_DISPATCH_DEFAULT;
			else if (strcmp(optarg, "switch") == 0)
				opts.dispatch = BS_DISPATCH_SWITCH;
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
	if (optind < argc)
		return cli_usage_error(&cli_cmd_run, "unexpected argument '%s'", argv[optind]);
	if (!raw)
		return cli_usage_error(&cli_cmd_run, "a program is required: --raw PROG.bin");

	struct bs_error err;
	struct bs_run_result res = {0};
	struct bs_insn *prog = NULL;
	uint8_t *mem = NULL;
	size_t n = 0, mem_len = 0;
	int rc = cli_read_raw_prog(raw, &prog, &n, &err);
	if (!rc && mem_path)
		rc = cli_read_file(mem_path, CLI_MAX_FILE_BYTES, &mem, &mem_len, &err);
	if (!rc)
		rc = cli_run_raw(prog, n, mem, mem_len, &opts, &res, &err);

	if (json)
		print_json(&res, &err, rc);
	else if (rc)
		cli_print_error(stderr, "bpfstep run", &err);
	else
		printf("Return value: %" PRIu64 " (0x%" PRIx64 ")\nInstructions executed: %" PRIu64
		       "\n",
		       res.retval, res.retval, res.insns_executed);
	free(prog);
	free(mem);
	return rc ? CLI_FAIL : CLI_OK;
}
