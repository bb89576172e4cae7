// SPDX-License-Identifier: MIT
/* VM lifetime, settings, memory regions and the checked address translation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit/jit.h"
#include "vm/error.h"
#include "vm/vm_private.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int place_region(struct bs_vm *vm, const char *name, void *host, uint64_t size,
			unsigned flags, uint64_t *guest, struct bs_error *err)
{
	if (vm->nregions >= VM_MAX_REGIONS)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "too many memory regions (at most %d)",
			      VM_MAX_REGIONS);
	if (size > (1ULL << 40))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "region '%s' is too large (%llu bytes)",
			      name, (unsigned long long)size);
	struct vm_region *r = &vm->regions[vm->nregions];
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->host = host;
	r->size = size;
	r->flags = flags;
	r->guest = vm->next_guest;
	r->delta = (uint64_t)(uintptr_t)host - r->guest;
	vm->next_guest = align_up(r->guest + size, VM_GUEST_ALIGN) + VM_GUEST_ALIGN;
	vm->nregions++;
	r->gen = vm_regions_moved(vm);
	if (guest)
		*guest = r->guest;
	return 0;
}

int bs_vm_new(struct bs_vm **out, struct bs_error *err)
{
	*out = NULL;
	struct bs_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating a VM");
	vm->helpers = calloc(VM_MAX_HELPER_ID, sizeof(*vm->helpers));
	if (!vm->helpers) {
		free(vm);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory creating a VM");
	}
	vm->budget = BS_DEFAULT_BUDGET;
	vm->stop_at = UINT64_MAX;
	vm->next_guest = VM_GUEST_BASE;
	vm->may_goto_resume = VM_MAY_GOTO_LOOPS;
	if (place_region(vm, "stack", vm->stack, sizeof(vm->stack), BS_REGION_RW, NULL, err)) {
		bs_vm_free(vm);
		return -1;
	}
	*out = vm;
	return 0;
}

void bs_vm_free(struct bs_vm *vm)
{
	if (!vm)
		return;
	jit_free(vm);
	vm_progs_free(vm);
	free(vm->breaks);
	free(vm->helpers);
	free(vm->memos_set);
	free(vm);
}

void bs_vm_set_budget(struct bs_vm *vm, uint64_t max_insns)
{
	vm->budget = max_insns;
}

void bs_vm_set_dispatch(struct bs_vm *vm, enum bs_dispatch dispatch)
{
	vm->dispatch = dispatch;
}

void bs_vm_set_engine(struct bs_vm *vm, enum bs_engine engine)
{
	vm->engine = engine;
}

int bs_vm_set_helper(struct bs_vm *vm, int32_t id, const char *name, bs_helper_fn fn,
		     void *user, struct bs_error *err)
{
	if (id <= 0 || id >= VM_MAX_HELPER_ID)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "helper id %d out of range 1..%d", id,
			      VM_MAX_HELPER_ID - 1);
	struct vm_helper *h = &vm->helpers[id];
	h->fn = fn;
	h->user = user;
	h->array = NULL;
	snprintf(h->name, sizeof(h->name), "%s", name ? name : "");
	/* native code and the interpreter's call sites may have done the old
	 * helper's work inline (the code may be running: a helper can register
	 * helpers; it goes before the next run) */
	vm->jit_stale = true;
	vm_memos_forget(vm);
	return 0;
}

void vm_memos_forget(struct bs_vm *vm)
{
	for (uint32_t i = 0; i < vm->nprogs; i++)
		if (vm->progs[i].memo)
			memset(vm->progs[i].memo, 0, vm->progs[i].n * sizeof(*vm->progs[i].memo));
	vm->nmemos_set = 0;
}

void vm_memos_drop(struct bs_vm *vm)
{
	/* only the filled ones: a replay moves the packet before every packet */
	for (size_t i = 0; i < vm->nmemos_set; i++)
		vm->memos_set[i]->lim = 0;
	vm->nmemos_set = 0;
}

uint64_t vm_regions_moved(struct bs_vm *vm)
{
	vm_memos_drop(vm);
	return ++vm->regions_gen;
}

uint64_t vm_region_changed(struct bs_vm *vm, uint32_t ri)
{
	size_t keep = 0;
	for (size_t i = 0; i < vm->nmemos_set; i++) {
		struct vm_memo *m = vm->memos_set[i];
		if (m->region == ri)
			m->lim = 0;
		else
			vm->memos_set[keep++] = m;
	}
	vm->nmemos_set = keep;
	return ++vm->regions_gen;
}

