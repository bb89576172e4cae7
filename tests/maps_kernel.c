// SPDX-License-Identifier: MIT
/* maps_kernel: differential test of the maps' syscall-side semantics against
 * the Linux kernel.
 *
 * 1. Creation: a table of definitions at the edges of BPF_MAP_CREATE's
 *    checks, then random ones (type, sizes, max_entries, any map_flags
 *    bits); bpf(BPF_MAP_CREATE) and bs_maps_create must give the same
 *    errno. Definitions bpfstep refuses for its own reasons (unimplemented
 *    types, its memory limit) are not compared.
 * 2. Operations: for each of a list of map shapes, the same random sequence
 *    of update (every flag value, random bytes, padding of percpu values
 *    included), lookup, delete and next_key runs on a kernel map and on
 *    ours; return codes and the bytes read must agree. Hash maps iterate in
 *    a different order (the kernel's is by bucket), so for them next_key is
 *    compared by what does not depend on order: the errno from an absent key
 *    and the full set of keys an iteration visits (every 16 operations).
 *    At the end every key of the universe is looked up on both sides.
 * 3. Programs: the same kind of random sequence, each operation a small
 *    program calling bpf_map_update_elem / bpf_map_delete_elem /
 *    bpf_map_lookup_elem (then reading, or writing one byte through the
 *    pointer), run by BPF_PROG_TEST_RUN and by bpfstep; the 32-bit return
 *    values must agree and so must the whole map afterwards, read with the
 *    syscall. The process is pinned to CPU 0, and bpfstep's CPU is 0, so
 *    percpu maps touch the same copy.
 *
 * percpu maps get as many CPUs as the kernel has possible CPUs.
 * Exit: 0 all agree, 1 a mismatch, 77 bpf() is not usable here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfstep/helpers.h"
#include "bpfstep/maps.h"
#include "bpfstep/vm.h"

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int k_create(const struct bs_map_def *d)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = d->type;
	a.key_size = d->key_size;
	a.value_size = d->value_size;
	a.max_entries = d->max_entries;
	a.map_flags = d->flags;
	int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : fd;
}

static int k_elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	if (cmd == BPF_MAP_GET_NEXT_KEY)
		a.next_key = (uint64_t)(uintptr_t)value;
	else
		a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a) < 0 ? -errno : 0;
}

/* libbpf_num_possible_cpus: the highest CPU in "0-3,8-11" plus one */
static uint32_t possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	char buf[256] = "";
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	uint32_t n = 0;
	for (char *p = buf; *p;) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (b + 1 > n)
			n = (uint32_t)(b + 1);
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

static uint64_t rng = 0x6d61707321ULL;
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static uint32_t pick(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static uint32_t ncpus;
static bool verbose;
static uint64_t compared, mismatches;

#define MISMATCH(...)                                                    \
	do {                                                             \
		if (mismatches++ < 20) {                                 \
			printf("maps_kernel: MISMATCH: ");               \
			printf(__VA_ARGS__);                             \
			printf("\n");                                    \
		}                                                        \
	} while (0)

static void describe(const struct bs_map_def *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s key_size=%u value_size=%u max_entries=%u flags=0x%x",
		 bs_map_type_name(d->type), d->key_size, d->value_size, d->max_entries, d->flags);
}

/* ---------------------------------------------------------------- creation */

static void compare_create(const struct bs_map_def *d)
{
	struct bs_maps *maps;
	struct bs_error err;
	if (bs_maps_new(&maps, ncpus, &err)) {
		MISMATCH("bs_maps_new: %s", err.message);
		return;
	}
	struct bs_map *m;
	int ours = bs_maps_create(maps, d, &m, &err);
	bs_maps_free(maps);
	if (ours == -EOPNOTSUPP || (ours == -ENOMEM && err.kind == BS_ERR_UNSUPPORTED))
		return; /* bpfstep's own limits, documented */
	int k = k_create(d);
	if (k >= 0) {
		close(k);
		k = 0;
	}
	compared++;
	char what[160];
	describe(d, what, sizeof(what));
	if (k != ours)
		MISMATCH("create %s: kernel %d, bpfstep %d (%s)", what, k, ours,
			 ours ? err.message : "created");
	else if (verbose)
		printf("create %s: %d\n", what, k);
}

static const struct bs_map_def create_edges[] = {
	{"m", 1, 4, 0, 1, 0}, {"m", 1, 0, 4, 1, 0}, {"m", 1, 4, 4, 0, 0},
	{"m", 1, 513, 4, 1, 0}, {"m", 1, 4, 4194251, 1, 0}, {"m", 1, 4, 4194252, 1, 0},
	{"m", 1, 9, 4194247, 1, 1}, {"m", 1, 9, 4194246, 1, 1},
	{"m", 1, 4, 8, 1u << 27, 1}, {"m", 1, 4, 8, (1u << 27) + 1, 1},
	{"m", 1, 4, 8, 0x80000001u, 1}, {"m", 1, 4, 8, 0xffffffffu, 1},
	{"m", 5, 4, 32768, 1, 0}, {"m", 5, 4, 32769, 1, 0}, {"m", 5, 4, 8, (1u << 27) + 1, 1},
	{"m", 2, 4, 0, 1, 0}, {"m", 2, 8, 4, 1, 0}, {"m", 2, 4, 4, 0, 0},
	{"m", 2, 4, 0x7fffffffu, 1, 1}, {"m", 2, 4, 0x80000000u, 1, 0},
	{"m", 2, 4, 0xffffffffu, 1, 0}, {"m", 2, 4, 8, 0xffffffffu, 1},
	{"m", 6, 4, 32768, 1, 0}, {"m", 6, 4, 32769, 1, 0}, {"m", 6, 4, 0x80000000u, 1, 0},
	{"m", 6, 3, 0, 0, 0x400}, {"m", 0, 4, 4, 1, 0}, {"m", 40, 4, 4, 1, 0},
	{"m", 1000, 4, 4, 1, 0},
};

