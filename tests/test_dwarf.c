// SPDX-License-Identifier: MIT
/* DWARF (include/bpfstep/dwarf.h): the line table on the linked programs,
 * inlined functions, variables and their locations at breakpoints, typed
 * printing, C expressions, and objects whose DWARF is absent, split, or
 * damaged. Expected values are computed here from the packet bytes and the
 * source text, never copied from a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/debug.h"
#include "bpfstep/dwarf.h"
#include "tests/testutil.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	*len = 0;
	if (!f)
		return NULL;
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	*len = fread(buf, 1, cap, f);
	fclose(f);
	return buf;
}

/* The number of the source line that contains marker. */
static unsigned line_of(const char *src, const char *marker)
{
	char path[512], text[512];
	snprintf(path, sizeof(path), "%s/%s", BS_SOURCE_DIR, src);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	unsigned n = 0, found = 0;
	while (fgets(text, sizeof(text), f)) {
		n++;
		if (!found && strstr(text, marker))
			found = n;
	}
	fclose(f);
	assert_true(found > 0);
	return found;
}

/* The text of line n of src, without its newline. */
static void source_line(const char *path, unsigned n, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (!f)
		return;
	char text[1024];
	for (unsigned i = 1; fgets(text, sizeof(text), f); i++)
		if (i == n) {
			text[strcspn(text, "\n")] = 0;
			snprintf(out, len, "%s", text);
			break;
		}
	fclose(f);
}

static struct bs_object *open_obj(const char *dir, const char *name)
{
	char path[512];
	struct bs_object *o;
	struct bs_error err;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bs_object_open(path, &o, &err))
		fail_msg("%s: %s", path, err.message);
	return o;
}

/* ---- the line table ---- */

/* Every example: DWARF lines, sorted, on instructions of the program, and
 * each line's text (from BTF) is the text of that line of the source. */
static void test_lines_examples(void **state)
{
	(void)state;
	const char *names[] = {"xdp_firewall", "pkt_counter", "subprogs", "globals", "sock_filter",
			       "dispatch", "events"};
	size_t checked = 0;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char obj[64];
		snprintf(obj, sizeof(obj), "%s.bpf.o", names[k]);
		struct bs_object *o = open_obj(BS_EXAMPLES_OBJ_DIR, obj);
		const struct bs_dwarf *dw = bs_object_dwarf(o);
		assert_non_null(dw);
		assert_int_equal(bs_dwarf_version(dw), 5);
		assert_null(strstr(bs_object_notes(o), "DWARF"));
		for (size_t p = 0; p < bs_object_prog_count(o); p++) {
			const struct bs_prog *prog = bs_object_prog(o, p);
			size_t n;
			bs_prog_insns(prog, &n);
			assert_int_equal(bs_prog_line_origin(prog), BS_LINES_DWARF);
			assert_true(bs_prog_line_count(prog) > 0);
			for (size_t i = 0; i < bs_prog_line_count(prog); i++) {
				const struct bs_line *l = bs_prog_line(prog, i);
				assert_true(l->insn < n);
				if (i)
					assert_true(l->insn > bs_prog_line(prog, i - 1)->insn);
				if (!l->line || !l->src[0] || !strstr(l->file, "examples/"))
					continue;
				char want[1024];
				source_line(l->file, l->line, want, sizeof(want));
				assert_string_equal(l->src, want);
				checked++;
			}
			/* the program's first instruction is on its function's line or after */
			char marker[96];
			snprintf(marker, sizeof(marker), " %s(", bs_prog_name(prog));
			char src[96];
			snprintf(src, sizeof(src), "examples/%s.bpf.c", names[k]);
			unsigned decl = line_of(src, marker);
			const struct bs_line *first = bs_prog_line(prog, 0);
			assert_int_equal(first->insn, 0);
			/* unless a function inlined into the program comes first */
			struct bs_dwarf_frame fr[8];
			size_t nf = bs_dwarf_frames(prog, 0, fr, 8);
			assert_true(nf >= 1 && nf <= 8);
			assert_string_equal(fr[nf - 1].func, bs_prog_name(prog));
			assert_false(fr[nf - 1].inlined);
			if (nf == 1)
				assert_true(first->line >= decl && first->line < decl + 30);
			else
				assert_true(fr[0].inlined && fr[0].call_line > decl);
		}
		bs_object_close(o);
	}
	assert_true(checked > 100);
}

