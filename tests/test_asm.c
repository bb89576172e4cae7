// SPDX-License-Identifier: MIT
/* The assembler: every table row through both dialects, every conformance
 * vector, hand-checked encodings, the llvm/bpftool variants, and errors that
 * name the right line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/isa.h"
#include "vm/isa.h"

#define VECTOR_DIR BS_CONFORMANCE_DIR
#define KERNEL_TEXT BS_SOURCE_DIR "/tests/data/kernel_disasm.txt"

/* ---- helpers ---- */

static void insn_hex(const struct bs_insn *prog, size_t n, char *buf, size_t len)
{
	const uint8_t *b = (const uint8_t *)prog;
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n * 8 && at + 4 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%02x", i ? " " : "", b[i]);
}

/* Assembles text, failing the test (with the message) if it does not. */
static size_t must_asm(const char *text, struct bs_insn **out)
{
	struct bs_error err;
	size_t n = 0;
	if (bs_asm(text, "t.s", out, &n, &err)) {
		printf("bs_asm failed on \"%s\": line %d: %s\n", text, err.line, err.message);
		fail();
	}
	assert_non_null(*out);
	return n;
}

static void expect_bytes(const char *text, const char *hex)
{
	struct bs_insn *p = NULL;
	size_t n = must_asm(text, &p);
	char got[256];
	insn_hex(p, n, got, sizeof(got));
	if (strcmp(got, hex) != 0) {
		printf("\"%s\"\n  got      %s\n  expected %s\n", text, got, hex);
		fail();
	}
	free(p);
}

static void expect_error(const char *text, int line, const char *needle)
{
	struct bs_insn *p = (struct bs_insn *)&p; /* must come back NULL */
	size_t n = 99;
	struct bs_error err;
	int rc = bs_asm(text, "bad.s", &p, &n, &err);
	if (rc == 0 || err.kind != BS_ERR_PARSE || err.line != line ||
	    !strstr(err.message, needle) || strcmp(err.file, "bad.s") != 0) {
		printf("text \"%.60s\": rc %d kind %d line %d (want %d) message \"%s\" (want \"%s\")\n",
		       text, rc, err.kind, err.line, line, err.message, needle);
		fail();
	}
	assert_null(p);
	assert_int_equal(n, 0);
}

/* An instance of row op with distinctive values in the fields its form uses,
 * chosen so the kernel syntax can print them all. */
static size_t sample_row(int op, struct bs_insn out[2])
{
	const struct vm_opinfo *r = &vm_ops[op];
	unsigned used = vm_form_fields[r->form];
	memset(out, 0, 2 * sizeof(*out));
	out[0].code = r->code;
	if (used & U_DST)
		out[0].dst_reg = 3;
	if (used & U_SRC)
		out[0].src_reg = 4;
	if (used & U_OFF)
		out[0].off = -6;
	if (used & U_IMM)
		out[0].imm = -7;
	if (r->form == F_CALL_KFUNC)
		out[0].off = 0; /* the BTF fd slot; neither syntax prints it */
	if (r->form == F_GOTOL)
		out[0].imm = 70000;
	switch (r->disc) {
	case D_OFF: out[0].off = (int16_t)r->dval; break;
	case D_IMM: out[0].imm = r->dval; break;
	case D_SRC: out[0].src_reg = (uint8_t)r->dval; break;
	default: break;
	}
	if (r->form != F_LDDW)
		return 1;
	out[0].imm = 0x55667788;
	if (r->dval == 0 || r->dval == 2 || r->dval == 6)
		out[1].imm = r->dval ? 8 : 0x11223344; /* plain value, or map value offset */
	return 2;
}

