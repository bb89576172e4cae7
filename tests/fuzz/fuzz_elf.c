// SPDX-License-Identifier: MIT
/* ELF objects: the loader (sections, relocations, maps, BTF, line info),
 * then what `dump` and `run` do with what it gave: disassembly with names,
 * the maps, one bounded test run of each program. */
#include <string.h>

#include "tests/fuzz/fuzz.h"

static void run_prog(const struct bs_prog *prog, struct bs_maps *maps)
{
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(prog, &n);
	char line[256];
	for (size_t pc = 0; pc < n && pc < 4096; pc++)
		bs_disasm(insns, n, pc, line, sizeof(line));
	for (size_t i = 0; i < bs_prog_line_count(prog); i++)
		(void)strlen(bs_prog_line(prog, i)->file);
	if (!maps)
		return;
	struct bs_error err;
	struct bs_test_run tr = {
		.data_in = fuzz_packet, .data_size_in = sizeof(fuzz_packet), .budget = FUZZ_BUDGET,
	};
	if (bs_test_run(prog, maps, &tr, &err))
		fuzz_check_error(&err);
	fuzz_free_test_run(&tr);
}

/* Maps of up to 1 GiB are valid, and slow to clear under ASan: inputs whose
 * maps are large are loaded and disassembled, but not run, so that each
 * input takes milliseconds. */
static bool small_maps(const struct bs_object *obj)
{
	uint64_t total = 0;
	for (size_t i = 0; i < bs_object_map_count(obj); i++) {
		const struct bs_map_def *d = bs_object_map_def(obj, i);
		total += ((uint64_t)d->key_size + d->value_size + 16) * d->max_entries;
	}
	return total <= (16u << 20);
}

static void sink(void *user, const char *text)
{
	*(size_t *)user += strlen(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_object *obj = NULL;
	struct bs_error err;
	if (bs_object_open_mem("fuzz.o", data, size, &obj, &err)) {
		fuzz_check_error(&err);
		return 0;
	}
	(void)strlen(bs_object_notes(obj));
	(void)strlen(bs_object_license(obj));
	const struct bs_btf *btf = bs_object_btf(obj);
	size_t total = 0;
	if (btf) {
		bs_btf_dump_raw(btf, sink, &total);
		if (bs_btf_dump_c(btf, sink, &total, &err))
			fuzz_check_error(&err);
	}
	for (size_t i = 0; i < bs_object_map_count(obj); i++) {
		size_t isize;
		(void)bs_object_map_def(obj, i);
		(void)bs_object_map_init(obj, i, &isize);
	}
	struct bs_maps *maps = NULL;
	if (small_maps(obj) && bs_object_create_maps(obj, 2, &maps, &err))
		fuzz_check_error(&err);
	for (size_t i = 0; i < bs_object_prog_count(obj) && i < 8; i++)
		run_prog(bs_object_prog(obj, i), maps);
	bs_maps_free(maps);
	bs_object_close(obj);
	return 0;
}