/* Subprograms keep their lines after linking: every function placed in a
 * program starts with a line of that function (from its DWARF scope). */
static void test_lines_subprograms(void **state)
{
	(void)state;
	struct bs_object *o = open_obj(BS_EXAMPLES_OBJ_DIR, "subprogs.bpf.o");
	for (size_t p = 0; p < bs_object_prog_count(o); p++) {
		const struct bs_prog *prog = bs_object_prog(o, p);
		assert_true(bs_prog_func_count(prog) > 1);
		for (size_t f = 0; f < bs_prog_func_count(prog); f++) {
			const struct bs_func *fn = bs_prog_func(prog, f);
			char desc[128];
			bs_dwarf_func_desc(prog, fn->start, desc, sizeof(desc));
			assert_string_equal(desc, fn->name);
			const struct bs_line *at = NULL;
			for (size_t i = 0; i < bs_prog_line_count(prog); i++)
				if (bs_prog_line(prog, i)->insn == fn->start)
					at = bs_prog_line(prog, i);
			assert_non_null(at);
			char marker[96];
			snprintf(marker, sizeof(marker), " %s(", fn->name);
			unsigned decl = line_of("examples/subprogs.bpf.c", marker);
			assert_true(at->line >= decl && at->line < decl + 6);
		}
	}
	bs_object_close(o);
}

/* ---- a debugging session on tests/data/dwarf/vars.c ---- */

struct sess {
	struct bs_object *obj;
	const struct bs_prog *prog;
	struct bs_dbg *d;
	uint8_t pkt[74];
};

static int make_maps(void *user, struct bs_maps **out, struct bs_error *err)
{
	struct sess *s = user;
	return bs_object_create_maps(s->obj, 1, out, err);
}

/* An IPv4/TCP frame from 192.0.2.66, ttl 65, tos 0x10, id 0x1234, DF. */
static void make_packet(uint8_t *p)
{
	static const uint8_t hdr[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
		0x45, 0x10, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x41, 0x06, 0x00, 0x00,
		0xc0, 0x00, 0x02, 0x42, 0xc6, 0x33, 0x64, 0x07,
	};
	memset(p, 0, 74);
	memcpy(p, hdr, sizeof(hdr));
	p[36] = 0x30, p[37] = 0x39, p[38] = 0x00, p[39] = 0x50;  /* ports 12345 -> 80 */
}

static void open_sess(struct sess *s, const char *obj)
{
	struct bs_error err;
	memset(s, 0, sizeof(*s));
	s->obj = open_obj(BS_LOADER_OBJ_DIR, obj);
	assert_int_equal(bs_object_find_prog(s->obj, "xdp_vars", &s->prog, &err), 0);
	make_packet(s->pkt);
	struct bs_dbg_config cfg = {.prog = s->prog, .make_maps = make_maps, .user = s,
				    .data_in = s->pkt, .data_size_in = sizeof(s->pkt)};
	assert_int_equal(bs_dbg_new(&cfg, &s->d, &err), 0);
}

static void close_sess(struct sess *s)
{
	bs_dbg_free(s->d);
	bs_object_close(s->obj);
}

static void run_to(struct sess *s, const char *marker)
{
	char loc[64];
	int id;
	struct bs_error err;
	struct bs_dbg_stop stop;
	snprintf(loc, sizeof(loc), "vars.c:%u", line_of("tests/data/dwarf/vars.c", marker));
	if (bs_dbg_break(s->d, loc, true, NULL, &id, &err))
		fail_msg("break %s: %s", loc, err.message);
	assert_int_equal(bs_dbg_run(s->d, &stop, &err), 0);
	assert_int_equal(stop.reason, BS_DBG_BREAK);
}

