// SPDX-License-Identifier: MIT
/* Runs every bpf_conformance vector (../shared/conformance/tests/ *.data)
 * through the interpreter, assembled by our own assembler, under both dispatch
 * modes, and through the JIT (checked and unchecked) where the host has one. Vectors whose expectation contradicts the Linux kernel are listed in
 * tests/conformance-exceptions.txt with the kernel's behaviour; such a vector
 * must still fail here (else the exception is stale and the run fails).
 *
 *   conformance VECTOR_DIR EXCEPTIONS_FILE [-v]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstep/bpfstep.h"

struct vector {
	char *asm_text;
	char *raw;
	char *mem;
	char *result;  /* last non-empty line of -- result */
	char *error;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = 0;
	fclose(f);
	return buf;
}

static void append(char **dst, const char *line)
{
	size_t old = *dst ? strlen(*dst) : 0, add = strlen(line);
	char *n = realloc(*dst, old + add + 2);
	if (!n)
		abort();
	memcpy(n + old, line, add);
	n[old + add] = '\n';
	n[old + add + 1] = 0;
	*dst = n;
}

static void set_last(char **dst, const char *line)
{
	free(*dst);
	*dst = strdup(line);
}

/* The .data format: '#' comments, "-- section" headers, sections accumulate. */
static void parse_vector(char *text, struct vector *v)
{
	memset(v, 0, sizeof(*v));
	char *section = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		size_t len = strlen(line);
		while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = 0;
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			continue;
		if (strncmp(s, "--", 2) == 0) {
			section = s + 2;
			while (*section == ' ')
				section++;
			continue;
		}
		if (!section)
			continue;
		if (strcmp(section, "asm") == 0)
			append(&v->asm_text, s);
		else if (strcmp(section, "raw") == 0)
			append(&v->raw, s);
		else if (strcmp(section, "mem") == 0)
			append(&v->mem, s);
		else if (strcmp(section, "result") == 0)
			set_last(&v->result, s);
		else if (strcmp(section, "error") == 0)
			set_last(&v->error, s);
	}
}

static void free_vector(struct vector *v)
{
	free(v->asm_text);
	free(v->raw);
	free(v->mem);
	free(v->result);
	free(v->error);
}

static int parse_raw(const char *text, struct bs_insn **prog, size_t *n)
{
	size_t cap = 16, cnt = 0;
	uint64_t *words = malloc(cap * 8);
	const char *p = text;
	while (words) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (!*p)
			break;
		char *end;
		uint64_t w = strtoull(p, &end, 0);
		if (end == p) {
			free(words);
			return -1;
		}
		if (cnt == cap)
			words = realloc(words, (cap *= 2) * 8);
		if (words)
			words[cnt++] = w;
		p = end;
	}
	*prog = (struct bs_insn *)words;
	*n = cnt;
	return words ? 0 : -1;
}

static int parse_mem(const char *text, uint8_t **mem, size_t *len)
{
	size_t cap = strlen(text) / 2 + 1, cnt = 0;
	uint8_t *b = malloc(cap);
	const char *p = text;
	while (b) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (!*p)
			break;
		char *end;
		unsigned long v = strtoul(p, &end, 16);
		if (end == p || v > 0xff) {
			free(b);
			return -1;
		}
		b[cnt++] = (uint8_t)v;
		p = end;
	}
	*mem = b;
	*len = cnt;
	return b ? 0 : -1;
}

/* Runs one vector; returns 0 if it passes, else fills why. */
static int run_vector(const char *path, char *why, size_t whylen)
{
	char *text = slurp(path);
	if (!text) {
		snprintf(why, whylen, "cannot read");
		return -1;
	}
	struct vector v;
	parse_vector(text, &v);
	struct bs_insn *prog = NULL;
	uint8_t *mem = NULL;
	size_t n = 0, mem_len = 0;
	struct bs_error err;
	int rc = -1;

	if (v.raw) {
		if (parse_raw(v.raw, &prog, &n)) {
			snprintf(why, whylen, "bad -- raw section");
			goto out;
		}
	} else if (!v.asm_text || bs_asm(v.asm_text, path, &prog, &n, &err)) {
		snprintf(why, whylen, "assembly failed: %s (line %d)", v.asm_text ? err.message : "no asm",
			 v.asm_text ? err.line : 0);
		goto out;
	}
	if (v.mem && parse_mem(v.mem, &mem, &mem_len)) {
		snprintf(why, whylen, "bad -- mem section");
		goto out;
	}
	uint64_t expect = v.result ? strtoull(v.result, NULL, strstr(v.result, "0x") ? 16 : 10) : 0;
	/* goto, switch, jit, jit unchecked */
	for (int d = 0; d < (bs_jit_available() ? 4 : 2); d++) {
		struct bs_vm *vm = NULL;
		struct bs_env env;
		struct bs_run_result res;
		uint64_t args[5] = {0};
		uint8_t *copy = mem_len ? malloc(mem_len) : NULL;
		if (copy)
			memcpy(copy, mem, mem_len);
		bs_env_default(&env);
		int r = bs_vm_new(&vm, &err);
		if (!r)
			r = bs_helpers_register_env(vm, &env, &err);
		if (!r) {
			bs_vm_set_dispatch(vm, d == 1 ? BS_DISPATCH_SWITCH : BS_DISPATCH_DEFAULT);
			bs_vm_set_engine(vm, d == 2 ? BS_ENGINE_JIT : d == 3 ? BS_ENGINE_JIT_UNCHECKED
								 : BS_ENGINE_INTERP);
			r = bs_vm_load(vm, prog, n, &err);
		}
		if (!r && copy)
			r = bs_vm_add_region(vm, "mem", copy, mem_len, BS_REGION_RW, &args[0], &err);
		args[1] = mem_len;
		if (!r)
			r = bs_vm_run(vm, args, &res, &err);
		bs_vm_free(vm);
		free(copy);
		static const char *const modes[] = {"goto", "switch", "jit", "jit-unchecked"};
		const char *mode = modes[d];
		if (v.error) {
			if (!r) {
				snprintf(why, whylen, "[%s] expected error '%s', got r0=0x%llx", mode, v.error,
					 (unsigned long long)res.retval);
				goto out;
			}
		} else if (r) {
			snprintf(why, whylen, "[%s] %s error at pc %ld: %s", mode,
				 bs_err_kind_name(err.kind), err.pc, err.message);
			goto out;
		} else if (res.retval != expect) {
			snprintf(why, whylen, "[%s] r0 = 0x%llx, expected 0x%llx", mode,
				 (unsigned long long)res.retval, (unsigned long long)expect);
			goto out;
		}
	}
	rc = 0;
out:
	free(prog);
	free(mem);
	free_vector(&v);
	free(text);
	return rc;
}

