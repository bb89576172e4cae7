// SPDX-License-Identifier: MIT
/* The one place an error value becomes text for a person. */
#include "cli/cli.h"

void cli_print_error(FILE *f, const char *prog, const struct bs_error *err)
{
	fprintf(f, "%s: error: %s\n", prog, err->message);
	if (err->pc >= 0) {
		fprintf(f, "  at pc %ld", err->pc);
		if (err->insn[0])
			fprintf(f, ": %s", err->insn);
		fputc('\n', f);
	}
	if (err->file[0] && err->line)
		fprintf(f, "  in %s:%d\n", err->file, err->line);
	else if (err->file[0])
		fprintf(f, "  in %s\n", err->file);
	if (err->hint[0])
		fprintf(f, "  hint: %s\n", err->hint);
}