/* Lists m, about to be filled for region ri, in memos_set (a filled one is
 * there already, for ri too: a memo is filled only when empty or stale);
 * -1: no room, it stays empty. */
static int memo_list(struct bs_vm *vm, struct vm_memo *m, uint32_t ri)
{
	m->region = ri;
	if (m->lim)
		return 0;
	if (vm->nmemos_set == vm->memos_set_cap) {
		size_t cap = vm->memos_set_cap ? 2 * vm->memos_set_cap : 64;
		struct vm_memo **more = realloc(vm->memos_set, cap * sizeof(*more));
		if (!more)
			return -1;
		vm->memos_set = more;
		vm->memos_set_cap = cap;
	}
	vm->memos_set[vm->nmemos_set++] = m;
	return 0;
}

uint8_t *vm_memo_stack(struct bs_vm *vm, struct vm_memo *m, uint64_t off, uint64_t size,
		       uint64_t at)
{
	const struct vm_region *s = &vm->regions[0];
	uint64_t top = vm_stack_top(vm), lo = top - BS_STACK_SIZE;
	/* only where a debugger moved r10 up; vm_stack_lo_set drops it again
	 * once the low end rises past lo */
	if (vm->stack_lo > lo)
		lo = vm->stack_lo;
	if (!memo_list(vm, m, 0)) {
		m->lo = lo - off;
		m->lim = top - lo - size + 1;
		m->host = s->host + (lo - s->guest);
	}
	return s->host + at;
}

int bs_vm_set_helper_array(struct bs_vm *vm, int32_t id, bs_helper_array_fn fn,
			   struct bs_error *err)
{
	if (id <= 0 || id >= VM_MAX_HELPER_ID || !vm->helpers[id].fn)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "helper id %d is not registered", id);
	/* the VM does tail calls itself, whatever is registered there */
	if (id == VM_HELPER_TAIL_CALL)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "helper #%d (bpf_tail_call) cannot be an array lookup", id);
	vm->helpers[id].array = fn;
	vm->jit_stale = true;
	vm_memos_forget(vm);
	return 0;
}

void bs_vm_set_lddw_resolver(struct bs_vm *vm, bs_lddw_resolver_fn fn, void *user)
{
	vm->resolver = fn;
	vm->resolver_user = user;
}

bs_lddw_resolver_fn bs_vm_lddw_resolver(const struct bs_vm *vm, void **user)
{
	if (user)
		*user = vm->resolver_user;
	return vm->resolver;
}

int bs_vm_add_region(struct bs_vm *vm, const char *name, void *host, uint64_t size,
		     unsigned flags, uint64_t *guest, struct bs_error *err)
{
	if (!name || !*name)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "a memory region needs a name");
	if (!host && size)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "region '%s' has no memory", name);
	return place_region(vm, name, host, size, flags, guest, err);
}

int bs_vm_region_update(struct bs_vm *vm, uint64_t guest, void *host, uint64_t size,
			struct bs_error *err)
{
	struct vm_region *r = NULL;
	for (unsigned i = 1; i < vm->nregions; i++)
		if (vm->regions[i].guest == guest)
			r = &vm->regions[i];
	if (!r)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no region starts at guest address 0x%llx",
			      (unsigned long long)guest);
	if (!host && size)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "region '%s' has no memory", r->name);
	/* the same window again (a replay's packets of one size): nothing
	 * anyone remembers about the region goes stale */
	if (host == r->host && size == r->size)
		return 0;
	/* two's-complement wrap-around gives the signed distance */
	uint64_t ng = guest + (uint64_t)((uintptr_t)host - (uintptr_t)r->host);
	if (ng == 0 || ng + size < ng || size > (1ULL << 40))
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "region '%s' cannot move to guest 0x%llx (%llu bytes)", r->name,
			      (unsigned long long)ng, (unsigned long long)size);
	/* within its old place it overlaps nothing the old place did not */
	bool inside = ng >= r->guest && ng + size <= r->guest + r->size;
	for (unsigned i = 0; i < vm->nregions && !inside; i++) {
		const struct vm_region *o = &vm->regions[i];
		if (o != r && ng < o->guest + o->size && o->guest < ng + size)
			return vm_err(err, BS_ERR_ARG, BS_NO_PC,
				      "region '%s' at 0x%llx (%llu bytes) would overlap region '%s'",
				      r->name, (unsigned long long)ng, (unsigned long long)size,
				      o->name);
	}
	r->host = host;
	r->guest = ng;
	r->size = size;
	r->gen = vm_region_changed(vm, (uint32_t)(r - vm->regions));
	return 0;
}

