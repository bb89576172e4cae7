// SPDX-License-Identifier: MIT
/* What `bpfstep replay` prints: text lines, one JSON object, or JUnit XML
 * (docs/replay.md). Each report is written as packets come, so its size in
 * memory does not grow with the capture: JSON streams its "packets" array,
 * JUnit keeps its test cases in a temporary file until the counts its
 * header needs are known. Wall time appears only in the summary's
 * "seconds", so equal replays print equal packets. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/replay.h"

void rp_verdict(enum bs_prog_type type, uint64_t retval, char *buf, size_t len)
{
	const char *name = cli_verdict_name(type, retval);
	size_t n = name ? strlen(name) : 0;
	/* every packet has one: no formatting for the common case */
	if (name && n < len)
		memcpy(buf, name, n + 1);
	else if (name)
		snprintf(buf, len, "%s", name);
	else if (type == BS_PROG_SOCKET_FILTER)
		/* the bytes of the packet the socket keeps; 0 drops it */
		retval ? snprintf(buf, len, "KEEP:%" PRIu64, retval) : snprintf(buf, len, "DROP");
	else if (type == BS_PROG_CGROUP_SKB && retval <= 1)
		snprintf(buf, len, "%s", retval ? "ALLOW" : "DROP");
	else
		snprintf(buf, len, "%" PRIu64, retval);
}

void rp_each_record(struct bs_maps *maps,
		    void (*fn)(void *u, const char *map, bool perf, const struct bs_map_record *r),
		    void *u)
{
	for (size_t i = 0; maps && i < bs_maps_count(maps); i++) {
		struct bs_map *m = bs_maps_at(maps, i);
		uint32_t type = bs_map_def(m)->type;
		if (type != BS_MAP_RINGBUF && type != BS_MAP_PERF_EVENT_ARRAY)
			continue;
		size_t n = bs_map_record_count(m);
		for (size_t k = 0; k < n; k++) {
			struct bs_map_record rec;
			if (bs_map_record_get(m, k, &rec) == 0)
				fn(u, bs_map_def(m)->name, type == BS_MAP_PERF_EVENT_ARRAY, &rec);
		}
	}
}

void rp_summary_add(struct rp_summary *s, const struct rp_packet *p)
{
	s->packets++;
	s->insns += p->insns;
	if (p->rc)
		s->errors++;
	if (p->checked)
		s->checked++;
	if (p->mismatch)
		s->mismatches++;
	const char *v = p->rc ? "error" : p->verdict;
	/* the count the verdict's id went to last time, if it has one */
	struct rp_counted *rec = !p->rc && p->verdict_id ? &s->recent[p->verdict_id & 7] : NULL;
	if (rec && rec->id == p->verdict_id && rec->at < s->ncounts) {
		s->counts[rec->at].n++;
		return;
	}
	for (size_t i = 0; i < s->ncounts; i++)
		if (strcmp(s->counts[i].verdict, v) == 0) {
			s->counts[i].n++;
			if (rec)
				*rec = (struct rp_counted){p->verdict_id, i};
			return;
		}
	void *more = realloc(s->counts, (s->ncounts + 1) * sizeof(*s->counts));
	if (!more)
		return;
	s->counts = more;
	snprintf(s->counts[s->ncounts].verdict, sizeof(s->counts[0].verdict), "%s", v);
	if (rec)
		*rec = (struct rp_counted){p->verdict_id, s->ncounts};
	s->counts[s->ncounts++].n = 1;
}

void rp_summary_free(struct rp_summary *s)
{
	free(s->counts);
	s->counts = NULL;
	s->ncounts = 0;
	memset(s->recent, 0, sizeof(s->recent));
}

struct rp_report {
	enum rp_format fmt;
	FILE *f;
	bool own;          /* f is a file we opened */
	FILE *cases;       /* JUnit: the test cases, until the header is known */
	uint64_t junit_fail, junit_err, junit_tests;
	struct rp_report_info info;
	bool first;
	char path[256];
	/* JSON: one packet's text, written with one call (json_dumpf writes
	 * token by token, the report's largest cost) */
	char *jbuf;
	size_t jcap;
};

/* ---- text ---- */

static void text_record(void *u, const char *map, bool perf, const struct bs_map_record *r)
{
	FILE *f = u;
	if (perf)
		fprintf(f, "  perf %s (cpu %u): ", map, r->cpu);
	else
		fprintf(f, "  ringbuf %s: ", map);
	for (size_t i = 0; i < r->size; i++)
		fprintf(f, "%02x", ((const uint8_t *)r->data)[i]);
	fputc('\n', f);
}

