// SPDX-License-Identifier: MIT
/* The packet helpers through bs_test_run: bpf_xdp_adjust_head / _meta /
 * _tail, bpf_skb_store_bytes, bpf_l3_csum_replace, bpf_l4_csum_replace and
 * bpf_csum_diff, every error return, the sandbox after the packet moves,
 * and which program types get which helper (tests/kernel_objects.c checks
 * the same against the kernel). */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/maps.h"
#include "bpfstep/run.h"
#include "tests/testutil.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* A relocatable BPF ELF with one program in section sec, like
 * tests/kernel_objects.c builds its probes. */
static uint8_t *build_elf(const char *sec, const struct bs_insn *insns, size_t n, size_t *size)
{
	char strtab[128];
	size_t so = 1;
	strtab[0] = '\0';
#define STR(s) ({ size_t at_ = so; so += (size_t)snprintf(strtab + so, sizeof(strtab) - so, "%s", s) + 1; at_; })
	size_t s_strtab = STR(".strtab"), s_symtab = STR(".symtab"), s_sec = STR(sec),
	       s_lic = STR("license"), s_fn = STR("prog"), s_licsym = STR("LICENSE");
#undef STR
	size_t text_size = n * sizeof(*insns);
	size_t o_strtab = sizeof(Elf64_Ehdr);
	size_t o_text = (o_strtab + so + 7) & ~(size_t)7;
	size_t o_lic = o_text + text_size;
	size_t o_sym = (o_lic + 4 + 7) & ~(size_t)7;
	size_t o_sh = o_sym + 3 * sizeof(Elf64_Sym);
	*size = o_sh + 5 * sizeof(Elf64_Shdr);
	uint8_t *b = calloc(1, *size);
	assert_non_null(b);
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

#define LD_ABS(sz, k) INSN(0x20 | (sz), 0, 0, 0, k)

#define P(...) (const struct bs_insn[]){__VA_ARGS__}, sizeof((struct bs_insn[]){__VA_ARGS__}) / 8

/* One run of prog (in section sec) over data (and ctx_in, if given):
 * returns bs_test_run's result, tr filled (the caller frees its outputs). */
static int run(const char *sec, const struct bs_insn *insns, size_t n, const void *data,
	       size_t size, const void *ctx, size_t ctx_size, struct bs_test_run *tr,
	       struct bs_error *err)
{
	size_t esz;
	uint8_t *elf = build_elf(sec, insns, n, &esz);
	struct bs_object *obj;
	if (bs_object_open_mem("t", elf, esz, &obj, err)) {
		printf("open: %s\n", err->message);
		free(elf);
		fail();
	}
	memset(tr, 0, sizeof(*tr));
	tr->data_in = data;
	tr->data_size_in = size;
	tr->ctx_in = ctx;
	tr->ctx_size_in = ctx_size;
	int rc = bs_test_run(bs_object_prog(obj, 0), NULL, tr, err);
	bs_object_close(obj);
	free(elf);
	return rc;
}

static void free_tr(struct bs_test_run *tr)
{
	free(tr->data_out);
	free(tr->ctx_out);
}

static uint8_t pkt[1500];

static void fill_pkt(void)
{
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 3);
}

/* ------------------------------------------------------------------ xdp */

#define XDP_DATA offsetof(struct xdp_md, data)
#define XDP_END offsetof(struct xdp_md, data_end)
#define XDP_META offsetof(struct xdp_md, data_meta)

/* r0 = helper(ctx, off) */
static int64_t xdp_call(int id, int32_t off, size_t size, const struct xdp_md *md,
			struct bs_test_run *tr)
{
	struct bs_error err;
	int rc = run("xdp", P(MOV64_IMM(2, off), CALL_HELPER(id), EXIT()), pkt, size, md,
		     md ? sizeof(*md) : 0, tr, &err);
	if (rc)
		printf("run: %s\n", err.message);
	assert_int_equal(rc, 0);
	return (int32_t)tr->retval;
}

static void check_xdp(int id, int32_t off, size_t size, const struct xdp_md *md, int64_t want,
		      uint32_t out_data, uint32_t out_end)
{
	struct bs_test_run tr;
	int64_t r = xdp_call(id, off, size, md, &tr);
	if (r != want || tr.ctx_size_out != sizeof(struct xdp_md))
		printf("helper %d offset %d on %zu bytes: %lld, want %lld\n", id, off, size,
		       (long long)r, (long long)want);
	assert_int_equal(r, want);
	struct xdp_md out;
	memcpy(&out, tr.ctx_out, sizeof(out));
	assert_int_equal(out.data, out_data);
	assert_int_equal(out.data_end, out_end);
	if (!md || md->data_end >= size)  /* no fragments */
		assert_int_equal(tr.data_size_out, out_end);
	free_tr(&tr);
}

