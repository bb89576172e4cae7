// SPDX-License-Identifier: MIT
/* kernel_disasm_golden: collects, from the running kernel, the text that the
 * kernel prints for each eBPF instruction, and writes it as the golden file
 * that tests/test_disasm.c compares bpfstep's disassembler against.
 *
 * Not built by meson. Build and run it by hand, as root, on a Linux machine
 * whose kernel is the one the project follows (6.18 when this was written),
 * with bpftool in PATH:
 *
 *   cc -O2 -o /tmp/golden tests/tools/kernel_disasm_golden.c
 *   sudo /tmp/golden tests/data/kernel_disasm.txt      # from the source root
 *
 * It reports on stderr any program the verifier refused unexpectedly and any
 * instruction that two sources print differently, and exits 1 on the latter.
 * GOLDEN_DEBUG="program name" prints that program's whole verifier log.
 *
 * Sources of text:
 *   1. The verifier log. Each program below is loaded with
 *      bpf(BPF_PROG_LOAD) and log_level 2; the verifier prints every
 *      instruction it visits as "N: (code) TEXT" (print_bpf_insn of
 *      kernel/bpf/disasm.c, the same function bpftool uses) before it checks
 *      it. The bytes are the ones this tool loaded at index N. Programs the
 *      verifier goes on to reject still count: the helper-call sweep (ids it
 *      does not allow in socket filters) and one group of invalid encodings
 *      and operands, each loaded alone, whose reasons are written as comments.
 *   2. bpftool (`bpftool prog dump xlated id N opcodes`) for lddw with a
 *      pseudo source, which the verifier prints as a raw number (a kernel
 *      address for maps, the raw imm for subprograms): map (src 1,
 *      "map[id:7]"), map value (src 2, "map[id:7][0]+4"), subprogram (src 4,
 *      "subprog[+5]"). The bytes are the xlated ones bpftool prints, whose imm
 *      carries the map id that the text shows.
 *   Text that the bytes alone do not determine is written as comments only:
 *   bpftool's call lines (kernel addresses and symbols) and the verifier's
 *   kfunc calls (names from this kernel's BTF, ids found with bpftool).
 *
 * Output: one line per distinct instruction, "HEX<TAB>TEXT": HEX is the
 * instruction's 8 bytes as 16 hex digits in memory order (16 bytes, 32 digits,
 * for lddw), TEXT is what the kernel printed, "(code) " prefix included
 * ("b701000005000000\t(b7) r1 = 5"). '#' lines are comments. The order is
 * the fixed order of the programs below; only map ids differ between runs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Encodings newer than the UAPI headers this may be built against. */
#define OP_MEMSX 0x80
#define OP_ATOMIC 0xc0
#define OP_JCOND 0xe0
#define OP_LOAD_ACQ 0x100
#define OP_STORE_REL 0x110
#define OP_XCHG 0xe1
#define OP_CMPXCHG 0xf1
#define MAP_TYPE_ARRAY 2
#define MAP_TYPE_ARENA 33
#define F_MMAPABLE (1u << 10)
#define PROG_SOCKET_FILTER 1
#define PROG_XDP 6
#define FUNC_LOOP 181

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- programs */

struct prog {
	struct bpf_insn *v;
	size_t n, cap;
};

static void emit(struct prog *p, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		if (!p->v) {
			perror("realloc");
			exit(1);
		}
	}
	struct bpf_insn *i = &p->v[p->n++];
	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst & 0xf;
	i->src_reg = src & 0xf;
	i->off = off;
	i->imm = imm;
}

