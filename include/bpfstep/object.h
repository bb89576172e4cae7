/* SPDX-License-Identifier: MIT */
/* BPF ELF objects: the programs, subprograms and maps that `clang -target bpf`
 * writes, loaded the way libbpf loads them. */
#ifndef BPFSTEP_OBJECT_H
#define BPFSTEP_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct bs_object;
struct bs_prog;

/* Program types, numbered as the kernel's enum bpf_prog_type. */
enum bs_prog_type {
	BS_PROG_UNSPEC = 0,
	BS_PROG_SOCKET_FILTER = 1,
	BS_PROG_KPROBE = 2,
	BS_PROG_SCHED_CLS = 3,
	BS_PROG_SCHED_ACT = 4,
	BS_PROG_TRACEPOINT = 5,
	BS_PROG_XDP = 6,
	BS_PROG_PERF_EVENT = 7,
	BS_PROG_CGROUP_SKB = 8,
	BS_PROG_CGROUP_SOCK = 9,
	BS_PROG_LWT_IN = 10,
	BS_PROG_LWT_OUT = 11,
	BS_PROG_LWT_XMIT = 12,
	BS_PROG_SOCK_OPS = 13,
	BS_PROG_SK_SKB = 14,
	BS_PROG_CGROUP_DEVICE = 15,
	BS_PROG_SK_MSG = 16,
	BS_PROG_RAW_TRACEPOINT = 17,
	BS_PROG_CGROUP_SOCK_ADDR = 18,
	BS_PROG_LWT_SEG6LOCAL = 19,
	BS_PROG_LIRC_MODE2 = 20,
	BS_PROG_SK_REUSEPORT = 21,
	BS_PROG_FLOW_DISSECTOR = 22,
	BS_PROG_CGROUP_SYSCTL = 23,
	BS_PROG_RAW_TRACEPOINT_WRITABLE = 24,
	BS_PROG_CGROUP_SOCKOPT = 25,
	BS_PROG_TRACING = 26,
	BS_PROG_STRUCT_OPS = 27,
	BS_PROG_EXT = 28,
	BS_PROG_LSM = 29,
	BS_PROG_SK_LOOKUP = 30,
	BS_PROG_SYSCALL = 31,
	BS_PROG_NETFILTER = 32,
};

/* A function of a linked program: its first instruction and its name. */
struct bs_func {
	size_t start;
	const char *name;
};

/* Reads and parses path. Everything is checked; a malformed object gives
 * BS_ERR_PARSE naming the section and file offset. */
BS_MUST_CHECK int bs_object_open(const char *path, struct bs_object **out, struct bs_error *err);
/* Same, from memory (buf is copied); name is used in messages. */
BS_MUST_CHECK int bs_object_open_mem(const char *name, const void *buf, size_t size,
				     struct bs_object **out, struct bs_error *err);
void bs_object_close(struct bs_object *obj);

const char *bs_object_name(const struct bs_object *obj);     /* file name without .o */
const char *bs_object_license(const struct bs_object *obj);  /* "" if none */
uint32_t bs_object_kversion(const struct bs_object *obj);    /* "version" section, or 0 */

size_t bs_object_prog_count(const struct bs_object *obj);
const struct bs_prog *bs_object_prog(const struct bs_object *obj, size_t i);
/* By function name or by section name; NULL name: the only program.
 * Errors list the programs there are. */
BS_MUST_CHECK int bs_object_find_prog(const struct bs_object *obj, const char *name,
				      const struct bs_prog **out, struct bs_error *err);

const char *bs_prog_name(const struct bs_prog *prog);
/* The object the program belongs to; NULL for one from bs_prog_new_raw. */
const struct bs_object *bs_prog_object(const struct bs_prog *prog);
const char *bs_prog_section(const struct bs_prog *prog);
enum bs_prog_type bs_prog_type(const struct bs_prog *prog);
/* The program type as bpftool prints it: "xdp", "sched_cls", ... */
const char *bs_prog_type_name(enum bs_prog_type type);
/* The linked instructions: the program, then every subprogram it calls. Map
 * references are lddw with src_reg BS_PSEUDO_MAP_FD / BS_PSEUDO_MAP_VALUE and
 * imm = the map's index in the object (see bs_object_map_count). */
