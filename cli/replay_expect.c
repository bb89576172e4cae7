// SPDX-License-Identifier: MIT
/* replay's expectations: a text file of what each packet should give,
 *
 *   3 XDP_DROP
 *   4 XDP_TX sha256=9f86... len=60
 *   5 error
 *   map blocked c0000242 0100000000000000
 *
 * read as the packets come (packet lines in packet order), so a baseline
 * as long as the capture costs no memory; map lines are kept for the end. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/replay.h"

struct exp_line {
	uint64_t index;
	size_t lineno;
	char verdict[40];
	char sha256[65];
	char redirect[128];
	uint8_t *data;       /* data=HEX, malloc'd */
	size_t data_len;
	bool has_data, has_len, has_retval;
	uint64_t len, retval;
};

struct map_line {
	char *map, *key, *value;  /* value NULL: "none", the key must be absent */
	size_t lineno;
};

struct rp_expect {
	FILE *f;
	char path[256];
	size_t lineno;
	bool have_next, eof;
	struct exp_line next;
	uint64_t last_index;
	struct map_line *maps;
	size_t nmaps;
};

static void line_free(struct exp_line *l)
{
	free(l->data);
	memset(l, 0, sizeof(*l));
}

static int bad(struct rp_expect *e, struct bs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct rp_expect *e, struct bs_error *err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bs_error_set(err, BS_ERR_PARSE, "%s:%zu: %s", e->path, e->lineno, msg);
}

static bool is_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int parse_map_line(struct rp_expect *e, char *rest, struct bs_error *err)
{
	char *save, *name = strtok_r(rest, " \t", &save), *key = strtok_r(NULL, " \t", &save);
	char *value = strtok_r(NULL, " \t", &save), *extra = strtok_r(NULL, " \t", &save);
	if (!name || !key || !value || extra)
		return bad(e, err, "a map line is 'map NAME KEYHEX VALUEHEX' (or VALUEHEX 'none')");
	bool none = strcmp(value, "none") == 0;
	if (!is_hex(key) || (!none && !is_hex(value)) || strlen(key) % 2 || strlen(value) % 2)
		return bad(e, err, "map %s: key and value are hex bytes", name);
	struct map_line *more = realloc(e->maps, (e->nmaps + 1) * sizeof(*more));
	if (!more)
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	e->maps = more;
	struct map_line *m = &e->maps[e->nmaps++];
	lower(key);
	lower(value);
	m->map = strdup(name);
	m->key = strdup(key);
	m->value = none ? NULL : strdup(value);
	m->lineno = e->lineno;
	if (!m->map || !m->key || (!none && !m->value))
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	return 0;
}

static int parse_packet_line(struct rp_expect *e, char *line, struct exp_line *l,
			     struct bs_error *err)
{
	char *save, *tok = strtok_r(line, " \t", &save);
	char *end;
	errno = 0;
	unsigned long long idx = strtoull(tok, &end, 10);
	if (*end || errno || idx == 0)
		return bad(e, err, "'%s' is not a packet number (packets count from 1) nor 'map'",
			   tok);
	memset(l, 0, sizeof(*l));
	l->index = idx;
	l->lineno = e->lineno;
	char *v = strtok_r(NULL, " \t", &save);
	if (!v || strchr(v, '='))
		return bad(e, err, "packet %llu: the verdict (XDP_DROP, TC_ACT_OK, 2, error, ...) "
			   "comes after the number", idx);
	snprintf(l->verdict, sizeof(l->verdict), "%s", v);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *val = strchr(tok, '=');
		if (!val)
			return bad(e, err, "'%s': after the verdict come key=value items (sha256=, "
				   "data=, len=, retval=, redirect=)", tok);
		*val++ = 0;
		if (strcmp(tok, "sha256") == 0) {
			if (strlen(val) != 64 || !is_hex(val))
				return bad(e, err, "sha256= takes 64 hex digits");
			lower(val);
			snprintf(l->sha256, sizeof(l->sha256), "%s", val);
		} else if (strcmp(tok, "data") == 0) {
			size_t n = strlen(val);
			if (n % 2 || (n && !is_hex(val)))
				return bad(e, err, "data= takes hex bytes");
			free(l->data);
			l->data = malloc(n / 2 + 1);
			if (!l->data)
				return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
			for (size_t i = 0; i < n / 2; i++) {
				unsigned b;
				sscanf(val + 2 * i, "%2x", &b);
				l->data[i] = (uint8_t)b;
			}
			l->data_len = n / 2;
			l->has_data = true;
		} else if (strcmp(tok, "len") == 0 || strcmp(tok, "retval") == 0) {
			uint64_t n;
			if (cli_parse_u64(val, &n))
				return bad(e, err, "%s= takes a number", tok);
			if (tok[0] == 'l') {
				l->len = n;
				l->has_len = true;
			} else {
				l->retval = n;
				l->has_retval = true;
			}
		} else if (strcmp(tok, "redirect") == 0) {
			snprintf(l->redirect, sizeof(l->redirect), "%s", val);
		} else {
			return bad(e, err, "unknown item '%s=' (sha256=, data=, len=, retval=, "
				   "redirect=)", tok);
		}
	}
	return 0;
}

