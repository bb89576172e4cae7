// SPDX-License-Identifier: MIT
/* String helpers of bpf_base_func_proto (kernel/bpf/helpers.c, Linux
 * 6.18): bpf_snprintf, bpf_trace_vprintk, bpf_strtol, bpf_strtoul. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/helpers.h"
#include "helpers/task_helpers.h"
#include "helpers/trace_printk.h"
#include "vm/error.h"

/* MAX_BPRINTF_VARARGS */
#define MAX_VARARGS 12
/* the longest constant format string bpfstep looks for a NUL in */
#define MAX_FMT 65536
#define STRTOX_BASE_MASK 0x1fULL

/* A constant string (ARG_PTR_TO_CONST_STR): the verifier makes sure it is
 * NUL-terminated in read-only map memory; bpfstep takes any readable
 * memory and copies it, NUL included, into *out (the caller frees). */
static int const_str(struct bs_vm *vm, uint64_t addr, const char *helper, char **out,
		     struct bs_error *err)
{
	size_t cap = 64, n = 0;
	char *s = malloc(cap);
	if (!s)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	for (;;) {
		struct bs_error e;
		const char *c = bs_vm_translate(vm, addr + n, 1, false, &e);
		if (!c || n == MAX_FMT) {
			free(s);
			return vm_err(err, BS_ERR_HELPER, BS_NO_PC,
				      "%s: the format at 0x%llx is not a NUL-terminated string in the "
				      "program's memory (the kernel's verifier refuses that)", helper,
				      (unsigned long long)addr);
		}
		if (n + 1 == cap) {
			char *t = realloc(s, cap *= 2);
			if (!t) {
				free(s);
				return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
			}
			s = t;
		}
		s[n++] = *c;
		if (!*c)
			break;
	}
	*out = s;
	return 0;
}

/* The u64 array of bpf_snprintf and bpf_trace_vprintk: -EINVAL unless
 * data_len is a multiple of 8, at most 12 of them, and not without an
 * array. */
static int varargs(struct bs_vm *vm, uint64_t addr, uint32_t data_len, uint64_t out[MAX_VARARGS],
		   uint64_t *r0, struct bs_error *err)
{
	if (data_len % 8 || data_len > MAX_VARARGS * 8 || (data_len && !addr)) {
		*r0 = (uint64_t)-EINVAL;
		return 1;
	}
	if (!data_len)
		return 0;
	const void *p = bs_vm_translate(vm, addr, data_len, false, err);
	if (!p)
		return -1;
	memcpy(out, p, data_len);
	return 0;
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): the whole text's
 * length plus one (the NUL), however much of it fit in str. */
