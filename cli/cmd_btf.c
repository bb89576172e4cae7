// SPDX-License-Identifier: MIT
/* bpfstep btf: print the BTF of an object like `bpftool btf dump file`. */
#include <stdlib.h>
#include <string.h>

#include "bpfstep/btf.h"
#include "cli/cli.h"
#include "loader/elf_file.h"

static int cmd_btf(int argc, char **argv);

const struct cli_cmd cli_cmd_btf = {
	.name = "btf",
	.run = cmd_btf,
	.summary = "print the BTF types of an object (like bpftool btf dump)",
	.usage =
		"Usage: bpfstep btf FILE [format raw|c]\n"
		"\n"
		"Prints the BPF Type Format information of FILE, a BPF ELF object (its .BTF\n"
		"section, as clang -g -target bpf writes it) or a raw BTF blob such as\n"
		"/sys/kernel/btf/vmlinux, the way `bpftool btf dump file FILE` does:\n"
		"  format raw   one record per type (the default):\n"
		"               [1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n"
		"  format c     a C header of the struct, union, enum and typedef\n"
		"               definitions, in dependency order (like vmlinux.h)\n"
		"Every offset, length and type reference is checked; corrupt BTF is\n"
		"reported with the byte offset of the bad record (exit status 1).\n"
		"\n"
		"Options:\n"
		"  -h, --help   show this help\n",
};

static void to_stdout(void *user, const char *text)
{
	(void)user;
	fputs(text, stdout);
}

/* The .BTF bytes of path: a raw blob, or the section of an ELF object. */
static int load(const char *path, struct bs_btf **btf, struct bs_error *err)
{
	uint8_t *buf;
	size_t len;
	if (cli_read_file(path, CLI_MAX_FILE_BYTES, &buf, &len, err))
		return -1;
	if (len >= 2 && buf[0] == 0x9f && buf[1] == 0xeb) {
		int rc = bs_btf_parse(buf, len, btf, err);
		free(buf);
		return rc;
	}
	struct ldr_elf f;
	int rc = -1;
	if (ldr_elf_open(&f, path, buf, len, err))
		goto out;
	Elf_Data *data = NULL;
	Elf_Scn *scn = ldr_elf_find(&f, ".BTF", &data);
	bs_error_clear(err);
	if (!scn) {
		err->kind = BS_ERR_PARSE;
		snprintf(err->message, sizeof(err->message), "%s has no .BTF section", path);
		snprintf(err->hint, sizeof(err->hint),
			 "clang writes BTF with -g: clang -O2 -g -target bpf -c prog.c");
		goto out;
	}
	if (!data || !data->d_buf || data->d_size == 0) {
		err->kind = BS_ERR_PARSE;
		snprintf(err->message, sizeof(err->message), "%s: the .BTF section is empty", path);
		goto out;
	}
	rc = bs_btf_parse(data->d_buf, data->d_size, btf, err);
out:
	ldr_elf_close(&f);
	return rc;
}

static int cmd_btf(int argc, char **argv)
{
	const char *path = NULL;
	bool c_format = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(cli_cmd_btf.usage, stdout);
			return CLI_OK;
		}
		if (strcmp(a, "format") == 0) {
			if (i + 1 == argc)
				return cli_usage_error(&cli_cmd_btf, "'format' needs a value: raw or c");
			a = argv[++i];
			if (strcmp(a, "c") == 0)
				c_format = true;
			else if (strcmp(a, "raw") == 0)
				c_format = false;
			else
				return cli_usage_error(&cli_cmd_btf, "unknown format '%s' (expected raw or c)",
						       a);
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error(&cli_cmd_btf, "unknown option '%s'", a);
		} else if (!path) {
			path = a;
		} else {
			return cli_usage_error(&cli_cmd_btf, "unexpected argument '%s'", a);
		}
	}
	if (!path)
		return cli_usage_error(&cli_cmd_btf, "a file is required: bpfstep btf FILE");

	struct bs_error err;
	struct bs_btf *btf;
	if (load(path, &btf, &err)) {
		/* a parse error names the section and offset; add the file */
		if (!err.file[0] && err.kind == BS_ERR_PARSE)
			snprintf(err.file, sizeof(err.file), "%s", path);
		cli_print_error(stderr, "bpfstep btf", &err);
		return CLI_FAIL;
	}
	int rc = CLI_OK;
	if (!c_format) {
		bs_btf_dump_raw(btf, to_stdout, NULL);
	} else if (bs_btf_dump_c(btf, to_stdout, NULL, &err)) {
		snprintf(err.file, sizeof(err.file), "%s", path);
		cli_print_error(stderr, "bpfstep btf", &err);
		rc = CLI_FAIL;
	}
	bs_btf_free(btf);
	return rc;
}
