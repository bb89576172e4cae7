// SPDX-License-Identifier: MIT
/* bpfstep replay: every packet of a capture through a program, one
 * BPF_PROG_TEST_RUN each, with one set of maps whose state carries over;
 * verdicts checked against expectations, reported as text, JSON or JUnit,
 * with coverage. docs/replay.md. */
#include <getopt.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/raw.h"
#include "cli/replay.h"

static int cmd_replay(int argc, char **argv);

const struct cli_cmd cli_cmd_replay = {
	.name = "replay",
	.run = cmd_replay,
	.summary = "run every packet of a pcap through a program; check verdicts (CI)",
	.usage =
		"Usage: bpfstep replay FILE.o [--prog NAME] --pcap IN.pcap [OPTIONS]\n"
		"\n"
		"Runs each packet of a pcap or pcapng capture through the program, one\n"
		"BPF_PROG_TEST_RUN-like run per packet, with one set of maps whose contents\n"
		"carry over from packet to packet. Reports each packet's verdict (XDP_DROP,\n"
		"TC_ACT_OK, KEEP:N for socket filters), redirect, rewritten bytes, trace\n"
		"lines and ringbuf/perf records; checks them against expectations.\n"
		"\n"
		"Options:\n"
		"  --prog NAME          the program of FILE.o (function or section name)\n"
		"  --pcap FILE          the capture (pcap or pcapng; Ethernet, raw IP or Linux\n"
		"                       cooked link types; '-' reads stdin)\n"
		"  --out FILE           write each packet after the program to a pcap file, with\n"
		"                       the verdicts in FILE.verdicts (the --expect format)\n"
		"  --count N            stop after N packets\n"
		"  --expect FILE        check each packet against FILE (docs/replay.md); exit 1\n"
		"                       with a diff when one differs\n"
		"  --write-expect FILE  record what each packet gives as expectations for later\n"
		"  --report FMT[:FILE]  text (default), json or junit, to FILE or stdout;\n"
		"                       repeatable (--report text --report junit:results.xml);\n"
		"                       none: no report, only the exit status (and diffs)\n"
		"  --coverage FILE      write an lcov tracefile of the source lines and\n"
		"                       branches run (from .BTF.ext), and FILE.insns with the\n"
		"                       count of every instruction\n"
		"  --duration           report wall time and packets per second\n"
		"  --jobs N             only 1: packets depend on the ones before (docs/replay.md)\n"
		"\n"
		"Like run:\n"
		"  --ctx-in FILE        the context every packet starts with (xdp: data_end is\n"
		"                       set to each packet's length)\n"
		"  --ifindex N          xdp_md / __sk_buff ingress_ifindex of every packet\n"
		"  --rx-queue N         xdp_md rx_queue_index (needs --ifindex other than 1)\n"
		"  --pcap-time          bpf_ktime_get_ns starts each packet at its capture time\n"
		"  --engine interp|jit  execution engine (default jit on x86-64, else interp;\n"
		"                       --coverage runs the interpreter)\n"
		"  --jit-unchecked      the JIT without its memory checks (docs/run.md)\n"
		"  --budget N           instructions each packet may run (default 1000000, 0 = none)\n"
		"  --dispatch goto|switch  interpreter dispatch (default goto)\n"
		"  --maps-in FILE       preload maps from JSON (docs/run-json.md)\n"
		"  --maps-out FILE      write every map after the last packet\n"
		"  --map-update NAME:KEYHEX:VALHEX  set one entry before the first packet\n"
		"  --time-ns N, --seed N, --cpu N, --ncpus N, --numa-node N, --pid-tgid N,\n"
		"  --uid-gid N, --comm S, --fib RET[,IFINDEX[,SMAC[,DMAC]]]: the fake\n"
		"                       environment, as for run (the clock and the random\n"
		"                       stream go on from packet to packet)\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit status: 0 every packet ran (or failed as expected) and every expectation\n"
		"held; 1 an expectation failed, a packet failed unexpectedly, or the capture\n"
		"is corrupt; 2 bad usage.\n",
};

