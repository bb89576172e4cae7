// SPDX-License-Identifier: MIT
/* Loops whose memory accesses one check at the loop's head covers: what the
 * kernel's verifier proves once for a packet loop (every p[i] inside the
 * packet), proven here at run time for the values the loop starts with, so
 * that the JIT can run the loop without a check per access and stay exact
 * for programs no verifier has seen.
 *
 * A loop qualifies when it is simple enough to follow without paths: the
 * instructions [head, end], entered only at head, whose last one jumps back
 * to head (conditionally or not) and whose other jumps all leave it; no
 * calls, exits, packet loads or atomics inside. Each register's value is
 * followed through one pass of the body as a sum of at most two of the
 * values the registers had at the head, plus a constant. A register the
 * body leaves as it found it is invariant; one it moves by a constant step
 * is an induction variable. A test that every round going on passes (an
 * exit not taken, or the back edge taken) compares the induction variable
 * (plus a constant and at most one invariant) with an invariant limit,
 * which bounds the values it takes. Every access whose address is not in
 * the frame must then be invariant registers + the induction variable + a
 * constant; jit_loop_check turns the registers at the head into the range
 * of guest addresses the loop can reach, and says whether one plain region
 * holds it all, and whether the budget left covers every round the
 * variable allows. */
#include <stdlib.h>
#include <string.h>

#include "jit/jit_private.h"

/* H[t[0]] + H[t[1]] + c, where H are the registers at the head and t -1
 * an empty term; !known: anything. */
struct sym {
	bool known;
	int8_t t[2];
	int64_t c;
};

/* constants stay far from overflow: a guard's sums cannot wrap past 2^64
 * between the lowest and highest address it checks */
#define SYM_MAX_C ((int64_t)1 << 40)
#define LOOP_MAX_STEP ((int64_t)1 << 20)
/* longer bodies are not followed */
#define LOOP_MAX_BODY 4096
/* values at the head the check accepts: below this, signed and unsigned
 * compares agree and nothing wraps */
#define LOOP_MAX_VALUE ((uint64_t)1 << 62)

static struct sym sym_const(int64_t c)
{
	struct sym s = {true, {-1, -1}, c};
	if (c > SYM_MAX_C || c < -SYM_MAX_C)
		s.known = false;
	return s;
}

/* Every register as it is at the head: itself. */
static void sym_head(struct sym *r)
{
	for (int i = 0; i < BS_MAX_REG; i++)
		r[i] = (struct sym){true, {(int8_t)i, -1}, 0};
}

static int sym_nterms(const struct sym *s)
{
	return (s->t[0] >= 0) + (s->t[1] >= 0);
}

static struct sym sym_add(struct sym a, const struct sym *b, int64_t c)
{
	if (!a.known || !b->known || sym_nterms(&a) + sym_nterms(b) > 2) {
		a.known = false;
		return a;
	}
	for (int i = 0; i < 2; i++)
		if (b->t[i] >= 0)
			a.t[a.t[0] < 0 ? 0 : 1] = b->t[i];
	a.c += b->c + c;
	if (a.c > SYM_MAX_C || a.c < -SYM_MAX_C)
		a.known = false;
	/* one order for comparisons */
	if (a.t[0] > a.t[1] && a.t[1] >= 0) {
		int8_t t = a.t[0];
		a.t[0] = a.t[1];
		a.t[1] = t;
	}
	if (a.t[0] < 0 && a.t[1] >= 0) {
		a.t[0] = a.t[1];
		a.t[1] = -1;
	}
	return a;
}

/* The register an instruction of a qualifying loop writes, or -1. */
static int writes(const struct vm_pinsn *I)
{
	switch ((enum vm_form)vm_ops[I->op].form) {
	case F_ALU_K: case F_ALU_X: case F_NEG: case F_MOVSX: case F_END: case F_LDX:
	case F_LOAD_ACQ: case F_LDDW:
		return I->dst;
	default:
		return -1;
	}
}

