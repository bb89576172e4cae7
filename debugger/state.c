// SPDX-License-Identifier: MIT
/* The program's state at a stop, for front ends: memory reads and writes
 * (writes are remembered so that re-runs repeat them), expressions, what an
 * address points to, and the packet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/engine.h"
#include "vm/error.h"

int bs_dbg_read(struct bs_dbg *d, uint64_t addr, void *buf, size_t len, struct bs_error *err)
{
	bs_error_clear(err);
	if (dbg_need_run(d, err))
		return -1;
	uint64_t avail = 0;
	const uint8_t *p = bs_vm_region_of(d->vm, addr, NULL, NULL, &avail);
	if (!p || avail < len)
		return vm_err(err, BS_ERR_MEMORY, BS_NO_PC, "cannot access memory at address 0x%llx",
			      (unsigned long long)(p ? addr + avail : addr));
	memcpy(buf, p, len);
	return 0;
}

static int add_edit(struct bs_dbg *d, const struct dbg_edit *e, struct bs_error *err)
{
	struct dbg_edit *more = realloc(d->edits, (d->nedits + 1) * sizeof(*more));
	if (!more)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	d->edits = more;
	d->edits[d->nedits++] = *e;
	/* this run has it already */
	d->next_edit = d->nedits;
	return 0;
}

int bs_dbg_write(struct bs_dbg *d, uint64_t addr, const void *buf, size_t len,
		 struct bs_error *err)
{
	bs_error_clear(err);
	if (dbg_need_run(d, err))
		return -1;
	uint64_t avail = 0;
	uint8_t *p = bs_vm_region_of(d->vm, addr, NULL, NULL, &avail);
	if (!p || avail < len)
		return vm_err(err, BS_ERR_MEMORY, BS_NO_PC, "cannot access memory at address 0x%llx",
			      (unsigned long long)(p ? addr + avail : addr));
	struct dbg_edit e = {.count = d->stop.count, .addr = addr, .len = len};
	if (len > sizeof(e.bytes)) {
		e.more = malloc(len);
		if (!e.more)
			return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		memcpy(e.more, buf, len);
	} else {
		memcpy(e.bytes, buf, len);
	}
	if (add_edit(d, &e, err)) {
		free(e.more);
		return -1;
	}
	memcpy(p, buf, len);
	return 0;
}

int bs_dbg_set_reg(struct bs_dbg *d, int reg, uint64_t value, struct bs_error *err)
{
	bs_error_clear(err);
	if (dbg_need_run(d, err))
		return -1;
	if (reg < 0 || reg > 10)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no register r%d", reg);
	if (reg == 10)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "r10 is the frame pointer: read-only");
	struct dbg_edit e = {.count = d->stop.count, .is_reg = true, .kind = DBG_E_REG,
			     .reg = reg, .len = 8};
	memcpy(e.bytes, &value, 8);
	if (add_edit(d, &e, err))
		return -1;
	bs_vm_regs(d->vm)[reg] = value;
	return 0;
}

/* ---- map changes: made now, and by every re-run at the same position ---- */

static int map_index(struct bs_dbg *d, const char *name, size_t *index, struct bs_error *err)
{
	for (size_t i = 0; d->maps && i < bs_maps_count(d->maps); i++)
		if (strcmp(bs_map_def(bs_maps_at(d->maps, i))->name, name) == 0) {
			*index = i;
			return 0;
		}
	if (!d->maps)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no maps yet: run the program first");
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no map named %s", name);
}

static int map_edit(struct bs_dbg *d, enum dbg_edit_kind kind, const char *map, const void *key,
		    const void *value, size_t value_len, uint64_t flags, struct bs_error *err)
{
	bs_error_clear(err);
	size_t idx = 0;
	if (map_index(d, map, &idx, err))
		return -1;
	struct bs_map *m = bs_maps_at(d->maps, idx);
	const struct bs_map_def *def = bs_map_def(m);
	int rc = kind == DBG_E_MAP_UPDATE ? bs_map_update(m, key, value, flags)
					  : bs_map_delete(m, key);
	if (rc)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "%s: %s failed: %s (errno %d)", def->name,
			      kind == DBG_E_MAP_UPDATE ? "update" : "delete", strerror(-rc), -rc);
	/* after the exit there is no later position for a re-run to repeat it at */
	if (d->state != BS_DBG_STOPPED)
		return 0;
	size_t klen = key ? def->key_size : 0, vlen = kind == DBG_E_MAP_UPDATE ? value_len : 0;
	struct dbg_edit e = {.count = d->stop.count, .kind = kind, .map = idx, .key_len = klen,
			     .len = klen + vlen, .flags = flags};
	e.more = malloc(e.len ? e.len : 1);
	if (!e.more)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	if (klen)
		memcpy(e.more, key, klen);
	if (vlen)
		memcpy(e.more + klen, value, vlen);
	if (add_edit(d, &e, err)) {
		free(e.more);
		return -1;
	}
	return 0;
}

int bs_dbg_map_update(struct bs_dbg *d, const char *map, const void *key, const void *value,
		      size_t value_len, uint64_t flags, struct bs_error *err)
{
	return map_edit(d, DBG_E_MAP_UPDATE, map, key, value, value_len, flags, err);
}

