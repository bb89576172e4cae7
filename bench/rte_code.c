// SPDX-License-Identifier: MIT
/* librte_bpf's own programs under bpfstep's interpreter (bench/rte_code.h):
 * the interpreters compared on the very instructions librte runs. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpfstep/bpfstep.h"
#include "rte_code.h"

#define BENCH_PKT_LEN 1500
#define BENCH_MAP_ENTRIES 256
#define LOOKUP_HELPER 1

/* progs.h's BENCH_RTE context, as bench/rte.c gives it to librte */
struct rte_ctx {
	uint64_t len;
	uint8_t data[BENCH_PKT_LEN];
};

struct code {
	struct bs_insn *insns;
	size_t n;
	/* the instructions that name bench_map (lddw) and bench_array_lookup (call) */
	size_t *map_at, *call_at;
	size_t nmap, ncall;
};

static void code_free(struct code *c)
{
	free(c->insns);
	free(c->map_at);
	free(c->call_at);
}

static int note(size_t **at, size_t *n, size_t pc)
{
	size_t *more = realloc(*at, (*n + 1) * sizeof(*more));
	if (!more)
		return -1;
	more[(*n)++] = pc;
	*at = more;
	return 0;
}

/* Section "rte/NAME" of obj and where its relocations point; -1 if it has
 * none or names a symbol other than the two librte's loader resolves. */
static int read_code(Elf *e, const char *name, struct code *c)
{
	char want[128];
	snprintf(want, sizeof(want), "rte/%s", name);
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx))
		return -1;
	Elf_Scn *scn = NULL, *text = NULL;
	size_t text_idx = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *sn = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		if (sn && strcmp(sn, want) == 0) {
			text = scn;
			text_idx = elf_ndxscn(scn);
		}
	}
	Elf_Data *d = text ? elf_getdata(text, NULL) : NULL;
	if (!d || !d->d_size || d->d_size % sizeof(struct bs_insn))
		return -1;
	c->n = d->d_size / sizeof(struct bs_insn);
	c->insns = malloc(d->d_size);
	if (!c->insns)
		return -1;
	memcpy(c->insns, d->d_buf, d->d_size);
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL || sh.sh_info != text_idx)
			continue;
		Elf_Data *rd = elf_getdata(scn, NULL);
		Elf_Data *sd = elf_getdata(elf_getscn(e, sh.sh_link), NULL);
		GElf_Shdr symsh;
		if (!rd || !sd || !gelf_getshdr(elf_getscn(e, sh.sh_link), &symsh))
			return -1;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rel r;
			GElf_Sym s;
			if (!gelf_getrel(rd, (int)i, &r) || !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &s))
				return -1;
			const char *sn = elf_strptr(e, symsh.sh_link, s.st_name);
			size_t pc = r.r_offset / sizeof(struct bs_insn);
			if (!sn || pc >= c->n)
				return -1;
			if (strcmp(sn, "bench_map") == 0 && pc + 1 < c->n) {
				if (note(&c->map_at, &c->nmap, pc))
					return -1;
			} else if (strcmp(sn, "bench_array_lookup") == 0) {
				if (note(&c->call_at, &c->ncall, pc))
					return -1;
			} else {
				return -1;
			}
		}
	}
	return 0;
}

/* librte's array_lookup (bench/rte.c): r1 the array, r2 a u32 key's address */
static int array_lookup(struct bs_vm *vm, const uint64_t a[5], uint64_t *r0,
			struct bs_error *err, void *user)
{
	const uint64_t *map_guest = user;
	const uint8_t *k = bs_vm_translate(vm, a[1], 4, false, err);
	if (!k)
		return -1;
	uint32_t key;
	memcpy(&key, k, 4);
	*r0 = a[0] == *map_guest && key < BENCH_MAP_ENTRIES ? a[0] + 8ULL * key : 0;
	return 0;
}

double bench_rte_code_run(const char *obj, const char *name, const uint8_t *pkt,
			  uint32_t repeat, double *insns, uint32_t *retval)
{
	static struct rte_ctx ctx;
	static uint64_t map[BENCH_MAP_ENTRIES];
	static uint64_t map_guest;
	double ns = -1;
	struct code c = {0};
	struct bs_vm *vm = NULL;
	struct bs_error err;
	int fd = open(obj, O_RDONLY);
	Elf *e = NULL;
	if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL)) ||
	    read_code(e, name, &c) || bs_vm_new(&vm, &err))
		goto out;
	uint64_t ctx_guest;
	if (bs_vm_add_region(vm, "ctx", &ctx, sizeof(ctx), BS_REGION_RW, &ctx_guest, &err) ||
	    bs_vm_add_region(vm, "bench_map", map, sizeof(map), BS_REGION_RW, &map_guest, &err) ||
	    bs_vm_set_helper(vm, LOOKUP_HELPER, "bench_array_lookup", array_lookup, &map_guest, &err))
		goto out;
	/* what librte's ELF loader does with the two names */
	for (size_t i = 0; i < c.nmap; i++) {
		c.insns[c.map_at[i]].imm = (int32_t)(uint32_t)map_guest;
		c.insns[c.map_at[i] + 1].imm = (int32_t)(uint32_t)(map_guest >> 32);
	}
	for (size_t i = 0; i < c.ncall; i++) {
		c.insns[c.call_at[i]].src_reg = 0;
		c.insns[c.call_at[i]].imm = LOOKUP_HELPER;
	}
	bs_vm_set_engine(vm, BS_ENGINE_INTERP);
	bs_vm_set_budget(vm, 0);
	if (bs_vm_load(vm, c.insns, c.n, &err))
		goto out;
	ctx.len = BENCH_PKT_LEN;
	memcpy(ctx.data, pkt, BENCH_PKT_LEN);
	memset(map, 0, sizeof(map));
	uint64_t args[5] = {ctx_guest};
	struct bs_run_result res;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < repeat; i++)
		if (bs_vm_run(vm, args, &res, &err))
			goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / repeat;
	*insns = (double)res.insns_executed;
	*retval = (uint32_t)res.retval;
out:
	bs_vm_free(vm);
	code_free(&c);
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return ns;
}
