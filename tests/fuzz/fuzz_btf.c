// SPDX-License-Identifier: MIT
/* BTF and .BTF.ext: the input is a 4-byte little-endian length, that many
 * bytes of .BTF, then .BTF.ext. Parses both, then walks what `btf` and the
 * map-definition reader walk: sizes, names, raw and C dumps. */
#include <string.h>

#include "tests/fuzz/fuzz.h"

static void sink(void *user, const char *text)
{
	*(size_t *)user += strlen(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint32_t btf_len = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
			   (uint32_t)data[3] << 24;
	data += 4;
	size -= 4;
	if (btf_len > size)
		btf_len = (uint32_t)size;

	struct bs_btf *btf = NULL;
	struct bs_error err;
	if (bs_btf_parse(data, btf_len, &btf, &err)) {
		fuzz_check_error(&err);
		return 0;
	}
	size_t total = 0;
	uint32_t n = bs_btf_type_count(btf);
	for (uint32_t id = 0; id <= n + 1 && id < 4096; id++) {
		const struct bs_btf_type *t = bs_btf_type_by_id(btf, id);
		uint64_t sz;
		if (bs_btf_resolve_size(btf, id, &sz, &err))
			fuzz_check_error(&err);
		(void)bs_btf_skip_mods(btf, id);
		if (t && t->kind == BS_BTF_VAR) {
			struct bs_btf_map_def def;
			if (bs_btf_map_def(btf, id, &def, &err))
				fuzz_check_error(&err);
		}
		if (t)
			(void)bs_btf_str(btf, t->name_off);
	}
	(void)bs_btf_find_by_name(btf, "xdp_md", BS_BTF_STRUCT);
	bs_btf_dump_raw(btf, sink, &total);
	if (bs_btf_dump_c(btf, sink, &total, &err))
		fuzz_check_error(&err);

	struct bs_btf_ext *ext = NULL;
	if (bs_btf_ext_parse(btf, data + btf_len, size - btf_len, &ext, &err)) {
		fuzz_check_error(&err);
	} else {
		for (size_t i = 0; i < bs_btf_ext_sec_count(ext); i++) {
			const struct bs_btf_ext_sec *s = bs_btf_ext_sec(ext, i);
			total += strlen(s->name);
			for (size_t j = 0; j < s->nr_line_info; j++)
				total += strlen(s->line_info[j].file_name) + strlen(s->line_info[j].line);
			for (size_t j = 0; j < s->nr_core_relo; j++)
				total += strlen(s->core_relo[j].access);
		}
		bs_btf_ext_free(ext);
	}
	bs_btf_free(btf);
	return 0;
}