static void sym_step(struct sym *r, const struct vm_pinsn *I)
{
	struct sym zero = sym_const(0);
	if (vm_ops[I->op].form == F_CALL) {
		/* an inline array lookup: r0 its answer, r1-r5 the call's */
		for (int i = 0; i <= 5; i++)
			r[i].known = false;
		return;
	}
	int d = writes(I);
	if (d < 0)
		return;
	switch (I->op) {
	case VM_OP_MOV64_X: r[d] = r[I->src]; return;
	case VM_OP_MOV64_K: case VM_OP_LDDW: r[d] = sym_const((int64_t)I->imm); return;
	case VM_OP_ADD64_K: r[d] = sym_add(r[d], &zero, (int64_t)I->imm); return;
	case VM_OP_SUB64_K: r[d] = sym_add(r[d], &zero, -(int64_t)I->imm); return;  /* imm: 32-bit */
	case VM_OP_ADD64_X: r[d] = sym_add(r[d], &r[I->src], 0); return;
	default: r[d].known = false; return;
	}
}

static bool is_reg(const struct sym *s, int reg, int64_t c)
{
	return s->known && s->t[0] == reg && s->t[1] < 0 && s->c == c;
}

/* Whether sym s is made of invariant registers only (inv[]), at most two. */
static bool sym_invariant(const struct sym *s, const bool *inv)
{
	if (!s->known)
		return false;
	for (int i = 0; i < 2; i++)
		if (s->t[i] >= 0 && !inv[s->t[i]])
			return false;
	return true;
}

/* The induction variable in sym s (at most one other term, invariant), or -1. */
static int moving(const struct sym *s, const bool *inv, const int64_t *step)
{
	if (!s->known || s->t[0] < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		int t = s->t[i], o = s->t[1 - i];
		if (t >= 0 && step[t] && (o < 0 || (inv[o] && o != t)))
			return t;
	}
	return -1;
}

/* A test as "go on while H[iv] + d < limit" (or <=, !=): one side the
 * induction variable plus a constant, the other invariant; negate: the
 * loop goes on where the jump is not taken (an exit). */
static bool loop_bound(struct jit_loop *L, size_t pc, const struct vm_pinsn *E,
		       const struct sym *r, const bool *inv, const int64_t *step, bool negate)
{
	const struct vm_opinfo *info = &vm_ops[E->op];
	if ((info->code & 7) != 5)
		return false;  /* JMP32 compares only the low halves */
	struct sym a = r[E->dst];
	struct sym b = info->form == F_JMP_K ? sym_const((int64_t)E->imm) : r[E->src];
	int cond = info->code & 0xf0;
	if (negate) {
		/* an exit: the loop goes on where its jump is not taken */
		static const uint8_t opposite[16] = {
			[0x1] = 0x50, [0x2] = 0xb0, [0x3] = 0xa0, [0xa] = 0x30, [0xb] = 0x20,
			[0x6] = 0xd0, [0x7] = 0xc0, [0xc] = 0x70, [0xd] = 0x60,
		};
		cond = opposite[cond >> 4];
	}
	if (L->nbounds == JIT_LOOP_BOUNDS)
		return false;
	struct jit_loop_bound *B = &L->bound[L->nbounds];
	/* which side moves: the induction variable, and at most one invariant
	 * (a pointer: p + i + 2 > end) */
	int va = moving(&a, inv, step), vb = moving(&b, inv, step);
	bool ivleft;
	if (va >= 0 && sym_invariant(&b, inv))
		ivleft = true;
	else if (vb >= 0 && sym_invariant(&a, inv))
		ivleft = false;
	else
		return false;
	const struct sym *iv = ivleft ? &a : &b, *lim = ivleft ? &b : &a;
	int v = ivleft ? va : vb;
	if (L->iv != JIT_LOOP_NO_IV && L->iv != v)
		return false;
	int plus = 0;
	switch (cond) {
	case 0xa0: case 0xc0:  /* jlt, jslt: dst < src */
		if (!ivleft)
			return false;
		break;
	case 0xb0: case 0xd0:  /* jle, jsle */
		if (!ivleft)
			return false;
		plus = 1;
		break;
	case 0x20: case 0x60:  /* jgt, jsgt: src < dst */
		if (ivleft)
			return false;
		break;
	case 0x30: case 0x70:  /* jge, jsge */
		if (ivleft)
			return false;
		plus = 1;
		break;
	case 0x50:             /* jne: counts up to the limit exactly */
		if (step[v] != 1)
			return false;
		B->ne = 1;
		break;
	default:
		return false;
	}
	L->iv = (uint8_t)v;
	L->step = step[v];
	B->add = iv->t[0] == v ? iv->t[1] : iv->t[0];
	B->d = iv->c;
	B->lim[0] = lim->t[0];
	B->lim[1] = lim->t[1];
	B->lc = lim->c;
	B->le = (uint8_t)plus;
	B->at = (uint32_t)pc;
	L->nbounds++;
	return true;
}

