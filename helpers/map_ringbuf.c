// SPDX-License-Identifier: MIT
/* ringbuf (kernel/bpf/ringbuf.c): a power-of-two data area that programs
 * reserve records in and commit (submit or discard), read in order by a
 * consumer. bpfstep has no consumer while a program runs: records stay
 * until bs_map_records_clear, which consumes them, so reserve fails once
 * the ring is full of unconsumed records, as it does in the kernel when
 * user space does not read.
 *
 * The data area is the map's region, mapped twice in a row like the
 * kernel's, so a record that wraps past the end is contiguous for the
 * program: it writes the wrapped part in the second copy, and the commit
 * copies that part to the start of the first. Each record has the kernel's
 * 8-byte header (len with the busy and discard bits, pg_off) in front. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helper_names.h"
#include "helpers/maps_private.h"
#include "vm/error.h"

#define PAGE_SIZE_ 4096u
#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8u
#define RB_MAX_RECORD (UINT32_MAX / 4)
/* the kernel's bpf_ringbuf struct takes one page, then the consumer and
 * producer pages: the data starts at page 3 (pg_off in the header) */
#define RB_META_PAGES 3u
enum { RB_NO_WAKEUP = 1, RB_FORCE_WAKEUP = 2 };
enum { RB_AVAIL_DATA = 0, RB_RING_SIZE = 1, RB_CONS_POS = 2, RB_PROD_POS = 3 };

/* One record from reservation until a consumer reads it. The header in
 * the ring is only what the program sees: a program can write over it, so
 * its length and state are kept here and never read back. */
struct rb_rec {
	uint64_t pos;
	uint32_t len;            /* with RB_BUSY / RB_DISCARD, as the header has it */
};

struct ring {
	uint64_t mask;
	uint64_t cons, prod;
	struct rb_rec *log;      /* records from the consumer position on, by position */
	size_t head, n, cap;     /* log[head..n) are live; log[0..head) consumed */
	size_t pending;          /* log index of the oldest record still busy, or n */
	size_t *recs;            /* cache: log indices of the records a consumer would see */
	size_t nrecs, reccap;
	bool stale;
};

static uint64_t rec_len(uint32_t len)
{
	return ((uint64_t)(len & ~(RB_BUSY | RB_DISCARD)) + RB_HDR + 7) & ~7ULL;
}

/* ringbuf_map_alloc's checks */
static int rb_check(const struct bs_map_def *def, struct bs_error *err)
{
	int rc = hlp_check_flags(def, BS_F_NUMA_NODE, err);
	if (rc)
		return rc;
	if (def->key_size || def->value_size)
		return hlp_def_err(def, -EINVAL, err, "key_size %u, value_size %u: a ringbuf has "
				   "neither (both 0)", def->key_size, def->value_size);
	uint32_t n = def->max_entries;
	if (n == 0 || (n & (n - 1)) || n % PAGE_SIZE_) {
		hlp_def_err(def, -EINVAL, err, "max_entries %u is the data size in bytes: a power "
			    "of 2 and a multiple of the page size (%u)", n, PAGE_SIZE_);
		vm_err_hint(err, "libbpf rounds a BTF-defined ringbuf's max_entries up to that");
		return -EINVAL;
	}
	return 0;
}

static void rb_size(struct bs_map *map, uint64_t *extra)
{
	map->nslots = 2;  /* the data, then its second mapping */
	map->slot_size = map->def.max_entries;
	*extra = sizeof(struct ring);
}

static int rb_init(struct bs_map *map, struct bs_error *err)
{
	struct ring *r = calloc(1, sizeof(*r));
	map->impl = r;
	if (!r) {
		vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating map '%s'", map->name);
		return -1;
	}
	r->mask = map->def.max_entries - 1;
	return 0;
}

static void rb_free(struct bs_map *map)
{
	struct ring *r = map->impl;
	if (!r)
		return;
	free(r->log);
	free(r->recs);
	free(r);
}

static uint32_t rb_lookup(struct bs_map *map, const void *key)
{
	(void)map, (void)key;
	return HLP_NO_SLOT;
}

/* ringbuf_map_{lookup,update,delete}_elem and get_next_key: ENOTSUPP */
static int rb_sys_lookup(struct bs_map *map, const void *key, void *value)
{
	(void)map, (void)key, (void)value;
	return -BS_ENOTSUPP;
}

static int rb_update(struct bs_map *map, const void *key, const void *value, uint64_t flags,
		     bool all_cpus)
{
	(void)map, (void)key, (void)value, (void)flags, (void)all_cpus;
	return -BS_ENOTSUPP;
}

static int rb_delete(struct bs_map *map, const void *key)
{
	(void)map, (void)key;
	return -BS_ENOTSUPP;
}

static int rb_next_key(struct bs_map *map, const void *key, void *next)
{
	(void)map, (void)key, (void)next;
	return -BS_ENOTSUPP;
}

