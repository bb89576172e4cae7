// SPDX-License-Identifier: MIT
/* Running native code: the entry from bs_vm_run, and the slow paths the
 * generated code calls, each doing what the interpreter's handler does
 * (vm/interp_loop.h) so that results, errors and counts agree. */
#include <stdlib.h>
#include <string.h>

#include "jit/jit_private.h"
#include "vm/error.h"

bool jit_supported(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	return true;
#else
	return false;
#endif
}

void jit_free(struct bs_vm *vm)
{
	struct jit_state *js = vm->jit;
	if (!js)
		return;
	for (uint32_t i = 0; i < js->nprogs; i++)
		jit_prog_free(js->progs[i]);
	free(js->progs);
	free(js);
	vm->jit = NULL;
}

/* Program idx's code when it is compiled, for the mode asked, from the
 * code loaded now; else NULL (jit_get makes it). */
static inline struct jit_prog *jit_ready(const struct bs_vm *vm, uint32_t idx)
{
	const struct jit_state *js = vm->jit;
	if (!js || idx >= js->nprogs || js->unchecked != (vm->engine == BS_ENGINE_JIT_UNCHECKED))
		return NULL;
	struct jit_prog *p = js->progs[idx];
	return p && p->code == vm->progs[idx].code && p->n == vm->progs[idx].n ? p : NULL;
}

struct jit_prog *jit_get(struct bs_vm *vm, uint32_t idx, struct bs_error *err)
{
	struct jit_prog *ready = jit_ready(vm, idx);
	if (ready)
		return ready;
	int unchecked = vm->engine == BS_ENGINE_JIT_UNCHECKED;
	if (!jit_supported()) {
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC, "this build has no JIT for the host");
		return NULL;
	}
	if (vm->jit && vm->jit->unchecked != unchecked)
		jit_free(vm);
	if (!vm->jit) {
		vm->jit = calloc(1, sizeof(*vm->jit));
		if (!vm->jit) {
			vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
			return NULL;
		}
		vm->jit->unchecked = unchecked;
	}
	struct jit_state *js = vm->jit;
	if (idx >= js->nprogs) {
		struct jit_prog **more = realloc(js->progs, vm->nprogs * sizeof(*more));
		if (!more) {
			vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
			return NULL;
		}
		memset(more + js->nprogs, 0, (vm->nprogs - js->nprogs) * sizeof(*more));
		js->progs = more;
		js->nprogs = vm->nprogs;
	}
	struct jit_prog *p = js->progs[idx];
	/* made from other code (reloaded): make it again */
	if (p && (p->code != vm->progs[idx].code || p->n != vm->progs[idx].n)) {
		jit_prog_free(p);
		js->progs[idx] = p = NULL;
	}
	if (!p)
		p = js->progs[idx] = jit_compile(vm, idx, unchecked, err);
	return p;
}

/* A memo of a plain region for the region's current place (regions never
 * go away, so the index stays), or empty if the region has a rule or a hook
 * in its way now. A rule's answer may depend on more than the offset (the
 * raw tracepoint rule reads the run's ctx_in size, and the rule is set again
 * whenever that changes), so an answer of a rule never outlives a change of
 * its region. */
static void memo_rebase(const struct bs_vm *vm, struct jit_memo *m)
{
	if (m->region == 0 || m->region >= vm->nregions) {
		m->lim = 0;
		return;
	}
	const struct vm_region *r = &vm->regions[m->region];
	if (m->exact || r->rule || (m->need != BS_REGION_READ && r->hook) || r->size < m->size) {
		m->lim = 0;
	} else {
		m->lo = r->guest;
		m->lim = r->size - m->size + 1;
		m->host = (uint64_t)(uintptr_t)r->host;
	}
}

/* The memos of the regions that changed since the memos were filled
 * (memo_gen): a replay moves the packet's window before every packet, and
 * what the program remembers about its context or a map stays right. A
 * region changed since then when its gen lies in (memo_gen, regions_gen]
 * (64-bit counts: they do not come round). */
static void memo_empty(struct bs_vm *vm)
{
	struct jit_state *js = vm->jit;
	uint64_t since = vm->regions_gen - js->memo_gen;
	for (uint32_t i = 0; i < js->nprogs; i++) {
		struct jit_prog *p = js->progs[i];
		if (!p || !p->memo)
			continue;
		for (struct jit_memo *m = p->memo, *end = m + p->nmemo; m < end; m++)
			if (m->lim && (m->region >= vm->nregions ||
				       vm->regions[m->region].gen - js->memo_gen - 1 < since))
				memo_rebase(vm, m);
	}
	js->memo_gen = vm->regions_gen;
}