/* Adds an access at address sym a (size bytes, need) to L's groups. */
static bool loop_access(struct jit_loop *L, size_t pc, const struct sym *a, unsigned size,
			unsigned need, const bool *inv)
{
	if (!a->known)
		return false;
	struct jit_loop_group g = {{-1, -1}, 0, 0, 0, a->c, a->c + (int64_t)size};
	/* from r10: it can only be the stack, addressed from the VM */
	g.stack = a->t[0] == 10 || a->t[1] == 10;
	for (unsigned b = 0; b < L->nbounds; b++)
		if (L->bound[b].at < pc)
			g.after |= (uint8_t)(1u << b);
	int k = 0;
	for (int i = 0; i < 2; i++) {
		int t = a->t[i];
		if (t < 0)
			continue;
		if (inv[t])
			g.reg[k++] = (int8_t)t;
		else if (L->iv != JIT_LOOP_NO_IV && t == L->iv && !g.iv)
			g.iv = 1;
		else
			return false;
	}
	if (!g.stack)
		L->need |= need;
	for (unsigned i = 0; i < L->ngroups; i++) {
		struct jit_loop_group *o = &L->group[i];
		if (o->reg[0] == g.reg[0] && o->reg[1] == g.reg[1] && o->iv == g.iv &&
		    o->after == g.after) {
			if (g.lo < o->lo)
				o->lo = g.lo;
			if (g.hi > o->hi)
				o->hi = g.hi;
			return true;
		}
	}
	if (L->ngroups == JIT_LOOP_GROUPS)
		return false;
	L->group[L->ngroups++] = g;
	return true;
}

/* At a jump of L's body (registers r): a register holding the variable's
 * value at the round's head plus a constant, into *at; false if none does. */
static bool loop_iv_at(const struct jit_loop *L, const struct sym *r, struct jit_loop_pc *at)
{
	if (L->iv == JIT_LOOP_NO_IV)
		return true;  /* not planned: it has no variable */
	for (int i = 0; i < BS_MAX_REG; i++)
		if (r[i].known && r[i].t[0] == L->iv && r[i].t[1] < 0 &&
		    r[i].c == (int32_t)r[i].c && r[i].c != INT32_MIN) {
			at->iv = (int8_t)i;
			at->iv_off = (int32_t)r[i].c;
			return true;
		}
	return false;
}

/* A side of a compare between registers holding host addresses, sym a:
 * to L's compares, whose values over the loop the check bounds. */
static bool loop_cmp(struct jit_loop *L, const struct sym *a, const bool *inv)
{
	if (!a->known || L->ncmps == JIT_LOOP_CMPS)
		return false;
	struct jit_loop_group g = {{-1, -1}, 0, 0, 0, a->c, a->c};
	int k = 0;
	for (int i = 0; i < 2; i++) {
		int t = a->t[i];
		if (t < 0)
			continue;
		if (inv[t] && t != 10)
			g.reg[k++] = (int8_t)t;
		else if (t == L->iv && !g.iv)
			g.iv = 1;
		else
			return false;
	}
	L->cmp[L->ncmps++] = g;
	return true;
}

