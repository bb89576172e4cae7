// SPDX-License-Identifier: MIT
/* Hostile programs (issue: bpfstep runs what other people wrote): every one
 * must end in a clear error -- the same kind at the same pc in every engine
 * -- or a defined result, never a host crash or hang, and none may read a
 * secret planted in this process. A new engine is one line in `engines`. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bpfstep/debug.h"
#include "tests/testutil.h"

/* The secret: host memory no program may see. Its address is given to the
 * programs as if it were a pointer. It is placed above 4 GiB where it can
 * be, so that it is not also a guest address (the VM's regions sit below
 * 4 GiB; under valgrind the test's own data does too). */
static char secret_static[64] = "BPFSTEP-HOST-SECRET-5d1f0c9e";
static char *secret = secret_static;
#define MARK "HOST-SECRET"

struct engine {
	const char *name;
	enum bs_engine engine;
	enum bs_dispatch dispatch;
	bool jit;   /* only where bs_jit_available() */
};

static const struct engine engines[] = {
	{"interp (goto)", BS_ENGINE_INTERP, BS_DISPATCH_DEFAULT, false},
	{"interp (switch)", BS_ENGINE_INTERP, BS_DISPATCH_SWITCH, false},
	{"jit", BS_ENGINE_JIT, BS_DISPATCH_DEFAULT, true},
};
#define NENGINES (sizeof(engines) / sizeof(engines[0]))

#define LDDW(d, src, v) INSN(0x18, d, src, 0, (int32_t)(uint32_t)(uint64_t)(v)), \
	INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define LD_MAP(d, idx) INSN(0x18, d, BS_PSEUDO_MAP_IDX, 0, idx), INSN(0, 0, 0, 0, 0)
#define JA(o) INSN(0x05, 0, 0, o, 0)
/* a lddw of this value becomes the secret's host address when the case runs */
#define HOST_PLACEHOLDER 0x5ec2e75ec2e75ec2ULL
#define HOST(d) LDDW(d, 0, HOST_PLACEHOLDER)
/* r2 = data, r3 = data_end of an xdp_md in r1 */
#define XDP_PKT INSN(0x61, 2, 1, 0, 0), INSN(0x61, 3, 1, 4, 0)

/* the maps the cases may use, by index */
enum { M_VALS, M_RB };

struct case_ {
	const char *desc;
	enum bs_prog_type type;
	struct bs_insn prog[24];
	size_t n;
	enum bs_err_kind kind;  /* BS_OK: the run ends normally */
	long pc;
	const char *msg;        /* substring of the message */
	uint64_t retval;        /* kind == BS_OK */
};

#define P(...) .prog = {__VA_ARGS__}, .n = sizeof((struct bs_insn[]){__VA_ARGS__}) / 8
/* test runs return 32 bits, as BPF_PROG_TEST_RUN does */
#define ERANGE_ ((uint64_t)(uint32_t)-34)