static void lddw(struct prog *p, int dst, int src, uint64_t v)
{
	emit(p, BPF_LD | BPF_IMM | BPF_DW, dst, src, 0, (int32_t)(uint32_t)v);
	emit(p, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

static void mov64_imm(struct prog *p, int dst, int32_t imm)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

static void mov64_reg(struct prog *p, int dst, int src)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

static void call(struct prog *p, int32_t id)
{
	emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, id);
}

static void ja(struct prog *p, int16_t off)
{
	emit(p, BPF_JMP | BPF_JA, 0, 0, off, 0);
}

static void exit_insn(struct prog *p)
{
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void ret0(struct prog *p)
{
	mov64_imm(p, 0, 0);
	exit_insn(p);
}

/* r0..r9 all unknown scalars (r6 no longer ctx). */
static void pro_scalars(struct prog *p)
{
	call(p, BPF_FUNC_get_prandom_u32);
	mov64_reg(p, 7, 0);
	call(p, BPF_FUNC_get_prandom_u32);
	mov64_reg(p, 8, 0);
	mov64_reg(p, 9, 7);
	mov64_reg(p, 6, 8);
	mov64_reg(p, 1, 7);
	mov64_reg(p, 2, 8);
	mov64_reg(p, 3, 7);
	mov64_reg(p, 4, 8);
	mov64_reg(p, 5, 9);
	mov64_reg(p, 0, 6);
}

/* ------------------------------------------------------------ golden lines */

enum source { SRC_LOG, SRC_BPFTOOL };

struct group {
	const char *title;
	enum source source;
};

struct line {
	int group;
	char hex[33];
	char text[256];
};

static struct group groups[64];
static int ngroups;
static struct line *lines;
static size_t nlines, caplines;
static char notes[64][64][200]; /* per group: comment lines (rejections etc.) */
static int nnotes[64];
static int conflicts;

static int new_group(const char *title, enum source source)
{
	if (ngroups == (int)ARRAY_LEN(groups)) {
		fprintf(stderr, "too many groups\n");
		exit(1);
	}
	groups[ngroups].title = title;
	groups[ngroups].source = source;
	return ngroups++;
}

static void note(int g, const char *fmt, ...)
{
	if (nnotes[g] == (int)ARRAY_LEN(notes[g]))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(notes[g][nnotes[g]++], sizeof(notes[g][0]), fmt, ap);
	va_end(ap);
}

static void hex_of(const void *bytes, size_t n, char *out)
{
	const uint8_t *b = bytes;
	for (size_t k = 0; k < n; k++)
		sprintf(out + 2 * k, "%02x", b[k]);
	out[2 * n] = 0;
}

static void add_line(int g, const char *hex, const char *text)
{
	for (size_t k = 0; k < nlines; k++) {
		if (strcmp(lines[k].hex, hex))
			continue;
		if (strcmp(lines[k].text, text)) {
			fprintf(stderr, "conflict for %s: '%s' vs '%s'\n", hex, lines[k].text, text);
			conflicts++;
		}
		return;
	}
	if (nlines == caplines) {
		caplines = caplines ? caplines * 2 : 256;
		lines = realloc(lines, caplines * sizeof(*lines));
		if (!lines) {
			perror("realloc");
			exit(1);
		}
	}
	struct line *l = &lines[nlines++];
	l->group = g;
	snprintf(l->hex, sizeof(l->hex), "%s", hex);
	snprintf(l->text, sizeof(l->text), "%s", text);
}

/* ----------------------------------------------------------------- bpf(2) */

static long sys_bpf(int cmd, union bpf_attr *attr, unsigned size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

#define LOG_SIZE (64u << 20)
static char *logbuf;

static struct {
	int btf_fd;
	uint32_t func_info[4];
	uint32_t n;
} load_btf = {-1, {0}, 0};

static int load(const struct prog *p, int type, int *err)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)p->v;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.log_level = 2;
	a.log_buf = (uint64_t)(uintptr_t)logbuf;
	a.log_size = LOG_SIZE;
	if (load_btf.btf_fd >= 0) {
		a.prog_btf_fd = (uint32_t)load_btf.btf_fd;
		a.func_info = (uint64_t)(uintptr_t)load_btf.func_info;
		a.func_info_rec_size = 8;
		a.func_info_cnt = load_btf.n;
	}
	logbuf[0] = 0;
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
	*err = fd < 0 ? errno : 0;
	return fd;
}

static int map_create(uint32_t type, uint32_t ksz, uint32_t vsz, uint32_t max, uint32_t flags,
		      uint64_t extra)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ksz;
	a.value_size = vsz;
	a.max_entries = max;
	a.map_flags = flags;
	a.map_extra = extra;
	return (int)sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

/* A minimal BTF: int, "int f(void)" and two static functions main and cb,
 * enough for the func_info that a program with a callback needs. */
static int btf_two_funcs(void)
{
	static const char strs[] = "\0int\0main\0cb";
	uint32_t types[] = {
		/* 1: INT "int", 4 bytes, signed, 32 bits */
		1, 1u << 24, 4, (1u << 24) | 32,
		/* 2: FUNC_PROTO int (void) */
		0, 13u << 24, 1,
		/* 3: FUNC main, static */
		5, 12u << 24, 2,
		/* 4: FUNC cb, static */
		10, 12u << 24, 2,
	};
	struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
	} hdr = {0xeb9f, 1, 0, 24, 0, sizeof(types), sizeof(types), sizeof(strs)};
	static uint8_t blob[512];
	memcpy(blob, &hdr, sizeof(hdr));
	memcpy(blob + sizeof(hdr), types, sizeof(types));
	memcpy(blob + sizeof(hdr) + sizeof(types), strs, sizeof(strs));
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.btf = (uint64_t)(uintptr_t)blob;
	a.btf_size = (uint32_t)(sizeof(hdr) + sizeof(types) + sizeof(strs));
	a.btf_log_buf = (uint64_t)(uintptr_t)logbuf;
	a.btf_log_size = 1 << 20;
	a.btf_log_level = 1;
	logbuf[0] = 0;
	int fd = (int)sys_bpf(BPF_BTF_LOAD, &a, sizeof(a));
	if (fd < 0)
		fprintf(stderr, "BPF_BTF_LOAD: %s\n%s\n", strerror(errno), logbuf);
	return fd;
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr a;
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) < 0) {
		perror("BPF_OBJ_GET_INFO_BY_FD");
		exit(1);
	}
	return info.id;
}

/* The verifier's reason: the last line of the log that is not its
 * statistics ("processed N insns ..."). */
static void last_log_line(char *out, size_t len)
{
	const char *end = logbuf + strlen(logbuf);
	out[0] = 0;
	while (end > logbuf) {
		while (end > logbuf && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		const char *start = end;
		while (start > logbuf && start[-1] != '\n')
			start--;
		if (strncmp(start, "processed ", 10) && strncmp(start, "verification time", 17)) {
			snprintf(out, len, "%.*s", (int)(end - start), start);
			return;
		}
		end = start;
	}
}

/* Lines "N: (cc) TEXT[ ; state]" and "N: BUG_..." of the verifier log. With
 * skip_pseudo_lddw, lddw with src != 0 is left out: the verifier prints the
 * kernel address it resolved, bpftool's text is taken for those. */
static int harvest_log(int g, const struct prog *p, bool skip_pseudo_lddw)
{
	int found = 0;
	char *save = NULL;
	char *copy = strdup(logbuf);
	if (!copy) {
		perror("strdup");
		exit(1);
	}
	for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *s = ln;
		if (!isdigit((unsigned char)*s))
			continue;
		unsigned long idx = strtoul(s, &s, 10);
		if (s[0] != ':' || s[1] != ' ')
			continue;
		s += 2;
		char *text = s;
		unsigned code;
		if (s[0] == '(' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
		    s[3] == ')' && s[4] == ' ') {
			code = (unsigned)strtoul(s + 1, NULL, 16);
		} else if (!strncmp(s, "BUG_", 4)) {
			code = 0x100; /* checked below against the bytes */
		} else {
			continue;
		}
		char *semi = strchr(text, ';');
		if (semi)
			*semi = 0;
		size_t tl = strlen(text);
		while (tl && text[tl - 1] == ' ')
			text[--tl] = 0;
		if (idx >= p->n) {
			fprintf(stderr, "log names insn %lu of %zu: %s\n", idx, p->n, text);
			continue;
		}
		const struct bpf_insn *insn = &p->v[idx];
		if (code != 0x100 && code != insn->code) {
			fprintf(stderr, "log code %02x at %lu but loaded %02x: %s\n", code, idx,
				insn->code, text);
			continue;
		}
		bool is_lddw = insn->code == (BPF_LD | BPF_IMM | BPF_DW) && idx + 1 < p->n;
		if (is_lddw && insn->src_reg && skip_pseudo_lddw)
			continue;
		char hex[33];
		hex_of(insn, is_lddw ? 16 : 8, hex);
		add_line(g, hex, text);
		found++;
	}
	free(copy);
	return found;
}