struct report_arg {
	enum rp_format fmt;
	const char *path;
};

struct replay_args {
	const char *file, *prog, *pcap, *out, *expect, *write_expect, *coverage;
	const char *ctx_in, *maps_in, *maps_out;
	const char **updates;
	size_t nupdates;
	struct report_arg reports[8];
	size_t nreports;
	bool report_none;        /* --report none: not even the default text */
	uint64_t count, ifindex, rx_queue;
	bool has_ifindex, has_rx_queue, pcap_time, duration;
	struct cli_raw_opts opts;
	struct cli_env env;
};

struct replay {
	struct replay_args *a;
	struct bs_object *obj;
	const struct bs_prog *prog;
	enum bs_prog_type type;
	struct bs_maps *maps;
	uint32_t ncpus;
	/* the program set up once for every packet; NULL when that failed, and
	 * each packet then fails on its own as a separate run would */
	struct bs_test_runner *runner;
	struct bs_test_run tmpl;  /* what every packet's run shares */
	bool need_sha256;        /* a report or file shows data_out's digest */
	uint8_t *ctx;            /* the context every packet starts from */
	size_t ctx_len;
	uint8_t *ctx_pkt;        /* its copy fitted to one packet */
	struct bs_pcap_reader *in;
	struct bs_pcap_writer *out;
	struct rp_expect_writer *verdicts;  /* OUT.verdicts */
	struct rp_expect *expect;
	struct rp_expect_writer *write_expect;
	struct rp_coverage *cov;
	struct rp_report *reports[8];
	size_t nreports;
	struct rp_summary sum;
	struct rp_packet pkt;    /* the packet being replayed */
	/* the verdicts of recent return values (rp_verdict), by the value's
	 * low bits: made again only for a value not seen there */
	struct verdict_memo {
		uint64_t id;     /* 0: empty; else names text (rp_packet.verdict_id) */
		uint64_t retval;
		char text[40];
	} verdict_of[8];
	uint64_t verdict_ids;     /* the last id given out */
	/* the maps that receive records (ringbuf, perf event arrays), cleared
	 * after each packet; made again when the set of maps grows */
	size_t *record_maps;
	size_t nrecord_maps, maps_seen;
	uint64_t unexpected_errors;
	bool progress;
	bool text_on_stdout;     /* a text report shows the diffs already */
};

static int usage(const char *fmt, const char *arg)
{
	return cli_usage_error(&cli_cmd_replay, fmt, arg);
}

static int add_report(struct replay_args *a, const char *arg)
{
	static const char *const names[] = {"text", "json", "junit"};
	if (strcmp(arg, "none") == 0) {
		a->report_none = true;
		return 0;
	}
	if (a->nreports == sizeof(a->reports) / sizeof(a->reports[0]))
		return usage("at most 8 reports (%s)", arg);
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	for (int i = 0; i < 3; i++)
		if (strlen(names[i]) == n && strncmp(arg, names[i], n) == 0) {
			a->reports[a->nreports++] = (struct report_arg){(enum rp_format)i,
									 colon ? colon + 1 : NULL};
			return 0;
		}
	return usage("--report takes text, json or junit, optionally :FILE, or none, not '%s'",
		     arg);
}

/* ---- setting up ---- */