static const struct case_ cases[] = {
	/* every region, one byte outside */
	{"stack below fp-512", BS_PROG_XDP, P(LDX(SZ_B, 0, 10, -513), EXIT()),
	 BS_ERR_MEMORY, 0, "invalid read of stack off=-513 size=1"},
	{"above the top frame", BS_PROG_XDP, P(ST(SZ_B, 10, 0, 1), MOV64_IMM(0, 0), EXIT()),
	 BS_ERR_MEMORY, 0, "invalid write of stack off=0 size=1"},
	{"packet end + 1", BS_PROG_XDP, P(XDP_PKT, LDX(SZ_B, 0, 3, 0), EXIT()),
	 BS_ERR_MEMORY, 2, "invalid read of pkt off=64 size=1"},
	{"packet: word over the end", BS_PROG_XDP, P(XDP_PKT, LDX(SZ_W, 0, 3, -2), EXIT()),
	 BS_ERR_MEMORY, 2, "invalid read of pkt off=62 size=4"},
	{"packet: before data (headroom is not the program's)", BS_PROG_SCHED_CLS,
	 P(XDP_PKT, LDX(SZ_B, 0, 2, -1), EXIT()), BS_ERR_MEMORY, 2, NULL},
	{"ctx past its size", BS_PROG_XDP, P(LDX(SZ_W, 0, 1, 24), EXIT()),
	 BS_ERR_MEMORY, 0, "invalid bpf_context access off=24 size=4"},
	{"ctx: write to a read-only field", BS_PROG_XDP, P(ST(SZ_W, 1, 0, 0), MOV64_IMM(0, 2),
	  EXIT()), BS_ERR_MEMORY, 0, "invalid bpf_context access off=0 size=4"},
	{"map value end", BS_PROG_XDP,
	 P(ST(SZ_W, 10, -4, 0), MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -4), LD_MAP(1, M_VALS),
	   CALL_HELPER(1), JMP_IMM(0x10, 0, 0, 2), LDX(SZ_B, 0, 0, 8), EXIT(), MOV64_IMM(0, 1),
	   EXIT()),
	 BS_ERR_MEMORY, 7, "map[vals]"},
	/* pointers that wrap or leave the sandbox */
	{"pointer arithmetic wraps below 0", BS_PROG_XDP,
	 P(XDP_PKT, LDDW(4, 0, 0x8000000000000000ULL), ALU64_REG(0x00, 2, 4),
	   ALU64_REG(0x00, 2, 4), ALU64_IMM(0x00, 2, -1), LDX(SZ_B, 0, 2, 0), EXIT()),
	 BS_ERR_MEMORY, 7, "invalid read of pkt off=-1 size=1"},
	{"pointer 4 GiB past the packet", BS_PROG_XDP,
	 P(XDP_PKT, LDDW(4, 0, 0x100000000ULL), ALU64_REG(0x00, 2, 4), LDX(SZ_B, 0, 2, 0),
	   EXIT()), BS_ERR_MEMORY, 5, "invalid read"},
	{"load from a host address", BS_PROG_XDP, P(HOST(1), LDX(SZ_DW, 0, 1, 0), EXIT()),
	 BS_ERR_MEMORY, 2, "invalid read"},
	{"store to a host address", BS_PROG_XDP,
	 P(HOST(1), ST(SZ_DW, 1, 0, 0), MOV64_IMM(0, 0), EXIT()), BS_ERR_MEMORY, 2,
	 "invalid write"},
	{"uninitialised stack reads as zero", BS_PROG_XDP,
	 P(LDX(SZ_DW, 0, 10, -8), LDX(SZ_DW, 1, 10, -512), ALU64_REG(0x40, 0, 1), EXIT()),
	 BS_OK, 0, NULL, 0},
	{"ctx far past its size", BS_PROG_SCHED_CLS, P(LDX(SZ_W, 0, 1, 0x7ff0), EXIT()),
	 BS_ERR_MEMORY, 0, "invalid bpf_context access off=32752 size=4"},
	/* malformed programs: refused before the first instruction */
	{"write to r10", BS_PROG_XDP, P(MOV64_IMM(10, 0), EXIT()), BS_ERR_INVALID, 0, "frame pointer is read only"},
	{"jump out of range", BS_PROG_XDP, P(JA(100), EXIT()), BS_ERR_INVALID, 0, NULL},
	{"jump backwards out of the program", BS_PROG_XDP, P(JA(-5), EXIT()),
	 BS_ERR_INVALID, 0, NULL},
	{"jump into the middle of a lddw", BS_PROG_XDP,
	 P(JA(1), LDDW(0, 0, 1), EXIT()), BS_ERR_INVALID, 0, NULL},
	{"unknown opcode", BS_PROG_XDP, P(INSN(0xff, 0, 0, 0, 0), EXIT()),
	 BS_ERR_INVALID, 0, NULL},
	{"reserved field set", BS_PROG_XDP, P(INSN(0xb7, 0, 3, 0, 1), EXIT()),
	 BS_ERR_INVALID, 0, NULL},
	{"reserved offset of an ALU op", BS_PROG_XDP, P(INSN(0x07, 0, 0, 1, 1), EXIT()),
	 BS_ERR_INVALID, 0, NULL},
	{"lddw cut in half at the end", BS_PROG_XDP, P(MOV64_IMM(0, 0), INSN(0x18, 0, 0, 0, 1)),
	 BS_ERR_INVALID, 1, NULL},
	{"no exit at the end", BS_PROG_XDP, P(MOV64_IMM(0, 0)), BS_ERR_INVALID, 0, NULL},
	{"unknown helper", BS_PROG_XDP, P(CALL_HELPER(100000), EXIT()), BS_ERR_HELPER, 0, NULL},
	{"call to a negative helper id", BS_PROG_XDP, P(CALL_HELPER(-1), EXIT()),
	 BS_ERR_HELPER, 0, NULL},
	/* runaway programs */
	{"infinite loop", BS_PROG_XDP, P(MOV64_IMM(0, 0), JA(-1), EXIT()),
	 BS_ERR_BUDGET, 1, "budget"},
	{"unbounded bpf-to-bpf recursion", BS_PROG_XDP, P(CALL_LOCAL(-1), EXIT()),
	 BS_ERR_CALL_DEPTH, 0, NULL},
	{"recursion through two functions", BS_PROG_XDP,
	 P(CALL_LOCAL(1), EXIT(), CALL_LOCAL(1), EXIT(), CALL_LOCAL(-3), EXIT()),
	 BS_ERR_CALL_DEPTH, 2, NULL},
	/* helpers handed host memory or absurd sizes */
	/* -ERANGE as in the kernel for an address below TASK_SIZE, with the
	 * destination zeroed: the program reads back 0 */
	{"probe_read_kernel of a host address", BS_PROG_KPROBE,
	 P(ST(SZ_DW, 10, -16, -1), MOV64_REG(1, 10), ALU64_IMM(0x00, 1, -16), MOV64_IMM(2, 16),
	   HOST(3), CALL_HELPER(113), MOV64_REG(6, 0), LDX(SZ_DW, 0, 10, -16), ALU64_REG(0x00, 0, 6),
	   EXIT()), BS_OK, 0, NULL, ERANGE_},
	{"probe_read_kernel_str of a host address", BS_PROG_KPROBE,
	 P(ST(SZ_DW, 10, -16, -1), MOV64_REG(1, 10), ALU64_IMM(0x00, 1, -16), MOV64_IMM(2, 16),
	   HOST(3), CALL_HELPER(115), MOV64_REG(6, 0), LDX(SZ_DW, 0, 10, -16), ALU64_REG(0x00, 0, 6),
	   EXIT()), BS_OK, 0, NULL, ERANGE_},
	{"probe_read with a huge size", BS_PROG_KPROBE,
	 P(MOV64_REG(1, 10), ALU64_IMM(0x00, 1, -16), LDDW(2, 0, 0xffffffffULL),
	   MOV64_REG(3, 10), ALU64_IMM(0x00, 3, -8), CALL_HELPER(113), EXIT()),
	 BS_ERR_MEMORY, 6, "invalid write of stack off=-16 size=4294967295"},
	{"probe_read into host memory", BS_PROG_KPROBE,
	 P(HOST(1), MOV64_IMM(2, 8), MOV64_REG(3, 10), ALU64_IMM(0x00, 3, -8),
	   CALL_HELPER(113), EXIT()), BS_ERR_MEMORY, 5, "invalid write"},
	{"skb_load_bytes with a huge length", BS_PROG_SCHED_CLS,
	 P(MOV64_IMM(2, 0), MOV64_REG(3, 10), ALU64_IMM(0x00, 3, -8), LDDW(4, 0, 0x7fffffffULL),
	   CALL_HELPER(26), EXIT()), BS_ERR_MEMORY, 5, "invalid write of stack off=-8 size=2147483647"},
	{"skb_load_bytes into host memory", BS_PROG_SCHED_CLS,
	 P(MOV64_IMM(2, 0), HOST(3), MOV64_IMM(4, 8), CALL_HELPER(26), EXIT()),
	 BS_ERR_MEMORY, 4, "invalid write"},
	{"ringbuf_reserve of 4 GiB - 1", BS_PROG_XDP,
	 P(LD_MAP(1, M_RB), LDDW(2, 0, 0xffffffffULL), MOV64_IMM(3, 0), CALL_HELPER(131),
	   EXIT()), BS_OK, 0, NULL, 0},
	{"map lookup with a host key pointer", BS_PROG_XDP,
	 P(LD_MAP(1, M_VALS), HOST(2), CALL_HELPER(1), EXIT()), BS_ERR_MEMORY, 4,
	 "bpf_map_lookup_elem: R2 (key, 4 bytes): invalid read"},
	{"map lookup with a host address as the map", BS_PROG_XDP,
	 P(HOST(1), MOV64_REG(2, 10), ALU64_IMM(0x00, 2, -8), ST(SZ_DW, 10, -8, 0),
	   CALL_HELPER(1), EXIT()), BS_ERR_HELPER, 5, NULL},
	{"trace_printk with a host format", BS_PROG_XDP,
	 P(HOST(1), MOV64_IMM(2, 8), CALL_HELPER(6), EXIT()), BS_ERR_MEMORY, 3,
	 "bpf_trace_printk: R1 (fmt, 8 bytes): invalid read"},
	{"trace_printk %s of a host string", BS_PROG_XDP,
	 P(ST(SZ_W, 10, -4, 0x7325), MOV64_REG(1, 10), ALU64_IMM(0x00, 1, -4), MOV64_IMM(2, 4),
	   HOST(3), CALL_HELPER(6), EXIT()), BS_OK, 0, NULL, 0},
};