/* Loads p, takes the verifier's lines into group g; expect_ok says whether a
 * rejection is news. Returns the fd (or -1); the caller closes it. */
static int run_log(int g, const char *name, const struct prog *p, int type, bool expect_ok)
{
	int err;
	int fd = load(p, type, &err);
	char last[200];
	last_log_line(last, sizeof(last));
	/* a negative group: loaded for bpftool, the log is not harvested */
	int found = g >= 0 ? harvest_log(g, p, true) : 1;
	if (g < 0)
		g = -g - 1;
	const char *dbg = getenv("GOLDEN_DEBUG");
	if (dbg && !strcmp(dbg, name))
		fprintf(stderr, "--- log of %s\n%s---\n", name, logbuf);
	if (fd < 0) {
		note(g, "rejected: %s: %s", name, last[0] ? last : strerror(err));
		if (expect_ok)
			fprintf(stderr, "UNEXPECTED REJECTION %s (%s): %s\n", name, strerror(err), last);
	} else if (!expect_ok) {
		fprintf(stderr, "note: %s was accepted\n", name);
	}
	if (!found)
		fprintf(stderr, "no instruction lines in the log of %s (%s)\n", name, last);
	return fd;
}

static void run_and_close(int g, const char *name, const struct prog *p, int type, bool expect_ok)
{
	int fd = run_log(g, name, p, type, expect_ok);
	if (fd >= 0)
		close(fd);
}

/* ----------------------------------------------------------------- bpftool */

static char bpftool_version[128] = "bpftool";
static char *bpftool_dump; /* the last dump, verbatim */

static void read_bpftool_version(void)
{
	FILE *f = popen("bpftool version 2>/dev/null", "r");
	if (!f)
		return;
	char buf[128];
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(bpftool_version, sizeof(bpftool_version), "%s", buf);
	}
	pclose(f);
}

/* Runs `bpftool prog dump xlated id ID opcodes` and takes its lines into g.
 * Only lines whose text follows from the xlated bytes are golden; calls are
 * kept as comments (their imm was rewritten to a kernel address). With
 * only_pseudo_lddw, other lines are left out too. */
static void harvest_bpftool(int g, int fd, bool only_pseudo_lddw)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "bpftool prog dump xlated id %u opcodes 2>&1", prog_id(fd));
	FILE *f = popen(cmd, "r");
	if (!f) {
		perror("popen bpftool");
		return;
	}
	size_t cap = 1 << 16, len = 0;
	free(bpftool_dump);
	bpftool_dump = malloc(cap);
	for (;;) {
		if (len + 4096 > cap)
			bpftool_dump = realloc(bpftool_dump, cap *= 2);
		size_t r = fread(bpftool_dump + len, 1, cap - len - 1, f);
		if (!r)
			break;
		len += r;
	}
	bpftool_dump[len] = 0;
	pclose(f);
	fprintf(stderr, "--- %s\n%s---\n", cmd, bpftool_dump);

	char *copy = strdup(bpftool_dump), *save = NULL;
	char text[256] = "";
	bool have_text = false;
	for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *s = ln;
		while (*s == ' ')
			s++;
		char *e = s;
		while (isdigit((unsigned char)*e))
			e++;
		if (e > s && e[0] == ':' && e[1] == ' ') {
			/* "   5: (85) call ..." or "   5: BUG_..." */
			snprintf(text, sizeof(text), "%s", e + 2);
			have_text = true;
			continue;
		}
		if (!have_text || !isxdigit((unsigned char)*s))
			continue;
		/* the opcodes line: "b7 01 00 00 05 00 00 00" (+ "  " + 8 more for lddw) */
		uint8_t bytes[16];
		size_t nb = 0;
		while (*s && nb < 16) {
			while (*s == ' ')
				s++;
			if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
				break;
			char two[3] = {s[0], s[1], 0};
			bytes[nb++] = (uint8_t)strtoul(two, NULL, 16);
			s += 2;
		}
		have_text = false;
		if (nb != 8 && nb != 16)
			continue;
		char hex[33];
		hex_of(bytes, nb, hex);
		bool pseudo_lddw = nb == 16 && (bytes[1] >> 4) != 0;
		if (bytes[0] == (BPF_JMP | BPF_CALL)) {
			note(g, "bpftool, not compared: %s  %s", hex, text);
			continue;
		}
		if (only_pseudo_lddw && !pseudo_lddw)
			continue;
		add_line(g, hex, text);
	}
	free(copy);
}

/* ------------------------------------------------------------------ groups */

static const struct {
	uint8_t op;
	const char *name;
} alu_ops[] = {
	{BPF_ADD, "add"}, {BPF_SUB, "sub"}, {BPF_MUL, "mul"}, {BPF_DIV, "div"},
	{BPF_OR, "or"}, {BPF_AND, "and"}, {BPF_LSH, "lsh"}, {BPF_RSH, "rsh"},
	{BPF_MOD, "mod"}, {BPF_XOR, "xor"}, {BPF_MOV, "mov"}, {BPF_ARSH, "arsh"},
};

static const int32_t kvals[] = {
	1, -1, 0x7fffffff, (int32_t)0x80000000, 5, 255, -42, 0x1000, 0, 65535,
};