/* The registers jit_loop_check reads (bits). */
static uint16_t loop_reads(const struct jit_loop *L)
{
	uint16_t m = (uint16_t)(1u << L->iv);
	const struct jit_loop_group *g[JIT_LOOP_GROUPS + JIT_LOOP_CMPS];
	unsigned n = 0;
	for (unsigned i = 0; i < L->ngroups; i++)
		g[n++] = &L->group[i];
	for (unsigned i = 0; i < L->ncmps; i++)
		g[n++] = &L->cmp[i];
	for (unsigned i = 0; i < n; i++)
		for (int k = 0; k < 2; k++)
			if (g[i]->reg[k] >= 0)
				m |= (uint16_t)(1u << g[i]->reg[k]);
	for (unsigned b = 0; b < L->nbounds; b++) {
		const struct jit_loop_bound *B = &L->bound[b];
		int8_t r[3] = {B->add, B->lim[0], B->lim[1]};
		for (int k = 0; k < 3; k++)
			if (r[k] >= 0)
				m |= (uint16_t)(1u << r[k]);
	}
	return m;
}

static size_t slots(const struct vm_pinsn *I)
{
	return vm_ops[I->op].form == F_LDDW ? 2 : 1;
}

/* One round followed with the registers in h holding host addresses:
 * false where one would be used other than added to (by a constant or a
 * register holding none), copied, subtracted from another (the difference
 * is the guest's), as the base of the region's access, or compared with
 * another (64 bits; both sides then go to L->cmp, for the check to prove
 * the order the same in both forms). A register holding none compared with
 * one, if invariant, goes to *more (it can hold one too). at[] gets, per
 * access, whether its base holds one, per jump, the registers that do. */
static bool hosts_follow(const struct vm_pinsn *code, struct jit_loop *L, const bool *inv,
			 uint16_t h0, struct jit_loop_pc *at, uint16_t *h_end, uint16_t *more)
{
	uint16_t h = h0;
	struct sym r[BS_MAX_REG];
	sym_head(r);
	L->ncmps = 0;
	for (size_t pc = L->head; pc <= L->end; pc += slots(&code[pc])) {
		const struct vm_pinsn *I = &code[pc];
		struct jit_loop_pc *a = &at[pc - L->head];
		enum vm_form f = vm_ops[I->op].form;
		uint16_t bd = (uint16_t)(1u << I->dst), bs = (uint16_t)(1u << I->src);
		bool hd = h & bd, hs = h & bs;
		switch (f) {
		case F_LDX: case F_LOAD_ACQ:
			if (hs && !a->region)
				return false;
			a->host = hs;
			h &= (uint16_t)~bd;
			break;
		case F_ST: case F_STX: case F_STORE_REL:
			if ((hd && !a->region) || (f != F_ST && hs))
				return false;
			a->host = hd;
			break;
		case F_JMP_K: case F_JMP_X:
			a->hosts = h;
			if (!hd && !(f == F_JMP_X && hs))
				break;
			if (f == F_JMP_K || (vm_ops[I->op].code & 7) != 5)
				return false;
			if (hd != hs) {
				int other = hd ? I->src : I->dst;
				if (inv[other] && is_reg(&r[other], other, 0))
					*more |= (uint16_t)(1u << other);
				return false;
			}
			if (!loop_cmp(L, &r[I->dst], inv) || !loop_cmp(L, &r[I->src], inv))
				return false;
			break;
		case F_JA:
			break;
		case F_CALL:
			/* the registers a call gets or clobbers hold no host address */
			if (h & 0x3f)
				return false;
			break;
		case F_ALU_X:
			if (I->op == VM_OP_MOV64_X) {
				h = (uint16_t)((h & ~bd) | (hs ? bd : 0));
			} else if (I->op == VM_OP_ADD64_X) {
				if (hd && hs)
					return false;
				h |= hs ? bd : 0;
			} else if (I->op == VM_OP_SUB64_X) {
				if (hs && !hd)
					return false;
				if (hs)
					h &= (uint16_t)~bd;
			} else {
				if (hs || (hd && I->op != VM_OP_MOV32_X))
					return false;
				h &= (uint16_t)~bd;
			}
			break;
		case F_ALU_K:
			if (I->op == VM_OP_ADD64_K || I->op == VM_OP_SUB64_K)
				break;
			if (hd && I->op != VM_OP_MOV64_K && I->op != VM_OP_MOV32_K)
				return false;
			h &= (uint16_t)~bd;
			break;
		case F_LDDW:
			h &= (uint16_t)~bd;
			break;
		default:  /* neg, movsx, byte swaps */
			if (hd || hs)
				return false;
			h &= (uint16_t)~bd;
			break;
		}
		sym_step(r, I);
	}
	*h_end = h;
	return true;
}

