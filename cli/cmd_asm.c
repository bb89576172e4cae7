// SPDX-License-Identifier: MIT
/* bpfstep asm: assemble text into a raw program file. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int cmd_asm(int argc, char **argv);

const struct cli_cmd cli_cmd_asm = {
	.name = "asm",
	.run = cmd_asm,
	.summary = "assemble eBPF assembly text into a raw program file",
	.usage =
		"Usage: bpfstep asm FILE -o OUT.bin\n"
		"\n"
		"Assembles FILE ('-' for standard input), written in the conformance-vector\n"
		"dialect (mov32 %r0, 0 / ldxw %r0, [%r1+4] / jeq %r1, 5, +2) or in the kernel's\n"
		"C-like syntax that `bpfstep dump` prints (w0 = 0 / r0 = *(u32 *)(r1 +4)),\n"
		"into 8-byte little-endian instructions. See docs/asm.md.\n"
		"\n"
		"Options:\n"
		"  -o, --output OUT   where to write the program ('-' for standard output; required)\n"
		"  -h, --help         show this help\n",
};

static int write_all(const char *path, const void *buf, size_t len, struct bs_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	if (!f)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	bool ok = fwrite(buf, 1, len, f) == len;
	if (f != stdout)
		ok = (fclose(f) == 0) && ok;
	if (!ok)
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	if (f == stdout)
		fflush(stdout);
	return 0;
}

static int cmd_asm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h':
			fputs(cli_cmd_asm.usage, stdout);
			return CLI_OK;
		case ':':
			return cli_usage_error(&cli_cmd_asm, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(&cli_cmd_asm, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(&cli_cmd_asm, "an input file is required");
	if (optind + 1 < argc)
		return cli_usage_error(&cli_cmd_asm, "unexpected argument '%s'", argv[optind + 1]);
	if (!out)
		return cli_usage_error(&cli_cmd_asm, "an output file is required: -o OUT.bin");

	const char *in = argv[optind];
	struct bs_error err;
	uint8_t *text = NULL;
	size_t len, n = 0;
	struct bs_insn *prog = NULL;
	int rc = cli_read_file(in, CLI_MAX_FILE_BYTES, &text, &len, &err);
	if (!rc && memchr(text, 0, len))
		rc = bs_error_set(&err, BS_ERR_PARSE,
				  "'%s' contains a NUL byte at offset %zu: not assembly text", in,
				  (size_t)((uint8_t *)memchr(text, 0, len) - text));
	if (!rc)
		rc = bs_asm((const char *)text, in, &prog, &n, &err);
	if (!rc)
		rc = write_all(out, prog, n * sizeof(*prog), &err);
	if (rc)
		cli_print_error(stderr, "bpfstep asm", &err);
	free(text);
	free(prog);
	return rc ? CLI_FAIL : CLI_OK;
}
