// SPDX-License-Identifier: MIT
/* `run --maps-in FILE`: JSON (typed by BTF or hex) into every kind of map
 * of maps_json.bpf.o, then the maps back out as JSON the way --maps-out
 * writes them. Built from the command's own sources (cli/map_json.c,
 * cli/btf_value.c). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/run.h"
#include "tests/fuzz/fuzz.h"

static struct bs_object *obj;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct bs_error err;
	if (bs_object_open(BS_FUZZ_MAPS_OBJ, &obj, &err)) {
		fprintf(stderr, "fuzz_maps_json: %s\n", err.message);
		abort();
	}
	cli_btf_set_object(BS_FUZZ_MAPS_OBJ);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, size, 0, &jerr);
	if (!root)
		return 0;
	struct bs_maps *maps = NULL;
	struct bs_error err;
	if (bs_object_create_maps(obj, 2, &maps, &err))
		abort();
	if (cli_maps_load(maps, 2, obj, root, "fuzz.json", &err)) {
		fuzz_check_error(&err);
	} else {
		json_t *out = cli_maps_json(maps, 2, obj, &err);
		if (!out)
			fuzz_check_error(&err);
		char *text = out ? json_dumps(out, JSON_PRESERVE_ORDER) : NULL;
		free(text);
		json_decref(out);
	}
	json_decref(root);
	bs_maps_free(maps);
	return 0;
}
