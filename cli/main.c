// SPDX-License-Identifier: MIT
/* bpfstep: the command table, help, and error printing. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

extern const struct cli_cmd cli_cmd_replay;  /* cmd_replay.c */
extern const struct cli_cmd cli_cmd_debug;   /* cmd_debug.c */

static const struct cli_cmd *const commands[] = {
	&cli_cmd_run,
	&cli_cmd_replay,
	&cli_cmd_debug,
	&cli_cmd_dump,
	&cli_cmd_asm,
	&cli_cmd_btf,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_main_help(FILE *f)
{
	fprintf(f, "Usage: bpfstep COMMAND [OPTIONS]\n"
		   "       bpfstep help COMMAND | bpfstep COMMAND --help\n"
		   "\n"
		   "Runs Linux eBPF programs in user space with the kernel's semantics.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nOptions:\n"
		   "  -h, --help     show this help\n"
		   "  -V, --version  show the version\n"
		   "\nExit status: 0 success, 1 the program or its input failed, 2 usage error.\n");
}

static const struct cli_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bpfstep %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'bpfstep %s --help'.\n", cmd->name);
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_main_help(stderr);
		return CLI_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
		print_main_help(stdout);
		return CLI_OK;
	}
	if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
		printf("bpfstep %s\n", BS_VERSION);
		return CLI_OK;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			print_main_help(stdout);
			return CLI_OK;
		}
		const struct cli_cmd *cmd = find_command(argv[2]);
		if (!cmd) {
			fprintf(stderr, "bpfstep: unknown command '%s'\n", argv[2]);
			return CLI_USAGE;
		}
		fputs(cmd->usage, stdout);
		return CLI_OK;
	}
	const struct cli_cmd *cmd = find_command(name);
	if (!cmd) {
		fprintf(stderr, "bpfstep: unknown command '%s'\n\n", name);
		print_main_help(stderr);
		return CLI_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