/* __bpf_ringbuf_reserve: the position of the new record, or -1 */
static int64_t reserve(struct bs_map *map, uint64_t size)
{
	struct ring *r = map->impl;
	if (size > RB_MAX_RECORD)
		return -1;
	uint64_t len = (size + RB_HDR + 7) & ~7ULL;
	if (len > r->mask + 1)
		return -1;
	/* the oldest record still busy bounds the ring too */
	while (r->pending < r->n && !(r->log[r->pending].len & RB_BUSY))
		r->pending++;
	uint64_t pending = r->pending < r->n ? r->log[r->pending].pos : r->prod;
	uint64_t next = r->prod + len;
	if (next - r->cons > r->mask || next - pending > r->mask)
		return -1;
	if (r->n == r->cap) {
		/* drop what a consumer has read before growing */
		if (r->head) {
			memmove(r->log, r->log + r->head, (r->n - r->head) * sizeof(*r->log));
			r->n -= r->head;
			r->pending -= r->head;
			r->head = 0;
		}
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 16;
			struct rb_rec *grown = realloc(r->log, cap * sizeof(*grown));
			if (!grown)
				return -1;
			r->log = grown;
			r->cap = cap;
		}
	}
	uint64_t off = r->prod & r->mask;
	uint32_t hdr[2] = {(uint32_t)size | RB_BUSY, (uint32_t)(off / PAGE_SIZE_) + RB_META_PAGES};
	memcpy(map->values + off, hdr, sizeof(hdr));
	/* a wrapping record: its second mapping shows what the first holds */
	uint64_t size_ = r->mask + 1;
	if (off + len > size_)
		memcpy(map->values + size_, map->values, off + len - size_);
	r->log[r->n++] = (struct rb_rec){r->prod, hdr[0]};
	int64_t pos = (int64_t)r->prod;
	r->prod = next;
	r->stale = true;
	return pos;
}

/* bpf_ringbuf_commit. The wakeup flags change nothing without a consumer. */
static void commit(struct bs_map *map, struct rb_rec *rec, bool discard)
{
	struct ring *r = map->impl;
	rec->len &= ~RB_BUSY;
	if (discard)
		rec->len |= RB_DISCARD;
	uint64_t off = rec->pos & r->mask, size = r->mask + 1;
	memcpy(map->values + off, &rec->len, sizeof(rec->len));
	uint64_t end = off + rec_len(rec->len);
	if (end > size)  /* the wrapped part, written in the second mapping */
		memcpy(map->values, map->values + size, end - size);
	r->stale = true;
}

/* What a consumer would see: records from the consumer position up to the
 * first one still busy, less the discarded ones. */
static void refresh(const struct bs_map *map)
{
	struct ring *r = map->impl;
	if (!r->stale)
		return;
	r->nrecs = 0;
	for (size_t i = r->head; i < r->n && !(r->log[i].len & RB_BUSY); i++) {
		if (r->log[i].len & RB_DISCARD)
			continue;
		if (r->nrecs == r->reccap) {
			size_t cap = r->reccap ? r->reccap * 2 : 16;
			size_t *grown = realloc(r->recs, cap * sizeof(*grown));
			if (!grown)
				return;  /* stays stale: the next call retries */
			r->recs = grown;
			r->reccap = cap;
		}
		r->recs[r->nrecs++] = i;
	}
	r->stale = false;
}

static size_t rb_count(const struct bs_map *map)
{
	refresh(map);
	return ((const struct ring *)map->impl)->nrecs;
}

static int rb_get(const struct bs_map *map, size_t i, struct bs_map_record *out)
{
	const struct ring *r = map->impl;
	if (i >= rb_count(map))
		return -ENOENT;
	const struct rb_rec *rec = &r->log[r->recs[i]];
	out->data = map->values + (rec->pos & r->mask) + RB_HDR;
	out->size = rec->len & ~(RB_BUSY | RB_DISCARD);
	out->cpu = 0;
	return 0;
}

/* a consumer reading everything it can: up to the first busy record */
static void rb_clear(struct bs_map *map)
{
	struct ring *r = map->impl;
	for (; r->head < r->n && !(r->log[r->head].len & RB_BUSY); r->head++)
		r->cons = r->log[r->head].pos + rec_len(r->log[r->head].len);
	if (r->pending < r->head)
		r->pending = r->head;
	r->stale = true;
}

const struct hlp_map_ops hlp_ringbuf_ops = {
	.check = rb_check,
	.size = rb_size,
	.init = rb_init,
	.free = rb_free,
	.lookup = rb_lookup,
	.update = rb_update,
	.delete = rb_delete,
	.next_key = rb_next_key,
	.sys_lookup = rb_sys_lookup,
	.record_count = rb_count,
	.record_get = rb_get,
	.records_clear = rb_clear,
};

/* ---- the helpers */