int bs_vm_region_set_store_hook(struct bs_vm *vm, uint64_t guest, bs_store_hook_fn fn,
				void *user, struct bs_error *err)
{
	for (unsigned i = 1; i < vm->nregions; i++)
		if (vm->regions[i].guest == guest) {
			vm->regions[i].hook = fn;
			vm->regions[i].hook_user = user;
			vm->regions[i].gen = vm_region_changed(vm, i);
			return 0;
		}
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no region starts at 0x%llx",
		      (unsigned long long)guest);
}

int bs_vm_region_set_access_rule(struct bs_vm *vm, uint64_t guest, bs_access_rule_fn fn,
				 void *user, struct bs_error *err)
{
	for (unsigned i = 1; i < vm->nregions; i++)
		if (vm->regions[i].guest == guest) {
			vm->regions[i].rule = fn;
			vm->regions[i].rule_user = user;
			vm->regions[i].gen = vm_region_changed(vm, i);
			return 0;
		}
	return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no region starts at 0x%llx",
		      (unsigned long long)guest);
}

void bs_vm_set_prog_type(struct bs_vm *vm, int type)
{
	vm->prog_type = type;
}

void bs_vm_set_packet(struct bs_vm *vm, const void *buf, uint64_t len, uint64_t data_off,
		      uint64_t mac_off, uint64_t net_off)
{
	vm->pkt = buf;
	vm->pkt_len = buf ? len : 0;
	vm->pkt_data = data_off;
	vm->pkt_mac = mac_off;
	vm->pkt_net = net_off;
}

const struct bs_insn *bs_vm_program(const struct bs_vm *vm, size_t *n)
{
	if (n)
		*n = vm->nprogs ? vm->progs[0].n : 0;
	return vm->nprogs ? vm->progs[0].prog : NULL;
}

/* The region nearest to [addr, addr+size), for "region+offset" in messages. */
static const struct vm_region *nearest_region(const struct bs_vm *vm, uint64_t addr)
{
	const struct vm_region *best = NULL;
	uint64_t best_dist = UINT64_MAX;
	for (unsigned i = 0; i < vm->nregions; i++) {
		const struct vm_region *r = &vm->regions[i];
		uint64_t end = r->guest + r->size;
		uint64_t d = addr < r->guest ? r->guest - addr : addr >= end ? addr - end + 1 : 0;
		if (d < best_dist) {
			best_dist = d;
			best = r;
		}
	}
	return best;
}

/* How far outside a region an address still reads as "region+offset"; past
 * this it is reported as belonging to no region. */
#define VM_NEAR (VM_GUEST_ALIGN)
/* how far off a region a fault still names it as the nearest */
#define VM_NEAREST_SHOWN (16ULL << 20)

static bool is_near(const struct vm_region *r, uint64_t addr)
{
	return addr >= r->guest ? addr - r->guest < r->size + VM_NEAR : r->guest - addr <= VM_NEAR;
}

