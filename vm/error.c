// SPDX-License-Identifier: MIT
/* Error values and the one place their kinds are named. */
#include "vm/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[BS_ERR__COUNT] = {
	[BS_OK] = "ok",
	[BS_ERR_NOMEM] = "nomem",
	[BS_ERR_IO] = "io",
	[BS_ERR_ARG] = "argument",
	[BS_ERR_PARSE] = "parse",
	[BS_ERR_INVALID] = "invalid",
	[BS_ERR_MEMORY] = "memory",
	[BS_ERR_BUDGET] = "budget",
	[BS_ERR_CALL_DEPTH] = "call_depth",
	[BS_ERR_HELPER] = "helper",
	[BS_ERR_UNSUPPORTED] = "unsupported",
};

const char *bs_err_kind_name(enum bs_err_kind kind)
{
	if ((unsigned)kind >= BS_ERR__COUNT)
		return "unknown";
	return kind_names[kind];
}

void bs_error_clear(struct bs_error *err)
{
	if (!err)
		return;
	/* the strings as empty strings: a run clears its error every time, and
	 * the whole struct is most of a kilobyte */
	err->kind = BS_OK;
	err->pc = BS_NO_PC;
	err->insn[0] = err->file[0] = err->message[0] = err->hint[0] = '\0';
	err->line = 0;
}

int vm_verr(struct bs_error *err, enum bs_err_kind kind, long pc, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	bs_error_clear(err);
	err->kind = kind;
	err->pc = pc;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return -1;
}

int bs_error_set(struct bs_error *err, enum bs_err_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_verr(err, kind, BS_NO_PC, fmt, ap);
	va_end(ap);
	return -1;
}

int vm_err(struct bs_error *err, enum bs_err_kind kind, long pc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_verr(err, kind, pc, fmt, ap);
	va_end(ap);
	return -1;
}

void vm_err_hint(struct bs_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void vm_err_insn(struct bs_error *err, const struct bs_insn *prog, size_t n)
{
	if (!err || err->pc < 0 || (size_t)err->pc >= n)
		return;
	bs_disasm(prog, n, (size_t)err->pc, err->insn, sizeof(err->insn));
}
