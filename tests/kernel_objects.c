// SPDX-License-Identifier: MIT
/* kernel-objects: every example object against the Linux kernel.
 *
 * For every BPF object (OBJDIR/ *.bpf.o, the examples the build compiled),
 * every program in it, and every input that fits it, the program runs twice
 * in a row on the same maps in two places:
 *
 *   kernel:   libbpf opens and loads the object, the map preload goes in
 *             with bpf_map_update_elem, BPF_PROG_TEST_RUN runs the program
 *             (data_in, data_out, ctx_in, ctx_out), then every map is read
 *             back with the syscall (global data .data/.bss/.rodata too);
 *   bpfstep:  bs_object_open, bs_object_create_maps, the same preload with
 *             bs_map_update, bs_test_run, then bs_map_next_key/bs_map_lookup.
 *
 * and the two must agree on: whether the input is refused, the 32-bit
 * return value, data_out (length and bytes), ctx_out (when a ctx_in is
 * given: the fields the kernel writes back) and every map's contents after
 * each run. A program that calls a helper bpfstep does not provide yet
 * (BS_ERR_HELPER "... is not available here") is counted as skipped with the
 * helper named, not as a failure.
 *
 * Inputs: the packet files of the object (PKTDIR/NAME_*.pkt for NAME.bpf.o),
 * a few generated frames (a 14-byte frame, 1500 bytes, random bytes), each
 * without a context, with an empty one and with every settable field set;
 * then the edges of what BPF_PROG_TEST_RUN accepts (sizes, context fields).
 * Map preloads (e.g. the blocked source in xdp_firewall's `blocked`) are
 * applied to both sides before the first run.
 *
 * Besides the examples, small probe objects are generated in memory (an ELF
 * with one program each): one per context field and program type, reading
 * the field (r0 = *(u32 *)(r1 + off)) and returning it (cgroup_skb, whose
 * return value is 0/1, stores it in cb[0], which ctx_out returns). They pin
 * down what every field of xdp_md / __sk_buff holds. A probe the kernel's
 * verifier refuses (a field that type may not read) is not counted.
 *
 * Helper probes call the packet helpers (bpf_xdp_adjust_head / _meta /
 * _tail, bpf_skb_store_bytes, bpf_l3/l4_csum_replace, bpf_csum_diff) with
 * many arguments, and sequences of them, and return the helper's result
 * with the packet's new length (data_out and ctx_out show the rest). They
 * must load in the kernel; and each helper called from a program type that
 * lacks it must be refused at load by both (counted as agreeing).
 *
 * Output: one line per mismatch (object/program/input and the first
 * difference), the skipped programs with the helper they need, then
 *   kernel-objects: N cases, M mismatches, S skipped (unsupported helper)
 *   N passed, M failed, S skipped
 * Exit: 0 all agree, 1 a mismatch, 77 bpf() is not usable here (meson's
 * skip code), 2 bad usage.
 *
 * usage: kernel_objects [-v] OBJDIR PKTDIR */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfstep/helpers.h"
#include "bpfstep/maps.h"
#include "bpfstep/object.h"
#include "bpfstep/run.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define MAX_PKT (80 * 1024)       /* the largest input: 73,153 bytes */
#define MAX_CTX 256
#define MAX_OBJS 1024
#define MAX_INPUTS 96
#define MAX_MAPS 16
#define MAX_ENTRIES 4096          /* entries compared per map */

static bool verbose;

/* ------------------------------------------------------------ utilities */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "kernel-objects: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fprintf(stderr, "kernel-objects: out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		fprintf(stderr, "kernel-objects: out of memory\n");
		exit(1);
	}
	return p;
}

static bool read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	uint8_t *buf = xmalloc(MAX_PKT);
	size_t n = fread(buf, 1, MAX_PKT, f);
	bool ok = !ferror(f);
	fclose(f);
	if (!ok) {
		free(buf);
		return false;
	}
	*out = buf;
	*len = n;
	return true;
}

static uint64_t rng_state = 0x6b6f626a73ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* "0a0b0c..." of at most 24 bytes, for messages */
static const char *hex(const void *p, size_t n, char *buf, size_t len)
{
	const uint8_t *b = p;
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 24 && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", b[i]);
	if (n > 24 && o + 4 < len)
		snprintf(buf + o, len - o, "...");
	return buf;
}

/* libbpf's warnings, kept for the message when a load fails */
static char libbpf_log[4096];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	size_t o = strlen(libbpf_log);
	if (o + 1 < sizeof(libbpf_log))
		vsnprintf(libbpf_log + o, sizeof(libbpf_log) - o, fmt, ap);
	return 0;
}

/* ----------------------------------------------------- context layouts */

struct field {
	const char *name;
	uint32_t off, size;
};

#define SKB_F(f) {#f, offsetof(struct __sk_buff, f), sizeof(((struct __sk_buff *)0)->f)}
static const struct field skb_fields[] = {
	SKB_F(len), SKB_F(pkt_type), SKB_F(mark), SKB_F(queue_mapping), SKB_F(protocol),
	SKB_F(vlan_present), SKB_F(vlan_tci), SKB_F(vlan_proto), SKB_F(priority),
	SKB_F(ingress_ifindex), SKB_F(ifindex), SKB_F(tc_index),
	{"cb[0]", offsetof(struct __sk_buff, cb[0]), 4}, {"cb[1]", offsetof(struct __sk_buff, cb[1]), 4},
	{"cb[2]", offsetof(struct __sk_buff, cb[2]), 4}, {"cb[3]", offsetof(struct __sk_buff, cb[3]), 4},
	{"cb[4]", offsetof(struct __sk_buff, cb[4]), 4},
	SKB_F(hash), SKB_F(tc_classid), SKB_F(data), SKB_F(data_end), SKB_F(napi_id), SKB_F(family),
	SKB_F(remote_ip4), SKB_F(local_ip4),
	{"remote_ip6[0]", offsetof(struct __sk_buff, remote_ip6[0]), 4},
	{"remote_ip6[1]", offsetof(struct __sk_buff, remote_ip6[1]), 4},
	{"remote_ip6[2]", offsetof(struct __sk_buff, remote_ip6[2]), 4},
	{"remote_ip6[3]", offsetof(struct __sk_buff, remote_ip6[3]), 4},
	{"local_ip6[0]", offsetof(struct __sk_buff, local_ip6[0]), 4},
	{"local_ip6[1]", offsetof(struct __sk_buff, local_ip6[1]), 4},
	{"local_ip6[2]", offsetof(struct __sk_buff, local_ip6[2]), 4},
	{"local_ip6[3]", offsetof(struct __sk_buff, local_ip6[3]), 4},
	SKB_F(remote_port), SKB_F(local_port), SKB_F(data_meta),
	{"flow_keys", offsetof(struct __sk_buff, flow_keys), 8}, SKB_F(tstamp), SKB_F(wire_len),
	SKB_F(gso_segs), {"sk", offsetof(struct __sk_buff, sk), 8}, SKB_F(gso_size),
	SKB_F(tstamp_type), SKB_F(hwtstamp),
};

