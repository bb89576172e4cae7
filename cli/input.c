// SPDX-License-Identifier: MIT
/* Reading the files and hex text that commands take as input. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err)
{
	*buf = NULL;
	*len = 0;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return bs_error_set(err, BS_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap + 1);
	int rc = -1;
	if (!b) {
		bs_error_set(err, BS_ERR_NOMEM, "out of memory reading '%s'", path);
		goto out;
	}
	for (;;) {
		if (n > max) {
			bs_error_set(err, BS_ERR_IO, "'%s' is larger than %zu bytes, more than this input "
				     "can be", path, max);
			goto out;
		}
		if (n == cap) {
			uint8_t *nb = realloc(b, cap * 2 + 1);
			if (!nb) {
				bs_error_set(err, BS_ERR_NOMEM, "out of memory reading '%s'", path);
				goto out;
			}
			b = nb;
			cap *= 2;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (n > max) {
		bs_error_set(err, BS_ERR_IO, "'%s' is larger than %zu bytes, more than this input can be",
			     path, max);
		goto out;
	}
	if (ferror(f)) {
		bs_error_set(err, BS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	free(b);
	if (f && f != stdin)
		fclose(f);
	return rc;
}

int cli_read_raw_prog(const char *path, struct bs_insn **prog, size_t *n, struct bs_error *err)
{
	uint8_t *buf;
	size_t len;
	*prog = NULL;
	*n = 0;
	/* the kernel's limit: 1,000,000 instructions of 8 bytes */
	if (cli_read_file(path, CLI_MAX_PROG_BYTES, &buf, &len, err))
		return -1;
	if (len == 0) {
		free(buf);
		return bs_error_set(err, BS_ERR_PARSE, "'%s' is empty: a raw program is a sequence "
				    "of 8-byte instructions", path);
	}
	if (len % 8) {
		free(buf);
		return bs_error_set(err, BS_ERR_PARSE,
			    "'%s' is %zu bytes: a raw program is a sequence of 8-byte instructions "
			    "(the last %zu bytes at file offset %zu are a partial one)",
			    path, len, len % 8, len - len % 8);
	}
	*prog = (struct bs_insn *)buf;
	*n = len / 8;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int cli_parse_hex(const char *text, uint8_t **buf, size_t *len, struct bs_error *err)
{
	size_t cap = strlen(text) / 2 + 1, n = 0;
	uint8_t *b = malloc(cap);
	*buf = NULL;
	*len = 0;
	if (!b)
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory parsing hex");
	for (size_t i = 0; text[i];) {
		if (isspace((unsigned char)text[i])) {
			i++;
			continue;
		}
		if (text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X'))
			i += 2;
		int hi = hexval((unsigned char)text[i]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)text[i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return bs_error_set(err, BS_ERR_PARSE,
				    "bad hex at character %zu: expected two hex digits per byte, got '%.8s'",
				    i, text + i);
		}
		b[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*buf = b;
	*len = n;
	return 0;
}

int cli_parse_u64(const char *text, uint64_t *out)
{
	if (!text || !*text || *text == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}