/* text's first line after first, the others after indent */
static void print_indented(FILE *f, const char *first, const char *indent, const char *text)
{
	for (const char *pre = first; *text; pre = indent) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		fprintf(f, "%s%.*s\n", pre, (int)n, text);
		text += n + (nl ? 1 : 0);
	}
}

static void text_packet(FILE *f, const struct rp_packet *p)
{
	fprintf(f, "packet %" PRIu64 ": %zu bytes: ", p->index, p->len);
	if (p->rc)
		fprintf(f, "error: %s\n", p->err.message);
	else {
		char num[24];
		snprintf(num, sizeof(num), "%" PRIu64, p->retval);
		fprintf(f, "%s", p->verdict);
		if (strcmp(num, p->verdict) != 0)
			fprintf(f, " (%s)", num);
		if (p->redirect[0])
			fprintf(f, " redirect=%s", p->redirect);
		if (p->out_len != p->len || memcmp(p->data_in, p->data_out, p->len))
			fprintf(f, ", rewritten to %zu bytes", p->out_len);
		fprintf(f, ", %" PRIu64 " insns\n", p->insns);
	}
	for (size_t i = 0; i < p->trace.n; i++) {
		const char *t = p->trace.line[i];
		size_t n = strlen(t);
		fprintf(f, "  trace: %.*s\n", (int)(n && t[n - 1] == '\n' ? n - 1 : n), t);
	}
	rp_each_record(p->maps, text_record, f);
	if (p->diff)
		print_indented(f, "  MISMATCH: ", "  ", p->diff);
}

static void text_close(FILE *f, const struct rp_summary *s, const struct bs_error *file_err,
		       const char *map_diff)
{
	if (file_err)
		fprintf(f, "replay stopped: %s%s%s\n", file_err->message, file_err->hint[0] ? "; " : "",
			file_err->hint);
	if (map_diff)
		print_indented(f, "MISMATCH: ", "MISMATCH: ", map_diff);
	fprintf(f, "\n%" PRIu64 " packets, %" PRIu64 " errors, %" PRIu64 " instructions", s->packets,
		s->errors, s->insns);
	if (s->checked || s->mismatches)
		fprintf(f, "; expectations: %" PRIu64 " checked, %" PRIu64 " failed", s->checked,
			s->mismatches);
	fputc('\n', f);
	if (s->seconds > 0)
		fprintf(f, "%.3f s, %.0f packets/s\n", s->seconds,
			s->seconds > 0 ? (double)s->packets / s->seconds : 0.0);
	if (!s->ncounts)
		return;
	fprintf(f, "%-24s %12s\n", "verdict", "packets");
	for (size_t i = 0; i < s->ncounts; i++)
		fprintf(f, "%-24s %12" PRIu64 "\n", s->counts[i].verdict, s->counts[i].n);
}

/* ---- JSON ---- */

static void json_record(void *u, const char *map, bool perf, const struct bs_map_record *r)
{
	json_t **arr = u;
	if (perf)
		json_array_append_new(arr[1], json_pack("{s:s, s:I, s:o}", "map", map, "cpu",
							(json_int_t)r->cpu, "data",
							cli_json_hex(r->data, r->size)));
	else
		json_array_append_new(arr[0], json_pack("{s:s, s:o}", "map", map, "data",
							cli_json_hex(r->data, r->size)));
}

static json_t *error_json(const struct bs_error *e)
{
	char line[sizeof(e->file) + 16] = "";
	if (e->file[0] && e->line)
		snprintf(line, sizeof(line), "%s:%d", e->file, e->line);
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "kind", bs_err_kind_name(e->kind),
			 "message", e->message, "pc", e->pc >= 0 ? json_integer(e->pc) : json_null(),
			 "insn", e->insn[0] ? json_string(e->insn) : json_null(), "line",
			 line[0] ? json_string(line) : json_null(), "hint",
			 e->hint[0] ? json_string(e->hint) : json_null());
}

