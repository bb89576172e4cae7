// SPDX-License-Identifier: MIT
/* The one place an error value becomes text for a person. */
#include <string.h>

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

void cli_print_notes(FILE *f, const char *notes)
{
	for (const char *p = notes; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(f, "note: %.*s\n", (int)len, p);
		p += len + (nl != NULL);
	}
}
