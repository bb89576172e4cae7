// SPDX-License-Identifier: MIT
/* `asm`: assembly text of either dialect, then the disassembly of what it
 * assembled (what `asm` followed by `dump --raw` prints). */
#include <string.h>

#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct bs_insn *prog = NULL;
	size_t n = 0;
	struct bs_error err;
	if (bs_asm(text, "fuzz.s", &prog, &n, &err)) {
		fuzz_check_error(&err);
	} else {
		char line[256];
		for (size_t pc = 0; pc < n; pc++)
			bs_disasm(prog, n, pc, line, sizeof(line));
		if (bs_prog_check(prog, n, &err))
			fuzz_check_error(&err);
	}
	free(prog);
	free(text);
	return 0;
}
