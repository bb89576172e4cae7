/* SPDX-License-Identifier: MIT */
/* The command-line front end: the only code that prints errors and chooses
 * exit codes. */
#ifndef BS_CLI_CLI_H
#define BS_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfstep/bpfstep.h"

/* Exit codes: 0 success, 1 the program or its input failed, 2 usage error. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;  /* full --help text */
};

extern const struct cli_cmd cli_cmd_run, cli_cmd_dump, cli_cmd_asm, cli_cmd_btf;

/* Prints an error value: "bpfstep: error: MSG", then where and the hint. */
void cli_print_error(FILE *f, const char *prog, const struct bs_error *err);
/* Prints each line of notes as "note: LINE". */
void cli_print_notes(FILE *f, const char *notes);
/* Prints a usage error and returns CLI_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Input size limits: a raw program (the kernel's 1,000,000 instructions),
 * and any other input file. */
#define CLI_MAX_PROG_BYTES ((size_t)8000000)
#define CLI_MAX_FILE_BYTES ((size_t)256 << 20)

/* Reads a whole file ("-" is stdin), refusing more than max bytes.
 * malloc'd buffer, NUL-terminated. */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err);
/* Reads a file of 8-byte little-endian instructions. */
int cli_read_raw_prog(const char *path, struct bs_insn **prog, size_t *n, struct bs_error *err);
/* Parses whitespace-separated hex bytes ("aa bb", "aabb", "0xaa"). */
int cli_parse_hex(const char *text, uint8_t **buf, size_t *len, struct bs_error *err);
/* Parses an unsigned number (decimal or 0x hex) for an option. */
int cli_parse_u64(const char *text, uint64_t *out);

#endif
