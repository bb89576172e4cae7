/* SPDX-License-Identifier: MIT */
/* Source-level debugging information from DWARF (`clang -g`): the line
 * table mapped to linked program instructions, functions inlined into one
 * another, variables and parameters with their locations at every
 * instruction, their C types, a gdb-style value formatter and a small C
 * expression evaluator over variables.
 *
 * The object's DWARF is read once, when the object is opened; what it says
 * is checked, and anything unusable (no -g, a truncated or corrupt section,
 * split DWARF whose .dwo is elsewhere) leaves a note in bs_object_notes and
 * the object without DWARF: lines then come from BTF (.BTF.ext) or are
 * absent. docs/dwarf.md describes what is read and the limits. */
#ifndef BPFSTEP_DWARF_H
#define BPFSTEP_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfstep/error.h"
#include "bpfstep/object.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct bs_dwarf;

/* The object's DWARF, NULL when it has none that is usable. */
const struct bs_dwarf *bs_object_dwarf(const struct bs_object *obj);
/* The DWARF version of the first compile unit (2..5). */
unsigned bs_dwarf_version(const struct bs_dwarf *dw);

/* Where bs_prog_line's records come from: DWARF's .debug_line when the
 * object has it, else .BTF.ext line_info. */
enum bs_line_origin { BS_LINES_NONE, BS_LINES_BTF, BS_LINES_DWARF };
enum bs_line_origin bs_prog_line_origin(const struct bs_prog *prog);

/* ---- types ---- */
enum bs_dwarf_kind {
	BS_DW_VOID,
	BS_DW_BASE,      /* int, char, _Bool, ... (encoding: DW_ATE_*) */
	BS_DW_POINTER,
	BS_DW_STRUCT,
	BS_DW_UNION,
	BS_DW_ARRAY,     /* one dimension: int a[2][3] is an array of arrays */
	BS_DW_ENUM,
	BS_DW_TYPEDEF,
	BS_DW_CONST,
	BS_DW_VOLATILE,
	BS_DW_RESTRICT,
	BS_DW_FUNC,      /* a function type (pointed to by function pointers) */
};

struct bs_dwarf_type;

struct bs_dwarf_member {
	const char *name;                 /* "" for an anonymous struct/union */
	const struct bs_dwarf_type *type;
	uint64_t bit_pos;                 /* from the start of the struct, in bits */
	uint32_t bit_size;                /* 0 unless a bitfield */
};

struct bs_dwarf_enumerator {
	const char *name;
	int64_t value;
};

struct bs_dwarf_type {
	enum bs_dwarf_kind kind;
	const char *name;                 /* "" when anonymous */
	uint64_t size;                    /* bytes (arrays: count * element) */
	unsigned encoding;                /* BASE: DW_ATE_* */
	const struct bs_dwarf_type *target; /* pointee, element, aliased type; NULL: void */
	uint64_t count;                   /* ARRAY: elements (0: unknown, flexible) */
	bool declaration;                 /* a struct declared, not defined here */
	size_t nmembers;
	const struct bs_dwarf_member *members;
	size_t nenums;
	const struct bs_dwarf_enumerator *enums;
};

/* By C name: "struct iphdr", "union u", "enum e", a typedef or base type
 * name ("__u32", "unsigned int"); NULL if the object has none. */
const struct bs_dwarf_type *bs_dwarf_find_type(const struct bs_dwarf *dw, const char *cname);
/* The type without typedefs, const, volatile and restrict. */
const struct bs_dwarf_type *bs_dwarf_type_strip(const struct bs_dwarf_type *t);
/* The C spelling ("struct ethhdr *", "unsigned char [6]", "__u32"); returns
 * the length it needs, like snprintf. */
size_t bs_dwarf_type_name(const struct bs_dwarf_type *t, char *buf, size_t len);
/* gdb's ptype: the definition with members expanded one level
 * ("struct ethhdr {\n    unsigned char h_dest[6];\n ...\n} *"). */