struct outcome {
	int rc;
	struct bs_error err;
	struct bs_test_run tr;
	char trace[2048];
	size_t trace_len;
};

static void on_trace(void *user, const char *text)
{
	struct outcome *o = user;
	size_t n = strlen(text);
	if (o->trace_len + n < sizeof(o->trace)) {
		memcpy(o->trace + o->trace_len, text, n);
		o->trace_len += n;
	}
}

static struct bs_maps *make_maps(void)
{
	struct bs_maps *maps;
	struct bs_error err;
	const struct bs_map_def vals = {"vals", BS_MAP_ARRAY, 4, 8, 1, 0};
	const struct bs_map_def rb = {"rb", BS_MAP_RINGBUF, 0, 0, 4096, 0};
	assert_int_equal(bs_maps_new(&maps, 1, &err), 0);
	assert_int_equal(bs_maps_create(maps, &vals, NULL, &err), 0);
	assert_int_equal(bs_maps_create(maps, &rb, NULL, &err), 0);
	return maps;
}

static bool contains(const void *hay, size_t n, const char *needle)
{
	return hay && memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* Whether anything the program could leave behind holds the secret (or,
 * for the return value, its first 8 bytes or its address). */
static bool leaked(const struct outcome *o, struct bs_maps *maps)
{
	uint64_t first8;
	memcpy(&first8, secret, 8);
	if (contains(o->trace, o->trace_len, MARK) ||
	    contains(o->err.message, strlen(o->err.message), MARK) ||
	    contains(o->err.hint, strlen(o->err.hint), MARK) ||
	    contains(o->tr.data_out, o->tr.data_size_out, MARK) ||
	    contains(o->tr.ctx_out, o->tr.ctx_size_out, MARK))
		return true;
	if (!o->rc && (o->tr.retval == first8 || o->tr.retval == (uintptr_t)secret))
		return true;
	struct bs_map *vals = bs_maps_at(maps, M_VALS);
	uint32_t key = 0;
	uint64_t v = 0;
	return bs_map_lookup(vals, &key, &v) == 0 && v == first8;
}

static void run_case(const struct case_ *c, const struct engine *e, struct outcome *o,
		     struct bs_maps *maps)
{
	static const uint8_t pkt[64] = {[12] = 0x08, [14] = 0x45};
	struct bs_prog *prog = NULL;
	struct bs_env env;
	bs_env_default(&env);
	env.trace = on_trace;
	env.trace_user = o;
	memset(o, 0, sizeof(*o));
	static const uint8_t regs[168];  /* struct pt_regs */
	if (c->type == BS_PROG_KPROBE) {
		o->tr.ctx_in = regs;
		o->tr.ctx_size_in = sizeof(regs);
	} else {
		o->tr.data_in = pkt;
		o->tr.data_size_in = sizeof(pkt);
	}
	o->tr.budget = 100000;
	o->tr.dispatch = e->dispatch;
	o->tr.engine = e->engine;
	o->tr.env = &env;
	struct bs_insn insns[24];
	memcpy(insns, c->prog, c->n * sizeof(insns[0]));
	for (size_t pc = 0; pc + 1 < c->n; pc++) {
		uint64_t v = (uint32_t)insns[pc].imm | (uint64_t)(uint32_t)insns[pc + 1].imm << 32;
		if (insns[pc].code == 0x18 && v == HOST_PLACEHOLDER) {
			insns[pc].imm = (int32_t)(uint32_t)(uintptr_t)secret;
			insns[pc + 1].imm = (int32_t)(uint32_t)((uint64_t)(uintptr_t)secret >> 32);
		}
	}
	o->rc = bs_prog_new_raw(insns, c->n, c->type, c->desc, &prog, &o->err);
	if (!o->rc)
		o->rc = bs_test_run(prog, maps, &o->tr, &o->err);
	bs_prog_free(prog);
}

static void free_outcome(struct outcome *o)
{
	free(o->tr.data_out);
	free(o->tr.ctx_out);
	for (size_t i = 0; i < o->tr.nclones; i++)
		free(o->tr.clones[i].data);
	free(o->tr.clones);
}

static void test_cases(void **state)
{
	(void)state;
	int failures = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *c = &cases[i];
		for (size_t k = 0; k < NENGINES; k++) {
			const struct engine *e = &engines[k];
			if (e->jit && !bs_jit_available())
				continue;
			struct bs_maps *maps = make_maps();
			struct outcome o;
			run_case(c, e, &o, maps);
			bool ok = c->kind == BS_OK ? o.rc == 0 && o.tr.retval == c->retval
						   : o.rc != 0 && o.err.kind == c->kind &&
							     o.err.pc == c->pc && o.err.message[0] &&
							     (!c->msg || strstr(o.err.message, c->msg));
			if (!ok) {
				printf("FAIL [%s] %s: rc=%d kind=%s pc=%ld retval=%#llx msg='%s'\n",
				       e->name, c->desc, o.rc, bs_err_kind_name(o.err.kind), o.err.pc,
				       (unsigned long long)o.tr.retval, o.err.message);
				failures++;
			}
			if (leaked(&o, maps)) {
				printf("FAIL [%s] %s: the host secret reached the program's output\n",
				       e->name, c->desc);
				failures++;
			}
			free_outcome(&o);
			bs_maps_free(maps);
		}
	}
	assert_int_equal(failures, 0);
}

