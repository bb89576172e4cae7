// SPDX-License-Identifier: MIT
/* The kernel's printf for BPF programs (kernel/bpf/helpers.c and
 * lib/vsprintf.c, Linux 6.18). bpf_bprintf_prepare checks the format and
 * packs the arguments into a 512-byte buffer (strings and IP addresses
 * copied in as text, numbers as 4 or 8 bytes at 4-byte alignment), then
 * bstr_printf formats from that buffer. Both steps are followed here, so
 * the same formats are refused (-EINVAL), the same arguments overflow the
 * buffer (-ENOSPC) and long strings are cut at the same place.
 *
 * What cannot be the kernel's: %p and %pK print the kernel's hashed (or
 * restricted) pointer, which differs per boot; bpfstep prints the address
 * as %px does. %ps, %pS and %pB look the address up in the kernel's
 * symbols; bpfstep has none and prints what the kernel prints for an
 * address that is no symbol: 0x and the hex address. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bpfstep/helpers.h"
#include "helpers/trace_printk.h"

#define MAX_BIN_ARGS 512
#define MAX_TRACE_PRINTK_ARGS 3

/* Text out: keeps what fits, counts everything (vsnprintf's return). */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->size && o->len < o->size - 1)
			o->buf[o->len] = s[i];
}

static void pad(struct out *o, char c, long n)
{
	for (; n > 0; n--)
		put(o, &c, 1);
}

/* One conversion as bpf_bprintf_prepare parsed it. */
struct spec {
	char flags[5];
	size_t nflags;
	long width;     /* -1: none */
	bool left;
};

/* A string as the kernel's string(): padded with spaces to the width. */
static void put_padded(struct out *o, const char *s, size_t n, const struct spec *sp)
{
	long fill = sp->width > (long)n ? sp->width - (long)n : 0;
	if (!sp->left)
		pad(o, ' ', fill);
	put(o, s, n);
	if (sp->left)
		pad(o, ' ', fill);
}

/* What bpf_bprintf_prepare formatted before (%pI4/6, %pi4/6, %pks, %pus,
 * %pB): bstr_printf prints it only while there is room left (str < end),
 * and then counts all of it. */
static void put_preformatted(struct out *o, const char *s, size_t n, const struct spec *sp)
{
	if (o->len < o->size)
		put_padded(o, s, n, sp);
}

/* bstr_printf skips the letters and digits after any %p conversion */
static size_t skip_alnum(const char *fmt, size_t i)
{
	while (isalnum((unsigned char)fmt[i + 1]))
		i++;
	return i;
}

/* Copies a guest string as strncpy_from_kernel_nofault: at most room - 1
 * characters and a NUL; the bytes used (with the NUL), or -1 if the first
 * byte cannot be read. A fault after it ends the string there. */
static long copy_str(struct bs_vm *vm, uint64_t addr, char *dst, size_t room)
{
	struct bs_error e;
	size_t i = 0;
	for (; i + 1 < room; i++) {
		const char *c = bs_vm_translate(vm, addr + i, 1, false, &e);
		if (!c)
			return -1;
		dst[i] = *c;
		if (!*c)
			return (long)i + 1;
	}
	dst[i] = 0;
	return (long)room;
}

static bool ends_spec(char c)
{
	return c == 0 || isspace((unsigned char)c) || ispunct((unsigned char)c);
}

static void fmt_ip(char *dst, size_t room, const uint8_t *ip, char kind, char ver)
{
	size_t at = 0;
	if (ver == '4') {
		for (int i = 0; i < 4; i++)
			at += (size_t)snprintf(dst + at, room - at, kind == 'i' ? "%s%03u" : "%s%u",
					       i ? "." : "", ip[i]);
		return;
	}
	for (int i = 0; i < 16; i += 2)
		at += (size_t)snprintf(dst + at, room - at, "%s%02x%02x",
				       i && kind == 'I' ? ":" : "", ip[i], ip[i + 1]);
}

/* A number as the kernel's number(): the digits (with a sign for d when
 * negative or with '+' / ' '), then the width filled with spaces, or with
 * zeros after the sign for '0', or spaces after it for '-'. */