static void group_alu(void)
{
	int g = new_group("ALU and ALU64, immediate (K) and register (X) sources", SRC_LOG);
	static const int pairs[][2] = {{1, 2}, {0, 9}, {6, 7}, {4, 4}, {9, 0}};
	for (int cls = 0; cls < 2; cls++) {
		uint8_t c = cls ? BPF_ALU64 : BPF_ALU;
		for (size_t o = 0; o < ARRAY_LEN(alu_ops); o++) {
			for (int signed_op = 0; signed_op < 2; signed_op++) {
				uint8_t op = alu_ops[o].op;
				if (signed_op && op != BPF_DIV && op != BPF_MOD)
					continue;
				struct prog p = {0};
				pro_scalars(&p);
				bool shift = op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH;
				bool divmod = op == BPF_DIV || op == BPF_MOD;
				int k = 0;
				if (shift) {
					static const int32_t s32[] = {0, 1, 5, 31};
					static const int32_t s64[] = {0, 1, 31, 32, 63};
					const int32_t *sv = cls ? s64 : s32;
					size_t ns = cls ? ARRAY_LEN(s64) : ARRAY_LEN(s32);
					for (size_t s = 0; s < ns; s++, k++)
						emit(&p, c | op | BPF_K, k % 10, 0, 0, sv[s]);
				} else {
					for (size_t s = 0; s < ARRAY_LEN(kvals); s++, k++) {
						if (divmod && kvals[s] == 0)
							continue;
						emit(&p, c | op | BPF_K, (k * 3) % 10, 0, signed_op,
						     kvals[s]);
					}
				}
				for (size_t x = 0; x < ARRAY_LEN(pairs); x++)
					emit(&p, c | op | BPF_X, pairs[x][0], pairs[x][1], signed_op, 0);
				ret0(&p);
				char name[64];
				snprintf(name, sizeof(name), "%s%s%s", signed_op ? "s" : "",
					 alu_ops[o].name, cls ? "64" : "32");
				run_and_close(g, name, &p, PROG_SOCKET_FILTER, true);
				free(p.v);
			}
		}
	}

	g = new_group("neg, movsx, byte swaps", SRC_LOG);
	struct prog p = {0};
	pro_scalars(&p);
	for (int r = 0; r < 10; r += 3) {
		emit(&p, BPF_ALU | BPF_NEG, r, 0, 0, 0);
		emit(&p, BPF_ALU64 | BPF_NEG, r, 0, 0, 0);
	}
	static const int mpairs[][2] = {{1, 2}, {0, 9}, {3, 3}, {8, 7}};
	for (size_t x = 0; x < ARRAY_LEN(mpairs); x++) {
		emit(&p, BPF_ALU | BPF_MOV | BPF_X, mpairs[x][0], mpairs[x][1], 8, 0);
		emit(&p, BPF_ALU | BPF_MOV | BPF_X, mpairs[x][0], mpairs[x][1], 16, 0);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, mpairs[x][0], mpairs[x][1], 8, 0);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, mpairs[x][0], mpairs[x][1], 16, 0);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, mpairs[x][0], mpairs[x][1], 32, 0);
	}
	static const int widths[] = {16, 32, 64};
	for (size_t w = 0; w < 3; w++) {
		for (int r = 0; r < 10; r += 4) {
			int d = (r + (int)w) % 10;
			emit(&p, BPF_ALU | BPF_END | BPF_TO_LE, d, 0, 0, widths[w]);
			emit(&p, BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, widths[w]);
			emit(&p, BPF_ALU64 | BPF_END, d, 0, 0, widths[w]);
		}
	}
	ret0(&p);
	run_and_close(g, "neg/movsx/end", &p, PROG_SOCKET_FILTER, true);
	free(p.v);
}

static void group_mem(void)
{
	int g = new_group("loads and stores: LDX, ST, STX every size, LDX MEMSX", SRC_LOG);
	static const uint8_t sizes[] = {BPF_DW, BPF_W, BPF_H, BPF_B};
	struct prog p = {0};
	mov64_reg(&p, 6, 1);
	static const int32_t stv[] = {0, -1, 0x7fffffff, (int32_t)0x80000000, 1, 42, -42, 0x1000};
	for (int k = 0; k < 8; k++)
		emit(&p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, (int16_t)(-8 * (k + 1)), stv[k]);
	/* narrower immediate stores into fp-72..fp-65 */
	emit(&p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -72, 5);
	emit(&p, BPF_ST | BPF_MEM | BPF_H, 10, 0, -68, -1);
	emit(&p, BPF_ST | BPF_MEM | BPF_B, 10, 0, -66, 255);
	emit(&p, BPF_ST | BPF_MEM | BPF_B, 10, 0, -65, -128);
	mov64_reg(&p, 2, 10);
	emit(&p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -64);
	emit(&p, BPF_ST | BPF_MEM | BPF_W, 2, 0, 0, 1);
	emit(&p, BPF_ST | BPF_MEM | BPF_DW, 2, 0, 8, 2);
	emit(&p, BPF_ST | BPF_MEM | BPF_H, 2, 0, 4, 3);
	emit(&p, BPF_ST | BPF_MEM | BPF_B, 2, 0, 6, 4);
	mov64_imm(&p, 7, 0x1234);
	mov64_imm(&p, 8, -1);
	mov64_imm(&p, 0, 0);
	/* STX into fp-8..fp-15 and, through r2 (= fp-64), positive offsets */
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, 10, 7, -8, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_W, 10, 8, -12, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_H, 10, 7, -14, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_B, 10, 8, -15, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, 2, 7, 16, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_W, 2, 8, 24, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_H, 2, 7, 28, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_B, 2, 8, 30, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, 10, 0, -48, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_W, 6, 7, 48, 0); /* __sk_buff cb[0] */
	/* LDX every size from stack, r2 and ctx */
	for (size_t s = 0; s < 4; s++) {
		static const int16_t fpoff[] = {-8, -12, -14, -15};
		static const int16_t r2off[] = {16, 0, 4, 6};
		static const int fpdst[] = {3, 4, 5, 7}, r2dst[] = {0, 1, 8, 9};
		emit(&p, BPF_LDX | BPF_MEM | sizes[s], fpdst[s], 10, fpoff[s], 0);
		emit(&p, BPF_LDX | BPF_MEM | sizes[s], r2dst[s], 2, r2off[s], 0);
		emit(&p, BPF_LDX | BPF_MEM | sizes[s], 9, 10, -64, 0);
	}
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 3, 6, 0, 0);  /* len */
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 4, 6, 16, 0); /* protocol */
	emit(&p, BPF_LDX | BPF_MEM | BPF_H, 5, 6, 0, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_B, 0, 6, 0, 0);
	/* sign-extending loads */
	static const uint8_t sx[] = {BPF_W, BPF_H, BPF_B};
	static const int16_t sxoff[] = {-12, -14, -15};
	static const int16_t sxr2[] = {0, 4, 6};
	for (size_t s = 0; s < 3; s++) {
		emit(&p, BPF_LDX | OP_MEMSX | sx[s], 3 + (int)s, 10, sxoff[s], 0);
		emit(&p, BPF_LDX | OP_MEMSX | sx[s], 0, 2, sxr2[s], 0);
		emit(&p, BPF_LDX | OP_MEMSX | sx[s], 9, 10, -64, 0);
	}
	ret0(&p);
	run_and_close(g, "ldx/st/stx/memsx", &p, PROG_SOCKET_FILTER, true);
	free(p.v);
}

