// SPDX-License-Identifier: MIT
/* bpfstep dump: disassemble a program like `bpftool prog dump xlated`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int cmd_dump(int argc, char **argv);

const struct cli_cmd cli_cmd_dump = {
	.name = "dump",
	.run = cmd_dump,
	.summary = "disassemble a program in the kernel verifier's syntax",
	.usage =
		"Usage: bpfstep dump --raw PROG.bin [xlated] [opcodes]\n"
		"\n"
		"Prints each instruction the way `bpftool prog dump xlated` does:\n"
		"   0: (b7) r0 = 0\n"
		"With 'opcodes', each line is followed by the instruction's raw bytes.\n"
		"The program is checked first; an invalid instruction is reported with its pc.\n"
		"\n"
		"Options:\n"
		"  --raw FILE   the program, 8-byte little-endian instructions (required)\n"
		"  -h, --help   show this help\n",
};

static int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"raw", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *raw = NULL;
	unsigned flags = 0;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': raw = optarg; break;
		case 'h':
			fputs(cli_cmd_dump.usage, stdout);
			return CLI_OK;
		case ':':
			return cli_usage_error(&cli_cmd_dump, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(&cli_cmd_dump, "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "opcodes") == 0)
			flags |= BS_DISASM_OPCODES;
		else if (strcmp(argv[i], "xlated") != 0)
			return cli_usage_error(&cli_cmd_dump,
					       "unknown keyword '%s' (expected xlated or opcodes)", argv[i]);
	}
	if (!raw)
		return cli_usage_error(&cli_cmd_dump, "a program is required: --raw PROG.bin");

	struct bs_error err;
	struct bs_insn *prog;
	size_t n;
	if (cli_read_raw_prog(raw, &prog, &n, &err)) {
		cli_print_error(stderr, "bpfstep dump", &err);
		return CLI_FAIL;
	}
	int rc = CLI_OK;
	char line[512];
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc])) {
		if (bs_insn_check(prog, n, pc, &err)) {
			bs_disasm(prog, n, pc, err.insn, sizeof(err.insn));
			cli_print_error(stderr, "bpfstep dump", &err);
			rc = CLI_FAIL;
			break;
		}
		bs_disasm_line(prog, n, pc, flags, line, sizeof(line));
		puts(line);
	}
	free(prog);
	return rc;
}