static void fault(struct bs_vm *vm, uint64_t addr, uint64_t size, unsigned need,
		  const struct vm_region *r, struct bs_error *err)
{
	if (r && r->rule && !vm->translating && is_near(r, addr)) {
		vm_err(err, BS_ERR_MEMORY, BS_NO_PC, "invalid bpf_context access off=%lld size=%llu",
		       (long long)(addr - r->guest), (unsigned long long)size);
		vm_err_hint(err, "the kernel's verifier refuses this access to the context of the "
			    "program's type (docs/contexts.md)");
		return;
	}
	uint64_t lo = r == &vm->regions[0] ? vm->stack_lo : r ? r->guest : 0;
	bool inside = r && addr >= lo && addr + size <= r->guest + r->size && addr + size >= addr;
	/* a permission fault names the missing permission (an atomic needs both) */
	bool write = inside ? (need & BS_REGION_WRITE) && !(r->flags & BS_REGION_WRITE)
			    : (need & BS_REGION_WRITE) != 0;
	const char *what = write ? "write" : "read";
	unsigned long long usize = (unsigned long long)size;
	if (!r || !is_near(r, addr)) {
		/* "region+offset" helps only while the offset reads like one */
		uint64_t dist = !r ? UINT64_MAX : addr > r->guest ? addr - r->guest
								  : r->guest - addr;
		if (dist < VM_NEAREST_SHOWN)
			vm_err(err, BS_ERR_MEMORY, BS_NO_PC,
			       "invalid %s of size %llu at 0x%llx: not in any region of the program "
			       "(nearest: %s%+lld)",
			       what, usize, (unsigned long long)addr, r->name,
			       (long long)(addr - r->guest));
		else
			vm_err(err, BS_ERR_MEMORY, BS_NO_PC,
			       "invalid %s of size %llu at 0x%llx: not in any region of the program",
			       what, usize, (unsigned long long)addr);
		return;
	}
	long long off = (long long)(addr - r->guest);
	if (r == &vm->regions[0]) {
		/* stack offsets are relative to the current frame, as the verifier states them */
		long long fpoff = (long long)(addr - (vm->stack_lo + BS_STACK_SIZE));
		vm_err(err, BS_ERR_MEMORY, BS_NO_PC,
		       "invalid %s of stack off=%lld size=%llu (address 0x%llx; the frame is "
		       "fp-512..fp-1)",
		       what, fpoff, usize, (unsigned long long)addr);
	} else if (inside) {
		vm_err(err, BS_ERR_MEMORY, BS_NO_PC,
		       "invalid %s of %s region '%s' off=%lld size=%llu (address 0x%llx)", what,
		       write ? "read-only" : "write-only", r->name, off, usize,
		       (unsigned long long)addr);
	} else {
		vm_err(err, BS_ERR_MEMORY, BS_NO_PC,
		       "invalid %s of %s off=%lld size=%llu (address 0x%llx; '%s' is %llu bytes)",
		       what, r->name, off, usize, (unsigned long long)addr, r->name,
		       (unsigned long long)r->size);
	}
}

/* vm_mem; *at: the region reached (regions[0]: the stack) */
static inline void *mem_at(struct bs_vm *vm, uint64_t addr, uint64_t size, unsigned need,
			   const struct vm_region **at, struct bs_error *err)
{
	uint64_t end = addr + size;
	if (end < addr)
		goto bad;
	/* the stack first: most accesses go there, and its low bound moves with calls */
	const struct vm_region *s = &vm->regions[0];
	if (addr >= vm->stack_lo && end <= s->guest + s->size) {
		if (__builtin_expect(vm->nwatches != 0, 0))
			vm_watch_check(vm, addr, size, need);
		if (need & BS_REGION_WRITE)
			vm->stack_touched = 1;
		*at = s;
		return s->host + (addr - s->guest);
	}
	for (unsigned i = 1; i < vm->nregions; i++) {
		const struct vm_region *r = &vm->regions[i];
		if (addr >= r->guest && end <= r->guest + r->size) {
			if ((r->rule && !vm->translating &&
			     !r->rule(r->rule_user, addr - r->guest, (unsigned)size, need)) ||
			    (r->flags & need) != need) {
				fault(vm, addr, size, need, r, err);
				return NULL;
			}
			if (r->hook && need == BS_REGION_WRITE)
				vm->hook_region = r;
			if (__builtin_expect(vm->nwatches != 0, 0))
				vm_watch_check(vm, addr, size, need);
			*at = r;
			return r->host + (addr - r->guest);
		}
	}
bad:
	fault(vm, addr, size, need, nearest_region(vm, addr), err);
	return NULL;
}

const struct vm_region *vm_region_at(const struct bs_vm *vm, uint64_t addr)
{
	for (unsigned i = 1; i < vm->nregions; i++) {
		const struct vm_region *r = &vm->regions[i];
		if (addr >= r->guest && addr - r->guest < r->size)
			return r;
	}
	return NULL;
}

void *vm_mem(struct bs_vm *vm, uint64_t addr, uint64_t size, unsigned need, struct bs_error *err)
{
	const struct vm_region *r;
	return mem_at(vm, addr, size, need, &r, err);
}

void *vm_mem_memo(struct bs_vm *vm, uint64_t base, uint64_t off, uint64_t size,
		  unsigned need, struct vm_memo *m, struct bs_error *err)
{
	const struct vm_region *r;
	uint64_t addr = base + off;
	uint8_t *p = mem_at(vm, addr, size, need, &r, err);
	if (!p || r == &vm->regions[0] || vm->hook_region || vm->nwatches)
		return p;
	if (memo_list(vm, m, (uint32_t)(r - vm->regions)))
		return p;
	if (r->rule) {
		m->lo = base;
		m->lim = 1;
		m->host = p;
	} else {
		m->lo = r->guest - off;
		m->lim = r->size - size + 1;
		m->host = r->host;
	}
	return p;
}

