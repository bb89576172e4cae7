// SPDX-License-Identifier: MIT
/* bpfstep's own REPL commands: packet (hexdump and header decode, with the
 * bytes the program read and wrote), trace (bpf_trace_printk output) and explain
 * (the current instruction in one sentence with its operand values). */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/isa.h"
#include "debugger/repl_cmds.h"

/* ---- the packet ---- */

static void decode(struct repl *r, const uint8_t *p, size_t n)
{
	size_t off = 0;
	if (n < 14)
		return;
	fprintf(r->out, "Ethernet  %02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x",
		p[6], p[7], p[8], p[9], p[10], p[11], p[0], p[1], p[2], p[3], p[4], p[5]);
	uint16_t type = (uint16_t)(p[12] << 8 | p[13]);
	off = 14;
	while ((type == 0x8100 || type == 0x88a8) && off + 4 <= n) {
		fprintf(r->out, ", VLAN %u", (unsigned)((p[off] << 8 | p[off + 1]) & 0xfff));
		type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += 4;
	}
	fprintf(r->out, ", type 0x%04x (bytes 0-%zu)\n", type, off - 1);
	unsigned proto = 256;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	if (type == 0x0800 && off + 20 <= n) {
		const uint8_t *ip = p + off;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		inet_ntop(AF_INET, ip + 12, a, sizeof(a));
		inet_ntop(AF_INET, ip + 16, b, sizeof(b));
		proto = ip[9];
		fprintf(r->out, "IPv4      %s > %s, proto %u, ttl %u, len %u (bytes %zu-%zu)\n", a, b,
			proto, ip[8], (unsigned)(ip[2] << 8 | ip[3]), off, off + ihl - 1);
		off += ihl < 20 ? 20 : ihl;
	} else if (type == 0x86dd && off + 40 <= n) {
		const uint8_t *ip = p + off;
		inet_ntop(AF_INET6, ip + 8, a, sizeof(a));
		inet_ntop(AF_INET6, ip + 24, b, sizeof(b));
		proto = ip[6];
		fprintf(r->out, "IPv6      %s > %s, next header %u, hop limit %u (bytes %zu-%zu)\n", a,
			b, proto, ip[7], off, off + 39);
		off += 40;
	} else if (type == 0x0806) {
		fprintf(r->out, "ARP\n");
		return;
	} else {
		return;
	}
	const uint8_t *l4 = p + off;
	if (proto == 6 && off + 20 <= n) {
		static const char flags[] = "FSRPAU";
		char f[8] = "";
		for (int i = 0, k = 0; i < 6; i++)
			if (l4[13] & (1 << i))
				f[k++] = flags[i];
		fprintf(r->out, "TCP       port %u > %u, flags [%s], seq %u (bytes %zu-%zu)\n",
			(unsigned)(l4[0] << 8 | l4[1]), (unsigned)(l4[2] << 8 | l4[3]), f,
			(unsigned)((uint32_t)l4[4] << 24 | l4[5] << 16 | l4[6] << 8 | l4[7]), off,
			off + (size_t)(l4[12] >> 4) * 4 - 1);
	} else if (proto == 17 && off + 8 <= n) {
		fprintf(r->out, "UDP       port %u > %u, len %u (bytes %zu-%zu)\n",
			(unsigned)(l4[0] << 8 | l4[1]), (unsigned)(l4[2] << 8 | l4[3]),
			(unsigned)(l4[4] << 8 | l4[5]), off, off + 7);
	} else if ((proto == 1 || proto == 58) && off + 4 <= n) {
		fprintf(r->out, "ICMP%s    type %u, code %u (bytes %zu-%zu)\n", proto == 58 ? "v6" : "  ",
			l4[0], l4[1], off, off + 3);
	}
}

