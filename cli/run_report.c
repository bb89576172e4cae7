// SPDX-License-Identifier: MIT
/* What `bpfstep run` prints: one JSON object (docs/run-json.md), or text in
 * the shape of `bpftool prog run`. Nothing here depends on the wall clock
 * unless --duration asks for it, so equal runs print equal bytes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"

void cli_trace_add(void *user, const char *text)
{
	struct cli_trace *t = user;
	char **more = realloc(t->line, (t->n + 1) * sizeof(*more));
	if (!more)
		return;
	t->line = more;
	t->line[t->n] = strdup(text);
	if (t->line[t->n])
		t->n++;
}

void cli_trace_free(struct cli_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->line[i]);
	free(t->line);
	t->line = NULL;
	t->n = 0;
}

static json_t *hex_or_null(const uint8_t *b, size_t n)
{
	return b ? cli_json_hex(b, n) : json_null();
}

const char *cli_redirect_how(enum bs_redirect_kind k)
{
	switch (k) {
	case BS_REDIRECT_IFINDEX: return "bpf_redirect";
	case BS_REDIRECT_PEER: return "bpf_redirect_peer";
	case BS_REDIRECT_NEIGH: return "bpf_redirect_neigh";
	case BS_REDIRECT_MAP: return "bpf_redirect_map";
	default: return "none";
	}
}

/* calls fn for each record of every ringbuf or perf event array map */
static void each_record(const struct cli_report *r, uint32_t type,
			void (*fn)(void *u, const char *map, const struct bs_map_record *rec),
			void *u)
{
	for (size_t i = 0; r->maps && i < bs_maps_count(r->maps); i++) {
		struct bs_map *m = bs_maps_at(r->maps, i);
		if (bs_map_def(m)->type != type)
			continue;
		size_t n = bs_map_record_count(m);
		for (size_t k = 0; k < n; k++) {
			struct bs_map_record rec;
			if (bs_map_record_get(m, k, &rec) == 0)
				fn(u, bs_map_def(m)->name, &rec);
		}
	}
}

static void json_ringbuf(void *u, const char *map, const struct bs_map_record *rec)
{
	json_array_append_new(u, json_pack("{s:s, s:o}", "map", map, "data",
					   cli_json_hex(rec->data, rec->size)));
}

static void json_perf(void *u, const char *map, const struct bs_map_record *rec)
{
	json_array_append_new(u, json_pack("{s:s, s:I, s:o}", "map", map, "cpu",
					   (json_int_t)rec->cpu, "data",
					   cli_json_hex(rec->data, rec->size)));
}

static json_t *redirect_json(const struct bs_test_run *tr)
{
	if (!tr || tr->redirect.kind == BS_REDIRECT_NONE)
		return json_null();
	json_t *o = json_pack("{s:s, s:I, s:I}", "helper", cli_redirect_how(tr->redirect.kind),
			      "ifindex", (json_int_t)tr->redirect.ifindex, "flags",
			      (json_int_t)tr->redirect.flags);
	if (tr->redirect.kind == BS_REDIRECT_MAP) {
		json_object_set_new(o, "map", json_string(tr->redirect.map ? tr->redirect.map : ""));
		json_object_set_new(o, "key", json_integer(tr->redirect.key));
	} else {
		json_object_set_new(o, "map", json_null());
		json_object_set_new(o, "key", json_null());
	}
	return o;
}

/* the error's source line: what the error says, or the line table's */
static json_t *error_line(const struct cli_report *r)
{
	if (r->err.file[0] && r->err.line) {
		char s[sizeof(r->err.file) + 16];
		snprintf(s, sizeof(s), "%s:%d", r->err.file, r->err.line);
		return json_string(s);
	}
	return json_null();
}

static json_t *error_json(const struct cli_report *r)
{
	if (!r->rc)
		return json_null();
	const struct bs_error *e = &r->err;
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "kind", bs_err_kind_name(e->kind),
			 "message", e->message, "pc",
			 e->pc >= 0 ? json_integer(e->pc) : json_null(), "insn",
			 e->insn[0] ? json_string(e->insn) : json_null(), "line", error_line(r),
			 "hint", e->hint[0] ? json_string(e->hint) : json_null());
}