/* The context of --ctx-in, --ifindex and --rx-queue, for the program type. */
static int make_ctx(struct replay *r, struct bs_error *err)
{
	const struct replay_args *a = r->a;
	bool xdp = r->type == BS_PROG_XDP;
	size_t size = xdp ? sizeof(struct xdp_md) : sizeof(struct __sk_buff);
	if (a->ctx_in && cli_read_file(a->ctx_in, CLI_MAX_FILE_BYTES, &r->ctx, &r->ctx_len, err))
		return -1;
	if (a->has_rx_queue && !xdp)
		return bs_error_set(err, BS_ERR_ARG, "--rx-queue is for xdp programs (xdp_md "
				    "rx_queue_index); %s has type %s", bs_prog_name(r->prog),
				    bs_prog_type_name(r->type));
	if (a->has_ifindex || a->has_rx_queue) {
		if (r->ctx_len < size) {
			uint8_t *more = realloc(r->ctx, size);
			if (!more)
				return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
			memset(more + r->ctx_len, 0, size - r->ctx_len);
			r->ctx = more;
			r->ctx_len = size;
		}
		uint32_t ifindex = (uint32_t)a->ifindex, queue = (uint32_t)a->rx_queue;
		if (xdp) {
			if (a->has_ifindex)
				memcpy(r->ctx + offsetof(struct xdp_md, ingress_ifindex), &ifindex, 4);
			if (a->has_rx_queue)
				memcpy(r->ctx + offsetof(struct xdp_md, rx_queue_index), &queue, 4);
		} else {
			memcpy(r->ctx + offsetof(struct __sk_buff, ingress_ifindex), &ifindex, 4);
		}
	}
	if (r->ctx && !(r->ctx_pkt = malloc(r->ctx_len ? r->ctx_len : 1)))
		return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
	return 0;
}

static int prepare_maps(struct replay *r, struct bs_error *err)
{
	const struct replay_args *a = r->a;
	r->ncpus = a->env.ncpus ? a->env.ncpus : 1;
	if (bs_object_create_maps(r->obj, r->ncpus, &r->maps, err))
		return -1;
	if (bs_maps_set_cpu(r->maps, a->env.env.cpu) < 0)
		return bs_error_set(err, BS_ERR_ARG, "--cpu %u is not below the number of CPUs (%u; "
				    "set it with --ncpus)", a->env.env.cpu, r->ncpus);
	if (a->maps_in && cli_maps_load_file(r->maps, r->ncpus, r->obj, a->maps_in, err))
		return -1;
	for (size_t i = 0; i < a->nupdates; i++)
		if (cli_map_update_arg(r->maps, r->ncpus, a->updates[i], err))
			return -1;
	return 0;
}

static int setup(struct replay *r, struct bs_error *err)
{
	struct replay_args *a = r->a;
	if (a->opts.engine == CLI_ENGINE_JIT && !bs_jit_available())
		return bs_error_set(err, BS_ERR_UNSUPPORTED, "this build has no JIT for this machine");
	if (bs_object_open(a->file, &r->obj, err))
		return -1;
	cli_print_notes(stderr, bs_object_notes(r->obj));
	cli_btf_set_object(a->file);
	if (bs_object_find_prog(r->obj, a->prog, &r->prog, err))
		return -1;
	r->type = bs_prog_type(r->prog);
	if (r->type != BS_PROG_XDP && r->type != BS_PROG_SCHED_CLS && r->type != BS_PROG_SCHED_ACT &&
	    r->type != BS_PROG_SOCKET_FILTER && r->type != BS_PROG_CGROUP_SKB)
		return bs_error_set(err, BS_ERR_UNSUPPORTED,
				    "%s is a %s program: replay runs packets through xdp, tc "
				    "(sched_cls, sched_act), socket_filter and cgroup_skb programs",
				    bs_prog_name(r->prog), bs_prog_type_name(r->type));
	if (make_ctx(r, err) || prepare_maps(r, err))
		return -1;
	if (bs_pcap_open(a->pcap, &r->in, err))
		return -1;
	char header[600];
	snprintf(header, sizeof(header), "bpfstep replay %s --prog %s --pcap %s", a->file,
		 bs_prog_name(r->prog), a->pcap);
	if (a->out) {
		char side[4096];
		snprintf(side, sizeof(side), "%s.verdicts", a->out);
		if (bs_pcap_create(a->out, &r->out, err) ||
		    rp_expect_writer_open(&r->verdicts, side, header, err))
			return -1;
	}
	if (a->expect && rp_expect_open(&r->expect, a->expect, err))
		return -1;
	if (a->write_expect && rp_expect_writer_open(&r->write_expect, a->write_expect, header, err))
		return -1;
	if (a->coverage && rp_coverage_new(&r->cov, r->prog, err))
		return -1;
	struct rp_report_info info = {
		.file = a->file, .program = bs_prog_name(r->prog),
		.prog_type = bs_prog_type_name(r->type),
		/* counting instructions for coverage takes the interpreter */
		.engine = a->opts.engine != CLI_ENGINE_JIT || a->coverage ? "interp"
			  : a->opts.jit_unchecked ? "jit-unchecked" : "jit",
		.pcap = a->pcap,
	};
	for (size_t i = 0; i < a->nreports; i++) {
		if (rp_report_open(&r->reports[i], a->reports[i].fmt, a->reports[i].path, &info, err))
			return -1;
		if (a->reports[i].fmt == RP_TEXT &&
		    (!a->reports[i].path || strcmp(a->reports[i].path, "-") == 0))
			r->text_on_stdout = true;
		r->nreports++;
	}
	r->tmpl = (struct bs_test_run){
		.env = &a->env.env,
		.budget = a->opts.budget ? a->opts.budget : UINT64_MAX, .dispatch = a->opts.dispatch,
		.engine = cli_bs_engine(&a->opts),
		.on_vm = r->cov ? rp_coverage_on_vm : NULL, .on_vm_user = r->cov,
		/* each packet's wall time is nobody's business: --duration times
		 * the whole replay */
		.no_duration = true,
	};
	/* a program that does not load fails every packet, as separate runs did */
	struct bs_error ignore;
	if (bs_test_runner_new(r->prog, r->maps, &r->tmpl, &r->runner, &ignore))
		r->runner = NULL;
	for (size_t i = 0; i < a->nreports; i++)
		r->need_sha256 |= a->reports[i].fmt == RP_JSON;
	r->need_sha256 |= a->expect || a->write_expect || a->out;
	uint64_t done, total;
	bs_pcap_progress(r->in, &done, &total);
	r->progress = isatty(STDERR_FILENO) && total >= (4u << 20);
	return 0;
}