static json_t *packet_json(const struct rp_packet *p)
{
	json_t *o = json_object(), *trace = json_array();
	json_t *rec[2] = {json_array(), json_array()};
	json_object_set_new(o, "index", json_integer((json_int_t)p->index));
	json_object_set_new(o, "len", json_integer((json_int_t)p->len));
	json_object_set_new(o, "wire_len", json_integer((json_int_t)p->wire_len));
	json_object_set_new(o, "retval", p->rc ? json_null() : json_integer((json_int_t)p->retval));
	json_object_set_new(o, "verdict", p->rc ? json_null() : json_string(p->verdict));
	json_object_set_new(o, "redirect", p->redirect[0] ? json_string(p->redirect) : json_null());
	json_object_set_new(o, "data_out", p->rc ? json_null() : cli_json_hex(p->data_out, p->out_len));
	json_object_set_new(o, "sha256", p->rc ? json_null() : json_string(p->sha256));
	json_object_set_new(o, "insns_executed", json_integer((json_int_t)p->insns));
	for (size_t i = 0; i < p->trace.n; i++)
		json_array_append_new(trace, json_string(p->trace.line[i]));
	json_object_set_new(o, "trace", trace);
	rp_each_record(p->maps, json_record, rec);
	json_object_set_new(o, "ringbuf", rec[0]);
	json_object_set_new(o, "perf", rec[1]);
	json_object_set_new(o, "error", p->rc ? error_json(&p->err) : json_null());
	json_object_set_new(o, "expectation",
			    !p->checked ? json_null()
					: json_pack("{s:b, s:o}", "ok", !p->mismatch, "diff",
						    p->diff ? json_string(p->diff) : json_null()));
	return o;
}

static json_t *summary_json(const struct rp_summary *s)
{
	json_t *v = json_object();
	for (size_t i = 0; i < s->ncounts; i++)
		json_object_set_new(v, s->counts[i].verdict, json_integer((json_int_t)s->counts[i].n));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "packets", (json_int_t)s->packets,
			 "errors", (json_int_t)s->errors, "insns_executed", (json_int_t)s->insns,
			 "expectations_checked", (json_int_t)s->checked, "expectations_failed",
			 (json_int_t)s->mismatches, "verdicts", v);
}

static void json_put_key(FILE *f, const char *key, json_t *v)
{
	fprintf(f, ", \"%s\": ", key);
	json_dumpf(v, f, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(v);
}

/* ---- JUnit XML ---- */

/* XML 1.0 text: markup escaped; bytes XML cannot hold (control
 * characters, anything outside ASCII that may not be UTF-8) become '?' */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			fputc((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f ? '?' : c, f);
		}
	}
}

static void junit_packet(struct rp_report *r, const struct rp_packet *p)
{
	FILE *f = r->cases;
	r->junit_tests++;
	fprintf(f, "    <testcase classname=\"replay.");
	xml_text(f, r->info.program);
	fprintf(f, "\" name=\"packet %" PRIu64 " ", p->index);
	xml_text(f, p->rc ? "error" : p->verdict);
	fprintf(f, "\" time=\"0\">\n");
	if (p->mismatch) {
		r->junit_fail++;
		fprintf(f, "      <failure message=\"expectation not met\">");
		xml_text(f, p->diff ? p->diff : "");
		fprintf(f, "</failure>\n");
	} else if (p->rc && !p->checked) {
		r->junit_err++;
		fprintf(f, "      <error message=\"");
		xml_text(f, p->err.message);
		fprintf(f, "\" type=\"%s\"/>\n", bs_err_kind_name(p->err.kind));
	}
	if (p->trace.n) {
		fprintf(f, "      <system-out>");
		for (size_t i = 0; i < p->trace.n; i++) {
			xml_text(f, p->trace.line[i]);
			if (!strchr(p->trace.line[i], '\n'))
				fputc('\n', f);
		}
		fprintf(f, "</system-out>\n");
	}
	fprintf(f, "    </testcase>\n");
}

static void junit_close(struct rp_report *r, const struct rp_summary *s,
			const struct bs_error *file_err, const char *map_diff)
{
	FILE *c = r->cases;
	if (file_err) {
		r->junit_tests++;
		r->junit_err++;
		fprintf(c, "    <testcase classname=\"replay.capture\" name=\"replay stopped\" "
			   "time=\"0\">\n      <error message=\"");
		xml_text(c, file_err->message);
		fprintf(c, "\" type=\"%s\"/>\n    </testcase>\n", bs_err_kind_name(file_err->kind));
	}
	if (map_diff) {
		r->junit_tests++;
		r->junit_fail++;
		fprintf(c, "    <testcase classname=\"replay.maps\" name=\"final map contents\" "
			   "time=\"0\">\n      <failure message=\"expectation not met\">");
		xml_text(c, map_diff);
		fprintf(c, "</failure>\n    </testcase>\n");
	}
	FILE *f = r->f;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"bpfstep replay\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64
		   "\" errors=\"%" PRIu64 "\" time=\"%.3f\">\n", r->junit_tests, r->junit_fail,
		r->junit_err, s->seconds);
	fprintf(f, "  <testsuite name=\"");
	xml_text(f, r->info.program);
	fprintf(f, " (");
	xml_text(f, r->info.pcap);
	fprintf(f, ")\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64 "\" errors=\"%" PRIu64
		   "\" skipped=\"0\" time=\"%.3f\">\n", r->junit_tests, r->junit_fail, r->junit_err,
		s->seconds);
	fprintf(f, "    <properties>\n");
	const char *props[][2] = {{"object", r->info.file}, {"program", r->info.program},
				  {"type", r->info.prog_type}, {"engine", r->info.engine},
				  {"pcap", r->info.pcap}};
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		fprintf(f, "      <property name=\"%s\" value=\"", props[i][0]);
		xml_text(f, props[i][1]);
		fprintf(f, "\"/>\n");
	}
	fprintf(f, "    </properties>\n");
	rewind(c);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), c)) > 0)
		fwrite(buf, 1, n, f);
	fprintf(f, "  </testsuite>\n</testsuites>\n");
}