static void group_atomic(void)
{
	int g = new_group("atomics, load-acquire, store-release (STX|ATOMIC)", SRC_LOG);
	static const int32_t ops[] = {BPF_ADD, BPF_OR, BPF_AND, BPF_XOR};
	struct prog p = {0};
	for (int k = 1; k <= 6; k++)
		emit(&p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, (int16_t)(-8 * k), 0);
	mov64_reg(&p, 9, 10);
	emit(&p, BPF_ALU64 | BPF_ADD | BPF_K, 9, 0, 0, -48);
	for (int r = 0; r <= 8; r++)
		mov64_imm(&p, r, r + 1);
	for (int dw = 0; dw < 2; dw++) {
		uint8_t code = BPF_STX | OP_ATOMIC | (dw ? BPF_DW : BPF_W);
		for (size_t o = 0; o < ARRAY_LEN(ops); o++) {
			int src = 1 + (int)o;
			emit(&p, code, 10, src, -8, ops[o]);
			emit(&p, code, 9, src + 4, 16, ops[o]);
			emit(&p, code, 10, src, -16, ops[o] | BPF_FETCH);
			emit(&p, code, 9, src + 4, 8, ops[o] | BPF_FETCH);
		}
		emit(&p, code, 10, 3, -24, OP_XCHG);
		emit(&p, code, 9, 0, dw ? 24 : 4, OP_XCHG);
		emit(&p, code, 10, 4, -8, OP_CMPXCHG);
		emit(&p, code, 9, 8, 0, OP_CMPXCHG);
	}
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	static const int16_t offs[] = {-1, -4, -12, -40};
	for (size_t s = 0; s < 4; s++) {
		uint8_t code = BPF_STX | OP_ATOMIC | sizes[s];
		emit(&p, code, 1 + (int)s, 10, offs[s], OP_LOAD_ACQ);
		emit(&p, code, 0, 9, 8, OP_LOAD_ACQ);
		emit(&p, code, 10, 5 + (int)s, offs[s], OP_STORE_REL);
		emit(&p, code, 9, 0, 16, OP_STORE_REL);
	}
	ret0(&p);
	run_and_close(g, "atomics", &p, PROG_SOCKET_FILTER, true);
	free(p.v);
}

/* Jump programs: the jump j (its off or, for gotol, imm = o) placed so that
 * every instruction is reachable and every path ends in exit.
 *   o >= 0, conditional:   J; o pads; exit(target)   (falls through the pads)
 *   o >= 0, unconditional: if r7 s> 0 goto +1; J; (o-1 pads; exit); exit(target)
 *   o <= -2:               goto +m; (m-1 pads; exit) <- target; J; [exit] */
static void jump_prog(struct prog *p, struct bpf_insn j, int o, bool cond)
{
	pro_scalars(p);
	mov64_imm(p, 0, 0);
	if (o >= 0) {
		if (!cond && o > 0)
			emit(p, BPF_JMP | BPF_JSGT | BPF_K, 7, 0, 1, 0);
		emit(p, j.code, j.dst_reg, j.src_reg, j.off, j.imm);
		for (int k = 0; k < o - 1; k++)
			mov64_imm(p, 0, 0);
		if (o > 0) {
			if (cond)
				mov64_imm(p, 0, 1);
			else
				exit_insn(p);
		}
		exit_insn(p);
	} else {
		int m = -o - 1;
		ja(p, (int16_t)m);
		for (int k = 0; k < m - 1; k++)
			mov64_imm(p, 0, 0);
		exit_insn(p);
		emit(p, j.code, j.dst_reg, j.src_reg, j.off, j.imm);
		if (cond)
			exit_insn(p);
	}
}

static struct bpf_insn mk(uint8_t code, int dst, int src, int off, int32_t imm)
{
	struct bpf_insn i;
	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = (int16_t)off;
	i.imm = imm;
	return i;
}

static void group_jmp(void)
{
	static const struct {
		uint8_t op;
		const char *name;
	} conds[] = {
		{BPF_JEQ, "jeq"}, {BPF_JGT, "jgt"}, {BPF_JGE, "jge"}, {BPF_JSET, "jset"},
		{BPF_JNE, "jne"}, {BPF_JSGT, "jsgt"}, {BPF_JSGE, "jsge"}, {BPF_JLT, "jlt"},
		{BPF_JLE, "jle"}, {BPF_JSLT, "jslt"}, {BPF_JSLE, "jsle"},
	};
	static const int offs[] = {1, -2, 0, 3, -5};
	int g = new_group("conditional jumps, JMP and JMP32, K and X", SRC_LOG);
	int n = 0;
	for (size_t c = 0; c < ARRAY_LEN(conds); c++) {
		for (int cls = 0; cls < 2; cls++) {
			for (int x = 0; x < 2; x++) {
				for (size_t o = 0; o < ARRAY_LEN(offs); o++, n++) {
					uint8_t code = (cls ? BPF_JMP32 : BPF_JMP) | conds[c].op |
						       (x ? BPF_X : BPF_K);
					int dst = n % 10, src = (n * 7 + 3) % 10;
					struct bpf_insn j = mk(code, dst, x ? src : 0, offs[o],
							       x ? 0 : kvals[n % ARRAY_LEN(kvals)]);
					struct prog p = {0};
					jump_prog(&p, j, offs[o], true);
					char name[64];
					snprintf(name, sizeof(name), "%s%s_%s %+d", conds[c].name,
						 cls ? "32" : "", x ? "X" : "K", offs[o]);
					run_and_close(g, name, &p, PROG_SOCKET_FILTER, true);
					free(p.v);
				}
			}
		}
	}

	g = new_group("goto (ja), gotol (JMP32|JA, imm), may_goto (JMP|JCOND)", SRC_LOG);
	static const int uoffs[] = {0, 1, 2, 7, 100, -2, -3, -9, -100};
	for (size_t o = 0; o < ARRAY_LEN(uoffs); o++) {
		char name[64];
		struct prog p = {0};
		jump_prog(&p, mk(BPF_JMP | BPF_JA, 0, 0, uoffs[o], 0), uoffs[o], false);
		snprintf(name, sizeof(name), "ja %+d", uoffs[o]);
		run_and_close(g, name, &p, PROG_SOCKET_FILTER, true);
		free(p.v);
		p = (struct prog){0};
		jump_prog(&p, mk(BPF_JMP32 | BPF_JA, 0, 0, 0, uoffs[o]), uoffs[o], false);
		snprintf(name, sizeof(name), "gotol %+d", uoffs[o]);
		run_and_close(g, name, &p, PROG_SOCKET_FILTER, true);
		free(p.v);
	}
	static const int moffs[] = {1, 2, 5, -2, -4};
	for (size_t o = 0; o < ARRAY_LEN(moffs); o++) {
		char name[64];
		struct prog p = {0};
		jump_prog(&p, mk(BPF_JMP | OP_JCOND, 0, 0, moffs[o], 0), moffs[o], true);
		snprintf(name, sizeof(name), "may_goto %+d", moffs[o]);
		run_and_close(g, name, &p, PROG_SOCKET_FILTER, true);
		free(p.v);
	}
}