/* ---- one packet ---- */

static void redirect_text(const struct bs_redirect *rd, char *buf, size_t len)
{
	buf[0] = 0;
	switch (rd->kind) {
	case BS_REDIRECT_NONE:
		return;
	case BS_REDIRECT_IFINDEX:
		snprintf(buf, len, "ifindex:%u", rd->ifindex);
		break;
	case BS_REDIRECT_PEER:
		snprintf(buf, len, "peer:%u", rd->ifindex);
		break;
	case BS_REDIRECT_NEIGH:
		snprintf(buf, len, "neigh:%u", rd->ifindex);
		break;
	case BS_REDIRECT_MAP:
		snprintf(buf, len, "map:%s:%u", rd->map ? rd->map : "?", rd->key);
		break;
	}
	size_t n = strlen(buf);
	if (rd->flags && n < len)
		snprintf(buf + n, len - n, ":flags=0x%" PRIx64, rd->flags);
}

static void free_outputs(struct bs_test_run *tr)
{
	free(tr->data_out);
	free(tr->ctx_out);
	for (size_t i = 0; i < tr->nclones; i++)
		free(tr->clones[i].data);
	free(tr->clones);
}

/* Only ringbuf and perf event array maps hold records (the maps that have
 * none ignore bs_map_records_clear). */
static void clear_records(struct replay *r)
{
	size_t n = bs_maps_count(r->maps);
	if (n != r->maps_seen) {
		size_t *more = realloc(r->record_maps, (n ? n : 1) * sizeof(*more));
		if (!more) {
			for (size_t i = 0; i < n; i++)
				bs_map_records_clear(bs_maps_at(r->maps, i));
			return;
		}
		r->record_maps = more;
		r->nrecord_maps = 0;
		for (size_t i = 0; i < n; i++) {
			uint32_t type = bs_map_def(bs_maps_at(r->maps, i))->type;
			if (type == BS_MAP_RINGBUF || type == BS_MAP_PERF_EVENT_ARRAY)
				r->record_maps[r->nrecord_maps++] = i;
		}
		r->maps_seen = n;
	}
	for (size_t k = 0; k < r->nrecord_maps; k++)
		bs_map_records_clear(bs_maps_at(r->maps, r->record_maps[k]));
}