struct exception {
	char name[128];
	char expect[160];  /* what the failure must say */
	int seen;
};

static int load_exceptions(const char *path, struct exception **out, size_t *count)
{
	char *text = slurp(path);
	if (!text)
		return -1;
	size_t cap = 16, n = 0;
	struct exception *ex = calloc(cap, sizeof(*ex));
	for (char *line = strtok(text, "\n"); line && ex; line = strtok(NULL, "\n")) {
		while (*line == ' ')
			line++;
		if (!*line || *line == '#')
			continue;
		if (n == cap)
			ex = realloc(ex, (cap *= 2) * sizeof(*ex));
		if (!ex)
			break;
		/* NAME | expected message | reason */
		char *bar = strchr(line, '|');
		char *bar2 = bar ? strchr(bar + 1, '|') : NULL;
		if (!bar2)
			continue;
		*bar = *bar2 = 0;
		sscanf(line, "%127s", ex[n].name);
		char *e = bar + 1;
		while (*e == ' ')
			e++;
		size_t el = strlen(e);
		while (el && e[el - 1] == ' ')
			e[--el] = 0;
		snprintf(ex[n].expect, sizeof(ex[n].expect), "%s", e);
		ex[n++].seen = 0;
	}
	free(text);
	*out = ex;
	*count = n;
	return ex ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s VECTOR_DIR EXCEPTIONS_FILE [-v]\n", argv[0]);
		return 2;
	}
	bool verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
	struct exception *ex = NULL;
	size_t nex = 0;
	if (load_exceptions(argv[2], &ex, &nex)) {
		fprintf(stderr, "cannot read exceptions file %s\n", argv[2]);
		return 2;
	}
	DIR *dir = opendir(argv[1]);
	if (!dir) {
		fprintf(stderr, "cannot open vector directory %s\n", argv[1]);
		free(ex);
		return 2;
	}
	char **names = NULL;
	size_t nnames = 0;
	for (struct dirent *de; (de = readdir(dir));) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".data") == 0) {
			names = realloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = strdup(de->d_name);
		}
	}
	closedir(dir);
	qsort(names, nnames, sizeof(*names), cmp_str);

	size_t passed = 0, excepted = 0, failed = 0;
	for (size_t i = 0; i < nnames; i++) {
		char path[4096], why[512] = "";
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		char base[128];
		snprintf(base, sizeof(base), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
		struct exception *e = NULL;
		for (size_t k = 0; k < nex; k++)
			if (strcmp(ex[k].name, base) == 0)
				e = &ex[k];
		int rc = run_vector(path, why, sizeof(why));
		if (e) {
			e->seen = 1;
			if (rc && strstr(why, e->expect)) {
				excepted++;
				if (verbose)
					printf("EXCEPTION %s: %s\n", base, why);
			} else if (rc) {
				failed++;
				printf("FAIL %s: listed as an exception for '%s', but fails with: %s\n", base,
				       e->expect, why);
			} else {
				failed++;
				printf("FAIL %s: listed as an exception but passes; remove it from the list\n",
				       base);
			}
		} else if (rc) {
			failed++;
			printf("FAIL %s: %s\n", base, why);
		} else {
			passed++;
			if (verbose)
				printf("ok %s\n", base);
		}
		free(names[i]);
	}
	for (size_t k = 0; k < nex; k++)
		if (!ex[k].seen) {
			failed++;
			printf("FAIL %s: listed as an exception but no such vector exists\n", ex[k].name);
		}
	free(names);
	free(ex);
	printf("conformance: %zu vectors: %zu passed, %zu exceptions (kernel behaviour differs), "
	       "%zu failed\n",
	       nnames, passed, excepted, failed);
	printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, excepted);
	return failed || nnames == 0 ? 1 : 0;
}