static void group_calls(void)
{
	int g = new_group("helper calls, ids 0..215 and out of range (a program is rejected"
			  " after the call was printed when the helper is not allowed for socket"
			  " filters or wants arguments)",
			  SRC_LOG);
	static const int32_t extra[] = {-1, 999, 0x7fffffff, (int32_t)0x80000000};
	for (int id = 0; id < 216 + (int)ARRAY_LEN(extra); id++) {
		int32_t imm = id < 216 ? id : extra[id - 216];
		struct prog p = {0};
		call(&p, imm);
		ret0(&p);
		char name[64];
		snprintf(name, sizeof(name), "call %d", imm);
		int err;
		int fd = load(&p, PROG_SOCKET_FILTER, &err);
		if (!harvest_log(g, &p, true)) {
			char last[200];
			last_log_line(last, sizeof(last));
			note(g, "no line printed: %s: %s", name, last);
		}
		if (fd >= 0)
			close(fd);
		free(p.v);
	}

	g = new_group("bpf-to-bpf calls (src 1), positive and negative", SRC_LOG);
	struct prog p = {0};
	/* 0: call pc+4 -> B(5); 3: A; 5: B: call pc-3 -> A(3) */
	emit(&p, BPF_JMP | BPF_CALL, 0, 1, 0, 4);
	ret0(&p);
	mov64_imm(&p, 0, 2);
	exit_insn(&p);
	emit(&p, BPF_JMP | BPF_CALL, 0, 1, 0, -3);
	exit_insn(&p);
	run_and_close(g, "call local +4/-3", &p, PROG_SOCKET_FILTER, true);
	free(p.v);
	/* 0: call pc+1 -> B(2); B: call pc+2 -> D(5), call pc+20 -> C(24);
	 * D: 18 pads, exit; C: r0 = 0, exit */
	p = (struct prog){0};
	emit(&p, BPF_JMP | BPF_CALL, 0, 1, 0, 1);
	exit_insn(&p);
	emit(&p, BPF_JMP | BPF_CALL, 0, 1, 0, 2);
	emit(&p, BPF_JMP | BPF_CALL, 0, 1, 0, 20);
	exit_insn(&p);
	for (int k = 0; k < 18; k++)
		mov64_imm(&p, 0, 0);
	exit_insn(&p);
	ret0(&p);
	run_and_close(g, "call local +1/+20", &p, PROG_SOCKET_FILTER, true);
	free(p.v);
}

/* The BTF id of a kernel function in vmlinux BTF, by bpftool; -1 if none. */
static int32_t kfunc_btf_id(const char *name)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -m1 \"FUNC '%s'\"",
		 name);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	char buf[256];
	int32_t id = -1;
	if (fgets(buf, sizeof(buf), f) && buf[0] == '[')
		id = (int32_t)strtol(buf + 1, NULL, 10);
	pclose(f);
	return id;
}

/* kfunc calls (src 2): the verifier names the function from vmlinux BTF, a
 * text the instruction bytes alone do not give, so these are comments. */
static void group_kfunc(void)
{
	int g = new_group("kfunc calls (src 2): the verifier's text names the function from"
			  " this kernel's BTF, not from the bytes; kept as comments, not compared",
			  SRC_LOG);
	static const char *const names[] = {"bpf_rcu_read_lock", "bpf_rcu_read_unlock"};
	int32_t ids[2];
	for (int k = 0; k < 2; k++) {
		ids[k] = kfunc_btf_id(names[k]);
		if (ids[k] < 0) {
			note(g, "no BTF id found for %s", names[k]);
			return;
		}
	}
	struct prog p = {0};
	emit(&p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, ids[0]);
	emit(&p, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, ids[1]);
	ret0(&p);
	int err;
	int fd = load(&p, PROG_SOCKET_FILTER, &err);
	char *save = NULL, *copy = strdup(logbuf);
	for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char *s = ln;
		unsigned long idx = strtoul(s, &s, 10);
		if (s == ln || strncmp(s, ": (85) call", 11) || idx >= 2)
			continue;
		char *semi = strchr(s, ';');
		if (semi)
			*semi = 0;
		size_t tl = strlen(s);
		while (tl && s[tl - 1] == ' ')
			s[--tl] = 0;
		char hex[17];
		hex_of(&p.v[idx], 8, hex);
		note(g, "kernel, not compared: %s  %s", hex, s + 2);
	}
	free(copy);
	if (fd < 0) {
		char last[200];
		last_log_line(last, sizeof(last));
		note(g, "rejected: kfunc calls: %s", last);
	} else {
		harvest_bpftool(g, fd, true);
		close(fd);
	}
	free(p.v);
}