#define XDP_F(f) {#f, offsetof(struct xdp_md, f), sizeof(((struct xdp_md *)0)->f)}
static const struct field xdp_fields[] = {
	XDP_F(data), XDP_F(data_end), XDP_F(data_meta), XDP_F(ingress_ifindex),
	XDP_F(rx_queue_index), XDP_F(egress_ifindex),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const char *field_at(bool xdp, size_t off)
{
	const struct field *f = xdp ? xdp_fields : skb_fields;
	size_t n = xdp ? NFIELDS(xdp_fields) : NFIELDS(skb_fields);
	for (size_t i = 0; i < n; i++)
		if (off >= f[i].off && off < f[i].off + f[i].size)
			return f[i].name;
	return "(padding)";
}

/* ------------------------------------------------------------- objects */

struct object {
	char name[80];          /* "xdp_firewall", "probe_tc_mark" */
	char *path;             /* a file, or NULL for a generated one */
	uint8_t *elf;           /* generated: the ELF in memory */
	size_t elf_size;
	bool probe;             /* generated: a kernel load failure is not counted */
	bool helper_probe;      /* generated helper call: bpfstep refusing it at load must
				 * match the kernel's verifier refusing it */
	struct bs_object *ours;
	bool kernel_refused;    /* probe the verifier refused: no more cases for it */
	bool known_shown;       /* a known difference was printed once */
};

static struct object objs[MAX_OBJS];
static size_t nobjs;

/* A relocatable BPF ELF with one program: what clang would write for
 *   SEC(sec) int fn(void *ctx) { ... }  char LICENSE[] SEC("license") = "GPL";
 * without BTF. */
static uint8_t *build_elf(const char *sec, const char *fn, const struct bpf_insn *insns, size_t n,
			  size_t *size)
{
	char strtab[256];
	size_t so = 0;
#define STR(s) ({ size_t at_ = so; so += (size_t)snprintf(strtab + so, sizeof(strtab) - so, "%s", s) + 1; at_; })
	strtab[so++] = '\0';
	size_t s_strtab = STR(".strtab"), s_symtab = STR(".symtab"), s_sec = STR(sec),
	       s_lic = STR("license"), s_fn = STR(fn), s_licsym = STR("LICENSE");
#undef STR
	size_t text_size = n * sizeof(*insns);
	size_t o_strtab = sizeof(Elf64_Ehdr);
	size_t o_text = (o_strtab + so + 7) & ~(size_t)7;
	size_t o_lic = o_text + text_size;
	size_t o_sym = (o_lic + 4 + 7) & ~(size_t)7;
	size_t o_sh = o_sym + 3 * sizeof(Elf64_Sym);
	*size = o_sh + 5 * sizeof(Elf64_Shdr);
	uint8_t *b = xcalloc(1, *size);

	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_BPF;
	eh->e_version = EV_CURRENT;
	eh->e_shoff = o_sh;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 5;
	eh->e_shstrndx = 1;
	memcpy(b + o_strtab, strtab, so);
	memcpy(b + o_text, insns, text_size);
	memcpy(b + o_lic, "GPL", 4);

	Elf64_Sym sym[3];
	memset(sym, 0, sizeof(sym));
	sym[1].st_name = (Elf64_Word)s_fn;
	sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	sym[1].st_shndx = 2;
	sym[1].st_size = text_size;
	sym[2].st_name = (Elf64_Word)s_licsym;
	sym[2].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
	sym[2].st_shndx = 3;
	sym[2].st_size = 4;
	memcpy(b + o_sym, sym, sizeof(sym));

	Elf64_Shdr sh[5];
	memset(sh, 0, sizeof(sh));
	sh[1] = (Elf64_Shdr){.sh_name = (Elf64_Word)s_strtab, .sh_type = SHT_STRTAB,
			     .sh_offset = o_strtab, .sh_size = so, .sh_addralign = 1};
	sh[2] = (Elf64_Shdr){.sh_name = (Elf64_Word)s_sec, .sh_type = SHT_PROGBITS,
			     .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_offset = o_text,
			     .sh_size = text_size, .sh_addralign = 8};
	sh[3] = (Elf64_Shdr){.sh_name = (Elf64_Word)s_lic, .sh_type = SHT_PROGBITS,
			     .sh_flags = SHF_ALLOC | SHF_WRITE, .sh_offset = o_lic, .sh_size = 4,
			     .sh_addralign = 1};
	sh[4] = (Elf64_Shdr){.sh_name = (Elf64_Word)s_symtab, .sh_type = SHT_SYMTAB,
			     .sh_offset = o_sym, .sh_size = sizeof(sym), .sh_link = 1, .sh_info = 1,
			     .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym)};
	memcpy(b + o_sh, sh, sizeof(sh));
	return b;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define MOVI(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static void add_probe(const char *type, const char *sec, const char *what,
		      const struct bpf_insn *body, size_t n, bool to_cb)
{
	if (nobjs == MAX_OBJS)
		return;
	struct bpf_insn prog[160];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		prog[k++] = body[i];
	if (to_cb) {
		/* cgroup_skb returns 0 or 1: the value goes to cb[0] (r1 is still ctx) */
		prog[k++] = STX(BPF_W, 1, 0, offsetof(struct __sk_buff, cb[0]));
		prog[k++] = MOVI(0, 1);
	}
	prog[k++] = EXIT();
	struct object *o = &objs[nobjs++];
	snprintf(o->name, sizeof(o->name), "probe_%s_%s", type, what);
	char fn[64];
	snprintf(fn, sizeof(fn), "p_%s", what);
	for (char *p = fn; *p; p++)
		if (*p == '[' || *p == ']')
			*p = '_';
	for (char *p = o->name; *p; p++)
		if (*p == '[' || *p == ']')
			*p = '_';
	o->elf = build_elf(sec, fn, prog, k, &o->elf_size);
	o->probe = true;
}

/* ------------------------------------------------------ helper probes */

#define CALL(id) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define MOVX(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALUI(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALUX(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define STI(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)

/* a program being built */
struct pb {
	struct bpf_insn i[150];
	size_t n;
};

static void pb_add(struct pb *p, struct bpf_insn in)
{
	if (p->n < NFIELDS(p->i))
		p->i[p->n++] = in;
}

static void pb_ld64(struct pb *p, int reg, uint64_t v)
{
	pb_add(p, INSN(BPF_LD | BPF_DW | BPF_IMM, reg, 0, 0, (int32_t)(uint32_t)v));
	pb_add(p, INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

static void add_helper_probe(const char *type, const char *sec, const char *what,
			     const struct pb *p)
{
	size_t before = nobjs;
	add_probe(type, sec, what, p->i, p->n, false);
	if (nobjs > before)
		objs[nobjs - 1].helper_probe = true;
}

/* xdp: r0 = the helper's return + (data_end - data) << 16, xor the
 * metadata length << 26 (ctx_out and data_out show the rest) */
static void xdp_result(struct pb *p)
{
	pb_add(p, MOVX(7, 0));
	pb_add(p, LDX(BPF_W, 2, 6, offsetof(struct xdp_md, data)));
	pb_add(p, LDX(BPF_W, 3, 6, offsetof(struct xdp_md, data_end)));
	pb_add(p, ALUX(BPF_SUB, 3, 2));
	pb_add(p, ALUI(BPF_LSH, 3, 16));
	pb_add(p, LDX(BPF_W, 4, 6, offsetof(struct xdp_md, data)));
	pb_add(p, LDX(BPF_W, 5, 6, offsetof(struct xdp_md, data_meta)));
	pb_add(p, ALUX(BPF_SUB, 4, 5));
	pb_add(p, ALUI(BPF_LSH, 4, 26));
	pb_add(p, MOVX(0, 7));
	pb_add(p, ALUX(BPF_ADD, 0, 3));
	pb_add(p, ALUX(BPF_XOR, 0, 4));
}

static void xdp_adjust(struct pb *p, int id, int32_t off)
{
	pb_add(p, MOVX(1, 6));
	pb_add(p, MOVI(2, off));
	pb_add(p, CALL(id));
}

/* 8 bytes of metadata written through data_meta (after a bounds check) */
static void xdp_write_meta(struct pb *p)
{
	pb_add(p, LDX(BPF_W, 2, 6, offsetof(struct xdp_md, data_meta)));
	pb_add(p, LDX(BPF_W, 3, 6, offsetof(struct xdp_md, data)));
	pb_add(p, MOVX(4, 2));
	pb_add(p, ALUI(BPF_ADD, 4, 8));
	pb_add(p, INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 3, 0));
	pb_ld64(p, 5, 0x1122334455667788ULL);
	pb_add(p, STX(BPF_DW, 2, 5, 0));
}

static void name_off(char *buf, size_t len, const char *pfx, int64_t v)
{
	snprintf(buf, len, "%s_%s%lld", pfx, v < 0 ? "m" : "", (long long)(v < 0 ? -v : v));
}

static void add_xdp_helper_probes(void)
{
	static const int32_t head[] = {-256, -217, -216, -212, -200, -4, -1, 0, 1, 4, 14, 31, 32,
				       45, 46, 47, 1000, INT32_MIN, INT32_MAX};
	static const int32_t meta[] = {-256, -252, -248, -216, -212, -8, -5, -4, -1, 0, 1, 4};
	static const int32_t tail[] = {-1, -4, -16, -30, -31, -40, -46, -47, -48, -60, -10000, 0, 1,
				       4, 100, 3000, 3460, 3461, 3476, 3477, 3478, 3479, 3500, 3776,
				       4066, 4067, 4096, 8000, 2616, 2617, 3292, 3293, -3000, -4000,
				       -4986, -4987, INT32_MIN,
				       INT32_MAX};
	char what[48];
	struct {
		const char *name;
		int id;
		const int32_t *offs;
		size_t n;
	} sets[] = {
		{"adjust_head", 44, head, NFIELDS(head)},
		{"adjust_meta", 54, meta, NFIELDS(meta)},
		{"adjust_tail", 65, tail, NFIELDS(tail)},
	};
	for (size_t s = 0; s < NFIELDS(sets); s++)
		for (size_t i = 0; i < sets[s].n; i++) {
			struct pb p = {.n = 0};
			pb_add(&p, MOVX(6, 1));
			xdp_adjust(&p, sets[s].id, sets[s].offs[i]);
			xdp_result(&p);
			name_off(what, sizeof(what), sets[s].name, sets[s].offs[i]);
			add_helper_probe("xdp", "xdp", what, &p);
			if (sets[s].id == 65) {
				/* with fragments (the +split inputs) */
				add_helper_probe("xdp_frags", "xdp.frags", what, &p);
			}
		}
	/* sequences: metadata written, then the head moved (it moves along),
	 * then the tail; and each helper twice */
	static const struct {
		const char *name;
		int32_t meta, head, tail;
	} seq[] = {
		{"meta8_head_m16", -8, -16, 0}, {"meta8_head_16", -8, 16, 0},
		{"meta8_head_m208", -8, -208, 0}, {"meta8_head_m209", -8, -209, 0},
		{"meta8_tail_m20", -8, 0, -20}, {"meta8_head_20_tail_8", -8, 20, 8},
		{"meta8_head_m24_tail_m9", -8, -24, -9},
	};
	for (size_t i = 0; i < NFIELDS(seq); i++) {
		struct pb p = {.n = 0};
		pb_add(&p, MOVX(6, 1));
		xdp_adjust(&p, 54, seq[i].meta);
		xdp_write_meta(&p);
		if (seq[i].head) {
			xdp_adjust(&p, 44, seq[i].head);
			pb_add(&p, MOVX(8, 0));
		}
		if (seq[i].tail)
			xdp_adjust(&p, 65, seq[i].tail);
		xdp_result(&p);
		if (seq[i].head)
			pb_add(&p, ALUX(BPF_ADD, 0, 8));
		add_helper_probe("xdp", "xdp", seq[i].name, &p);
	}
	for (size_t s = 0; s < NFIELDS(sets); s++) {
		struct pb p = {.n = 0};
		pb_add(&p, MOVX(6, 1));
		xdp_adjust(&p, sets[s].id, sets[s].id == 65 ? -20 : -8);
		xdp_adjust(&p, sets[s].id, sets[s].id == 65 ? 12 : -8);
		pb_add(&p, MOVX(8, 0));
		xdp_result(&p);
		pb_add(&p, ALUX(BPF_ADD, 0, 8));
		snprintf(what, sizeof(what), "%s_twice", sets[s].name);
		add_helper_probe("xdp", "xdp", what, &p);
	}
}

/* tc: r0 = the helper's return, its high half xored in */
static void skb_result(struct pb *p)
{
	pb_add(p, MOVX(7, 0));
	pb_add(p, ALUI(BPF_RSH, 7, 32));
	pb_add(p, ALUI(BPF_LSH, 7, 20));
	pb_add(p, ALUX(BPF_XOR, 0, 7));
}

/* 16 bytes of pattern on the stack at fp-16 */
static void stack_pattern(struct pb *p)
{
	pb_ld64(p, 2, 0xa1b2c3d4e5f60718ULL);
	pb_add(p, STX(BPF_DW, 10, 2, -16));
	pb_ld64(p, 2, 0x293a4b5c6d7e8f90ULL);
	pb_add(p, STX(BPF_DW, 10, 2, -8));
}

static void add_skb_helper_probes(void)
{
	char what[64];
	/* bpf_skb_store_bytes(skb, off, fp-16, len, flags) */
	static const struct {
		uint32_t off, len;
		uint64_t flags;
	} st[] = {
		{0, 4, 0}, {12, 4, 0}, {14, 16, 0}, {26, 8, 1}, {30, 4, 2}, {30, 4, 3}, {30, 4, 4},
		{30, 4, 0x100}, {30, 1, 0}, {44, 16, 0}, {45, 16, 0}, {56, 4, 0}, {57, 4, 0},
		{60, 1, 0}, {10, 4, 0}, {11, 4, 0}, {0x7fffffff, 4, 0}, {0x80000000u, 4, 0},
		{0xffffffffu, 4, 0}, {0xfffffffcu, 8, 0},
	};
	for (size_t i = 0; i < NFIELDS(st); i++) {
		struct pb p = {.n = 0};
		stack_pattern(&p);
		pb_add(&p, MOVI(2, (int32_t)st[i].off));
		pb_add(&p, MOVX(3, 10));
		pb_add(&p, ALUI(BPF_ADD, 3, -16));
		pb_add(&p, MOVI(4, (int32_t)st[i].len));
		pb_ld64(&p, 5, st[i].flags);
		pb_add(&p, CALL(9));
		skb_result(&p);
		snprintf(what, sizeof(what), "store_bytes_%x_%u_f%llx", st[i].off, st[i].len,
			 (unsigned long long)st[i].flags);
		add_helper_probe("tc", "tc", what, &p);
	}
	/* bpf_l3_csum_replace / bpf_l4_csum_replace(skb, off, from, to, flags) */
	static const struct {
		uint32_t off;
		uint64_t from, to, flags;
	} cs[] = {
		{24, 0, 0x12345678, 0}, {24, 5, 0x12345678, 0}, {24, 0x0a0b, 0xc0d, 2},
		{24, 0x1ffff, 0x3c0d, 2}, {24, 0xc0000242, 0x0a000001, 4},
		{24, 0xffffffffffULL, 0x1ffffffffULL, 4}, {24, 1, 2, 1}, {24, 1, 2, 3}, {24, 1, 2, 8},
		{24, 1, 2, 0x12}, {24, 1, 2, 0x22}, {24, 1, 2, 0x42}, {24, 1, 2, 0x82},
		{24, 1, 2, 0x102}, {40, 0x1234, 0x4321, 0x12}, {40, 0xc0000242, 0xa000001, 0x14},
		{40, 0, 0xfffe0001, 0x10}, {2, 0x1234, 0x1234, 0x24}, {2, 0x1234, 0x1234, 0x64},
		{2, 0x1234, 0x5678, 0x24}, {2, 0x1234, 0x5678, 0x64}, {2, 0, 0, 0x20},
		{4, 0xedcb, 0, 0x22}, {4, 0x0200, 0x0200, 0x22}, {4, 0x0200, 0x0200, 0x62},
		{2, 0, 0xffff, 0xa0},
		{25, 1, 2, 2}, {58, 1, 2, 2}, {59, 1, 2, 2}, {60, 1, 2, 2}, {12, 1, 2, 2},
		{0xfffe, 1, 2, 2}, {0x10000, 1, 2, 2}, {0xffffffffu, 1, 2, 2},
	};
	for (int l = 3; l <= 4; l++)
		for (size_t i = 0; i < NFIELDS(cs); i++) {
			if (l == 3 && (cs[i].flags & ~0xfULL) && cs[i].off != 24)
				continue;
			struct pb p = {.n = 0};
			pb_add(&p, MOVI(2, (int32_t)cs[i].off));
			pb_ld64(&p, 3, cs[i].from);
			pb_ld64(&p, 4, cs[i].to);
			pb_ld64(&p, 5, cs[i].flags);
			pb_add(&p, CALL(l == 3 ? 10 : 11));
			skb_result(&p);
			snprintf(what, sizeof(what), "l%d_csum_%x_%llx_%llx_f%llx", l, cs[i].off,
				 (unsigned long long)cs[i].from, (unsigned long long)cs[i].to,
				 (unsigned long long)cs[i].flags);
			add_helper_probe("tc", "tc", what, &p);
		}
}

/* bpf_csum_diff(fp+from, fsz, fp+to, tsz, seed), in tc and xdp; r0 >> 32
 * in its own probe */
static void add_csum_diff_probes(void)
{
	static const struct {
		int16_t from, to;
		uint32_t fsz, tsz, seed;
	} cd[] = {
		{-16, -8, 4, 4, 0}, {-16, -8, 8, 8, 0}, {-16, -8, 8, 4, 0x1234}, {-16, -8, 0, 8, 0},
		{-16, -8, 0, 8, 0xffffffffu}, {-16, -8, 16, 0, 0}, {-16, -8, 12, 0, 0xdeadbeef},
		{-16, -8, 0, 0, 0x12345}, {-16, -8, 3, 4, 0}, {-16, -8, 4, 2, 0}, {-15, -7, 4, 4, 0},
		{-15, -13, 8, 12, 0x77}, {-13, -16, 12, 16, 0}, {-15, -9, 0, 8, 0xfffe}, {-11, -15, 8, 0, 9},
		{-16, -16, 16, 16, 0}, {-16, -12, 12, 12, 0x80000000u},
	};
	static const struct {
		const char *type, *sec;
	} types[] = {{"tc", "tc"}, {"xdp", "xdp"}};
	char what[64];
	for (size_t t = 0; t < NFIELDS(types); t++)
		for (size_t i = 0; i < NFIELDS(cd); i++)
			for (int hi = 0; hi < 2; hi++) {
				struct pb p = {.n = 0};
				stack_pattern(&p);
				pb_ld64(&p, 2, 0xfedcba9876543210ULL);
				pb_add(&p, STX(BPF_DW, 10, 2, -24));
				pb_add(&p, MOVX(1, 10));
				pb_add(&p, ALUI(BPF_ADD, 1, cd[i].from));
				pb_add(&p, MOVI(2, (int32_t)cd[i].fsz));
				pb_add(&p, MOVX(3, 10));
				pb_add(&p, ALUI(BPF_ADD, 3, cd[i].to));
				pb_add(&p, MOVI(4, (int32_t)cd[i].tsz));
				pb_ld64(&p, 5, cd[i].seed);
				pb_add(&p, CALL(28));
				if (hi)
					pb_add(&p, ALUI(BPF_RSH, 0, 32));
				snprintf(what, sizeof(what), "csum_diff_%d_%u_%d_%u_%x%s", -cd[i].from,
					 cd[i].fsz, -cd[i].to, cd[i].tsz, cd[i].seed, hi ? "_hi" : "");
				add_helper_probe(types[t].type, types[t].sec, what, &p);
			}
}

/* Each helper from a program type whose func_proto lacks it: the verifier
 * refuses the load, and so must bpfstep. */
static void add_refused_helper_probes(void)
{
	static const struct {
		const char *type, *sec;
		int id;
	} rf[] = {
		{"xdp", "xdp", 9}, {"xdp", "xdp", 10}, {"xdp", "xdp", 11}, {"xdp", "xdp", 26},
		{"tc", "tc", 44}, {"tc", "tc", 54}, {"tc", "tc", 65},
		{"socket", "socket", 9}, {"socket", "socket", 10}, {"socket", "socket", 11},
		{"socket", "socket", 28}, {"socket", "socket", 44},
		{"cgroup_skb", "cgroup_skb/ingress", 9}, {"cgroup_skb", "cgroup_skb/ingress", 10},
		{"cgroup_skb", "cgroup_skb/ingress", 11}, {"cgroup_skb", "cgroup_skb/ingress", 28},
		{"cgroup_skb", "cgroup_skb/ingress", 65},
		/* the resizing and redirect helpers are tc's (bpf_redirect and
		 * bpf_fib_lookup xdp's too, bpf_redirect_map xdp's only) */
#define RF_NOT_XDP(t, sec) {t, sec, 13}, {t, sec, 18}, {t, sec, 19}, {t, sec, 31}, \
	{t, sec, 38}, {t, sec, 39}, {t, sec, 43}, {t, sec, 50}, {t, sec, 152}, {t, sec, 155}
		RF_NOT_XDP("xdp", "xdp"), RF_NOT_XDP("socket", "socket"),
		RF_NOT_XDP("cgroup_skb", "cgroup_skb/ingress"),
		{"socket", "socket", 23}, {"socket", "socket", 69}, {"socket", "socket", 51},
		{"cgroup_skb", "cgroup_skb/ingress", 23}, {"cgroup_skb", "cgroup_skb/ingress", 69},
		{"tc", "tc", 51},
#undef RF_NOT_XDP
	};
	char what[48];
	for (size_t i = 0; i < NFIELDS(rf); i++) {
		struct pb p = {.n = 0};
		stack_pattern(&p);
		/* arguments each helper's verifier check accepts, so only the
		 * helper's absence refuses the program */
		if (rf[i].id == 28) {
			pb_add(&p, MOVX(1, 10));
			pb_add(&p, ALUI(BPF_ADD, 1, -8));
			pb_add(&p, MOVI(2, 4));
			pb_add(&p, MOVX(3, 10));
			pb_add(&p, ALUI(BPF_ADD, 3, -16));
			pb_add(&p, MOVI(4, 4));
		} else {
			pb_add(&p, MOVI(2, 0));
			pb_add(&p, MOVX(3, 10));
			pb_add(&p, ALUI(BPF_ADD, 3, -16));
			pb_add(&p, MOVI(4, 4));
		}
		pb_add(&p, MOVI(5, 0));
		pb_add(&p, CALL(rf[i].id));
		if (!strcmp(rf[i].type, "cgroup_skb"))
			pb_add(&p, MOVI(0, 1));
		snprintf(what, sizeof(what), "refused_%d", rf[i].id);
		add_helper_probe(rf[i].type, rf[i].sec, what, &p);
	}
}

/* ---------------------------------- resizing and redirect helper probes */

/* tc, r6 = ctx, r0 = the helper's return: the skb as the program then sees
 * it goes to cb[0..4] (len, protocol, vlan_present, vlan_tci, vlan_proto;
 * ctx_out returns cb), and r0 = the return (its high half xored in)
 * ^ (data_end - data) << 16 */
static void skb_state_result(struct pb *p)
{
	skb_result(p);
	pb_add(p, MOVX(7, 0));
	static const uint16_t f[] = {
		offsetof(struct __sk_buff, len), offsetof(struct __sk_buff, protocol),
		offsetof(struct __sk_buff, vlan_present), offsetof(struct __sk_buff, vlan_tci),
		offsetof(struct __sk_buff, vlan_proto)};
	for (int i = 0; i < 5; i++) {
		pb_add(p, LDX(BPF_W, 2, 6, (int16_t)f[i]));
		pb_add(p, STX(BPF_W, 6, 2, (int16_t)offsetof(struct __sk_buff, cb[i])));
	}
	pb_add(p, LDX(BPF_W, 2, 6, offsetof(struct __sk_buff, data)));
	pb_add(p, LDX(BPF_W, 3, 6, offsetof(struct __sk_buff, data_end)));
	pb_add(p, ALUX(BPF_SUB, 3, 2));
	pb_add(p, ALUI(BPF_LSH, 3, 16));
	pb_add(p, MOVX(0, 7));
	pb_add(p, ALUX(BPF_XOR, 0, 3));
}

/* tc, r6 = ctx: what LD_ABS reads after the helper, to cb[0..3]
 * (EtherType, first network byte, EtherType through SKF_LL_OFF, bytes
 * 14..17); r0 = the helper's return */
static void skb_ldabs_result(struct pb *p)
{
	pb_add(p, MOVX(7, 0));
	static const struct {
		int sz;
		int32_t k;
	} ld[] = {{BPF_H, 12}, {BPF_B, -0x100000}, {BPF_H, -0x200000 + 12}, {BPF_W, 14}};
	for (int i = 0; i < 4; i++) {
		pb_add(p, INSN(BPF_LD | BPF_ABS | ld[i].sz, 0, 0, 0, ld[i].k));
		pb_add(p, STX(BPF_W, 6, 0, (int16_t)offsetof(struct __sk_buff, cb[i])));
	}
	pb_add(p, MOVX(0, 7));
}

struct hcall {
	int id;
	uint64_t a[4];          /* r2..r5 */
	bool ptr_r2;            /* r2 = fp-32 (24 bytes of pattern) unless a[0] is 0 */
};

static void call_h(struct pb *p, const struct hcall *c)
{
	pb_add(p, MOVX(1, 6));
	for (int r = 0; r < 4; r++)
		pb_ld64(p, r + 2, c->a[r]);
	if (c->ptr_r2) {
		if (c->a[1]) {
			pb_add(p, MOVX(2, 10));
			pb_add(p, ALUI(BPF_ADD, 2, -32));
		} else {
			pb_add(p, MOVI(2, 0));
		}
	}
	pb_add(p, CALL(c->id));
}

/* bpf_redirect, _peer, _neigh and bpf_clone_redirect take no ctx */
static bool no_ctx(int id)
{
	return id == 23 || id == 152 || id == 155;
}

static void add_seq_probe(const char *what, const struct hcall *c, size_t n, bool ldabs)
{
	struct pb p = {.n = 0};
	pb_add(&p, MOVX(6, 1));
	stack_pattern(&p);
	pb_ld64(&p, 2, 0x0a0b0c0d01020304ULL);
	pb_add(&p, STX(BPF_DW, 10, 2, -24));
	pb_add(&p, STX(BPF_DW, 10, 2, -32));
	pb_add(&p, MOVI(8, 0));
	for (size_t i = 0; i < n; i++) {
		struct hcall h = c[i];
		if (no_ctx(h.id)) {
			/* r1 = ifindex: shift the arguments */
			pb_ld64(&p, 1, h.a[0]);
			pb_ld64(&p, 2, h.a[1]);
			pb_ld64(&p, 3, h.a[2]);
			pb_ld64(&p, 4, h.a[3]);
			if (h.ptr_r2) {
				if (h.a[2]) {
					pb_add(&p, MOVX(2, 10));
					pb_add(&p, ALUI(BPF_ADD, 2, -32));
				} else {
					pb_add(&p, MOVI(2, 0));
				}
			}
			pb_add(&p, CALL(h.id));
		} else {
			call_h(&p, &h);
		}
		/* r8 = r8 * 33 + low byte of each return but the last */
		if (i + 1 < n) {
			pb_add(&p, ALUI(BPF_MUL, 8, 33));
			pb_add(&p, MOVX(2, 0));
			pb_add(&p, ALUI(BPF_AND, 2, 0xff));
			pb_add(&p, ALUX(BPF_ADD, 8, 2));
		}
	}
	if (ldabs)
		skb_ldabs_result(&p);
	else
		skb_state_result(&p);
	pb_add(&p, ALUI(BPF_LSH, 8, 24));
	pb_add(&p, ALUX(BPF_XOR, 0, 8));
	add_helper_probe("tc", "tc", what, &p);
}

static void add_resize_probes(void)
{
	char what[64];
	const uint64_t vq = 0x0081, vad = 0xa888;  /* htons(ETH_P_8021Q / _8021AD) */
	static const uint64_t pull[] = {0, 1, 14, 59, 60, 61, 1500, 0x7fffffff, 0x80000000u,
					0xffffffffu};
	for (size_t i = 0; i < NFIELDS(pull); i++) {
		struct hcall c = {39, {pull[i], 0, 0, 0}, false};
		snprintf(what, sizeof(what), "pull_data_%llx", (unsigned long long)pull[i]);
		add_seq_probe(what, &c, 1, false);
	}
	static const uint64_t tail[][2] = {
		{0, 0}, {13, 0}, {14, 0}, {20, 0}, {59, 0}, {60, 0}, {61, 0}, {100, 0}, {1000, 0},
		{3712, 0}, {5000, 0}, {16064, 0}, {16065, 0}, {0xffffffffu, 0}, {60, 1},
		{100, 1ULL << 32},
	};
	for (size_t i = 0; i < NFIELDS(tail); i++) {
		struct hcall c = {38, {tail[i][0], tail[i][1], 0, 0}, false};
		snprintf(what, sizeof(what), "change_tail_%llx_f%llx", (unsigned long long)tail[i][0],
			 (unsigned long long)tail[i][1]);
		add_seq_probe(what, &c, 1, false);
		if (i == 3 || i == 7)
			add_seq_probe(strcat(what, "_ldabs"), &c, 1, true);
	}
	static const uint64_t head[][2] = {
		{0, 0}, {1, 0}, {14, 0}, {100, 0}, {16004, 0}, {16005, 0}, {16064, 0},
		{0x7fffffff, 0}, {0x80000000u, 0}, {0xffffffffu, 0}, {4, 1},
	};
	for (size_t i = 0; i < NFIELDS(head); i++) {
		struct hcall c = {43, {head[i][0], head[i][1], 0, 0}, false};
		snprintf(what, sizeof(what), "change_head_%llx_f%llx", (unsigned long long)head[i][0],
			 (unsigned long long)head[i][1]);
		add_seq_probe(what, &c, 1, false);
		if (i == 2)
			add_seq_probe(strcat(what, "_ldabs"), &c, 1, true);
	}
	static const uint64_t push[][2] = {
		{0x0081, 5}, {0xa888, 0x1234}, {0x0008, 7}, {0x0081, 0x12345}, {0x10081, 1},
		{0x0081, 0}, {0, 0},
	};
	for (size_t i = 0; i < NFIELDS(push); i++) {
		struct hcall c = {18, {push[i][0], push[i][1], 0, 0}, false};
		snprintf(what, sizeof(what), "vlan_push_%llx_%llx", (unsigned long long)push[i][0],
			 (unsigned long long)push[i][1]);
		add_seq_probe(what, &c, 1, false);
	}
	struct hcall pop = {19, {0}, false};
	add_seq_probe("vlan_pop", &pop, 1, false);
	add_seq_probe("vlan_pop_ldabs", &pop, 1, true);
	static const struct {
		const char *name;
		struct hcall c[4];
		size_t n;
		bool ldabs;
	} seq[] = {
		{"vlan_push_push", {{18, {0x0081, 5, 0, 0}, 0}, {18, {0xa888, 9, 0, 0}, 0}}, 2, false},
		{"vlan_push_push_ldabs", {{18, {0x0081, 5, 0, 0}, 0}, {18, {0xa888, 9, 0, 0}, 0}}, 2, true},
		{"vlan_push_pop", {{18, {0x0081, 5, 0, 0}, 0}, {19, {0}, 0}}, 2, false},
		{"vlan_push_push_pop", {{18, {0x0081, 5, 0, 0}, 0}, {18, {vad, 6, 0, 0}, 0},
					 {19, {0}, 0}}, 3, false},
		{"vlan_push_push_pop_pop", {{18, {vq, 5, 0, 0}, 0}, {18, {vad, 6, 0, 0}, 0},
					     {19, {0}, 0}, {19, {0}, 0}}, 4, false},
		{"vlan_pop_pop", {{19, {0}, 0}, {19, {0}, 0}}, 2, false},
		{"vlan_push0_push", {{18, {0, 0, 0, 0}, 0}, {18, {vq, 3, 0, 0}, 0}}, 2, false},
		{"head14_vlan_pop", {{43, {14, 0, 0, 0}, 0}, {19, {0}, 0}}, 2, false},
		{"head4_vlan_push_push", {{43, {4, 0, 0, 0}, 0}, {18, {vq, 1, 0, 0}, 0},
					   {18, {vq, 2, 0, 0}, 0}}, 3, false},
		{"tail20_pull60", {{38, {20, 0, 0, 0}, 0}, {39, {60, 0, 0, 0}, 0}}, 2, false},
		{"tail200_head10_tail30", {{38, {200, 0, 0, 0}, 0}, {43, {10, 0, 0, 0}, 0},
					    {38, {30, 0, 0, 0}, 0}}, 3, false},
		{"head10_tail20", {{43, {10, 0, 0, 0}, 0}, {38, {20, 0, 0, 0}, 0}}, 2, false},
		{"head10_tail23", {{43, {10, 0, 0, 0}, 0}, {38, {23, 0, 0, 0}, 0}}, 2, false},
		{"head10_tail24", {{43, {10, 0, 0, 0}, 0}, {38, {24, 0, 0, 0}, 0}}, 2, false},
		{"proto46_64", {{31, {0xdd86, 0, 0, 0}, 0}, {31, {0x0008, 0, 0, 0}, 0}}, 2, false},
		{"proto46_ldabs", {{31, {0xdd86, 0, 0, 0}, 0}}, 1, true},
		{"encap_twice", {{50, {20, 1, 0x12, 0}, 0}, {50, {20, 1, 0x12, 0}, 0}}, 2, false},
		{"encap_tail", {{50, {20, 1, 0x12, 0}, 0}, {38, {100, 0, 0, 0}, 0}}, 2, false},
		{"encap_udp_tail40", {{50, {28, 1, 0x12, 0}, 0}, {38, {40, 0, 0, 0}, 0}}, 2, false},
		{"room8_ldabs", {{50, {8, 1, 0, 0}, 0}}, 1, true},
		{"room_m8_ldabs", {{50, {(uint64_t)-8, 0, 0, 0}, 0}}, 1, true},
	};
	for (size_t i = 0; i < NFIELDS(seq); i++)
		add_seq_probe(seq[i].name, seq[i].c, seq[i].n, seq[i].ldabs);
	static const uint64_t proto[][2] = {{0xdd86, 0}, {0x0008, 0}, {0x0081, 0}, {0xdd86, 1},
					    {0x0608, 0}};
	for (size_t i = 0; i < NFIELDS(proto); i++) {
		struct hcall c = {31, {proto[i][0], proto[i][1], 0, 0}, false};
		snprintf(what, sizeof(what), "change_proto_%llx_f%llx", (unsigned long long)proto[i][0],
			 (unsigned long long)proto[i][1]);
		add_seq_probe(what, &c, 1, false);
	}
	/* bpf_skb_adjust_room(skb, diff, mode, flags); flags: 1 FIXED_GSO, 2/4
	 * ENCAP_L3_IPV4/6, 8 GRE, 0x10 UDP, 0x20 NO_CSUM_RESET, 0x40 L2_ETH,
	 * 0x80/0x100 DECAP_L3_IPV4/6, len << 56 ENCAP_L2 */
	static const struct {
		int32_t diff;
		uint32_t mode;
		uint64_t flags;
	} room[] = {
		{0, 0, 0}, {8, 0, 0}, {8, 1, 0}, {-8, 0, 0}, {-8, 1, 0}, {-20, 1, 0}, {-21, 1, 0},
		{-26, 1, 0}, {-27, 1, 0}, {-40, 1, 0}, {0xfff, 1, 0}, {0x1000, 1, 0},
		{-0x1000, 1, 0}, {INT32_MIN, 1, 0}, {8, 2, 0}, {8, 1, 1}, {8, 1, 0x20},
		{8, 1, 0x200}, {20, 1, 0x12}, {20, 1, 0xa}, {20, 1, 0x4}, {20, 1, 0x6},
		{20, 1, 0x1a}, {28, 1, 0x52 | (14ULL << 56)}, {28, 1, 0x42 | (10ULL << 56)},
		{8, 1, 0x2 | (20ULL << 56)}, {-20, 1, 0x80}, {-20, 1, 0x100}, {-20, 1, 0x180},
		{20, 1, 0x80}, {-8, 1, 0x2}, {-8, 0, 0x1}, {16000, 1, 0}, {3000, 1, 0},
	};
	for (size_t i = 0; i < NFIELDS(room); i++) {
		struct hcall c = {50, {(uint64_t)(int64_t)room[i].diff, room[i].mode, room[i].flags, 0},
				  false};
		snprintf(what, sizeof(what), "adjust_room_%s%x_%u_f%llx", room[i].diff < 0 ? "m" : "",
			 room[i].diff < 0 ? 0u - (uint32_t)room[i].diff : (uint32_t)room[i].diff,
			 room[i].mode, (unsigned long long)room[i].flags);
		add_seq_probe(what, &c, 1, false);
	}
	/* the redirect verdicts */
	static const uint64_t redir[][2] = {{1, 0}, {1, 1}, {5, 0}, {1, 2}, {1, 1ULL << 16},
					    {1, 1ULL << 63}, {0, 0}};
	for (size_t i = 0; i < NFIELDS(redir); i++) {
		struct hcall c = {23, {redir[i][0], redir[i][1], 0, 0}, false};
		snprintf(what, sizeof(what), "redirect_%llx_f%llx", (unsigned long long)redir[i][0],
			 (unsigned long long)redir[i][1]);
		add_seq_probe(what, &c, 1, false);
		c.id = 155;
		snprintf(what, sizeof(what), "redirect_peer_%llx_f%llx",
			 (unsigned long long)redir[i][0], (unsigned long long)redir[i][1]);
		add_seq_probe(what, &c, 1, false);
	}
	/* bpf_redirect_neigh(ifindex, params (fp-32), plen, flags) */
	static const uint64_t neigh[][3] = {{1, 0, 0}, {1, 20, 0}, {1, 8, 0}, {1, 24, 0},
					    {1, 0, 1}, {3, 20, 2}};
	for (size_t i = 0; i < NFIELDS(neigh); i++) {
		struct hcall c = {152, {neigh[i][0], 0, neigh[i][1], neigh[i][2]}, true};
		snprintf(what, sizeof(what), "redirect_neigh_%llx_%llu_f%llx",
			 (unsigned long long)neigh[i][0], (unsigned long long)neigh[i][1],
			 (unsigned long long)neigh[i][2]);
		add_seq_probe(what, &c, 1, false);
	}
	/* bpf_clone_redirect(skb, ifindex, flags): to the loopback device */
	static const uint64_t clone[][2] = {{1, 0}, {1, 1}, {0, 0}, {1, 2}, {1, 1ULL << 16},
					    {0, 2}};
	for (size_t i = 0; i < NFIELDS(clone); i++) {
		struct hcall c = {13, {clone[i][0], clone[i][1], 0, 0}, false};
		snprintf(what, sizeof(what), "clone_redirect_%llx_f%llx",
			 (unsigned long long)clone[i][0], (unsigned long long)clone[i][1]);
		add_seq_probe(what, &c, 1, false);
	}
	struct hcall cr[2] = {{18, {vq, 5, 0, 0}, false}, {13, {1, 0, 0, 0}, false}};
	add_seq_probe("vlan_push_clone_redirect", cr, 2, false);
	struct hcall rr[2] = {{23, {1, 0, 0, 0}, false}, {23, {1, 2, 0, 0}, false}};
	add_seq_probe("redirect_then_bad", rr, 2, false);
}

/* bpf_fib_lookup(ctx, fp-64, plen, flags) with params whose answer needs
 * no routing table: the argument checks and link-local IPv6 */
static void add_fib_probes(void)
{
	static const struct {
		const char *name;
		uint8_t family;
		uint32_t ifindex, plen, flags;
		uint8_t dst0, dst1;   /* first bytes of ipv6_dst */
		uint8_t src0;
	} fb[] = {
		{"plen32", 2, 1, 32, 0, 0, 0, 0}, {"plen63", 2, 1, 63, 0, 0, 0, 0},
		{"flags40", 2, 1, 64, 0x40, 0, 0, 0}, {"flags80000000", 2, 1, 64, 0x80000000u, 0, 0, 0},
		{"family0", 0, 1, 64, 0, 0, 0, 0}, {"family1", 1, 1, 64, 0, 0, 0, 0},
		{"v4_ifindex0", 2, 0, 64, 0, 0, 0, 0}, {"v6_ifindex0", 10, 0, 64, 0, 0x20, 0x01, 0},
		{"v6_mcast", 10, 1, 64, 0, 0xff, 0x02, 0}, {"v6_linklocal", 10, 1, 64, 0, 0xfe, 0x80, 0},
		{"v6_src_linklocal", 10, 1, 64, 0, 0x20, 0x01, 0xfe},
		{"v6_mcast_ifindex0", 10, 0, 64, 0, 0xff, 0x02, 0},
		{"v6_flags_bad", 10, 1, 64, 0x100, 0xff, 0x02, 0},
	};
	static const struct {
		const char *type, *sec;
	} types[] = {{"tc", "tc"}, {"xdp", "xdp"}};
	char what[64];
	for (size_t t = 0; t < NFIELDS(types); t++)
		for (size_t i = 0; i < NFIELDS(fb); i++) {
			struct pb p = {.n = 0};
			pb_add(&p, MOVX(6, 1));
			for (int o = -64; o < 0; o += 8)
				pb_add(&p, STI(BPF_DW, 10, (int16_t)o, 0));
			pb_add(&p, STI(BPF_B, 10, -64, fb[i].family));
			pb_add(&p, STI(BPF_W, 10, -64 + 8, (int32_t)fb[i].ifindex));
			pb_add(&p, STI(BPF_B, 10, -64 + 32, fb[i].dst0));
			pb_add(&p, STI(BPF_B, 10, -64 + 33, fb[i].dst1));
			pb_add(&p, STI(BPF_B, 10, -64 + 16, fb[i].src0));
			pb_add(&p, STI(BPF_B, 10, -64 + 17, fb[i].src0 ? 0x80 : 0));
			pb_add(&p, MOVX(1, 6));
			pb_add(&p, MOVX(2, 10));
			pb_add(&p, ALUI(BPF_ADD, 2, -(int32_t)fb[i].plen));
			pb_add(&p, MOVI(3, (int32_t)fb[i].plen));
			pb_ld64(&p, 4, fb[i].flags);
			pb_add(&p, CALL(69));
			/* plen < 64 moved params: the family is at fp-plen there */
			skb_result(&p);
			snprintf(what, sizeof(what), "fib_lookup_%s", fb[i].name);
			add_helper_probe(types[t].type, types[t].sec, what, &p);
		}
	/* xdp: bpf_redirect(ifindex, flags) */
	static const uint64_t xr[][2] = {{1, 0}, {1, 1}, {7, 0}, {0, 0}, {1, 1ULL << 40}};
	for (size_t i = 0; i < NFIELDS(xr); i++) {
		struct pb p = {.n = 0};
		pb_ld64(&p, 1, xr[i][0]);
		pb_ld64(&p, 2, xr[i][1]);
		pb_add(&p, CALL(23));
		snprintf(what, sizeof(what), "xdp_redirect_%llx_f%llx", (unsigned long long)xr[i][0],
			 (unsigned long long)xr[i][1]);
		add_helper_probe("xdp", "xdp", what, &p);
	}
}

static void add_helper_probes(void)
{
	add_xdp_helper_probes();
	add_skb_helper_probes();
	add_csum_diff_probes();
	add_refused_helper_probes();
	add_resize_probes();
	add_fib_probes();
}

/* One probe per context field (64-bit ones as two halves), plus packet
 * length, metadata length, whether skb->sk is set, and LD_ABS bytes. */
static void add_probes(void)
{
	static const struct {
		const char *type, *sec;
		bool xdp, to_cb, ld_abs;
	} types[] = {
		{"xdp", "xdp", true, false, false},
		{"tc", "tc", false, false, true},
		{"socket", "socket", false, false, true},
		{"cgroup_skb", "cgroup_skb/ingress", false, true, false},
	};
	for (size_t t = 0; t < NFIELDS(types); t++) {
		const struct field *f = types[t].xdp ? xdp_fields : skb_fields;
		size_t nf = types[t].xdp ? NFIELDS(xdp_fields) : NFIELDS(skb_fields);
		bool cb = types[t].to_cb;
		for (size_t i = 0; i < nf; i++) {
			/* pointers differ by nature: their differences are probed below */
			if (!strcmp(f[i].name, "data") || !strcmp(f[i].name, "data_end") ||
			    !strcmp(f[i].name, "data_meta") || !strcmp(f[i].name, "sk") ||
			    !strcmp(f[i].name, "flow_keys"))
				continue;
			char what[48];
			if (f[i].size == 8) {
				struct bpf_insn lo[] = {LDX(BPF_DW, 0, 1, (int16_t)f[i].off)};
				struct bpf_insn hi[] = {LDX(BPF_DW, 0, 1, (int16_t)f[i].off),
							INSN(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32)};
				snprintf(what, sizeof(what), "%s_lo", f[i].name);
				add_probe(types[t].type, types[t].sec, what, lo, 1, cb);
				snprintf(what, sizeof(what), "%s_hi", f[i].name);
				add_probe(types[t].type, types[t].sec, what, hi, 2, cb);
			} else {
				int sz = f[i].size == 4 ? BPF_W : f[i].size == 2 ? BPF_H : BPF_B;
				struct bpf_insn ld[] = {LDX(sz, 0, 1, (int16_t)f[i].off)};
				add_probe(types[t].type, types[t].sec, f[i].name, ld, 1, cb);
			}
		}
		int o_data = types[t].xdp ? (int)offsetof(struct xdp_md, data)
					  : (int)offsetof(struct __sk_buff, data);
		int o_end = types[t].xdp ? (int)offsetof(struct xdp_md, data_end)
					 : (int)offsetof(struct __sk_buff, data_end);
		int o_meta = types[t].xdp ? (int)offsetof(struct xdp_md, data_meta)
					  : (int)offsetof(struct __sk_buff, data_meta);
		struct bpf_insn pkt_len[] = {LDX(BPF_W, 2, 1, (int16_t)o_data),
					     LDX(BPF_W, 0, 1, (int16_t)o_end),
					     INSN(BPF_ALU64 | BPF_SUB | BPF_X, 0, 2, 0, 0)};
		add_probe(types[t].type, types[t].sec, "pkt_len", pkt_len, 3, cb);
		struct bpf_insn meta_len[] = {LDX(BPF_W, 2, 1, (int16_t)o_meta),
					      LDX(BPF_W, 0, 1, (int16_t)o_data),
					      INSN(BPF_ALU64 | BPF_SUB | BPF_X, 0, 2, 0, 0)};
		add_probe(types[t].type, types[t].sec, "meta_len", meta_len, 3, cb);
		if (!types[t].xdp) {
			/* r0 = skb->sk ? 7 : 3 */
			struct bpf_insn sk[] = {LDX(BPF_DW, 2, 1, offsetof(struct __sk_buff, sk)),
						MOVI(0, 7),
						INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 1, 0),
						MOVI(0, 3)};
			add_probe(types[t].type, types[t].sec, "sk_set", sk, 4, cb);
			/* r0 = skb->sk ? skb->sk->FIELD : 0xdead (what sock_common lets one read) */
			static const struct field sk_fields[] = {
				{"bound_dev_if", offsetof(struct bpf_sock, bound_dev_if), 4},
				{"family", offsetof(struct bpf_sock, family), 4},
				{"src_ip4", offsetof(struct bpf_sock, src_ip4), 4},
				{"src_ip6[0]", offsetof(struct bpf_sock, src_ip6[0]), 4},
				{"src_ip6[3]", offsetof(struct bpf_sock, src_ip6[3]), 4},
				{"src_port", offsetof(struct bpf_sock, src_port), 4},
				{"dst_port", offsetof(struct bpf_sock, dst_port), 2},
				{"dst_ip4", offsetof(struct bpf_sock, dst_ip4), 4},
				{"dst_ip6[0]", offsetof(struct bpf_sock, dst_ip6[0]), 4},
				{"dst_ip6[3]", offsetof(struct bpf_sock, dst_ip6[3]), 4},
				{"state", offsetof(struct bpf_sock, state), 4},
				{"rx_queue_mapping", offsetof(struct bpf_sock, rx_queue_mapping), 4},
			};
			for (size_t i = 0; i < NFIELDS(sk_fields); i++) {
				char what[48];
				snprintf(what, sizeof(what), "sk_%s", sk_fields[i].name);
				struct bpf_insn rd[] = {
					LDX(BPF_DW, 2, 1, offsetof(struct __sk_buff, sk)),
					MOVI(0, 0xdead),
					INSN(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1, 0),
					LDX(sk_fields[i].size == 4 ? BPF_W : BPF_H, 0, 2,
					    (int16_t)sk_fields[i].off)};
				add_probe(types[t].type, types[t].sec, what, rd, 4, cb);
			}
		}
		if (!types[t].xdp) {
			/* the fields a program may write: store, read back (ctx_out shows
			 * the store too) */
			static const struct field wr[] = {
				{"mark", offsetof(struct __sk_buff, mark), 4},
				{"priority", offsetof(struct __sk_buff, priority), 4},
				{"tc_index", offsetof(struct __sk_buff, tc_index), 4},
				{"tc_classid", offsetof(struct __sk_buff, tc_classid), 4},
				{"queue_mapping", offsetof(struct __sk_buff, queue_mapping), 4},
				{"cb[2]", offsetof(struct __sk_buff, cb[2]), 4},
				{"tstamp", offsetof(struct __sk_buff, tstamp), 8},
			};
			for (size_t i = 0; i < NFIELDS(wr); i++) {
				char what[48];
				int sz = wr[i].size == 8 ? BPF_DW : BPF_W;
				snprintf(what, sizeof(what), "write_%s", wr[i].name);
				struct bpf_insn w[] = {MOVI(2, 0x12345678),
						       STX(sz, 1, 2, (int16_t)wr[i].off),
						       LDX(sz, 0, 1, (int16_t)wr[i].off)};
				add_probe(types[t].type, types[t].sec, what, w, 3, cb);
			}
		}
		if (types[t].ld_abs) {
			struct bpf_insn b0[] = {INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
						INSN(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 0)};
			add_probe(types[t].type, types[t].sec, "ld_abs_b0", b0, 2, false);
			struct bpf_insn w12[] = {INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
						 INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 12)};
			add_probe(types[t].type, types[t].sec, "ld_abs_w12", w12, 2, false);
			/* SKF_NET_OFF: the network header, wherever skb->data is */
			struct bpf_insn net[] = {INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
						 INSN(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, -0x100000)};
			add_probe(types[t].type, types[t].sec, "ld_abs_net0", net, 2, false);
			/* SKF_LL_OFF: the Ethernet header (its EtherType) */
			struct bpf_insn ll[] = {INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
						INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, -0x200000 + 12)};
			add_probe(types[t].type, types[t].sec, "ld_abs_ll12", ll, 2, false);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool find_objects(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		printf("kernel-objects: cannot open %s: %s\n", dir, strerror(errno));
		return false;
	}
	char *names[MAX_OBJS];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < MAX_OBJS) {
		size_t len = strlen(e->d_name);
		if (len > 6 && !strcmp(e->d_name + len - 6, ".bpf.o"))
			names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct object *o = &objs[nobjs++];
		snprintf(o->name, sizeof(o->name), "%.*s", (int)(strlen(names[i]) - 6), names[i]);
		if (asprintf(&o->path, "%s/%s", dir, names[i]) < 0) {
			fprintf(stderr, "kernel-objects: out of memory\n");
			exit(1);
		}
		free(names[i]);
	}
	return n > 0;
}

/* -------------------------------------------------------------- inputs */

struct input {
	char label[72];
	uint8_t *data;
	size_t size;
	bool has_ctx;           /* ctx_in (and ctx_out) given */
	uint8_t ctx[MAX_CTX];
	size_t ctx_size;
	bool preloadable;       /* the map preloads apply to it */
};

static struct input inputs[MAX_INPUTS];
static size_t ninputs;

static struct input *new_input(const char *label, const uint8_t *data, size_t size)
{
	if (ninputs == MAX_INPUTS) {
		fprintf(stderr, "kernel-objects: too many inputs\n");
		exit(1);
	}
	struct input *in = &inputs[ninputs++];
	memset(in, 0, sizeof(*in));
	snprintf(in->label, sizeof(in->label), "%s", label);
	in->data = xmalloc(size);
	memcpy(in->data, data, size);
	in->size = size;
	return in;
}

static void free_inputs(void)
{
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i].data);
	ninputs = 0;
}