int cmd_packet(struct repl *r, const char *args)
{
	(void)args;
	if (!repl_need_stopped(r))
		return -1;
	uint64_t data, end;
	if (bs_dbg_packet(r->d, &data, &end)) {
		repl_error(r, "This program has no packet.");
		return -1;
	}
	size_t n = (size_t)(end - data);
	uint8_t *p = malloc(n ? n : 1);
	struct bs_error err;
	if (!p || bs_dbg_read(r->d, data, p, n, &err)) {
		free(p);
		repl_error(r, "cannot read the packet");
		return -1;
	}
	/* which bytes the program read and wrote: counted from the first
	 * `packet` on (a re-run to here counts what came before) */
	uint8_t *marks = calloc(n ? n : 1, 1);
	bool marked = marks && bs_dbg_packet_track(r->d, true, &err) == 0 &&
		      bs_dbg_packet_marks(r->d, marks, n) == 0;
	static const char mark_char[4] = {' ', 'r', 'w', 'b'};
	static const char *const mark_colour[4] = {"", "\033[32m", "\033[31m", "\033[33m"};
	fprintf(r->out, "Packet: %zu bytes at 0x%" PRIx64 " (pkt .. pkt_end)\n", n, data);
	for (size_t i = 0; i < n; i += 16) {
		bool any = false;
		fprintf(r->out, "%04zx: ", i);
		for (size_t k = 0; k < 16; k++) {
			unsigned m = i + k < n && marked ? marks[i + k] & 3 : 0;
			any |= m != 0;
			if (i + k < n && m && r->tty)
				fprintf(r->out, "%s%02x\033[0m ", mark_colour[m], p[i + k]);
			else if (i + k < n)
				fprintf(r->out, "%02x ", p[i + k]);
			else
				fputs("   ", r->out);
			if (k == 7)
				fputc(' ', r->out);
		}
		fputs(" |", r->out);
		for (size_t k = 0; k < 16 && i + k < n; k++)
			fputc(isprint(p[i + k]) ? p[i + k] : '.', r->out);
		fputs("|\n", r->out);
		if (!any || r->tty)
			continue;
		/* a marker under each byte the program touched */
		char row[64];
		size_t at = 0;
		for (size_t k = 0; k < 16; k++) {
			char c = i + k < n ? mark_char[marks[i + k] & 3] : ' ';
			row[at++] = c;
			row[at++] = c;
			row[at++] = ' ';
			if (k == 7)
				row[at++] = ' ';
		}
		while (at && row[at - 1] == ' ')
			at--;
		fprintf(r->out, "      %.*s\n", (int)at, row);
	}
	if (marked) {
		size_t nr = 0, nw = 0;
		for (size_t i = 0; i < n; i++) {
			nr += (marks[i] & BS_REGION_READ) != 0;
			nw += (marks[i] & BS_REGION_WRITE) != 0;
		}
		if (r->tty)
			fprintf(r->out, "So far the program read %zu and wrote %zu of these bytes: "
				"\033[32mread\033[0m \033[31mwritten\033[0m \033[33mboth\033[0m\n",
				nr, nw);
		else
			fprintf(r->out, "So far the program read %zu and wrote %zu of these bytes: "
				"rr read, ww written, bb both\n", nr, nw);
	}
	free(marks);
	decode(r, p, n);
	free(p);
	return 0;
}

int cmd_trace(struct repl *r, const char *args)
{
	(void)args;
	size_t n = bs_dbg_trace_count(r->d);
	if (!n)
		fprintf(r->out, "No bpf_trace_printk output so far.\n");
	for (size_t i = 0; i < n; i++)
		fprintf(r->out, "%s\n", bs_dbg_trace_line(r->d, i));
	return 0;
}

/* ---- explain ---- */

static const char *const alu_names[16] = {
	"ADD", "SUB", "MUL", "DIV", "OR", "AND", "LSH", "RSH", "NEG", "MOD", "XOR", "MOV", "ARSH",
	"END", "", "",
};
static const char alu_ops[16][4] = {"+", "-", "*", "/", "|", "&", "<<", ">>", "", "%", "^", "",
				    ">>", "", "", ""};