static const char *print(struct sess *s, const char *expr, unsigned flags)
{
	static char buf[4096];
	struct bs_error err;
	if (bs_dbg_c_print(s->d, expr, flags, buf, sizeof(buf), &err))
		snprintf(buf, sizeof(buf), "error: %s", err.message);
	return buf;
}

/* "name = value" of info locals / info args, "" if absent. */
static const char *var_line(const char *vars, const char *name, char *out, size_t len)
{
	char want[64];
	snprintf(want, sizeof(want), "%s = ", name);
	out[0] = 0;
	for (const char *l = vars; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (strncmp(l, want, strlen(want)) == 0)
			snprintf(out, len, "%.*s", (int)(n - strlen(want)), l + strlen(want));
		l += n + (e ? 1 : 0);
	}
	return out;
}

struct expect {
	const char *name;
	char value[128];
};

/* Each local that has a location has the value the packet gives. */
static size_t check_locals(struct sess *s, const struct expect *ex, size_t n)
{
	char vars[8192], got[256];
	bs_dbg_c_vars(s->d, BS_DW_LOCALS | BS_DW_ARGS, 0, vars, sizeof(vars));
	size_t checked = 0;
	for (size_t i = 0; i < n; i++) {
		var_line(vars, ex[i].name, got, sizeof(got));
		if (!got[0])
			fail_msg("%s is not listed:\n%s", ex[i].name, vars);
		if (strcmp(got, "<optimized out>") == 0)
			continue;
		if (strcmp(got, ex[i].value) != 0)
			fail_msg("%s = %s, the packet says %s", ex[i].name, got, ex[i].value);
		checked++;
	}
	if (getenv("BS_TEST_VERBOSE"))
		printf("%s", vars);
	return checked;
}