/* L->host: the registers the copy holds as host addresses from its entry:
 * the invariants in the region's groups, what a round leaves holding one
 * (r3 = r1 + r2 is one at the head of every round but the first, so it is
 * turned at the entry too) and the invariants compared with one, if every
 * use allows it; at[] as hosts_follow leaves it, or no host addresses. */
static void loop_hosts(const struct vm_pinsn *code, struct jit_loop *L, const bool *inv,
		       struct jit_loop_pc *at)
{
	uint16_t h = 0, end, more = 0;
	for (unsigned i = 0; i < L->ngroups; i++)
		for (int k = 0; k < 2 && !L->group[i].stack; k++)
			if (L->group[i].reg[k] >= 0)
				h |= (uint16_t)(1u << L->group[i].reg[k]);
	/* the set only grows, or the walk fails: at most a round per register */
	for (int i = 0; h && i <= BS_MAX_REG; i++) {
		uint16_t grow = 0;
		if (!hosts_follow(code, L, inv, h, at, &end, &grow)) {
			if (!grow || (grow & h))
				break;
			h |= grow;
			continue;
		}
		if (end == h) {
			L->host = h;
			return;
		}
		/* a round leaves one holding a guest address again: the next
		 * round would start in another state than this one did */
		if ((h | end) == h)
			break;
		h |= end;
	}
	L->host = 0;
	hosts_follow(code, L, inv, 0, at, &end, &more);
}

static bool jumps(enum vm_form f)
{
	return f == F_JMP_K || f == F_JMP_X || f == F_JA || f == F_GOTOL || f == F_MAY_GOTO ||
	       f == F_CALL_LOCAL;
}

/* Whether [head, end] (end: a jump back to head) qualifies; L filled if
 * so. */