static inline void memo_sync(struct bs_vm *vm)
{
	if (vm->jit->memo_gen != vm->regions_gen)
		memo_empty(vm);
}

static void cache_clear(struct jit_frame *f)
{
	memset(f->cache, 0, sizeof(f->cache));
	memo_sync(f->vm);
}

/* The count the interpreter would show having executed up to and including
 * instruction pc (blocks are charged when they start). */
static uint64_t count_at(struct jit_frame *f, uint64_t pc)
{
	struct bs_vm *vm = f->vm;
	const struct jit_prog *p = vm->jit->progs[vm->cur];
	return f->run->limit - f->remaining - p->rest[pc];
}

static void fault(struct jit_frame *f, uint64_t pc)
{
	if (f->run->err)
		f->run->err->pc = (long)pc;
	f->vm->count = count_at(f, pc);
	f->run->outcome = JIT_OUT_FAULT;
}

static unsigned need_of(enum vm_form form)
{
	switch (form) {
	case F_LDX: case F_LOAD_ACQ:
		return BS_REGION_READ;
	case F_ST: case F_STX: case F_STORE_REL:
		return BS_REGION_WRITE;
	default:
		return BS_REGION_RW;
	}
}

/* Regions the generated code may use without asking: plain memory (no
 * access rule, no store hook) at least 8 bytes long, readable for loads,
 * readable and writable for stores and atomics. */
static void cache_fill(struct jit_frame *f, unsigned need, uint64_t addr)
{
	const struct vm_region *r = vm_region_at(f->vm, addr);
	int kind = need == BS_REGION_READ ? JIT_RD : JIT_WR;
	if (!r || r->rule || r->size < 8 ||
	    (kind == JIT_WR && (r->hook || r->flags != BS_REGION_RW)) ||
	    (kind == JIT_RD && !(r->flags & BS_REGION_READ)))
		return;
	struct jit_cache *c = &f->cache[kind];
	c->lo = r->guest;
	c->host = (uint64_t)(uintptr_t)r->host;
	for (int k = 0; k < 4; k++)
		c->lim[k] = r->size - (1u << k) + 1;
}

/* The region a successful access at addr went to; remembered for the
 * access when nothing but its address decides where it goes: loads, and
 * stores or atomics outside hooked regions. The stack is checked inline. */
static void memo_fill(struct bs_vm *vm, struct jit_memo *m, uint64_t addr, unsigned size,
		      unsigned need, uint8_t *p)
{
	const struct vm_region *r = vm_region_at(vm, addr);
	if (!r || (need != BS_REGION_READ && r->hook))
		return;
	m->region = (uint32_t)(r - vm->regions);
	m->size = (uint8_t)size;
	m->need = (uint8_t)need;
	m->exact = r->rule != NULL;
	if (r->rule) {
		m->lo = addr;
		m->lim = 1;
		m->host = (uint64_t)(uintptr_t)p;
	} else {
		m->lo = r->guest;
		m->lim = r->size - size + 1;
		m->host = (uint64_t)(uintptr_t)r->host;
	}
}

uintptr_t jit_rt_mem(struct jit_frame *f, uint64_t addr, uint64_t pc)
{
	return jit_rt_mem_memo(f, addr, pc, NULL);
}

uintptr_t jit_rt_mem_memo(struct jit_frame *f, uint64_t addr, uint64_t pc, struct jit_memo *m)
{
	struct bs_vm *vm = f->vm;
	const struct vm_pinsn *I = &vm->progs[vm->cur].code[pc];
	const struct vm_opinfo *info = &vm_ops[I->op];
	unsigned size = vm_size_bytes(info->code);
	unsigned need = need_of(info->form);
	uint8_t *p = vm_mem(vm, addr, size, need, f->run->err);
	if (!p) {
		fault(f, pc);
		return 0;
	}
	const struct vm_region *r = vm->hook_region;
	if (r) {
		/* vm_store_prog: the region's hook may carry out the store */
		vm->hook_region = NULL;
		uint64_t v = info->form == F_ST ? I->imm : vm->reg[I->src];
		uint64_t gen = vm->regions_gen;
		int done = r->hook(r->hook_user, (uint64_t)(p - r->host), size, v, p);
		if (vm->regions_gen != gen)
			cache_clear(f);
		return done ? JIT_MEM_DONE : (uintptr_t)p;
	}
	if (addr < vm->regions[0].guest || addr >= vm->regions[0].guest + vm->regions[0].size) {
		cache_fill(f, need, addr);
		if (m && vm->jit->memo_gen == vm->regions_gen)
			memo_fill(vm, m, addr, size, need, p);
	}
	return (uintptr_t)p;
}