static void explain_alu(struct repl *r, const struct bs_insn *in, const uint64_t *regs)
{
	bool is64 = (in->code & 7) == 7;
	unsigned op = in->code >> 4;
	bool x = in->code & 8;
	uint64_t a = regs[in->dst_reg], b = x ? regs[in->src_reg] : (uint64_t)(int64_t)in->imm;
	if (!is64) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	unsigned bits = is64 ? 64 : 32;
	uint64_t res = 0;
	bool known = true;
	switch (op) {
	case 0: res = a + b; break;
	case 1: res = a - b; break;
	case 2: res = a * b; break;
	case 3: res = b ? a / b : 0; break;
	case 4: res = a | b; break;
	case 5: res = a & b; break;
	case 6: res = a << (b & (bits - 1)); break;
	case 7: res = a >> (b & (bits - 1)); break;
	case 8: res = (uint64_t)0 - a; break;
	case 9: res = b ? a % b : a; break;
	case 10: res = a ^ b; break;
	case 11: res = b; break;
	case 12:
		res = is64 ? (uint64_t)((int64_t)a >> (b & 63))
			   : (uint32_t)((int32_t)(uint32_t)a >> (b & 31));
		break;
	default: known = false; break;
	}
	if (!is64)
		res = (uint32_t)res;
	fprintf(r->out, "%u-bit %s", bits, alu_names[op]);
	if (known && op != 8 && op != 11)
		fprintf(r->out, ", 0x%" PRIx64 " %s 0x%" PRIx64 " = 0x%" PRIx64, a, alu_ops[op], b, res);
	else if (known)
		fprintf(r->out, ", r%u becomes 0x%" PRIx64, in->dst_reg, res);
	if (known && (op == 3 || op == 9) && b == 0)
		fprintf(r->out, " (division by zero: %s)", op == 3 ? "the result is 0"
								  : "the destination keeps its value");
	if (!is64)
		fprintf(r->out, ", upper 32 bits of r%u cleared", in->dst_reg);
}

static const char *const jmp_words[16] = {
	"always", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=",
	"", "",
};

static bool jmp_taken(unsigned op, uint64_t a, uint64_t b, bool is32)
{
	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	int64_t sa = is32 ? (int32_t)a : (int64_t)a, sb = is32 ? (int32_t)b : (int64_t)b;
	switch (op) {
	case 0: return true;
	case 1: return a == b;
	case 2: return a > b;
	case 3: return a >= b;
	case 4: return (a & b) != 0;
	case 5: return a != b;
	case 6: return sa > sb;
	case 7: return sa >= sb;
	case 10: return a < b;
	case 11: return a <= b;
	case 12: return sa < sb;
	case 13: return sa <= sb;
	default: return false;
	}
}

