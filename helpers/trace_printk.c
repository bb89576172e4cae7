// SPDX-License-Identifier: MIT
/* bpf_trace_printk (6) with the kernel's format rules (bpf_bprintf_prepare
 * in kernel/bpf/helpers.c): at most 3 arguments, a NUL inside fmt_size,
 * printable ASCII only, and only the conversions the kernel allows; anything
 * else returns -EINVAL. The formatted line goes to the environment's trace
 * callback; the return value is its length, as bstr_printf's. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bpfstep/helpers.h"
#include "helpers/trace_printk.h"

#define MAX_BPRINTF_BUF 1024
#define MAX_ARGS 3

struct out {
	char buf[MAX_BPRINTF_BUF];
	size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
	/* bstr_printf truncates at the buffer and counts what it wrote */
	size_t room = sizeof(o->buf) - 1 - o->len;
	if (n > room)
		n = room;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

/* A guest string for %s: up to the buffer, "(efault)" like the kernel when
 * it cannot be read. */
static void put_str(struct bs_vm *vm, struct out *o, uint64_t addr)
{
	struct bs_error e;
	for (size_t i = 0; i < MAX_BPRINTF_BUF; i++) {
		const char *c = bs_vm_translate(vm, addr + i, 1, false, &e);
		if (!c) {
			if (i == 0)
				put(o, "(efault)", 8);
			return;
		}
		if (!*c)
			return;
		put(o, c, 1);
	}
}

int hlp_trace_printk(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		     void *user)
{
	(void)err;
	struct bs_env *env = user;
	uint32_t fmt_size = (uint32_t)args[1];
	struct bs_error e;
	const char *fmt = fmt_size ? bs_vm_translate(vm, args[0], fmt_size, false, &e) : NULL;
	*r0 = (uint64_t)-EINVAL;
	if (!fmt || strnlen(fmt, fmt_size) == fmt_size)
		return 0;
	struct out o = {.len = 0};
	int argn = 0;
	for (const char *p = fmt; *p; p++) {
		if (!isascii((unsigned char)*p) ||
		    (!isprint((unsigned char)*p) && !isspace((unsigned char)*p)))
			return 0;
		if (*p != '%') {
			put(&o, p, 1);
			continue;
		}
		if (p[1] == '%') {
			put(&o, "%", 1);
			p++;
			continue;
		}
		if (argn == MAX_ARGS)
			return 0;
		/* "%[0 +-][width]" then the conversion, as the kernel parses it */
		char spec[32] = "%";
		size_t sl = 1;
		p++;
		while ((*p == '0' || *p == '+' || *p == '-' || *p == ' ') && sl < 8)
			spec[sl++] = *p++;
		while (isdigit((unsigned char)*p) && sl < 16)
			spec[sl++] = *p++;
		uint64_t a = args[2 + argn++];
		char tmp[128];
		int n;
		if (*p == 'c') {
			spec[sl++] = 'c';
			spec[sl] = 0;
			n = snprintf(tmp, sizeof(tmp), spec, (int)(unsigned char)a);
		} else if (*p == 's') {
			put_str(vm, &o, a);
			continue;
		} else if (*p == 'p') {
			if ((p[1] == 'I' || p[1] == 'i') && p[2] == '4') {
				const uint8_t *ip = bs_vm_translate(vm, a, 4, false, &e);
				if (!ip)
					return 0;
				n = snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
				p += 2;
			} else {
				/* %p, %px, %pK: the pointer's hex digits, zero-padded */
				n = snprintf(tmp, sizeof(tmp), "%016" PRIx64, a);
				if (p[1] == 'x' || p[1] == 'K')
					p++;
			}
		} else {
			int longs = 0;
			while (*p == 'l' && longs < 2) {
				longs++;
				p++;
			}
			if (!strchr("iduxX", *p) || !*p)
				return 0;
			char conv = *p == 'i' ? 'd' : *p;
			/* without l the argument is a 32-bit int, as the kernel casts it */
			uint64_t v = longs ? a : conv == 'd' ? (uint64_t)(int64_t)(int32_t)a : (uint32_t)a;
			const char *len_mod = conv == 'd' ? PRId64 : conv == 'u' ? PRIu64
					      : conv == 'x' ? PRIx64 : PRIX64;
			snprintf(spec + sl, sizeof(spec) - sl, "%s", len_mod);
			n = snprintf(tmp, sizeof(tmp), spec, v);
		}
		if (n > 0)
			put(&o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
	}
	if (env && env->trace)
		env->trace(env->trace_user, o.buf);
	*r0 = o.len;
	return 0;
}