size_t bs_dwarf_type_decl(const struct bs_dwarf_type *t, char *buf, size_t len);

/* ---- functions at an instruction ---- */
struct bs_dwarf_frame {
	const char *func;       /* function name */
	bool inlined;           /* inlined into the next frame */
	const char *call_file;  /* inlined: where the call is ("" unknown) */
	uint32_t call_line;
};
/* Innermost first: an instruction of parse_ipv4 inlined into xdp_main gives
 * {parse_ipv4, inlined}, {xdp_main}. Returns how many there are (may be
 * more than max). */
size_t bs_dwarf_frames(const struct bs_prog *prog, size_t pc, struct bs_dwarf_frame *out,
		       size_t max);
/* "parse_ipv4 inlined into xdp_main", or the function name; "" without
 * DWARF. Returns the length needed. */
size_t bs_dwarf_func_desc(const struct bs_prog *prog, size_t pc, char *buf, size_t len);

/* ---- variables ---- */
struct bs_dwarf_loc;  /* where a variable lives, by address range */

struct bs_dwarf_var {
	const char *name;
	const struct bs_dwarf_type *type;
	bool is_param;
	bool is_global;         /* a global or static variable (.data, .bss, ...) */
	const char *decl_file;  /* "" unknown */
	uint32_t decl_line;
	const struct bs_dwarf_loc *loc;  /* NULL: no location at all */
};

enum { BS_DW_LOCALS = 1, BS_DW_ARGS = 2 };
/* The variables in scope at pc, innermost scope first (what gdb's info
 * locals / info args list); which: BS_DW_LOCALS, BS_DW_ARGS or both.
 * Returns how many there are (may be more than max). */
size_t bs_dwarf_vars_at(const struct bs_prog *prog, size_t pc, unsigned which,
			const struct bs_dwarf_var **out, size_t max);
/* name at pc: the innermost local or parameter, else a global; NULL. */
const struct bs_dwarf_var *bs_dwarf_lookup(const struct bs_prog *prog, size_t pc,
					   const char *name);
size_t bs_dwarf_global_count(const struct bs_dwarf *dw);
const struct bs_dwarf_var *bs_dwarf_global(const struct bs_dwarf *dw, size_t i);
/* Global variable var: the map (bs_object_map_def index: .data, .bss,
 * .rodata) and offset that hold it; -1 if none does. */
int bs_dwarf_global_place(const struct bs_dwarf_var *var, size_t *map, uint64_t *off);

/* ---- values ---- */
/* How values are read and written: all guest memory goes through read and
 * write (the debugger uses bs_vm_translate, so the sandbox decides). */
struct bs_dwarf_access {
	const uint64_t *regs;   /* r0..r10 at the stop (r10: the frame pointer) */
	/* 0, or -1 when [addr, addr + len) is not accessible */
	int (*read)(void *user, uint64_t addr, void *buf, size_t len);
	/* NULL: values cannot be changed */
	int (*write)(void *user, uint64_t addr, const void *buf, size_t len);
	int (*set_reg)(void *user, int reg, uint64_t value);
	/* the guest address of byte off of global-data map `map`; -1: none */
	int (*global_addr)(void *user, size_t map, uint64_t off, uint64_t *addr);
	/* what an address points to ("pkt+14", "fp-8"), "" for none; NULL: none */
	void (*describe)(void *user, uint64_t addr, char *buf, size_t len);
	void *user;
};

enum bs_dwarf_where {
	BS_DWV_OPTIMIZED,  /* no location covers this instruction */
	BS_DWV_MEMORY,     /* at addr (an lvalue) */
	BS_DWV_REG,        /* all of it in register reg (an lvalue) */
	BS_DWV_VALUE,      /* computed (DW_OP_stack_value, pieces, an expression) */
};

#define BS_DWARF_VALUE_MAX 64