static void creation(uint64_t count)
{
	for (size_t i = 0; i < sizeof(create_edges) / sizeof(create_edges[0]); i++)
		compare_create(&create_edges[i]);
	static const uint32_t types[] = {1, 2, 5, 6};
	static const uint32_t keys[] = {0, 1, 2, 3, 4, 5, 8, 13, 64, 512, 513};
	static const uint32_t values[] = {0, 1, 3, 4, 8, 13, 100, 4096, 32760, 32768, 32769};
	static const uint32_t maxes[] = {0, 1, 2, 3, 64, 100, 255};
	for (uint64_t i = 0; i < count; i++) {
		struct bs_map_def d = {"r", types[pick(4)], keys[pick(11)], values[pick(11)],
				       maxes[pick(7)], 0};
		/* mostly valid flags, sometimes any of bits 0..12 */
		uint32_t nbits = pick(4);
		for (uint32_t b = 0; b < nbits; b++)
			d.flags |= 1u << pick(13);
		if (pick(3) == 0)
			d.flags &= 1u | 4u | 8u | 16u | 64u | 128u | 256u | 1024u | 4096u;
		if (pick(2) && (d.type == 2 || d.type == 6))
			d.key_size = 4;
		compare_create(&d);
	}
}

/* ---------------------------------------------------------------- operations */

struct shape {
	uint32_t type, key_size, value_size, max_entries, flags;
};

static const struct shape shapes[] = {
	{BPF_MAP_TYPE_ARRAY, 4, 4, 5, 0},
	{BPF_MAP_TYPE_ARRAY, 4, 13, 3, 0},
	{BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY},
	{BPF_MAP_TYPE_ARRAY, 4, 8, 2, BPF_F_WRONLY},
	{BPF_MAP_TYPE_ARRAY, 4, 8, 2, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE},
	{BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 4, 0},
	{BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 2, 0},
	{BPF_MAP_TYPE_HASH, 4, 8, 4, 0},
	{BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_NO_PREALLOC},
	{BPF_MAP_TYPE_HASH, 13, 3, 6, 0},
	{BPF_MAP_TYPE_HASH, 1, 16, 1, 0},
	{BPF_MAP_TYPE_HASH, 8, 8, 3, BPF_F_WRONLY},
	{BPF_MAP_TYPE_HASH, 8, 8, 3, BPF_F_RDONLY | BPF_F_ZERO_SEED},
	{BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 3, 0},
	{BPF_MAP_TYPE_PERCPU_HASH, 6, 20, 5, BPF_F_NO_PREALLOC},
};

#define MAX_KEY 16
#define MAX_VAL 4096

struct pair {
	int fd;
	struct bs_map *m;
	const struct bs_map_def *d;
	bool percpu, hash;
	size_t vlen; /* bytes a lookup/update moves */
	uint32_t nkeys;
	uint8_t keys[32][MAX_KEY]; /* the key universe */
};

static void make_keys(struct pair *p)
{
	uint32_t ks = p->d->key_size;
	if (!p->hash) {
		/* every index, a few past the end, and the largest */
		p->nkeys = p->d->max_entries + 3;
		for (uint32_t i = 0; i < p->nkeys; i++) {
			uint32_t v = i + 1 == p->nkeys ? UINT32_MAX : i;
			memcpy(p->keys[i], &v, 4);
		}
		return;
	}
	/* more keys than fit, some differing only in the last byte */
	p->nkeys = p->d->max_entries + 4;
	for (uint32_t i = 0; i < p->nkeys; i++) {
		for (uint32_t b = 0; b < ks; b++)
			p->keys[i][b] = (uint8_t)rnd();
		if (i && pick(2))
			memcpy(p->keys[i], p->keys[i - 1], ks - 1);
		for (uint32_t j = 0; j < i; j++)
			if (!memcmp(p->keys[i], p->keys[j], ks)) {
				i--; /* a duplicate: draw again */
				break;
			}
	}
}

static void compare_bytes(const char *what, uint32_t op, const uint8_t *a, const uint8_t *b,
			  size_t n)
{
	if (memcmp(a, b, n)) {
		size_t i = 0;
		while (a[i] == b[i])
			i++;
		MISMATCH("op %u %s: bytes differ at %zu: kernel 0x%02x, bpfstep 0x%02x", op, what, i,
			 a[i], b[i]);
	}
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, MAX_KEY);
}

/* Iterates a whole map from NULL; returns the keys sorted, or -1. */
static int iterate(struct pair *p, bool kernel, uint8_t out[][MAX_KEY], uint32_t *n)
{
	uint8_t cur[MAX_KEY] = {0}, next[MAX_KEY] = {0};
	*n = 0;
	const void *key = NULL;
	for (;;) {
		int rc = kernel ? k_elem(BPF_MAP_GET_NEXT_KEY, p->fd, key, next, 0)
				: bs_map_next_key(p->m, key, next);
		if (rc == -ENOENT)
			break;
		if (rc)
			return rc;
		if (*n >= 32)
			return -E2BIG;
		memset(out[*n], 0, MAX_KEY);
		memcpy(out[(*n)++], next, p->d->key_size);
		memcpy(cur, next, MAX_KEY);
		key = cur;
	}
	qsort(out, *n, MAX_KEY, key_cmp);
	return 0;
}

static void compare_iteration(struct pair *p, uint32_t op)
{
	uint8_t a[32][MAX_KEY], b[32][MAX_KEY];
	uint32_t na, nb;
	int ra = iterate(p, true, a, &na), rb = iterate(p, false, b, &nb);
	compared++;
	if (ra != rb)
		MISMATCH("op %u full iteration: kernel %d, bpfstep %d", op, ra, rb);
	else if (ra == 0 && (na != nb || memcmp(a, b, (size_t)na * MAX_KEY)))
		MISMATCH("op %u full iteration: kernel visits %u keys, bpfstep %u, or other keys",
			 op, na, nb);
}

static bool key_present(struct pair *p, const uint8_t *key)
{
	uint8_t v[MAX_VAL];
	return bs_map_lookup(p->m, key, v) == 0;
}

