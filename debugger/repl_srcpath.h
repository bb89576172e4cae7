/* SPDX-License-Identifier: MIT */
/* Where the REPL finds source files (debugger/repl_srcpath.c). */
#ifndef BS_DEBUGGER_REPL_SRCPATH_H
#define BS_DEBUGGER_REPL_SRCPATH_H

#include <stdbool.h>
#include <stdio.h>

#include "debugger/repl.h"

/* --source-dir DIR, `directory DIR`: searched after the compiled path. */
int repl_add_source_dir(struct repl *r, const char *dir);
/* `set substitute-path FROM TO`: FROM at the start of a compiled path. */
int repl_add_substitute(struct repl *r, const char *from, const char *to);
int repl_set_substitute(struct repl *r, const char *args);
void repl_srcpath_free(struct repl *r);
/* The source file as compiled at file, wherever it is now (found: the path
 * opened, may be NULL); NULL when it is nowhere. */
FILE *repl_open_source(struct repl *r, const char *file, char *found, size_t len);
/* Line `line` of that file (without its newline); false if not found. */
bool repl_file_line(struct repl *r, const char *file, unsigned line, char *buf, size_t len);
int cmd_directory(struct repl *r, const char *args);

#endif
