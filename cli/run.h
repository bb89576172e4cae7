/* SPDX-License-Identifier: MIT */
/* The parts of `bpfstep run`: the fake environment's options, map contents
 * as JSON, BTF-typed values, the report (JSON or text) and the comparison
 * with the running kernel. */
#ifndef BS_CLI_RUN_H
#define BS_CLI_RUN_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/cli.h"

/* Exit status of --compare-kernel when the run matched nothing to compare
 * against: bpf() is not permitted here (docs/run.md). */
enum { CLI_NO_KERNEL = 3, CLI_DIFFERS = 4 };

/* ---- the environment (run_env.c) ---- */

struct cli_env {
	struct bs_env env;
	uint32_t ncpus;     /* 0: not given */
	bool cpu_given;
};

void cli_env_default(struct cli_env *e);
/* Applies one option (its long name without "--") to e; -1 with a message
 * in why when the value is bad, 1 when name is not an environment option. */
int cli_env_option(struct cli_env *e, const char *name, const char *arg, char *why, size_t len);

/* The execution and environment options `run` and `replay` share, for
 * their getopt tables (every one maps to ID). */
#define CLI_SHARED_LONGOPTS(ID)                                                       \
	{"engine", required_argument, NULL, ID},                                      \
	{"jit-unchecked", no_argument, NULL, ID},                                     \
	{"budget", required_argument, NULL, ID},                                      \
	{"dispatch", required_argument, NULL, ID},                                    \
	{"time-ns", required_argument, NULL, ID},                                     \
	{"seed", required_argument, NULL, ID},                                        \
	{"cpu", required_argument, NULL, ID},                                         \
	{"ncpus", required_argument, NULL, ID},                                       \
	{"numa-node", required_argument, NULL, ID},                                   \
	{"pid-tgid", required_argument, NULL, ID},                                    \
	{"uid-gid", required_argument, NULL, ID},                                     \
	{"comm", required_argument, NULL, ID},                                        \
	{"fib", required_argument, NULL, ID}

struct cli_raw_opts;
/* Applies one of CLI_SHARED_LONGOPTS (its long name without "--"); -1 with
 * the usage message in why when the value is bad. */
int cli_shared_option(struct cli_raw_opts *opts, struct cli_env *e, const char *name,
		      const char *arg, char *why, size_t len);

/* ---- map contents as JSON (map_json.c) ---- */

/* How one map's entries are read: from bpfstep's maps or from the kernel's. */
struct cli_map_src {
	const char *name;
	uint32_t type, key_size, value_size, max_entries;
	uint32_t ncpus;  /* copies of a percpu value */
	int (*next_key)(void *user, const void *key, void *next);
	int (*lookup)(void *user, const void *key, void *value);
	/* queue / stack: remove the next element into value (0, or -ENOENT) */
	int (*pop)(void *user, void *value);
	/* queue / stack: put back what pop took, in pop order */
	int (*push)(void *user, const void *value);
	void *user;
};

bool cli_map_is_percpu(uint32_t type);
/* One map as {"type", "key_size", "value_size", "max_entries", "entries"};
 * NULL with err on failure. */
json_t *cli_map_src_json(const struct cli_map_src *src, struct bs_error *err);
/* Every map of the set, keyed by name; with obj, BTF-typed "formatted"
 * entries and program names for prog_array values. */
json_t *cli_maps_json(struct bs_maps *maps, uint32_t ncpus, const struct bs_object *obj,
		      struct bs_error *err);
/* Loads {"map": {...}} (see docs/run.md) into the maps; src names the
 * input in messages. */
int cli_maps_load(struct bs_maps *maps, uint32_t ncpus, const struct bs_object *obj,
		  const json_t *root, const char *src, struct bs_error *err);
int cli_maps_load_file(struct bs_maps *maps, uint32_t ncpus, const struct bs_object *obj,
		       const char *path, struct bs_error *err);
/* --map-update NAME:KEYHEX:VALHEX (a percpu value: one CPU's, for all, or
 * every CPU's one after the other) */