static void one_op(struct pair *p, uint32_t op)
{
	static const uint64_t flag_choices[] = {0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 8};
	uint8_t kv[MAX_VAL], ov[MAX_VAL], kn[MAX_KEY], on[MAX_KEY];
	const uint8_t *key = p->keys[pick(p->nkeys)];
	uint32_t kind = pick(10);
	int kr, orc;
	const char *name;
	if (kind < 4) {
		name = "update";
		for (size_t i = 0; i < p->vlen; i++)
			kv[i] = (uint8_t)rnd();
		uint64_t f = flag_choices[pick(sizeof(flag_choices) / sizeof(flag_choices[0]))];
		kr = k_elem(BPF_MAP_UPDATE_ELEM, p->fd, key, kv, f);
		orc = bs_map_update(p->m, key, kv, f);
	} else if (kind < 7) {
		name = "lookup";
		memset(kv, 0xa5, p->vlen);
		memset(ov, 0xa5, p->vlen);
		kr = k_elem(BPF_MAP_LOOKUP_ELEM, p->fd, key, kv, 0);
		orc = bs_map_lookup(p->m, key, ov);
		if (kr == orc)
			compare_bytes("lookup value", op, kv, ov, p->vlen);
	} else if (kind < 8) {
		name = "delete";
		kr = k_elem(BPF_MAP_DELETE_ELEM, p->fd, key, NULL, 0);
		orc = bs_map_delete(p->m, key);
	} else {
		name = "next_key";
		bool from_null = pick(4) == 0;
		memset(kn, 0x5a, sizeof(kn));
		memset(on, 0x5a, sizeof(on));
		kr = k_elem(BPF_MAP_GET_NEXT_KEY, p->fd, from_null ? NULL : key, kn, 0);
		orc = bs_map_next_key(p->m, from_null ? NULL : key, on);
		bool readable = !(p->d->flags & BPF_F_WRONLY);
		bool present = !from_null && readable && key_present(p, key);
		if (!p->hash) {
			if (kr == orc)
				compare_bytes("next key", op, kn, on, MAX_KEY);
		} else if (present) {
			/* depends on the order: the next key or the end; only sane */
			if (orc == 0 && !key_present(p, on))
				MISMATCH("op %u next_key gave a key that is not in the map", op);
			if (orc != 0 && orc != -ENOENT)
				MISMATCH("op %u next_key of a present key: %d", op, orc);
			return;
		} else if (kr == 0 && orc == 0 && !key_present(p, on)) {
			MISMATCH("op %u next_key from %s gave a key that is not in the map", op,
				 from_null ? "NULL" : "an absent key");
		}
	}
	compared++;
	if (kr != orc)
		MISMATCH("op %u %s: kernel %d, bpfstep %d", op, name, kr, orc);
	if (p->hash && op % 16 == 15 && !(p->d->flags & BPF_F_WRONLY))
		compare_iteration(p, op);
}

/* NULL pointers: the syscall fails to copy, at its own step (EFAULT, or the
 * errno of what comes before the copy). */
static void compare_null_pointers(struct pair *p, const char *when)
{
	uint8_t v[MAX_VAL] = {0};
	const uint8_t *key = p->keys[0];
	struct {
		const char *what;
		int k, o;
	} c[] = {
		{"lookup(NULL key)", k_elem(BPF_MAP_LOOKUP_ELEM, p->fd, NULL, v, 0),
		 bs_map_lookup(p->m, NULL, v)},
		{"lookup(NULL value)", k_elem(BPF_MAP_LOOKUP_ELEM, p->fd, key, NULL, 0),
		 bs_map_lookup(p->m, key, NULL)},
		{"update(NULL value)", k_elem(BPF_MAP_UPDATE_ELEM, p->fd, key, NULL, 0),
		 bs_map_update(p->m, key, NULL, 0)},
		{"delete(NULL key)", k_elem(BPF_MAP_DELETE_ELEM, p->fd, NULL, NULL, 0),
		 bs_map_delete(p->m, NULL)},
		{"next_key(NULL, NULL)", k_elem(BPF_MAP_GET_NEXT_KEY, p->fd, NULL, NULL, 0),
		 bs_map_next_key(p->m, NULL, NULL)},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		compared++;
		if (c[i].k != c[i].o)
			MISMATCH("%s, %s: kernel %d, bpfstep %d", c[i].what, when, c[i].k, c[i].o);
	}
}

static void operations(uint64_t nops)
{
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		const struct shape *sh = &shapes[s];
		struct bs_map_def d = {"shape", sh->type, sh->key_size, sh->value_size,
				       sh->max_entries, sh->flags};
		struct pair p = {.d = &d};
		struct bs_maps *maps;
		struct bs_error err;
		char what[160];
		describe(&d, what, sizeof(what));
		p.percpu = d.type == BPF_MAP_TYPE_PERCPU_ARRAY || d.type == BPF_MAP_TYPE_PERCPU_HASH;
		p.hash = d.type == BPF_MAP_TYPE_HASH || d.type == BPF_MAP_TYPE_PERCPU_HASH;
		p.vlen = p.percpu ? (size_t)ncpus * ((d.value_size + 7) & ~7u) : d.value_size;
		if (p.vlen > MAX_VAL) {
			printf("maps_kernel: %s: %u CPUs make values too large, skipped\n", what,
			       ncpus);
			continue;
		}
		if (bs_maps_new(&maps, ncpus, &err) || bs_maps_create(maps, &d, &p.m, &err)) {
			MISMATCH("%s: bpfstep refused: %s", what, err.message);
			continue;
		}
		p.fd = k_create(&d);
		if (p.fd < 0) {
			MISMATCH("%s: kernel refused: %s", what, strerror(-p.fd));
			bs_maps_free(maps);
			continue;
		}
		make_keys(&p);
		uint64_t before = mismatches;
		compare_null_pointers(&p, "new map");
		for (uint32_t op = 0; op < nops; op++)
			one_op(&p, op);
		compare_null_pointers(&p, "after the operations");
		/* the final contents, key by key */
		if (!(d.flags & BPF_F_WRONLY))
			for (uint32_t i = 0; i < p.nkeys; i++) {
				uint8_t kv[MAX_VAL], ov[MAX_VAL];
				int kr = k_elem(BPF_MAP_LOOKUP_ELEM, p.fd, p.keys[i], kv, 0);
				int orc = bs_map_lookup(p.m, p.keys[i], ov);
				compared++;
				if (kr != orc)
					MISMATCH("final lookup of key %u: kernel %d, bpfstep %d", i, kr,
						 orc);
				else if (kr == 0)
					compare_bytes("final value", i, kv, ov, p.vlen);
			}
		if (verbose || mismatches != before)
			printf("maps_kernel: %s: %" PRIu64 " operations, %s\n", what, nops,
			       mismatches == before ? "agree" : "MISMATCHES above");
		close(p.fd);
		bs_maps_free(maps);
	}
}

/* ---------------------------------------------------------------- programs */

#define INSN(c, d, s_, o, i) \
	((struct bs_insn){.code = (c), .dst_reg = (d), .src_reg = (s_), .off = (o), .imm = (i)})

struct progbuf {
	struct bs_insn i[128];
	size_t n;
	size_t map_at;  /* the lddw whose imm names the map */
};

static void emit(struct progbuf *b, struct bs_insn insn)
{
	b->i[b->n++] = insn;
}

