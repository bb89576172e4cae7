// SPDX-License-Identifier: MIT
/* The REPL's map commands: map dump|lookup|update|delete, info maps, print
 * MAP and set var MAP[KEY].FIELD = N. Keys and values are typed by the
 * object's BTF the way `bpftool map dump` shows them (the JSON of
 * cli/btf_value.c); bytes (`hex 06 00 00 00`, `6 0 0 0`) work for every map.
 * Changes go through the engine (bs_dbg_map_update), which repeats them on
 * re-runs. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/btf.h"
#include "bpfstep/dwarf.h"
#include "cli/run.h"
#include "debugger/repl_maps.h"

#define KEY_MAX 512
#define VALUE_MAX 65536

struct mapctx {
	struct bs_map *m;
	const struct bs_map_def *def;
	const struct bs_btf *btf;  /* NULL: no types */
	uint32_t kt, vt;           /* BTF key and value types, 0: none */
	size_t vbytes;             /* one value (percpu: one CPU's, rounded to 8) */
	size_t full;               /* what lookup fills: every CPU's copy */
};

static struct bs_map *lookup_map(struct repl *r, const char *name)
{
	struct bs_maps *maps = bs_dbg_maps(r->d);
	struct bs_map *m = maps ? bs_maps_find(maps, name) : NULL;
	for (size_t i = 0; !m && maps && i < bs_maps_count(maps); i++) {
		/* ".bss" finds "globals.bss" */
		const char *full = bs_map_def(bs_maps_at(maps, i))->name;
		size_t fl = strlen(full), nl = strlen(name);
		if (nl < fl && strcmp(full + fl - nl, name) == 0)
			m = bs_maps_at(maps, i);
	}
	return m;
}

static bool map_ctx(struct repl *r, const char *name, struct mapctx *c)
{
	struct bs_maps *maps = bs_dbg_maps(r->d);
	memset(c, 0, sizeof(*c));
	c->m = lookup_map(r, name);
	if (!c->m) {
		repl_error(r, maps ? "No map named %s (info maps lists them)."
				   : "No maps yet: run the program first (%s).", name);
		return false;
	}
	c->def = bs_map_def(c->m);
	uint32_t t = c->def->type;
	bool percpu = t == BS_MAP_PERCPU_HASH || t == BS_MAP_PERCPU_ARRAY ||
		      t == BS_MAP_LRU_PERCPU_HASH;
	/* the debugger's maps keep one CPU unless --ncpus said more; CPU 0's
	 * copy is the one shown and changed */
	c->vbytes = percpu ? ((c->def->value_size + 7u) & ~7u) : c->def->value_size;
	c->full = c->vbytes * (percpu && r->ncpus ? r->ncpus : 1);
	if (c->def->key_size > KEY_MAX || c->vbytes > VALUE_MAX) {
		repl_error(r, "map %s has entries too large to show", c->def->name);
		return false;
	}
	if (r->obj) {
		c->btf = bs_object_btf(r->obj);
		cli_map_btf_types(r->obj, c->def->name, &c->kt, &c->vt);
	}
	if (!c->btf)
		c->kt = c->vt = 0;
	return true;
}

/* ---- text in: bytes, or a typed value ---- */

static bool is_bytes_form(const char *text)
{
	/* "hex 06 00", or more than one bare number */
	const char *s = repl_skip(text);
	if (strncmp(s, "hex", 3) == 0 && (!s[3] || isspace((unsigned char)s[3])))
		return true;
	size_t words = 0;
	for (; *s; s = repl_skip(s)) {
		if (!isdigit((unsigned char)*s) && *s != '-')
			return false;
		while (*s && !isspace((unsigned char)*s))
			s++;
		words++;
	}
	return words > 1;
}

static int parse_bytes(struct repl *r, const char *text, uint8_t *out, size_t size)
{
	char word[64];
	bool is_hex = false;
	size_t nv = 0;
	const char *s = text;
	memset(out, 0, size);
	while (repl_word(&s, word, sizeof(word))) {
		if (strcmp(word, "hex") == 0) {
			is_hex = true;
			continue;
		}
		char *end;
		errno = 0;
		unsigned long long v = strtoull(word, &end, is_hex ? 16 : 0);
		if (*end || errno || v > 255) {
			repl_error(r, "'%s' is not a byte", word);
			return -1;
		}
		if (nv < size)
			out[nv] = (uint8_t)v;
		nv++;
	}
	if (nv != size) {
		repl_error(r, "%zu bytes given, %zu expected", nv, size);
		return -1;
	}
	return 0;
}