int cmd_explain(struct repl *r, const char *args)
{
	(void)args;
	if (!repl_need_stopped(r))
		return -1;
	const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
	size_t n;
	const struct bs_insn *insns = bs_prog_insns(bs_dbg_prog(r->d), &n);
	if (st->prog != 0 || st->pc >= n) {
		repl_error(r, "No instruction to explain here.");
		return -1;
	}
	const struct bs_insn *in = &insns[st->pc];
	const uint64_t *regs = bs_vm_regs(bs_dbg_vm(r->d));
	char text[256];
	repl_insn_text(r, st->pc, text, sizeof(text));
	const char *t = strchr(text, ')');
	t = t ? t + 2 : text;
	fprintf(r->out, "%s: ", t);
	unsigned cls = in->code & 7, op = in->code >> 4;
	static const unsigned sizes[4] = {4, 2, 1, 8};
	unsigned size = sizes[(in->code >> 3) & 3];
	char kind[96];
	switch (cls) {
	case 4:
	case 7:
		explain_alu(r, in, regs);
		break;
	case 5:
	case 6:
		if (op == 8) {
			if (in->src_reg == 1) {
				size_t target = st->pc + 1 + (size_t)(int64_t)in->imm;
				fprintf(r->out, "calls %s (insn %zu) in a new 512-byte frame; r1-r5 are its "
					"arguments, r6-r9 survive", repl_func_name(r, target), target);
			} else {
				const char *h = bs_helper_name(in->imm);
				fprintf(r->out, "calls helper %s#%d(", h ? h : "unknown", in->imm);
				for (int i = 1; i <= 5; i++) {
					bs_dbg_kind(r->d, regs[i], kind, sizeof(kind));
					fprintf(r->out, "%sr%d=0x%" PRIx64 "%s%s%s", i > 1 ? ", " : "", i,
						regs[i], kind[0] ? " <" : "", kind, kind[0] ? ">" : "");
				}
				fprintf(r->out, "); r0 gets its result, r1-r5 are clobbered");
			}
		} else if (op == 9) {
			fprintf(r->out, "returns r0 = %" PRIu64 " %s", regs[0],
				st->depth ? "to the caller, restoring its r6-r9 and r10"
					  : "from the program: its return value");
		} else {
			bool is32 = cls == 6;
			uint64_t a = regs[in->dst_reg];
			uint64_t b = in->code & 8 ? regs[in->src_reg] : (uint64_t)(int64_t)in->imm;
			bool taken = jmp_taken(op, a, b, is32);
			size_t target = st->pc + 1 + (size_t)(int64_t)(cls == 6 && op == 0 ? in->imm : in->off);
			if (op == 0)
				fprintf(r->out, "jumps to insn %zu", target);
			else
				fprintf(r->out, "%s compare, 0x%" PRIx64 " %s 0x%" PRIx64 " is %s: %s insn %zu",
					is32 ? "32-bit" : "64-bit", is32 ? (uint32_t)a : a, jmp_words[op],
					is32 ? (uint32_t)b : b, taken ? "true" : "false",
					taken ? "jumps to" : "falls through to",
					taken ? target : st->pc + 1);
		}
		break;
	case 1: {
		uint64_t addr = regs[in->src_reg] + (uint64_t)(int64_t)in->off, v = 0;
		struct bs_error err;
		bs_dbg_kind(r->d, addr, kind, sizeof(kind));
		fprintf(r->out, "loads %u byte%s from 0x%" PRIx64 " <%s>", size, size > 1 ? "s" : "",
			addr, kind[0] ? kind : "no region");
		if (bs_dbg_read(r->d, addr, &v, size, &err) == 0)
			fprintf(r->out, " = 0x%" PRIx64 " into r%u", v, in->dst_reg);
		else
			fprintf(r->out, ": this access faults (%s)", err.message);
		break;
	}
	case 2:
	case 3: {
		uint64_t addr = regs[in->dst_reg] + (uint64_t)(int64_t)in->off;
		uint64_t v = cls == 3 ? regs[in->src_reg] : (uint64_t)(int64_t)in->imm;
		bs_dbg_kind(r->d, addr, kind, sizeof(kind));
		if ((in->code & 0xe0) == 0xc0)
			fprintf(r->out, "atomic operation on %u bytes at 0x%" PRIx64 " <%s> with 0x%" PRIx64,
				size, addr, kind[0] ? kind : "no region", v);
		else
			fprintf(r->out, "stores %u byte%s of 0x%" PRIx64 " at 0x%" PRIx64 " <%s>", size,
				size > 1 ? "s" : "", size < 8 ? v & (((uint64_t)1 << (size * 8)) - 1) : v, addr,
				kind[0] ? kind : "no region");
		break;
	}
	case 0:
		if (in->code == 0x18 && st->pc + 1 < n) {
			uint64_t v = (uint32_t)in->imm | (uint64_t)(uint32_t)insns[st->pc + 1].imm << 32;
			if (in->src_reg)
				fprintf(r->out, "loads a 64-bit reference (pseudo source %u) into r%u",
					in->src_reg, in->dst_reg);
			else
				fprintf(r->out, "loads the 64-bit constant 0x%" PRIx64 " into r%u", v,
					in->dst_reg);
		} else {
			fprintf(r->out, "legacy packet load (LD_ABS/LD_IND) into r0, network byte order");
		}
		break;
	}
	fputc('\n', r->out);
	return 0;
}