int bs_dbg_map_delete(struct bs_dbg *d, const char *map, const void *key, struct bs_error *err)
{
	return map_edit(d, DBG_E_MAP_DELETE, map, key, NULL, 0, 0, err);
}

int dbg_store(struct bs_dbg *d, const struct dbg_place *pl, uint64_t value, struct bs_error *err)
{
	if (pl->is_reg)
		return bs_dbg_set_reg(d, pl->reg, value, err);
	return bs_dbg_write(d, pl->addr, &value, pl->size, err);
}

int bs_dbg_eval(struct bs_dbg *d, const char *expr, struct bs_dbg_value *out,
		struct bs_error *err)
{
	struct dbg_expr *e;
	if (dbg_expr_parse(expr, &e, err))
		return -1;
	struct bs_vm *keep = d->vm;
	if (d->state != BS_DBG_STOPPED)
		d->vm = NULL;  /* numbers only */
	int rc = dbg_expr_eval(d, e, out, err);
	d->vm = keep;
	dbg_expr_free(e);
	return rc;
}

/* ---- what a value points to ---- */

static uint32_t ctx_u32(struct bs_dbg *d, uint64_t off)
{
	uint32_t v = 0;
	uint64_t avail = 0;
	const uint8_t *p = bs_vm_region_of(d->vm, d->ctx_addr + off, NULL, NULL, &avail);
	if (p && avail >= 4)
		memcpy(&v, p, 4);
	return v;
}

int bs_dbg_packet(struct bs_dbg *d, uint64_t *data, uint64_t *data_end)
{
	if (!d->vm || !d->have_ctx)
		return -1;
	/* where the context keeps data and data_end: struct xdp_md's first
	 * fields, struct __sk_buff's data (76) and data_end (80) */
	uint64_t off = bs_prog_type(d->cfg.prog) == BS_PROG_XDP ? 0 : 76;
	const char *name;
	if (!bs_vm_region_of(d->vm, d->ctx_addr, &name, NULL, NULL) || strcmp(name, "ctx") != 0)
		return -1;
	*data = ctx_u32(d, off);
	*data_end = ctx_u32(d, off + 4);
	return *data && *data_end >= *data ? 0 : -1;
}

static void with_off(char *buf, size_t len, const char *base, int64_t off)
{
	if (off == 0)
		snprintf(buf, len, "%s", base);
	else
		snprintf(buf, len, "%s%+lld", base, (long long)off);
}

void bs_dbg_kind(struct bs_dbg *d, uint64_t value, char *buf, size_t len)
{
	buf[0] = 0;
	if (!d->vm)
		return;
	if (d->maps && value >= BS_MAP_HANDLE_BASE && value < BS_FUNC_HANDLE_BASE) {
		struct bs_map *m = bs_maps_by_handle(d->maps, value);
		if (m)
			snprintf(buf, len, "map_ptr[%s]", bs_map_def(m)->name);
		return;
	}
	if (value >= BS_FUNC_HANDLE_BASE && (value - BS_FUNC_HANDLE_BASE) % 8 == 0 &&
	    (value - BS_FUNC_HANDLE_BASE) / 8 < d->ninsns) {
		size_t pc = (value - BS_FUNC_HANDLE_BASE) / 8;
		const struct bs_func *f = bs_dbg_func_at(d, pc);
		if (f && f->start == pc)
			snprintf(buf, len, "func[%s]", f->name);
		else
			snprintf(buf, len, "func#%zu", pc);
		return;
	}
	if (value == bs_vm_regs(d->vm)[10]) {
		snprintf(buf, len, "fp");
		return;
	}
	/* the packet's region is a window that ends at data_end */
	uint64_t data, end;
	if (bs_dbg_packet(d, &data, &end) == 0 && value >= data && value - end < 0x10000) {
		if (value == end)
			snprintf(buf, len, "pkt_end");
		else if (value > end)
			with_off(buf, len, "pkt_end", (int64_t)(value - end));
		else
			with_off(buf, len, "pkt", (int64_t)(value - data));
		return;
	}
	const char *name;
	uint64_t off;
	if (!bs_vm_region_of(d->vm, value, &name, &off, NULL))
		return;
	if (strcmp(name, "stack") == 0) {
		with_off(buf, len, "fp", (int64_t)(value - bs_vm_regs(d->vm)[10]));
		return;
	}
	if (strcmp(name, "pkt") == 0 && bs_dbg_packet(d, &data, &end) == 0) {
		with_off(buf, len, "pkt", (int64_t)(value - data));
		return;
	}
	if (strncmp(name, "map[", 4) == 0 && d->maps) {
		char mname[64];
		snprintf(mname, sizeof(mname), "%.*s", (int)(strlen(name) - 5), name + 4);
		struct bs_map *m = bs_maps_find(d->maps, mname);
		const struct bs_map_def *def = m ? bs_map_def(m) : NULL;
		uint64_t a0 = m ? bs_map_value_addr(m, 0) : 0;
		if (def && a0 && value >= a0 && def->max_entries > 1) {
			uint64_t stride = bs_map_value_addr(m, 1) - a0;
			if (stride) {
				uint64_t idx = (value - a0) / stride;
				char base[96];
				snprintf(base, sizeof(base), "%s[%llu]", name, (unsigned long long)idx);
				with_off(buf, len, base, (int64_t)((value - a0) % stride));
				return;
			}
		}
	}
	with_off(buf, len, name, (int64_t)off);
}