static void test_adjust_head(void **state)
{
	(void)state;
	fill_pkt();
	/* 256 bytes of headroom, 40 of them the xdp_frame's */
	check_xdp(44, -216, 60, NULL, 0, 0, 276);
	check_xdp(44, -217, 60, NULL, -EINVAL, 0, 60);
	check_xdp(44, 46, 60, NULL, 0, 0, 14);
	check_xdp(44, 47, 60, NULL, -EINVAL, 0, 60);
	check_xdp(44, INT_MIN, 60, NULL, -EINVAL, 0, 60);
	check_xdp(44, INT_MAX, 60, NULL, -EINVAL, 0, 60);
	/* the upper 32 bits of the offset do not count */
	struct bs_test_run tr;
	struct bs_error err;
	assert_int_equal(run("xdp", P(LD_IMM64_LO(2, 0x100000004ULL), LD_IMM64_HI(0x100000004ULL),
				      CALL_HELPER(44), EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 0);
	assert_int_equal(tr.data_size_out, 56);
	assert_memory_equal(tr.data_out, pkt + 4, 56);
	free_tr(&tr);
	/* with metadata: it moves along, and bounds the head */
	uint8_t d[68];
	memcpy(d, "METADATA", 8);
	memcpy(d + 8, pkt, 60);
	struct xdp_md md = {.data = 8, .data_end = 68};
	assert_int_equal(run("xdp", P(MOV64_IMM(2, -208), CALL_HELPER(44), EXIT()), d, 68, &md,
			     sizeof(md), &tr, &err), 0);
	assert_int_equal(tr.retval, 0);
	assert_int_equal(tr.data_size_out, 276);
	assert_memory_equal(tr.data_out, "METADATA", 8);
	free_tr(&tr);
	assert_int_equal(run("xdp", P(MOV64_IMM(2, -209), CALL_HELPER(44), EXIT()), d, 68, &md,
			     sizeof(md), &tr, &err), 0);
	assert_int_equal((int32_t)tr.retval, -EINVAL);
	free_tr(&tr);
}

static void test_adjust_meta(void **state)
{
	(void)state;
	fill_pkt();
	struct xdp_md md = {.data_end = 60};
	check_xdp(54, -216, 60, &md, 0, 216, 276);
	check_xdp(54, -220, 60, &md, -EINVAL, 0, 60);   /* into the xdp_frame */
	check_xdp(54, 1, 60, &md, -EINVAL, 0, 60);      /* past data */
	check_xdp(54, -3, 60, &md, -EACCES, 0, 60);     /* not a multiple of 4 */
	check_xdp(54, 0, 60, &md, 0, 0, 60);
	/* more than 255 bytes: the head moved first makes room for it */
	struct bs_test_run tr;
	struct bs_error err;
	const struct bs_insn prog[] = {
		MOV64_REG(6, 1), MOV64_IMM(2, 40), CALL_HELPER(44), MOV64_REG(1, 6),
		LDX(SZ_W, 2, 1, 0), MOV64_IMM(2, -256), CALL_HELPER(54), MOV64_REG(7, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, -252), CALL_HELPER(54), ALU64_IMM(0x60, 0, 16),
		ALU64_REG(0x00, 0, 7), EXIT(),
	};
	assert_int_equal(run("xdp", prog, sizeof(prog) / 8, pkt, 60, NULL, 0, &tr, &err), 0);
	/* -EACCES, then 0 */
	assert_int_equal(tr.retval, (uint32_t)-EACCES);
	assert_int_equal(tr.data_size_out, 252 + 20);
	free_tr(&tr);
}

static void test_adjust_tail(void **state)
{
	(void)state;
	fill_pkt();
	/* the page less the headroom and the skb_shared_info tailroom */
	check_xdp(65, 4096 - 256 - 320 - 60, 60, NULL, 0, 0, 3520);
	check_xdp(65, 4096 - 256 - 320 - 60 + 1, 60, NULL, -EINVAL, 0, 60);
	check_xdp(65, -46, 60, NULL, 0, 0, 14);
	check_xdp(65, -47, 60, NULL, -EINVAL, 0, 60);
	check_xdp(65, INT_MIN, 60, NULL, -EINVAL, 0, 60);
	check_xdp(65, INT_MAX, 60, NULL, -EINVAL, 0, 60);
	struct bs_test_run tr;
	assert_int_equal(xdp_call(65, 100, 60, NULL, &tr), 0);
	assert_memory_equal(tr.data_out, pkt, 60);
	for (size_t i = 60; i < 160; i++)
		assert_int_equal(tr.data_out[i], 0);
	free_tr(&tr);
	/* fragments: 30 bytes linear, 30 in one fragment (a page at most) */
	struct xdp_md md = {.data_end = 30};
	check_xdp(65, 4096 - 30, 60, &md, 0, 0, 30);
	check_xdp(65, 4096 - 30 + 1, 60, &md, -EINVAL, 0, 30);
	check_xdp(65, -30, 60, &md, 0, 0, 30);  /* the fragment goes */
	assert_int_equal(xdp_call(65, -40, 60, &md, &tr), 0);  /* then 10 linear bytes */
	assert_int_equal(tr.data_size_out, 20);
	assert_memory_equal(tr.data_out, pkt, 20);
	free_tr(&tr);
	check_xdp(65, -46, 60, &md, 0, 0, 14);
	check_xdp(65, -47, 60, &md, -EINVAL, 0, 30);
	/* -INT_MIN is INT_MIN: nothing shrinks, and it succeeds */
	check_xdp(65, INT_MIN, 60, &md, 0, 0, 30);
}

/* a packet pointer kept from before the packet moved */
static void test_old_pointers(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	struct bs_error err;
	/* head +20: the first 20 bytes are gone */
	assert_int_not_equal(run("xdp", P(MOV64_REG(6, 1), LDX(SZ_W, 7, 1, XDP_DATA),
					  MOV64_IMM(2, 20), CALL_HELPER(44), LDX(SZ_B, 0, 7, 0),
					  EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_int_equal(err.pc, 4);
	/* ... and byte 20 is still there, at the same address */
	assert_int_equal(run("xdp", P(MOV64_REG(6, 1), LDX(SZ_W, 7, 1, XDP_DATA),
				      MOV64_IMM(2, 20), CALL_HELPER(44), LDX(SZ_B, 0, 7, 20),
				      EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, pkt[20]);
	free_tr(&tr);
	/* tail -20: the last 20 bytes are gone */
	assert_int_not_equal(run("xdp", P(MOV64_REG(6, 1), LDX(SZ_W, 7, 1, XDP_DATA),
					  MOV64_IMM(2, -20), CALL_HELPER(65), LDX(SZ_B, 0, 7, 40),
					  EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	/* head -20 grows into the headroom: the new bytes (zeros) are reachable */
	assert_int_equal(run("xdp", P(MOV64_REG(6, 1), MOV64_IMM(2, -20), CALL_HELPER(44),
				      LDX(SZ_W, 7, 6, XDP_DATA), ST(SZ_B, 7, 0, 0x5a),
				      LDX(SZ_B, 0, 7, 1), EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 0);
	assert_int_equal(tr.data_size_out, 80);
	assert_int_equal(tr.data_out[0], 0x5a);
	assert_memory_equal(tr.data_out + 20, pkt, 60);
	free_tr(&tr);
	/* but never past the new start */
	assert_int_not_equal(run("xdp", P(MOV64_REG(6, 1), MOV64_IMM(2, -20), CALL_HELPER(44),
					  LDX(SZ_W, 7, 6, XDP_DATA), LDX(SZ_B, 0, 7, -1), EXIT()),
				 pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
}

/* ------------------------------------------------------------------ skb */

/* r0 = helper(skb, r2..r5) in a tc program, the 8 bytes at fp-8 being
 * 01 02 03 04 05 06 07 08 */
static int64_t tc_call(int id, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		       struct bs_test_run *tr)
{
	struct bs_error err;
	const struct bs_insn prog[] = {
		LD_IMM64_LO(2, 0x0807060504030201ULL), LD_IMM64_HI(0x0807060504030201ULL),
		STX(SZ_DW, 10, 2, -8),
		LD_IMM64_LO(2, a2), LD_IMM64_HI(a2), LD_IMM64_LO(3, a3), LD_IMM64_HI(a3),
		LD_IMM64_LO(4, a4), LD_IMM64_HI(a4), LD_IMM64_LO(5, a5), LD_IMM64_HI(a5),
		CALL_HELPER(id), EXIT(),
	};
	int rc = run("tc", prog, sizeof(prog) / 8, pkt, 60, NULL, 0, tr, &err);
	if (rc)
		printf("run: %s\n", err.message);
	assert_int_equal(rc, 0);
	return (int32_t)tr->retval;
}

/* bpf_skb_store_bytes(skb, off, fp-8, len, flags) */
static int64_t store(uint32_t off, uint32_t len, uint64_t flags, struct bs_test_run *tr)
{
	struct bs_error err;
	const struct bs_insn prog[] = {
		LD_IMM64_LO(2, 0x0807060504030201ULL), LD_IMM64_HI(0x0807060504030201ULL),
		STX(SZ_DW, 10, 2, -8), MOV64_IMM(2, (int32_t)off), MOV64_REG(3, 10),
		ALU64_IMM(0x00, 3, -8), MOV64_IMM(4, (int32_t)len), LD_IMM64_LO(5, flags),
		LD_IMM64_HI(flags), CALL_HELPER(9), EXIT(),
	};
	int rc = run("tc", prog, sizeof(prog) / 8, pkt, 60, NULL, 0, tr, &err);
	if (rc)
		printf("run: %s\n", err.message);
	assert_int_equal(rc, 0);
	return (int32_t)tr->retval;
}

static void test_store_bytes(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	static const uint8_t pat[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(store(52, 8, 3, &tr), 0);
	assert_memory_equal(tr.data_out, pkt, 52);
	assert_memory_equal(tr.data_out + 52, pat, 8);
	free_tr(&tr);
	static const struct {
		uint32_t off, len;
		uint64_t flags;
		int want;
	} e[] = {
		{0, 4, 4, -EINVAL}, {0, 4, 1ULL << 32, -EINVAL}, {53, 8, 0, -EFAULT},
		{60, 1, 0, -EFAULT}, {0x80000000u, 4, 0, -EFAULT}, {0xffffffffu, 4, 0, -EFAULT},
		{60, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		assert_int_equal(store(e[i].off, e[i].len, e[i].flags, &tr), e[i].want);
		assert_memory_equal(tr.data_out, pkt, 60);
		free_tr(&tr);
	}
}

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static void test_csum_replace(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	/* error returns, l3 (10) and l4 (11) */
	for (int id = 10; id <= 11; id++) {
		assert_int_equal(tc_call(id, 25, 1, 2, 2, &tr), -EFAULT);   /* odd */
		free_tr(&tr);
		assert_int_equal(tc_call(id, 59, 1, 2, 2, &tr), -EFAULT);
		free_tr(&tr);
		assert_int_equal(tc_call(id, 0x10000, 1, 2, 2, &tr), -EFAULT);
		free_tr(&tr);
		assert_int_equal(tc_call(id, 24, 1, 2, 0, &tr), -EINVAL);   /* diff with a from */
		free_tr(&tr);
		assert_int_equal(tc_call(id, 24, 1, 2, 3, &tr), -EINVAL);   /* size 3 */
		free_tr(&tr);
		assert_int_equal(tc_call(id, 24, 1, 2, 8, &tr), -EINVAL);
		free_tr(&tr);
		assert_int_equal(tc_call(id, 24, 1, 2, 0x100, &tr), -EINVAL);
		free_tr(&tr);
		/* bad flags come before a bad offset */
		assert_int_equal(tc_call(id, 25, 1, 2, 0x102, &tr), -EINVAL);
		assert_memory_equal(tr.data_out, pkt, 60);
		free_tr(&tr);
	}
	assert_int_equal(tc_call(10, 24, 1, 2, 0x12, &tr), -EINVAL);  /* l3 has no pseudo */
	free_tr(&tr);
	assert_int_equal(tc_call(11, 24, 1, 2, 0xf2, &tr), 0);
	free_tr(&tr);
	/* the arithmetic: replacing a value by itself changes nothing */
	assert_int_equal(tc_call(10, 24, 0x1234, 0x1234, 2, &tr), 0);
	assert_memory_equal(tr.data_out, pkt, 60);
	free_tr(&tr);
	/* and replacing a, then b, is one checksum update: the sum of the
	 * header with the field changed (RFC 1624), here 16-bit words 2..3 */
	assert_int_equal(tc_call(10, 24, 0, 0, 0, &tr), 0);
	uint16_t before = ld16(tr.data_out + 24);
	free_tr(&tr);
	assert_int_equal(tc_call(10, 24, 0x0102, 0x0304, 2, &tr), 0);
	uint16_t after = ld16(tr.data_out + 24);
	free_tr(&tr);
	assert_int_not_equal(before, after);
	/* BPF_F_MARK_MANGLED_0: a zero checksum (bytes 2..3) stays 0 unless
	 * BPF_F_MARK_ENFORCE; a result of 0 is written as 0xffff */
	uint8_t save[2] = {pkt[2], pkt[3]};
	pkt[2] = pkt[3] = 0;
	assert_int_equal(tc_call(11, 2, 0x1234, 0x5678, 0x24, &tr), 0);
	assert_int_equal(ld16(tr.data_out + 2), 0);
	free_tr(&tr);
	assert_int_equal(tc_call(11, 2, 0x1234, 0x1234, 0x64, &tr), 0);
	assert_int_equal(ld16(tr.data_out + 2), 0xffff);
	free_tr(&tr);
	assert_int_equal(tc_call(11, 2, 0x1234, 0x1234, 0x44, &tr), 0);
	assert_int_equal(ld16(tr.data_out + 2), 0);
	free_tr(&tr);
	pkt[2] = save[0];
	pkt[3] = save[1];
}

/* bpf_csum_diff(fp-16, fsz, fp-8, tsz, seed) in xdp */
static uint64_t csum_diff(uint32_t fsz, uint32_t tsz, uint32_t seed, int16_t from, int16_t to)
{
	struct bs_test_run tr;
	struct bs_error err;
	const struct bs_insn prog[] = {
		LD_IMM64_LO(2, 0xa1b2c3d4e5f60718ULL), LD_IMM64_HI(0xa1b2c3d4e5f60718ULL),
		STX(SZ_DW, 10, 2, -16),
		LD_IMM64_LO(2, 0x293a4b5c6d7e8f90ULL), LD_IMM64_HI(0x293a4b5c6d7e8f90ULL),
		STX(SZ_DW, 10, 2, -8),
		MOV64_REG(1, 10), ALU64_IMM(0x00, 1, from), MOV64_IMM(2, (int32_t)fsz),
		MOV64_REG(3, 10), ALU64_IMM(0x00, 3, to), MOV64_IMM(4, (int32_t)tsz),
		MOV64_IMM(5, (int32_t)seed), CALL_HELPER(28),
		/* r0 = r0 ^ (r0 >> 32) << 16: the high half must be 0 */
		MOV64_REG(6, 0), ALU64_IMM(0x70, 6, 32), ALU64_IMM(0x60, 6, 16),
		ALU64_REG(0xa0, 0, 6), EXIT(),
	};
	assert_int_equal(run("xdp", prog, sizeof(prog) / 8, pkt, 60, NULL, 0, &tr, &err), 0);
	free_tr(&tr);
	return tr.retval;
}

static void test_csum_diff(void **state)
{
	(void)state;
	fill_pkt();
	/* values the kernel (6.18, x86-64) returns for the same programs */
	assert_int_equal(csum_diff(0, 0, 0x12345, -16, -8), 0x2346);
	assert_int_equal(csum_diff(4, 4, 0, -16, -8), 0x1000);
	assert_int_equal(csum_diff(8, 8, 0, -16, -8), 0x1f0f);
	assert_int_equal(csum_diff(8, 4, 0x1234, -16, -8), 0xbcac);
	assert_int_equal(csum_diff(0, 8, 0, -16, -8), 0x71a5);
	assert_int_equal(csum_diff(16, 0, 0, -16, -8), 0x3bc4);
	assert_int_equal(csum_diff(16, 16, 0, -16, -16), 0xffff);
	/* sizes need not be multiples of 4 any more (Linux 6.12) */
	assert_int_equal(csum_diff(3, 4, 0, -16, -8), 0xf500);
	assert_int_equal(csum_diff(4, 2, 0, -16, -8), 0xa281);
	/* an odd start */
	assert_int_equal(csum_diff(8, 0, 9, -11, -15), 0xe1a6);
}


/* ------------------------------------------- resizing an skb (tc) */

/* r0 = helper(skb, a2, a3, a4) twice if twice, then cb[0] = len,
 * cb[1] = protocol, cb[2] = vlan_present, cb[3] = vlan_tci, cb[4] =
 * vlan_proto; returns the (last) helper's result */
static int64_t tc_resize(int id, uint64_t a2, uint64_t a3, uint64_t a4, bool twice,
			 const void *data, size_t size, const struct __sk_buff *ctx,
			 struct bs_test_run *tr)
{
	struct bs_error err;
	struct bs_insn prog[64];
	size_t n = 0;
	prog[n++] = (struct bs_insn)MOV64_REG(6, 1);
	for (int k = 0; k < (twice ? 2 : 1); k++) {
		prog[n++] = (struct bs_insn)MOV64_REG(1, 6);
		prog[n++] = (struct bs_insn)LD_IMM64_LO(2, a2);
		prog[n++] = (struct bs_insn)LD_IMM64_HI(a2);
		prog[n++] = (struct bs_insn)LD_IMM64_LO(3, a3);
		prog[n++] = (struct bs_insn)LD_IMM64_HI(a3);
		prog[n++] = (struct bs_insn)LD_IMM64_LO(4, a4);
		prog[n++] = (struct bs_insn)LD_IMM64_HI(a4);
		prog[n++] = (struct bs_insn)CALL_HELPER(id);
	}
	static const uint16_t f[] = {
		offsetof(struct __sk_buff, len), offsetof(struct __sk_buff, protocol),
		offsetof(struct __sk_buff, vlan_present), offsetof(struct __sk_buff, vlan_tci),
		offsetof(struct __sk_buff, vlan_proto)};
	for (int i = 0; i < 5; i++) {
		prog[n++] = (struct bs_insn)LDX(SZ_W, 2, 6, (int16_t)f[i]);
		prog[n++] = (struct bs_insn)STX(SZ_W, 6, 2, (int16_t)offsetof(struct __sk_buff, cb[i]));
	}
	prog[n++] = (struct bs_insn)EXIT();
	int rc = run("tc", prog, n, data, size, ctx, ctx ? sizeof(*ctx) : 0, tr, &err);
	if (rc)
		printf("run: %s\n", err.message);
	assert_int_equal(rc, 0);
	return (int32_t)tr->retval;
}

static uint32_t cb(const struct bs_test_run *tr, int i)
{
	struct __sk_buff s;
	memcpy(&s, tr->ctx_out, sizeof(s));
	return s.cb[i];
}

static void test_change_tail_head(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	struct __sk_buff ctx;
	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(tc_resize(38, 100, 0, 0, false, pkt, 60, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 100);
	assert_int_equal(cb(&tr, 0), 100);
	assert_memory_equal(tr.data_out, pkt, 60);
	for (size_t i = 60; i < 100; i++)
		assert_int_equal(tr.data_out[i], 0);
	free_tr(&tr);
	assert_int_equal(tc_resize(38, 14, 0, 0, false, pkt, 60, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 14);
	free_tr(&tr);
	/* below the Ethernet header, past BPF_SKB_MAX_LEN, flags */
	static const uint64_t bad[][2] = {{13, 0}, {16065, 0}, {60, 1}, {0xffffffffu, 0}};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(tc_resize(38, bad[i][0], bad[i][1], 0, false, pkt, 60, &ctx, &tr),
				 -EINVAL);
		assert_int_equal(tr.data_size_out, 60);
		free_tr(&tr);
	}
	assert_int_equal(tc_resize(38, 16064, 0, 0, false, pkt, 60, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 16064);
	free_tr(&tr);
	/* a GSO skb stops being one */
	ctx.gso_size = 1400;
	ctx.gso_segs = 3;
	assert_int_equal(tc_resize(38, 70, 0, 0, false, pkt, 60, &ctx, &tr), 0);
	struct __sk_buff out;
	memcpy(&out, tr.ctx_out, sizeof(out));
	assert_int_equal(out.gso_segs, 0);
	free_tr(&tr);
	ctx.gso_size = ctx.gso_segs = 0;
	/* change_head: zeros in front */
	assert_int_equal(tc_resize(43, 14, 0, 0, false, pkt, 60, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 74);
	for (size_t i = 0; i < 14; i++)
		assert_int_equal(tr.data_out[i], 0);
	assert_memory_equal(tr.data_out + 14, pkt, 60);
	free_tr(&tr);
	static const uint64_t hbad[][2] = {{16005, 0}, {0x80000000u, 0}, {4, 1}};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(tc_resize(43, hbad[i][0], hbad[i][1], 0, false, pkt, 60, &ctx, &tr),
				 -EINVAL);
		free_tr(&tr);
	}
	/* a GSO skb may grow past the maximum, not past kmalloc's */
	ctx.gso_size = 1400;
	assert_int_equal(tc_resize(43, 0x7fffffff, 0, 0, false, pkt, 60, &ctx, &tr), -ENOMEM);
	free_tr(&tr);
	/* pull_data: a linear skb */
	assert_int_equal(tc_resize(39, 60, 0, 0, false, pkt, 60, NULL, &tr), 0);
	free_tr(&tr);
	assert_int_equal(tc_resize(39, 0, 0, 0, false, pkt, 60, NULL, &tr), 0);
	free_tr(&tr);
	assert_int_equal(tc_resize(39, 61, 0, 0, false, pkt, 60, NULL, &tr), -ENOMEM);
	free_tr(&tr);
}

static void test_vlan(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	struct __sk_buff ctx;
	memset(&ctx, 0, sizeof(ctx));
	uint8_t frame[64];
	memcpy(frame, pkt, 64);
	frame[12] = 0x08;
	frame[13] = 0x00;
	/* out of band: the data does not change */
	assert_int_equal(tc_resize(18, 0x0081, 0x12345, 0, false, frame, 60, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 60);
	assert_int_equal(cb(&tr, 2), 1);
	assert_int_equal(cb(&tr, 3), 0x2345);
	assert_int_equal(cb(&tr, 4), 0x0081);
	free_tr(&tr);
	/* a second push moves the first tag into the data */
	assert_int_equal(tc_resize(18, 0xa888, 7, 0, true, frame, 60, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 64);
	assert_memory_equal(tr.data_out, frame, 12);
	static const uint8_t tag[] = {0x88, 0xa8, 0x00, 0x07, 0x08, 0x00};
	assert_memory_equal(tr.data_out + 12, tag, 6);
	assert_int_equal(cb(&tr, 1), 0xa888);  /* protocol: the moved tag's */
	free_tr(&tr);
	/* an unknown protocol is 802.1Q */
	assert_int_equal(tc_resize(18, 0x0008, 1, 0, false, frame, 60, &ctx, &tr), 0);
	assert_int_equal(cb(&tr, 4), 0x0081);
	free_tr(&tr);
	/* pop: a tag in the data goes, protocol becomes the inner one */
	uint8_t tagged[64];
	memcpy(tagged, frame, 12);
	memcpy(tagged + 12, "\x81\x00\x00\x05\x86\xdd", 6);
	memcpy(tagged + 18, pkt, 46);
	assert_int_equal(tc_resize(19, 0, 0, 0, false, tagged, 64, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 60);
	assert_memory_equal(tr.data_out, tagged, 12);
	assert_memory_equal(tr.data_out + 12, "\x86\xdd", 2);
	assert_int_equal(cb(&tr, 1), 0xdd86);
	assert_int_equal(cb(&tr, 2), 0);
	free_tr(&tr);
	/* nothing to pop */
	assert_int_equal(tc_resize(19, 0, 0, 0, false, frame, 60, &ctx, &tr), 0);
	assert_int_equal(tr.data_size_out, 60);
	free_tr(&tr);
	/* a tagged frame too short for the tag */
	assert_int_equal(tc_resize(19, 0, 0, 0, false, tagged, 17, &ctx, &tr), -ENOMEM);
	free_tr(&tr);
}

static void test_proto_room(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	uint8_t ip4[60];
	memcpy(ip4, pkt, 60);
	ip4[12] = 0x08;
	ip4[13] = 0x00;
	ip4[14] = 0x45;
	assert_int_equal(tc_resize(31, 0xdd86, 0, 0, false, ip4, 60, NULL, &tr), 0);
	assert_int_equal(tr.data_size_out, 80);
	assert_memory_equal(tr.data_out, ip4, 14);
	for (size_t i = 14; i < 34; i++)
		assert_int_equal(tr.data_out[i], 0);
	assert_int_equal(cb(&tr, 1), 0xdd86);
	free_tr(&tr);
	assert_int_equal(tc_resize(31, 0xdd86, 1, 0, false, ip4, 60, NULL, &tr), -EINVAL);
	free_tr(&tr);
	assert_int_equal(tc_resize(31, 0x0081, 0, 0, false, ip4, 60, NULL, &tr), -524);
	free_tr(&tr);
	/* adjust_room: MAC mode grows after the Ethernet header, NET after IPv4 */
	assert_int_equal(tc_resize(50, 8, 1, 0, false, ip4, 60, NULL, &tr), 0);
	assert_int_equal(tr.data_size_out, 68);
	assert_memory_equal(tr.data_out + 22, ip4 + 14, 46);
	free_tr(&tr);
	assert_int_equal(tc_resize(50, (uint64_t)-8, 0, 0, false, ip4, 60, NULL, &tr), 0);
	assert_int_equal(tr.data_size_out, 52);
	assert_memory_equal(tr.data_out, ip4, 34);
	free_tr(&tr);
	static const struct {
		int64_t diff;
		uint64_t mode, flags;
		int want;
	} e[] = {
		{0x1000, 1, 0, -EFAULT}, {8, 2, 0, -524}, {8, 1, 1ULL << 9, -EINVAL},
		{-27, 1, 0, -524}, {20, 1, 0x80, -EINVAL}, {-20, 1, 0x180, -EINVAL},
		{20, 1, 0x6, -EINVAL}, {20, 1, 0x1a, -EINVAL}, {8, 1, 0x2 | (20ULL << 56), -EINVAL},
		{-8, 1, 0x2, -EINVAL}, {16000, 1, 0, -EFAULT},
	};
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		int64_t r = tc_resize(50, (uint64_t)e[i].diff, e[i].mode, e[i].flags, false, ip4, 60,
				      NULL, &tr);
		if (r != e[i].want)
			printf("adjust_room case %zu: %lld\n", i, (long long)r);
		assert_int_equal(r, e[i].want);
		assert_int_equal(tr.data_size_out, 60);
		free_tr(&tr);
	}
	/* a second encapsulation */
	assert_int_equal(tc_resize(50, 20, 1, 0x12, true, ip4, 60, NULL, &tr), -EALREADY);
	assert_int_equal(tr.data_size_out, 80);
	free_tr(&tr);
	/* non-IP */
	assert_int_equal(tc_resize(50, 8, 1, 0, false, pkt, 60, NULL, &tr), -524);
	free_tr(&tr);
}

/* LD_ABS follows the packet: after change_head(14), byte 12 is 0 and
 * SKF_LL_OFF + 0 is the new front */
static void test_resize_ld_abs(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	struct bs_error err;
	assert_int_equal(run("tc", P(MOV64_REG(6, 1), MOV64_IMM(2, 14), MOV64_IMM(3, 0),
				      CALL_HELPER(43), LD_ABS(SZ_B, 28), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, pkt[14]);
	free_tr(&tr);
	/* a pointer kept from before reads what is there now, and never
	 * outside the packet */
	assert_int_not_equal(run("tc", P(MOV64_REG(6, 1), LDX(SZ_W, 7, 1, 76), MOV64_IMM(2, 20),
					  MOV64_IMM(3, 0), CALL_HELPER(38), LDX(SZ_B, 0, 7, 30),
					  EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(err.kind, BS_ERR_MEMORY);
}

/* ----------------------------------------------------------- redirects */

static void test_redirect(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	assert_int_equal(tc_call(23, 0, 0, 0, 0, &tr), 7);
	free_tr(&tr);
	struct bs_error err;
	/* r1 = ifindex 5, r2 = flags */
	assert_int_equal(run("tc", P(MOV64_IMM(1, 5), MOV64_IMM(2, 1), CALL_HELPER(23), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 7);
	assert_int_equal(tr.redirect.kind, BS_REDIRECT_IFINDEX);
	assert_int_equal(tr.redirect.ifindex, 5);
	assert_int_equal(tr.redirect.flags, 1);
	free_tr(&tr);
	assert_int_equal(run("tc", P(MOV64_IMM(1, 5), MOV64_IMM(2, 2), CALL_HELPER(23), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 2);
	assert_int_equal(tr.redirect.kind, BS_REDIRECT_NONE);
	free_tr(&tr);
	assert_int_equal(run("tc", P(MOV64_IMM(1, 3), MOV64_IMM(2, 0), CALL_HELPER(155), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 7);
	assert_int_equal(tr.redirect.kind, BS_REDIRECT_PEER);
	free_tr(&tr);
	assert_int_equal(run("tc", P(MOV64_IMM(1, 3), MOV64_IMM(2, 0), MOV64_IMM(3, 0),
				      MOV64_IMM(4, 0), CALL_HELPER(152), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 7);
	assert_int_equal(tr.redirect.kind, BS_REDIRECT_NEIGH);
	free_tr(&tr);
	/* a plen below struct bpf_redir_neigh */
	assert_int_equal(run("tc", P(ST(SZ_DW, 10, -8, 0), MOV64_IMM(1, 3), MOV64_REG(2, 10),
				      ALU64_IMM(0x00, 2, -8), MOV64_IMM(3, 8), MOV64_IMM(4, 0),
				      CALL_HELPER(152), EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 2);
	free_tr(&tr);
	/* xdp */
	assert_int_equal(run("xdp", P(MOV64_IMM(1, 4), MOV64_IMM(2, 0), CALL_HELPER(23), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 4);
	assert_int_equal(tr.redirect.ifindex, 4);
	free_tr(&tr);
	assert_int_equal(run("xdp", P(MOV64_IMM(1, 4), MOV64_IMM(2, 1), CALL_HELPER(23), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 0);
	free_tr(&tr);
}

static void free_clones(struct bs_test_run *tr)
{
	for (size_t i = 0; i < tr->nclones; i++)
		free(tr->clones[i].data);
	free(tr->clones);
}

static void test_clone_redirect(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_test_run tr;
	struct bs_error err;
	/* clone, grow, clone again: two copies as they were */
	assert_int_equal(run("tc", P(MOV64_REG(6, 1), MOV64_IMM(2, 1), MOV64_IMM(3, 0),
				      CALL_HELPER(13), MOV64_REG(7, 0), MOV64_REG(1, 6),
				      MOV64_IMM(2, 70), MOV64_IMM(3, 0), CALL_HELPER(38),
				      MOV64_REG(1, 6), MOV64_IMM(2, 9), MOV64_IMM(3, 1),
				      CALL_HELPER(13), ALU64_REG(0x00, 0, 7), EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 0);
	assert_int_equal(tr.nclones, 2);
	assert_int_equal(tr.clones[0].ifindex, 1);
	assert_int_equal(tr.clones[0].size, 60);
	assert_memory_equal(tr.clones[0].data, pkt, 60);
	assert_int_equal(tr.clones[1].ifindex, 9);
	assert_int_equal(tr.clones[1].flags, 1);
	assert_int_equal(tr.clones[1].size, 70);
	free_clones(&tr);
	free_tr(&tr);
	assert_int_equal(tc_call(13, 0, 0, 0, 0, &tr), -EINVAL);   /* ifindex 0 */
	assert_int_equal(tr.nclones, 0);
	free_tr(&tr);
	assert_int_equal(tc_call(13, 1, 2, 0, 0, &tr), -EINVAL);   /* flags */
	free_tr(&tr);
	struct __sk_buff ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.gso_size = 100;
	assert_int_equal(run("tc", P(MOV64_IMM(2, 1), MOV64_IMM(3, 0), CALL_HELPER(13), EXIT()),
			     pkt, 60, &ctx, sizeof(ctx), &tr, &err), 0);
	assert_int_equal((int32_t)tr.retval, -EBADMSG);
	free_tr(&tr);
	/* a program cloning in a loop: stopped when the copies reach 64 MiB,
	 * long before the instruction budget */
	assert_int_equal(run("tc", P(MOV64_REG(6, 1), MOV64_IMM(2, 16000), MOV64_IMM(3, 0),
				      CALL_HELPER(38), MOV64_REG(1, 6), MOV64_IMM(2, 1),
				      MOV64_IMM(3, 0), CALL_HELPER(13), INSN(0x05, 0, 0, -5, 0),
				      EXIT()),
			     pkt, 60, NULL, 0, &tr, &err), -1);
	assert_int_equal(err.kind, BS_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "at most 64 MiB"));
	assert_null(tr.clones);
	free_tr(&tr);
}

/* bpf_fib_lookup(ctx, fp-64, plen, flags) with family, ifindex and tot_len:
 * returns (ret & 0xff) | (params->ifindex & 0xff) << 8 | mtu_result << 16 */
static uint32_t fib(const char *sec, uint8_t family, uint32_t ifindex, uint16_t tot_len,
		    int32_t plen, uint32_t flags, struct bs_env *env)
{
	struct bs_test_run tr;
	struct bs_error err;
	struct bs_insn prog[40];
	size_t n = 0;
	for (int o = -64; o < 0; o += 8)
		prog[n++] = (struct bs_insn)ST(SZ_DW, 10, (int16_t)o, 0);
	prog[n++] = (struct bs_insn)ST(SZ_B, 10, -64, family);
	prog[n++] = (struct bs_insn)ST(SZ_H, 10, -58, tot_len);
	prog[n++] = (struct bs_insn)ST(SZ_W, 10, -56, (int32_t)ifindex);
	prog[n++] = (struct bs_insn)MOV64_REG(2, 10);
	prog[n++] = (struct bs_insn)ALU64_IMM(0x00, 2, -64);
	prog[n++] = (struct bs_insn)MOV64_IMM(3, plen);
	prog[n++] = (struct bs_insn)MOV64_IMM(4, (int32_t)flags);
	prog[n++] = (struct bs_insn)CALL_HELPER(69);
	prog[n++] = (struct bs_insn)ALU64_IMM(0x50, 0, 0xff);     /* r0 &= 0xff */
	prog[n++] = (struct bs_insn)LDX(SZ_B, 2, 10, -56);
	prog[n++] = (struct bs_insn)ALU64_IMM(0x60, 2, 8);
	prog[n++] = (struct bs_insn)ALU64_REG(0x40, 0, 2);
	prog[n++] = (struct bs_insn)LDX(SZ_H, 2, 10, -58);
	prog[n++] = (struct bs_insn)ALU64_IMM(0x60, 2, 16);
	prog[n++] = (struct bs_insn)ALU64_REG(0x40, 0, 2);
	prog[n++] = (struct bs_insn)EXIT();
	size_t esz;
	uint8_t *elf = build_elf(sec, prog, n, &esz);
	struct bs_object *obj;
	assert_int_equal(bs_object_open_mem("t", elf, esz, &obj, &err), 0);
	memset(&tr, 0, sizeof(tr));
	tr.data_in = pkt;
	tr.data_size_in = 60;
	tr.env = env;
	int rc = bs_test_run(bs_object_prog(obj, 0), NULL, &tr, &err);
	if (rc)
		printf("fib: %s\n", err.message);
	assert_int_equal(rc, 0);
	bs_object_close(obj);
	free(elf);
	free_tr(&tr);
	return (uint32_t)tr.retval;
}

#define FIB(ret, ifindex, mtu) ((uint32_t)((ret) & 0xff) | (ifindex) << 8 | (uint32_t)(mtu) << 16)

static void test_fib_lookup(void **state)
{
	(void)state;
	fill_pkt();
	struct bs_env env;
	bs_env_default(&env);
	assert_int_equal(env.fib.ret, 4);
	for (int x = 0; x < 2; x++) {
		const char *sec = x ? "xdp" : "tc";
		assert_int_equal(fib(sec, 2, 1, 0, 32, 0, &env), FIB(-EINVAL, 1, 0));
		assert_int_equal(fib(sec, 2, 1, 0, 64, 0x40, &env), FIB(-EINVAL, 1, 0));
		assert_int_equal(fib(sec, 0, 1, 0, 64, 0, &env), FIB(-EAFNOSUPPORT, 1, 0));
		assert_int_equal(fib(sec, 2, 0, 0, 64, 0, &env), FIB(-ENODEV, 0, 0));
		assert_int_equal(fib(sec, 2, 1, 0, 64, 0, &env), FIB(4, 1, 0));
	}
	/* an answer: ifindex 7, MTU 1400 */
	env.fib.ret = 0;
	env.fib.ifindex = 7;
	env.fib.mtu = 1400;
	assert_int_equal(fib("tc", 2, 1, 0, 64, 0, &env), FIB(0, 7, 1400));
	assert_int_equal(fib("xdp", 10, 1, 100, 64, 0, &env), FIB(0, 7, 1400));
	/* a tot_len above the MTU */
	assert_int_equal(fib("xdp", 2, 1, 1500, 64, 0, &env), FIB(3, 1, 1400));
	assert_int_equal(fib("tc", 2, 1, 1401, 64, 0, &env), FIB(3, 1, 1400));
	/* tc without tot_len checks the packet (60 bytes) against the MTU */
	env.fib.mtu = 41;
	assert_int_equal(fib("tc", 2, 1, 0, 64, 0, &env), FIB(3, 7, 41));
}

/* bpf_redirect_map through tests/data/pkt/redirect_map.c (BS_LOADER_OBJ_DIR) */
static void redirect_obj(const char *name, const char *map, uint32_t key, const void *value,
			 const uint8_t head[4], int64_t want, uint32_t want_ifindex)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/redirect_%s.bpf.o", BS_LOADER_OBJ_DIR, name);
	struct bs_object *obj;
	struct bs_error err;
	if (bs_object_open(path, &obj, &err)) {
		printf("%s: %s\n", path, err.message);
		fail();
	}
	struct bs_maps *maps;
	assert_int_equal(bs_object_create_maps(obj, 1, &maps, &err), 0);
	if (value)
		assert_int_equal(bs_map_update(bs_maps_find(maps, map), &key, value, 0), 0);
	uint8_t data[60];
	memcpy(data, pkt, 60);
	memcpy(data, head, 4);
	struct bs_test_run tr;
	memset(&tr, 0, sizeof(tr));
	tr.data_in = data;
	tr.data_size_in = 60;
	assert_int_equal(bs_test_run(bs_object_prog(obj, 0), maps, &tr, &err), 0);
	assert_int_equal(tr.retval, want);
	if (want == 4) {
		assert_int_equal(tr.redirect.kind, BS_REDIRECT_MAP);
		assert_string_equal(tr.redirect.map, map);
		assert_int_equal(tr.redirect.ifindex, want_ifindex);
	}
	free_tr(&tr);
	bs_maps_free(maps);
	bs_object_close(obj);
}

static void test_redirect_map(void **state)
{
	(void)state;
	fill_pkt();
	uint32_t lo = 1;
	uint32_t dv[2] = {3, 0}, cpu[2] = {64, 0};
	/* key 2: an entry, or the low flag bits (3: XDP_TX) */
	redirect_obj("devmap", "tx_port", 2, &lo, (const uint8_t[]){2, 0, 0, 0}, 4, 1);
	redirect_obj("devmap", "tx_port", 2, NULL, (const uint8_t[]){2, 3, 0, 0}, 3, 0);
	/* BPF_F_BROADCAST: redirect without an entry */
	redirect_obj("devmap", "tx_port", 2, NULL, (const uint8_t[]){2, 1, 1, 1}, 4, 0);
	redirect_obj("devmap_hash", "tx_hash", 5, dv, (const uint8_t[]){5, 0, 0, 0}, 4, 3);
	redirect_obj("devmap_hash", "tx_hash", 5, dv, (const uint8_t[]){4, 2, 0, 0}, 2, 0);
	redirect_obj("cpumap", "cpus", 0, cpu, (const uint8_t[]){0, 0, 0, 0}, 4, 0);
	redirect_obj("cpumap", "cpus", 0, cpu, (const uint8_t[]){1, 1, 0, 0}, 1, 0);
	redirect_obj("xskmap", "xsks", 1, &lo, (const uint8_t[]){1, 0, 0, 0}, 4, 0);
	redirect_obj("xskmap", "xsks", 1, NULL, (const uint8_t[]){1, 0, 0, 0}, 0, 0);
}

/* the redirect maps' syscall side */
static void test_dev_maps(void **state)
{
	(void)state;
	struct bs_maps *maps;
	struct bs_error err;
	assert_int_equal(bs_maps_new(&maps, 2, &err), 0);
	struct bs_map *m;
	struct bs_map_def bad = {.type = 14, .key_size = 4, .value_size = 6, .max_entries = 4};
	assert_int_equal(bs_maps_create(maps, &bad, &m, &err), -EINVAL);
	bad.type = 16;
	bad.value_size = 8;
	bad.max_entries = 8193;
	assert_int_equal(bs_maps_create(maps, &bad, &m, &err), -E2BIG);
	bad.type = 17;
	bad.max_entries = 4;
	assert_int_equal(bs_maps_create(maps, &bad, &m, &err), -EINVAL);
	struct bs_map_def dev = {.name = "dev", .type = 14, .key_size = 4, .value_size = 8,
				 .max_entries = 4};
	assert_int_equal(bs_maps_create(maps, &dev, &m, &err), 0);
	uint32_t k = 1, v[2] = {5, (uint32_t)-1}, out[2];
	assert_int_equal(bs_map_update(m, &k, v, 0), 0);
	assert_int_equal(bs_map_lookup(m, &k, out), 0);
	assert_int_equal(out[0], 5);
	assert_int_equal(out[1], 0);
	assert_int_equal(bs_map_update(m, &k, v, 1), -EEXIST);
	k = 4;
	assert_int_equal(bs_map_update(m, &k, v, 0), -E2BIG);
	assert_int_equal(bs_map_delete(m, &k), -EINVAL);
	k = 1;
	v[1] = 3;
	assert_int_equal(bs_map_update(m, &k, v, 0), -EINVAL);  /* a program fd */
	v[0] = 0;
	v[1] = 0;
	assert_int_equal(bs_map_update(m, &k, v, 0), 0);        /* ifindex 0: empty */
	assert_int_equal(bs_map_lookup(m, &k, out), -ENOENT);
	struct bs_map_def hash = {.name = "hash", .type = 25, .key_size = 4, .value_size = 4,
				  .max_entries = 1};
	assert_int_equal(bs_maps_create(maps, &hash, &m, &err), 0);
	uint32_t ifx = 0;
	assert_int_equal(bs_map_update(m, &k, &ifx, 0), -EINVAL);
	ifx = 2;
	assert_int_equal(bs_map_update(m, &k, &ifx, 2), 0);     /* BPF_EXIST inserts */
	k = 2;
	assert_int_equal(bs_map_update(m, &k, &ifx, 0), -E2BIG);
	assert_int_equal(bs_map_delete(m, &k), -ENOENT);
	struct bs_map_def cpus = {.name = "cpus", .type = 16, .key_size = 4, .value_size = 4,
				  .max_entries = 4};
	assert_int_equal(bs_maps_create(maps, &cpus, &m, &err), 0);
	uint32_t q = 16385;
	assert_int_equal(bs_map_update(m, &k, &q, 0), -EOVERFLOW);
	q = 64;
	assert_int_equal(bs_map_update(m, &k, &q, 0), -ENODEV);   /* CPU 2 of 2 */
	k = 1;
	assert_int_equal(bs_map_update(m, &k, &q, 0), 0);
	assert_int_equal(bs_map_lookup(m, &k, out), 0);
	assert_int_equal(out[0], 64);
	struct bs_map_def xsk = {.name = "xsk", .type = 17, .key_size = 4, .value_size = 4,
				 .max_entries = 4};
	assert_int_equal(bs_maps_create(maps, &xsk, &m, &err), 0);
	assert_int_equal(bs_map_update(m, &k, &q, 2), -ENOENT);
	assert_int_equal(bs_map_update(m, &k, &q, 0), 0);
	assert_int_equal(bs_map_update(m, &k, &q, 1), -EEXIST);
	assert_int_equal(bs_map_lookup(m, &k, out), -EOPNOTSUPP);
	bs_maps_free(maps);
}

/* ------------------------------------------------- program types */

static void expect_refused(const char *sec, int id)
{
	struct bs_test_run tr;
	struct bs_error err;
	int rc = run(sec, P(MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
			    CALL_HELPER(id), EXIT()), pkt, 60, NULL, 0, &tr, &err);
	bool refused = rc && err.kind == BS_ERR_HELPER &&
		       (strstr(err.message, "cannot use helper") ||
			strstr(err.message, "is not available here"));
	if (!refused)
		printf("%s calling %d: rc %d: %s\n", sec, id, rc, rc ? err.message : "ran");
	assert_true(refused);
}

static void test_program_types(void **state)
{
	(void)state;
	fill_pkt();
	static const int skb_only[] = {9, 10, 11, 26};
	for (size_t i = 0; i < 4; i++)
		expect_refused("xdp", skb_only[i]);
	static const int xdp_only[] = {44, 54, 65};
	for (size_t i = 0; i < 3; i++) {
		expect_refused("tc", xdp_only[i]);
		expect_refused("socket", xdp_only[i]);
	}
	static const int tc_only[] = {9, 10, 11, 28};
	for (size_t i = 0; i < 4; i++) {
		expect_refused("socket", tc_only[i]);
		expect_refused("cgroup_skb/ingress", tc_only[i]);
	}
	/* and the ones each type has */
	struct bs_test_run tr;
	struct bs_error err;
	assert_int_equal(run("xdp", P(MOV64_REG(1, 10), ALU64_IMM(0x00, 1, -8), MOV64_IMM(2, 0),
				      MOV64_REG(3, 1), MOV64_IMM(4, 0), MOV64_IMM(5, 7),
				      CALL_HELPER(28), EXIT()), pkt, 60, NULL, 0, &tr, &err), 0);
	assert_int_equal(tr.retval, 7);
	free_tr(&tr);
	assert_int_equal(tc_call(28, 0, 0, 0, 0, &tr), 0);
	free_tr(&tr);
}

/* ----------------------------------------------- bs_vm_region_update */

static void test_region_update(void **state)
{
	(void)state;
	struct bs_vm *vm;
	struct bs_error err;
	uint8_t a[64], b[64];
	uint64_t ga, gb;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_equal(bs_vm_add_region(vm, "a", a, sizeof(a), BS_REGION_RW, &ga, &err), 0);
	assert_int_equal(bs_vm_add_region(vm, "b", b, sizeof(b), BS_REGION_RW, &gb, &err), 0);
	/* narrow a to [16, 48): the bytes keep their addresses */
	assert_int_equal(bs_vm_region_update(vm, ga, a + 16, 32, &err), 0);
	a[20] = 0x42;
	uint8_t *p = bs_vm_translate(vm, ga + 20, 1, false, &err);
	assert_ptr_equal(p, a + 20);
	assert_null(bs_vm_translate(vm, ga + 15, 1, false, &err));
	assert_int_equal(err.kind, BS_ERR_MEMORY);
	assert_null(bs_vm_translate(vm, ga + 40, 16, false, &err));
	/* it is now found by its new start, and may grow back */
	assert_int_not_equal(bs_vm_region_update(vm, ga, a, sizeof(a), &err), 0);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_int_equal(bs_vm_region_update(vm, ga + 16, a, sizeof(a), &err), 0);
	assert_ptr_equal(bs_vm_translate(vm, ga, 64, true, &err), a);
	/* never over another region, nor to address 0 */
	assert_int_not_equal(bs_vm_region_update(vm, ga, a, gb - ga + 1, &err), 0);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_int_not_equal(bs_vm_region_update(vm, ga, (void *)((uintptr_t)a - ga), 8, &err), 0);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_ptr_equal(bs_vm_translate(vm, gb, 64, true, &err), b);
	bs_vm_free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjust_head),
		cmocka_unit_test(test_adjust_meta),
		cmocka_unit_test(test_adjust_tail),
		cmocka_unit_test(test_old_pointers),
		cmocka_unit_test(test_store_bytes),
		cmocka_unit_test(test_csum_replace),
		cmocka_unit_test(test_csum_diff),
		cmocka_unit_test(test_program_types),
		cmocka_unit_test(test_region_update),
		cmocka_unit_test(test_change_tail_head),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_proto_room),
		cmocka_unit_test(test_resize_ld_abs),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_clone_redirect),
		cmocka_unit_test(test_fib_lookup),
		cmocka_unit_test(test_redirect_map),
		cmocka_unit_test(test_dev_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