static void vars_session(const char *obj)
{
	struct sess s;
	open_sess(&s, obj);
	const uint8_t *p = s.pkt;
	uint32_t saddr;
	memcpy(&saddr, p + 26, 4);
	unsigned ttl = p[22], proto = p[23], tos = p[15], ihl = p[14] & 15, version = p[14] >> 4;
	unsigned id = (unsigned)p[18] << 8 | p[19];
	int delta = (int)(ttl & 0xf) - 8;
	unsigned df = !!(p[20] & 0x40);
	int r = (int)proto + (int)(ttl & 1) * 256;
	char want[256];

	/* inside the inlined parser */
	run_to(&s, "@PROTO");
	struct bs_dbg_stop st;
	struct bs_error serr;
	assert_int_equal(bs_dbg_stepi(s.d, 1, &st, &serr), 0);  /* proto is loaded */
	char desc[128];
	bs_dwarf_func_desc(s.prog, bs_dbg_last_stop(s.d)->pc, desc, sizeof(desc));
	assert_string_equal(desc, "parse_ipv4 inlined into xdp_vars");
	struct expect in_parse[] = {{"proto", ""}};
	snprintf(in_parse[0].value, sizeof(in_parse[0].value), "%u '\\%03o'", proto, proto);
	assert_int_equal(check_locals(&s, in_parse, 1), 1);
	/* the caller's locals are not in scope in the inlined function */
	assert_string_equal(print(&s, "fl", 0), "error: No symbol \"fl\" in current context.");

	/* at the end: every local with a location has its value */
	run_to(&s, "@END");
	uint32_t x = saddr ^ (id << 3);
	struct expect end[] = {{"saddr", ""}, {"r", ""}, {"fl", ""}, {"v", ""}, {"m", ""}};
	snprintf(end[0].value, sizeof(end[0].value), "%u", saddr);
	snprintf(end[1].value, sizeof(end[1].value), "%d", r);
	snprintf(end[2].value, sizeof(end[2].value),
		 "{ihl = %u, version = %u, delta = %d, df = %u, tos = %u '\\%03o', id = %u}", ihl,
		 version, delta, df, tos, tos, id);
	snprintf(end[3].value, sizeof(end[3].value), "%s", proto == 6 ? "V_DROP" : "V_PASS");
	snprintf(end[4].value, sizeof(end[4].value), "%u", x + 1);
	assert_true(check_locals(&s, end, 5) >= 2);
	snprintf(want, sizeof(want), "{packets = 1, last_saddr = %u, last = %s, tag = \"dwrf\"}",
		 saddr, end[3].value);
	assert_string_equal(print(&s, "totals", 0), want);
	snprintf(want, sizeof(want), "%zu", sizeof(s.pkt));
	assert_string_equal(print(&s, "seen_bytes", 0), want);

	/* fl lives on the stack (volatile, in pieces): there from its stores on */
	assert_string_equal(print(&s, "fl", 0), end[2].value);
	snprintf(want, sizeof(want), "%d", delta);
	assert_string_equal(print(&s, "fl.delta", 0), want);
	snprintf(want, sizeof(want), "0x%x", id);
	assert_string_equal(print(&s, "fl.id", BS_DWF_HEX), want);
	/* packet headers by C name */
	snprintf(want, sizeof(want), "%u", saddr);
	assert_string_equal(print(&s, "ip->saddr", 0), want);
	snprintf(want, sizeof(want), "0x%x", proto);
	assert_string_equal(print(&s, "ip->protocol", BS_DWF_HEX), want);
	snprintf(want, sizeof(want), "%u", (unsigned)(p[12] | p[13] << 8));
	assert_string_equal(print(&s, "eth->h_proto", 0), want);
	char eth[512];
	snprintf(eth, sizeof(eth),
		 "{h_dest = \"\\%03o\\000\\000\\000\\000\\001\", h_source = "
		 "\"\\%03o\\000\\000\\000\\000\\002\", h_proto = %u}",
		 p[0], p[6], (unsigned)(p[12] | p[13] << 8));
	assert_string_equal(print(&s, "*eth", 0), eth);
	assert_string_equal(print(&s, "eth + 1 == ip", 0), "1");
	assert_string_equal(print(&s, "(__u8 *)ip - (__u8 *)eth", 0), "14");
	snprintf(want, sizeof(want), "%u '%c'", ttl, ttl);  /* 65 'A' */
	assert_string_equal(print(&s, "((struct iphdr *)(eth + 1))->ttl", 0), want);
	assert_string_equal(print(&s, "ip->ihl * 4 + sizeof(struct ethhdr)", 0), "34");
	/* the pointer itself: type, address and where it points */
	const char *ptr = print(&s, "eth", 0);
	assert_true(strncmp(ptr, "(struct ethhdr *) 0x", 20) == 0);
	assert_non_null(strstr(ptr, "<pkt>") ?: strstr(ptr, "<pkt+0>"));
	/* outside every region */
	assert_string_equal(print(&s, "*(struct ethhdr *)16", 0), "<not accessible>");
	/* globals, their types from DWARF, and writing them */
	assert_string_equal(print(&s, "totals.tag", 0), "\"dwrf\"");
	assert_string_equal(print(&s, "totals.last_saddr = 77", 0), "77");
	assert_string_equal(print(&s, "totals.last_saddr", 0), "77");
	assert_string_equal(print(&s, "fl.delta = -3", 0), "-3");
	assert_string_equal(print(&s, "fl.delta", 0), "-3");
	snprintf(want, sizeof(want), "%u", version);
	assert_string_equal(print(&s, "fl.version", 0), want);  /* the neighbour bits are intact */
	assert_string_equal(print(&s, "nosuch", 0), "error: No symbol \"nosuch\" in current context.");
	assert_string_equal(print(&s, "fl.nosuch", 0), "error: There is no member named nosuch.");
	/* conditions */
	bool t;
	char cond[64];
	snprintf(cond, sizeof(cond), "ip->saddr == %u && fl.df", saddr);
	assert_int_equal(bs_dbg_c_cond(s.d, cond, &t, &(struct bs_error){0}), 0);
	assert_true(t);
	assert_int_equal(bs_dbg_c_cond(s.d, "fl.ihl != 5", &t, &(struct bs_error){0}), 0);
	assert_false(t);
	/* types */
	char ty[1024];
	struct bs_error err;
	assert_int_equal(bs_dbg_c_type(s.d, "eth", false, ty, sizeof(ty), &err), 0);
	assert_string_equal(ty, "struct ethhdr *");
	assert_int_equal(bs_dbg_c_type(s.d, "fl", false, ty, sizeof(ty), &err), 0);
	assert_string_equal(ty, "volatile struct flags");
	assert_int_equal(bs_dbg_c_type(s.d, "struct flags", true, ty, sizeof(ty), &err), 0);
	assert_string_equal(ty, "struct flags {\n    unsigned int ihl : 4;\n    unsigned int version : 4;\n"
				"    int delta : 5;\n    unsigned int df : 1;\n    unsigned char tos;\n"
				"    unsigned short id;\n}");
	assert_int_equal(bs_dbg_c_type(s.d, "eth->h_dest", false, ty, sizeof(ty), &err), 0);
	assert_string_equal(ty, "unsigned char [6]");
	/* a watch expression for the engine */
	char wexpr[64];
	assert_int_equal(bs_dbg_c_lvalue(s.d, "totals.packets", wexpr, sizeof(wexpr), &err), 0);
	assert_true(strncmp(wexpr, "*(u64 *)0x", 10) == 0);
	int wid;
	assert_int_equal(bs_dbg_watch(s.d, wexpr, BS_REGION_WRITE, NULL, &wid, &err), 0);
	struct bs_dbg_stop stop;
	assert_int_equal(bs_dbg_run(s.d, &stop, &err), 0);
	assert_int_equal(stop.reason, BS_DBG_WATCH);
	assert_string_equal(print(&s, "totals.packets", 0), "1");
	assert_int_equal(bs_dbg_delete(s.d, wid, &err), 0);

	/* the subprogram: its arguments */
	run_to(&s, "@MIX");
	char args[1024], a[64], b[64];
	bs_dbg_c_vars(s.d, BS_DW_ARGS, 0, args, sizeof(args));
	snprintf(want, sizeof(want), "%u", saddr);
	var_line(args, "a", a, sizeof(a));
	var_line(args, "b", b, sizeof(b));
	if (strcmp(a, "<optimized out>") != 0)
		assert_string_equal(a, want);
	snprintf(want, sizeof(want), "%u", id);
	if (strcmp(b, "<optimized out>") != 0)
		assert_string_equal(b, want);
	assert_true(strcmp(a, "<optimized out>") != 0 || strcmp(b, "<optimized out>") != 0);
	close_sess(&s);
}