/* The same instruction in the conformance dialect, written from the table. */
static void conf_text(int op, const struct bs_insn *i, char *buf, size_t len)
{
	const struct vm_opinfo *r = &vm_ops[op];
	const char *m = r->mnem;
	int d = i->dst_reg, s = i->src_reg, off = i->off, imm = i->imm;
	switch ((enum vm_form)r->form) {
	case F_ALU_K: snprintf(buf, len, "%s %%r%d, %d", m, d, imm); break;
	case F_ALU_X: case F_MOVSX: snprintf(buf, len, "%s %%r%d, %%r%d", m, d, s); break;
	case F_NEG: case F_END: snprintf(buf, len, "%s %%r%d", m, d); break;
	case F_LDX: case F_LOAD_ACQ: snprintf(buf, len, "%s %%r%d, [%%r%d%+d]", m, d, s, off); break;
	case F_ST: snprintf(buf, len, "%s [%%r%d%+d], %d", m, d, off, imm); break;
	case F_STX: case F_ATOMIC: case F_ATOMIC_FETCH: case F_XCHG: case F_CMPXCHG:
	case F_STORE_REL:
		snprintf(buf, len, "%s [%%r%d%+d], %%r%d", m, d, off, s);
		break;
	case F_LDDW:
		snprintf(buf, len, "%s %%r%d, %s 0x%llx", m, d, r->sym,
			 (unsigned long long)(((uint64_t)(uint32_t)i[1].imm << 32) | (uint32_t)imm));
		break;
	case F_LD_ABS: snprintf(buf, len, "%s %d", m, imm); break;
	case F_LD_IND: snprintf(buf, len, "%s %%r%d, %d", m, s, imm); break;
	case F_JMP_K: snprintf(buf, len, "%s %%r%d, %d, %+d", m, d, imm, off); break;
	case F_JMP_X: snprintf(buf, len, "%s %%r%d, %%r%d, %+d", m, d, s, off); break;
	case F_JA: case F_MAY_GOTO: snprintf(buf, len, "%s %+d", m, off); break;
	case F_GOTOL: case F_CALL_LOCAL: snprintf(buf, len, "%s %+d", m, imm); break;
	case F_CALL: case F_CALL_KFUNC: snprintf(buf, len, "%s %d", m, imm); break;
	case F_ADDR_SPACE_CAST:
		snprintf(buf, len, "%s %%r%d, %%r%d, %u, %u", m, d, s, (uint32_t)imm >> 16,
			 (uint32_t)imm & 0xffff);
		break;
	default: snprintf(buf, len, "%s", m); break;
	}
}

/* ---- every table row ---- */

static void test_rows_roundtrip_kernel_syntax(void **state)
{
	(void)state;
	int done = 0, skipped = 0;
	for (int op = 0; op < VM_OP__COUNT; op++) {
		struct bs_insn in[2], *out = NULL;
		size_t n = sample_row(op, in);
		char text[128], back[128], want[64], got[64];
		bs_disasm(in, n, 0, text, sizeof(text));
		if (op == VM_OP_LDDW_BTF_ID || op == VM_OP_LDDW_MAP_IDX) {
			/* bpftool prints these as plain constants: they read back as plain lddw */
			must_asm(text, &out);
			assert_int_equal(out[0].src_reg, 0);
			assert_int_equal(out[0].imm, in[0].imm);
			free(out);
			skipped++;
			continue;
		}
		size_t m = must_asm(text, &out);
		insn_hex(in, n, want, sizeof(want));
		insn_hex(out, m, got, sizeof(got));
		if (m != n || strcmp(want, got) != 0) {
			printf("%s: \"%s\" assembled to %s, expected %s\n", vm_ops[op].name, text, got, want);
			fail();
		}
		bs_disasm(out, m, 0, back, sizeof(back));
		assert_string_equal(text, back);
		free(out);
		done++;
	}
	printf("kernel syntax: %d of %d rows round-tripped, %d not printable\n", done, VM_OP__COUNT,
	       skipped);
	assert_int_equal(done + skipped, VM_OP__COUNT);
	assert_int_equal(skipped, 2);
}

static void test_rows_roundtrip_conformance_syntax(void **state)
{
	(void)state;
	int done = 0;
	for (int op = 0; op < VM_OP__COUNT; op++) {
		struct bs_insn in[2], *out = NULL;
		size_t n = sample_row(op, in);
		char text[128], want[64], got[64];
		conf_text(op, in, text, sizeof(text));
		size_t m = must_asm(text, &out);
		insn_hex(in, n, want, sizeof(want));
		insn_hex(out, m, got, sizeof(got));
		if (m != n || strcmp(want, got) != 0) {
			printf("%s: \"%s\" assembled to %s, expected %s\n", vm_ops[op].name, text, got, want);
			fail();
		}
		free(out);
		done++;
	}
	printf("conformance syntax: %d of %d rows round-tripped\n", done, VM_OP__COUNT);
	assert_int_equal(done, VM_OP__COUNT);
}

/* ---- conformance vectors ---- */

struct vector {
	char asm_text[16384];
	uint64_t raw[64];
	size_t nraw;
	bool has_raw;
};