static void group_ld(void)
{
	int g = new_group("lddw (src 0) and LD_ABS / LD_IND (socket filter, r6 = ctx)", SRC_LOG);
	struct prog p = {0};
	static const uint64_t vals[] = {
		0, 1, ~0ull, 0x7fffffff, 0x80000000, 0x100000000ull, 0x123456789abcdef0ull,
		0xffffffffull, 0xffffffff00000000ull, 0x8000000000000000ull, 42,
	};
	static const int dsts[] = {0, 2, 3, 4, 5, 7, 8, 9};
	mov64_reg(&p, 6, 1);
	for (size_t k = 0; k < ARRAY_LEN(vals); k++)
		lddw(&p, dsts[k % ARRAY_LEN(dsts)], 0, vals[k]);
	mov64_imm(&p, 7, 2);
	mov64_imm(&p, 8, -2);
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W};
	static const int32_t aimm[] = {0, 12, 14, 23, -1, 0x7fffffff};
	for (size_t s = 0; s < 3; s++) {
		for (size_t k = 0; k < ARRAY_LEN(aimm); k += (s + 1))
			emit(&p, BPF_LD | BPF_ABS | sizes[s], 0, 0, 0, aimm[k]);
		emit(&p, BPF_LD | BPF_IND | sizes[s], 0, 7, 0, 0);
		emit(&p, BPF_LD | BPF_IND | sizes[s], 0, 8, 0, 14);
		emit(&p, BPF_LD | BPF_IND | sizes[s], 0, 7, 0, -4);
	}
	ret0(&p);
	run_and_close(g, "lddw/ld_abs/ld_ind", &p, PROG_SOCKET_FILTER, true);
	free(p.v);
}

/* Encodings the verifier rejects, printed by it before it did. Each goes
 * into its own program, as the verifier stops at the first. */
static void group_rejected(void)
{
	int g = new_group("printed by the verifier for instructions it then rejected (invalid"
			  " encodings and invalid operands)",
			  SRC_LOG);
	static const struct {
		const char *name;
		struct bpf_insn i;
	} bad[] = {
		{"atomic imm 0x02", {BPF_STX | OP_ATOMIC | BPF_DW, 10, 1, -8, 0x02}},
		{"atomic imm 0x101", {BPF_STX | OP_ATOMIC | BPF_W, 10, 1, -8, 0x101}},
		{"atomic add 16-bit", {BPF_STX | OP_ATOMIC | BPF_H, 10, 1, -8, BPF_ADD}},
		{"atomic fetch or 8-bit", {BPF_STX | OP_ATOMIC | BPF_B, 10, 1, -8, BPF_OR | BPF_FETCH}},
		{"xchg 16-bit", {BPF_STX | OP_ATOMIC | BPF_H, 10, 1, -8, OP_XCHG}},
		{"movsx64 off 5", {BPF_ALU64 | BPF_MOV | BPF_X, 1, 2, 5, 0}},
		{"movsx32 off 32", {BPF_ALU | BPF_MOV | BPF_X, 1, 2, 32, 0}},
		{"mov64 K off 8", {BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 8, 3}},
		{"div64 X off 2", {BPF_ALU64 | BPF_DIV | BPF_X, 1, 2, 2, 0}},
		{"add64 X off 1", {BPF_ALU64 | BPF_ADD | BPF_X, 1, 2, 1, 0}},
		{"sdiv64 K by 0", {BPF_ALU64 | BPF_DIV | BPF_K, 1, 0, 1, 0}},
		{"mod32 K by 0", {BPF_ALU | BPF_MOD | BPF_K, 1, 0, 0, 0}},
		{"lsh32 K 32", {BPF_ALU | BPF_LSH | BPF_K, 1, 0, 0, 32}},
		{"arsh64 K -1", {BPF_ALU64 | BPF_ARSH | BPF_K, 1, 0, 0, -1}},
		{"mov64 K src 3", {BPF_ALU64 | BPF_MOV | BPF_K, 1, 3, 0, 5}},
		{"le8", {BPF_ALU | BPF_END | BPF_TO_LE, 1, 0, 0, 8}},
		{"be0", {BPF_ALU | BPF_END | BPF_TO_BE, 1, 0, 0, 0}},
		{"bswap8", {BPF_ALU64 | BPF_END, 1, 0, 0, 8}},
		{"bswap (alu64|end|X) 16", {BPF_ALU64 | BPF_END | BPF_X, 1, 0, 0, 16}},
		{"neg64 X", {BPF_ALU64 | BPF_NEG | BPF_X, 1, 2, 0, 0}},
		{"neg32 imm 5", {BPF_ALU | BPF_NEG, 1, 0, 0, 5}},
		{"jcond src 1", {BPF_JMP | OP_JCOND, 0, 1, 0, 0}},
		{"jmp32 jcond", {BPF_JMP32 | OP_JCOND, 0, 0, 0, 0}},
		{"call src 3", {BPF_JMP | BPF_CALL, 0, 3, 0, 5}},
		{"call with off", {BPF_JMP | BPF_CALL, 0, 0, 1, 5}},
		{"jmp32 call", {BPF_JMP32 | BPF_CALL, 0, 0, 0, 5}},
		{"jmp32 exit", {BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0}},
		{"exit imm 1", {BPF_JMP | BPF_EXIT, 0, 0, 0, 1}},
		{"ja imm 1", {BPF_JMP | BPF_JA, 0, 0, 0, 1}},
		{"gotol off 1", {BPF_JMP32 | BPF_JA, 0, 0, 1, 0}},
		{"jeq K src 1", {BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0, 0}},
		{"ldx dw r10 +8", {BPF_LDX | BPF_MEM | BPF_DW, 1, 10, 8, 0}},
		{"ldx w imm 1", {BPF_LDX | BPF_MEM | BPF_W, 1, 10, -8, 1}},
		{"st dw src 1", {BPF_ST | BPF_MEM | BPF_DW, 10, 1, -8, 1}},
		{"stx w imm 1", {BPF_STX | BPF_MEM | BPF_W, 10, 1, -8, 1}},
		{"ld_abs dst 1", {BPF_LD | BPF_ABS | BPF_W, 1, 0, 0, 0}},
		{"addr_space_cast 0,1 (needs an arena)", {BPF_ALU64 | BPF_MOV | BPF_X, 1, 2, 1, 1}},
		{"addr_space_cast 1,0 (needs an arena)", {BPF_ALU64 | BPF_MOV | BPF_X, 1, 2, 1, 1 << 16}},
		{"r10 = 0", {BPF_ALU64 | BPF_MOV | BPF_K, 10, 0, 0, 0}},
		{"mov64 r11", {BPF_ALU64 | BPF_MOV | BPF_X, 1, 11, 0, 0}},
	};
	for (size_t k = 0; k < ARRAY_LEN(bad); k++) {
		struct prog p = {0};
		mov64_imm(&p, 0, 0);
		mov64_imm(&p, 1, 1);
		mov64_imm(&p, 2, 2);
		emit(&p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0);
		emit(&p, bad[k].i.code, bad[k].i.dst_reg, bad[k].i.src_reg, bad[k].i.off,
		     bad[k].i.imm);
		if (bad[k].i.code != (BPF_JMP | BPF_EXIT))
			exit_insn(&p);
		run_and_close(g, bad[k].name, &p, PROG_SOCKET_FILTER, false);
		free(p.v);
	}
}