static void test_vars_dwarf5(void **state)
{
	(void)state;
	vars_session("dwarf_vars5.o");
}

static void test_vars_dwarf4(void **state)
{
	(void)state;
	vars_session("dwarf_vars4.o");
}

/* A variable no location covers prints as <optimized out>, and the
 * variables the compiler kept nowhere are still listed. */
static void test_optimized_out(void **state)
{
	(void)state;
	struct bs_object *o = open_obj(BS_EXAMPLES_OBJ_DIR, "xdp_firewall.bpf.o");
	const struct bs_prog *prog = bs_object_prog(o, 0);
	size_t n, found = 0;
	bs_prog_insns(prog, &n);
	uint64_t regs[11] = {0};
	struct bs_dwarf_access acc = {.regs = regs};
	for (size_t pc = 0; pc < n; pc++) {
		const struct bs_dwarf_var *v[32];
		size_t nv = bs_dwarf_vars_at(prog, pc, BS_DW_LOCALS | BS_DW_ARGS, v, 32);
		assert_true(nv >= 6);
		for (size_t i = 0; i < nv && i < 32; i++) {
			struct bs_dwarf_value val;
			struct bs_error err;
			char text[256];
			assert_int_equal(bs_dwarf_var_value(prog, pc, v[i], &acc, &val, &err), 0);
			bs_dwarf_format(&val, &acc, 0, text, sizeof(text));
			if (strcmp(v[i]->name, "data") == 0) {
				/* clang keeps `data` nowhere: it is eth */
				assert_null(v[i]->loc);
				assert_string_equal(text, "<optimized out>");
				found++;
			}
			if (strcmp(v[i]->name, "drops") == 0 && pc == 0)
				assert_string_equal(text, "<optimized out>");
		}
	}
	assert_int_equal(found, n);
	bs_object_close(o);
}

