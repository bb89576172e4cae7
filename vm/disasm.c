// SPDX-License-Identifier: MIT
/* The disassembler: the kernel verifier's syntax (kernel/bpf/disasm.c) with
 * bpftool's names for map and subprogram references, driven by the form of
 * each table row. */
#include <stdio.h>

#include "bpfstep/isa.h"
#include "helpers/helper_names.h"
#include "vm/isa.h"

static int print_lddw(const struct bs_insn *insn, bool has_next, const struct bs_disasm_names *nm,
		      char *buf, size_t len)
{
	uint32_t hi = has_next ? (uint32_t)insn[1].imm : 0;
	uint64_t imm = ((uint64_t)hi << 32) | (uint32_t)insn->imm;
	const char *map = nm && nm->map && (insn->src_reg == BS_PSEUDO_MAP_FD ||
					     insn->src_reg == BS_PSEUDO_MAP_VALUE)
				  ? nm->map(nm->user, (uint32_t)insn->imm)
				  : NULL;
	if (map)
		return insn->src_reg == BS_PSEUDO_MAP_FD
			       ? snprintf(buf, len, "r%d = map[%s]", insn->dst_reg, map)
			       : snprintf(buf, len, "r%d = map[%s]+%u", insn->dst_reg, map, hi);
	switch (insn->src_reg) {
	case BS_PSEUDO_MAP_FD:
		return snprintf(buf, len, "r%d = map[id:%u]", insn->dst_reg, (uint32_t)insn->imm);
	case BS_PSEUDO_MAP_VALUE:
		return snprintf(buf, len, "r%d = map[id:%u][0]+%u", insn->dst_reg,
				(uint32_t)insn->imm, hi);
	case BS_PSEUDO_MAP_IDX_VALUE:
		return snprintf(buf, len, "r%d = map[idx:%u]+%u", insn->dst_reg,
				(uint32_t)insn->imm, hi);
	case BS_PSEUDO_FUNC:
		return snprintf(buf, len, "r%d = subprog[%+d]", insn->dst_reg, insn->imm);
	default:
		return snprintf(buf, len, "r%d = 0x%llx", insn->dst_reg, (unsigned long long)imm);
	}
}

static int print_call(const struct bs_insn *insn, size_t pc, const struct bs_disasm_names *nm,
		      char *buf, size_t len)
{
	if (insn->src_reg == BS_CALL_LOCAL) {
		const char *callee = nm && nm->func
					     ? nm->func(nm->user, pc + 1 + (size_t)(int64_t)insn->imm)
					     : NULL;
		return callee ? snprintf(buf, len, "call pc%+d#%s", insn->imm, callee)
			      : snprintf(buf, len, "call pc%+d", insn->imm);
	}
	if (insn->src_reg == BS_CALL_KFUNC)
		return snprintf(buf, len, "call kernel-function#%d", insn->imm);
	/* the kernel names helpers only for src_reg 0; anything else is "unknown" */
	const char *name = insn->src_reg == BS_CALL_HELPER ? hlp_name(insn->imm) : NULL;
	return snprintf(buf, len, "call %s#%d", name ? name : "unknown", insn->imm);
}

/* Encodings the table does not know (the verifier refuses them) still print
 * the way kernel/bpf/disasm.c prints them: by class and op nibble alone, NULL
 * names showing as glibc's "(null)". This keeps `dump` of a broken program
 * identical to the kernel's log. Written with the "(code) " prefix, as the
 * kernel does; BUG_ lines have none. */
static const char *const k_alu[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg",
				      "%=", "^=", "=", "s>>=", "endian", NULL, NULL};
static const char *const k_jmp[16] = {"jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call",
				      "exit", "<", "<=", "s<", "s<=", NULL, NULL};
static const char *const k_size[4] = {"u32", "u16", "u8", "u64"};
static const char *const k_ssize[4] = {"s32", "s16", "s8", NULL};

#define NN(s) ((s) ? (s) : "(null)")

