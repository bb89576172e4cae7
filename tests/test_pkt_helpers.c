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

/* ------------------------------------------------- program types */

static void expect_refused(const char *sec, int id)
{
	struct bs_test_run tr;
	struct bs_error err;
	int rc = run(sec, P(MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
			    CALL_HELPER(id), EXIT()), pkt, 60, NULL, 0, &tr, &err);
	if (!rc || err.kind != BS_ERR_HELPER || !strstr(err.message, "is not available here"))
		printf("%s calling %d: rc %d: %s\n", sec, id, rc, rc ? err.message : "ran");
	assert_int_not_equal(rc, 0);
	assert_int_equal(err.kind, BS_ERR_HELPER);
	assert_non_null(strstr(err.message, "is not available here"));
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