/* An Ethernet frame of size bytes: dst 02:00:00:00:00:02, IPv4 or another type. */
static uint8_t *frame(size_t size, uint16_t proto)
{
	uint8_t *f = xcalloc(1, size);
	static const uint8_t hdr[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	memcpy(f, hdr, size < 12 ? size : 12);
	if (size >= 14) {
		f[12] = (uint8_t)(proto >> 8);
		f[13] = (uint8_t)proto;
	}
	for (size_t i = 14; i < size; i++)
		f[i] = (uint8_t)(i * 7 + 3);
	if (proto == 0x0800 && size >= 34) {
		static const uint8_t ip[20] = {0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0,
					       192, 0, 2, 66, 198, 51, 100, 7};
		memcpy(f + 14, ip, 20);
		size_t tot = size - 14 > 0xffff ? 0xffff : size - 14;
		f[16] = (uint8_t)(tot >> 8);
		f[17] = (uint8_t)tot;
	}
	return f;
}

/* The context variants of one packet: none, all zero (XDP: the whole packet
 * linear), every settable field set. */
static void add_ctx_variants(const char *name, const uint8_t *data, size_t size, bool xdp,
			     bool preloadable)
{
	char label[72];
	snprintf(label, sizeof(label), "%s", name);
	new_input(label, data, size)->preloadable = preloadable;

	snprintf(label, sizeof(label), "%s+ctx", name);
	struct input *in = new_input(label, data, size);
	in->has_ctx = true;
	in->preloadable = preloadable;
	if (xdp) {
		struct xdp_md md = {.data_end = (uint32_t)size};
		memcpy(in->ctx, &md, sizeof(md));
		in->ctx_size = sizeof(md);
	} else {
		in->ctx_size = sizeof(struct __sk_buff);
	}

	snprintf(label, sizeof(label), "%s+fields", name);
	if (xdp) {
		/* 8 bytes of metadata in front of the frame, on the loopback device */
		uint8_t *d = xmalloc(size + 8);
		memcpy(d, "METADATA", 8);
		memcpy(d + 8, data, size);
		in = new_input(label, d, size + 8);
		free(d);
		struct xdp_md md = {.data = 8, .data_end = (uint32_t)size + 8, .ingress_ifindex = 1};
		memcpy(in->ctx, &md, sizeof(md));
		in->ctx_size = sizeof(md);
	} else {
		in = new_input(label, data, size);
		struct __sk_buff s;
		memset(&s, 0, sizeof(s));
		s.mark = 0x2a;
		s.priority = 7;
		s.ingress_ifindex = 3;
		s.ifindex = 1;
		for (int i = 0; i < 5; i++)
			s.cb[i] = 0x11111111u * (uint32_t)(i + 1);
		s.tstamp = 0x123456789abcdefULL;
		s.wire_len = (uint32_t)size + 100;
		s.gso_segs = 2;
		s.gso_size = 1400;
		s.hwtstamp = 0xfedcba987654321ULL;
		memcpy(in->ctx, &s, sizeof(s));
		in->ctx_size = sizeof(s);
	}
	in->has_ctx = true;
	in->preloadable = preloadable;

	if (xdp) {
		/* half the packet linear, the rest in fragments */
		snprintf(label, sizeof(label), "%s+split", name);
		in = new_input(label, data, size);
		struct xdp_md md = {.data_end = (uint32_t)size / 2};
		memcpy(in->ctx, &md, sizeof(md));
		in->ctx_size = sizeof(md);
		in->has_ctx = true;
	}
}

static void add_xdp_ctx(const char *label, const uint8_t *data, size_t size, struct xdp_md md,
			size_t ctx_size)
{
	struct input *in = new_input(label, data, size);
	memcpy(in->ctx, &md, sizeof(md));
	in->ctx_size = ctx_size;
	in->has_ctx = true;
}

static void add_skb_ctx(const char *label, const uint8_t *data, size_t size,
			const struct __sk_buff *s, size_t ctx_size)
{
	struct input *in = new_input(label, data, size);
	memcpy(in->ctx, s, sizeof(*s) < ctx_size ? sizeof(*s) : ctx_size);
	in->ctx_size = ctx_size;
	in->has_ctx = true;
}

/* What BPF_PROG_TEST_RUN accepts and refuses, at its edges. */
static void add_edges(bool xdp)
{
	static const struct {
		size_t size;
		uint16_t proto;
	} sizes[] = {
		{13, 0x0800}, {14, 0x0800}, {14, 0x0806}, {33, 0x0800}, {34, 0x0800},
		{53, 0x86dd}, {54, 0x86dd}, {3520, 0x0800}, {3521, 0x0800}, {3712, 0x0800},
		{3713, 0x0800}, {4000, 0x0800}, {73152, 0x0800}, {73153, 0x0800},
	};
	char label[72];
	for (size_t i = 0; i < NFIELDS(sizes); i++) {
		uint8_t *f = frame(sizes[i].size, sizes[i].proto);
		snprintf(label, sizeof(label), "edge-%zu-%04x", sizes[i].size, sizes[i].proto);
		new_input(label, f, sizes[i].size);
		free(f);
	}
	uint8_t *f = frame(60, 0x0800);
	if (xdp) {
		add_xdp_ctx("xdp-ctx-data_meta", f, 60, (struct xdp_md){.data_meta = 4, .data_end = 60}, 24);
		add_xdp_ctx("xdp-ctx-end>size", f, 60, (struct xdp_md){.data_end = 61}, 24);
		add_xdp_ctx("xdp-ctx-data>end", f, 60, (struct xdp_md){.data = 40, .data_end = 20}, 24);
		add_xdp_ctx("xdp-ctx-end0", f, 60, (struct xdp_md){0}, 24);
		add_xdp_ctx("xdp-ctx-end20", f, 60, (struct xdp_md){.data_end = 20}, 24);
		add_xdp_ctx("xdp-ctx-meta6", f, 60, (struct xdp_md){.data = 6, .data_end = 60}, 24);
		add_xdp_ctx("xdp-ctx-meta216", f, 60, (struct xdp_md){.data = 216, .data_end = 60}, 24);
		add_xdp_ctx("xdp-ctx-meta44-of-60", f, 60, (struct xdp_md){.data = 44, .data_end = 60}, 24);
		add_xdp_ctx("xdp-ctx-meta48-of-60", f, 60, (struct xdp_md){.data = 48, .data_end = 60}, 24);
		add_xdp_ctx("xdp-ctx-egress1", f, 60, (struct xdp_md){.data_end = 60, .egress_ifindex = 1}, 24);
		add_xdp_ctx("xdp-ctx-rxq1", f, 60, (struct xdp_md){.data_end = 60, .rx_queue_index = 1}, 24);
		add_xdp_ctx("xdp-ctx-lo-rxq1", f, 60,
			    (struct xdp_md){.data_end = 60, .ingress_ifindex = 1, .rx_queue_index = 1}, 24);
		add_xdp_ctx("xdp-ctx-8-bytes", f, 60, (struct xdp_md){.data_end = 60}, 8);
		uint8_t *big = frame(300, 0x0800);
		add_xdp_ctx("xdp-ctx-meta216-300", big, 300, (struct xdp_md){.data = 216, .data_end = 300}, 24);
		add_xdp_ctx("xdp-ctx-meta220-300", big, 300, (struct xdp_md){.data = 220, .data_end = 300}, 24);
		free(big);
		struct input *in = new_input("xdp-ctx-32-zero-tail", f, 60);
		struct xdp_md md = {.data_end = 60};
		memcpy(in->ctx, &md, sizeof(md));
		in->ctx_size = 32;
		in->has_ctx = true;
		in = new_input("xdp-ctx-32-tail", f, 60);
		memcpy(in->ctx, &md, sizeof(md));
		in->ctx[30] = 1;
		in->ctx_size = 32;
		in->has_ctx = true;
	} else {
		struct __sk_buff s;
		memset(&s, 0, sizeof(s));
		s.len = 1;
		add_skb_ctx("skb-ctx-len", f, 60, &s, sizeof(s));
		memset(&s, 0, sizeof(s));
		s.data_end = 60;
		add_skb_ctx("skb-ctx-data_end", f, 60, &s, sizeof(s));
		memset(&s, 0, sizeof(s));
		s.tstamp_type = 1;
		add_skb_ctx("skb-ctx-tstamp_type", f, 60, &s, sizeof(s));
		memset(&s, 0, sizeof(s));
		s.wire_len = 59;
		add_skb_ctx("skb-ctx-wire59", f, 60, &s, sizeof(s));
		s.wire_len = 46;
		add_skb_ctx("skb-ctx-wire46", f, 60, &s, sizeof(s));
		s.wire_len = 45;
		add_skb_ctx("skb-ctx-wire45", f, 60, &s, sizeof(s));
		s.wire_len = 65536;
		add_skb_ctx("skb-ctx-wire65536", f, 60, &s, sizeof(s));
		s.wire_len = 65537;
		add_skb_ctx("skb-ctx-wire65537", f, 60, &s, sizeof(s));
		memset(&s, 0, sizeof(s));
		s.gso_segs = 65535;
		add_skb_ctx("skb-ctx-gso65535", f, 60, &s, sizeof(s));
		s.gso_segs = 65536;
		add_skb_ctx("skb-ctx-gso65536", f, 60, &s, sizeof(s));
		memset(&s, 0, sizeof(s));
		s.ifindex = 999999;
		add_skb_ctx("skb-ctx-ifindex999999", f, 60, &s, sizeof(s));
		memset(&s, 0, sizeof(s));
		s.mark = 5;
		add_skb_ctx("skb-ctx-4-bytes", f, 60, &s, 4);
		add_skb_ctx("skb-ctx-12-bytes", f, 60, &s, 12);
		struct input *in = new_input("skb-ctx-256-zero-tail", f, 60);
		in->ctx_size = 256;
		in->has_ctx = true;
		in = new_input("skb-ctx-256-tail", f, 60);
		in->ctx[200] = 1;
		in->ctx_size = 256;
		in->has_ctx = true;
	}
	free(f);
}

/* Packets for a probe: one of each kind eth_type_trans tells apart. */
static void add_probe_packets(bool xdp)
{
	static const struct {
		const char *name;
		uint8_t dst[6];
		uint16_t proto;
		size_t size;
		uint16_t sap;
	} pk[] = {
		{"ipv4-otherhost", {2, 0, 0, 0, 0, 2}, 0x0800, 60, 0},
		{"ipv4-host", {0, 0, 0, 0, 0, 0}, 0x0800, 60, 0},
		{"arp-broadcast", {255, 255, 255, 255, 255, 255}, 0x0806, 42, 0},
		{"ipv6-multicast", {0x33, 0x33, 0, 0, 0, 1}, 0x86dd, 62, 0},
		{"802.3-raw", {2, 0, 0, 0, 0, 2}, 0x0040, 60, 0xffff},
		{"802.2", {2, 0, 0, 0, 0, 2}, 0x05dc, 60, 0x4242},
		{"802.2-14", {2, 0, 0, 0, 0, 2}, 0x0000, 14, 0},
		{"vlan", {2, 0, 0, 0, 0, 2}, 0x8100, 64, 0},
	};
	for (size_t i = 0; i < NFIELDS(pk); i++) {
		uint8_t *f = frame(pk[i].size, pk[i].proto);
		memcpy(f, pk[i].dst, 6);
		if (pk[i].proto == 0x86dd) {
			static const uint8_t ip6[40] = {
				0x60, 0, 0, 0, 0, 8, 17, 64,
				0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
				0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
			memcpy(f + 14, ip6, 40);
		}
		if (pk[i].sap && pk[i].size >= 16) {
			f[14] = (uint8_t)(pk[i].sap >> 8);
			f[15] = (uint8_t)pk[i].sap;
		}
		add_ctx_variants(pk[i].name, f, pk[i].size, xdp, false);
		free(f);
	}
	if (xdp) {
		/* past the linear part: fragments (the helpers' tail moves them) */
		uint8_t *f = frame(5000, 0x0800);
		new_input("ipv4-5000", f, 5000);
		add_xdp_ctx("ipv4-5000+split", f, 5000, (struct xdp_md){.data_end = 100}, 24);
		free(f);
	}
}

static void add_object_packets(const char *pktdir, const char *obj, bool xdp)
{
	DIR *d = opendir(pktdir);
	char *names[64];
	size_t n = 0, plen = strlen(obj);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) && n < 64) {
			size_t len = strlen(e->d_name);
			if (len > plen + 5 && !strncmp(e->d_name, obj, plen) && e->d_name[plen] == '_' &&
			    !strcmp(e->d_name + len - 4, ".pkt"))
				names[n++] = xstrdup(e->d_name);
		}
		closedir(d);
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path;
		uint8_t *data;
		size_t size;
		if (asprintf(&path, "%s/%s", pktdir, names[i]) < 0) {
			fprintf(stderr, "kernel-objects: out of memory\n");
			exit(1);
		}
		if (read_file(path, &data, &size)) {
			add_ctx_variants(names[i], data, size, xdp, true);
			free(data);
		} else {
			printf("kernel-objects: cannot read %s: %s\n", path, strerror(errno));
		}
		free(path);
		free(names[i]);
	}
	/* generated frames */
	uint8_t *f = frame(14, 0x0806);
	add_ctx_variants("gen-min14", f, 14, xdp, true);
	free(f);
	f = frame(1500, 0x0800);
	add_ctx_variants("gen-1500", f, 1500, xdp, true);
	free(f);
	uint8_t rnd_bytes[333];
	for (size_t i = 0; i < sizeof(rnd_bytes); i++)
		rnd_bytes[i] = (uint8_t)rnd();
	add_ctx_variants("gen-random64", rnd_bytes, 64, xdp, true);
	add_ctx_variants("gen-random333", rnd_bytes + 64, 269, xdp, true);
	add_edges(xdp);
}

