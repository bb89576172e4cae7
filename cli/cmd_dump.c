// SPDX-License-Identifier: MIT
/* bpfstep dump: disassemble a program like `bpftool prog dump xlated`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/dump.h"

static int cmd_dump(int argc, char **argv);

const struct cli_cmd cli_cmd_dump = {
	.name = "dump",
	.run = cmd_dump,
	.summary = "disassemble a program in the kernel verifier's syntax",
	.usage =
		"Usage: bpfstep dump FILE.o [--prog NAME] [xlated|jited] [opcodes] [linum] [visual]\n"
		"       bpfstep dump --raw PROG.bin [xlated|jited] [opcodes] [visual]\n"
		"\n"
		"Prints each instruction the way `bpftool prog dump xlated` does:\n"
		"   0: (b7) r0 = 0\n"
		"With 'opcodes', each line is followed by the instruction's raw bytes.\n"
		"For an ELF object, each program is shown after linking (subprograms\n"
		"appended), with a 'name:' line where each function starts, map\n"
		"references as map[NAME], bpf-to-bpf calls as call pc+N#NAME, and, from\n"
		".BTF.ext, the source line as '; text' where it starts ('linum' adds\n"
		"[file:line col N]).\n"
		"'jited' shows the x86-64 code the JIT makes instead (disassembled by\n"
		"capstone), each BPF instruction before its code, like `bpftool prog dump\n"
		"jited`, then the copies of counted loops that run without memory checks;\n"
		"an object's program must be of a type `run` runs.\n"
		"'visual' prints the control-flow graph as graphviz dot instead, one\n"
		"cluster per function (bpfstep dump F visual | dot -Tpng > cfg.png).\n"
		"The program is checked first; an invalid instruction is reported with its pc.\n"
		"\n"
		"Options:\n"
		"  --prog NAME  only this program (function or section name) of FILE.o\n"
		"  --raw FILE   a raw program: 8-byte little-endian instructions\n"
		"  -h, --help   show this help\n",
};

enum { DUMP_LINUM = 1u << 16, DUMP_VISUAL = 1u << 17, DUMP_JITED = 1u << 18 };  /* beside the BS_DISASM_* flags */

/* What an object's program refers to, for the disassembler's names. */
struct dump_ctx {
	const struct bs_object *obj;
	const struct bs_prog *prog;
};

static const char *map_name(void *user, uint32_t idx)
{
	const struct dump_ctx *d = user;
	const struct bs_map_def *def = bs_object_map_def(d->obj, idx);
	return def ? def->name : NULL;
}

static const char *func_name(void *user, size_t insn)
{
	const struct dump_ctx *d = user;
	for (size_t i = 0; i < bs_prog_func_count(d->prog); i++)
		if (bs_prog_func(d->prog, i)->start == insn)
			return bs_prog_func(d->prog, i)->name;
	return NULL;
}

/* "; source text", and with linum its place, where a line record starts. */
static void print_line(const struct bs_line *l, unsigned flags)
{
	printf("; %s", l->src);
	if (flags & DUMP_LINUM)
		printf(" [%s:%u col %u]", l->file, l->line, l->col);
	putchar('\n');
}

static int dump_jited_insns(const struct bs_insn *prog, size_t n, const struct bs_func *funcs,
			    size_t nfuncs, const struct dump_ctx *d, unsigned flags);

/* Prints insns; function starts get a "name:" line. Returns CLI_OK or CLI_FAIL. */
static int dump_insns(const struct bs_insn *prog, size_t n, const struct bs_func *funcs,
		      size_t nfuncs, const struct dump_ctx *d, unsigned flags)
{
	struct bs_disasm_names names = {map_name, func_name, (void *)d};
	size_t li = 0, nlines = d ? bs_prog_line_count(d->prog) : 0;
	struct bs_error err;
	char line[512];
	size_t f = 0;
	if (bs_prog_check(prog, n, &err)) {
		if (err.pc >= 0)
			bs_disasm(prog, n, (size_t)err.pc, err.insn, sizeof(err.insn));
		cli_print_error(stderr, "bpfstep dump", &err);
		return CLI_FAIL;
	}
	if (flags & DUMP_VISUAL) {
		dump_visual(prog, n, funcs, nfuncs, d ? &names : NULL);
		return CLI_OK;
	}
	if (flags & DUMP_JITED)
		return dump_jited_insns(prog, n, funcs, nfuncs, d, flags);
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc])) {
		for (; f < nfuncs && funcs[f].start <= pc; f++)
			if (funcs[f].start == pc)
				printf("%s:\n", funcs[f].name);
		for (; li < nlines && bs_prog_line(d->prog, li)->insn <= pc; li++)
			if (bs_prog_line(d->prog, li)->insn == pc)
				print_line(bs_prog_line(d->prog, li), flags);
		bs_disasm_line_names(prog, n, pc, flags & BS_DISASM_OPCODES, d ? &names : NULL, line,
				     sizeof(line));
		puts(line);
	}
	return CLI_OK;
}