static bool read_vector(const char *path, struct vector *v)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[1024], section[32] = "";
	size_t at = 0;
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "--", 2) == 0) {
			sscanf(line + 2, "%31s", section);
			v->has_raw |= strcmp(section, "raw") == 0;
			continue;
		}
		if (strcmp(section, "asm") == 0 && at + strlen(line) + 1 < sizeof(v->asm_text))
			at += (size_t)snprintf(v->asm_text + at, sizeof(v->asm_text) - at, "%s", line);
		if (strcmp(section, "raw") == 0) {
			char *hash = strchr(line, '#'), *p = line, *end;
			if (hash)
				*hash = 0;
			for (unsigned long long x; (x = strtoull(p, &end, 0)), end != p; p = end)
				if (v->nraw < 64)
					v->raw[v->nraw++] = x;
		}
	}
	fclose(f);
	return true;
}

static uint64_t slot_u64(const struct bs_insn *i)
{
	return (uint64_t)i->code | (uint64_t)i->dst_reg << 8 | (uint64_t)i->src_reg << 12 |
	       (uint64_t)(uint16_t)i->off << 16 | (uint64_t)(uint32_t)i->imm << 32;
}

/* Prints prog the way bpftool does and checks the listing assembles back. */
static void check_listing(const char *name, const struct bs_insn *prog, size_t n, unsigned flags)
{
	size_t cap = n * 128 + 1, at = 0;
	char *text = malloc(cap), line[256];
	assert_non_null(text);
	text[0] = 0;
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc])) {
		bs_disasm_line(prog, n, pc, flags, line, sizeof(line));
		at += (size_t)snprintf(text + at, cap - at, "%s\n", line);
	}
	struct bs_insn *out = NULL;
	size_t m = 0;
	struct bs_error err;
	if (bs_asm(text, name, &out, &m, &err)) {
		printf("%s listing line %d: %s\n%s", name, err.line, err.message, text);
		fail();
	}
	assert_int_equal(m, n);
	assert_memory_equal(out, prog, n * sizeof(*prog));
	free(out);
	free(text);
}

static bool all_rows_known(const struct bs_insn *prog, size_t n)
{
	for (size_t pc = 0; pc < n; pc += bs_insn_slots(&prog[pc]))
		if (vm_op_lookup(&prog[pc]) == VM_OP_INVALID)
			return false;
	return true;
}

static void test_conformance_vectors(void **state)
{
	(void)state;
	DIR *dir = opendir(VECTOR_DIR);
	if (!dir) {
		printf("no vectors at %s\n", VECTOR_DIR);
		fail();
	}
	static struct vector v;
	int files = 0, assembled = 0, raw = 0, listed = 0;
	for (struct dirent *e; (e = readdir(dir));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".data") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", VECTOR_DIR, e->d_name);
		assert_true(read_vector(path, &v));
		files++;
		struct bs_insn *prog = NULL;
		size_t n = 0;
		struct bs_error err;
		if (bs_asm(v.asm_text, e->d_name, &prog, &n, &err)) {
			printf("%s:%d: %s\n", err.file, err.line, err.message);
			fail();
		}
		assembled++;
		if (v.has_raw) {
			assert_int_equal(v.nraw, n);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(slot_u64(&prog[i]), v.raw[i]);
			raw++;
		}
		if (all_rows_known(prog, n)) { /* callx.data has no kernel syntax */
			check_listing(e->d_name, prog, n, 0);
			check_listing(e->d_name, prog, n, BS_DISASM_OPCODES);
			listed++;
		}
		free(prog);
	}
	closedir(dir);
	printf("vectors: %d files, %d assembled, %d compared with -- raw, %d relisted\n", files,
	       assembled, raw, listed);
	assert_int_equal(files, 313);
	assert_int_equal(assembled, files);
	assert_true(raw >= 1);
	assert_int_equal(listed, files - 1);
}

/* ---- the kernel's and bpftool's own text ---- */

/* "b7a1fcff05000000": bytes in memory order, 8 or 16 of them */
static size_t parse_bytes(const char *hex, size_t len, struct bs_insn out[2])
{
	uint8_t *b = (uint8_t *)out;
	if (len != 16 && len != 32)
		return 0;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		b[i] = (uint8_t)v;
	}
	return len / 16;
}

/* Every valid instruction of tests/data/kernel_disasm.txt (verifier log and
 * bpftool lines, with their "(code) " prefix) assembles back to its bytes;
 * BTF id and map index loads, printed as constants, come back as plain lddw. */