enum pop { P_UPDATE, P_DELETE, P_LOOKUP, P_WRITE };

/* key at fp-64, value (and bytes up to a multiple of 8) at fp-128, one call */
static void build(struct progbuf *b, const struct pair *p, enum pop op, const uint8_t *key,
		  const uint8_t *val, int32_t flags, uint32_t off, uint8_t byte)
{
	b->n = 0;
	for (uint32_t i = 0; i < p->d->key_size; i++)
		emit(b, INSN(0x72, 10, 0, (int16_t)(-64 + (int)i), key[i])); /* *(u8 *)(r10 -64+i) = */
	uint32_t vpad = (p->d->value_size + 7) & ~7u;
	/* random bytes past value_size too: no padding may reach the map */
	for (uint32_t i = 0; op == P_UPDATE && i < vpad; i++)
		emit(b, INSN(0x72, 10, 0, (int16_t)(-128 + (int)i), val[i]));
	b->map_at = b->n;
	emit(b, INSN(0x18, 1, BS_PSEUDO_MAP_FD, 0, 0));
	emit(b, INSN(0, 0, 0, 0, 0));
	emit(b, INSN(0xbf, 2, 10, 0, 0));           /* r2 = r10 */
	emit(b, INSN(0x07, 2, 0, 0, -64));          /* r2 += -64 */
	if (op == P_UPDATE) {
		emit(b, INSN(0xbf, 3, 10, 0, 0));
		emit(b, INSN(0x07, 3, 0, 0, -128));
		emit(b, INSN(0xb7, 4, 0, 0, flags)); /* r4 = flags */
	}
	emit(b, INSN(0x85, 0, 0, 0, op == P_UPDATE ? 2 : op == P_DELETE ? 3 : 1));
	if (op == P_LOOKUP || op == P_WRITE) {
		emit(b, INSN(0x55, 0, 0, 2, 0));        /* if r0 != 0 goto +2 */
		emit(b, INSN(0xb7, 0, 0, 0, 0));        /* r0 = 0 */
		emit(b, INSN(0x95, 0, 0, 0, 0));
		if (op == P_WRITE) {
			emit(b, INSN(0x72, 0, 0, (int16_t)off, byte)); /* *(u8 *)(r0 +off) = byte */
			emit(b, INSN(0xb7, 0, 0, 0, 1));
		} else {
			emit(b, INSN(0x71, 0, 0, (int16_t)off, 0));    /* r0 = *(u8 *)(r0 +off) */
			emit(b, INSN(0x07, 0, 0, 0, 0x100));          /* so that 0 means NULL */
		}
	}
	emit(b, INSN(0x95, 0, 0, 0, 0));
}

static char vlog[16384];

static int k_run(struct progbuf *b, int map_fd, uint32_t *ret)
{
	b->i[b->map_at].imm = map_fd;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)b->i;
	a.insn_cnt = (uint32_t)b->n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.log_buf = (uint64_t)(uintptr_t)vlog;
	a.log_size = sizeof(vlog);
	a.log_level = 1;
	vlog[0] = 0;
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 5; tries++) {
		fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
		if (fd < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	if (fd < 0)
		return -errno;
	uint8_t packet[64] = {0};
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)packet;
	a.test.data_size_in = sizeof(packet);
	a.test.repeat = 1;
	int rc = sys_bpf(BPF_PROG_TEST_RUN, &a) < 0 ? -errno : 0;
	*ret = a.test.retval;
	close(fd);
	return rc;
}

static int o_run(struct progbuf *b, struct bs_maps *maps, uint32_t *ret, struct bs_error *err)
{
	b->i[b->map_at].imm = 0;  /* the map's index in the set */
	struct bs_vm *vm;
	struct bs_env env;
	struct bs_run_result res = {0};
	bs_env_default(&env);
	if (bs_vm_new(&vm, err))
		return -1;
	int rc = bs_helpers_register_env(vm, &env, err) || bs_maps_attach(maps, vm, err) ||
			 bs_vm_load(vm, b->i, b->n, err) || bs_vm_run(vm, NULL, &res, err)
		 ? -1
		 : 0;
	*ret = (uint32_t)res.retval;
	bs_vm_free(vm);
	return rc;
}

static void compare_contents(struct pair *p, const char *when, uint32_t op)
{
	for (uint32_t i = 0; i < p->nkeys; i++) {
		uint8_t kv[MAX_VAL], ov[MAX_VAL];
		int kr = k_elem(BPF_MAP_LOOKUP_ELEM, p->fd, p->keys[i], kv, 0);
		int orc = bs_map_lookup(p->m, p->keys[i], ov);
		compared++;
		if (kr != orc)
			MISMATCH("%s %u: lookup of key %u: kernel %d, bpfstep %d", when, op, i, kr, orc);
		else if (kr == 0)
			compare_bytes(when, op, kv, ov, p->vlen);
	}
}

static void programs(uint64_t nprogs)
{
	static const int32_t flag_choices[] = {0, 0, 1, 2, 3, 4};
	static const char *const op_names[] = {"update", "delete", "lookup", "write"};
	uint64_t loaded = 0;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		const struct shape *sh = &shapes[s];
		if (sh->flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_RDONLY))
			continue; /* the verifier refuses updates, the syscall reads */
		struct bs_map_def d = {"shape", sh->type, sh->key_size, sh->value_size,
				       sh->max_entries, sh->flags};
		struct pair p = {.d = &d};
		struct bs_maps *maps;
		struct bs_error err;
		char what[160];
		describe(&d, what, sizeof(what));
		p.percpu = d.type == BPF_MAP_TYPE_PERCPU_ARRAY || d.type == BPF_MAP_TYPE_PERCPU_HASH;
		p.hash = d.type == BPF_MAP_TYPE_HASH || d.type == BPF_MAP_TYPE_PERCPU_HASH;
		p.vlen = p.percpu ? (size_t)ncpus * ((d.value_size + 7) & ~7u) : d.value_size;
		if (p.vlen > MAX_VAL || bs_maps_new(&maps, ncpus, &err))
			continue;
		if (bs_maps_create(maps, &d, &p.m, &err) || (p.fd = k_create(&d)) < 0) {
			MISMATCH("%s: cannot create for programs", what);
			bs_maps_free(maps);
			continue;
		}
		make_keys(&p);
		uint64_t before = mismatches;
		struct progbuf b;
		for (uint32_t op = 0; op < nprogs; op++) {
			enum pop kind = (enum pop)pick(4);
			uint8_t val[64];
			for (size_t i = 0; i < sizeof(val); i++)
				val[i] = (uint8_t)rnd();
			build(&b, &p, kind, p.keys[pick(p.nkeys)], val,
			      flag_choices[pick(sizeof(flag_choices) / sizeof(flag_choices[0]))],
			      pick(d.value_size), (uint8_t)rnd());
			uint32_t kr = 0, orr = 0;
			int krc = k_run(&b, p.fd, &kr);
			loaded++;
			if (krc) {
				MISMATCH("%s: %s program: the kernel refused it (%s): %.300s", what,
					 op_names[kind], strerror(-krc), vlog);
				break;
			}
			if (o_run(&b, maps, &orr, &err)) {
				MISMATCH("%s: %s program %u: bpfstep failed: %s", what, op_names[kind], op,
					 err.message);
				break;
			}
			compared++;
			if (kr != orr)
				MISMATCH("%s: %s program %u: kernel r0 0x%x, bpfstep 0x%x", what,
					 op_names[kind], op, kr, orr);
			compare_contents(&p, "after program", op);
		}
		if (verbose || mismatches != before)
			printf("maps_kernel: programs on %s: %" PRIu64 " programs, %s\n", what, nprogs,
			       mismatches == before ? "agree" : "MISMATCHES above");
		close(p.fd);
		bs_maps_free(maps);
	}
	if (verbose)
		printf("maps_kernel: %" PRIu64 " programs loaded in the kernel\n", loaded);
}