int jit_rt_helper(struct jit_frame *f, uint64_t pc)
{
	struct bs_vm *vm = f->vm;
	return jit_rt_helper_at(f, pc, &vm->helpers[vm->progs[vm->cur].code[pc].imm]);
}

int jit_rt_helper_at(struct jit_frame *f, uint64_t pc, const struct vm_helper *h)
{
	struct bs_vm *vm = f->vm;
	struct jit_run *run = f->run;
	struct bs_error *err = run->err;
	uint64_t count = run->limit - f->remaining, r0 = 0;
	if (!h->fn) {
		vm_err(err, BS_ERR_HELPER, (long)pc, "helper #%d was unregistered after load",
		       (int)(h - vm->helpers));
		fault(f, pc);
		return -1;
	}
	/* a helper may run program code (bs_vm_call): it counts on */
	vm->count = count;
	vm->pc = pc;
	uint64_t gen = vm->regions_gen;
	if (h->fn(vm, &vm->reg[1], &r0, err, h->user)) {
		/* a fault inside a callback keeps its own pc, program and count */
		if (!(err && err->pc != BS_NO_PC)) {
			if (err)
				err->pc = (long)pc;
			vm->count = count;
		}
		run->outcome = JIT_OUT_FAULT;
		return -1;
	}
	f->remaining = run->limit - vm->count;
	vm->reg[0] = r0;
	/* the caches stay right unless the helper added or moved a region */
	if (vm->regions_gen != gen)
		cache_clear(f);
	return 0;
}

int jit_rt_helper_array(struct jit_frame *f, uint64_t pc, const struct vm_helper *h,
			struct jit_memo *m)
{
	/* the key's region, for the inline read next time: plain readable
	 * memory only, as the helper's own translation would allow */
	struct bs_vm *vm = f->vm;
	uint64_t addr = vm->reg[2];
	const struct vm_region *r = m && vm->jit->memo_gen == vm->regions_gen ? vm_region_at(vm, addr)
									    : NULL;
	if (r && !r->rule && (r->flags & BS_REGION_READ) && r->size - (addr - r->guest) >= 4)
		memo_fill(vm, m, addr, 4, BS_REGION_READ, r->host + (addr - r->guest));
	/* the call may sit inside its block (jit_plan_blocks): the units
	 * after it are charged already, and stay so */
	uint32_t rest = h->fn ? vm->jit->progs[vm->cur]->rest[pc] : 0;
	f->remaining += rest;
	int rc = jit_rt_helper_at(f, pc, h);
	if (!rc)
		f->remaining -= rest;
	return rc;
}

/* Finishes the run in the interpreter from pc of the current program, with
 * everything (registers, frames, count, the function's may_goto allowance)
 * as the interpreter keeps it. */
static void finish_in_interp(struct jit_frame *f, uint64_t pc)
{
	struct bs_vm *vm = f->vm;
	struct jit_run *run = f->run;
	vm->may_goto_resume = (uint32_t)f->may_goto;
	run->rc = vm->dispatch == BS_DISPATCH_SWITCH ? vm_run_switch(vm, pc, 0, run->err)
						     : vm_run_goto(vm, pc, 0, run->err);
	run->outcome = JIT_OUT_SYNCED;
}

int jit_rt_tail_call(struct jit_frame *f, uint64_t pc)
{
	struct bs_vm *vm = f->vm;
	struct jit_run *run = f->run;
	uint32_t target = 0;
	int found = 0;
	if (vm->tail_calls < VM_MAX_TAIL_CALLS && vm->tail_call) {
		vm->count = run->limit - f->remaining;
		vm->pc = pc;
		found = vm->tail_call(vm, vm->reg[2], vm->reg[3], &target, run->err, vm->tail_call_user);
		if (found < 0) {
			fault(f, pc);
			return -1;
		}
	}
	if (found != 1 || target >= vm->nprogs)
		return 0;
	vm->tail_calls++;
	vm->cur = target;
	cache_clear(f);
	struct bs_error e;
	struct jit_prog *p = jit_get(vm, target, &e);
	if (!p) {
		/* no native code for it: the interpreter runs it */
		vm->count = run->limit - f->remaining;
		finish_in_interp(f, 0);
		return -1;
	}
	f->jump = (uint64_t)(uintptr_t)(p->mem + p->body);
	return 1;
}

void jit_rt_bail(struct jit_frame *f, uint64_t pc)
{
	f->vm->count = f->run->limit - f->remaining;
	finish_in_interp(f, pc);
}