const struct bs_insn *bs_prog_insns(const struct bs_prog *prog, size_t *n);
/* Functions of the linked program, in instruction order; [0] is the program. */
size_t bs_prog_func_count(const struct bs_prog *prog);
const struct bs_func *bs_prog_func(const struct bs_prog *prog, size_t i);

/* Source lines from .BTF.ext line_info, moved to the linked instructions:
 * each record applies from insn until the next record. */
struct bs_line {
	size_t insn;
	const char *file;  /* as the compiler saw it */
	const char *src;   /* the line's text, "" if the object has none */
	uint32_t line, col;
};
size_t bs_prog_line_count(const struct bs_prog *prog);
const struct bs_line *bs_prog_line(const struct bs_prog *prog, size_t i);
/* What loading ignored, one line each ("" if nothing): an unusable .BTF or
 * .BTF.ext, map pinning. */
const char *bs_object_notes(const struct bs_object *obj);

/* Maps the object defines: BTF maps (.maps), legacy maps ("maps") and global
 * data (.data, .rodata*, .bss), in the order lddw imm numbers them. */
struct bs_map_def;
size_t bs_object_map_count(const struct bs_object *obj);
const struct bs_map_def *bs_object_map_def(const struct bs_object *obj, size_t i);
/* Initial contents of a global-data map (NULL for other maps and .bss). */
const void *bs_object_map_init(const struct bs_object *obj, size_t i, size_t *size);
/* Static initial values of a BTF-defined prog_array, array_of_maps or
 * hash_of_maps (`.values = { [key] = &x }`), as libbpf sets them after
 * creating the maps: value is the index of a program (bs_object_prog order)
 * or of a map of the object (bs_object_map_def order). NULL, *n = 0 when
 * there are none. */
struct bs_map_init_value {
	uint32_t key;
	uint32_t value;
};
const struct bs_map_init_value *bs_object_map_init_values(const struct bs_object *obj, size_t i,
							  size_t *n);
/* The inner map template of a map of maps (`__array(values, struct X)`,
 * named "OUTER.inner"), for bs_maps_create_with_inner; NULL otherwise. */
const struct bs_map_def *bs_object_map_inner(const struct bs_object *obj, size_t i);

/* The object's BTF (NULL without a usable .BTF); lives as long as obj. */
struct bs_btf;
const struct bs_btf *bs_object_btf(const struct bs_object *obj);
/* The BTF types of map i's key and value, as libbpf gives them to the
 * kernel: __type(key/value, T) of a BTF-defined map, the section's DATASEC
 * as the value of a global-data map (no key type); 0 when unknown. */
void bs_object_map_btf(const struct bs_object *obj, size_t i, uint32_t *key_type,
		       uint32_t *value_type);

/* A program of bare instructions (no object: bs_prog_object gives NULL,
 * bs_prog_section ""), to run as type. The instructions are copied; name
 * (NULL: "raw") names it in messages. Free it with bs_prog_free. */
BS_MUST_CHECK int bs_prog_new_raw(const struct bs_insn *insns, size_t n, enum bs_prog_type type,
				  const char *name, struct bs_prog **out, struct bs_error *err);
/* Frees a program from bs_prog_new_raw (an object's programs are freed by
 * bs_object_close: for them this does nothing). */
void bs_prog_free(struct bs_prog *prog);
/* The type bpftool prints as name ("xdp", "sched_cls", "kprobe",
 * "raw_tracepoint", ...; see bs_prog_type_name): 0, or -1 if none is. */
BS_MUST_CHECK int bs_prog_type_by_name(const char *name, enum bs_prog_type *out);

/* Known section names, for messages and --help: "xdp, tc, ..." */
const char *bs_object_known_sections(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