/* ---- jited ---- */

struct jited_lines {
	const struct bs_insn *prog;
	size_t n;
	const struct bs_func *funcs;
	size_t nfuncs, f, li;
	const struct dump_ctx *d;
	unsigned flags;
	int rc;
};

static void jited_bpf_line(size_t pc, void *user)
{
	struct jited_lines *j = user;
	struct bs_disasm_names names = {map_name, func_name, (void *)j->d};
	size_t nlines = j->d ? bs_prog_line_count(j->d->prog) : 0;
	char line[512];
	for (; j->f < j->nfuncs && j->funcs[j->f].start <= pc; j->f++)
		if (j->funcs[j->f].start == pc)
			printf("%s:\n", j->funcs[j->f].name);
	for (; j->li < nlines && bs_prog_line(j->d->prog, j->li)->insn <= pc; j->li++)
		if (bs_prog_line(j->d->prog, j->li)->insn == pc)
			print_line(bs_prog_line(j->d->prog, j->li), j->flags);
	bs_disasm_line_names(j->prog, j->n, pc, 0, j->d ? &names : NULL, line, sizeof(line));
	puts(line);
}

static void jited_print(struct bs_vm *vm, struct jited_lines *j)
{
	struct bs_error err;
	const uint8_t *code;
	const uint32_t *offs;
	size_t len, nloops = 0;
	struct bs_jit_loop loops[64];
	if (bs_vm_jit_code(vm, 0, &code, &len, &offs, &err) ||
	    bs_vm_jit_loops(vm, 0, loops, 64, &nloops, &err) ||
	    dump_jited(code, len, offs, j->prog, j->n, loops, nloops < 64 ? nloops : 64,
		       jited_bpf_line, j, (j->flags & BS_DISASM_OPCODES) != 0, &err)) {
		cli_print_error(stderr, "bpfstep dump", &err);
		j->rc = CLI_FAIL;
	}
}

static void jited_on_vm(struct bs_vm *vm, void *user)
{
	jited_print(vm, user);
}

/* ends the run the object's program was set up for before it starts */
static int jited_stop(struct bs_vm *vm, enum bs_stop_reason why, struct bs_error *err, void *user)
{
	(void)vm; (void)why; (void)user;
	return bs_error_set(err, BS_ERR_ARG, "only dumped");
}

static void jited_no_run(struct bs_vm *vm, void *user)
{
	jited_on_vm(vm, user);
	bs_vm_set_stop_hook(vm, jited_stop, NULL);
	bs_vm_stop_at(vm, 0);
}

static int dump_jited_insns(const struct bs_insn *prog, size_t n, const struct bs_func *funcs,
			    size_t nfuncs, const struct dump_ctx *d, unsigned flags)
{
	struct jited_lines j = {prog, n, funcs, nfuncs, 0, 0, d, flags, CLI_OK};
	struct bs_error err;
	if (!bs_jit_available()) {
		fprintf(stderr, "bpfstep dump: this build has no JIT for this machine\n");
		return CLI_FAIL;
	}
	if (!d) {
		/* a raw program: the VM `run --raw` makes */
		struct bs_vm *vm = NULL;
		struct bs_env env;
		bs_env_default(&env);
		if (bs_vm_new(&vm, &err) || bs_helpers_register_env(vm, &env, &err) ||
		    bs_vm_load(vm, prog, n, &err)) {
			cli_print_error(stderr, "bpfstep dump", &err);
			bs_vm_free(vm);
			return CLI_FAIL;
		}
		jited_print(vm, &j);
		bs_vm_free(vm);
		return j.rc;
	}
	/* an object's program: the VM `run` makes, with its maps and helpers */
	struct bs_maps *maps = NULL;
	static const uint8_t pkt[64];
	struct bs_test_run tr = {.data_in = pkt, .data_size_in = sizeof(pkt),
				 .engine = BS_ENGINE_JIT, .on_vm = jited_no_run, .on_vm_user = &j};
	if (bs_object_create_maps(d->obj, 1, &maps, &err)) {
		cli_print_error(stderr, "bpfstep dump", &err);
		return CLI_FAIL;
	}
	j.rc = CLI_OK;
	if (bs_test_run(d->prog, maps, &tr, &err) && err.kind != BS_ERR_ARG) {
		cli_print_error(stderr, "bpfstep dump", &err);
		j.rc = CLI_FAIL;
	}
	bs_maps_free(maps);
	return j.rc;
}