static int one_packet(struct replay *r, const struct bs_pcap_packet *pkt, struct bs_error *err)
{
	const struct replay_args *a = r->a;
	/* one record for every packet, started as struct rp_packet says (the
	 * empty asm keeps the compiler from a rep stos, slower than libc's
	 * memset for these hundred bytes) */
	struct rp_packet *p = &r->pkt;
	size_t head = offsetof(struct rp_packet, verdict);
	__asm__("" : "+r"(head));
	memset(p, 0, head);
	p->verdict[0] = p->redirect[0] = p->sha256[0] = '\0';
	p->index = pkt->index;
	p->data_in = pkt->data;
	p->len = pkt->size;
	p->wire_len = pkt->len + (uint32_t)(pkt->size - pkt->caplen);
	p->maps = r->maps;
	struct bs_env *env = &r->a->env.env;
	env->trace = cli_trace_add;
	env->trace_user = &p->trace;
	if (a->pcap_time)
		env->time_ns = pkt->ts_sec * 1000000000ull + (uint64_t)pkt->ts_usec * 1000u;
	struct bs_test_run tr = r->tmpl;
	tr.data_in = pkt->data;
	tr.data_size_in = pkt->size;
	if (r->ctx) {
		memcpy(r->ctx_pkt, r->ctx, r->ctx_len);
		bs_pcap_fit_ctx(r->type, r->ctx_pkt, r->ctx_len, pkt->size);
		tr.ctx_in = r->ctx_pkt;
		tr.ctx_size_in = r->ctx_len;
	}
	/* the runner's outputs are lent until its next run: this packet is
	 * done with them before that */
	p->rc = r->runner ? bs_test_runner_run_lent(r->runner, &tr, &p->err)
			  : bs_test_run(r->prog, r->maps, &tr, &p->err);
	p->tr = &tr;
	p->insns = tr.insns_executed;
	if (p->rc) {
		cli_add_source_line(r->prog, &p->err);
	} else {
		p->retval = tr.retval;
		p->data_out = tr.data_out;
		p->out_len = tr.data_size_out;
		struct verdict_memo *v = &r->verdict_of[p->retval & 7];
		if (!v->id || v->retval != p->retval) {
			rp_verdict(r->type, p->retval, v->text, sizeof(v->text));
			v->retval = p->retval;
			v->id = ++r->verdict_ids;
		}
		_Static_assert(sizeof(v->text) == sizeof(p->verdict), "a verdict");
		memcpy(p->verdict, v->text, sizeof(p->verdict));
		p->verdict_id = v->id;
		if (tr.redirect.kind != BS_REDIRECT_NONE)
			redirect_text(&tr.redirect, p->redirect, sizeof(p->redirect));
		if (r->need_sha256)
			rp_sha256_hex(p->data_out, p->out_len, p->sha256);
	}
	int rc = 0;
	if (r->expect && rp_expect_packet(r->expect, p, err))
		rc = -1;
	if (p->rc && !p->checked)
		r->unexpected_errors++;
	for (size_t i = 0; i < r->nreports; i++)
		rp_report_packet(r->reports[i], p);
	if (p->diff && !r->text_on_stdout)
		fprintf(stderr, "bpfstep replay: %s\n", p->diff);
	if (r->write_expect)
		rp_expect_write_packet(r->write_expect, p);
	if (r->out) {
		/* a packet the program did not run on goes out as it came */
		const uint8_t *d = p->rc ? pkt->data : p->data_out;
		size_t n = p->rc ? pkt->size : p->out_len;
		uint32_t wire = (uint32_t)(n + (pkt->len - pkt->caplen));
		if (!rc && bs_pcap_write(r->out, pkt->ts_sec, pkt->ts_usec, d, n, wire, err))
			rc = -1;
		rp_expect_write_packet(r->verdicts, p);
	}
	rp_summary_add(&r->sum, p);
	free(p->diff);
	if (p->trace.line)
		cli_trace_free(&p->trace);
	if (!r->runner)
		free_outputs(&tr);
	/* nothing of this packet outlives it */
	p->tr = NULL;
	p->data_out = NULL;
	p->diff = NULL;
	clear_records(r);
	env->trace = NULL;
	env->trace_user = NULL;
	return rc;
}

