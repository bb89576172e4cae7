/* SPDX-License-Identifier: MIT */
/* bpfstep error values: every library function that can fail fills one of
 * these; only the command-line front end prints them. */
#ifndef BPFSTEP_ERROR_H
#define BPFSTEP_ERROR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define BS_MUST_CHECK __attribute__((warn_unused_result))

enum bs_err_kind {
	BS_OK = 0,
	BS_ERR_NOMEM,       /* host allocation failed */
	BS_ERR_IO,          /* a file could not be read or written */
	BS_ERR_ARG,         /* a caller passed something meaningless */
	BS_ERR_PARSE,       /* assembly text, hex or a data file is malformed */
	BS_ERR_INVALID,     /* the program is malformed: opcode, reserved field, jump */
	BS_ERR_MEMORY,      /* a load or store outside every region the program owns */
	BS_ERR_BUDGET,      /* the instruction budget ran out (runaway loop) */
	BS_ERR_CALL_DEPTH,  /* more than 8 nested bpf-to-bpf frames */
	BS_ERR_HELPER,      /* unknown helper id, or a helper refused its arguments */
	BS_ERR_UNSUPPORTED, /* valid eBPF that this build cannot execute */
	BS_ERR__COUNT
};

#define BS_NO_PC (-1L)

struct bs_error {
	enum bs_err_kind kind;
	long pc;            /* instruction index, or BS_NO_PC */
	char insn[96];      /* the instruction at pc as disassembler text, or "" */
	char file[128];     /* source file (assembly file, C file), or "" */
	int line;           /* line in file, 0 if unknown */
	char message[320];
	char hint[192];
};

/* Short stable name of a kind ("memory", "budget", ...), used in --json. */
const char *bs_err_kind_name(enum bs_err_kind kind);

/* Clears err to BS_OK. */
void bs_error_clear(struct bs_error *err);

/* Sets err to kind with a formatted message (pc unknown); returns -1 so that
 * `return bs_error_set(...)` reads as the failure it is. */
int bs_error_set(struct bs_error *err, enum bs_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