/* ---------------------------------------------------------------- lru_hash, lpm_trie, queue, stack */

static uint64_t lru_evict_skips;

static void creation_new(uint64_t count)
{
	static const struct bs_map_def edges[] = {
		/* queue / stack */
		{"q", 22, 0, 4, 1, 0}, {"q", 22, 4, 4, 1, 0}, {"q", 22, 0, 0, 1, 0},
		{"q", 22, 0, 4, 0, 0}, {"q", 22, 0, 4194304, 1, 0}, {"q", 22, 0, 4194305, 1, 0},
		{"q", 22, 0, 4, 1, 1}, {"q", 22, 0, 4, 1, 4}, {"q", 22, 0, 4, 1, 8},
		{"q", 22, 0, 4, 1, 0x80}, {"q", 22, 0, 4, 1, 0x400}, {"q", 23, 0, 8, 3, 0x10},
		{"q", 23, 1, 8, 3, 0}, {"q", 23, 0, 8, 3, 0x18},
		/* lpm_trie */
		{"l", 11, 8, 8, 16, 1}, {"l", 11, 8, 8, 16, 0}, {"l", 11, 4, 8, 16, 1},
		{"l", 11, 5, 8, 16, 1}, {"l", 11, 260, 8, 16, 1}, {"l", 11, 261, 8, 16, 1},
		{"l", 11, 8, 0, 16, 1}, {"l", 11, 8, 4194008, 16, 1}, {"l", 11, 8, 4194009, 16, 1},
		{"l", 11, 8, 8, 0, 1}, {"l", 11, 8, 8, 16, 5}, {"l", 11, 8, 8, 16, 3},
		{"l", 11, 8, 8, 16, 0x41}, {"l", 11, 8, 8, 16, 0x81}, {"l", 11, 8, 8, 16, 0x401},
		{"l", 11, 8, 8, 16, 0x19},
		/* lru_hash / lru_percpu_hash */
		{"r", 9, 4, 8, 16, 0}, {"r", 9, 4, 8, 16, 1}, {"r", 9, 4, 8, 16, 2},
		{"r", 9, 4, 8, 16, 3}, {"r", 9, 4, 8, 16, 4}, {"r", 9, 4, 8, 16, 6},
		{"r", 10, 4, 8, 16, 4}, {"r", 10, 4, 8, 16, 2}, {"r", 10, 4, 32768, 1, 0},
		{"r", 10, 4, 32769, 1, 0}, {"r", 9, 4, 4194251, 1, 0}, {"r", 9, 4, 4194252, 1, 0},
		{"r", 9, 0, 8, 1, 0}, {"r", 9, 4, 0, 1, 0}, {"r", 9, 4, 8, 0, 0},
		{"r", 9, 4, 8, 1u << 27, 0}, {"r", 9, 4, 8, (1u << 27) + 1, 0},
		{"r", 9, 4, 8, 1, 0x40}, {"r", 9, 4, 8, 1, 0x400}, {"r", 10, 4, 8, 3, 0x2},
		{"r", 9, 4, 8, 1, 0x18},
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		compare_create(&edges[i]);
	static const uint32_t types[] = {9, 10, 11, 22, 23};
	static const uint32_t keys[] = {0, 1, 4, 5, 8, 20, 260, 261};
	static const uint32_t values[] = {0, 1, 8, 13, 4096, 32768, 32769};
	static const uint32_t maxes[] = {0, 1, 2, 3, 64, 255};
	for (uint64_t i = 0; i < count; i++) {
		struct bs_map_def d = {"r", types[pick(5)], keys[pick(8)], values[pick(7)],
				       maxes[pick(6)], 0};
		uint32_t nbits = pick(4);
		for (uint32_t b = 0; b < nbits; b++)
			d.flags |= 1u << pick(13);
		if (d.type == 11 && pick(3))
			d.flags |= 1;
		if (d.type >= 22 && pick(2))
			d.key_size = 0;
		compare_create(&d);
	}
}

static struct bs_map *new_pair(struct bs_maps **maps, const struct bs_map_def *d, int *fd)
{
	struct bs_error err;
	struct bs_map *m = NULL;
	char what[160];
	describe(d, what, sizeof(what));
	*fd = -1;
	if (bs_maps_new(maps, ncpus, &err) || bs_maps_create(*maps, d, &m, &err)) {
		MISMATCH("%s: bpfstep refused: %s", what, err.message);
		return NULL;
	}
	*fd = k_create(d);
	if (*fd < 0) {
		MISMATCH("%s: kernel refused: %s", what, strerror(-*fd));
		bs_maps_free(*maps);
		return NULL;
	}
	return m;
}

#define CMP_RC(what, op, k, o)                                                      \
	do {                                                                        \
		compared++;                                                         \
		if ((k) != (o))                                                     \
			MISMATCH("%s op %u: %s: kernel %d, bpfstep %d", ctx, op, what, k, o); \
	} while (0)

static int k_lookup_and_delete(int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a) < 0 ? -errno : 0;
}