static void show_progress(const struct replay *r, bool last)
{
	uint64_t done, total;
	bs_pcap_progress(r->in, &done, &total);
	if (last) {
		fprintf(stderr, "\r%60s\r", "");
		return;
	}
	int pct = total ? (int)(done * 100 / total) : 0, bar = pct / 5;
	fprintf(stderr, "\rreplay [%.*s%*s] %3d%% %" PRIu64 " packets", bar,
		"####################", 20 - bar, "", pct, r->sum.packets);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the end ---- */

static void replay_free(struct replay *r)
{
	rp_expect_close(r->expect);
	rp_coverage_free(r->cov);
	bs_pcap_close(r->in);
	rp_summary_free(&r->sum);
	bs_test_runner_free(r->runner);
	free(r->record_maps);
	free(r->ctx);
	free(r->ctx_pkt);
	bs_maps_free(r->maps);
	bs_object_close(r->obj);
}

/* Everything after the last packet; the exit status. */
static int finish(struct replay *r, const struct bs_error *file_err)
{
	const struct replay_args *a = r->a;
	struct bs_error err = {0};
	int status = file_err ? CLI_FAIL : CLI_OK;
	json_t *maps = cli_maps_json(r->maps, r->ncpus, r->obj, &err);
	if (!maps) {
		cli_print_error(stderr, "bpfstep replay", &err);
		status = CLI_FAIL;
	}
	char *map_diff = NULL;
	if (r->expect && maps) {
		uint64_t checked = 0;
		long failed = rp_expect_finish(r->expect, r->sum.packets, maps, &map_diff, &checked,
					       &err);
		r->sum.checked += checked;
		if (failed < 0) {
			cli_print_error(stderr, "bpfstep replay --expect", &err);
			status = CLI_FAIL;
		} else if (failed) {
			r->sum.mismatches += (uint64_t)failed;
			status = CLI_FAIL;
		}
	}
	if (r->sum.mismatches || r->unexpected_errors)
		status = CLI_FAIL;
	if (map_diff && !r->text_on_stdout)
		fprintf(stderr, "bpfstep replay: %s\n", map_diff);
	for (size_t i = 0; i < r->nreports; i++)
		if (rp_report_close(r->reports[i], &r->sum, maps, file_err, map_diff, &err)) {
			cli_print_error(stderr, "bpfstep replay", &err);
			status = CLI_FAIL;
		}
	r->nreports = 0;
	if (r->write_expect) {
		if (rp_expect_writer_close(r->write_expect, maps, &err)) {
			cli_print_error(stderr, "bpfstep replay --write-expect", &err);
			status = CLI_FAIL;
		}
		r->write_expect = NULL;
	}
	if (r->verdicts) {
		if (rp_expect_writer_close(r->verdicts, maps, &err)) {
			cli_print_error(stderr, "bpfstep replay --out", &err);
			status = CLI_FAIL;
		}
		r->verdicts = NULL;
	}
	if (r->out) {
		if (bs_pcap_writer_close(r->out, &err)) {
			cli_print_error(stderr, "bpfstep replay --out", &err);
			status = CLI_FAIL;
		}
		r->out = NULL;
	}
	if (a->maps_out && maps && cli_json_write_file(maps, a->maps_out, &err)) {
		cli_print_error(stderr, "bpfstep replay --maps-out", &err);
		status = CLI_FAIL;
	}
	if (r->cov && rp_coverage_write(r->cov, a->coverage, &err)) {
		cli_print_error(stderr, "bpfstep replay --coverage", &err);
		status = CLI_FAIL;
	}
	if (file_err)
		cli_print_error(stderr, "bpfstep replay", file_err);
	if (r->sum.mismatches)
		fprintf(stderr, "bpfstep replay: %" PRIu64 " expectation%s failed\n",
			r->sum.mismatches, r->sum.mismatches == 1 ? "" : "s");
	if (r->unexpected_errors)
		fprintf(stderr, "bpfstep replay: %" PRIu64 " packet%s failed (no expectation says "
			"'error' for them)\n", r->unexpected_errors,
			r->unexpected_errors == 1 ? "" : "s");
	free(map_diff);
	json_decref(maps);
	return status;
}

/* Closes what setup opened when it failed half-way. */
static void abandon(struct replay *r)
{
	struct bs_error ignore;
	struct rp_summary none = {0};
	for (size_t i = 0; i < r->nreports; i++)
		(void)rp_report_close(r->reports[i], &none, NULL, NULL, NULL, &ignore);
	if (r->write_expect)
		(void)rp_expect_writer_close(r->write_expect, NULL, &ignore);
	if (r->verdicts)
		(void)rp_expect_writer_close(r->verdicts, NULL, &ignore);
	(void)bs_pcap_writer_close(r->out, &ignore);
}

static int run_replay(struct replay_args *a)
{
	struct replay r = {.a = a};
	struct bs_error err = {0};
	if (setup(&r, &err)) {
		cli_print_error(stderr, "bpfstep replay", &err);
		abandon(&r);
		replay_free(&r);
		return CLI_FAIL;
	}
	struct bs_pcap_packet pkt;
	int rc;
	bool file_failed = false;
	double t0 = now();
	while ((!a->count || r.sum.packets < a->count) && (rc = bs_pcap_next(r.in, &pkt, &err)) != 0) {
		if (rc < 0) {
			file_failed = true;
			break;
		}
		if (one_packet(&r, &pkt, &err)) {
			file_failed = true;
			break;
		}
		if (r.progress && (r.sum.packets & 4095) == 0)
			show_progress(&r, false);
	}
	if (r.progress)
		show_progress(&r, true);
	if (a->duration)
		r.sum.seconds = now() - t0;
	int status = finish(&r, file_failed ? &err : NULL);
	replay_free(&r);
	return status;
}

static int check_args(const struct replay_args *a)
{
	if (!a->file)
		return usage("a program is required: FILE.o%s", "");
	if (!a->pcap)
		return usage("a capture is required: --pcap FILE%s", "");
	if (a->expect && a->write_expect && strcmp(a->expect, a->write_expect) == 0)
		return usage("--expect and --write-expect name the same file '%s'", a->expect);
	return 0;
}

static int cmd_replay(int argc, char **argv)
{
	enum { OPT_PROG = 256, OPT_PCAP, OPT_OUT, OPT_COUNT, OPT_EXPECT, OPT_WRITE_EXPECT,
	       OPT_REPORT, OPT_COVERAGE, OPT_DURATION, OPT_JOBS, OPT_CTX_IN, OPT_IFINDEX,
	       OPT_RX_QUEUE, OPT_PCAP_TIME, OPT_SHARED, OPT_MAPS_IN, OPT_MAPS_OUT,
	       OPT_MAP_UPDATE };
	static const struct option longopts[] = {
		{"prog", required_argument, NULL, OPT_PROG},
		{"pcap", required_argument, NULL, OPT_PCAP},
		{"out", required_argument, NULL, OPT_OUT},
		{"count", required_argument, NULL, OPT_COUNT},
		{"expect", required_argument, NULL, OPT_EXPECT},
		{"write-expect", required_argument, NULL, OPT_WRITE_EXPECT},
		{"report", required_argument, NULL, OPT_REPORT},
		{"coverage", required_argument, NULL, OPT_COVERAGE},
		{"duration", no_argument, NULL, OPT_DURATION},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"ctx-in", required_argument, NULL, OPT_CTX_IN},
		{"ifindex", required_argument, NULL, OPT_IFINDEX},
		{"rx-queue", required_argument, NULL, OPT_RX_QUEUE},
		{"pcap-time", no_argument, NULL, OPT_PCAP_TIME},
		{"maps-in", required_argument, NULL, OPT_MAPS_IN},
		{"maps-out", required_argument, NULL, OPT_MAPS_OUT},
		{"map-update", required_argument, NULL, OPT_MAP_UPDATE},
		CLI_SHARED_LONGOPTS(OPT_SHARED),
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct replay_args a = {0};
	/* the JIT where there is one, as for run: the program is set up and
	 * compiled once for the whole capture (docs/performance.md) */
	cli_raw_opts_default(&a.opts);
	if (bs_jit_available())
		a.opts.engine = CLI_ENGINE_JIT;
	cli_env_default(&a.env);
	optind = 1;
	opterr = 0;
	int c, idx = 0, bad = 0;
	uint64_t v;
	char why[400];
	while (!bad && (c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
		switch (c) {
		case OPT_PROG: a.prog = optarg; break;
		case OPT_PCAP: a.pcap = optarg; break;
		case OPT_OUT: a.out = optarg; break;
		case OPT_EXPECT: a.expect = optarg; break;
		case OPT_WRITE_EXPECT: a.write_expect = optarg; break;
		case OPT_COVERAGE: a.coverage = optarg; break;
		case OPT_DURATION: a.duration = true; break;
		case OPT_CTX_IN: a.ctx_in = optarg; break;
		case OPT_PCAP_TIME: a.pcap_time = true; break;
		case OPT_MAPS_IN: a.maps_in = optarg; break;
		case OPT_MAPS_OUT: a.maps_out = optarg; break;
		case OPT_REPORT: bad = add_report(&a, optarg); break;
		case OPT_MAP_UPDATE: {
			const char **more = realloc(a.updates, (a.nupdates + 1) * sizeof(*more));
			if (!more) {
				bad = usage("out of memory%s", "");
				break;
			}
			a.updates = more;
			a.updates[a.nupdates++] = optarg;
			break;
		}
		case OPT_COUNT:
			if (cli_parse_u64(optarg, &a.count) || a.count == 0)
				bad = usage("--count needs a number of packets, at least 1, not '%s'",
					    optarg);
			break;
		case OPT_JOBS:
			if (cli_parse_u64(optarg, &v) || v == 0)
				bad = usage("--jobs needs a number, at least 1, not '%s'", optarg);
			else if (v > 1)
				bad = usage("--jobs %s: replay is sequential: maps, the virtual clock and "
					    "the random stream carry over from each packet to the next, "
					    "so packets cannot run in parallel with the same results "
					    "(docs/replay.md)", optarg);
			break;
		case OPT_IFINDEX:
		case OPT_RX_QUEUE:
			if (cli_parse_u64(optarg, &v) || v > UINT32_MAX)
				bad = usage("--ifindex and --rx-queue take a 32-bit number, not '%s'",
					    optarg);
			else if (c == OPT_IFINDEX) {
				a.ifindex = v;
				a.has_ifindex = true;
			} else {
				a.rx_queue = v;
				a.has_rx_queue = true;
			}
			break;
		case OPT_SHARED:
			if (cli_shared_option(&a.opts, &a.env, longopts[idx].name, optarg, why,
					      sizeof(why)))
				bad = usage("%s", why);
			break;
		case 'h':
			fputs(cli_cmd_replay.usage, stdout);
			free(a.updates);
			return CLI_OK;
		case ':':
			bad = usage("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			bad = usage("unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	if (!bad && optind < argc)
		a.file = argv[optind++];
	if (!bad && optind < argc)
		bad = usage("unexpected argument '%s'", argv[optind]);
	if (!bad)
		bad = check_args(&a);
	if (bad) {
		free(a.updates);
		return bad;
	}
	if (!a.nreports && !a.report_none)
		a.reports[a.nreports++] = (struct report_arg){RP_TEXT, NULL};
	int status = run_replay(&a);
	free(a.updates);
	cli_btf_set_object(NULL);
	return status;
}
