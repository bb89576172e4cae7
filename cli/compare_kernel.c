// SPDX-License-Identifier: MIT
/* --compare-kernel: the same object, program, input and map contents run in
 * the running kernel through libbpf and BPF_PROG_TEST_RUN, and every
 * difference from bpfstep's run reported. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli/run.h"

/* "Linux 6.18" */
static void kernel_name(char *out, size_t len)
{
	struct utsname u;
	int major = 0, minor = 0;
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2)
		snprintf(out, len, "%.16s %d.%d", u.sysname, major, minor);
	else
		snprintf(out, len, "the running kernel");
}

#ifndef BS_HAVE_LIBBPF

uint32_t cli_kernel_ncpus(void)
{
	return 0;
}

int cli_compare_kernel(const struct cli_compare *c, FILE *f, struct bs_error *err)
{
	(void)c, (void)err;
	fprintf(f, "kernel comparison: not possible: this bpfstep was built without libbpf\n");
	return CLI_NO_KERNEL;
}

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <unistd.h>

#define ROUND8(x) (((size_t)(x) + 7) & ~(size_t)7)

uint32_t cli_kernel_ncpus(void)
{
	int n = libbpf_num_possible_cpus();
	return n > 0 ? (uint32_t)n : 0;
}

/* libbpf's messages, kept for the error that follows a failed load */
static char libbpf_log[4096];

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t have = strlen(libbpf_log), add = strlen(line);
	if (add >= sizeof(libbpf_log))
		return 0;
	if (have + add >= sizeof(libbpf_log)) {
		/* keep the end: the verifier's verdict is there */
		size_t drop = have + add - sizeof(libbpf_log) + 1;
		memmove(libbpf_log, libbpf_log + drop, have - drop + 1);
	}
	strcat(libbpf_log, line);
	return 0;
}

/* the last lines of the log, for a hint */
static const char *log_tail(void)
{
	size_t n = strlen(libbpf_log);
	int lines = 0;
	while (n > 0 && lines < 6)
		if (libbpf_log[--n] == '\n' && n + 1 < strlen(libbpf_log))
			lines++;
	return libbpf_log + (n ? n + 1 : 0);
}

struct report {
	FILE *f;
	int diffs;
	char kernel[64];
};

static void differ(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void differ(struct report *r, const char *fmt, ...)
{
	if (!r->diffs++)
		fprintf(r->f, "kernel comparison: differs from the kernel (%s):\n", r->kernel);
	va_list ap;
	va_start(ap, fmt);
	fputs("  ", r->f);
	vfprintf(r->f, fmt, ap);
	fputc('\n', r->f);
	va_end(ap);
}

static void bytes_differ(struct report *r, const char *what, const uint8_t *ours, size_t on,
			 const uint8_t *theirs, size_t tn)
{
	if (on == tn && memcmp(ours, theirs, on) == 0)
		return;
	size_t i = 0;
	while (i < on && i < tn && ours[i] == theirs[i])
		i++;
	if (on != tn)
		differ(r, "%s: bpfstep %zu bytes, kernel %zu bytes (first difference at byte %zu)", what,
		       on, tn, i);
	else
		differ(r, "%s: byte %zu: bpfstep %02x, kernel %02x", what, i, ours[i], theirs[i]);
}

static struct bpf_map *kernel_map(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj)
		if (strcmp(bpf_map__name(m), name) == 0)
			return m;
	return NULL;
}

/* maps whose values are kernel objects (fds) or records */
static bool not_comparable(uint32_t type)
{
	return type == BS_MAP_PROG_ARRAY || type == BS_MAP_PERF_EVENT_ARRAY ||
	       type == BS_MAP_ARRAY_OF_MAPS || type == BS_MAP_HASH_OF_MAPS ||
	       type == BS_MAP_RINGBUF;
}

static int hex_bytes(const json_t *j, uint8_t *out, size_t n)
{
	struct bs_error e;
	return json_is_string(j) ? cli_hex_exact(json_string_value(j), n, out, "value", &e) : -1;
}