static void test_kernel_text_assembles_back(void **state)
{
	(void)state;
	FILE *f = fopen(KERNEL_TEXT, "r");
	if (!f) {
		printf("cannot open %s\n", KERNEL_TEXT);
		fail();
	}
	char ln[512];
	int same = 0, invalid = 0;
	while (fgets(ln, sizeof(ln), f)) {
		ln[strcspn(ln, "\r\n")] = 0;
		char *tab = strchr(ln, '\t');
		struct bs_insn in[2] = {{0}}, *out = NULL;
		struct bs_error err;
		size_t n = ln[0] != '#' && tab ? parse_bytes(ln, (size_t)(tab - ln), in) : 0;
		if (!n)
			continue;
		if (vm_op_lookup(in) == VM_OP_INVALID || bs_insn_check(in, n, 0, &err)) {
			invalid++; /* the kernel printed it, then rejected it */
			continue;
		}
		if (in[0].code == 0x18 && (in[0].src_reg == 3 || in[0].src_reg == 5))
			in[0].src_reg = 0;
		size_t m = must_asm(tab + 1, &out);
		if (m != n || memcmp(out, in, n * sizeof(*in)) != 0) {
			char got[64];
			insn_hex(out, m, got, sizeof(got));
			printf("\"%s\" (%.*s) assembled to %s\n", tab + 1, (int)(tab - ln), ln, got);
			fail();
		}
		free(out);
		same++;
	}
	fclose(f);
	printf("kernel text: %d lines assembled back, %d invalid encodings skipped\n", same, invalid);
	assert_true(same >= 1000);
}

/* ---- exact encodings, computed by hand from RFC 9669 ---- */

static void test_conformance_encodings(void **state)
{
	(void)state;
	expect_bytes("lock fetch add32 [%r10-8], %r1", "c3 1a f8 ff 01 00 00 00");
	expect_bytes("mov32 %r0, 0", "b4 00 00 00 00 00 00 00");
	expect_bytes("mov %r2, 0xffffffff", "b7 02 00 00 ff ff ff ff");
	expect_bytes("ldxw %r0, [%r1+4]", "61 10 04 00 00 00 00 00");
	expect_bytes("ldxdw %r0, [%r1]", "79 10 00 00 00 00 00 00");
	expect_bytes("stw [%r1+2], 5", "62 01 02 00 05 00 00 00");
	expect_bytes("stxdw [%r10-8], %r0", "7b 0a f8 ff 00 00 00 00");
	expect_bytes("lddw %r0, 0x1122334455667788",
		     "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11");
	expect_bytes("lddw %r1, -1", "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff");
	expect_bytes("lddw %r1, map_fd 3", "18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00");
	expect_bytes("be16 %r0", "dc 00 00 00 10 00 00 00");
	expect_bytes("le32 %r0", "d4 00 00 00 20 00 00 00");
	expect_bytes("bswap64 %r0", "d7 00 00 00 40 00 00 00");
	expect_bytes("swap16 %r3", "d7 03 00 00 10 00 00 00");
	expect_bytes("neg %r0", "87 00 00 00 00 00 00 00");
	expect_bytes("add64 %r1, 2", "07 01 00 00 02 00 00 00");
	expect_bytes("movsx832 %r0, %r1", "bc 10 08 00 00 00 00 00");
	expect_bytes("sdiv32 %r0, -3", "34 00 01 00 fd ff ff ff");
	expect_bytes("smod %r0, %r1", "9f 10 01 00 00 00 00 00");
	expect_bytes("ldxsb %r0, [%r10-1]", "91 a0 ff ff 00 00 00 00");
	expect_bytes("lock add [%r10-8], %r1", "db 1a f8 ff 00 00 00 00");
	expect_bytes("lock xchg32 [%r1+4], %r2", "c3 21 04 00 e1 00 00 00");
	expect_bytes("lock cmpxchg [%r1], %r2", "db 21 00 00 f1 00 00 00");
	expect_bytes("ldacqw %r0, [%r1+0]", "c3 10 00 00 00 01 00 00");
	expect_bytes("strelb [%r1+0], %r2", "d3 21 00 00 10 01 00 00");
	expect_bytes("ldabsh 12", "28 00 00 00 0c 00 00 00");
	expect_bytes("ldindb %r1, 2", "50 10 00 00 02 00 00 00");
	expect_bytes("jeq %r1, 0x80000000, +1", "15 01 01 00 00 00 00 80");
	expect_bytes("jne32 %r1, %r2, -3", "5e 21 fd ff 00 00 00 00");
	expect_bytes("ja32 +70000", "06 00 00 00 70 11 01 00");
	expect_bytes("may_goto +2", "e5 00 02 00 00 00 00 00");
	expect_bytes("call 5", "85 00 00 00 05 00 00 00");
	expect_bytes("call %r2", "8d 02 00 00 00 00 00 00");
	expect_bytes("call kfunc 7", "85 20 00 00 07 00 00 00");
	expect_bytes("exit", "95 00 00 00 00 00 00 00");
}

