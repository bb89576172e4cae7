/* SPDX-License-Identifier: MIT */
/* Forming error values inside the library. */
#ifndef BS_VM_ERROR_H
#define BS_VM_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "bpfstep/error.h"
#include "bpfstep/isa.h"
#include "vm/isa.h"

/* Fills err (if not NULL) and returns -1, so that `return vm_err(...)` reads
 * as the failure it is. */
BS_HIDDEN int vm_err(struct bs_error *err, enum bs_err_kind kind, long pc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same, for wrappers that add their own context (a file name ...). */
BS_HIDDEN int vm_verr(struct bs_error *err, enum bs_err_kind kind, long pc, const char *fmt,
		      va_list ap) __attribute__((format(printf, 4, 0)));
BS_HIDDEN void vm_err_hint(struct bs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Adds the disassembly of the instruction at err->pc. */
BS_HIDDEN void vm_err_insn(struct bs_error *err, const struct bs_insn *prog, size_t n);

#endif