struct bs_dwarf_value {
	const struct bs_dwarf_type *type;  /* NULL: an integer of size bytes */
	enum bs_dwarf_where where;
	uint64_t addr;                     /* MEMORY */
	int reg;                           /* REG */
	uint32_t size;                     /* bytes */
	bool is_signed;                    /* type NULL: the integer's signedness */
	uint32_t bit_pos, bit_size;        /* a bitfield: its bits from addr / bytes */
	uint64_t known;                    /* REG, VALUE: bit i set = byte i known */
	uint8_t bytes[BS_DWARF_VALUE_MAX]; /* REG, VALUE: the bytes, little-endian */
	/* VALUE from pieces: the pieces that are memory, so that a member
	 * inside one of them is still an lvalue there */
	unsigned nmem;
	struct bs_dwarf_piece {
		uint32_t off, size;  /* bytes of the value */
		uint64_t addr;
	} mem[8];
};

/* var's value at pc (where BS_DWV_OPTIMIZED when no location covers pc). */
BS_MUST_CHECK int bs_dwarf_var_value(const struct bs_prog *prog, size_t pc,
				     const struct bs_dwarf_var *var, const struct bs_dwarf_access *acc,
				     struct bs_dwarf_value *out, struct bs_error *err);
/* A C expression over the variables at pc: names, numbers, 'c', $r0..$r10,
 * . -> [] * & unary - ! ~, casts to DWARF types ((struct iphdr *)p),
 * sizeof, * / % + - << >> < <= > >= == != & ^ | && || ?: and = (which
 * writes through acc). */
BS_MUST_CHECK int bs_dwarf_eval(const struct bs_prog *prog, size_t pc, const char *expr,
				const struct bs_dwarf_access *acc, struct bs_dwarf_value *out,
				struct bs_error *err);
/* The value as an integer (integers, enums, pointers, bools). */
BS_MUST_CHECK int bs_dwarf_value_int(const struct bs_dwarf_value *v,
				     const struct bs_dwarf_access *acc, int64_t *out,
				     struct bs_error *err);

enum {
	BS_DWF_HEX = 1,      /* print/x: integers in hex */
	BS_DWF_TOP = 2,      /* gdb's top level: "(struct ethhdr *) 0x..." */
};
/* gdb-style text: 8, {h_dest = "\377\377\377\377\377\377", h_source = ...,
 * h_proto = 8}, (struct ethhdr *) 0x100000000 <pkt+0>, <optimized out>,
 * <not accessible>. Returns the length needed, like snprintf. */
size_t bs_dwarf_format(const struct bs_dwarf_value *v, const struct bs_dwarf_access *acc,
		       unsigned flags, char *buf, size_t len);

/* ---- with the step engine (include/bpfstep/debug.h), at its stop: the
 * function the program is stopped in, values read through the sandbox,
 * changes made as bs_dbg_write does (re-runs repeat them) ---- */
struct bs_dbg;
/* print EXPR: the value as text (flags: BS_DWF_HEX for print/x). */
BS_MUST_CHECK int bs_dbg_c_print(struct bs_dbg *d, const char *expr, unsigned flags, char *buf,
				 size_t len, struct bs_error *err);
/* A condition (break ... if): true when the C expression is non-zero. */
BS_MUST_CHECK int bs_dbg_c_cond(struct bs_dbg *d, const char *expr, bool *truth,
				struct bs_error *err);
/* info locals / info args: "name = value" lines ("No locals." when there
 * are none, or why there are no variables). Returns the length needed. */
size_t bs_dbg_c_vars(struct bs_dbg *d, unsigned which, unsigned flags, char *buf, size_t len);
/* whatis (expand false) / ptype (true) of a type name or an expression. */
BS_MUST_CHECK int bs_dbg_c_type(struct bs_dbg *d, const char *what, bool expand, char *buf,
				size_t len, struct bs_error *err);
/* A C lvalue as the engine's watch expression: "*(u32 *)0x...", "$r3". */
BS_MUST_CHECK int bs_dbg_c_lvalue(struct bs_dbg *d, const char *expr, char *engine_expr,
				  size_t len, struct bs_error *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