json_t *cli_report_json(const struct cli_report *r)
{
	json_t *o = json_object(), *trace = json_array(), *rb = json_array(), *perf = json_array();
	json_t *clones = json_array();
	json_object_set_new(o, "retval", json_integer((json_int_t)(r->rc ? 0 : r->retval)));
	json_object_set_new(o, "data_out", hex_or_null(r->rc ? NULL : r->data_out, r->data_len));
	json_object_set_new(o, "ctx_out", hex_or_null(r->rc ? NULL : r->ctx_out, r->ctx_len));
	json_object_set_new(o, "duration_ns", r->show_duration && !r->rc
					      ? json_integer((json_int_t)r->duration_ns) : json_null());
	json_object_set_new(o, "repeat", json_integer(r->repeat ? r->repeat : 1));
	json_object_set_new(o, "insns_executed", json_integer((json_int_t)r->insns));
	for (size_t i = 0; i < r->trace.n; i++)
		json_array_append_new(trace, json_string(r->trace.line[i]));
	json_object_set_new(o, "trace", trace);
	each_record(r, BS_MAP_RINGBUF, json_ringbuf, rb);
	each_record(r, BS_MAP_PERF_EVENT_ARRAY, json_perf, perf);
	json_object_set_new(o, "ringbuf", rb);
	json_object_set_new(o, "perf", perf);
	struct bs_error err;
	json_t *maps = r->maps ? cli_maps_json(r->maps, r->ncpus, r->obj, &err) : json_object();
	json_object_set_new(o, "maps", maps ? maps : json_object());
	json_object_set_new(o, "redirect", redirect_json(r->rc ? NULL : r->tr));
	for (size_t i = 0; r->tr && !r->rc && i < r->tr->nclones; i++) {
		const struct bs_clone *c = &r->tr->clones[i];
		json_array_append_new(clones, json_pack("{s:I, s:I, s:o}", "ifindex",
							(json_int_t)c->ifindex, "flags",
							(json_int_t)c->flags, "data",
							cli_json_hex(c->data, c->size)));
	}
	json_object_set_new(o, "clones", clones);
	json_object_set_new(o, "error", error_json(r));
	return o;
}

/* ---- text ---- */

static void hexdump(FILE *f, const char *indent, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 16) {
		fprintf(f, "%s%04zx:", indent, i);
		for (size_t k = i; k < i + 16 && k < n; k++)
			fprintf(f, " %02x", b[k]);
		fputc('\n', f);
	}
}

static void text_ringbuf(void *u, const char *map, const struct bs_map_record *rec)
{
	fprintf(u, "ringbuf %s: %zu bytes\n", map, rec->size);
	hexdump(u, "  ", rec->data, rec->size);
}

static void text_perf(void *u, const char *map, const struct bs_map_record *rec)
{
	fprintf(u, "perf %s (cpu %u): %zu bytes\n", map, rec->cpu, rec->size);
	hexdump(u, "  ", rec->data, rec->size);
}

/* the program type's name for its return value, where it has one */
const char *cli_verdict_name(enum bs_prog_type t, uint64_t retval)
{
	static const char *const xdp[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					  "XDP_REDIRECT"};
	static const char *const tc[] = {"TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT",
					 "TC_ACT_PIPE", "TC_ACT_STOLEN", "TC_ACT_QUEUED",
					 "TC_ACT_REPEAT", "TC_ACT_REDIRECT", "TC_ACT_TRAP"};
	if (t == BS_PROG_XDP && retval < 5)
		return xdp[retval];
	if ((t == BS_PROG_SCHED_CLS || t == BS_PROG_SCHED_ACT) && retval < 9)
		return tc[retval];
	if ((t == BS_PROG_SCHED_CLS || t == BS_PROG_SCHED_ACT) && retval == UINT32_MAX)
		return "TC_ACT_UNSPEC";
	return NULL;
}

static const char *verdict(const struct cli_report *r)
{
	return r->prog ? cli_verdict_name(bs_prog_type(r->prog), r->retval) : NULL;
}

void cli_report_text(FILE *f, const struct cli_report *r)
{
	/* the lines a kernel would put in trace_pipe come before the result */
	for (size_t i = 0; i < r->trace.n; i++)
		fprintf(f, "bpf_trace_printk: %s%s", r->trace.line[i],
			strchr(r->trace.line[i], '\n') ? "" : "\n");
	if (r->rc)
		return;
	each_record(r, BS_MAP_RINGBUF, text_ringbuf, f);
	each_record(r, BS_MAP_PERF_EVENT_ARRAY, text_perf, f);
	/* bpftool prog run: "Return value: %u, duration%s: %uns" */
	fprintf(f, "Return value: %" PRIu64, r->retval);
	if (r->show_duration)
		fprintf(f, ", duration%s: %" PRIu64 "ns", r->repeat > 1 ? " (average)" : "",
			r->duration_ns);
	fputc('\n', f);
	const char *v = verdict(r);
	if (v)
		fprintf(f, "Verdict: %s\n", v);
	if (r->repeat > 1)
		fprintf(f, "Instructions executed: %" PRIu64 " (%u runs)\n", r->insns, r->repeat);
	else
		fprintf(f, "Instructions executed: %" PRIu64 "\n", r->insns);
	const struct bs_test_run *tr = r->tr;
	if (tr && tr->redirect.kind != BS_REDIRECT_NONE) {
		fprintf(f, "Redirect: %s to ifindex %u", cli_redirect_how(tr->redirect.kind),
			tr->redirect.ifindex);
		if (tr->redirect.kind == BS_REDIRECT_MAP)
			fprintf(f, " (map %s, key %u)", tr->redirect.map ? tr->redirect.map : "?",
				tr->redirect.key);
		fprintf(f, ", flags 0x%" PRIx64 "\n", tr->redirect.flags);
	}
	for (size_t i = 0; tr && i < tr->nclones; i++) {
		fprintf(f, "Clone %zu: bpf_clone_redirect to ifindex %u, flags 0x%" PRIx64
			", %zu bytes\n", i, tr->clones[i].ifindex, tr->clones[i].flags,
			tr->clones[i].size);
		hexdump(f, "  ", tr->clones[i].data, tr->clones[i].size);
	}
}