static void group_bpftool(void)
{
	int g = new_group("map and subprogram references, as bpftool prints them", SRC_BPFTOOL);
	int map = map_create(MAP_TYPE_ARRAY, 4, 16, 1, 0, 0);
	if (map < 0) {
		perror("BPF_MAP_CREATE array");
		exit(1);
	}
	struct prog p = {0};
	lddw(&p, 1, BPF_PSEUDO_MAP_FD, (uint32_t)map);
	emit(&p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0);
	mov64_reg(&p, 2, 10);
	emit(&p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
	call(&p, BPF_FUNC_map_lookup_elem);
	lddw(&p, 1, BPF_PSEUDO_MAP_VALUE, (uint64_t)4 << 32 | (uint32_t)map);
	lddw(&p, 3, BPF_PSEUDO_MAP_VALUE, (uint64_t)0 << 32 | (uint32_t)map);
	lddw(&p, 9, BPF_PSEUDO_MAP_FD, (uint32_t)map);
	ret0(&p);
	int fd = run_log(-g - 1, "map references", &p, PROG_SOCKET_FILTER, true);
	if (fd >= 0) {
		harvest_bpftool(g, fd, true);
		close(fd);
	}
	free(p.v);

	/* bpf_loop with a callback: lddw src 4 */
	p = (struct prog){0};
	mov64_imm(&p, 1, 4);
	lddw(&p, 2, BPF_PSEUDO_FUNC, 6); /* callback at 1 + 6 + 1 = 8 */
	mov64_imm(&p, 3, 0);
	mov64_imm(&p, 4, 0);
	call(&p, FUNC_LOOP);
	ret0(&p);
	ret0(&p); /* 8: callback: r0 = 0; exit */
	load_btf.btf_fd = btf_two_funcs();
	load_btf.func_info[0] = 0; /* insn_off, type_id */
	load_btf.func_info[1] = 3;
	load_btf.func_info[2] = 8;
	load_btf.func_info[3] = 4;
	load_btf.n = 2;
	fd = run_log(-g - 1, "bpf_loop callback", &p, PROG_SOCKET_FILTER, true);
	if (load_btf.btf_fd >= 0)
		close(load_btf.btf_fd);
	load_btf.btf_fd = -1;
	load_btf.n = 0;
	if (fd >= 0) {
		harvest_bpftool(g, fd, true);
		close(fd);
	}
	free(p.v);

	/* a plain program, to keep bpftool's own text of ordinary instructions */
	int g2 = new_group("ordinary instructions as bpftool prints them (xlated)", SRC_BPFTOOL);
	p = (struct prog){0};
	mov64_reg(&p, 6, 1);
	mov64_imm(&p, 0, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 2, 6, 0, 0);
	emit(&p, BPF_ALU | BPF_ADD | BPF_K, 2, 0, 0, -7);
	emit(&p, BPF_JMP | BPF_JGT | BPF_K, 2, 0, 2, 100);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, 10, 2, -8, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 0);
	lddw(&p, 3, 0, 0x1122334455667788ull);
	emit(&p, BPF_ALU64 | BPF_XOR | BPF_X, 0, 3, 0, 0);
	emit(&p, BPF_JMP | BPF_CALL, 0, 1, 0, 4); /* 10 -> 15 */
	call(&p, BPF_FUNC_ktime_get_ns);
	call(&p, BPF_FUNC_get_prandom_u32);
	ret0(&p);
	ret0(&p); /* 15: subprogram */
	fd = run_log(-g2 - 1, "bpftool plain", &p, PROG_SOCKET_FILTER, true);
	if (fd >= 0) {
		harvest_bpftool(g2, fd, false);
		close(fd);
	}
	free(p.v);
}

/* ------------------------------------------------------------------ output */

static void write_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	struct utsname u;
	uname(&u);
	fprintf(f, "# Kernel disassembly golden data for tests/test_disasm.c.\n");
	fprintf(f, "# Written by tests/tools/kernel_disasm_golden.c (see its header); do not edit.\n");
	fprintf(f, "# Format: instruction bytes in memory order as hex (32 digits for lddw:\n");
	fprintf(f, "# both slots), a TAB, the kernel's text including its \"(code) \" prefix.\n");
	fprintf(f, "# Verifier log lines: kernel %s %s (%s), print_bpf_insn via log_level 2.\n",
		u.sysname, u.release, u.machine);
	fprintf(f, "# bpftool lines: `bpftool prog dump xlated id N opcodes`, %s.\n",
		bpftool_version);
	fprintf(f, "# %zu lines.\n", nlines);
	for (int g = 0; g < ngroups; g++) {
		fprintf(f, "\n# == %s\n", groups[g].title);
		if (groups[g].source == SRC_LOG)
			fprintf(f, "# source: verifier log, kernel %s\n", u.release);
		else
			fprintf(f, "# source: %s (xlated, map ids as assigned in that run)\n",
				bpftool_version);
		for (int k = 0; k < nnotes[g]; k++)
			fprintf(f, "# %s\n", notes[g][k]);
		for (size_t k = 0; k < nlines; k++)
			if (lines[k].group == g)
				fprintf(f, "%s\t%s\n", lines[k].hex, lines[k].text);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *out = argc > 1 ? argv[1] : "tests/data/kernel_disasm.txt";
	logbuf = malloc(LOG_SIZE);
	if (!logbuf) {
		perror("malloc");
		return 1;
	}
	read_bpftool_version();
	group_alu();
	group_mem();
	group_atomic();
	group_jmp();
	group_ld();
	group_calls();
	group_kfunc();
	group_bpftool();
	group_rejected();
	write_out(out);
	fprintf(stderr, "%zu lines written to %s, %d conflicts\n", nlines, out, conflicts);
	return conflicts ? 1 : 0;
}
