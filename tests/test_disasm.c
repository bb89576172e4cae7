// SPDX-License-Identifier: MIT
/* The disassembler against the kernel's own text.
 *
 * tests/data/kernel_disasm.txt holds, for over a thousand instructions, the
 * bytes and the line the kernel printed for them (verifier log of Linux 6.18,
 * and bpftool for map and subprogram references); it is written by
 * tests/tools/kernel_disasm_golden.c. Every line must come out of bs_disasm
 * exactly, the lines of the instructions the verifier printed and then
 * rejected included. The kernel writes the "(code) " prefix in the same printf as the
 * text, except for the encodings it calls BUG_ ("BUG_c3", no prefix), and
 * the comparison builds the line the same way.
 *
 * bs_disasm_line is held to bpftool's `prog dump xlated [opcodes]` output,
 * copied verbatim from runs of bpftool v7.1.0 on that kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bpfstep/isa.h"

#ifndef BS_SOURCE_DIR
#error "BS_SOURCE_DIR must name the source root"
#endif

#define GOLDEN BS_SOURCE_DIR "/tests/data/kernel_disasm.txt"
/* The file holds over a thousand; fewer than this means it is truncated. */
#define GOLDEN_MIN_LINES 500

#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}

/* ---------------------------------------------------------------- helpers */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "b701000005000000" -> one instruction; 32 digits -> two. Returns the
 * slot count, 0 on a malformed field. */
