// SPDX-License-Identifier: MIT
/* The REPL's loop: reading lines (readline with history and completion, or
 * a script), finding the command by name, alias or unique prefix, Enter
 * repeating the last step command, and Ctrl-C stopping a running program. */
#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "debugger/repl.h"

const char *repl_skip(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

bool repl_word(const char **s, char *buf, size_t len)
{
	const char *p = repl_skip(*s);
	size_t n = 0;
	while (p[n] && !isspace((unsigned char)p[n]))
		n++;
	if (!n)
		return false;
	snprintf(buf, len, "%.*s", (int)n, p);
	*s = repl_skip(p + n);
	return true;
}

static bool has_alias(const struct repl_cmd *c, const char *word)
{
	if (!c->aliases)
		return false;
	size_t n = strlen(word);
	for (const char *a = c->aliases; *a;) {
		size_t k = strcspn(a, " ");
		if (k == n && strncmp(a, word, n) == 0)
			return true;
		a += k;
		while (*a == ' ')
			a++;
	}
	return false;
}

/* By exact name, alias, then unique prefix (gdb's rule). */
static const struct repl_cmd *find_cmd(struct repl *r, const char *word, bool quiet)
{
	for (size_t i = 0; i < repl_ncmds; i++)
		if (strcmp(repl_cmds[i].name, word) == 0 || has_alias(&repl_cmds[i], word))
			return &repl_cmds[i];
	const struct repl_cmd *hit = NULL;
	int n = 0;
	size_t len = strlen(word);
	char names[512] = "";
	for (size_t i = 0; i < repl_ncmds; i++)
		if (strncmp(repl_cmds[i].name, word, len) == 0) {
			hit = &repl_cmds[i];
			if (n++ < 8) {
				size_t used = strlen(names);
				snprintf(names + used, sizeof(names) - used, "%s%s", n > 1 ? ", " : "",
					 repl_cmds[i].name);
			}
		}
	if (n == 1)
		return hit;
	if (!quiet) {
		if (n > 1)
			repl_error(r, "Ambiguous command \"%s\": %s.", word, names);
		else
			repl_error(r, "Undefined command: \"%s\".  Try \"help\".", word);
	}
	return NULL;
}

const struct repl_cmd *repl_find(struct repl *r, const char *word)
{
	return find_cmd(r, word, true);
}

static char last_cmd[1024];

int repl_exec(struct repl *r, const char *line)
{
	const char *s = repl_skip(line);
	if (!*s || *s == '#')
		return 0;
	char word[64];
	size_t n = 0;
	/* "x/4xb" and "p/x": the command ends at '/' too */
	while (s[n] && !isspace((unsigned char)s[n]) && (s[n] != '/' || n == 0) && n < 63)
		n++;
	memcpy(word, s, n);
	word[n] = 0;
	const struct repl_cmd *c = find_cmd(r, word, false);
	if (!c) {
		r->failed = true;
		return -1;
	}
	if (c->repeats)
		snprintf(last_cmd, sizeof(last_cmd), "%s", s);
	else
		last_cmd[0] = 0;
	int rc = c->fn(r, repl_skip(s + n));
	if (rc)
		r->failed = true;
	fflush(r->out);
	return rc;
}

/* ---- Ctrl-C ---- */

static struct bs_dbg *sigint_dbg;

static void on_sigint(int sig)
{
	(void)sig;
	if (sigint_dbg)
		bs_dbg_interrupt(sigint_dbg);
}

static void catch_sigint(struct repl *r)
{
	sigint_dbg = r->d;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/* ---- completion ---- */

static struct repl *comp_repl;
static char **comp_words;
static size_t comp_n;

static void comp_add(const char *w)
{
	char **more = realloc(comp_words, (comp_n + 1) * sizeof(*more));
	if (!more)
		return;
	comp_words = more;
	comp_words[comp_n] = strdup(w);
	if (comp_words[comp_n])
		comp_n++;
}

static void comp_reset(void)
{
	for (size_t i = 0; i < comp_n; i++)
		free(comp_words[i]);
	free(comp_words);
	comp_words = NULL;
	comp_n = 0;
}

static char *comp_gen(const char *text, int state)
{
	static size_t i;
	if (!state)
		i = 0;
	size_t len = strlen(text);
	while (i < comp_n) {
		const char *w = comp_words[i++];
		if (strncmp(w, text, len) == 0)
			return strdup(w);
	}
	return NULL;
}

static void comp_args(struct repl *r)
{
	char buf[64];
	for (int i = 0; i <= 10; i++) {
		snprintf(buf, sizeof(buf), "$r%d", i);
		comp_add(buf);
		snprintf(buf, sizeof(buf), "$w%d", i);
		comp_add(buf);
	}
	static const char *const specials[] = {"$pc", "$fp", "$ctx", "$pkt", "$pkt_end", "$count"};
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		comp_add(specials[i]);
	const struct bs_prog *p = bs_dbg_prog(r->d);
	for (size_t i = 0; i < bs_prog_func_count(p); i++)
		comp_add(bs_prog_func(p, i)->name);
	for (size_t i = 0; i < bs_prog_line_count(p); i++) {
		const struct bs_line *l = bs_prog_line(p, i);
		const char *base = strrchr(l->file, '/');
		snprintf(buf, sizeof(buf), "%s:%u", base ? base + 1 : l->file, l->line);
		comp_add(buf);
	}
	for (size_t i = 0; r->obj && i < bs_object_map_count(r->obj); i++)
		comp_add(bs_object_map_def(r->obj, i)->name);
	static const char *const words[] = {"registers", "breakpoints", "frame", "stack", "maps",
					    "functions", "line", "source", "display", "watchpoints",
					    "dump", "lookup", "update", "delete", "key", "value"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		comp_add(words[i]);
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	comp_reset();
	rl_attempted_completion_over = 1;
	if (start == 0 || !*repl_skip(rl_line_buffer) ||
	    (size_t)start <= (size_t)(repl_skip(rl_line_buffer) - rl_line_buffer)) {
		for (size_t i = 0; i < repl_ncmds; i++)
			comp_add(repl_cmds[i].name);
	} else {
		comp_args(comp_repl);
	}
	return rl_completion_matches(text, comp_gen);
}

/* ---- the loops ---- */

static char history_path[1024];

int repl_loop(struct repl *r)
{
	catch_sigint(r);
	comp_repl = r;
	rl_readline_name = "bpfstep";
	rl_attempted_completion_function = complete;
	rl_basic_word_break_characters = " \t\n\"'`@><=;|&{(";
	const char *home = getenv("HOME");
	if (home && *home) {
		snprintf(history_path, sizeof(history_path), "%s/.bpfstep_history", home);
		using_history();
		read_history(history_path);
	}
	while (!r->quit) {
		char *line = readline("(bpfstep) ");
		if (!line) {
			fputs("quit\n", r->out);
			break;
		}
		const char *s = repl_skip(line);
		if (!*s) {
			/* Enter repeats the last step command */
			if (last_cmd[0]) {
				char again[sizeof(last_cmd)];
				snprintf(again, sizeof(again), "%s", last_cmd);
				repl_exec(r, again);
			}
		} else {
			add_history(s);
			repl_exec(r, s);
		}
		free(line);
	}
	if (history_path[0])
		write_history(history_path);
	comp_reset();
	return 0;
}

int repl_script(struct repl *r, FILE *f, const char *name)
{
	(void)name;
	catch_sigint(r);
	char line[4096];
	while (!r->quit && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		const char *s = repl_skip(line);
		if (!*s || *s == '#')
			continue;
		if (r->batch)
			fprintf(r->out, "+%s\n", s);
		/* a failed command is reported and the script goes on; the exit
		 * status says it failed */
		repl_exec(r, s);
		const struct bs_dbg_stop *st = bs_dbg_last_stop(r->d);
		if (r->batch && st->reason == BS_DBG_FAULT &&
		    bs_dbg_state(r->d) == BS_DBG_STOPPED) {
			r->failed = true;
			return -1;
		}
	}
	return 0;
}

void repl_error(struct repl *r, const char *fmt, ...)
{
	va_list ap;
	fflush(r->out);
	va_start(ap, fmt);
	/* errors go where the transcript is, as gdb's do on a terminal */
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	r->failed = true;
}

void repl_bs_error(struct repl *r, const struct bs_error *err)
{
	if (err->hint[0])
		repl_error(r, "%s (%s)", err->message, err->hint);
	else
		repl_error(r, "%s", err->message);
}
