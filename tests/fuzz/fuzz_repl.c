// SPDX-License-Identifier: MIT
/* The REPL of `bpfstep debug`: each input is a script of up to 32 command
 * lines run on a session of examples/subprogs.bpf.o (functions, source
 * lines, DWARF, maps), the way `debug --batch` runs a script. The commands
 * print to /dev/null; none of them writes files. Built from the REPL's own
 * sources (debugger/repl*.c). */
#include <stdio.h>
#include <string.h>

#include "debugger/repl.h"
#include "debugger/repl_srcpath.h"
#include "tests/fuzz/fuzz.h"

static struct bs_object *obj;
static const struct bs_prog *prog;
static FILE *devnull;
static struct bs_dbg *dbg;
static unsigned uses;

static int make_maps(void *user, struct bs_maps **out, struct bs_error *err)
{
	(void)user;
	return bs_object_create_maps(obj, 1, out, err);
}

static void fresh_session(void)
{
	struct bs_error err;
	bs_dbg_free(dbg);
	struct bs_dbg_config cfg = {
		.prog = prog, .make_maps = make_maps, .data_in = fuzz_packet,
		.data_size_in = sizeof(fuzz_packet), .budget = FUZZ_BUDGET,
	};
	if (bs_dbg_new(&cfg, &dbg, &err))
		abort();
	uses = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct bs_error err;
	if (bs_object_open(BS_FUZZ_REPL_OBJ, &obj, &err) ||
	    bs_object_find_prog(obj, "xdp_sum", &prog, &err)) {
		fprintf(stderr, "fuzz_repl: %s\n", err.message);
		abort();
	}
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	fresh_session();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	/* breakpoints, displays and edits pile up: start over now and then */
	if (++uses > 50)
		fresh_session();
	struct repl r = {.d = dbg, .obj = obj, .out = devnull, .batch = false};
	char *save = NULL;
	int lines = 0;
	for (char *line = strtok_r(text, "\n", &save); line && lines < 32 && !r.quit;
	     line = strtok_r(NULL, "\n", &save), lines++)
		(void)repl_exec(&r, line);
	for (size_t i = 0; i < r.ndisplays; i++)
		free(r.displays[i].expr);
	free(r.displays);
	repl_srcpath_free(&r);  /* `directory`, `set substitute-path` */
	free(text);
	return 0;
}