void *bs_vm_translate(struct bs_vm *vm, uint64_t addr, uint64_t size, bool write,
		      struct bs_error *err)
{
	vm->translating = true;
	void *p = vm_mem(vm, addr, size, write ? BS_REGION_WRITE : BS_REGION_READ, err);
	vm->translating = false;
	/* helpers write host memory directly: only program stores are hooked */
	vm->hook_region = NULL;
	return p;
}

int bs_vm_load(struct bs_vm *vm, const struct bs_insn *prog, size_t n, struct bs_error *err)
{
	jit_free(vm);
	return vm_prepare(vm, prog, n, err);
}

/* One run from instruction 0: what each run of bs_vm_run_repeat does. */
static inline int run_once(struct bs_vm *vm, const uint64_t a[5], bool jit, struct bs_error *err)
{
	/* r0..r10 one by one: a memset of the 88 bytes becomes a rep stos that
	 * costs more than a short program's run */
	_Static_assert(BS_MAX_REG == 11, "r0..r10 below are every register");
	vm->reg[0] = 0;
	for (int i = 1; i <= 5; i++)
		vm->reg[i] = a[i - 1];
	for (int i = 6; i < 10; i++)
		vm->reg[i] = 0;
	vm->reg[10] = vm_stack_top(vm);
	vm_stack_lo_set(vm, vm_stack_top(vm) - BS_STACK_SIZE);
	vm->depth = 0;
	vm->cur = 0;
	vm->count = 0;
	vm->tail_calls = 0;
	vm->watch_hit = 0;
	vm->hook_region = NULL;
	/* a fresh run sees a zeroed stack, so results never depend on the last
	 * run. Nothing writes below the current frame, so a run that never left
	 * frame 0 dirtied only its 512 bytes; every push (interpreter, JIT,
	 * bs_vm_call) sets frames[0].fp, which is 0 from here on until one does.
	 * None of it for a program that never names r10 until a write reaches
	 * the stack another way (stack_touched, stack_deep_touched).
	 * The empty asm hides the size from the compiler, which would otherwise
	 * inline a rep stos that costs three times libc's memset here. */
	size_t dirty = vm->frames[0].fp || vm->stack_deep_touched       ? sizeof(vm->stack)
		       : vm->stack_names_r10 || vm->stack_touched ? BS_STACK_SIZE
								  : 0;
	__asm__("" : "+r"(dirty));
	if (dirty) {
		memset(vm->stack + sizeof(vm->stack) - dirty, 0, dirty);
		vm->stack_deep_touched = false;  /* (it made dirty the whole stack) */
	}
	vm->frames[0].fp = 0;

	int rc;
	if (jit)
		rc = jit_run(vm, err);
	else
		rc = vm->dispatch == BS_DISPATCH_SWITCH ? vm_run_switch(vm, 0, 0, err)
							: vm_run_goto(vm, 0, 0, err);
	if (rc)
		vm_err_insn(err, vm->progs[vm->cur].prog, vm->progs[vm->cur].n);
	return rc;
}

/* a debugger's hook, breakpoints and watches live in the interpreter */
static bool runs_jit(const struct bs_vm *vm)
{
	return vm->engine != BS_ENGINE_INTERP && !vm->stop_hook && !vm->nbreaks && !vm->nwatches;
}

int bs_vm_run_repeat(struct bs_vm *vm, const uint64_t args[5], uint32_t n,
		     struct bs_run_result *res, struct bs_error *err)
{
	bs_error_clear(err);
	if (!vm->nprogs)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "no program loaded");
	static const uint64_t no_args[5];
	const uint64_t *a = args ? args : no_args;
	uint64_t insns = 0;
	int rc = 0;
	for (uint32_t i = 0; i < n; i++) {
		/* as bs_vm_run: a helper may have left words in err (err was
		 * cleared above, so it can be read), or set a hook, a breakpoint,
		 * a watch or the engine during the last run */
		if (err && (err->kind != BS_OK || err->message[0]))
			bs_error_clear(err);
		rc = run_once(vm, a, runs_jit(vm), err);
		insns += vm->count;
		if (rc)
			break;
	}
	if (res) {
		res->retval = vm->reg[0];
		res->insns_executed = insns;
	}
	return rc;
}

int bs_vm_run(struct bs_vm *vm, const uint64_t args[5], struct bs_run_result *res,
	      struct bs_error *err)
{
	return bs_vm_run_repeat(vm, args, 1, res, err);
}