static bool loop_plan(const struct bs_vm *vm, const struct vm_pinsn *code, const uint8_t *leader,
		      const uint8_t *inl, const uint32_t *targets, size_t head, size_t end, size_t *work,
		      struct jit_loop_pc *at, struct jit_loop *L)
{
	/* nothing jumps into the body past the head (targets: how many jumps
	 * land before each pc), and inside, the jumps are exits */
	if (end - head > LOOP_MAX_BODY || targets[end + 1] != targets[head + 1] ||
	    *work < 4 * (end - head + 1))
		return false;
	*work -= 4 * (end - head + 1);
	for (size_t pc = head; pc < end; pc += slots(&code[pc])) {
		const struct vm_pinsn *I = &code[pc];
		enum vm_form f = vm_ops[I->op].form;
		if (jumps(f) && f != F_JMP_K && f != F_JMP_X)
			return false;
		size_t t = (size_t)((int64_t)pc + 1 + I->off);
		if (jumps(f) && t >= head && t <= end)
			return false;
	}
	memset(L, 0, sizeof(*L));
	L->head = (uint32_t)head;
	L->end = (uint32_t)end;
	L->iv = JIT_LOOP_NO_IV;
	struct sym r[BS_MAX_REG];
	sym_head(r);
	/* one pass over the body: what each register becomes */
	for (size_t pc = head; pc <= end; pc++) {
		const struct vm_pinsn *I = &code[pc];
		switch ((enum vm_form)vm_ops[I->op].form) {
		case F_CALL:
			if (!inl[pc])
				return false;
			break;
		case F_CALL_LOCAL: case F_CALL_KFUNC: case F_EXIT: case F_LD_ABS:
		case F_LD_IND: case F_ATOMIC: case F_ATOMIC_FETCH: case F_XCHG: case F_CMPXCHG:
		case F_ADDR_SPACE_CAST:
			return false;
		default:
			break;
		}
		sym_step(r, I);
		if (vm_ops[I->op].form == F_LDDW)
			pc++;
	}
	bool inv[BS_MAX_REG];
	int64_t step[BS_MAX_REG];
	for (int i = 0; i < BS_MAX_REG; i++) {
		inv[i] = is_reg(&r[i], i, 0);
		step[i] = 0;
		if (r[i].known && r[i].t[0] == i && r[i].t[1] < 0 && r[i].c > 0 &&
		    r[i].c <= LOOP_MAX_STEP)
			step[i] = r[i].c;
	}
	/* the bound: a test every round that goes on has passed, an exit's
	 * (not taken) or the back edge's (taken) */
	sym_head(r);
	for (size_t pc = head; pc <= end; pc++) {
		const struct vm_pinsn *I = &code[pc];
		enum vm_form f = vm_ops[I->op].form;
		if (f == F_JMP_K || f == F_JMP_X)
			loop_bound(L, pc, I, r, inv, step, pc != end);
		sym_step(r, I);
		if (f == F_LDDW)
			pc++;
	}
	/* the accesses, followed again from the head, with what the JIT knows
	 * of the frame */
	struct jit_facts facts;
	jit_facts_clear(&facts);
	memset(at, 0, (end - head + 1) * sizeof(*at));
	sym_head(r);
	for (size_t pc = head; pc <= end; pc++) {
		const struct vm_pinsn *I = &code[pc];
		enum vm_form f = vm_ops[I->op].form;
		if (pc > head)
			jit_facts_enter(&facts, code, pc, leader[pc]);
		int64_t k;
		uint32_t ri;
		struct bs_helper_array d;
		/* an inline lookup whose key is in the frame: code without a
		 * way out (the copy's facts are these, so its code is known) */
		if (f == F_CALL && (!jit_call_array(vm, &facts, I, &d) ||
				    !jit_facts_in_frame(&facts, 2, 0, 4, &k)))
			return false;
		if (f == F_LDX || f == F_LOAD_ACQ || f == F_ST || f == F_STX || f == F_STORE_REL) {
			bool rd = f == F_LDX || f == F_LOAD_ACQ;
			int base = rd ? I->src : I->dst;
			unsigned size = vm_size_bytes(vm_ops[I->op].code);
			unsigned need = rd ? BS_REGION_READ : BS_REGION_WRITE;
			struct sym zero = sym_const(0);
			struct sym a = sym_add(r[base], &zero, I->off);
			/* in the frame, or in a value the lookup found (facts the
			 * copy has too): no group */
			bool value = jit_facts_in_value(&facts, base, I->off, size, &ri) &&
				     (vm->regions[ri].flags & need) == need;
			if (!value && !jit_facts_in_frame(&facts, base, I->off, size, &k)) {
				if (!loop_access(L, pc, &a, size, need, inv))
					return false;
				at[pc - head].on_stack = a.t[0] == 10 || a.t[1] == 10;
				at[pc - head].region = !at[pc - head].on_stack;
			}
		}
		/* a way out: where the round's variable is, to give back the
		 * rounds after it */
		if ((f == F_JMP_K || f == F_JMP_X) && !loop_iv_at(L, r, &at[pc - head]))
			return false;
		sym_step(r, I);
		jit_facts_after(vm, &facts, I, inl[pc]);
		if (f == F_LDDW)
			pc++;
	}
	/* the instructions of one round, each a unit of the budget (a lddw one) */
	for (size_t pc = head; pc <= end; pc += slots(&code[pc]))
		L->units++;
	if (!L->ngroups || L->iv == JIT_LOOP_NO_IV)
		return false;
	loop_hosts(code, L, inv, at);
	L->reads = loop_reads(L);
	L->memo.gen = UINT64_MAX;
	return true;
}