/* The leak check itself finds the secret wherever it is put. */
static void test_leak_check(void **state)
{
	(void)state;
	struct bs_maps *maps = make_maps();
	struct outcome o;
	memset(&o, 0, sizeof(o));
	assert_false(leaked(&o, maps));
	uint8_t buf[80] = {0};
	memcpy(buf + 9, secret, strlen(secret));
	o.tr.data_out = buf;
	o.tr.data_size_out = sizeof(buf);
	assert_true(leaked(&o, maps));
	o.tr.data_out = NULL;
	o.tr.data_size_out = 0;
	memcpy(&o.tr.retval, secret, 8);
	assert_true(leaked(&o, maps));
	o.tr.retval = 0;
	uint32_t key = 0;
	assert_int_equal(bs_map_update(bs_maps_at(maps, M_VALS), &key, secret, BS_ANY), 0);
	assert_true(leaked(&o, maps));
	bs_maps_free(maps);
}

/* The tail-call limit, in every engine: a program that tail-calls itself
 * runs 1 + 33 times, then the call falls through. */
static int self_tail(struct bs_vm *vm, uint64_t map, uint64_t index, uint32_t *prog,
		     struct bs_error *err, void *user)
{
	(void)vm, (void)map, (void)index, (void)err, (void)user;
	*prog = 0;
	return 1;
}