static void test_kernel_encodings(void **state)
{
	(void)state;
	expect_bytes("r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)", "db 0a f8 ff 01 00 00 00");
	expect_bytes("lock *(u32 *)(r1 +0) += r2", "c3 21 00 00 00 00 00 00");
	expect_bytes("r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)", "c3 21 00 00 f1 00 00 00");
	expect_bytes("r0 = load_acquire((u64 *)(r1 +0))", "db 10 00 00 00 01 00 00");
	expect_bytes("store_release((u8 *)(r1 +0), r2)", "d3 21 00 00 10 01 00 00");
	expect_bytes("w1 &= 7", "54 01 00 00 07 00 00 00");
	expect_bytes("r1 = *(u32 *)(r6 +76)", "61 61 4c 00 00 00 00 00");
	expect_bytes("if r3 > r2 goto pc+107", "2d 23 6b 00 00 00 00 00");
	expect_bytes("if w1 == 0x5 goto pc+3", "16 01 03 00 05 00 00 00");
	expect_bytes("call bpf_map_lookup_elem#1", "85 00 00 00 01 00 00 00");
	expect_bytes("call bpf_ktime_get_ns", "85 00 00 00 05 00 00 00");
	expect_bytes("call pc+3", "85 10 00 00 03 00 00 00");
	expect_bytes("call kernel-function#7", "85 20 00 00 07 00 00 00");
	expect_bytes("r1 = map[id:3][0]+8", "18 21 00 00 03 00 00 00 00 00 00 00 08 00 00 00");
	expect_bytes("r1 = map[idx:2]", "18 51 00 00 02 00 00 00 00 00 00 00 00 00 00 00");
	expect_bytes("r1 = map[idx:2]+4", "18 61 00 00 02 00 00 00 00 00 00 00 04 00 00 00");
	expect_bytes("r1 = addr_space_cast(r2, 1, 0)", "bf 21 01 00 00 00 01 00");
	expect_bytes("r1 = subprog[+5]", "18 41 00 00 05 00 00 00 00 00 00 00 00 00 00 00");
	expect_bytes("r0 = 0x1122334455667788", "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11");
	expect_bytes("r0 = be16 r0", "dc 00 00 00 10 00 00 00");
	expect_bytes("r0 = bswap32 r0", "d7 00 00 00 20 00 00 00");
	expect_bytes("r0 = (s16)r1", "bf 10 10 00 00 00 00 00");
	expect_bytes("w0 s%= w1", "9c 10 01 00 00 00 00 00");
	expect_bytes("r0 s>>= 3", "c7 00 00 00 03 00 00 00");
	expect_bytes("r0 = -r0", "87 00 00 00 00 00 00 00");
	expect_bytes("goto pc-1", "05 00 ff ff 00 00 00 00");
	expect_bytes("gotol pc+70000", "06 00 00 00 70 11 01 00");
	expect_bytes("may_goto pc+2", "e5 00 02 00 00 00 00 00");
	expect_bytes("r0 = *(u16 *)skb[12]", "28 00 00 00 0c 00 00 00");
	expect_bytes("r0 = *(u8 *)skb[r1 + 2]", "50 10 00 00 02 00 00 00");
	expect_bytes("*(u64 *)(r10 -8) = -1", "7a 0a f8 ff ff ff ff ff");
	expect_bytes("r1 = 5", "b7 01 00 00 05 00 00 00");
	expect_bytes("r1 = -5", "b7 01 00 00 fb ff ff ff");
	expect_bytes("r1 = 4294967295", "18 01 00 00 ff ff ff ff 00 00 00 00 00 00 00 00");
	expect_bytes("w1 = 0xffffffff", "b4 01 00 00 ff ff ff ff");
	expect_bytes("callx r3", "8d 03 00 00 00 00 00 00");
}