static void queue_ops(uint32_t type, uint32_t value_size, uint32_t max, uint32_t flags,
		      uint64_t nops)
{
	struct bs_map_def d = {"qs", type, 0, value_size, max, flags};
	char ctx[160];
	describe(&d, ctx, sizeof(ctx));
	struct bs_maps *maps;
	int fd;
	struct bs_map *m = new_pair(&maps, &d, &fd);
	if (!m)
		return;
	static const uint64_t fl[] = {0, 0, 0, 2, 2, 1, 3, 4, 8};
	uint8_t kv[256], ov[256], dummy[8] = {0};
	for (uint32_t op = 0; op < nops; op++) {
		uint32_t kind = pick(12);
		memset(kv, 0xa5, sizeof(kv));
		memset(ov, 0xa5, sizeof(ov));
		const void *key = pick(16) == 0 ? dummy : NULL;
		int kr, orc;
		if (kind < 5) {
			for (uint32_t i = 0; i < value_size; i++)
				kv[i] = ov[i] = (uint8_t)rnd();
			uint64_t f = fl[pick(sizeof(fl) / sizeof(fl[0]))];
			void *v = pick(32) ? kv : NULL;
			kr = k_elem(BPF_MAP_UPDATE_ELEM, fd, key, v, f);
			orc = bs_map_update(m, key, v ? ov : NULL, f);
			CMP_RC("push", op, kr, orc);
		} else if (kind < 8) {
			uint64_t f = pick(16) == 0 ? pick(8) : 0;
			bool null_value = pick(32) == 0;
			kr = k_lookup_and_delete(fd, key, null_value ? NULL : kv, f);
			orc = bs_map_lookup_and_delete(m, key, null_value ? NULL : ov, f);
			CMP_RC("pop", op, kr, orc);
			if (kr == 0 && orc == 0)
				compare_bytes("pop value", op, kv, ov, value_size);
		} else if (kind < 10) {
			bool null_value = pick(32) == 0;
			kr = k_elem(BPF_MAP_LOOKUP_ELEM, fd, key, null_value ? NULL : kv, 0);
			orc = bs_map_lookup(m, key, null_value ? NULL : ov);
			CMP_RC("peek", op, kr, orc);
			if (kr == 0 && orc == 0)
				compare_bytes("peek value", op, kv, ov, value_size);
		} else if (kind < 11) {
			kr = k_elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
			orc = bs_map_delete(m, key);
			CMP_RC("delete", op, kr, orc);
		} else {
			uint8_t kn[8], on[8];
			kr = k_elem(BPF_MAP_GET_NEXT_KEY, fd, key, kn, 0);
			orc = bs_map_next_key(m, key, on);
			CMP_RC("next_key", op, kr, orc);
		}
	}
	close(fd);
	bs_maps_free(maps);
}

