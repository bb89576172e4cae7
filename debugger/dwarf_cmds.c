// SPDX-License-Identifier: MIT
/* The REPL's C-level commands over DWARF (docs/dwarf.md): print and set of
 * C expressions, info locals / info args, ptype, whatis, and C lvalues for
 * watch. The engine's own expression language ($r1, {u32}ADDR, casts to
 * u8..u64) keeps working: an expression goes to DWARF only when it names
 * something the engine does not know. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bpfstep/dwarf.h"
#include "debugger/dwarf_cmds.h"
#include "debugger/repl_cmds.h"

static bool has_dwarf(const struct repl *r)
{
	return r->obj && bs_object_dwarf(r->obj);
}

bool repl_c_wants(const struct repl *r, const char *expr)
{
	if (!has_dwarf(r) || strchr(expr, '{'))
		return false;
	/* the engine's types and registers: u8..u64, s8..s64, $names */
	for (const char *p = expr; *p;) {
		if (isdigit((unsigned char)*p)) {
			/* a number: 0xff, 10u */
			while (isalnum((unsigned char)*p))
				p++;
		} else if (*p == '\'') {
			p++;
			if (*p == '\\' && p[1])
				p++;
			if (*p)
				p++;
			if (*p == '\'')
				p++;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			const char *s = p;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			size_t n = (size_t)(p - s);
			bool engine_type = (s[0] == 'u' || s[0] == 's') && n >= 2 && n <= 3 &&
					   isdigit((unsigned char)s[1]);
			bool after_dollar = s > expr && s[-1] == '$';
			if (!engine_type && !after_dollar)
				return true;  /* a C name */
		} else {
			p++;
		}
	}
	return false;
}

int repl_c_print(struct repl *r, const char *expr, char fmt, bool history)
{
	char buf[8192];
	struct bs_error err;
	if (bs_dbg_c_print(r->d, expr, fmt == 'x' ? BS_DWF_HEX : 0, buf, sizeof(buf), &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	if (history)
		fprintf(r->out, "$%d = %s\n", ++r->value_count, buf);
	else
		fprintf(r->out, "%s", buf);
	return 0;
}

int repl_c_set(struct repl *r, const char *expr)
{
	char buf[256];
	struct bs_error err;
	if (bs_dbg_c_print(r->d, expr, 0, buf, sizeof(buf), &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	return 0;
}

static int vars(struct repl *r, unsigned which)
{
	if (!has_dwarf(r)) {
		repl_error(r, "No symbol table info available (compile the program with clang -g).");
		return -1;
	}
	char buf[16384];
	bs_dbg_c_vars(r->d, which, 0, buf, sizeof(buf));
	fputs(buf, r->out);
	return 0;
}

int cmd_info_locals(struct repl *r, const char *args)
{
	(void)args;
	return vars(r, BS_DW_LOCALS);
}

int cmd_info_args(struct repl *r, const char *args)
{
	(void)args;
	return vars(r, BS_DW_ARGS);
}

static int type_cmd(struct repl *r, const char *args, bool expand)
{
	char buf[8192];
	struct bs_error err;
	args = repl_skip(args);
	if (!*args) {
		repl_error(r, "Argument required (one or more choice items).");
		return -1;
	}
	if (bs_dbg_c_type(r->d, args, expand, buf, sizeof(buf), &err)) {
		repl_bs_error(r, &err);
		return -1;
	}
	fprintf(r->out, "type = %s\n", buf);
	return 0;
}

int cmd_ptype(struct repl *r, const char *args)
{
	return type_cmd(r, args, true);
}

int cmd_whatis(struct repl *r, const char *args)
{
	return type_cmd(r, args, false);
}

const char *repl_c_lvalue(struct repl *r, const char *expr, char *buf, size_t len)
{
	struct bs_error err;
	if (!repl_c_wants(r, expr))
		return expr;
	if (bs_dbg_c_lvalue(r->d, expr, buf, len, &err)) {
		repl_bs_error(r, &err);
		return NULL;
	}
	return buf;
}