int hlp_snprintf(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		 void *user)
{
	(void)user;
	uint64_t va[64] = {0};
	uint32_t size = (uint32_t)args[1], data_len = (uint32_t)args[4];
	char *fmt = NULL;
	if (const_str(vm, args[2], "bpf_snprintf", &fmt, err))
		return -1;
	/* the verifier checks the constant format against data_len / 8
	 * arguments before anything runs */
	unsigned num = data_len / 8 < 64 ? data_len / 8 : 64;
	if (hlp_bprintf(vm, fmt, strlen(fmt) + 1, va, num, NULL, 0) == -EINVAL) {
		vm_err(err, BS_ERR_HELPER, BS_NO_PC,
		       "bpf_snprintf: Invalid format string \"%.60s\" for %u arguments (the kernel's "
		       "verifier refuses the program)", fmt, num);
		free(fmt);
		return -1;
	}
	int rc = varargs(vm, args[3], data_len, va, r0, err);
	if (rc) {
		free(fmt);
		return rc < 0 ? -1 : 0;
	}
	char *str = NULL;
	if (size && !(str = bs_vm_translate(vm, args[0], size, true, err))) {
		free(fmt);
		return -1;
	}
	char *tmp = size ? malloc(size) : NULL;
	if (size && !tmp) {
		free(fmt);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	long n = hlp_bprintf(vm, fmt, strlen(fmt) + 1, va, data_len / 8, tmp, size);

	/* the kernel writes str only once the format was accepted */
	if (n >= 0 && size)
		memcpy(str, tmp, strnlen(tmp, size - 1) + 1);
	free(tmp);
	free(fmt);
	*r0 = n < 0 ? (uint64_t)n : (uint64_t)n + 1;
	return 0;
}

/* bpf_trace_vprintk(fmt, fmt_size, data, data_len): bpf_trace_printk with
 * up to 12 arguments from an array. */
int hlp_trace_vprintk(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
		      struct bs_error *err, void *user)
{
	struct bs_env *env = user;
	uint64_t va[MAX_VARARGS] = {0};
	uint32_t fmt_size = (uint32_t)args[1], data_len = (uint32_t)args[3];
	int rc = varargs(vm, args[2], data_len, va, r0, err);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (!fmt_size)
		return vm_err(err, BS_ERR_HELPER, BS_NO_PC,
			      "bpf_trace_vprintk with fmt_size 0: the kernel's verifier refuses it");
	const char *fmt = bs_vm_translate(vm, args[0], fmt_size, false, err);
	if (!fmt)
		return -1;
	char line[HLP_BPRINTF_BUF];
	long n = hlp_bprintf(vm, fmt, fmt_size, va, data_len / 8, line, sizeof(line));
	*r0 = (uint64_t)n;
	if (n >= 0 && env && env->trace)
		env->trace(env->trace_user, line);
	return 0;
}

/* The kernel's isspace: the C locale's, and 0xa0 (its _ctype table is
 * Latin-1). */
static bool k_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

/* __bpf_strtoull: the characters consumed (leading spaces and '-'
 * included) or a negative errno. */
static long strtoull_(const char *buf, size_t len, uint64_t flags, uint64_t *res, bool *neg)
{
	unsigned base = (unsigned)(flags & STRTOX_BASE_MASK);
	if (base != 0 && base != 8 && base != 10 && base != 16)
		return -EINVAL;
	if (flags & ~STRTOX_BASE_MASK)
		return -EINVAL;
	size_t at = 0;
	while (at < len && k_isspace((unsigned char)buf[at]))
		at++;
	*neg = at < len && buf[at] == '-';
	if (*neg)
		at++;
	if (at == len)
		return -EINVAL;
	/* the kernel parses a 63-character copy of the rest */
	char str[64];
	size_t n = len - at < sizeof(str) - 1 ? len - at : sizeof(str) - 1;
	memcpy(str, buf + at, n);
	str[n] = 0;
	const char *s = str;
	/* _parse_integer_fixup_radix */
	if (base == 0) {
		if (s[0] == '0')
			base = (s[1] | 0x20) == 'x' && strchr("0123456789abcdefABCDEF", s[2]) && s[2]
				       ? 16 : 8;
		else
			base = 10;
	}
	if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
		s += 2;
	/* _parse_integer */
	uint64_t v = 0;
	bool overflow = false;
	size_t digits = 0;
	for (;; s++, digits++) {
		unsigned c = (unsigned char)*s, lc = c | 0x20, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (lc >= 'a' && lc <= 'f')
			d = lc - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		if ((v >> 60) && v > (UINT64_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	if (!digits)
		return -EINVAL;
	*res = v;
	return (long)(at + (size_t)(s - str));
}

/* The buffer and result of bpf_strtol / bpf_strtoul, which the verifier
 * makes sure are readable (buf_len > 0) and writable (8 bytes). */
static int strtox_args(struct bs_vm *vm, const uint64_t args[5], const char **buf, uint8_t **res,
		       const char *helper, struct bs_error *err)
{
	if (!args[1])
		return vm_err(err, BS_ERR_HELPER, BS_NO_PC,
			      "%s with buf_len 0: the kernel's verifier refuses a zero size", helper);
	*buf = bs_vm_translate(vm, args[0], args[1], false, err);
	if (!*buf)
		return -1;
	*res = bs_vm_translate(vm, args[3], 8, true, err);
	return *res ? 0 : -1;
}

int hlp_strtol(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
	       void *user)
{
	(void)user;
	const char *buf;
	uint8_t *res;
	if (strtox_args(vm, args, &buf, &res, "bpf_strtol", err))
		return -1;
	memset(res, 0, 8);
	uint64_t v = 0;
	bool neg;
	long n = strtoull_(buf, args[1], args[2], &v, &neg);
	/* __bpf_strtoll: the magnitude must fit the sign */
	if (n >= 0 && (neg ? (int64_t)-v > 0 : (int64_t)v < 0))
		n = -ERANGE;
	if (n >= 0) {
		int64_t r = neg ? (int64_t)-v : (int64_t)v;
		memcpy(res, &r, 8);
	}
	*r0 = (uint64_t)n;
	return 0;
}

int hlp_strtoul(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		void *user)
{
	(void)user;
	const char *buf;
	uint8_t *res;
	if (strtox_args(vm, args, &buf, &res, "bpf_strtoul", err))
		return -1;
	memset(res, 0, 8);
	uint64_t v = 0;
	bool neg;
	long n = strtoull_(buf, args[1], args[2], &v, &neg);
	if (n >= 0 && neg)
		n = -EINVAL;
	if (n >= 0)
		memcpy(res, &v, 8);
	*r0 = (uint64_t)n;
	return 0;
}