/* gdb's `{packets = 1, bytes = 0x3c}` (or JSON itself) as JSON text:
 * names become strings, `=` a colon, hex numbers decimal. */
static bool to_json(const char *in, char *out, size_t len)
{
	size_t o = 0;
#define PUT(ch) do { if (o + 1 >= len) return false; out[o++] = (ch); } while (0)
	for (const char *p = in; *p;) {
		if (*p == '"') {
			PUT(*p++);
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					PUT(*p++);
				PUT(*p++);
			}
			if (!*p)
				return false;
			PUT(*p++);
		} else if (*p == '=') {
			PUT(':');
			p++;
		} else if (isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))) {
			char *end;
			bool neg = *p == '-';
			errno = 0;
			unsigned long long v = strtoull(neg ? p + 1 : p, &end, 0);
			if (errno || isalnum((unsigned char)*end))
				return false;
			int k = snprintf(out + o, len - o, "%s%llu", neg ? "-" : "", v);
			if (k < 0 || (size_t)k >= len - o)
				return false;
			o += (size_t)k;
			p = end;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			const char *s = p;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			bool lit = (p - s == 4 && (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))) ||
				   (p - s == 5 && !strncmp(s, "false", 5));
			if (!lit)
				PUT('"');
			for (; s < p; s++)
				PUT(*s);
			if (!lit)
				PUT('"');
		} else {
			PUT(*p++);
		}
	}
	out[o] = 0;
	return true;
#undef PUT
}

/* A key or value: bytes, a typed value (BTF), or one number for the whole
 * of it (little-endian) when there are no types. */
static int parse_typed(struct repl *r, const struct mapctx *c, const char *text, uint32_t type,
		       uint8_t *out, size_t size, const char *what)
{
	text = repl_skip(text);
	if (!*text) {
		repl_error(r, "The %s is missing.", what);
		return -1;
	}
	if (is_bytes_form(text))
		return parse_bytes(r, text, out, size);
	char js[4096], why[256];
	if (!to_json(text, js, sizeof(js))) {
		repl_error(r, "Cannot read the %s '%s'.", what, text);
		return -1;
	}
	json_error_t jerr;
	json_t *j = json_loads(js, JSON_DECODE_ANY, &jerr);
	if (!j) {
		repl_error(r, "Cannot read the %s '%s': %s.", what, text, jerr.text);
		return -1;
	}
	int rc = 0;
	struct bs_error err;
	if (type && c->btf && !(json_is_string(j) &&
				cli_hex_exact(json_string_value(j), size, out, what, &err) == 0)) {
		if (cli_btf_from_json(c->btf, type, j, out, size, why, sizeof(why))) {
			repl_error(r, "The %s does not fit its type: %s.", what, why);
			rc = -1;
		}
	} else if (json_is_string(j)) {
		if (!(type && c->btf) && cli_hex_exact(json_string_value(j), size, out, what, &err)) {
			repl_error(r, "%s", err.message);
			rc = -1;
		}
	} else if (json_is_integer(j)) {
		memset(out, 0, size);
		json_int_t v = json_integer_value(j);
		memcpy(out, &v, size < 8 ? size : 8);
	} else {
		repl_error(r, "The map has no BTF type for its %s: give it as bytes (hex 06 00 00 00).",
			   what);
		rc = -1;
	}
	json_decref(j);
	return rc;
}

/* ---- text out ---- */

static void hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%02x", i ? " " : "", b[i]);
}