/* ------------------------------------------------------------ preloads */

struct preload_elem {
	const char *map;
	uint8_t key[8];
	size_t klen;
	uint8_t val[24];
	size_t vlen;
};

struct preload {
	const char *obj, *label;
	struct preload_elem e[3];
	size_t n;
};

static const struct preload preloads[] = {
	{"xdp_firewall", "blocked=192.0.2.66", {{"blocked", {192, 0, 2, 66}, 4, {0}, 8}}, 1},
	{"xdp_firewall", "blocked=both",
	 {{"blocked", {192, 0, 2, 66}, 4, {5}, 8}, {"blocked", {198, 51, 100, 7}, 4, {7}, 8}}, 2},
	{"pkt_counter", "counts[6],[0]",
	 {{"counts", {6}, 4, {0xe8, 3, 0, 0, 0, 0, 0, 0, 0xa0, 0x86, 1}, 16},
	  {"counts", {0}, 4, {1, 0, 0, 0, 0, 0, 0, 0, 2}, 16}}, 2},
	/* the redirect maps: ifindex 1 is the loopback device, CPU 0 exists on
	 * every machine; an xskmap needs an AF_XDP socket, so it stays empty */
	{"redirect_devmap", "tx_port[2]=lo", {{"tx_port", {2}, 4, {1}, 4}}, 1},
	{"redirect_devmap", "tx_port[0,2]=lo", {{"tx_port", {0}, 4, {1}, 4},
						 {"tx_port", {2}, 4, {1}, 4}}, 2},
	{"redirect_devmap_hash", "tx_hash[2]=lo", {{"tx_hash", {2}, 4, {1}, 8}}, 1},
	{"redirect_cpumap", "cpus[0]", {{"cpus", {0}, 4, {64}, 8}}, 1},
	{"globals", "data+bss",
	 {{"globals.data", {0}, 4, {5, 0, 0, 0, 0, 0, 0, 0, 0x34, 0x12}, 12},
	  {"globals.bss", {0}, 4, {10, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0x27}, 12}}, 2},
};