/* llvm-objdump and bpftool spellings, and what the disassembler makes of them */
static void test_variants(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"r1 = 5 ll", "r1 = 0x5"},
		{"r1 = 0x5", "r1 = 0x5"},
		{"*(u32 *)(r1 + 4) = r2", "*(u32 *)(r1 +4) = r2"},
		{"*(u32 *)(r10 - 4) = w2", "*(u32 *)(r10 -4) = r2"},
		{"w0 = *(u8 *)(r1 + 0)", "r0 = *(u8 *)(r1 +0)"},
		{"r0 = *(s8 *)(r1 - 0x10)", "r0 = *(s8 *)(r1 -16)"},
		{"if r1 > 0x5 goto +3", "if r1 > 0x5 goto pc+3"},
		{"if r1 s> r2 goto -0x5 <LBB0_1>", "if r1 s> r2 goto pc-5"},
		{"goto +0x10 <LBB0_4>", "goto pc+16"},
		{"call 5", "call bpf_ktime_get_ns#5"},
		{"call unknown#999", "call unknown#999"},
		{"w0 = w1", "w0 = w1"},
		{"w0 = -w0", "w0 = -w0"},
		{"w0 = (s8)w1", "w0 = (s8)w1"},
		{"r0 = xchg_64(r1 + 8, r0)", "r0 = atomic64_xchg((u64 *)(r1 +8), r0)"},
		{"w0 = cmpxchg32_32(r1 + 0, w0, w2)", "r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)"},
		{"w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)",
		 "r2 = atomic_fetch_or((u32 *)(r1 +0), r2)"},
		{"lock *(u64 *)(r1 + 8) ^= r3", "lock *(u64 *)(r1 +8) ^= r3"},
		{"r0 = *(u8 *)skb[r1]", "r0 = *(u8 *)skb[r1 + 0]"},
		{"  12: (b7) r1 = 0x5", "r1 = 5"},
		{"  12: (18) r1 = 5", "r1 = 0x5"},
		{"(bf) r1 = r10", "r1 = r10"},
		{"       0:\tb7 01 00 00 05 00 00 00\tr1 = 0x5", "r1 = 5"},
		{"       0:\t18 01 00 00 05 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0x5 ll", "r1 = 0x5"},
		{"  3: (85) call bpf_map_lookup_elem#1 ; comment", "call bpf_map_lookup_elem#1"},
		{"call bpf_trace_printk#6 # a comment", "call bpf_trace_printk#6"},
		{"mov %r0, 1 // comment", "r0 = 1"},
		{"mov %r0, 1 ; comment", "r0 = 1"},
		{"lock  fetch   add32 [ %r1 + 4 ] , %r2", "r2 = atomic_fetch_add((u32 *)(r1 +4), r2)"},
		{"r1 = map[idx:2]+4", "r1 = map[idx:2]+4"},
		{"r1 = map[idx:2][0]+4", "r1 = map[idx:2]+4"},
		{"r1 = map[idx:2]", "r1 = 0x2"},
		{"r1 = addr_space_cast(r2, 0, 1)", "r1 = addr_space_cast(r2, 0, 1)"},
		{"lddw %r1, map_value 0x400000003", "r1 = map[id:3][0]+4"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bs_insn *p = NULL;
		size_t n = must_asm(cases[i][0], &p);
		char text[128];
		bs_disasm(p, n, 0, text, sizeof(text));
		if (strcmp(text, cases[i][1]) != 0) {
			printf("\"%s\" became \"%s\", expected \"%s\"\n", cases[i][0], text, cases[i][1]);
			fail();
		}
		free(p);
	}
}

/* ---- labels ---- */