/* one map's value buffer from its JSON value (per-CPU lists padded to 8) */
static int value_bytes(const json_t *v, uint32_t type, uint32_t vs, uint32_t ncpus, uint8_t *out)
{
	if (!cli_map_is_percpu(type))
		return hex_bytes(v, out, vs);
	memset(out, 0, ROUND8(vs) * ncpus);
	if (!json_is_array(v) || json_array_size(v) != ncpus)
		return -1;
	for (uint32_t c = 0; c < ncpus; c++)
		if (hex_bytes(json_array_get(v, c), out + c * ROUND8(vs), vs))
			return -1;
	return 0;
}

/* .data, .rodata, .bss: their contents before load (.rodata is frozen) */
static int set_initial_values(struct bpf_object *obj, const json_t *before, struct bs_error *err)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (!bpf_map__is_internal(m))
			continue;
		const json_t *jm = json_object_get(before, bpf_map__name(m));
		const json_t *e = json_array_get(json_object_get(jm, "entries"), 0);
		size_t size;
		if (!e || !bpf_map__initial_value(m, &size))
			continue;
		uint8_t *buf = malloc(size ? size : 1);
		if (!buf)
			return bs_error_set(err, BS_ERR_NOMEM, "out of memory");
		int rc = hex_bytes(json_object_get(e, "value"), buf, size);
		if (!rc)
			rc = bpf_map__set_initial_value(m, buf, size);
		free(buf);
		if (rc)
			return bs_error_set(err, BS_ERR_ARG, "map '%s': cannot give the kernel its "
					    "initial contents", bpf_map__name(m));
	}
	return 0;
}

static int load_entries(struct bpf_object *obj, const json_t *before, uint32_t ncpus,
			struct report *r, struct bs_error *err)
{
	const char *name;
	json_t *jm;
	json_object_foreach((json_t *)before, name, jm) {
		struct bpf_map *m = kernel_map(obj, name);
		const json_t *entries = json_object_get(jm, "entries");
		if (!m || bpf_map__is_internal(m) || !json_array_size(entries))
			continue;
		uint32_t type = bpf_map__type(m);
		if (not_comparable(type)) {
			fprintf(r->f, "kernel comparison: map '%s': its %s entries are not given to the "
				"kernel\n", name, bs_map_type_name(type));
			continue;
		}
		uint32_t ks = bpf_map__key_size(m), vs = bpf_map__value_size(m);
		uint8_t *key = malloc(ks + 8), *val = malloc(ROUND8(vs) * ncpus + 8);
		int rc = key && val ? 0 : bs_error_set(err, BS_ERR_NOMEM, "out of memory");
		size_t n = json_array_size(entries);
		for (size_t k = 0; k < n && !rc; k++) {
			size_t i = type == BS_MAP_STACK ? n - 1 - k : k;
			const json_t *e = json_array_get(entries, i);
			bool queue = type == BS_MAP_QUEUE || type == BS_MAP_STACK;
			if ((!queue && hex_bytes(json_object_get(e, "key"), key, ks)) ||
			    value_bytes(json_object_get(e, "value"), type, vs, ncpus, val))
				rc = bs_error_set(err, BS_ERR_ARG, "map '%s' entry %zu: bad contents", name,
						  i);
			else if (bpf_map_update_elem(bpf_map__fd(m), queue ? NULL : key, val, BPF_ANY))
				rc = bs_error_set(err, BS_ERR_ARG, "map '%s' entry %zu: the kernel refuses "
						  "the update: %s", name, i, strerror(errno));
		}
		free(key);
		free(val);
		if (rc)
			return -1;
	}
	return 0;
}

static int k_next_key(void *u, const void *key, void *next)
{
	int rc = bpf_map_get_next_key(*(int *)u, key, next);
	return rc < 0 ? -errno : 0;
}

static int k_lookup(void *u, const void *key, void *value)
{
	int rc = bpf_map_lookup_elem(*(int *)u, key, value);
	return rc < 0 ? -errno : 0;
}