int cli_map_update_arg(struct bs_maps *maps, uint32_t ncpus, const char *arg,
		       struct bs_error *err);
/* The map called name, or the one global-data map whose name ends in name
 * (".bss"); NULL with err naming the maps there are. */
struct bs_map *cli_find_map(struct bs_maps *maps, const char *name, struct bs_error *err);
/* Writes j to path ("-": stdout), indented, with a final newline. */
int cli_json_write_file(const json_t *j, const char *path, struct bs_error *err);
/* Lower-case hex of n bytes as a JSON string. */
json_t *cli_json_hex(const void *data, size_t n);
/* A JSON string of hex digits into exactly want bytes. */
int cli_hex_exact(const char *text, size_t want, uint8_t *out, const char *what,
		  struct bs_error *err);

/* ---- BTF-typed values (btf_value.c) ---- */

/* The object's BTF key/value types of map i (0 when unknown). */
void cli_map_btf_types(const struct bs_object *obj, const char *map, uint32_t *key,
		       uint32_t *value);
/* Reads where global variables sit in path (libbpf fills in what .BTF
 * leaves 0); NULL forgets it. Without it global data has no typed form. */
void cli_btf_set_object(const char *path);
/* data (size bytes) as bpftool's "formatted" JSON; NULL if not printable. */
json_t *cli_btf_to_json(const struct bs_btf *btf, uint32_t type, const uint8_t *data,
			size_t size);
/* j, typed by BTF type, into data (size bytes, zeroed first); -1 with why. */
int cli_btf_from_json(const struct bs_btf *btf, uint32_t type, const json_t *j, uint8_t *data,
		      size_t size, char *why, size_t len);

/* ---- the report (run_report.c) ---- */

struct cli_trace {
	char **line;
	size_t n;
};
void cli_trace_add(void *user, const char *text);
void cli_trace_free(struct cli_trace *t);

struct cli_report {
	bool object;                 /* FILE.o, or --raw with --type */
	int rc;
	struct bs_error err;
	uint64_t retval, insns;
	uint32_t repeat;
	bool show_duration;
	uint64_t duration_ns;
	const uint8_t *data_out, *ctx_out;  /* NULL: none */
	size_t data_len, ctx_len;
	struct cli_trace trace;
	struct bs_maps *maps;               /* NULL: none */
	uint32_t ncpus;
	const struct bs_object *obj;        /* NULL for raw programs */
	const struct bs_prog *prog;
	const struct bs_test_run *tr;       /* redirect, clones */
};

json_t *cli_report_json(const struct cli_report *r);
/* The name of a return value for the program type ("XDP_DROP", "TC_ACT_OK",
 * "TC_ACT_UNSPEC"); NULL where the type or the value has none. */
const char *cli_verdict_name(enum bs_prog_type t, uint64_t retval);
/* "bpf_redirect", "bpf_redirect_map", ...: the helper that set a redirect. */
const char *cli_redirect_how(enum bs_redirect_kind k);
void cli_report_text(FILE *f, const struct cli_report *r);

/* Adds the source line of err's instruction (the line table's) to err,
 * unless it has one (cmd_run.c). */
void cli_add_source_line(const struct bs_prog *prog, struct bs_error *err);

/* ---- --compare-kernel (compare_kernel.c) ---- */

struct cli_compare {
	const char *path;                  /* the object file */
	const struct bs_prog *prog;
	const json_t *maps_before;         /* the contents the run started from */
	const struct bs_test_run *tr;      /* inputs, and bpfstep's outputs */
	const json_t *maps_after;          /* bpfstep's, after the run */
	uint32_t ncpus, cpu;
};
/* The number of possible CPUs of this machine (what percpu values hold in
 * the kernel); 0 when unknown. */
uint32_t cli_kernel_ncpus(void);
/* Runs the program in the kernel and prints every difference to f. Returns
 * CLI_OK (identical), CLI_DIFFERS, CLI_NO_KERNEL or CLI_FAIL (err set). */
int cli_compare_kernel(const struct cli_compare *c, FILE *f, struct bs_error *err);

#endif