static size_t parse_hex(const char *hex, size_t len, struct bs_insn out[2])
{
	if (len != 16 && len != 32)
		return 0;
	uint8_t bytes[16];
	for (size_t k = 0; k < len / 2; k++) {
		int hi = hexval(hex[2 * k]), lo = hexval(hex[2 * k + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		bytes[k] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, bytes, len / 2);
	return len / 16;
}

/* The line as the kernel's print_bpf_insn writes it: "(code) TEXT", or the
 * bare text for the BUG_ forms. */
static void kernel_style(const struct bs_insn *prog, size_t n, char *line, size_t len)
{
	char text[256];
	int r = bs_disasm(prog, n, 0, text, sizeof(text));
	assert_true(r >= 0);
	assert_int_equal((size_t)r, strlen(text));
	if (!strncmp(text, "BUG_", 4))
		snprintf(line, len, "%s", text);
	else
		snprintf(line, len, "(%02x) %s", prog[0].code, text);
}

/* ----------------------------------------------------------- golden file */

static void test_kernel_golden(void **state)
{
	(void)state;
	/* the file is in memory order; so is struct bs_insn on the hosts we run on */
	struct bs_insn probe[2];
	assert_int_equal(parse_hex("b7a1fcff05000000", 16, probe), 1);
	assert_int_equal(probe[0].code, 0xb7);
	assert_int_equal(probe[0].dst_reg, 1);
	assert_int_equal(probe[0].src_reg, 10);
	assert_int_equal(probe[0].off, -4);
	assert_int_equal(probe[0].imm, 5);

	FILE *f = fopen(GOLDEN, "r");
	if (!f)
		fail_msg("cannot open %s", GOLDEN);
	char ln[512];
	size_t lineno = 0, checked = 0, mismatches = 0, malformed = 0;
	while (fgets(ln, sizeof(ln), f)) {
		lineno++;
		size_t l = strlen(ln);
		while (l && (ln[l - 1] == '\n' || ln[l - 1] == '\r'))
			ln[--l] = 0;
		if (!l || ln[0] == '#')
			continue;
		char *tab = strchr(ln, '\t');
		struct bs_insn prog[2];
		size_t n = tab ? parse_hex(ln, (size_t)(tab - ln), prog) : 0;
		if (!n) {
			printf("%s:%zu: malformed line: %s\n", GOLDEN, lineno, ln);
			malformed++;
			continue;
		}
		const char *want = tab + 1;
		char got[300];
		kernel_style(prog, n, got, sizeof(got));
		checked++;
		if (strcmp(got, want)) {
			printf("mismatch %.*s\n  kernel: %s\n  ours:   %s\n", (int)(tab - ln), ln,
			       want, got);
			mismatches++;
		}
	}
	fclose(f);
	printf("%zu kernel lines checked, %zu mismatches, %zu malformed\n", checked, mismatches,
	       malformed);
	fflush(stdout);
	assert_int_equal(malformed, 0);
	assert_true(checked >= GOLDEN_MIN_LINES);
	assert_int_equal(mismatches, 0);
}

/* -------------------------------------------------------- bs_disasm_line */

static void check_line(const struct bs_insn *prog, size_t n, size_t pc, unsigned flags,
		       const char *want)
{
	char buf[256];
	int r = bs_disasm_line(prog, n, pc, flags, buf, sizeof(buf));
	if (r < 0 || strcmp(buf, want))
		fail_msg("bs_disasm_line(pc %zu, flags %u)\n  want: \"%s\"\n  got:  \"%s\"", pc,
			 flags, want, buf);
	assert_int_equal((size_t)r, strlen(want));
}

/* bpftool prog dump xlated id N [opcodes] of the golden tool's map program:
 *    0: (18) r1 = map[id:29]
 *        18 11 00 00 1d 00 00 00 00 00 00 00 00 00 00 00
 *    2: (62) *(u32 *)(r10 -4) = 0
 *        62 0a fc ff 00 00 00 00
 *    ...
 *   12: (18) r1 = map[id:29][0]+4
 *        18 21 00 00 1d 00 00 00 00 00 00 00 04 00 00 00 */
static void test_line_plain_and_opcodes(void **state)
{
	(void)state;
	static const struct bs_insn prog[] = {
		I(0x18, 1, 1, 0, 29), I(0, 0, 0, 0, 0),
		I(0x62, 10, 0, -4, 0),
		I(0xbf, 2, 10, 0, 0),
		I(0x07, 2, 0, 0, -4),
		I(0x07, 1, 0, 0, 312),
		I(0x61, 0, 2, 0, 0),
		I(0x35, 0, 0, 3, 1),
		I(0x67, 0, 0, 0, 4),
		I(0x0f, 0, 1, 0, 0),
		I(0x05, 0, 0, 1, 0),
		I(0xb7, 0, 0, 0, 0),
		I(0x18, 1, 2, 0, 29), I(0, 0, 0, 0, 4),
		I(0x95, 0, 0, 0, 0),
	};
	size_t n = sizeof(prog) / sizeof(prog[0]);
	check_line(prog, n, 0, 0, "   0: (18) r1 = map[id:29]");
	check_line(prog, n, 0, BS_DISASM_OPCODES,
		   "   0: (18) r1 = map[id:29]\n"
		   "       18 11 00 00 1d 00 00 00 00 00 00 00 00 00 00 00");
	check_line(prog, n, 2, 0, "   2: (62) *(u32 *)(r10 -4) = 0");
	check_line(prog, n, 2, BS_DISASM_OPCODES,
		   "   2: (62) *(u32 *)(r10 -4) = 0\n"
		   "       62 0a fc ff 00 00 00 00");
	check_line(prog, n, 4, BS_DISASM_OPCODES,
		   "   4: (07) r2 += -4\n"
		   "       07 02 00 00 fc ff ff ff");
	check_line(prog, n, 7, 0, "   7: (35) if r0 >= 0x1 goto pc+3");
	check_line(prog, n, 10, BS_DISASM_OPCODES,
		   "  10: (05) goto pc+1\n"
		   "       05 00 01 00 00 00 00 00");
	check_line(prog, n, 12, 0, "  12: (18) r1 = map[id:29][0]+4");
	check_line(prog, n, 12, BS_DISASM_OPCODES,
		   "  12: (18) r1 = map[id:29][0]+4\n"
		   "       18 21 00 00 1d 00 00 00 00 00 00 00 04 00 00 00");
	check_line(prog, n, 14, BS_DISASM_OPCODES,
		   "  14: (95) exit\n"
		   "       95 00 00 00 00 00 00 00");

	/* a plain lddw, bpftool: "   7: (18) r3 = 0x1122334455667788" */
	static const struct bs_insn ld[] = {I(0x18, 3, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344)};
	check_line(ld, 2, 0, BS_DISASM_OPCODES,
		   "   0: (18) r3 = 0x1122334455667788\n"
		   "       18 03 00 00 88 77 66 55 00 00 00 00 44 33 22 11");
}

/* bpftool prints the index with "% 4d: ": from 1000 on, a space still leads
 * (" 1002: (b7) r0 = 1002", seen in a 1006-slot program). */
static void test_line_wide_pc(void **state)
{
	(void)state;
	static struct bs_insn prog[1006];
	for (int k = 0; k < 1003; k++)
		prog[k] = (struct bs_insn)I(0xb7, 0, 0, 0, k);
	prog[1003] = (struct bs_insn)I(0x18, 1, 0, 0, 5);
	prog[1004] = (struct bs_insn)I(0, 0, 0, 0, 0);
	prog[1005] = (struct bs_insn)I(0x95, 0, 0, 0, 0);
	check_line(prog, 1006, 9, 0, "   9: (b7) r0 = 9");
	check_line(prog, 1006, 100, 0, " 100: (b7) r0 = 100");
	check_line(prog, 1006, 999, 0, " 999: (b7) r0 = 999");
	check_line(prog, 1006, 1002, BS_DISASM_OPCODES,
		   " 1002: (b7) r0 = 1002\n"
		   "       b7 00 00 00 ea 03 00 00");
	check_line(prog, 1006, 1003, BS_DISASM_OPCODES,
		   " 1003: (18) r1 = 0x5\n"
		   "       18 01 00 00 05 00 00 00 00 00 00 00 00 00 00 00");
}

/* ------------------------------------------------------ invalid encodings */

struct want_row {
	struct bs_insn i;
	const char *want; /* the kernel's line, "(code) " prefix included */
};

static void check_rows(const struct want_row *rows, size_t n)
{
	size_t bad = 0;
	for (size_t k = 0; k < n; k++) {
		char line[300];
		kernel_style(&rows[k].i, 1, line, sizeof(line));
		if (strcmp(line, rows[k].want)) {
			printf("mismatch %02x dst %d src %d off %d imm %d\n  kernel: %s\n  ours:   %s\n",
			       rows[k].i.code, rows[k].i.dst_reg, rows[k].i.src_reg, rows[k].i.off,
			       rows[k].i.imm, rows[k].want, line);
			bad++;
		}
	}
	fflush(stdout);
	assert_int_equal(bad, 0);
}

/* Encodings the kernel disassembler has no form for. print_bpf_insn writes
 * "BUG_ld_%02x", "BUG_ldx_%02x", "BUG_st_%02x" and, for STX, "BUG_%02x",
 * with no "(code)" prefix; bpftool puts only its "%4d: " before them. */
static void test_bug_encodings(void **state)
{
	(void)state;
	static const struct want_row rows[] = {
		{I(0x00, 1, 0, 0, 0), "BUG_ld_00"},    /* LD IMM W: lddw is DW only */
		{I(0x08, 1, 0, 0, 0), "BUG_ld_08"},    /* LD IMM H */
		{I(0x60, 0, 0, 0, 0), "BUG_ld_60"},    /* LD MEM */
		{I(0xe0, 0, 0, 0, 0), "BUG_ld_e0"},
		{I(0x41, 1, 2, 0, 0), "BUG_ldx_41"},   /* LDX IND */
		{I(0x21, 1, 2, 0, 0), "BUG_ldx_21"},   /* LDX ABS */
		{I(0xc1, 1, 2, 0, 0), "BUG_ldx_c1"},   /* LDX ATOMIC */
		{I(0x22, 1, 0, 0, 0), "BUG_st_22"},    /* ST ABS */
		{I(0xe2, 1, 0, 0, 0), "BUG_st_e2"},
		{I(0x23, 1, 2, 0, 0), "BUG_23"},       /* STX ABS */
		{I(0xdb, 10, 1, -8, 2), "BUG_db"},     /* STX ATOMIC imm 2 (kernel log) */
		{I(0xc3, 10, 1, -8, 0x101), "BUG_c3"}, /* imm 0x101 (kernel log) */
		{I(0xdb, 10, 1, -8, 0x111), "BUG_db"},
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	check_rows(rows, n);
	for (size_t k = 0; k < n; k++) {
		char want[300];
		snprintf(want, sizeof(want), "   0: %s", rows[k].want);
		check_line(&rows[k].i, 1, 0, 0, want);
	}
}

/* Encodings that the verifier refuses before it prints them ("unknown
 * opcode"), so no kernel run shows their text; print_bpf_insn still has
 * one, read off kernel/bpf/disasm.c: it decides by class and mode or op
 * only, never checks size or source bit, and prints a missing operator
 * string as "(null)" (the kernel's vsnprintf). */
static void test_unlisted_encodings_like_kernel_source(void **state)
{
	(void)state;
	static const struct want_row rows[] = {
		{I(0x38, 0, 0, 0, 12), "(38) r0 = *(u64 *)skb[12]"},      /* LD ABS DW */
		{I(0x58, 0, 7, 0, -4), "(58) r0 = *(u64 *)skb[r7 + -4]"}, /* LD IND DW */
		{I(0xc2, 0, 0, 0, 0), "(c2) nospec"},                     /* ST|0xc0 */
		{I(0x8f, 1, 2, 0, 0), "(8f) r1 = -r1"},                   /* NEG X */
		{I(0x8c, 3, 0, 0, 0), "(8c) w3 = -w3"},
		{I(0xdf, 1, 0, 0, 16), "(df) r1 = bswap16 r1"},           /* ALU64 END X */
		{I(0xe4, 1, 0, 0, 5), "(e4) w1 (null) 5"},                /* ALU op 0xe0 */
		{I(0xff, 1, 2, 0, 0), "(ff) r1 (null) r2"},               /* ALU64 op 0xf0 */
		{I(0x86, 0, 0, 0, 5), "(86) call bpf_ktime_get_ns#5"},    /* JMP32 CALL */
		{I(0x96, 0, 0, 0, 0), "(96) if w0 exit 0x0 goto pc+0"},   /* JMP32 EXIT */
		{I(0x0d, 1, 2, 3, 0), "(0d) if r1 jmp r2 goto pc+3"},     /* JMP JA X */
		{I(0xf5, 1, 0, 2, 7), "(f5) if r1 (null) 0x7 goto pc+2"}, /* JMP op 0xf0 */
		{I(0xe6, 0, 0, 1, 0), "(e6) if w0 (null) 0x0 goto pc+1"}, /* JMP32 JCOND */
	};
	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Whatever the bytes, bs_disasm writes a terminated string, never past len,
 * and returns the length it would have written. */
static void test_never_crashes_or_overflows(void **state)
{
	(void)state;
	struct bs_insn prog[2];
	char big[512], small[9];
	size_t printed = 0;
	for (unsigned code = 0; code < 256; code++) {
		static const struct {
			uint8_t dst, src;
			int16_t off;
			int32_t imm;
		} fields[] = {
			{0, 0, 0, 0},       {1, 2, 1, 1},       {15, 15, -1, -1},
			{10, 10, 8, 16},    {3, 4, 16, 32},     {5, 6, 32, 64},
			{7, 1, 0, 0x100},   {9, 2, 0, 0x110},   {2, 3, 0, 0xe1},
			{2, 3, 0, 0xf1},    {1, 4, 0, 0x41},    {0, 5, 0, 0x7fffffff},
			{0, 6, -32768, (int32_t)0x80000000},
		};
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			memset(prog, 0, sizeof(prog));
			prog[0].code = (uint8_t)code;
			prog[0].dst_reg = fields[k].dst & 0xf;
			prog[0].src_reg = fields[k].src & 0xf;
			prog[0].off = fields[k].off;
			prog[0].imm = fields[k].imm;
			prog[1].imm = -1;
			for (size_t n = 1; n <= 2; n++) {
				memset(big, 0x7f, sizeof(big));
				int r = bs_disasm(prog, n, 0, big, sizeof(big));
				assert_true(r > 0);
				assert_true((size_t)r < sizeof(big));
				assert_int_equal(strlen(big), (size_t)r);

				memset(small, 0x7f, sizeof(small));
				int r2 = bs_disasm(prog, n, 0, small, sizeof(small) - 1);
				assert_int_equal(r2, r);
				assert_int_equal(small[sizeof(small) - 1], 0x7f); /* untouched */
				assert_int_equal(strlen(small), (size_t)r < sizeof(small) - 2
									 ? (size_t)r
									 : sizeof(small) - 2);

				memset(big, 0x7f, sizeof(big));
				r = bs_disasm_line(prog, n, 0, BS_DISASM_OPCODES, big, sizeof(big));
				assert_true(r > 0);
				assert_int_equal(strlen(big), (size_t)r);
				memset(small, 0x7f, sizeof(small));
				r2 = bs_disasm_line(prog, n, 0, BS_DISASM_OPCODES, small,
						    sizeof(small) - 1);
				assert_int_equal(r2, r);
				assert_int_equal(small[sizeof(small) - 1], 0x7f);
				printed++;
			}
		}
	}
	assert_int_equal(printed, 256 * 13 * 2);

	/* a pc past the end is reported, not read */
	int r = bs_disasm(prog, 1, 5, big, sizeof(big));
	assert_true(r > 0);
	assert_int_equal(strlen(big), (size_t)r);
	r = bs_disasm_line(prog, 1, 5, BS_DISASM_OPCODES, big, sizeof(big));
	assert_true(r > 0);
	assert_int_equal(strlen(big), (size_t)r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_golden),
		cmocka_unit_test(test_line_plain_and_opcodes),
		cmocka_unit_test(test_line_wide_pc),
		cmocka_unit_test(test_bug_encodings),
		cmocka_unit_test(test_unlisted_encodings_like_kernel_source),
		cmocka_unit_test(test_never_crashes_or_overflows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