void jit_rt_call_depth(struct jit_frame *f, uint64_t pc)
{
	struct bs_vm *vm = f->vm;
	vm_err(f->run->err, BS_ERR_CALL_DEPTH, (long)pc,
	       "the call stack of %u frames is too deep (the kernel allows %d)", vm->depth + 2,
	       BS_MAX_FRAMES);
	fault(f, pc);
}

struct jit_pkt jit_rt_loop(struct jit_frame *f, uint64_t pc, struct jit_loop *L)
{
	(void)pc;
	struct jit_loop_pass pass = {0, 0, 0};
	bool ok = jit_loop_check(f->vm, L, f->vm->reg, f->remaining, &pass);
	L->passed += ok;
	L->failed += !ok;
	if (ok) {
		f->remaining -= pass.charge;
		f->loop_last = pass.last;
		for (int r = 0; r < BS_MAX_REG; r++)
			if (L->reads & 1u << r)
				L->memo.reg[r] = f->vm->reg[r];
		L->memo.gen = f->vm->regions_gen;
		L->memo.stack_lo = f->vm->stack_lo;
		L->memo.pass = pass;
	}
	return (struct jit_pkt){pass.delta, ok};
}

void jit_rt_loop_leave(struct jit_frame *f, uint64_t iv, struct jit_loop *L)
{
	f->remaining += (f->loop_last - iv) / (uint64_t)L->step * L->units;
}

/* LD_ABS / LD_IND, as the interpreter's vm_ld_pkt: the kernel's
 * bpf_skb_load_helper_* with SKF_NET_OFF and SKF_LL_OFF. */
#define SKF_NET_OFF (-0x100000)
#define SKF_LL_OFF (-0x200000)

struct jit_pkt jit_rt_ld_pkt(struct jit_frame *f, uint64_t off64, uint64_t size)
{
	const struct bs_vm *vm = f->vm;
	struct jit_pkt r = {0, 0};
	int32_t off = (int32_t)off64;
	uint64_t at;
	if (off >= 0)
		at = vm->pkt_data + (uint64_t)off;
	else if (off >= SKF_NET_OFF)
		at = vm->pkt_net + (uint64_t)((int64_t)off - SKF_NET_OFF);
	else if (off >= SKF_LL_OFF)
		at = vm->pkt_mac + (uint64_t)((int64_t)off - SKF_LL_OFF);
	else
		return r;
	if (at > vm->pkt_len || size > vm->pkt_len - at)
		return r;
	for (unsigned i = 0; i < size; i++)
		r.value = (r.value << 8) | vm->pkt[at + i];
	r.ok = 1;
	return r;
}

void jit_drop_stale(struct bs_vm *vm)
{
	if (vm->jit_stale) {
		jit_free(vm);
		vm->jit_stale = false;
	}
}

int jit_run(struct bs_vm *vm, struct bs_error *err)
{
	struct bs_error e;
	jit_drop_stale(vm);
	struct jit_prog *p = jit_ready(vm, 0);
	if (!p)
		p = jit_get(vm, 0, &e);
	if (!p) {
		/* code the backend cannot encode (a branch out of reach): the
		 * interpreter runs the program, with the same results */
		if (e.kind == BS_ERR_UNSUPPORTED && jit_supported())
			return vm->dispatch == BS_DISPATCH_SWITCH ? vm_run_switch(vm, 0, 0, err)
								  : vm_run_goto(vm, 0, 0, err);
		if (err)
			*err = e;
		return -1;
	}
	struct jit_run run = {
		.vm = vm,
		.err = err,
		.limit = vm->budget ? vm->budget : UINT64_MAX,
		.outcome = JIT_OUT_EXIT,
	};
	/* only what the code reads before writing: the rest of the frame (ret[],
	 * scratch) is the code's own, and a cache is empty when its lims are 0
	 * (arm64's code reads them; x86-64's keeps memos beside the code) */
	struct jit_frame f;
#if defined(__aarch64__)
	for (int k = 0; k < 2; k++)
		memset(f.cache[k].lim, 0, sizeof(f.cache[k].lim));
#endif
	f.run = &run;
	f.vm = vm;
	f.remaining = run.limit - vm->count;
	f.may_goto = VM_MAY_GOTO_LOOPS;
	memo_sync(vm);
	jit_entry_fn entry;
	void *code = p->mem;
	memcpy(&entry, &code, sizeof(entry));
	entry(&f, p->mem + p->body);
	switch (run.outcome) {
	case JIT_OUT_EXIT:
		vm->count = run.limit - run.remaining;
		return 0;
	case JIT_OUT_SYNCED:
		return run.rc;
	default:
		return -1;
	}
}
