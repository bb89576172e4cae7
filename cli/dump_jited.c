// SPDX-License-Identifier: MIT
/* `bpfstep dump ... jited`: the JIT's machine code disassembled by capstone,
 * each BPF instruction (and its source line) before the code made from it,
 * like `bpftool prog dump jited`. Built only where capstone is found. */
#include <stdio.h>
#include <string.h>

#include "cli/dump.h"

#ifdef BS_HAVE_CAPSTONE
#include <capstone/capstone.h>

/* Native instructions in [from, to) of code, at their offsets. */
static void print_native(csh h, const uint8_t *code, size_t from, size_t to, bool opcodes)
{
	cs_insn *insn;
	size_t count = cs_disasm(h, code + from, to - from, from, 0, &insn);
	for (size_t i = 0; i < count; i++) {
		printf("  %4llx:\t%s\t%s\n", (unsigned long long)insn[i].address, insn[i].mnemonic,
		       insn[i].op_str);
		if (opcodes) {
			printf("\t");
			for (size_t k = 0; k < insn[i].size; k++)
				printf("%s%02x", k ? " " : "", insn[i].bytes[k]);
			printf("\n");
		}
	}
	cs_free(insn, count);
}

int dump_jited(const uint8_t *code, size_t len, const uint32_t *offs,
	       const struct bs_insn *prog, size_t n, const struct bs_jit_loop *loops,
	       size_t nloops, void (*bpf_line)(size_t pc, void *user), void *user, bool opcodes,
	       struct bs_error *err)
{
	csh h;
#if defined(__aarch64__)
	if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) != CS_ERR_OK)
		return bs_error_set(err, BS_ERR_UNSUPPORTED, "capstone cannot disassemble arm64 here");
#else
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return bs_error_set(err, BS_ERR_UNSUPPORTED, "capstone cannot disassemble x86-64 here");
#endif
	printf("entry:\n");
	print_native(h, code, 0, offs[0], opcodes);
	/* lddw's second slot has no code of its own: its offset is the next
	 * instruction's */
	for (size_t pc = 0, next; pc < n; pc = next) {
		next = pc + bs_insn_slots(&prog[pc]);
		if (next > n)
			next = n;
		bpf_line(pc, user);
		print_native(h, code, offs[pc], offs[next], opcodes);
	}
	size_t rest = offs[n];
	for (size_t l = 0; l < nloops; l++) {
		const struct bs_jit_loop *L = &loops[l];
		printf("loop %u-%u without memory checks (taken when the check at %u passes):\n",
		       L->head, L->end, L->head);
		for (size_t pc = L->head, next; pc <= L->end; pc = next) {
			next = pc + bs_insn_slots(&prog[pc]);
			bpf_line(pc, user);
			print_native(h, code, L->offsets[pc - L->head],
				     next <= L->end ? L->offsets[next - L->head] : L->code_end, opcodes);
		}
		rest = L->code_end;
	}
	printf("exit and slow paths:\n");
	print_native(h, code, rest, len, opcodes);
	cs_close(&h);
	return 0;
}
#else
int dump_jited(const uint8_t *code, size_t len, const uint32_t *offs,
	       const struct bs_insn *prog, size_t n, const struct bs_jit_loop *loops,
	       size_t nloops, void (*bpf_line)(size_t pc, void *user), void *user, bool opcodes,
	       struct bs_error *err)
{
	(void)code; (void)len; (void)offs; (void)prog; (void)n; (void)loops; (void)nloops;
	(void)bpf_line; (void)user; (void)opcodes;
	bs_error_set(err, BS_ERR_UNSUPPORTED,
		     "this bpfstep was built without capstone, which 'dump jited' disassembles with");
	snprintf(err->hint, sizeof(err->hint),
		 "install libcapstone-dev (./setup.sh does) and rebuild");
	return -1;
}
#endif