/* Reads up to the next packet line (map lines on the way are kept). */
static int read_next(struct rp_expect *e, struct bs_error *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	line_free(&e->next);
	e->have_next = false;
	while (!e->eof && (n = getline(&line, &cap, e->f)) >= 0) {
		e->lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		size_t len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			s[--len] = 0;
		if (!*s)
			continue;
		if (strncmp(s, "map", 3) == 0 && (s[3] == ' ' || s[3] == '\t')) {
			if ((rc = parse_map_line(e, s + 4, err)))
				break;
			continue;
		}
		if ((rc = parse_packet_line(e, s, &e->next, err)))
			break;
		if (e->next.index <= e->last_index) {
			rc = bad(e, err, "packet %" PRIu64 " after packet %" PRIu64 ": packet lines go "
				 "in packet order, once each", e->next.index, e->last_index);
			break;
		}
		e->last_index = e->next.index;
		e->have_next = true;
		break;
	}
	if (!e->have_next && !rc) {
		if (ferror(e->f))
			rc = bs_error_set(err, BS_ERR_IO, "cannot read '%s': %s", e->path,
					  strerror(errno));
		e->eof = true;
	}
	free(line);
	return rc;
}

int rp_expect_open(struct rp_expect **out, const char *path, struct bs_error *err)
{
	struct rp_expect *e = calloc(1, sizeof(*e));
	if (!e)
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	snprintf(e->path, sizeof(e->path), "%s", path);
	if (!(e->f = fopen(path, "r"))) {
		free(e);
		return bs_error_set(err, BS_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	}
	if (read_next(e, err)) {
		rp_expect_close(e);
		return -1;
	}
	*out = e;
	return 0;
}

void rp_expect_close(struct rp_expect *e)
{
	if (!e)
		return;
	fclose(e->f);
	line_free(&e->next);
	for (size_t i = 0; i < e->nmaps; i++) {
		free(e->maps[i].map);
		free(e->maps[i].key);
		free(e->maps[i].value);
	}
	free(e->maps);
	free(e);
}

/* ---- one packet ---- */

struct text {
	char *s;
	size_t n;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	char *more = realloc(t->s, t->n + (size_t)k + 1);
	if (!more)
		return;
	t->s = more;
	va_start(ap, fmt);
	vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	t->n += (size_t)k;
}

static bool verdict_matches(const struct exp_line *l, const struct rp_packet *p)
{
	if (strcasecmp(l->verdict, p->verdict) == 0)
		return true;
	uint64_t v;
	return cli_parse_u64(l->verdict, &v) == 0 && v == p->retval;
}

/* what was expected, as one line */
static void describe(struct text *t, const struct exp_line *l)
{
	add(t, "%s", l->verdict);
	if (l->has_retval)
		add(t, " retval=%" PRIu64, l->retval);
	if (l->redirect[0])
		add(t, " redirect=%s", l->redirect);
	if (l->has_len)
		add(t, " len=%" PRIu64, l->len);
	if (l->sha256[0])
		add(t, " sha256=%.16s...", l->sha256);
	if (l->has_data)
		add(t, " data=(%zu bytes)", l->data_len);
}

static void describe_got(struct text *t, const struct rp_packet *p)
{
	if (p->rc) {
		add(t, "error: %s", p->err.message);
		return;
	}
	add(t, "%s retval=%" PRIu64, p->verdict, p->retval);
	if (p->redirect[0])
		add(t, " redirect=%s", p->redirect);
	add(t, " len=%zu sha256=%.16s...", p->out_len, p->sha256);
}

/* the first byte where the packet differs from what was expected */
static void byte_diff(struct text *t, const uint8_t *want, size_t want_len, const char *what,
		      const struct rp_packet *p)
{
	size_t n = want_len < p->out_len ? want_len : p->out_len, i = 0;
	while (i < n && want[i] == p->data_out[i])
		i++;
	if (i < n)
		add(t, "\n  data_out: first difference at byte %zu: expected 0x%02x (%s), got 0x%02x",
		    i, want[i], what, p->data_out[i]);
	else if (want_len != p->out_len)
		add(t, "\n  data_out: %zu bytes expected (%s), %zu got; the first %zu are equal",
		    want_len, what, p->out_len, n);
}

int rp_expect_packet(struct rp_expect *e, struct rp_packet *p, struct bs_error *err)
{
	if (!e->have_next || e->next.index != p->index)
		return 0;
	const struct exp_line *l = &e->next;
	p->checked = true;
	bool ok;
	bool want_error = strcasecmp(l->verdict, "error") == 0;
	if (want_error || p->rc)
		ok = want_error && p->rc;
	else {
		ok = verdict_matches(l, p) && (!l->has_retval || l->retval == p->retval) &&
		     (!l->redirect[0] || strcmp(l->redirect, p->redirect) == 0 ||
		      (strcmp(l->redirect, "none") == 0 && !p->redirect[0])) &&
		     (!l->has_len || l->len == p->out_len) &&
		     (!l->sha256[0] || strcmp(l->sha256, p->sha256) == 0) &&
		     (!l->has_data ||
		      (l->data_len == p->out_len && !memcmp(l->data, p->data_out, p->out_len)));
	}
	if (!ok) {
		struct text t = {0};
		p->mismatch = true;
		add(&t, "packet %" PRIu64 " (%s line %zu): expected ", p->index, e->path, l->lineno);
		describe(&t, l);
		add(&t, "\n  got ");
		describe_got(&t, p);
		if (!p->rc && !want_error) {
			if (!verdict_matches(l, p))
				add(&t, "\n  verdict: expected %s, got %s", l->verdict, p->verdict);
			if (l->has_retval && l->retval != p->retval)
				add(&t, "\n  retval: expected %" PRIu64 ", got %" PRIu64, l->retval,
				    p->retval);
			if (l->redirect[0] && strcmp(l->redirect, p->redirect) != 0 &&
			    !(strcmp(l->redirect, "none") == 0 && !p->redirect[0]))
				add(&t, "\n  redirect: expected %s, got %s", l->redirect,
				    p->redirect[0] ? p->redirect : "none");
			if (l->has_len && l->len != p->out_len)
				add(&t, "\n  len: expected %" PRIu64 ", got %zu", l->len, p->out_len);
			if (l->sha256[0] && strcmp(l->sha256, p->sha256) != 0)
				add(&t, "\n  sha256: expected %s\n          got      %s", l->sha256,
				    p->sha256);
			char in_sha[65];
			rp_sha256_hex(p->data_in, p->len, in_sha);
			if (l->has_data)
				byte_diff(&t, l->data, l->data_len, "data=", p);
			else if (l->sha256[0] && strcmp(l->sha256, in_sha) == 0)
				byte_diff(&t, p->data_in, p->len, "the packet as captured", p);
			else if (l->sha256[0] && strcmp(l->sha256, p->sha256) != 0)
				add(&t, "\n  data_out: the sha256 differs (give data=HEX in the "
					"expectation to see the first differing byte)");
		}
		if (p->rc && !want_error && p->err.pc >= 0)
			add(&t, "\n  at pc %ld: %s", p->err.pc, p->err.insn);
		for (size_t i = 0; i < p->trace.n; i++) {
			const char *s = p->trace.line[i];
			size_t n = strlen(s);
			add(&t, "\n  trace: %.*s", (int)(n && s[n - 1] == '\n' ? n - 1 : n), s);
		}
		p->diff = t.s;
	}
	return read_next(e, err);
}

/* ---- the end ---- */

/* the value of an entry of cli_maps_json as one hex string (percpu values
 * one CPU after the other); NULL if it has none */
static char *value_hex(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!json_is_array(v))
		return NULL;
	size_t n = 1, i;
	json_t *x;
	json_array_foreach(v, i, x)
		n += strlen(json_string_value(x) ? json_string_value(x) : "");
	char *s = calloc(1, n);
	json_array_foreach(v, i, x)
		if (s && json_string_value(x))
			strcat(s, json_string_value(x));
	return s;
}

