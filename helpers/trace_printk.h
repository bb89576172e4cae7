/* SPDX-License-Identifier: MIT */
/* The kernel's bpf_bprintf_prepare + bstr_printf, shared by
 * bpf_trace_printk, bpf_snprintf (and bpf_trace_vprintk). */
#ifndef BS_HELPERS_TRACE_PRINTK_H
#define BS_HELPERS_TRACE_PRINTK_H

#include <stddef.h>
#include <stdint.h>

#include "bpfstep/vm.h"
#include "vm/isa.h"

/* MAX_BPRINTF_BUF: bpf_trace_printk's line */
#define HLP_BPRINTF_BUF 1024

/* Formats fmt (a NUL-terminated host string of at most fmt_size bytes
 * before its NUL, or no NUL at all: -EINVAL) with num_args u64 arguments
 * the kernel's way into out[0..out_size) (NUL-terminated when out_size >
 * 0). Returns the length the whole text has (as vsnprintf), or a negative
 * errno: -EINVAL for a format the kernel refuses, -ENOSPC when the
 * arguments do not fit the kernel's 512-byte argument buffer. %s, %pks,
 * %pus, %pI4/6 and %pi4/6 read guest memory through vm. */
BS_HIDDEN long hlp_bprintf(struct bs_vm *vm, const char *fmt, size_t fmt_size,
			   const uint64_t *args, unsigned num_args, char *out, size_t out_size);

/* user is the struct bs_env whose trace callback receives each line. */
BS_HIDDEN int hlp_trace_printk(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			       struct bs_error *err, void *user);

#endif