static void typed(FILE *f, const struct mapctx *c, uint32_t type, const uint8_t *b, size_t n,
		  bool is_key)
{
	json_t *j = type && c->btf ? cli_btf_to_json(c->btf, type, b, n) : NULL;
	bool is_array = c->def->type == BS_MAP_ARRAY || c->def->type == BS_MAP_PERCPU_ARRAY;
	uint32_t idx;
	/* no type: an array's index, else the bytes as the JSON of run --maps-out */
	if (!j && is_key && is_array && n == 4) {
		memcpy(&idx, b, 4);
		j = json_integer(idx);
	} else if (!j) {
		j = cli_json_hex(b, n);
	}
	char *s = j ? json_dumps(j, JSON_INDENT(0) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
	if (s)
		fputs(s, f);
	else
		hex(f, b, n);
	free(s);
	json_decref(j);
}

static bool has_types(const struct mapctx *c, bool raw)
{
	return !raw && c->btf && (c->vt || c->kt);
}

static void entry(struct repl *r, const struct mapctx *c, const uint8_t *key, const uint8_t *val,
		  bool raw)
{
	if (!has_types(c, raw)) {
		fprintf(r->out, "key: ");
		hex(r->out, key, c->def->key_size);
		fprintf(r->out, "  value: ");
		hex(r->out, val, c->def->value_size);
		return;
	}
	fputs("{\"key\": ", r->out);
	if (c->def->key_size)
		typed(r->out, c, c->kt, key, c->def->key_size, true);
	else
		fputs("null", r->out);
	fputs(", \"value\": ", r->out);
	typed(r->out, c, c->vt, val, c->def->value_size, false);
	fputc('}', r->out);
}

static int dump(struct repl *r, const struct mapctx *c, bool raw)
{
	const struct bs_map_def *def = c->def;
	uint8_t key[KEY_MAX], next[KEY_MAX];
	uint8_t *val = malloc(c->full);
	if (!val) {
		repl_error(r, "out of memory");
		return -1;
	}
	const void *k = NULL;
	size_t found = 0, zero = 0, shown = 0;
	bool is_array = def->type == BS_MAP_ARRAY || def->type == BS_MAP_PERCPU_ARRAY;
	bool json = has_types(c, raw);
	while (def->key_size && bs_map_next_key(c->m, k, next) == 0) {
		memcpy(key, next, def->key_size);
		k = key;
		memset(val, 0, c->full);
		if (bs_map_lookup(c->m, key, val))
			continue;
		found++;
		bool all_zero = true;
		for (size_t i = 0; i < def->value_size; i++)
			all_zero &= val[i] == 0;
		if (is_array && all_zero && def->max_entries > 1) {
			zero++;
			continue;
		}
		if (json)
			fputs(shown ? ",\n " : "[", r->out);
		entry(r, c, key, val, raw);
		if (!json)
			fputc('\n', r->out);
		shown++;
	}
	if (json)
		fputs(shown ? "]\n" : "[]\n", r->out);
	if (zero)
		fprintf(r->out, "(%zu entries with an all-zero value not shown)\n", zero);
	fprintf(r->out, "Found %zu element%s\n", found, found == 1 ? "" : "s");
	free(val);
	return 0;
}

/* The text between "key" and "value" (which may hold spaces and braces). */
static const char *split_value(char *keytext)
{
	int depth = 0;
	for (char *p = keytext; *p; p++) {
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (depth == 0 && strncmp(p, "value", 5) == 0 &&
			 (p == keytext || isspace((unsigned char)p[-1])) &&
			 (!p[5] || isspace((unsigned char)p[5]))) {
			*p = 0;
			return p + 5;
		}
	}
	return NULL;
}

int cmd_map(struct repl *r, const char *args)
{
	char sub[32], name[64];
	if (!repl_word(&args, sub, sizeof(sub)) || !repl_word(&args, name, sizeof(name))) {
		repl_error(r, "Usage: map dump|lookup|update|delete[/x] NAME [key KEY] [value VALUE]");
		return -1;
	}
	/* "/x": bytes in hex, not typed */
	bool raw = false;
	char *slash = strchr(sub, '/');
	if (slash) {
		raw = strcmp(slash, "/x") == 0;
		if (!raw) {
			repl_error(r, "Unknown format '%s': map commands take /x (bytes).", slash);
			return -1;
		}
		*slash = 0;
	}
	bool is_dump = strcmp(sub, "dump") == 0, is_lookup = strcmp(sub, "lookup") == 0,
	     is_update = strcmp(sub, "update") == 0, is_delete = strcmp(sub, "delete") == 0;
	if (!is_dump && !is_lookup && !is_update && !is_delete) {
		repl_error(r, "Unknown map command '%s': dump, lookup, update or delete.", sub);
		return -1;
	}
	struct mapctx c;
	if (!map_ctx(r, name, &c))
		return -1;
	if (is_dump)
		return dump(r, &c, raw);
	const struct bs_map_def *def = c.def;
	uint8_t key[KEY_MAX];
	char text[4096];
	snprintf(text, sizeof(text), "%s", args);
	char *kt = text;
	const char *vt = NULL;
	if (strncmp(kt, "key", 3) == 0 && (!kt[3] || isspace((unsigned char)kt[3])))
		kt += 3;
	else if (def->key_size) {
		repl_error(r, "Usage: map %s %s key KEY%s", sub, name, is_update ? " value VALUE" : "");
		return -1;
	}
	if (is_update && !(vt = split_value(kt))) {
		repl_error(r, "Usage: map update %s key KEY value VALUE", name);
		return -1;
	}
	if (def->key_size && parse_typed(r, &c, kt, c.kt, key, def->key_size, "key"))
		return -1;
	struct bs_error err;
	uint8_t *val = calloc(1, c.full);
	if (!val) {
		repl_error(r, "out of memory");
		return -1;
	}
	int rc = bs_map_lookup(c.m, def->key_size ? key : NULL, val);
	if (is_lookup) {
		if (rc)
			repl_error(r, "Error: %s", rc == -ENOENT ? "key not found" : strerror(-rc));
		else {
			entry(r, &c, key, val, raw);
			fputc('\n', r->out);
		}
		free(val);
		return rc ? -1 : 0;
	}
	if (is_delete) {
		free(val);
		if (bs_dbg_map_delete(r->d, def->name, def->key_size ? key : NULL, &err)) {
			repl_error(r, "Error: %s", err.message);
			return -1;
		}
		return 0;
	}
	/* CPU 0's copy is the one given; the other CPUs' stay as they are */
	if (rc)
		memset(val, 0, c.full);
	rc = parse_typed(r, &c, vt, c.vt, val, def->value_size, "value");
	if (!rc && bs_dbg_map_update(r->d, def->name, def->key_size ? key : NULL, val, c.full,
				     BS_ANY, &err)) {
		repl_error(r, "Error: %s", err.message);
		rc = -1;
	}
	free(val);
	return rc;
}

int cmd_info_maps(struct repl *r, const char *args)
{
	(void)args;
	if (!r->obj || !bs_object_map_count(r->obj)) {
		fprintf(r->out, "The program has no maps.\n");
		return 0;
	}
	fprintf(r->out, "Num  Name                 Type           Key  Value  Max\n");
	for (size_t i = 0; i < bs_object_map_count(r->obj); i++) {
		const struct bs_map_def *d = bs_object_map_def(r->obj, i);
		fprintf(r->out, "%-4zu %-20s %-14s %-4u %-6u %u\n", i, d->name, bs_map_type_name(d->type),
			d->key_size, d->value_size, d->max_entries);
	}
	return 0;
}

/* ---- print MAP, set var MAP[KEY].FIELD = N ---- */

static bool ident(const char *s, size_t *n)
{
	size_t k = 0;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_' && s[0] != '.')
		return false;
	while (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '.')
		k++;
	*n = k;
	return true;
}

/* Whether a C variable called name is in scope at the stop and is not the
 * map's own definition (clang describes `counts` of .maps as a global that
 * no data map holds). */
static bool c_var_hides(struct repl *r, const char *name)
{
	if (!r->obj || bs_dbg_state(r->d) != BS_DBG_STOPPED)
		return false;
	const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
	const struct bs_dwarf_var *v = st->prog == 0 ? bs_dwarf_lookup(bs_dbg_prog(r->d), st->pc,
								      name) : NULL;
	size_t map;
	uint64_t off;
	return v && (!v->is_global || bs_dwarf_global_place(v, &map, &off) == 0);
}

bool repl_map_named(struct repl *r, const char *expr)
{
	size_t n;
	expr = repl_skip(expr);
	if (!ident(expr, &n) || *repl_skip(expr + n) || n >= 64)
		return false;
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)n, expr);
	/* a C variable of the same name wins, as in C scope */
	return !c_var_hides(r, name) && lookup_map(r, name) != NULL;
}