static int ring_arg(struct hlp_attach *att, int32_t id, uint64_t r1, struct bs_map **map,
		    struct bs_error *err)
{
	return hlp_map_arg(att, id, r1, map, err) || hlp_map_func_compat(id, *map, err) ? -1 : 0;
}

/* bpf_ringbuf_output(map, data, size, flags) */
int hlp_h_ringbuf_output(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	struct bs_map *map;
	if (ring_arg(user, 130, args[0], &map, err))
		return -1;
	/* the verifier bounds the size by the memory it points at */
	const void *data = args[2] ? bs_vm_translate(vm, args[1], args[2], false, err) : "";
	if (!data) {
		hlp_prefix_err(err, "%s: R2 (data, %llu bytes)", hlp_name(130),
			       (unsigned long long)args[2]);
		return -1;
	}
	if (args[3] & ~(uint64_t)(RB_NO_WAKEUP | RB_FORCE_WAKEUP)) {
		*r0 = (uint64_t)-EINVAL;
		return 0;
	}
	int64_t pos = reserve(map, args[2]);
	if (pos < 0) {
		*r0 = (uint64_t)-EAGAIN;
		return 0;
	}
	struct ring *r = map->impl;
	/* the data may lie in the ring itself */
	memmove(map->values + ((uint64_t)pos & r->mask) + RB_HDR, data, args[2]);
	commit(map, &r->log[r->n - 1], false);
	*r0 = 0;
	return 0;
}

/* bpf_ringbuf_reserve(map, size, flags): the record's address, or NULL */
int hlp_h_ringbuf_reserve(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			  struct bs_error *err, void *user)
{
	(void)vm;
	struct hlp_attach *att = user;
	struct bs_map *map;
	if (ring_arg(att, 131, args[0], &map, err))
		return -1;
	int64_t pos = args[2] ? -1 : reserve(map, args[1]);
	const struct ring *r = map->impl;
	*r0 = pos < 0 ? 0 : att->guest[map->index] + ((uint64_t)pos & r->mask) + RB_HDR;
	return 0;
}

/* The reservation a submit or discard releases: the exact address reserve
 * gave, not committed yet (what the verifier's reference tracking ensures). */
static int find_record(struct hlp_attach *att, int32_t id, uint64_t addr, struct bs_map **out,
		       struct rb_rec **rec, struct bs_error *err)
{
	for (size_t i = 0; i < att->nmaps; i++) {
		struct bs_map *map = att->maps->maps[i];
		if (map->def.type != BS_MAP_RINGBUF || addr < att->guest[i] + RB_HDR ||
		    addr - att->guest[i] - RB_HDR >= map->def.max_entries)
			continue;
		struct ring *r = map->impl;
		uint64_t off = addr - att->guest[i] - RB_HDR;
		for (size_t k = r->pending; k < r->n; k++)
			if ((r->log[k].pos & r->mask) == off && (r->log[k].len & RB_BUSY)) {
				*out = map;
				*rec = &r->log[k];
				return 0;
			}
	}
	vm_err(err, BS_ERR_HELPER, BS_NO_PC, "%s: R1 (0x%llx) is not a record from "
	       "bpf_ringbuf_reserve that is still reserved", hlp_name(id),
	       (unsigned long long)addr);
	vm_err_hint(err, "the verifier refuses this (release of an unacquired reference): pass "
		    "the exact pointer bpf_ringbuf_reserve returned, once");
	return -1;
}

static int release(int32_t id, const uint64_t args[5], uint64_t *r0, struct bs_error *err,
		   void *user, bool discard)
{
	struct bs_map *map;
	struct rb_rec *rec;
	if (find_record(user, id, args[0], &map, &rec, err))
		return -1;
	commit(map, rec, discard);
	*r0 = 0;
	return 0;
}

/* bpf_ringbuf_submit(data, flags) and bpf_ringbuf_discard(data, flags):
 * no return value; flags other than the wakeup ones are ignored */
int hlp_h_ringbuf_submit(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			 struct bs_error *err, void *user)
{
	(void)vm;
	return release(132, args, r0, err, user, false);
}

int hlp_h_ringbuf_discard(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			  struct bs_error *err, void *user)
{
	(void)vm;
	return release(133, args, r0, err, user, true);
}

/* bpf_ringbuf_query(map, flags) */
int hlp_h_ringbuf_query(struct bs_vm *vm, const uint64_t args[5], uint64_t *r0,
			struct bs_error *err, void *user)
{
	(void)vm;
	struct bs_map *map;
	if (ring_arg(user, 134, args[0], &map, err))
		return -1;
	const struct ring *r = map->impl;
	switch (args[1]) {
	case RB_AVAIL_DATA: *r0 = r->prod - r->cons; break;
	case RB_RING_SIZE: *r0 = r->mask + 1; break;
	case RB_CONS_POS: *r0 = r->cons; break;
	case RB_PROD_POS: *r0 = r->prod; break;
	default: *r0 = 0; break;
	}
	return 0;
}
