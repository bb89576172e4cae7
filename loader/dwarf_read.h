/* SPDX-License-Identifier: MIT */
/* Reading DWARF at load time (loader/dwarf_read.c) and mapping it to the
 * linked programs (loader/dwarf_lines.c). */
#ifndef BS_LOADER_DWARF_READ_H
#define BS_LOADER_DWARF_READ_H

#include "loader/dwarf_private.h"
#include "loader/parse.h"

/* A row of .debug_line, address as DW_ADDR. */
struct dw_row {
	uint64_t addr;
	const char *file;  /* normalized path, in the model's arena */
	uint32_t line, col;
	bool stmt, end_seq;
};

/* A debug section as libdwarf will see it (relocated). */
struct dw_sec_view {
	const char *name;
	uint8_t *data;
	uint64_t size;
};

/* loader/dwarf_check.c: 0, or -1 with why when a section libdwarf would
 * read past its end is malformed. */
BS_HIDDEN int ldr_dwarf_check(const struct dw_sec_view *secs, size_t n, char *why, size_t wlen);

/* The object's DWARF (*out NULL and 0 when it has none); -1 with why when
 * it is unusable. rows: malloc'd, in .debug_line order. */
BS_HIDDEN int ldr_dwarf_read(struct ldr_ctx *c, struct bs_dwarf **out, struct dw_row **rows,
			     size_t *nrows, char *why, size_t wlen);
/* After linking: reads the DWARF, maps it to every program, replaces BTF
 * lines by DWARF lines where there are some; a note when it is unusable. */
BS_HIDDEN void ldr_dwarf_load(struct ldr_ctx *c);

#endif