static int dump_object(const char *path, const char *prog_name, unsigned flags)
{
	struct bs_error err;
	struct bs_object *obj;
	if (bs_object_open(path, &obj, &err)) {
		cli_print_error(stderr, "bpfstep dump", &err);
		return CLI_FAIL;
	}
	int rc = CLI_OK;
	const struct bs_prog *only = NULL;
	cli_print_notes(stderr, bs_object_notes(obj));
	if (prog_name && bs_object_find_prog(obj, prog_name, &only, &err)) {
		cli_print_error(stderr, "bpfstep dump", &err);
		rc = CLI_FAIL;
	}
	for (size_t i = 0; rc == CLI_OK && i < bs_object_prog_count(obj); i++) {
		const struct bs_prog *p = bs_object_prog(obj, i);
		if (only && p != only)
			continue;
		size_t n, nf = bs_prog_func_count(p);
		const struct bs_insn *insns = bs_prog_insns(p, &n);
		struct bs_func funcs[nf ? nf : 1];
		for (size_t k = 0; k < nf; k++)
			funcs[k] = *bs_prog_func(p, k);
		if (!only && !(flags & DUMP_VISUAL))
			printf("%sprog '%s' (section %s, type %s):\n", i ? "\n" : "", bs_prog_name(p),
			       bs_prog_section(p), bs_prog_type_name(bs_prog_type(p)));
		struct dump_ctx d = {obj, p};
		rc = dump_insns(insns, n, funcs, nf, &d, flags);
	}
	bs_object_close(obj);
	return rc;
}

static int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"prog", required_argument, NULL, 'p'},
		{"raw", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *raw = NULL, *file = NULL, *prog_name = NULL;
	unsigned flags = 0;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': raw = optarg; break;
		case 'p': prog_name = optarg; break;
		case 'h':
			fputs(cli_cmd_dump.usage, stdout);
			return CLI_OK;
		case ':':
			return cli_usage_error(&cli_cmd_dump, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(&cli_cmd_dump, "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "opcodes") == 0)
			flags |= BS_DISASM_OPCODES;
		else if (strcmp(argv[i], "linum") == 0)
			flags |= DUMP_LINUM;
		else if (strcmp(argv[i], "visual") == 0)
			flags |= DUMP_VISUAL;
		else if (strcmp(argv[i], "xlated") == 0)
			continue;
		else if (strcmp(argv[i], "jited") == 0)
			flags |= DUMP_JITED;
		else if (!file && !raw && i == optind)
			file = argv[i];
		else
			return cli_usage_error(&cli_cmd_dump,
					       "unknown keyword '%s' (expected xlated, jited, opcodes, linum or visual)",
					       argv[i]);
	}
	if (!raw && !file)
		return cli_usage_error(&cli_cmd_dump, "a program is required: FILE.o or --raw PROG.bin");
	if (raw && prog_name)
		return cli_usage_error(&cli_cmd_dump, "--prog selects a program of an ELF object, not of --raw");
	if (file)
		return dump_object(file, prog_name, flags);

	struct bs_error err;
	struct bs_insn *prog;
	size_t n;
	if (cli_read_raw_prog(raw, &prog, &n, &err)) {
		cli_print_error(stderr, "bpfstep dump", &err);
		return CLI_FAIL;
	}
	int rc = dump_insns(prog, n, NULL, 0, NULL, flags);
	free(prog);
	return rc;
}