static void put_number(struct out *o, const struct spec *sp, char conv, uint64_t v, bool wide)
{
	char plain[40];
	int n;
	if (conv == 'd') {
		int64_t s = wide ? (int64_t)v : (int64_t)(int32_t)v;
		const char *sign = s < 0 ? "-" : strchr(sp->flags, '+') ? "+"
				   : strchr(sp->flags, ' ') ? " " : "";
		uint64_t mag = s < 0 ? -(uint64_t)s : (uint64_t)s;
		n = snprintf(plain, sizeof(plain), "%s%" PRIu64, sign, mag);
	} else {
		if (!wide)
			v = (uint32_t)v;
		n = snprintf(plain, sizeof(plain), conv == 'u' ? "%" PRIu64 : conv == 'x' ? "%" PRIx64
						   : "%" PRIX64, v);
	}
	long fill = sp->width - n;
	if (sp->left) {
		put(o, plain, (size_t)n);
		pad(o, ' ', fill);
	} else if (strchr(sp->flags, '0')) {
		size_t sign = conv == 'd' && (plain[0] == '-' || plain[0] == '+' || plain[0] == ' ');
		put(o, plain, sign);
		pad(o, '0', fill);
		put(o, plain + sign, (size_t)n - sign);
	} else {
		pad(o, ' ', fill);
		put(o, plain, (size_t)n);
	}
}

/* The argument buffer bpf_bprintf_prepare fills. */
struct bin {
	char buf[MAX_BIN_ARGS];
	size_t at;
};

static size_t align4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