/* lpm keys: prefixlen, then data; the universe shares leading bits */
#define LPM_KS_MAX 20
static void lpm_ops(uint32_t key_size, uint32_t max, uint32_t flags, uint64_t nops)
{
	struct bs_map_def d = {"lpm", BPF_MAP_TYPE_LPM_TRIE, key_size, 8, max, flags};
	char ctx[160];
	describe(&d, ctx, sizeof(ctx));
	struct bs_maps *maps;
	int fd;
	struct bs_map *m = new_pair(&maps, &d, &fd);
	if (!m)
		return;
	uint32_t dsz = key_size - 4, bits = dsz * 8;
	uint8_t keys[48][LPM_KS_MAX];
	uint32_t nkeys = 48;
	uint8_t base[LPM_KS_MAX];
	for (uint32_t i = 0; i < dsz; i++)
		base[i] = (uint8_t)rnd();
	for (uint32_t k = 0; k < nkeys; k++) {
		uint8_t *key = keys[k];
		uint32_t plen = pick(8) == 0 ? bits + pick(3) : pick(bits + 1);
		memcpy(key, &plen, 4);
		memcpy(key + 4, base, dsz);
		/* flip a few bits, mostly late ones */
		uint32_t nflip = pick(3);
		for (uint32_t f = 0; f < nflip; f++) {
			uint32_t b = bits - 1 - pick(bits < 12 ? bits : 12);
			key[4 + b / 8] ^= (uint8_t)(0x80 >> (b % 8));
		}
	}
	static const uint64_t fl[] = {0, 0, 0, 1, 1, 2, 2, 3, 4};
	for (uint32_t op = 0; op < nops; op++) {
		const uint8_t *key = keys[pick(nkeys)];
		uint32_t kind = pick(10);
		uint8_t kv[8], ov[8], kn[LPM_KS_MAX], on[LPM_KS_MAX];
		int kr, orc;
		if (kind < 4) {
			for (int i = 0; i < 8; i++)
				kv[i] = (uint8_t)rnd();
			uint64_t f = fl[pick(sizeof(fl) / sizeof(fl[0]))];
			kr = k_elem(BPF_MAP_UPDATE_ELEM, fd, key, kv, f);
			orc = bs_map_update(m, key, kv, f);
			CMP_RC("update", op, kr, orc);
		} else if (kind < 6) {
			/* a lookup key: a stored prefix's data, any prefixlen */
			uint8_t lk[LPM_KS_MAX];
			memcpy(lk, key, key_size);
			if (pick(2)) {
				uint32_t plen = pick(bits + 2);
				memcpy(lk, &plen, 4);
			}
			memset(kv, 0x5a, 8);
			memset(ov, 0x5a, 8);
			kr = k_elem(BPF_MAP_LOOKUP_ELEM, fd, lk, kv, 0);
			orc = bs_map_lookup(m, lk, ov);
			CMP_RC("lookup", op, kr, orc);
			if (kr == 0 && orc == 0)
				compare_bytes("lookup value", op, kv, ov, 8);
		} else if (kind < 8) {
			kr = k_elem(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
			orc = bs_map_delete(m, key);
			CMP_RC("delete", op, kr, orc);
		} else {
			bool from_null = pick(4) == 0;
			memset(kn, 0x77, sizeof(kn));
			memset(on, 0x77, sizeof(on));
			kr = k_elem(BPF_MAP_GET_NEXT_KEY, fd, from_null ? NULL : key, kn, 0);
			orc = bs_map_next_key(m, from_null ? NULL : key, on);
			CMP_RC("next_key", op, kr, orc);
			if (kr == 0 && orc == 0)
				compare_bytes("next key", op, kn, on, key_size);
		}
		if (op % 16 == 15) {
			/* the whole iteration, in order */
			uint8_t a[LPM_KS_MAX], b[LPM_KS_MAX], ca[LPM_KS_MAX], cb[LPM_KS_MAX];
			const void *pa = NULL, *pb = NULL;
			for (uint32_t n = 0; n <= max + 1; n++) {
				kr = k_elem(BPF_MAP_GET_NEXT_KEY, fd, pa, a, 0);
				orc = bs_map_next_key(m, pb, b);
				CMP_RC("iteration", op, kr, orc);
				if (kr || orc)
					break;
				compare_bytes("iteration key", op, a, b, key_size);
				memcpy(ca, a, key_size);
				memcpy(cb, b, key_size);
				pa = ca;
				pb = cb;
			}
		}
	}
	close(fd);
	bs_maps_free(maps);
}

/* What a key holds on one side: -errno or 0 with the value. */
static int lru_get(bool kernel, int fd, struct bs_map *m, const void *key, void *v)
{
	return kernel ? k_elem(BPF_MAP_LOOKUP_ELEM, fd, key, v, 0) : bs_map_lookup(m, key, v);
}

/* LRU: exact until the first eviction is possible; after that only what
 * the kernel's approximate LRU determines. */
static void lru_ops(uint32_t type, uint32_t max, uint32_t flags, uint64_t nops)
{
	struct bs_map_def d = {"lru", type, 4, 8, max, flags};
	char ctx[160];
	describe(&d, ctx, sizeof(ctx));
	struct bs_maps *maps;
	int fd;
	struct bs_map *m = new_pair(&maps, &d, &fd);
	if (!m)
		return;
	bool percpu = type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	size_t vlen = percpu ? (size_t)ncpus * 8 : 8;
	uint32_t cap = bs_map_def(m)->max_entries;
	if (flags & BPF_F_NO_COMMON_LRU)
		cap /= ncpus;  /* what CPU 0's list holds */
	uint32_t nkeys = cap * 3 + 2;
	if (nkeys > 64)
		nkeys = 64;
	bool full_seen = false;
	uint32_t kc_prev = 0, oc_prev = 0;
	/* keys whose value differs because an update succeeded on one side
	 * only (it evicted the key first on the other) */
	bool diverged[64] = {false};
	static const uint64_t fl[] = {0, 0, 0, 1, 1, 2, 2, 3};
	uint8_t kv[MAX_VAL], kb[MAX_VAL], ob[MAX_VAL];
	for (uint32_t op = 0; op < nops; op++) {
		uint32_t k = pick(nkeys);
		uint32_t kind = pick(10);
		int kp = lru_get(true, fd, m, &k, kb), opr = lru_get(false, fd, m, &k, ob);
		int kr, orc;
		if (kind < 5) {
			for (size_t i = 0; i < vlen; i++)
				kv[i] = (uint8_t)rnd();
			uint64_t f = fl[pick(sizeof(fl) / sizeof(fl[0]))];
			kr = k_elem(BPF_MAP_UPDATE_ELEM, fd, &k, kv, f);
			orc = bs_map_update(m, &k, kv, f);
			if (!full_seen || kp == opr) {
				if (full_seen && kr != orc && kp == 0 &&
				    ((f == BPF_EXIST && (kr == -ENOENT || orc == -ENOENT)) ||
				     (f == BPF_NOEXIST && (kr == 0 || orc == 0))))
					lru_evict_skips++;  /* one side evicted the key itself */
				else
					CMP_RC("update", op, kr, orc);
			}
			if (kr != orc)
				diverged[k] = true;
			if (kr == 0 && orc == 0) {
				diverged[k] = false;
				/* both now hold the new value */
				int a = lru_get(true, fd, m, &k, kb), b = lru_get(false, fd, m, &k, ob);
				CMP_RC("lookup after update", op, a, b);
				if (a == 0 && b == 0) {
					compare_bytes("value after update", op, kb, ob, vlen);
					compare_bytes("value as written", op, kv, ob, vlen);
				}
			}
		} else if (kind < 8) {
			kr = kp, orc = opr;
			if (!full_seen)
				CMP_RC("lookup", op, kr, orc);
		} else {
			kr = k_elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 0);
			orc = bs_map_delete(m, &k);
			if (!full_seen || kp == opr)
				CMP_RC("delete", op, kr, orc);
		}
		if (kp == 0 && opr == 0 && !diverged[k])
			compare_bytes("value", op, kb, ob, vlen);
		/* count: both at most the capacity; exact until the first time full */
		uint32_t kc = 0, oc = 0;
		bool differ = false;
		for (uint32_t i = 0; i < nkeys; i++) {
			int a = lru_get(true, fd, m, &i, kb), b = lru_get(false, fd, m, &i, ob);
			kc += a == 0;
			oc += b == 0;
			if (a != b)
				differ = true;
			else if (a != 0)
				diverged[i] = false;
			else if (!diverged[i] && memcmp(kb, ob, vlen))
				MISMATCH("%s op %u: key %u holds different values", ctx, op, i);
		}
		compared++;
		if (kc > bs_map_def(m)->max_entries || oc > cap)
			MISMATCH("%s op %u: more keys than fit: kernel %u, bpfstep %u", ctx, op, kc, oc);
		/* an eviction shows as a count lower than the operation explains:
		 * the kernel may evict before the map is full (its CPU-local
		 * free lists are refilled target_free elements at a time) */
		uint32_t kc_want = kc_prev, oc_want = oc_prev;
		if (kind < 5 && kr == 0 && kp != 0)
			kc_want++;
		if (kind < 5 && orc == 0 && opr != 0)
			oc_want++;
		if (kind >= 8 && kr == 0)
			kc_want--;
		if (kind >= 8 && orc == 0)
			oc_want--;
		if (kc != kc_want || oc != oc_want)
			full_seen = true;
		kc_prev = kc;
		oc_prev = oc;
		if (!full_seen && differ)
			MISMATCH("%s op %u: the key sets differ before any eviction", ctx, op);
		if (oc == cap || kc == cap)
			full_seen = true;
	}
	close(fd);
	bs_maps_free(maps);
}

/* Programs on queue and stack: push (any flags), pop, peek, each one call
 * with a u64 at fp-8; r0 the helper's errno, or the low half of the u64
 * afterwards. The map is then compared by peeking from both sides. */