static void test_labels(void **state)
{
	(void)state;
	/* "exit" names the first exit; lddw counts two slots */
	expect_bytes("mov %r0, 0\njeq %r0, 0, exit\nlddw %r1, 1\nexit\nexit",
		     "b7 00 00 00 00 00 00 00 15 00 02 00 00 00 00 00 18 01 00 00 01 00 00 00 "
		     "00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
	/* a defined "exit" label wins over the convention */
	expect_bytes("ja exit\nexit\nexit: exit",
		     "05 00 01 00 00 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
	expect_bytes("call local f\nexit\nf: mov %r0, 1\nexit",
		     "85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 b7 00 00 00 01 00 00 00 "
		     "95 00 00 00 00 00 00 00");
	expect_bytes("back:\nja32 back", "06 00 00 00 ff ff ff ff");
	expect_bytes("L1: L2: ja L2", "05 00 ff ff 00 00 00 00");
	/* C-like with labels, a helper name vs a subprogram label */
	expect_bytes("if r1 == 0 goto out\nr0 = 1\nout:\nexit",
		     "15 01 01 00 00 00 00 00 b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00");
	expect_bytes("call sub\nexit\nsub: exit",
		     "85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
	expect_bytes("r1 = subprog[f]\nexit\nf: exit",
		     "18 41 00 00 02 00 00 00 00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00 "
		     "95 00 00 00 00 00 00 00");
	expect_bytes("mov %r0, 0\r\nja +0\r\nexit\r\n",
		     "b7 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
}

/* A jump over `gap` slots to a label, in either direction. */
static char *far_jump(size_t gap, bool backward)
{
	size_t cap = gap * 12 + 64, at = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	at += (size_t)snprintf(text, cap, "%s", backward ? "L:\n" : "ja L\n");
	for (size_t i = 0; i < gap; i++)
		at += (size_t)snprintf(text + at, cap - at, "mov %%r0, 0\n");
	snprintf(text + at, cap - at, "%s", backward ? "ja L\n" : "L: exit\n");
	return text;
}

static void test_offset_limits(void **state)
{
	(void)state;
	struct bs_insn *p = NULL;
	char *text = far_jump(32767, false);
	size_t n = must_asm(text, &p);
	assert_int_equal(n, 32769);
	assert_int_equal(p[0].off, 32767);
	free(p);
	free(text);
	text = far_jump(32767, true); /* ja at 32767 back to 0: -32768 */
	n = must_asm(text, &p);
	assert_int_equal(p[n - 1].off, -32768);
	free(p);
	free(text);
	text = far_jump(32768, false);
	expect_error(text, 1, "jump offset 32768 to 'L' does not fit in 16 bits");
	free(text);
	expect_error("jeq %r1, 0, +40000", 1, "jump offset +40000 does not fit in 16 bits");
	expect_error("ldxw %r0, [%r1+40000]", 1, "offset +40000 does not fit in 16 bits");
	expect_error("mov %r0, 0x100000000", 1, "immediate 0x100000000 does not fit in 32 bits");
	expect_error("mov %r0, -2147483649", 1, "does not fit in 32 bits");
	expect_bytes("mov %r0, -2147483648", "b7 00 00 00 00 00 00 80");
	expect_error("lddw %r0, 0x10000000000000000", 1, "does not fit in 64 bits");
	expect_error("lddw %r0, -9223372036854775809", 1, "does not fit in 64 bits");
	expect_bytes("lddw %r0, -9223372036854775808",
		     "18 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80");
}

/* ---- errors ---- */

static void test_errors(void **state)
{
	(void)state;
	expect_error("mov %r0, 1\naddd32 %r0, 1\n", 2, "unknown mnemonic 'addd32'");
	expect_error("lock addd [%r1], %r2", 1, "unknown mnemonic 'lock addd'");
	expect_error("exit\n\nmov x5, 1", 3, "expected a register like %r1 or r1, got 'x5'");
	expect_error("mov %r11, 1", 1, "got '%r11'");
	expect_error("r11 = 1", 1, "got 'r11'");
	expect_error("ja foo\nexit", 1, "undefined label 'foo'");
	expect_error("call local nowhere", 1, "undefined label 'nowhere'");
	expect_error("ja exit", 1, "undefined label 'exit'");
	expect_error("x:\nexit\nx: exit", 3, "label 'x' is already defined on line 1");
	expect_error("exit\nlddw %r0", 2, "expected ','");
	expect_error("exit\nlddw %r0,", 2, "expected a 64-bit immediate, got end of line");
	expect_error("mov %r0, 1, 2", 1, "unexpected ','");
	expect_error("lock add32 [%r1+0], 5", 1, "expected a register");
	expect_error("ldxw %r0, %r1", 1, "expected '[', got '%r1'");
	expect_error("*(u128 *)(r1 +0) = 1", 1, "expected a size like u32, got 'u128'");
	expect_error("*(s8 *)(r1 +0) = 1", 1, "expected a size like u32, got 's8'");
	expect_error("r1 = -r2", 1, "expected r1 again (the operation works in place), got 'r2'");
	expect_error("r1 = be16 r2", 1, "expected r1 again");
	expect_error("r1 = be17 r1", 1, "expected 16, 32 or 64, got '17'");
	expect_error("if r1 ~ 3 goto +1", 1, "expected a comparison");
	expect_error("if r1 == 3 +1", 1, "expected 'goto'");
	expect_error("r1 = *(u8 *)skb[1]", 1, "this instruction works on r0 only, not r1");
	expect_error("r2 = atomic_fetch_add((u64 *)(r1 +0), r3)", 1, "expected r2 again (the operation works in place), got 'r3'");
	expect_error("mov %r0, 0\r\nexit\r\nbogus\r\n", 3, "unknown mnemonic 'bogus'");
	expect_error("\x01\x02@@@", 1, "expected an instruction");
	expect_error("exit\n)(*&^%$", 2, "expected an instruction");
	expect_error("mov %r0, 0x", 1, "expected a number");
	expect_error("mov %r0, 12abc", 1, "expected a number");
	expect_error("r1 = map[fd:3]", 1, "expected 'id', got 'fd:3'");
	expect_error("call bpf_no_such_helper", 1, "undefined label 'bpf_no_such_helper'");
	expect_error("w1 += r2", 1, "expected a w register (32-bit operation), got 'r2'");
	expect_error("if r1 > w2 goto +1", 1, "expected an r register (64-bit operation), got 'w2'");
	expect_error("w1 = 0x5 ll", 1, "unexpected 'll'");
	expect_error("exitx", 1, "unknown mnemonic 'exitx'");
	expect_error("exit 5", 1, "unexpected '5' after the instruction");
	expect_error("goto", 1, "expected a jump target like +3, pc-2 or a label, got end of line");
	expect_error("lock fetch addd [%r1], %r2", 1, "unknown mnemonic 'lock fetch addd'");
	expect_error("r0 = atomic_cmpxchg((u32 *)(r1 +0), r1, r2)", 1, "works on r0 only, not r1");
	expect_error("ldxw %r0, [%r1+4", 1, "expected ']', got end of line");
	expect_error("r1 = addr_space_cast(r2, 70000, 1)", 1, "address space 70000 does not fit");
}

static void test_long_and_odd_input(void **state)
{
	(void)state;
	size_t len = 200000;
	char *text = malloc(len + 32);
	assert_non_null(text);
	strcpy(text, "mov %r0, ");
	memset(text + 9, 'x', len);
	text[9 + len] = 0;
	expect_error(text, 1, "got 'xxxxxxxx");
	struct bs_error err;
	struct bs_insn *p = NULL;
	size_t n;
	assert_int_not_equal(bs_asm(text, "t.s", &p, &n, &err), 0);
	assert_true(strlen(err.message) < 100);
	memset(text, 'a', len); /* one huge mnemonic, then a huge label */
	text[len] = 0;
	expect_error(text, 1, "unknown mnemonic 'aaaa");
	text[len - 1] = ':';
	assert_int_equal(bs_asm(text, "t.s", &p, &n, &err), 0);
	assert_int_equal(n, 0);
	free(p);
	free(text);
	/* empty input: an empty but freeable program */
	assert_int_equal(bs_asm("# nothing\n\n", NULL, &p, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_non_null(p);
	free(p);
	assert_int_equal(bs_asm(NULL, "x", &p, &n, &err), -1);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_int_equal(bs_asm("exit", "x", NULL, &n, &err), -1);
	assert_int_equal(bs_asm("exit", "x", &p, &n, NULL), 0); /* err is optional */
	free(p);
}

/* Random edits of real programs must fail cleanly or succeed, never crash
 * (run under -Db_sanitize=address,undefined). */
static void test_mutations_never_crash(void **state)
{
	(void)state;
	static const char *const seeds[] = {
		"mov32 %r0, 0\nldxw %r0, [%r1+4]\njeq %r1, 5, L\nlock fetch add [%r10-8], %r1\n"
		"lddw %r0, 0x1122334455667788\nL: call local f\nf: exit\n",
		"r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)\nif w1 == 0x5 goto pc+3\n"
		"r1 = map[id:3][0]+8\ncall bpf_map_lookup_elem#1\nr0 = *(u8 *)skb[r1 + 2]\n"
		"  12: (b7) r1 = 0x5\nr0 = cmpxchg32_32(r1 + 0, w0, w2)\nexit\n",
	};
	static const char alphabet[] = "%r0123456789[]()+-*,:#;/ \n\tx<>=swlabcdefgpu";
	uint32_t seed = 12345;
	char buf[512];
	for (int iter = 0; iter < 40000; iter++) {
		const char *s = seeds[iter % 2];
		size_t len = strlen(s);
		memcpy(buf, s, len + 1);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 3) {
			case 0: buf[at] = alphabet[(seed >> 4) % (sizeof(alphabet) - 1)]; break;
			case 1: buf[at] = (char)(seed >> 3); break;
			default: buf[at] = 0; len = at ? at : 1; break;
			}
		}
		struct bs_insn *p = NULL;
		size_t n = 0;
		struct bs_error err;
		if (bs_asm(buf, "fuzz", &p, &n, &err) == 0)
			free(p);
		else
			assert_true(err.kind == BS_ERR_PARSE && err.line >= 1 && p == NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_roundtrip_kernel_syntax),
		cmocka_unit_test(test_rows_roundtrip_conformance_syntax),
		cmocka_unit_test(test_conformance_vectors),
		cmocka_unit_test(test_kernel_text_assembles_back),
		cmocka_unit_test(test_conformance_encodings),
		cmocka_unit_test(test_kernel_encodings),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_offset_limits),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_and_odd_input),
		cmocka_unit_test(test_mutations_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
