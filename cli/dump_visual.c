// SPDX-License-Identifier: MIT
/* `dump ... visual`: the control-flow graph as graphviz dot, one cluster per
 * function, in the shape `bpftool prog dump xlated visual` draws. */
#include <stdlib.h>
#include <string.h>

#include "cli/dump.h"

/* Where control can go after the instruction at pc: its jump target (or -1)
 * and whether it falls through. */
static void succ(const struct bs_insn *i, size_t pc, long *target, bool *falls)
{
	unsigned cls = i->code & 7, op = i->code & 0xf0;
	*target = -1;
	*falls = true;
	if (cls != 5 && cls != 6)
		return;
	if (op == 0x90) { /* exit */
		*falls = false;
		return;
	}
	if (op == 0x80) /* calls return */
		return;
	*target = (long)pc + 1 + (i->code == 0x06 ? i->imm : i->off);
	if (op == 0x00) /* ja, gotol */
		*falls = false;
}

/* dot wants '"', '\\', '{', '}', '<', '>' and '|' escaped inside a record label */
static void put_escaped(const char *s)
{
	for (; *s; s++) {
		if (strchr("\"\\{}<>|", *s))
			putchar('\\');
		putchar(*s);
	}
}

static void cluster(const struct bs_insn *prog, size_t lo, size_t hi, size_t fn, const char *name,
		    const struct bs_disasm_names *names)
{
	/* block leaders: the function start, jump targets, and what follows a jump */
	uint8_t *leader = calloc(hi - lo + 1, 1);
	if (!leader)
		return;
	leader[0] = 1;
	for (size_t pc = lo; pc < hi; pc += bs_insn_slots(&prog[pc])) {
		long t;
		bool falls;
		succ(&prog[pc], pc, &t, &falls);
		size_t next = pc + bs_insn_slots(&prog[pc]);
		if (t >= (long)lo && t < (long)hi)
			leader[t - (long)lo] = 1;
		if ((t >= 0 || !falls) && next < hi)
			leader[next - lo] = 1;
	}
	printf("subgraph \"cluster_%zu\" {\n\tstyle=\"dashed\";\n\tcolor=\"black\";\n"
	       "\tlabel=\"func_%zu (%s)\";\n",
	       fn, fn, name);
	printf("\tfn_%zu_entry [shape=Mdiamond,style=filled,label=\"ENTRY\"];\n", fn);
	printf("\tfn_%zu_exit [shape=Mdiamond,style=filled,label=\"EXIT\"];\n", fn);
	printf("\tfn_%zu_entry:s -> fn_%zu_bb_%zu:n [style=\"solid,bold\", color=black, weight=10];\n",
	       fn, fn, lo);
	char line[512];
	for (size_t pc = lo; pc < hi;) {
		size_t start = pc, last = pc;
		printf("\tfn_%zu_bb_%zu [shape=record,style=filled,label=\"{", fn, start);
		do {
			bs_disasm_line_names(prog, hi, pc, 0, names, line, sizeof(line));
			printf("%s", pc == start ? "" : " | ");
			put_escaped(line);
			printf("\\l");
			last = pc;
			pc += bs_insn_slots(&prog[pc]);
		} while (pc < hi && !leader[pc - lo]);
		printf("}\"];\n");
		long t;
		bool falls;
		succ(&prog[last], last, &t, &falls);
		if (falls && pc < hi)
			printf("\tfn_%zu_bb_%zu:s -> fn_%zu_bb_%zu:n [style=\"solid,bold\", color=black, "
			       "weight=10];\n", fn, start, fn, pc);
		if (t >= (long)lo && t < (long)hi)
			printf("\tfn_%zu_bb_%zu:s -> fn_%zu_bb_%ld:n [style=\"solid,bold\", "
			       "color=\"#0000ff\", weight=10];\n", fn, start, fn, t);
		if (!falls && t < 0)
			printf("\tfn_%zu_bb_%zu:s -> fn_%zu_exit:n [style=\"solid,bold\", color=black, "
			       "weight=10];\n", fn, start, fn);
	}
	printf("}\n");
	free(leader);
}

void dump_visual(const struct bs_insn *prog, size_t n, const struct bs_func *funcs, size_t nfuncs,
		 const struct bs_disasm_names *names)
{
	printf("digraph \"DOT graph for eBPF program\" {\n");
	if (nfuncs == 0) {
		cluster(prog, 0, n, 0, "main", names);
	} else {
		for (size_t f = 0; f < nfuncs; f++)
			cluster(prog, funcs[f].start, f + 1 < nfuncs ? funcs[f + 1].start : n, f,
				funcs[f].name, names);
	}
	printf("}\n");
}