int jit_plan_loops(const struct bs_vm *vm, const struct vm_pinsn *code, size_t n,
		   const uint8_t *leader, const uint8_t *inl, struct jit_loop **out, size_t *nout,
		   struct jit_loop_pc *at)
{
	*out = NULL;
	*nout = 0;
	uint32_t *targets = calloc(n + 2, sizeof(*targets));
	struct jit_loop_pc *body = malloc((LOOP_MAX_BODY + 1) * sizeof(*body));
	if (!targets || !body) {
		free(targets);
		free(body);
		return -1;
	}
	for (size_t pc = 0; pc < n; pc += slots(&code[pc])) {
		const struct vm_pinsn *I = &code[pc];
		int64_t t = (int64_t)pc + 1 + I->off;
		if (jumps(vm_ops[I->op].form) && t >= 0 && (size_t)t < n)
			targets[t + 1]++;
	}
	for (size_t pc = 1; pc <= n + 1; pc++)
		targets[pc] += targets[pc - 1];
	int rc = 0;
	/* the bodies followed, in all: linear in the program */
	size_t work = 16 * n + 65536;
	for (size_t pc = 0; pc < n && !rc; pc += slots(&code[pc])) {
		const struct vm_pinsn *I = &code[pc];
		enum vm_form f = vm_ops[I->op].form;
		if (f != F_JMP_K && f != F_JMP_X && f != F_JA)
			continue;
		int64_t t = (int64_t)pc + 1 + I->off;
		if (t < 0 || (size_t)t > pc)
			continue;
		struct jit_loop L;
		if (!loop_plan(vm, code, leader, inl, targets, (size_t)t, pc, &work, body, &L))
			continue;
		memcpy(&at[t], body, (pc - (size_t)t + 1) * sizeof(*body));
		struct jit_loop *more = realloc(*out, (*nout + 1) * sizeof(*more));
		if (!more) {
			rc = -1;
			break;
		}
		*out = more;
		more[(*nout)++] = L;
	}
	free(targets);
	free(body);
	return rc;
}

/* v / L's step: the check runs at every entry to a loop, and a step is
 * mostly a power of two, where a shift saves a division's 40 cycles */
static uint64_t rounds_in(const struct jit_loop *L, uint64_t v)
{
	uint64_t s = (uint64_t)L->step;
	return s & (s - 1) ? v / s : v >> __builtin_ctzll(s);
}

/* What test B says of the induction variable, from its value x at the
 * head: the value at the head of the last round (*next; a round comes only
 * after one that passed B), and the highest value in a round that passes B
 * (*within; false in *passes: no round does); false when B cannot bound
 * it. The tested value y = x + the invariant + d goes up with x, and the
 * test passes while y < limit (or != limit, step 1). */
static bool loop_last(const struct jit_loop *L, const struct jit_loop_bound *B,
		      const uint64_t *reg, uint64_t *next, uint64_t *within, bool *passes)
{
	uint64_t x = reg[L->iv];
	uint64_t lim = (uint64_t)B->lc;
	for (int i = 0; i < 2; i++)
		if (B->lim[i] >= 0)
			lim += reg[B->lim[i]];
	uint64_t y = x + (uint64_t)B->d + (B->add >= 0 ? reg[B->add] : 0);
	if (x >= LOOP_MAX_VALUE || lim >= LOOP_MAX_VALUE || y >= LOOP_MAX_VALUE)
		return false;
	lim += B->le;  /* y <= lim as y < lim + 1: no wrap below 2^62 */
	uint64_t s = (uint64_t)L->step;
	if (B->ne && y > lim)
		return false;  /* it would count up past 2^64 */
	*passes = y < lim;
	*within = *passes ? x + rounds_in(L, lim - 1 - y) * s : x;
	*next = *passes ? *within + s : x;
	return true;
}