static void test_tail_call_loop(void **state)
{
	(void)state;
	const struct bs_insn prog[] = {
		LDX(SZ_DW, 2, 1, 0), ALU64_IMM(0x00, 2, 1), STX(SZ_DW, 1, 2, 0),
		MOV64_IMM(2, 0), MOV64_IMM(3, 0), CALL_HELPER(12), MOV64_IMM(0, 7), EXIT(),
	};
	for (size_t k = 0; k < NENGINES; k++) {
		const struct engine *e = &engines[k];
		if (e->jit && !bs_jit_available())
			continue;
		struct bs_vm *vm;
		struct bs_error err;
		struct bs_env env;
		struct bs_run_result res;
		uint64_t count = 0, args[5] = {0};
		bs_env_default(&env);
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(bs_helpers_register_env(vm, &env, &err), 0);
		bs_vm_set_engine(vm, e->engine);
		bs_vm_set_dispatch(vm, e->dispatch);
		bs_vm_set_tail_call(vm, self_tail, NULL);
		assert_int_equal(bs_vm_load(vm, prog, sizeof(prog) / 8, &err), 0);
		assert_int_equal(bs_vm_add_region(vm, "count", &count, 8, BS_REGION_RW, &args[0], &err),
				 0);
		int rc = bs_vm_run(vm, args, &res, &err);
		if (rc || count != 34 || res.retval != 7)
			printf("FAIL [%s]: rc=%d count=%llu retval=%llu %s\n", e->name, rc,
			       (unsigned long long)count, (unsigned long long)res.retval, err.message);
		assert_int_equal(rc, 0);
		assert_int_equal(count, 34);
		assert_int_equal(res.retval, 7);
		bs_vm_free(vm);
	}
}