int repl_map_print(struct repl *r, const char *expr, char fmt)
{
	struct mapctx c;
	char name[64];
	size_t n = 0;
	expr = repl_skip(expr);
	ident(expr, &n);
	snprintf(name, sizeof(name), "%.*s", (int)n, expr);
	if (!map_ctx(r, name, &c))
		return -1;
	fprintf(r->out, "$%d = ", ++r->value_count);
	return dump(r, &c, fmt == 'x');
}

/* The byte offset and size of .a.b in BTF type t; false with why. */
static bool member_path(struct repl *r, const struct bs_btf *btf, uint32_t t, const char *path,
			uint64_t *off, uint64_t *size)
{
	struct bs_error err;
	*off = 0;
	while (*path == '.') {
		path++;
		size_t n = 0;
		while (isalnum((unsigned char)path[n]) || path[n] == '_')
			n++;
		const struct bs_btf_type *bt = bs_btf_type_by_id(btf, bs_btf_skip_mods(btf, t));
		if (!bt || (bt->kind != BS_BTF_STRUCT && bt->kind != BS_BTF_UNION)) {
			repl_error(r, "'.%.*s': the value is not a struct or union.", (int)n, path);
			return false;
		}
		const struct bs_btf_member *m = NULL;
		for (uint16_t i = 0; i < bt->vlen && !m; i++)
			if (strlen(bt->members[i].name) == n && !strncmp(bt->members[i].name, path, n))
				m = &bt->members[i];
		if (!m) {
			repl_error(r, "There is no member named %.*s.", (int)n, path);
			return false;
		}
		if (m->bitfield_size || m->bit_offset % 8) {
			repl_error(r, "%.*s is a bitfield: set the whole value with map update.", (int)n,
				   path);
			return false;
		}
		*off += m->bit_offset / 8;
		t = m->type;
		path = repl_skip(path + n);
	}
	if (*path) {
		repl_error(r, "A member (.NAME) was expected at '%s'.", path);
		return false;
	}
	if (bs_btf_resolve_size(btf, t, size, &err)) {
		repl_error(r, "%s", err.message);
		return false;
	}
	return true;
}