static const json_t *find_entry(const json_t *map, const char *key)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(map, "entries"), i, e) {
		const char *k = json_string_value(json_object_get(e, "key"));
		if (k && strcasecmp(k, key) == 0)
			return e;
	}
	return NULL;
}

long rp_expect_finish(struct rp_expect *e, uint64_t npackets, const json_t *maps, char **diff,
		      uint64_t *checked, struct bs_error *err)
{
	struct text t = {0};
	long failed = 0;
	*checked = e->nmaps;
	/* packet lines past the capture's end; map lines after them */
	while (e->have_next) {
		add(&t, "%spacket %" PRIu64 " (%s line %zu): expected %s, but the capture has %" PRIu64
			" packets", t.n ? "\n" : "", e->next.index, e->path, e->next.lineno,
		    e->next.verdict, npackets);
		failed++;
		(*checked)++;
		if (read_next(e, err)) {
			free(t.s);
			return -1;
		}
	}
	for (size_t i = 0; i < e->nmaps; i++) {
		const struct map_line *m = &e->maps[i];
		const json_t *map = json_object_get(maps, m->map);
		if (!map) {
			add(&t, "%smap %s (%s line %zu): the object has no such map", t.n ? "\n" : "",
			    m->map, e->path, m->lineno);
			failed++;
			continue;
		}
		const json_t *entry = find_entry(map, m->key);
		char *got = entry ? value_hex(json_object_get(entry, "value")) : NULL;
		bool ok = m->value ? got && strcasecmp(got, m->value) == 0 : !entry;
		if (!ok) {
			add(&t, "%smap %s key %s (%s line %zu): expected %s, got %s", t.n ? "\n" : "",
			    m->map, m->key, e->path, m->lineno, m->value ? m->value : "no entry",
			    got ? got : entry ? "an entry" : "no entry");
			failed++;
		}
		free(got);
	}
	*diff = t.s;
	return failed;
}

