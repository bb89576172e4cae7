// SPDX-License-Identifier: MIT
/* Finding source files that moved since the object was compiled: gdb's
 * `set substitute-path FROM TO` and `directory DIR` (`--source-dir DIR` of
 * `bpfstep debug`). A file that cannot be found is no error: list and the
 * stop line fall back to the text the line info keeps, or the line number. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugger/repl_cmds.h"
#include "debugger/repl_srcpath.h"

static int push(char ***list, size_t *n, const char *s)
{
	char *copy = strdup(s);
	char **more = copy ? realloc(*list, (*n + 1) * sizeof(*more)) : NULL;
	if (!more) {
		free(copy);
		return -1;
	}
	*list = more;
	more[(*n)++] = copy;
	return 0;
}

int repl_add_source_dir(struct repl *r, const char *dir)
{
	return push(&r->srcdirs, &r->nsrcdirs, dir);
}

int repl_add_substitute(struct repl *r, const char *from, const char *to)
{
	if (push(&r->subst_from, &r->nsubst, from))
		return -1;
	r->nsubst--;
	if (push(&r->subst_to, &r->nsubst, to)) {
		free(r->subst_from[r->nsubst]);
		return -1;
	}
	return 0;
}

void repl_srcpath_free(struct repl *r)
{
	for (size_t i = 0; i < r->nsrcdirs; i++)
		free(r->srcdirs[i]);
	for (size_t i = 0; i < r->nsubst; i++) {
		free(r->subst_from[i]);
		free(r->subst_to[i]);
	}
	free(r->srcdirs);
	free(r->subst_from);
	free(r->subst_to);
}

static FILE *try_open(const char *path, char *found, size_t len)
{
	FILE *f = fopen(path, "r");
	if (f && found)
		snprintf(found, len, "%s", path);
	return f;
}

FILE *repl_open_source(struct repl *r, const char *file, char *found, size_t len)
{
	char path[4096];
	/* the last rule that matches a whole leading part of the path wins */
	for (size_t i = r->nsubst; i-- > 0;) {
		size_t n = strlen(r->subst_from[i]);
		if (strncmp(file, r->subst_from[i], n) != 0 || (file[n] && file[n] != '/' && n &&
								r->subst_from[i][n - 1] != '/'))
			continue;
		snprintf(path, sizeof(path), "%s%s", r->subst_to[i], file + n);
		FILE *f = try_open(path, found, len);
		if (f)
			return f;
		break;
	}
	FILE *f = try_open(file, found, len);
	if (f)
		return f;
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	for (size_t i = 0; i < r->nsrcdirs; i++) {
		if (file[0] != '/') {
			snprintf(path, sizeof(path), "%s/%s", r->srcdirs[i], file);
			if ((f = try_open(path, found, len)))
				return f;
		}
		snprintf(path, sizeof(path), "%s/%s", r->srcdirs[i], base);
		if ((f = try_open(path, found, len)))
			return f;
	}
	return NULL;
}

bool repl_file_line(struct repl *r, const char *file, unsigned line, char *buf, size_t len)
{
	FILE *f = repl_open_source(r, file, NULL, 0);
	if (!f)
		return false;
	unsigned n = 0;
	bool found = false;
	while (fgets(buf, (int)len, f)) {
		bool whole = strchr(buf, '\n') != NULL || feof(f);
		if (++n == line) {
			buf[strcspn(buf, "\n")] = 0;
			found = true;
			break;
		}
		/* the rest of a line longer than buf */
		while (!whole && fgets(buf, (int)len, f))
			whole = strchr(buf, '\n') != NULL;
	}
	fclose(f);
	return found;
}

int cmd_directory(struct repl *r, const char *args)
{
	char dir[1024];
	if (!repl_word(&args, dir, sizeof(dir))) {
		fprintf(r->out, "Source directories searched: ");
		for (size_t i = 0; i < r->nsrcdirs; i++)
			fprintf(r->out, "%s:", r->srcdirs[i]);
		fprintf(r->out, "$cdir:$cwd\n");
		return 0;
	}
	do {
		if (repl_add_source_dir(r, dir)) {
			repl_error(r, "out of memory");
			return -1;
		}
	} while (repl_word(&args, dir, sizeof(dir)));
	return 0;
}

int repl_set_substitute(struct repl *r, const char *args)
{
	char from[1024], to[1024];
	if (!repl_word(&args, from, sizeof(from)) || !repl_word(&args, to, sizeof(to)) || *args) {
		repl_error(r, "Usage: set substitute-path FROM TO");
		return -1;
	}
	if (repl_add_substitute(r, from, to)) {
		repl_error(r, "out of memory");
		return -1;
	}
	return 0;
}