static void queue_progs(uint32_t type, uint32_t max, uint64_t nprogs)
{
	struct bs_map_def d = {"qs", type, 0, 8, max, 0};
	char ctx[160];
	describe(&d, ctx, sizeof(ctx));
	struct bs_maps *maps;
	int fd;
	struct bs_map *m = new_pair(&maps, &d, &fd);
	if (!m)
		return;
	static const int32_t fl[] = {0, 0, 0, 2, 2, 1, 3, 4};
	struct progbuf b;
	struct bs_error err;
	for (uint32_t op = 0; op < nprogs; op++) {
		int32_t helper = 87 + (int32_t)pick(3);
		b.n = 0;
		emit(&b, INSN(0x7a, 10, 0, -8, (int32_t)rnd())); /* *(u64 *)(r10 -8) = imm */
		b.map_at = b.n;
		emit(&b, INSN(0x18, 1, BS_PSEUDO_MAP_FD, 0, 0));
		emit(&b, INSN(0, 0, 0, 0, 0));
		emit(&b, INSN(0xbf, 2, 10, 0, 0));
		emit(&b, INSN(0x07, 2, 0, 0, -8));
		if (helper == 87)
			emit(&b, INSN(0xb7, 3, 0, 0, fl[pick(sizeof(fl) / sizeof(fl[0]))]));
		emit(&b, INSN(0x85, 0, 0, 0, helper));
		emit(&b, INSN(0x55, 0, 0, 1, 0));               /* if r0 != 0 goto exit */
		emit(&b, INSN(0x61, 0, 10, -8, 0));             /* r0 = *(u32 *)(r10 -8) */
		emit(&b, INSN(0x95, 0, 0, 0, 0));
		uint32_t kr = 0, orr = 0;
		int krc = k_run(&b, fd, &kr);
		if (krc) {
			MISMATCH("%s: helper %d program: the kernel refused it (%s): %.300s", ctx,
				 helper, strerror(-krc), vlog);
			break;
		}
		if (o_run(&b, maps, &orr, &err)) {
			MISMATCH("%s: helper %d program %u: bpfstep failed: %s", ctx, helper, op,
				 err.message);
			break;
		}
		compared++;
		if (kr != orr)
			MISMATCH("%s: helper %d program %u: kernel r0 0x%x, bpfstep 0x%x", ctx, helper,
				 op, kr, orr);
		uint64_t kv = 0, ov = 0;
		int a = k_elem(BPF_MAP_LOOKUP_ELEM, fd, NULL, &kv, 0), o = bs_map_lookup(m, NULL, &ov);
		compared++;
		if (a != o || kv != ov)
			MISMATCH("%s: after program %u: peek kernel %d 0x%" PRIx64 ", bpfstep %d 0x%"
				 PRIx64, ctx, op, a, kv, o, ov);
	}
	close(fd);
	bs_maps_free(maps);
}

static void new_types(uint64_t nops)
{
	uint64_t before = compared;
	queue_progs(BPF_MAP_TYPE_QUEUE, 3, nops / 10);
	queue_progs(BPF_MAP_TYPE_STACK, 3, nops / 10);
	for (uint32_t t = BPF_MAP_TYPE_QUEUE; t <= BPF_MAP_TYPE_STACK; t++) {
		queue_ops(t, 4, 1, 0, nops);
		queue_ops(t, 13, 5, 0, nops);
		queue_ops(t, 8, 3, BPF_F_RDONLY, nops / 4);
		queue_ops(t, 8, 3, BPF_F_WRONLY, nops / 4);
	}
	lpm_ops(5, 16, BPF_F_NO_PREALLOC, nops);
	lpm_ops(6, 8, BPF_F_NO_PREALLOC, nops);
	lpm_ops(8, 12, BPF_F_NO_PREALLOC, nops);
	lpm_ops(8, 4, BPF_F_NO_PREALLOC, nops);
	lpm_ops(20, 24, BPF_F_NO_PREALLOC, nops);
	lru_ops(BPF_MAP_TYPE_LRU_HASH, 8, 0, nops);
	lru_ops(BPF_MAP_TYPE_LRU_HASH, 3, 0, nops);
	lru_ops(BPF_MAP_TYPE_LRU_HASH, 8, BPF_F_NO_COMMON_LRU, nops);
	lru_ops(BPF_MAP_TYPE_LRU_PERCPU_HASH, 6, 0, nops);
	lru_ops(BPF_MAP_TYPE_LRU_PERCPU_HASH, 5, BPF_F_NO_COMMON_LRU, nops);
	printf("maps_kernel: lru_hash, lpm_trie, queue, stack: %" PRIu64 " checks, %" PRIu64
	       " LRU updates not compared (a side evicted the key it updated)\n",
	       compared - before, lru_evict_skips);
}

int main(int argc, char **argv)
{
	uint64_t count = 400, nops = 2000, nprogs = 150;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			nops = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--progs") && i + 1 < argc)
			nprogs = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
			verbose = true;
		else {
			fprintf(stderr, "usage: maps_kernel [--seed N] [--count N] [--ops N] "
					"[--progs N] [--verbose]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("maps_kernel: skipped: not root\n");
		return 77;
	}
	struct bs_map_def probe = {"probe", BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0};
	int fd = k_create(&probe);
	if (fd < 0) {
		printf("maps_kernel: skipped: bpf(BPF_MAP_CREATE): %s\n", strerror(-fd));
		return 77;
	}
	close(fd);
	ncpus = possible_cpus();
	if (ncpus == 0 || ncpus > 8192) {
		printf("maps_kernel: skipped: cannot read /sys/devices/system/cpu/possible\n");
		return 77;
	}
	uint64_t seed = rng;
	printf("maps_kernel: %u possible CPUs, seed %" PRIu64 "\n", ncpus, seed);
	creation(count);
	uint64_t after_create = compared;
	operations(nops);
	uint64_t after_ops = compared;
	/* a test run happens on the CPU the caller is on: make that CPU 0 */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("maps_kernel: cannot pin to CPU 0 (%s): programs skipped\n", strerror(errno));
	else {
		programs(nprogs);
		uint64_t before = compared;
		creation_new(count);
		new_types(nops);
		after_ops += compared - before;  /* counted with the syscall operations */
	}
	printf("maps_kernel: %" PRIu64 " creations, %" PRIu64 " syscall operations, %" PRIu64
	       " program checks compared, %" PRIu64 " mismatches\n", after_create,
	       after_ops - after_create, compared - after_ops, mismatches);
	return mismatches ? 1 : 0;
}
