// SPDX-License-Identifier: MIT
/* A plugin for the bpf_conformance runner:
 *   bpfstep-conformance-plugin [MEM] [--engine interp|jit] [--elf]
 * reads the program as hex on stdin, MEM as hex bytes in argv[1], prints r0
 * in hex; on failure prints the error on stderr and exits 1. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/raw.h"

static const char usage[] =
	"Usage: bpfstep-conformance-plugin [MEM] [--engine interp|jit] [--budget N] [--elf]\n"
	"\n"
	"The bpf_conformance runner's plugin protocol: the program arrives on standard\n"
	"input as hex bytes, MEM (optional first argument) is the input memory as hex\n"
	"bytes; r1 points to it and r2 holds its length. Prints r0 in hex and exits 0,\n"
	"or prints the error on standard error and exits 1. --elf (an ELF object on\n"
	"standard input) is refused: this build loads raw programs only.\n";

int main(int argc, char **argv)
{
	struct cli_raw_opts opts;
	struct bs_error err;
	const char *mem_hex = NULL;
	cli_raw_opts_default(&opts);
	bs_error_clear(&err);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i == 1 && a[0] != '-') {
			mem_hex = a;
		} else if (strcmp(a, "--engine") == 0 && i + 1 < argc) {
			if (cli_parse_engine(argv[++i], &opts.engine)) {
				fprintf(stderr, "--engine must be interp or jit, not '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(a, "--budget") == 0 && i + 1 < argc) {
			if (cli_parse_u64(argv[++i], &opts.budget)) {
				fprintf(stderr, "--budget needs a number, not '%s'\n", argv[i]);
				return 2;
			}
		} else if (strcmp(a, "--elf") == 0) {
			fprintf(stderr, "ELF input is not supported by this plugin; run the tests without --elf\n");
			return 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "unknown argument '%s'\n%s", a, usage);
			return 2;
		}
	}

	uint8_t *text = NULL, *code = NULL, *mem = NULL;
	size_t text_len, code_len = 0, mem_len = 0;
	struct bs_run_result res;
	/* hex text: two characters and a separator per byte at most */
	int rc = cli_read_file("-", 3 * CLI_MAX_PROG_BYTES, &text, &text_len, &err);
	if (!rc && memchr(text, 0, text_len))
		rc = bs_error_set(&err, BS_ERR_PARSE, "the program on stdin contains a NUL byte");
	if (!rc)
		rc = cli_parse_hex((const char *)text, &code, &code_len, &err);
	if (!rc && (code_len == 0 || code_len % 8))
		rc = bs_error_set(&err, BS_ERR_PARSE,
				  "the program is %zu bytes; it must be a non-empty multiple of 8",
				  code_len);
	if (!rc && mem_hex)
		rc = cli_parse_hex(mem_hex, &mem, &mem_len, &err);
	if (!rc)
		rc = cli_run_raw((const struct bs_insn *)code, code_len / 8, mem, mem_len, &opts,
				 &res, &err);
	if (rc)
		cli_print_error(stderr, "bpfstep-conformance-plugin", &err);
	else
		printf("%" PRIx64 "\n", res.retval);
	free(text);
	free(code);
	free(mem);
	return rc ? 1 : 0;
}