/* Printing struct and bitfield values from bytes, without a run. */
static int mem_read(void *user, uint64_t addr, void *buf, size_t len)
{
	const uint8_t *m = user;
	if (addr < 0x1000 || addr + len > 0x1000 + 64)
		return -1;
	memcpy(buf, m + (addr - 0x1000), len);
	return 0;
}

static void test_format_types(void **state)
{
	(void)state;
	struct bs_object *o = open_obj(BS_LOADER_OBJ_DIR, "dwarf_vars5.o");
	const struct bs_dwarf *dw = bs_object_dwarf(o);
	const struct bs_dwarf_type *fl = bs_dwarf_find_type(dw, "struct flags");
	assert_non_null(fl);
	assert_int_equal(fl->size, 8);
	assert_int_equal(fl->nmembers, 6);
	assert_int_equal(fl->members[2].bit_pos, 8);
	assert_int_equal(fl->members[2].bit_size, 5);
	/* ihl 9, version 3, delta -16, df 1, tos 'x', id 513 laid out by hand */
	uint8_t mem[64] = {0};
	uint32_t bits = 9u | 3u << 4 | (uint32_t)(-16 & 0x1f) << 8 | 1u << 13;
	memcpy(mem, &bits, 4);
	mem[2] = 'x';                /* tos: the byte after the 14 bits */
	mem[4] = 0x01, mem[5] = 0x02;  /* id: the next 2-byte boundary */
	struct bs_dwarf_access acc = {.read = mem_read, .user = mem};
	struct bs_dwarf_value v = {.type = fl, .where = BS_DWV_MEMORY, .addr = 0x1000, .size = 8};
	char text[512];
	bs_dwarf_format(&v, &acc, 0, text, sizeof(text));
	assert_string_equal(text, "{ihl = 9, version = 3, delta = -16, df = 1, tos = 120 'x', id = 513}");
	bs_dwarf_format(&v, &acc, BS_DWF_HEX, text, sizeof(text));
	assert_string_equal(text, "{ihl = 0x9, version = 0x3, delta = 0x10, df = 0x1, tos = 0x78, "
				  "id = 0x201}");
	/* the same bytes as a value in pieces (registers) */
	struct bs_dwarf_value r = {.type = fl, .where = BS_DWV_VALUE, .size = 8, .known = 0xff};
	memcpy(r.bytes, mem, 8);
	bs_dwarf_format(&r, &acc, 0, text, sizeof(text));
	assert_string_equal(text, "{ihl = 9, version = 3, delta = -16, df = 1, tos = 120 'x', id = 513}");
	r.known = 0x0f;  /* a piece the compiler did not keep: id */
	bs_dwarf_format(&r, &acc, 0, text, sizeof(text));
	assert_string_equal(text, "{ihl = 9, version = 3, delta = -16, df = 1, tos = 120 'x', "
				  "id = <optimized out>}");
	r.known = 0;
	bs_dwarf_format(&r, &acc, 0, text, sizeof(text));
	assert_string_equal(text, "<optimized out>");
	v.addr = 0x1000 + 60;  /* runs off the readable bytes */
	bs_dwarf_format(&v, &acc, 0, text, sizeof(text));
	assert_string_equal(text, "<not accessible>");
	/* enums and arrays with repeats */
	const struct bs_dwarf_type *st = bs_dwarf_find_type(dw, "struct stats");
	assert_non_null(st);
	memset(mem, 0, sizeof(mem));
	mem[0] = 3;
	mem[12] = 7;
	memcpy(mem + 16, "ab\0\0", 4);
	struct bs_dwarf_value sv = {.type = st, .where = BS_DWV_MEMORY, .addr = 0x1000};
	bs_dwarf_format(&sv, &acc, 0, text, sizeof(text));
	assert_string_equal(text, "{packets = 3, last_saddr = 0, last = V_ODD, tag = \"ab\\000\"}");
	char name[128];
	bs_dwarf_type_name(st->members[3].type, name, sizeof(name));
	assert_string_equal(name, "unsigned char [4]");
	assert_null(bs_dwarf_find_type(dw, "struct nosuch"));
	assert_non_null(bs_dwarf_find_type(dw, "__u32"));
	assert_non_null(bs_dwarf_find_type(dw, "unsigned int"));
	assert_non_null(bs_dwarf_find_type(dw, "enum verdict"));
	bs_object_close(o);
}