/* ---- --write-expect ---- */

struct rp_expect_writer {
	FILE *f;
	char path[256];
};

int rp_expect_writer_open(struct rp_expect_writer **out, const char *path, const char *header,
			  struct bs_error *err)
{
	struct rp_expect_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	snprintf(w->path, sizeof(w->path), "%s", path);
	if (!(w->f = fopen(path, "w"))) {
		free(w);
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	}
	fprintf(w->f, "# %s\n", header);
	fprintf(w->f, "# PACKET VERDICT [retval=N] [redirect=...] [len=N] [sha256=HEX] "
		      "[data=HEX]; map NAME KEY VALUE\n");
	*out = w;
	return 0;
}

void rp_expect_write_packet(struct rp_expect_writer *w, const struct rp_packet *p)
{
	FILE *f = w->f;
	if (p->rc) {
		fprintf(f, "%" PRIu64 " error  # %s\n", p->index, p->err.message);
		return;
	}
	fprintf(f, "%" PRIu64 " %s", p->index, p->verdict);
	if (p->redirect[0])
		fprintf(f, " redirect=%s", p->redirect);
	fprintf(f, " len=%zu sha256=%s", p->out_len, p->sha256);
	/* a rewritten packet keeps its bytes, so a change shows where it starts */
	if (p->out_len != p->len || memcmp(p->data_in, p->data_out, p->len)) {
		fputs(" data=", f);
		for (size_t i = 0; i < p->out_len; i++)
			fprintf(f, "%02x", p->data_out[i]);
	}
	fputc('\n', f);
}

/* maps whose contents are not data a program keeps between packets */
static bool skip_map(const char *type)
{
	static const char *const skip[] = {"ringbuf", "user_ringbuf", "perf_event_array",
					   "prog_array", "array_of_maps", "hash_of_maps",
					   "queue", "stack"};
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(type, skip[i]) == 0)
			return true;
	return false;
}

static bool all_zero(const char *hex)
{
	for (; *hex; hex++)
		if (*hex != '0')
			return false;
	return true;
}

int rp_expect_writer_close(struct rp_expect_writer *w, const json_t *maps, struct bs_error *err)
{
	const char *name;
	json_t *m;
	json_object_foreach((json_t *)maps, name, m) {
		const char *type = json_string_value(json_object_get(m, "type"));
		/* read-only data cannot change */
		if (!type || skip_map(type) || strstr(name, ".rodata"))
			continue;
		/* an array has every key: the entries not zero are the ones to check */
		bool array = strstr(type, "array") != NULL;
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(m, "entries"), i, e) {
			const char *key = json_string_value(json_object_get(e, "key"));
			char *value = value_hex(json_object_get(e, "value"));
			if (key && value && !(array && all_zero(value)))
				fprintf(w->f, "map %s %s %s\n", name, key, value);
			free(value);
		}
	}
	int rc = 0;
	if (fflush(w->f) != 0 || ferror(w->f))
		rc = bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
	if (fclose(w->f) != 0 && !rc)
		rc = bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
	free(w);
	return rc;
}