/* ------------------------------------------------------------ outcomes */

struct entry {
	uint8_t *kv;            /* key then value */
};

struct map_dump {
	char name[64];
	uint32_t ksz, vsz;
	size_t n;
	struct entry *e;
	bool not_compared;      /* percpu (the kernel's CPU is not ours), or unreadable */
};

struct run_out {
	int rc;                 /* 0, or -1 refused/failed */
	int kerrno;
	char err[400];
	uint32_t retval;
	uint8_t *data;
	size_t dsize;
	uint8_t ctx[MAX_CTX];
	size_t csize;
	struct map_dump maps[MAX_MAPS];
	size_t nmaps;
};

static void free_out(struct run_out *o)
{
	free(o->data);
	for (size_t i = 0; i < o->nmaps; i++) {
		for (size_t j = 0; j < o->maps[i].n; j++)
			free(o->maps[i].e[j].kv);
		free(o->maps[i].e);
	}
	memset(o, 0, sizeof(*o));
}

static size_t sort_ksz;

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(((const struct entry *)a)->kv, ((const struct entry *)b)->kv, sort_ksz);
}

static void sort_dump(struct map_dump *d)
{
	sort_ksz = d->ksz;
	qsort(d->e, d->n, sizeof(d->e[0]), cmp_entry);
}

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* prog_array and maps of maps: the kernel's lookup gives a prog or map id,
 * bpfstep's the program's or map's index in the object (docs/maps.md) */