/* ---- objects without usable DWARF ---- */

static void test_no_dwarf(void **state)
{
	(void)state;
	/* no -g: no DWARF, no BTF, nothing to note */
	struct bs_object *o = open_obj(BS_LOADER_OBJ_DIR, "dwarf_vars_nog.o");
	assert_null(bs_object_dwarf(o));
	assert_int_equal(bs_prog_line_origin(bs_object_prog(o, 0)), BS_LINES_NONE);
	assert_null(strstr(bs_object_notes(o), "DWARF"));
	assert_int_equal(bs_dwarf_vars_at(bs_object_prog(o, 0), 0, 3, NULL, 0), 0);
	bs_object_close(o);
	/* split DWARF: the .dwo is not read; lines come from BTF */
	o = open_obj(BS_LOADER_OBJ_DIR, "dwarf_vars_split.o");
	assert_null(bs_object_dwarf(o));
	assert_non_null(strstr(bs_object_notes(o), "split DWARF"));
	assert_int_equal(bs_prog_line_origin(bs_object_prog(o, 0)), BS_LINES_BTF);
	bs_object_close(o);
}

/* Section header of the section called name in an ELF64 image. */
static uint8_t *shdr_of(uint8_t *img, size_t size, const char *name)
{
	uint64_t shoff;
	uint16_t shnum, shstrndx;
	memcpy(&shoff, img + 0x28, 8);
	memcpy(&shnum, img + 0x3c, 2);
	memcpy(&shstrndx, img + 0x3e, 2);
	assert_true(shoff + (uint64_t)shnum * 64 <= size);
	uint64_t stroff;
	memcpy(&stroff, img + shoff + (uint64_t)shstrndx * 64 + 0x18, 8);
	for (uint16_t i = 0; i < shnum; i++) {
		uint8_t *sh = img + shoff + (uint64_t)i * 64;
		uint32_t nm;
		memcpy(&nm, sh, 4);
		if (strcmp((char *)img + stroff + nm, name) == 0)
			return sh;
	}
	return NULL;
}