static int fallback_alu(const struct bs_insn *i, char *buf, size_t len)
{
	bool is64 = (i->code & 7) == 7;
	char w = is64 ? 'r' : 'w';
	unsigned op = i->code >> 4;
	bool x = i->code & 0x08;
	if (op == 0xd)
		return is64 ? snprintf(buf, len, "(%02x) r%d = bswap%d r%d", i->code, i->dst_reg,
				       i->imm, i->dst_reg)
			    : snprintf(buf, len, "(%02x) r%d = %s%d r%d", i->code, i->dst_reg,
				       x ? "be" : "le", i->imm, i->dst_reg);
	if (op == 0x8)
		return snprintf(buf, len, "(%02x) %c%d = -%c%d", i->code, w, i->dst_reg, w, i->dst_reg);
	const char *sym = k_alu[op];
	if ((op == 0x3 || op == 0x9) && i->off == 1)
		sym = op == 0x3 ? "s/=" : "s%=";
	if (!x)
		return snprintf(buf, len, "(%02x) %c%d %s %d", i->code, w, i->dst_reg, NN(sym), i->imm);
	const char *sx = "";
	if (op == 0xb && (i->off == 8 || i->off == 16 || i->off == 32))
		sx = i->off == 8 ? "(s8)" : i->off == 16 ? "(s16)" : "(s32)";
	return snprintf(buf, len, "(%02x) %c%d %s %s%c%d", i->code, w, i->dst_reg, NN(sym), sx, w,
			i->src_reg);
}

static int fallback_stx(const struct bs_insn *i, char *buf, size_t len)
{
	const char *ty = k_size[(i->code >> 3) & 3];
	const char *bits = ((i->code >> 3) & 3) == 3 ? "64" : "";
	unsigned mode = i->code & 0xe0;
	int32_t imm = i->imm;
	if (mode == 0x60)
		return snprintf(buf, len, "(%02x) *(%s *)(r%d %+d) = r%d", i->code, ty, i->dst_reg,
				i->off, i->src_reg);
	if (mode != 0xc0)
		return snprintf(buf, len, "BUG_%02x", i->code);
	if (imm == 0x00 || imm == 0x50 || imm == 0x40 || imm == 0xa0)
		return snprintf(buf, len, "(%02x) lock *(%s *)(r%d %+d) %s r%d", i->code, ty,
				i->dst_reg, i->off, k_alu[imm >> 4], i->src_reg);
	if (imm == 0x01 || imm == 0x51 || imm == 0x41 || imm == 0xa1) {
		static const char *const names[16] = {[0x0] = "add", [0x4] = "or", [0x5] = "and",
						      [0xa] = "xor"};
		return snprintf(buf, len, "(%02x) r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)",
				i->code, i->src_reg, bits, names[imm >> 4], ty, i->dst_reg, i->off,
				i->src_reg);
	}
	if (imm == 0xf1)
		return snprintf(buf, len, "(%02x) r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)",
				i->code, bits, ty, i->dst_reg, i->off, i->src_reg);
	if (imm == 0xe1)
		return snprintf(buf, len, "(%02x) r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", i->code,
				i->src_reg, bits, ty, i->dst_reg, i->off, i->src_reg);
	if (imm == 0x100)
		return snprintf(buf, len, "(%02x) r%d = load_acquire((%s *)(r%d %+d))", i->code,
				i->dst_reg, ty, i->src_reg, i->off);
	if (imm == 0x110)
		return snprintf(buf, len, "(%02x) store_release((%s *)(r%d %+d), r%d)", i->code, ty,
				i->dst_reg, i->off, i->src_reg);
	return snprintf(buf, len, "BUG_%02x", i->code);
}

static int fallback_jmp(const struct bs_insn *prog, size_t pc, const struct bs_disasm_names *nm,
			char *buf, size_t len)
{
	const struct bs_insn *i = &prog[pc];
	bool j32 = (i->code & 7) == 6;
	char w = j32 ? 'w' : 'r';
	unsigned op = i->code >> 4;
	if (op == 0x8) {
		int k = snprintf(buf, len, "(%02x) ", i->code);
		size_t at = k > 0 && (size_t)k < len ? (size_t)k : len;
		return k + print_call(i, pc, nm, buf + at, len - at);
	}
	if (i->code == 0x05)
		return snprintf(buf, len, "(%02x) goto pc%+d", i->code, i->off);
	if (i->code == 0xe5 && i->src_reg == 0)
		return snprintf(buf, len, "(%02x) may_goto pc%+d", i->code, i->off);
	if (i->code == 0x06)
		return snprintf(buf, len, "(%02x) gotol pc%+d", i->code, i->imm);
	if (i->code == 0x95)
		return snprintf(buf, len, "(%02x) exit", i->code);
	if (i->code & 0x08)
		return snprintf(buf, len, "(%02x) if %c%d %s %c%d goto pc%+d", i->code, w, i->dst_reg,
				NN(k_jmp[op]), w, i->src_reg, i->off);
	return snprintf(buf, len, "(%02x) if %c%d %s 0x%x goto pc%+d", i->code, w, i->dst_reg,
			NN(k_jmp[op]), (uint32_t)i->imm, i->off);
}