static void id_to_index(struct bpf_object *obj, enum bpf_map_type type, uint8_t *value)
{
	bool prog = type == BPF_MAP_TYPE_PROG_ARRAY;
	if (!prog && type != BPF_MAP_TYPE_ARRAY_OF_MAPS && type != BPF_MAP_TYPE_HASH_OF_MAPS)
		return;
	uint32_t id, idx = 0;
	memcpy(&id, value, 4);
	struct bpf_program *p;
	struct bpf_map *m;
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	__u32 len;
	if (prog) {
		bpf_object__for_each_program(p, obj) {
			memset(&pi, 0, sizeof(pi));
			len = sizeof(pi);
			if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &pi, &len) && pi.id == id)
				break;
			idx++;
		}
	} else {
		bpf_object__for_each_map(m, obj) {
			memset(&mi, 0, sizeof(mi));
			len = sizeof(mi);
			if (!bpf_obj_get_info_by_fd(bpf_map__fd(m), &mi, &len) && mi.id == id)
				break;
			idx++;
		}
	}
	memcpy(value, &idx, 4);
}

static void dump_kernel_maps(struct bpf_object *obj, struct run_out *o)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (o->nmaps == MAX_MAPS)
			break;
		struct map_dump *d = &o->maps[o->nmaps++];
		snprintf(d->name, sizeof(d->name), "%s", bpf_map__name(m));
		d->ksz = bpf_map__key_size(m);
		d->vsz = bpf_map__value_size(m);
		int fd = bpf_map__fd(m);
		if (is_percpu(bpf_map__type(m)) || fd < 0) {
			d->not_compared = true;
			continue;
		}
		d->e = xcalloc(MAX_ENTRIES, sizeof(d->e[0]));
		uint8_t *key = xcalloc(1, d->ksz), *next = xcalloc(1, d->ksz);
		int rc = bpf_map_get_next_key(fd, NULL, next);
		while (rc == 0 && d->n < MAX_ENTRIES) {
			uint8_t *kv = xcalloc(1, d->ksz + d->vsz);
			memcpy(kv, next, d->ksz);
			if (bpf_map_lookup_elem(fd, next, kv + d->ksz)) {
				free(kv);
			} else {
				id_to_index(obj, bpf_map__type(m), kv + d->ksz);
				d->e[d->n++].kv = kv;
			}
			memcpy(key, next, d->ksz);
			rc = bpf_map_get_next_key(fd, key, next);
		}
		free(key);
		free(next);
		sort_dump(d);
	}
}