/* Everything the library offers, on whatever loaded. */
static void exercise(struct bs_object *o)
{
	uint64_t regs[11] = {0};
	struct bs_dwarf_access acc = {.regs = regs};
	for (size_t p = 0; p < bs_object_prog_count(o); p++) {
		const struct bs_prog *prog = bs_object_prog(o, p);
		size_t n;
		bs_prog_insns(prog, &n);
		for (size_t pc = 0; pc < n; pc++) {
			const struct bs_dwarf_var *v[64];
			char text[512];
			size_t nv = bs_dwarf_vars_at(prog, pc, 3, v, 64);
			bs_dwarf_func_desc(prog, pc, text, sizeof(text));
			for (size_t i = 0; i < nv && i < 64; i++) {
				struct bs_dwarf_value val;
				struct bs_error err;
				if (!bs_dwarf_var_value(prog, pc, v[i], &acc, &val, &err))
					bs_dwarf_format(&val, &acc, 0, text, sizeof(text));
				bs_dwarf_type_decl(v[i]->type, text, sizeof(text));
			}
		}
	}
}

static void open_mutant(const uint8_t *img, size_t size, size_t *with_dwarf, size_t *noted)
{
	struct bs_object *o;
	struct bs_error err;
	if (bs_object_open_mem("mutant.o", img, size, &o, &err))
		return;  /* the mutation hit something the loader needs */
	if (bs_object_dwarf(o)) {
		(*with_dwarf)++;
		exercise(o);
	} else {
		assert_non_null(strstr(bs_object_notes(o), "DWARF is unusable"));
		(*noted)++;
	}
	bs_object_close(o);
}

static void test_broken_dwarf(void **state)
{
	(void)state;
	char path[512];
	size_t size = 0;
	snprintf(path, sizeof(path), "%s/dwarf_vars5.o", BS_LOADER_OBJ_DIR);
	uint8_t *orig = slurp(path, &size);
	assert_non_null(orig);
	uint8_t *img = malloc(size);
	size_t with = 0, noted = 0;

	/* .debug_info cut short, at many lengths: a note, lines from BTF */
	memcpy(img, orig, size);
	uint8_t *sh = shdr_of(img, size, ".debug_info");
	assert_non_null(sh);
	uint64_t info_size;
	memcpy(&info_size, sh + 0x20, 8);
	for (uint64_t cut = 0; cut < info_size; cut += cut < 64 ? 1 : 37) {
		memcpy(img, orig, size);
		memcpy(sh + 0x20, &cut, 8);
		struct bs_object *o;
		struct bs_error err;
		assert_int_equal(bs_object_open_mem("cut.o", img, size, &o, &err), 0);
		if (!bs_object_dwarf(o)) {
			assert_non_null(strstr(bs_object_notes(o), "DWARF is unusable"));
			assert_int_equal(bs_prog_line_origin(bs_object_prog(o, 0)), BS_LINES_BTF);
			noted++;
		} else {
			exercise(o);
		}
		bs_object_close(o);
	}
	assert_true(noted > 0);

	/* random bytes in each debug section, deterministic */
	const char *secs[] = {".debug_info", ".debug_abbrev", ".debug_line", ".debug_loclists",
			      ".debug_str_offsets", ".debug_addr", ".debug_rnglists", ".debug_str"};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (size_t k = 0; k < sizeof(secs) / sizeof(secs[0]); k++) {
		for (int round = 0; round < 60; round++) {
			memcpy(img, orig, size);
			uint8_t *s = shdr_of(img, size, secs[k]);
			assert_non_null(s);
			uint64_t off, len;
			memcpy(&off, s + 0x18, 8);
			memcpy(&len, s + 0x20, 8);
			for (int m = 0; m < 1 + round % 4 && len; m++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				img[off + seed % len] = (uint8_t)(seed >> 40);
			}
			open_mutant(img, size, &with, &noted);
		}
	}
	assert_true(with > 0);
	free(img);
	free(orig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_examples),
		cmocka_unit_test(test_lines_subprograms),
		cmocka_unit_test(test_vars_dwarf5),
		cmocka_unit_test(test_vars_dwarf4),
		cmocka_unit_test(test_optimized_out),
		cmocka_unit_test(test_format_types),
		cmocka_unit_test(test_no_dwarf),
		cmocka_unit_test(test_broken_dwarf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