long hlp_bprintf(struct bs_vm *vm, const char *fmt, size_t fmt_size, const uint64_t *args,
		 unsigned num_args, char *outbuf, size_t out_size)
{
	size_t flen = strnlen(fmt, fmt_size);
	if (flen == fmt_size)
		return -EINVAL;
	struct out o = {.buf = outbuf, .size = out_size, .len = 0};
	struct bin b = {.at = 0};
	unsigned num_spec = 0;
	struct bs_error e;
	for (size_t i = 0; i < flen; i++) {
		unsigned char c = (unsigned char)fmt[i];
		if ((!isprint(c) && !isspace(c)) || !isascii(c))
			return -EINVAL;
		if (c != '%') {
			put(&o, fmt + i, 1);
			continue;
		}
		if (fmt[i + 1] == '%') {
			put(&o, "%", 1);
			i++;
			continue;
		}
		if (num_spec >= num_args)
			return -EINVAL;
		uint64_t a = args[num_spec++];
		struct spec sp = {.width = -1};
		i++;
		while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ') {
			if (sp.nflags < sizeof(sp.flags) - 1 && !strchr(sp.flags, fmt[i]))
				sp.flags[sp.nflags++] = fmt[i];
			sp.left |= fmt[i] == '-';
			i++;
		}
		if (fmt[i] >= '1' && fmt[i] <= '9') {
			sp.width = 0;
			while (fmt[i] >= '0' && fmt[i] <= '9') {
				if (sp.width < 1000000)
					sp.width = sp.width * 10 + (fmt[i] - '0');
				i++;
			}
		}
		char txt[MAX_BIN_ARGS + 64];
		char ptype = 's';
		if (fmt[i] == 'p') {
			char n1 = fmt[i + 1];
			if ((n1 == 'k' || n1 == 'u') && fmt[i + 2] == 's') {
				ptype = n1;
				i += 2;
				goto str;
			}
			if (ends_spec(n1) || n1 == 'K' || n1 == 'x' || n1 == 's' || n1 == 'S' ||
			    n1 == 'B') {
				if (!ends_spec(n1))
					i++;
				if (n1 == 'B') {
					int n = snprintf(txt, sizeof(txt), "0x%" PRIx64, a);
					size_t room = MAX_BIN_ARGS - b.at;
					b.at += (size_t)n + 1 > room ? room : (size_t)n + 1;
					put_preformatted(&o, txt, (size_t)n, &sp);
					i = skip_alnum(fmt, i);
					continue;
				}
				b.at = align4(b.at);
				if (MAX_BIN_ARGS - b.at < 8)
					return -ENOSPC;
				b.at += 8;
				int n = snprintf(txt, sizeof(txt),
						 n1 == 's' || n1 == 'S' ? "0x%" PRIx64 : "%016" PRIx64, a);
				put_padded(&o, txt, (size_t)n, &sp);
				i = skip_alnum(fmt, i);
				continue;
			}
			if ((n1 != 'i' && n1 != 'I') || (fmt[i + 2] != '4' && fmt[i + 2] != '6'))
				return -EINVAL;
			i += 2;
			size_t ipsize = fmt[i] == '4' ? 4 : 16;
			if (MAX_BIN_ARGS - b.at < ipsize)
				return -ENOSPC;
			uint8_t ip[16] = {0};
			const uint8_t *src = bs_vm_translate(vm, a, ipsize, false, &e);
			if (src)
				memcpy(ip, src, ipsize);
			fmt_ip(txt, sizeof(txt), ip, n1, fmt[i]);
			size_t n = strlen(txt);
			/* snprintf into what is left: the text may be cut there */
			size_t room = MAX_BIN_ARGS - b.at;
			b.at += n + 1;
			if (n + 1 > room) {
				n = room - 1;
				b.at = MAX_BIN_ARGS;
			}
			put_preformatted(&o, txt, n, &sp);
			i = skip_alnum(fmt, i);
			continue;
		}
		if (fmt[i] == 's') {
str:
			if (!ends_spec(fmt[i + 1]))
				return -EINVAL;
			if (b.at == MAX_BIN_ARGS)
				return -ENOSPC;
			/* bpfstep's memory is all kernel memory: user space
			 * has nothing to read (%pus faults, as for the kernel
			 * when given a kernel address) */
			long n = ptype == 'u' ? -1 : copy_str(vm, a, txt, MAX_BIN_ARGS - b.at);
			if (n < 0) {
				txt[0] = 0;
				n = 1;
			}
			b.at += (size_t)n;
			if (ptype == 's') {
				put_padded(&o, txt, strlen(txt), &sp);
			} else {
				put_preformatted(&o, txt, strlen(txt), &sp);
				i = skip_alnum(fmt, i);
			}
			continue;
		}
		if (fmt[i] == 'c') {
			if (b.at == MAX_BIN_ARGS)
				return -ENOSPC;
			b.at++;
			char ch = (char)a;
			put_padded(&o, &ch, 1, &sp);
			continue;
		}
		bool wide = false;
		if (fmt[i] == 'l') {
			wide = true;
			i++;
		}
		if (fmt[i] == 'l')
			i++;
		char conv = fmt[i];
		if (conv != 'i' && conv != 'd' && conv != 'u' && conv != 'x' && conv != 'X')
			return -EINVAL;
		b.at = align4(b.at);
		if (MAX_BIN_ARGS - b.at < (wide ? 8u : 4u))
			return -ENOSPC;
		b.at += wide ? 8 : 4;
		put_number(&o, &sp, conv == 'i' ? 'd' : conv, a, wide);
	}
	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = 0;
	return (long)o.len;
}

/* bpf_trace_printk (6): at most 3 arguments; the line is cut at 1023
 * characters, the return value is the whole text's length. */
int hlp_trace_printk(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		     void *user)
{
	struct bs_env *env = user;
	uint32_t fmt_size = (uint32_t)args[1];
	if (!fmt_size) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	/* the verifier refuses a format the program cannot read (a pointer
	 * to host memory, say): a fault like any helper argument's */
	const char *fmt = bs_vm_translate(vm, args[0], fmt_size, false, err);
	if (!fmt) {
		char msg[sizeof(err->message) + 64];
		snprintf(msg, sizeof(msg), "bpf_trace_printk: R1 (fmt, %u bytes): %s", fmt_size,
			 err->message);
		size_t len = strnlen(msg, sizeof(err->message) - 1);
		memcpy(err->message, msg, len);
		err->message[len] = '\0';
		return -1;
	}
	char line[HLP_BPRINTF_BUF];
	long n = hlp_bprintf(vm, fmt, fmt_size, args + 2, MAX_TRACE_PRINTK_ARGS, line, sizeof(line));
	*r0 = (uint64_t)n;
	if (n >= 0 && env && env->trace)
		env->trace(env->trace_user, line);
	return 0;
}