static void dump_our_maps(struct bs_maps *maps, struct run_out *o)
{
	for (size_t i = 0; i < bs_maps_count(maps) && o->nmaps < MAX_MAPS; i++) {
		struct bs_map *m = bs_maps_at(maps, i);
		const struct bs_map_def *def = bs_map_def(m);
		struct map_dump *d = &o->maps[o->nmaps++];
		snprintf(d->name, sizeof(d->name), "%s", def->name);
		d->ksz = def->key_size;
		d->vsz = def->value_size;
		if (is_percpu(def->type)) {
			d->not_compared = true;
			continue;
		}
		d->e = xcalloc(MAX_ENTRIES, sizeof(d->e[0]));
		uint8_t *key = xcalloc(1, d->ksz), *next = xcalloc(1, d->ksz);
		int rc = bs_map_next_key(m, NULL, next);
		while (rc == 0 && d->n < MAX_ENTRIES) {
			uint8_t *kv = xcalloc(1, d->ksz + d->vsz);
			memcpy(kv, next, d->ksz);
			if (bs_map_lookup(m, next, kv + d->ksz))
				free(kv);
			else
				d->e[d->n++].kv = kv;
			memcpy(key, next, d->ksz);
			rc = bs_map_next_key(m, key, next);
		}
		free(key);
		free(next);
		sort_dump(d);
	}
}

/* --------------------------------------------------------------- sides */

static void fill_value(uint8_t *buf, size_t size, const struct preload_elem *e)
{
	memset(buf, 0, size);
	memcpy(buf, e->val, e->vlen < size ? e->vlen : size);
}

/* The kernel's two runs. Returns false (with why) when the object does not
 * load: a test failure for an example, "not applicable" for a probe. */
static bool kernel_case(const struct object *ob, const char *prog_name, const struct input *in,
			const struct preload *pl, struct run_out out[2], char *why, size_t whylen)
{
	libbpf_log[0] = '\0';
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = ob->name);
	struct bpf_object *obj = ob->path ? bpf_object__open_file(ob->path, NULL)
					  : bpf_object__open_mem(ob->elf, ob->elf_size, &oo);
	if (!obj) {
		snprintf(why, whylen, "libbpf cannot open it: %s %s", strerror(errno), libbpf_log);
		return false;
	}
	if (bpf_object__load(obj)) {
		int e = errno;
		snprintf(why, whylen, "the kernel refuses to load it (%s): %.300s", strerror(e),
			 libbpf_log);
		bpf_object__close(obj);
		return false;
	}
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog_name);
	if (!p) {
		snprintf(why, whylen, "libbpf has no program '%s'", prog_name);
		bpf_object__close(obj);
		return false;
	}
	for (size_t i = 0; pl && i < pl->n; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, pl->e[i].map);
		if (!m) {
			snprintf(why, whylen, "libbpf has no map '%s' to preload", pl->e[i].map);
			bpf_object__close(obj);
			return false;
		}
		uint8_t val[256], key[64];
		fill_value(val, bpf_map__value_size(m), &pl->e[i]);
		memset(key, 0, sizeof(key));
		memcpy(key, pl->e[i].key, pl->e[i].klen);
		if (bpf_map_update_elem(bpf_map__fd(m), key, val, 0)) {
			snprintf(why, whylen, "preloading map '%s': %s", pl->e[i].map, strerror(errno));
			bpf_object__close(obj);
			return false;
		}
	}
	int fd = bpf_program__fd(p);
	for (int r = 0; r < 2; r++) {
		struct run_out *o = &out[r];
		o->data = xmalloc(MAX_PKT);
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in->data,
			    .data_size_in = (uint32_t)in->size, .data_out = o->data,
			    .data_size_out = MAX_PKT);
		if (in->has_ctx) {
			t.ctx_in = in->ctx;
			t.ctx_size_in = (uint32_t)in->ctx_size;
			t.ctx_out = o->ctx;
			t.ctx_size_out = sizeof(o->ctx);
		}
		if (bpf_prog_test_run_opts(fd, &t)) {
			o->rc = -1;
			o->kerrno = errno;
			snprintf(o->err, sizeof(o->err), "%s", strerror(errno));
		} else {
			o->retval = t.retval;
			o->dsize = t.data_size_out;
			o->csize = in->has_ctx ? t.ctx_size_out : 0;
		}
		dump_kernel_maps(obj, o);
	}
	bpf_object__close(obj);
	return true;
}

enum our_result { OURS_RAN, OURS_SKIPPED, OURS_BROKEN };

static enum our_result our_case(const struct object *ob, const struct bs_prog *prog,
				const struct input *in, const struct preload *pl,
				struct run_out out[2], char *why, size_t whylen)
{
	struct bs_error err;
	struct bs_maps *maps;
	if (bs_object_create_maps(ob->ours, 1, &maps, &err)) {
		snprintf(why, whylen, "bs_object_create_maps: %s", err.message);
		return OURS_BROKEN;
	}
	for (size_t i = 0; pl && i < pl->n; i++) {
		struct bs_map *m = bs_maps_find(maps, pl->e[i].map);
		if (!m) {
			snprintf(why, whylen, "bpfstep has no map '%s' to preload", pl->e[i].map);
			bs_maps_free(maps);
			return OURS_BROKEN;
		}
		uint8_t val[256], key[64];
		fill_value(val, bs_map_def(m)->value_size, &pl->e[i]);
		memset(key, 0, sizeof(key));
		memcpy(key, pl->e[i].key, pl->e[i].klen);
		int rc = bs_map_update(m, key, val, 0);
		if (rc) {
			snprintf(why, whylen, "preloading map '%s': %s", pl->e[i].map, strerror(-rc));
			bs_maps_free(maps);
			return OURS_BROKEN;
		}
	}
	for (int r = 0; r < 2; r++) {
		struct run_out *o = &out[r];
		struct bs_test_run tr;
		memset(&tr, 0, sizeof(tr));
		tr.data_in = in->data;
		tr.data_size_in = in->size;
		if (in->has_ctx) {
			tr.ctx_in = in->ctx;
			tr.ctx_size_in = in->ctx_size;
		}
		if (bs_test_run(prog, maps, &tr, &err)) {
			if (err.kind == BS_ERR_HELPER && (strstr(err.message, "is not available here") ||
							  strstr(err.message, "cannot use helper") ||
							  strstr(err.message, "is not emulated"))) {
				size_t n;
				const struct bs_insn *insns = bs_prog_insns(prog, &n);
				const char *name = NULL;
				if (err.pc >= 0 && (size_t)err.pc < n && insns[err.pc].code == 0x85)
					name = bs_helper_name(insns[err.pc].imm);
				snprintf(why, whylen, "%s", name ? name : err.message);
				bs_maps_free(maps);
				return OURS_SKIPPED;
			}
			o->rc = -1;
			snprintf(o->err, sizeof(o->err), "%s: %s", bs_err_kind_name(err.kind),
				 err.message);
		} else {
			o->retval = (uint32_t)tr.retval;
			o->data = tr.data_out;
			o->dsize = tr.data_size_out;
			if (tr.ctx_size_out > sizeof(o->ctx)) {
				snprintf(why, whylen, "ctx_out is %zu bytes", tr.ctx_size_out);
				free(tr.ctx_out);
				bs_maps_free(maps);
				return OURS_BROKEN;
			}
			memcpy(o->ctx, tr.ctx_out, tr.ctx_size_out);
			o->csize = in->has_ctx ? tr.ctx_size_out : 0;
			free(tr.ctx_out);
			for (size_t c = 0; c < tr.nclones; c++)
				free(tr.clones[c].data);
			free(tr.clones);
		}
		dump_our_maps(maps, o);
	}
	bs_maps_free(maps);
	return OURS_RAN;
}

/* ------------------------------------------------------------- compare */