bool jit_loop_check(const struct bs_vm *vm, const struct jit_loop *L, const uint64_t *reg,
		    uint64_t remaining, struct jit_loop_pass *pass)
{
	/* the tightest of the tests that can bound the variable */
	uint64_t x = reg[L->iv], last = UINT64_MAX, all;
	uint64_t next[JIT_LOOP_BOUNDS], within[JIT_LOOP_BOUNDS];
	bool ok[JIT_LOOP_BOUNDS], passes[JIT_LOOP_BOUNDS];
	for (unsigned b = 0; b < L->nbounds; b++) {
		ok[b] = loop_last(L, &L->bound[b], reg, &next[b], &within[b], &passes[b]);
		if (ok[b] && next[b] < last)
			last = next[b];
	}
	/* every round charged in full, at the head, still leaves budget: the
	 * copy need not look (it gives back what it did not run) */
	if (last == UINT64_MAX ||
	    __builtin_mul_overflow(rounds_in(L, last - x) + 1, L->units, &all) ||
	    all > remaining)
		return false;
	const struct vm_region *found = NULL;
	for (unsigned i = 0; i < L->ngroups; i++) {
		const struct jit_loop_group *g = &L->group[i];
		/* accesses after a test run only in rounds that passed it */
		uint64_t top = last;
		bool never = false;
		for (unsigned b = 0; b < L->nbounds; b++)
			if (ok[b] && g->after & (1u << b)) {
				never |= !passes[b];
				if (within[b] < top)
					top = within[b];
			}
		if (never)
			continue;
		uint64_t inv = 0;
		for (int k = 0; k < 2; k++)
			if (g->reg[k] >= 0)
				inv += reg[g->reg[k]];
		/* lowest byte and one past the highest, wrapping as the program's
		 * own sums would; the region check below rules out a wrap
		 * between them */
		uint64_t lo = inv + (g->iv ? x : 0) + (uint64_t)g->lo;
		uint64_t hi = inv + (g->iv ? top : 0) + (uint64_t)g->hi;
		if (hi < lo)
			return false;
		if (g->stack) {
			/* the interpreter's stack: the current frame's bottom up
			 * to the top of frame 0 */
			const struct vm_region *s = &vm->regions[0];
			if (lo < vm->stack_lo || hi - s->guest > s->size)
				return false;
			continue;
		}
		const struct vm_region *r = found;
		if (!r) {
			r = vm_region_at(vm, lo);
			if (!r || r->rule || (r->flags & L->need) != L->need ||
			    (L->need & BS_REGION_WRITE && r->hook))
				return false;
			found = r;
		}
		if (lo < r->guest || hi - r->guest > r->size)
			return false;
	}
	pass->delta = found ? (uint64_t)(uintptr_t)found->host - found->guest : 0;
	/* compares of host addresses: every value each side takes, in both
	 * forms, in [0, 2^62), where neither form wraps and signed and
	 * unsigned orders agree */
	for (unsigned i = 0; i < L->ncmps; i++) {
		const struct jit_loop_group *g = &L->cmp[i];
		__int128 v = g->lo;
		for (int k = 0; k < 2; k++)
			if (g->reg[k] >= 0)
				v += reg[g->reg[k]];
		__int128 lo = v + (g->iv ? x : 0), hi = v + (g->iv ? last : 0);
		__int128 d = (int64_t)pass->delta;
		if (lo < 0 || hi >= LOOP_MAX_VALUE || lo + d < 0 || hi + d >= LOOP_MAX_VALUE)
			return false;
	}
	pass->last = last;
	pass->charge = all;
	return true;
}