/* ---- the report ---- */

int rp_report_open(struct rp_report **out, enum rp_format fmt, const char *path,
		   const struct rp_report_info *info, struct bs_error *err)
{
	struct rp_report *r = calloc(1, sizeof(*r));
	if (!r)
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	r->fmt = fmt;
	r->info = *info;
	r->first = true;
	snprintf(r->path, sizeof(r->path), "%s", path ? path : "-");
	if (!path || strcmp(path, "-") == 0)
		r->f = stdout;
	else if (!(r->f = fopen(path, "w"))) {
		free(r);
		return bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	} else
		r->own = true;
	if (fmt == RP_JUNIT && !(r->cases = tmpfile())) {
		bs_error_set(err, BS_ERR_IO, "cannot make a temporary file for the JUnit report: %s", strerror(errno));
		if (r->own)
			fclose(r->f);
		free(r);
		return -1;
	}
	if (fmt == RP_JSON) {
		json_t *file = json_string(info->file);
		fprintf(r->f, "{\"object\": ");
		json_dumpf(file, r->f, JSON_ENCODE_ANY);
		json_decref(file);
		json_t *v[] = {json_string(info->program), json_string(info->prog_type),
			       json_string(info->engine), json_string(info->pcap)};
		const char *k[] = {"program", "type", "engine", "pcap"};
		for (int i = 0; i < 4; i++)
			json_put_key(r->f, k[i], v[i]);
		fprintf(r->f, ", \"packets\": [");
	}
	*out = r;
	return 0;
}

void rp_report_packet(struct rp_report *r, const struct rp_packet *p)
{
	switch (r->fmt) {
	case RP_TEXT:
		text_packet(r->f, p);
		break;
	case RP_JSON: {
		json_t *o = packet_json(p);
		fputs(r->first ? "\n" : ",\n", r->f);
		size_t n = json_dumpb(o, r->jbuf, r->jcap, JSON_PRESERVE_ORDER);
		if (n > r->jcap) {
			char *more = realloc(r->jbuf, n * 2);
			if (more) {
				r->jbuf = more;
				r->jcap = n * 2;
				n = json_dumpb(o, r->jbuf, r->jcap, JSON_PRESERVE_ORDER);
			}
		}
		if (n && n <= r->jcap)
			fwrite(r->jbuf, 1, n, r->f);
		else
			json_dumpf(o, r->f, JSON_PRESERVE_ORDER);
		json_decref(o);
		break;
	}
	case RP_JUNIT:
		junit_packet(r, p);
		break;
	}
	r->first = false;
}

int rp_report_close(struct rp_report *r, const struct rp_summary *s, const json_t *maps,
		    const struct bs_error *file_err, const char *map_diff, struct bs_error *err)
{
	switch (r->fmt) {
	case RP_TEXT:
		text_close(r->f, s, file_err, map_diff);
		break;
	case RP_JSON: {
		fprintf(r->f, "]");
		json_put_key(r->f, "summary", summary_json(s));
		json_put_key(r->f, "maps", maps ? json_deep_copy(maps) : json_object());
		json_put_key(r->f, "error", file_err ? error_json(file_err) : json_null());
		json_put_key(r->f, "maps_expectation", map_diff ? json_string(map_diff) : json_null());
		fprintf(r->f, "}\n");
		break;
	}
	case RP_JUNIT:
		junit_close(r, s, file_err, map_diff);
		fclose(r->cases);
		break;
	}
	int rc = 0;
	if (fflush(r->f) != 0 || ferror(r->f))
		rc = bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", r->path, strerror(errno));
	if (r->own && fclose(r->f) != 0 && !rc)
		rc = bs_error_set(err, BS_ERR_IO, "cannot write '%s': %s", r->path, strerror(errno));
	free(r->jbuf);
	free(r);
	return rc;
}