/* Raw programs (run --raw): the memory given is the only memory there is,
 * in every engine, and the instruction budget holds in a tight loop of
 * helper calls as well as in plain jumps. */
static void test_raw_budget(void **state)
{
	(void)state;
	const struct bs_insn loop[] = {CALL_HELPER(5), JA(-2), EXIT()};
	for (size_t k = 0; k < NENGINES; k++) {
		const struct engine *e = &engines[k];
		if (e->jit && !bs_jit_available())
			continue;
		struct bs_vm *vm;
		struct bs_error err;
		struct bs_env env;
		struct bs_run_result res;
		bs_env_default(&env);
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		assert_int_equal(bs_helpers_register_env(vm, &env, &err), 0);
		bs_vm_set_engine(vm, e->engine);
		bs_vm_set_dispatch(vm, e->dispatch);
		bs_vm_set_budget(vm, 1001);
		assert_int_equal(bs_vm_load(vm, loop, 3, &err), 0);
		int rc = bs_vm_run(vm, NULL, &res, &err);
		/* the 1002nd instruction, the jump at pc 1, is the one refused */
		if (rc == 0 || err.kind != BS_ERR_BUDGET || err.pc != 1 || res.insns_executed != 1001)
			printf("FAIL [%s]: rc=%d kind=%s pc=%ld insns=%llu\n", e->name, rc,
			       bs_err_kind_name(err.kind), err.pc,
			       (unsigned long long)res.insns_executed);
		assert_int_not_equal(rc, 0);
		assert_int_equal(err.kind, BS_ERR_BUDGET);
		assert_int_equal(err.pc, 1);
		assert_int_equal(res.insns_executed, 1001);
		bs_vm_free(vm);
	}
}

/* Resource limits: the program size (the kernel's 1,000,000 instructions)
 * and the map memory of a set, each refused with its catalogued error
 * (docs/errors.md). */