/* The first difference between the kernel's run and ours, or false. */
static bool differ(const struct run_out *k, const struct run_out *b, bool xdp, char *msg,
		   size_t len)
{
	char h1[64], h2[64];
	if ((k->rc != 0) != (b->rc != 0)) {
		if (k->rc)
			snprintf(msg, len, "the kernel refuses the input (%s), bpfstep runs it "
				 "(retval %u)", k->err, b->retval);
		else
			snprintf(msg, len, "the kernel runs it (retval %u), bpfstep fails: %s",
				 k->retval, b->err);
		return true;
	}
	if (k->rc)
		return false;  /* both refuse: nothing else to compare */
	if (k->retval != b->retval) {
		snprintf(msg, len, "retval: kernel %u (0x%x), bpfstep %u (0x%x)", k->retval,
			 k->retval, b->retval, b->retval);
		return true;
	}
	if (k->dsize != b->dsize) {
		snprintf(msg, len, "data_out: kernel %zu bytes, bpfstep %zu", k->dsize, b->dsize);
		return true;
	}
	for (size_t i = 0; i < k->dsize; i++)
		if (k->data[i] != b->data[i]) {
			snprintf(msg, len, "data_out[%zu]: kernel %s, bpfstep %s", i,
				 hex(k->data + i, k->dsize - i, h1, sizeof(h1)),
				 hex(b->data + i, b->dsize - i, h2, sizeof(h2)));
			return true;
		}
	if (k->csize != b->csize) {
		snprintf(msg, len, "ctx_out: kernel %zu bytes, bpfstep %zu", k->csize, b->csize);
		return true;
	}
	for (size_t i = 0; i < k->csize; i++)
		if (k->ctx[i] != b->ctx[i]) {
			const char *f = field_at(xdp, i);
			const struct field *tab = xdp ? xdp_fields : skb_fields;
			size_t nf = xdp ? NFIELDS(xdp_fields) : NFIELDS(skb_fields), at = i, sz = 1;
			for (size_t j = 0; j < nf; j++)
				if (!strcmp(tab[j].name, f)) {
					at = tab[j].off;
					sz = tab[j].size;
				}
			snprintf(msg, len, "ctx_out %s: kernel %s, bpfstep %s", f,
				 hex(k->ctx + at, sz, h1, sizeof(h1)), hex(b->ctx + at, sz, h2, sizeof(h2)));
			return true;
		}
	for (size_t i = 0; i < k->nmaps; i++) {
		const struct map_dump *km = &k->maps[i], *bm = NULL;
		for (size_t j = 0; j < b->nmaps; j++)
			if (!strcmp(b->maps[j].name, km->name))
				bm = &b->maps[j];
		if (!bm) {
			snprintf(msg, len, "map '%s': bpfstep has no such map", km->name);
			return true;
		}
		if (km->ksz != bm->ksz || km->vsz != bm->vsz) {
			snprintf(msg, len, "map '%s': kernel key/value %u/%u bytes, bpfstep %u/%u",
				 km->name, km->ksz, km->vsz, bm->ksz, bm->vsz);
			return true;
		}
		if (km->not_compared || bm->not_compared)
			continue;
		for (size_t j = 0; j < km->n || j < bm->n; j++) {
			if (j >= km->n || j >= bm->n) {
				const struct entry *e = j < km->n ? &km->e[j] : &bm->e[j];
				snprintf(msg, len, "map '%s': key %s only in %s (kernel %zu entries, "
					 "bpfstep %zu)", km->name, hex(e->kv, km->ksz, h1, sizeof(h1)),
					 j < km->n ? "the kernel" : "bpfstep", km->n, bm->n);
				return true;
			}
			if (memcmp(km->e[j].kv, bm->e[j].kv, km->ksz)) {
				snprintf(msg, len, "map '%s': kernel has key %s, bpfstep %s", km->name,
					 hex(km->e[j].kv, km->ksz, h1, sizeof(h1)),
					 hex(bm->e[j].kv, km->ksz, h2, sizeof(h2)));
				return true;
			}
			if (memcmp(km->e[j].kv + km->ksz, bm->e[j].kv + km->ksz, km->vsz)) {
				char hk[64];
				snprintf(msg, len, "map '%s' key %s: kernel %s, bpfstep %s", km->name,
					 hex(km->e[j].kv, km->ksz, hk, sizeof(hk)),
					 hex(km->e[j].kv + km->ksz, km->vsz, h1, sizeof(h1)),
					 hex(bm->e[j].kv + km->ksz, km->vsz, h2, sizeof(h2)));
				return true;
			}
		}
	}
	for (size_t j = 0; j < b->nmaps; j++) {
		bool found = false;
		for (size_t i = 0; i < k->nmaps; i++)
			found |= !strcmp(b->maps[j].name, k->maps[i].name);
		if (!found) {
			snprintf(msg, len, "map '%s': only bpfstep has it", b->maps[j].name);
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- main */

/* Differences that are not the test run's (helpers/test_run.c) but the
 * interpreter's: the kernel rewrites these context stores (the verifier's
 * convert_ctx_access) and bpfstep stores the 32-bit value as it is. Shown,
 * not failed; a probe here that starts to agree is reported. */
static const struct {
	const char *obj, *why;
} known[] = {
	/* empty now: the narrow __sk_buff stores (tc_index, tc_classid,
	 * queue_mapping) that were listed here are rewritten like the kernel's */
	{NULL, NULL},
};

static const char *known_why(const char *obj)
{
	for (size_t i = 0; i < NFIELDS(known); i++)
		if (known[i].obj && !strcmp(known[i].obj, obj))
			return known[i].why;
	return NULL;
}

struct skip {
	char what[160];
	char helper[64];
	size_t cases;
};

static struct skip skips[64];
static size_t nskips;
static uint64_t ncases, nmismatch, nskipped, nna, nknown, nrefused, nhelper;

static void note_skip(const char *what, const char *helper)
{
	for (size_t i = 0; i < nskips; i++)
		if (!strcmp(skips[i].what, what) && !strcmp(skips[i].helper, helper)) {
			skips[i].cases++;
			return;
		}
	if (nskips < 64) {
		snprintf(skips[nskips].what, sizeof(skips[nskips].what), "%s", what);
		snprintf(skips[nskips].helper, sizeof(skips[nskips].helper), "%s", helper);
		skips[nskips++].cases = 1;
	}
}

static void run_case(struct object *ob, const struct bs_prog *prog, const struct input *in,
		     const struct preload *pl)
{
	if (ob->kernel_refused)
		return;
	char what[256], why[512];
	snprintf(what, sizeof(what), "%s/%s/%s%s%s%s", ob->name, bs_prog_name(prog), in->label,
		 pl ? " [" : "", pl ? pl->label : "", pl ? "]" : "");
	bool xdp = bs_prog_type(prog) == BS_PROG_XDP;
	struct run_out k[2], b[2];
	memset(k, 0, sizeof(k));
	memset(b, 0, sizeof(b));
	why[0] = '\0';
	enum our_result ours = our_case(ob, prog, in, pl, b, why, sizeof(why));
	if (ours == OURS_SKIPPED && ob->helper_probe) {
		/* bpfstep refuses the helper for this type: so must the verifier */
		char kwhy[512];
		kwhy[0] = '\0';
		ncases++;
		if (kernel_case(ob, bs_prog_name(prog), in, pl, k, kwhy, sizeof(kwhy))) {
			nmismatch++;
			printf("kernel-objects: MISMATCH %s: the kernel loads it, bpfstep refuses %s\n",
			       what, why);
		} else {
			nrefused++;
			if (verbose)
				printf("kernel-objects: ok %s: both refuse %s\n", what, why);
		}
		ob->kernel_refused = true;
		goto out;
	}
	if (ours == OURS_SKIPPED) {
		char obj_prog[160];
		snprintf(obj_prog, sizeof(obj_prog), "%s/%s", ob->name, bs_prog_name(prog));
		note_skip(obj_prog, why);
		ncases++;
		nskipped++;
		if (verbose)
			printf("kernel-objects: skip %s: needs %s\n", what, why);
		goto out;
	}
	if (ours == OURS_BROKEN) {
		ncases++;
		nmismatch++;
		printf("kernel-objects: MISMATCH %s: %s\n", what, why);
		goto out;
	}
	if (!kernel_case(ob, bs_prog_name(prog), in, pl, k, why, sizeof(why))) {
		if (ob->helper_probe) {
			ncases++;
			nmismatch++;
			ob->kernel_refused = true;
			printf("kernel-objects: MISMATCH %s: bpfstep runs it, the kernel refuses to load "
			       "it: %s\n", what, why);
			goto out;
		}
		if (ob->probe) {
			/* the verifier refuses this probe: the field is not for this type */
			ob->kernel_refused = true;
			nna++;
			if (verbose)
				printf("kernel-objects: n/a %s: %s\n", ob->name, why);
			goto out;
		}
		ncases++;
		nmismatch++;
		printf("kernel-objects: MISMATCH %s: %s\n", what, why);
		goto out;
	}
	ncases++;
	if (ob->helper_probe)
		nhelper++;
	const char *kw = known_why(ob->name);
	for (int r = 0; r < 2; r++) {
		char msg[512];
		if (differ(&k[r], &b[r], xdp, msg, sizeof(msg))) {
			if (kw) {
				nknown++;
				if (verbose || !ob->known_shown)
					printf("kernel-objects: KNOWN %s run %d: %s (%s)\n", what, r + 1,
					       msg, kw);
				ob->known_shown = true;
				goto out;
			}
			nmismatch++;
			printf("kernel-objects: MISMATCH %s run %d: %s\n", what, r + 1, msg);
			goto out;
		}
	}
	if (kw)
		printf("kernel-objects: NOTE %s agrees now: take %s off the known list\n", what,
		       ob->name);
	if (verbose)
		printf("kernel-objects: ok %s: %s retval %u, %zu bytes out\n", what,
		       k[0].rc ? "refused" : "ran", k[0].retval, k[0].dsize);
out:
	for (int r = 0; r < 2; r++) {
		free_out(&k[r]);
		free_out(&b[r]);
	}
}

/* bpf() usable at all, and BPF_PROG_TEST_RUN: NULL, or why not. */
static const char *probe_bpf(char *buf, size_t len)
{
	struct bpf_insn ret0[] = {MOVI(0, 0), EXIT()};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0) {
		int e = errno;
		snprintf(buf, len, "bpf(BPF_PROG_LOAD): %s%s", strerror(e),
			 e == EPERM || e == EACCES ? (geteuid() ? " (not root)" : " (no CAP_BPF, or seccomp)")
			 : "");
		return buf;
	}
	uint8_t pkt[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt));
	int rc = bpf_prog_test_run_opts(fd, &t);
	int e = errno;
	close(fd);
	if (rc) {
		snprintf(buf, len, "bpf(BPF_PROG_TEST_RUN): %s", strerror(e));
		return buf;
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kernel_objects [-v] OBJDIR PKTDIR [MOREDIR]\n"
		   "  OBJDIR: the built examples (*.bpf.o); PKTDIR: their packets (NAME_*.pkt)\n");
}

int main(int argc, char **argv)
{
	const char *objdir = NULL, *pktdir = NULL, *moredir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!objdir)
			objdir = argv[i];
		else if (!pktdir)
			pktdir = argv[i];
		else if (!moredir)
			moredir = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!objdir || !pktdir) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	char why[256];
	if (geteuid() != 0) {
		/* unprivileged loads (where allowed) verify differently */
		printf("kernel-objects: skipped: not root\n");
		return 77;
	}
	const char *no = probe_bpf(why, sizeof(why));
	if (no) {
		printf("kernel-objects: skipped: %s\n", no);
		return 77;
	}
	if (!find_objects(objdir)) {
		printf("kernel-objects: no *.bpf.o in %s\n", objdir);
		return 1;
	}
	/* the test objects (tests/data/pkt), treated as examples */
	if (moredir && !find_objects(moredir)) {
		printf("kernel-objects: no *.bpf.o in %s\n", moredir);
		return 1;
	}
	size_t nexamples = nobjs;
	add_probes();
	size_t nprobes = nobjs;
	add_helper_probes();

	for (size_t oi = 0; oi < nobjs; oi++) {
		struct object *ob = &objs[oi];
		struct bs_error err;
		int rc = ob->path ? bs_object_open(ob->path, &ob->ours, &err)
				  : bs_object_open_mem(ob->name, ob->elf, ob->elf_size, &ob->ours, &err);
		if (rc) {
			ncases++;
			nmismatch++;
			printf("kernel-objects: MISMATCH %s: bs_object_open: %s\n", ob->name, err.message);
			continue;
		}
		for (size_t pi = 0; pi < bs_object_prog_count(ob->ours); pi++) {
			const struct bs_prog *prog = bs_object_prog(ob->ours, pi);
			bool xdp = bs_prog_type(prog) == BS_PROG_XDP;
			if (oi < nexamples)
				add_object_packets(pktdir, ob->name, xdp);
			else
				add_probe_packets(xdp);
			for (size_t ii = 0; ii < ninputs; ii++) {
				run_case(ob, prog, &inputs[ii], NULL);
				if (!inputs[ii].preloadable)
					continue;
				for (size_t p = 0; p < NFIELDS(preloads); p++)
					if (!strcmp(preloads[p].obj, ob->name))
						run_case(ob, prog, &inputs[ii], &preloads[p]);
			}
			free_inputs();
		}
		bs_object_close(ob->ours);
		ob->ours = NULL;
	}

	for (size_t i = 0; i < nskips; i++)
		printf("kernel-objects: skipped %s (%zu cases): needs %s, which bpfstep does not "
		       "provide yet\n", skips[i].what, skips[i].cases, skips[i].helper);
	printf("kernel-objects: %zu example objects, %zu probe objects (%" PRIu64
	       " probes the verifier refuses for their type, not counted)\n", nexamples,
	       nobjs - nexamples, nna);
	printf("kernel-objects: %zu helper probe objects: %" PRIu64 " cases compared, %" PRIu64
	       " objects refused at load by both for their program type\n", nobjs - nprobes,
	       nhelper, nrefused);
	if (nknown)
		printf("kernel-objects: %" PRIu64 " cases differ in known ways (KNOWN above: the "
		       "interpreter's, not the test run's), counted as skipped\n", nknown);
	printf("kernel-objects: %" PRIu64 " cases, %" PRIu64 " mismatches, %" PRIu64
	       " skipped (unsupported helper)\n", ncases, nmismatch, nskipped);
	printf("%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n",
	       ncases - nmismatch - nskipped - nknown, nmismatch, nskipped + nknown);
	for (size_t i = 0; i < nobjs; i++) {
		free(objs[i].path);
		free(objs[i].elf);
	}
	return nmismatch ? 1 : 0;
}