static int print_fallback(const struct bs_insn *prog, size_t n, size_t pc,
			  const struct bs_disasm_names *nm, char *buf, size_t len)
{
	const struct bs_insn *i = &prog[pc];
	unsigned mode = i->code & 0xe0;
	const char *ty = k_size[(i->code >> 3) & 3];
	switch (i->code & 7) {
	case 0: /* LD */
		if (mode == 0x20)
			return snprintf(buf, len, "(%02x) r0 = *(%s *)skb[%d]", i->code, ty, i->imm);
		if (mode == 0x40)
			return snprintf(buf, len, "(%02x) r0 = *(%s *)skb[r%d + %d]", i->code, ty,
					i->src_reg, i->imm);
		if (i->code == 0x18) {
			int k = snprintf(buf, len, "(%02x) ", i->code);
			size_t at = k > 0 && (size_t)k < len ? (size_t)k : len;
			return k + print_lddw(i, pc + 1 < n, nm, buf + at, len - at);
		}
		return snprintf(buf, len, "BUG_ld_%02x", i->code);
	case 1: /* LDX */
		if (mode != 0x60 && mode != 0x80)
			return snprintf(buf, len, "BUG_ldx_%02x", i->code);
		return snprintf(buf, len, "(%02x) r%d = *(%s *)(r%d %+d)", i->code, i->dst_reg,
				mode == 0x60 ? ty : NN(k_ssize[(i->code >> 3) & 3]), i->src_reg, i->off);
	case 2: /* ST */
		if (mode == 0x60)
			return snprintf(buf, len, "(%02x) *(%s *)(r%d %+d) = %d", i->code, ty, i->dst_reg,
					i->off, i->imm);
		if (mode == 0xc0)
			return snprintf(buf, len, "(%02x) nospec", i->code);
		return snprintf(buf, len, "BUG_st_%02x", i->code);
	case 3:
		return fallback_stx(i, buf, len);
	case 4: case 7:
		return fallback_alu(i, buf, len);
	default:
		return fallback_jmp(prog, pc, nm, buf, len);
	}
}

#undef NN

/* A valid instruction, by its table row's form; no "(code) " prefix. */
static int print_row(const struct bs_insn *prog, size_t n, size_t pc, enum vm_op op,
		     const struct bs_disasm_names *nm, char *buf, size_t len)
{
	const struct bs_insn *i = &prog[pc];
	const struct vm_opinfo *r = &vm_ops[op];
	char w = (vm_op_is_alu32(op) || vm_op_is_jmp32(op)) ? 'w' : 'r';
	const char *bits = vm_size_bytes(r->code) == 8 ? "64" : "";
	/* loads and stores name their size through the table's sym */
	const char *ty = r->sym;
	if (r->form == F_ATOMIC || r->form == F_ATOMIC_FETCH || r->form == F_XCHG ||
	    r->form == F_CMPXCHG)
		ty = vm_size_bytes(r->code) == 8 ? "u64" : "u32";

	switch ((enum vm_form)r->form) {
	case F_ALU_K:
		return snprintf(buf, len, "%c%d %s %d", w, i->dst_reg, r->sym, i->imm);
	case F_ALU_X:
		return snprintf(buf, len, "%c%d %s %c%d", w, i->dst_reg, r->sym, w, i->src_reg);
	case F_NEG:
		return snprintf(buf, len, "%c%d = -%c%d", w, i->dst_reg, w, i->dst_reg);
	case F_MOVSX:
		return snprintf(buf, len, "%c%d = %s%c%d", w, i->dst_reg, r->sym, w, i->src_reg);
	case F_END:
		return snprintf(buf, len, "r%d = %s%d r%d", i->dst_reg, r->sym, i->imm, i->dst_reg);
	case F_LDX:
		return snprintf(buf, len, "r%d = *(%s *)(r%d %+d)", i->dst_reg, ty, i->src_reg,
				i->off);
	case F_ST:
		return snprintf(buf, len, "*(%s *)(r%d %+d) = %d", ty, i->dst_reg, i->off, i->imm);
	case F_STX:
		return snprintf(buf, len, "*(%s *)(r%d %+d) = r%d", ty, i->dst_reg, i->off,
				i->src_reg);
	case F_ATOMIC:
		return snprintf(buf, len, "lock *(%s *)(r%d %+d) %s r%d", ty, i->dst_reg, i->off,
				r->sym, i->src_reg);
	case F_ATOMIC_FETCH:
		return snprintf(buf, len, "r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)",
				i->src_reg, bits, r->sym, ty, i->dst_reg, i->off, i->src_reg);
	case F_XCHG:
		return snprintf(buf, len, "r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", i->src_reg,
				bits, ty, i->dst_reg, i->off, i->src_reg);
	case F_CMPXCHG:
		return snprintf(buf, len, "r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)", bits,
				ty, i->dst_reg, i->off, i->src_reg);
	case F_LOAD_ACQ:
		return snprintf(buf, len, "r%d = load_acquire((%s *)(r%d %+d))", i->dst_reg, ty,
				i->src_reg, i->off);
	case F_STORE_REL:
		return snprintf(buf, len, "store_release((%s *)(r%d %+d), r%d)", ty, i->dst_reg,
				i->off, i->src_reg);
	case F_LDDW:
		return print_lddw(i, pc + 1 < n, nm, buf, len);
	case F_LD_ABS:
		return snprintf(buf, len, "r0 = *(%s *)skb[%d]", ty, i->imm);
	case F_LD_IND:
		return snprintf(buf, len, "r0 = *(%s *)skb[r%d + %d]", ty, i->src_reg, i->imm);
	case F_JMP_K:
		return snprintf(buf, len, "if %c%d %s 0x%x goto pc%+d", w, i->dst_reg, r->sym,
				(uint32_t)i->imm, i->off);
	case F_JMP_X:
		return snprintf(buf, len, "if %c%d %s %c%d goto pc%+d", w, i->dst_reg, r->sym, w,
				i->src_reg, i->off);
	case F_JA:
		return snprintf(buf, len, "goto pc%+d", i->off);
	case F_GOTOL:
		return snprintf(buf, len, "gotol pc%+d", i->imm);
	case F_MAY_GOTO:
		return snprintf(buf, len, "may_goto pc%+d", i->off);
	case F_CALL:
	case F_CALL_LOCAL:
	case F_CALL_KFUNC:
		return print_call(i, pc, nm, buf, len);
	case F_EXIT:
		return snprintf(buf, len, "exit");
	case F_ADDR_SPACE_CAST:
		return snprintf(buf, len, "r%d = addr_space_cast(r%d, %u, %u)", i->dst_reg,
				i->src_reg, (uint32_t)i->imm >> 16, (uint16_t)i->imm);
	case F__COUNT:
		break;
	}
	return snprintf(buf, len, "BUG_form_%d", r->form);
}