static void test_program_size_limit(void **state)
{
	(void)state;
	size_t n = 1000001;
	struct bs_insn *prog = calloc(n, sizeof(*prog));
	assert_non_null(prog);
	for (size_t i = 0; i < n; i++)
		prog[i] = (struct bs_insn)EXIT();
	struct bs_vm *vm;
	struct bs_error err;
	assert_int_equal(bs_vm_new(&vm, &err), 0);
	assert_int_not_equal(bs_vm_load(vm, prog, n, &err), 0);
	assert_int_equal(err.kind, BS_ERR_INVALID);
	assert_non_null(strstr(err.message, "1000000"));
	/* the largest the kernel takes loads */
	assert_int_equal(bs_vm_load(vm, prog, n - 1, &err), 0);
	bs_vm_free(vm);
	/* and is checked in linear time: a million jumps (the check once
	 * scanned to the end of the subprogram for every instruction, minutes
	 * for this program) loads and runs in every engine */
	for (size_t i = 0; i + 1 < n - 1; i++)
		prog[i] = (struct bs_insn)JA(0);
	for (size_t k = 0; k < NENGINES; k++) {
		const struct engine *e = &engines[k];
		if (e->jit && !bs_jit_available())
			continue;
		struct bs_run_result res;
		assert_int_equal(bs_vm_new(&vm, &err), 0);
		bs_vm_set_engine(vm, e->engine);
		bs_vm_set_dispatch(vm, e->dispatch);
		bs_vm_set_budget(vm, 0);
		assert_int_equal(bs_vm_load(vm, prog, n - 1, &err), 0);
		assert_int_equal(bs_vm_run(vm, NULL, &res, &err), 0);
		assert_int_equal(res.insns_executed, n - 1);
		bs_vm_free(vm);
	}
	free(prog);
}

static void test_map_memory_limit(void **state)
{
	(void)state;
	struct bs_maps *maps;
	struct bs_map *map;
	struct bs_error err;
	const struct bs_map_def small = {"small", BS_MAP_ARRAY, 4, 8, 16, 0};
	const struct bs_map_def big = {"big", BS_MAP_ARRAY, 4, 64, 1024, 0};
	assert_int_equal(bs_maps_new(&maps, 1, &err), 0);
	/* out of range */
	assert_int_not_equal(bs_maps_set_memory_limit(maps, 0, &err), 0);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_int_not_equal(bs_maps_set_memory_limit(maps, (1ULL << 30) + 1, &err), 0);
	assert_int_equal(err.kind, BS_ERR_ARG);
	assert_int_equal(bs_maps_set_memory_limit(maps, 4096, &err), 0);
	assert_int_equal(bs_maps_create(maps, &small, &map, &err), 0);
	/* 64 KiB does not fit in 4 KiB, with 128 bytes in use */
	assert_int_equal(bs_maps_create(maps, &big, &map, &err), -12);
	assert_int_equal(err.kind, BS_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "map 'big'"));
	assert_non_null(strstr(err.message, "map memory limit"));
	assert_int_equal(bs_maps_count(maps), 1);
	/* below what the maps hold already: refused, the limit unchanged */
	assert_int_not_equal(bs_maps_set_memory_limit(maps, 100, &err), 0);
	assert_int_equal(err.kind, BS_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "over the map memory limit of 100 bytes"));
	assert_int_equal(bs_maps_create(maps, &small, &map, &err), 0);
	/* raised again, the big map fits */
	assert_int_equal(bs_maps_set_memory_limit(maps, 1 << 20, &err), 0);
	assert_int_equal(bs_maps_create(maps, &big, &map, &err), 0);
	bs_maps_free(maps);
}

/* The debugger's expressions (print, x, set, watch, break ... if) from a
 * hostile script: nesting and length past any real expression are refused
 * (they once overflowed the parser's stack). */
static void test_debugger_expressions(void **state)
{
	(void)state;
	const struct bs_insn insns[] = {MOV64_IMM(0, 2), EXIT()};
	struct bs_prog *prog;
	struct bs_dbg *d;
	struct bs_dbg_stop st;
	struct bs_error err;
	static const uint8_t pkt[64];
	assert_int_equal(bs_prog_new_raw(insns, 2, BS_PROG_XDP, NULL, &prog, &err), 0);
	struct bs_dbg_config cfg = {.prog = prog, .data_in = pkt, .data_size_in = sizeof(pkt)};
	assert_int_equal(bs_dbg_new(&cfg, &d, &err), 0);
	assert_int_equal(bs_dbg_start(d, &st, &err), 0);
	static const char *const shapes[][2] = {
		{"(", "1"}, {"-", "1"}, {"*(u8 *)", "$pkt"}, {"1+", "1"}, {"$r1=", "1"},
		{"1?", "1:1"},
	};
	size_t reps = 50000;
	char *text = malloc(reps * 8 + 16);
	assert_non_null(text);
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		size_t len = 0, unit = strlen(shapes[k][0]);
		for (size_t i = 0; i < reps; i++, len += unit)
			memcpy(text + len, shapes[k][0], unit);
		strcpy(text + len, shapes[k][1]);
		struct bs_dbg_value v;
		assert_int_not_equal(bs_dbg_eval(d, text, &v, &err), 0);
		assert_int_equal(err.kind, BS_ERR_PARSE);
		assert_true(strstr(err.message, "too deeply") || strstr(err.message, "too long"));
	}
	/* and an ordinary one still works */
	struct bs_dbg_value v;
	assert_int_equal(bs_dbg_eval(d, "((($r10 - 8) + 8) == $fp) * 3", &v, &err), 0);
	assert_int_equal(v.value, 3);
	free(text);
	bs_dbg_free(d);
	bs_prog_free(prog);
}