static int k_pop(void *u, void *value)
{
	int rc = bpf_map_lookup_and_delete_elem(*(int *)u, NULL, value);
	return rc < 0 ? -errno : 0;
}

static const char *entry_key(const json_t *e)
{
	const char *k = json_string_value(json_object_get(e, "key"));
	return k ? k : "(none)";
}

static void maps_differ(struct report *r, struct bpf_object *obj, const json_t *ours,
			uint32_t ncpus, bool percpu_ok)
{
	const char *name;
	json_t *jm;
	json_object_foreach((json_t *)ours, name, jm) {
		struct bpf_map *m = kernel_map(obj, name);
		if (!m) {
			differ(r, "map '%s': the kernel's object has no such map", name);
			continue;
		}
		uint32_t type = bpf_map__type(m);
		if (not_comparable(type) || (cli_map_is_percpu(type) && !percpu_ok))
			continue;
		int fd = bpf_map__fd(m);
		struct cli_map_src s = {
			.name = name, .type = type, .key_size = bpf_map__key_size(m),
			.value_size = bpf_map__value_size(m), .max_entries = bpf_map__max_entries(m),
			.ncpus = ncpus, .next_key = k_next_key, .lookup = k_lookup, .pop = k_pop,
			.user = &fd,
		};
		struct bs_error err;
		json_t *theirs = cli_map_src_json(&s, &err);
		if (!theirs) {
			differ(r, "map '%s': cannot read the kernel's: %s", name, err.message);
			continue;
		}
		const json_t *a = json_object_get(jm, "entries"), *b = json_object_get(theirs, "entries");
		size_t i = 0, k = 0, na = json_array_size(a), nb = json_array_size(b);
		bool queue = type == BS_MAP_QUEUE || type == BS_MAP_STACK;
		/* both lists are sorted by key (arrays by index): merge them */
		while (i < na || k < nb) {
			const json_t *ea = json_array_get(a, i), *eb = json_array_get(b, k);
			int c = !ea ? 1 : !eb ? -1 : queue ? 0 : strcmp(entry_key(ea), entry_key(eb));
			if (c < 0) {
				differ(r, "map '%s': key %s: only bpfstep has it", name, entry_key(ea));
				i++;
			} else if (c > 0) {
				differ(r, "map '%s': key %s: only the kernel has it", name, entry_key(eb));
				k++;
			} else {
				const json_t *va = json_object_get(ea, "value"), *vb = json_object_get(eb, "value");
				if (!json_equal((json_t *)va, (json_t *)vb)) {
					char *sa = json_dumps(va, JSON_ENCODE_ANY | JSON_COMPACT);
					char *sb = json_dumps(vb, JSON_ENCODE_ANY | JSON_COMPACT);
					differ(r, "map '%s': key %s: bpfstep %s, kernel %s", name, entry_key(ea),
					       sa ? sa : "?", sb ? sb : "?");
					free(sa);
					free(sb);
				}
				i++;
				k++;
			}
		}
		json_decref(theirs);
	}
}