/* The kernel's whole line for the instruction at pc: "(b7) r0 = 0". */
static int print_kernel_line(const struct bs_insn *prog, size_t n, size_t pc,
			     const struct bs_disasm_names *nm, char *buf, size_t len)
{
	enum vm_op op = vm_op_lookup(&prog[pc]);
	if (op == VM_OP_INVALID)
		return print_fallback(prog, n, pc, nm, buf, len);
	int k = snprintf(buf, len, "(%02x) ", prog[pc].code);
	size_t at = k > 0 && (size_t)k < len ? (size_t)k : len;
	return k + print_row(prog, n, pc, op, nm, buf + at, len - at);
}

int bs_disasm(const struct bs_insn *prog, size_t n, size_t pc, char *buf, size_t len)
{
	if (pc >= n)
		return snprintf(buf, len, "<pc %zu out of range>", pc);
	enum vm_op op = vm_op_lookup(&prog[pc]);
	if (op != VM_OP_INVALID)
		return print_row(prog, n, pc, op, NULL, buf, len);
	char tmp[192];
	print_fallback(prog, n, pc, NULL, tmp, sizeof(tmp));
	/* the fallback writes the kernel's "(xx) " prefix; this API omits it */
	return snprintf(buf, len, "%s", tmp[0] == '(' ? tmp + 5 : tmp);
}

int bs_disasm_line(const struct bs_insn *prog, size_t n, size_t pc, unsigned flags, char *buf,
		   size_t len)
{
	return bs_disasm_line_names(prog, n, pc, flags, NULL, buf, len);
}

int bs_disasm_line_names(const struct bs_insn *prog, size_t n, size_t pc, unsigned flags,
			 const struct bs_disasm_names *nm, char *buf, size_t len)
{
	char text[192];
	if (pc < n)
		print_kernel_line(prog, n, pc, nm, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "<pc %zu out of range>", pc);
	/* bpftool's "% 4d: ": a space leads even past 999 */
	int w = snprintf(buf, len, "% 4ld: %s", (long)pc, text);
	if (!(flags & BS_DISASM_OPCODES) || pc >= n || w < 0)
		return w;
	size_t slots = bs_insn_slots(&prog[pc]);
	if (pc + slots > n)
		slots = 1;
	const uint8_t *bytes = (const uint8_t *)&prog[pc];
	for (size_t b = 0; b < slots * 8; b++) {
		size_t at = (size_t)w < len ? (size_t)w : len;
		int k = snprintf(buf + at, len - at, "%s%02x", b == 0 ? "\n       " : " ", bytes[b]);
		if (k < 0)
			return k;
		w += k;
	}
	return w;
}