/* The inputs that once crashed a fuzz target (tests/fuzz/corpus/TARGET/
 * regress-*), run here too, so that a build without libFuzzer (and the
 * ASan and valgrind runs of this test) checks them. */
static char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*size = fread(buf, 1, (1 << 20) - 1, f);
	buf[*size] = 0;
	fclose(f);
	return buf;
}

static void test_fuzz_regressions(void **state)
{
	(void)state;
	glob_t g;
	size_t count = 0;
	if (glob(BS_SOURCE_DIR "/tests/fuzz/corpus/elf/regress-*", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++, count++) {
			size_t size;
			char *buf = slurp(g.gl_pathv[i], &size);
			struct bs_object *obj = NULL;
			struct bs_error err;
			if (bs_object_open_mem("regress.o", buf, size, &obj, &err) == 0) {
				for (size_t p = 0; p < bs_object_prog_count(obj); p++) {
					size_t n;
					const struct bs_insn *insns = bs_prog_insns(bs_object_prog(obj, p), &n);
					char line[256];
					for (size_t pc = 0; pc < n; pc++)
						bs_disasm(insns, n, pc, line, sizeof(line));
				}
				bs_object_close(obj);
			} else {
				assert_true(err.message[0] != 0);
			}
			free(buf);
		}
		globfree(&g);
	}
	if (glob(BS_SOURCE_DIR "/tests/fuzz/corpus/dbg_expr/regress-*", 0, NULL, &g) == 0) {
		const struct bs_insn insns[] = {MOV64_IMM(0, 2), EXIT()};
		struct bs_prog *prog;
		struct bs_dbg *d;
		struct bs_dbg_stop st;
		struct bs_error err;
		static const uint8_t pkt[64];
		assert_int_equal(bs_prog_new_raw(insns, 2, BS_PROG_XDP, NULL, &prog, &err), 0);
		struct bs_dbg_config cfg = {.prog = prog, .data_in = pkt, .data_size_in = sizeof(pkt)};
		assert_int_equal(bs_dbg_new(&cfg, &d, &err), 0);
		assert_int_equal(bs_dbg_start(d, &st, &err), 0);
		for (size_t i = 0; i < g.gl_pathc; i++, count++) {
			size_t size;
			char *buf = slurp(g.gl_pathv[i], &size);
			struct bs_dbg_value v;
			if (bs_dbg_eval(d, buf, &v, &err))
				assert_true(err.message[0] != 0);
			free(buf);
		}
		bs_dbg_free(d);
		bs_prog_free(prog);
		globfree(&g);
	}
	printf("fuzz regression inputs: %zu\n", count);
	assert_true(count >= 5);
}

static void plant_secret(void)
{
	void *p = mmap((void *)0x6a5e00000000ULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	memcpy(p, secret_static, sizeof(secret_static));
	secret = p;
}

int main(void)
{
	plant_secret();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_leak_check),
		cmocka_unit_test(test_tail_call_loop),
		cmocka_unit_test(test_raw_budget),
		cmocka_unit_test(test_program_size_limit),
		cmocka_unit_test(test_map_memory_limit),
		cmocka_unit_test(test_debugger_expressions),
		cmocka_unit_test(test_fuzz_regressions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