int cli_compare_kernel(const struct cli_compare *c, FILE *f, struct bs_error *err)
{
	struct report r = {.f = f};
	kernel_name(r.kernel, sizeof(r.kernel));
	/* bpf() at all: creating the smallest map says whether we may */
	int probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (probe < 0) {
		int e = errno;
		fprintf(f, "kernel comparison: not possible: bpf() is not permitted here (%s); it "
			"needs root, or CAP_BPF with CAP_NET_ADMIN\n", strerror(e));
		return CLI_NO_KERNEL;
	}
	close(probe);
	libbpf_log[0] = 0;
	libbpf_print_fn_t old_print = libbpf_set_print(capture);
	struct bpf_object *obj = bpf_object__open_file(c->path, NULL);
	int status = CLI_FAIL;
	uint8_t *data_out = NULL;
	cpu_set_t old_set;
	bool pinned = false;
	if (!obj) {
		bs_error_set(err, BS_ERR_ARG, "libbpf cannot open '%s': %s", c->path, strerror(errno));
		goto out;
	}
	struct bpf_program *p, *target = NULL;
	/* the program, and the programs of its type a prog_array may hold for
	 * its tail calls (libbpf fills static .values slots only with loaded
	 * programs); the others may need what this kernel lacks */
	bpf_object__for_each_program(p, obj) {
		bool me = strcmp(bpf_program__name(p), bs_prog_name(c->prog)) == 0;
		bpf_program__set_autoload(p, me || bpf_program__type(p) ==
						     (enum bpf_prog_type)bs_prog_type(c->prog));
		if (me)
			target = p;
	}
	if (!target) {
		bs_error_set(err, BS_ERR_ARG, "libbpf finds no program '%s' in '%s'",
			     bs_prog_name(c->prog), c->path);
		goto out;
	}
	if (set_initial_values(obj, c->maps_before, err))
		goto out;
	if (bpf_object__load(obj)) {
		bs_error_set(err, BS_ERR_ARG, "the kernel refuses to load '%s' (%s)",
			     bs_prog_name(c->prog), strerror(errno));
		fprintf(stderr, "%s%s", log_tail(), strchr(log_tail(), '\n') ? "" : "\n");
		snprintf(err->hint, sizeof(err->hint), "the end of libbpf's log (the verifier's "
			 "verdict) is above");
		goto out;
	}
	uint32_t kcpus = cli_kernel_ncpus();
	bool percpu_ok = kcpus == c->ncpus;
	if (!percpu_ok)
		fprintf(f, "kernel comparison: percpu maps are not compared: bpfstep keeps %u copies "
			"(--ncpus), the kernel %u\n", c->ncpus, kcpus);
	if (load_entries(obj, c->maps_before, kcpus, &r, err))
		goto out;
	/* run where bpf_get_smp_processor_id and percpu maps say bpfstep ran */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	if (sched_getaffinity(0, sizeof(old_set), &old_set) == 0 &&
	    sched_setaffinity(0, sizeof(set), &set) == 0)
		pinned = true;
	else
		fprintf(f, "kernel comparison: cannot run on CPU %u here\n", c->cpu);
	const struct bs_test_run *tr = c->tr;
	size_t out_cap = tr->data_size_in + 19 * 4096;
	uint8_t ctx_out[512] = {0};
	data_out = malloc(out_cap);
	if (!data_out) {
		bs_error_set(err, BS_ERR_NOMEM, "out of memory");
		goto out;
	}
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = tr->data_in,
		    .data_size_in = (uint32_t)tr->data_size_in, .data_out = data_out,
		    .data_size_out = (uint32_t)out_cap, .repeat = tr->repeat);
	if (tr->ctx_in) {
		opts.ctx_in = tr->ctx_in;
		opts.ctx_size_in = (uint32_t)tr->ctx_size_in;
		opts.ctx_out = ctx_out;
		opts.ctx_size_out = sizeof(ctx_out);
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(target), &opts)) {
		differ(&r, "the kernel refuses the test run (%s) that bpfstep ran", strerror(errno));
		status = CLI_DIFFERS;
		goto out;
	}
	if (opts.retval != tr->retval)
		differ(&r, "retval: bpfstep %llu, kernel %u", (unsigned long long)tr->retval,
		       opts.retval);
	bytes_differ(&r, "data_out", tr->data_out, tr->data_size_out, data_out, opts.data_size_out);
	if (tr->ctx_in)
		bytes_differ(&r, "ctx_out", tr->ctx_out, tr->ctx_size_out, ctx_out,
			     opts.ctx_size_out);
	maps_differ(&r, obj, c->maps_after, kcpus, percpu_ok);
	if (r.diffs) {
		status = CLI_DIFFERS;
	} else {
		fprintf(f, "kernel comparison: identical to the kernel (%s)%s\n", r.kernel,
			tr->ctx_in ? "" : "; ctx_out not compared: without --ctx-in the kernel "
					  "returns none");
		status = CLI_OK;
	}
out:
	if (pinned)
		sched_setaffinity(0, sizeof(old_set), &old_set);
	free(data_out);
	bpf_object__close(obj);
	libbpf_set_print(old_print);
	return status;
}

#endif