bool repl_map_lvalue(struct repl *r, const char *expr)
{
	size_t n;
	expr = repl_skip(expr);
	if (!ident(expr, &n) || expr[n] != '[' || n >= 64)
		return false;
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)n, expr);
	return !c_var_hides(r, name) && lookup_map(r, name) != NULL;
}

static int set_value(struct repl *r, const struct mapctx *c, const char *path, const char *rhs,
		     uint8_t *val);

int repl_map_set(struct repl *r, const char *expr)
{
	char text[4096];
	snprintf(text, sizeof(text), "%s", repl_skip(expr));
	size_t n = 0;
	ident(text, &n);
	text[n] = 0;
	struct mapctx c;
	if (!map_ctx(r, text, &c))
		return -1;
	/* [KEY] */
	char *k = text + n + 1, *p = k;
	int depth = 1;
	for (; *p && depth; p++)
		depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
	if (depth) {
		repl_error(r, "A ']' is missing after the key.");
		return -1;
	}
	p[-1] = 0;
	char *eq = strchr(p, '=');
	if (!eq) {
		repl_error(r, "Usage: set var MAP[KEY].FIELD = VALUE");
		return -1;
	}
	*eq = 0;
	const char *path = repl_skip(p), *rhs = repl_skip(eq + 1);
	const struct bs_map_def *def = c.def;
	uint8_t key[KEY_MAX];
	if (parse_typed(r, &c, k, c.kt, key, def->key_size, "key"))
		return -1;
	uint8_t *val = calloc(1, c.full);
	if (!val) {
		repl_error(r, "out of memory");
		return -1;
	}
	int rc = bs_map_lookup(c.m, key, val);
	if (rc && rc != -ENOENT) {
		repl_error(r, "Error: %s", strerror(-rc));
		free(val);
		return -1;
	}
	if (rc)
		memset(val, 0, c.full);  /* a new entry: the rest is zero */
	rc = set_value(r, &c, path, rhs, val);
	struct bs_error err;
	if (!rc && bs_dbg_map_update(r->d, def->name, key, val, c.full, BS_ANY, &err)) {
		repl_error(r, "Error: %s", err.message);
		rc = -1;
	}
	free(val);
	return rc;
}

/* VALUE (no path) or N at .FIELD.FIELD into val. */
static int set_value(struct repl *r, const struct mapctx *c, const char *path, const char *rhs,
		     uint8_t *val)
{
	const struct bs_map_def *def = c->def;
	uint64_t off = 0, size = def->value_size;
	if (*path && (!c->btf || !c->vt)) {
		repl_error(r, "The map %s has no BTF value type: set the value with map update.",
			   def->name);
		return -1;
	}
	if (*path && !member_path(r, c->btf, c->vt, path, &off, &size))
		return -1;
	if (!*path)
		return parse_typed(r, c, rhs, c->vt, val, def->value_size, "value");
	{
		/* an integer member: the engine's expression of the right side */
		struct bs_dbg_value v;
		if (size > 8 || off + size > def->value_size) {
			repl_error(r, "%s is %" PRIu64 " bytes: give it with map update.", path, size);
			return -1;
		}
		if (repl_eval(r, rhs, &v))
			return -1;
		memcpy(val + off, &v.value, size);
	}
	return 0;
}
