// SPDX-License-Identifier: MIT
/* The options that set the fake environment a program runs in, so that a
 * run can be repeated byte for byte. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/raw.h"
#include "cli/run.h"

void cli_env_default(struct cli_env *e)
{
	memset(e, 0, sizeof(*e));
	bs_env_default(&e->env);
}

/* BPF_FIB_LKUP_RET_*, in value order */
static const char *const fib_rets[] = {
	"success", "blackhole", "unreachable", "prohibit", "not_fwded",
	"fwd_disabled", "unsupp_lwt", "no_neigh", "frag_needed", "no_src_addr",
};

static int parse_fib_ret(const char *s, int32_t *out)
{
	uint64_t v;
	if (!cli_parse_u64(s, &v)) {
		if (v > INT32_MAX)
			return -1;
		*out = (int32_t)v;
		return 0;
	}
	if (strncasecmp(s, "BPF_FIB_LKUP_RET_", 17) == 0)
		s += 17;
	for (size_t i = 0; i < sizeof(fib_rets) / sizeof(fib_rets[0]); i++)
		if (strcasecmp(s, fib_rets[i]) == 0) {
			*out = (int32_t)i;
			return 0;
		}
	return -1;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	int end = 0;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 || s[end])
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* RET[,IFINDEX[,SMAC[,DMAC]]] */
static int parse_fib(const char *arg, struct bs_fib *fib, char *why, size_t len)
{
	char buf[128];
	if (strlen(arg) >= sizeof(buf)) {
		snprintf(why, len, "--fib value is too long");
		return -1;
	}
	strcpy(buf, arg);
	char *save = NULL, *part[4] = {0};
	int n = 0;
	for (char *p = strtok_r(buf, ",", &save); p && n < 5; p = strtok_r(NULL, ",", &save))
		if (n < 4)
			part[n++] = p;
		else
			n = 5;
	if (n == 0 || n > 4) {
		snprintf(why, len, "--fib takes RET[,IFINDEX[,SMAC[,DMAC]]], not '%s'", arg);
		return -1;
	}
	struct bs_fib f = *fib;
	uint64_t ifindex;
	if (parse_fib_ret(part[0], &f.ret)) {
		snprintf(why, len, "--fib: '%s' is not a BPF_FIB_LKUP_RET_* name or number (success, "
			 "blackhole, unreachable, prohibit, not_fwded, fwd_disabled, unsupp_lwt, "
			 "no_neigh, frag_needed, no_src_addr)", part[0]);
		return -1;
	}
	if (part[1] && (cli_parse_u64(part[1], &ifindex) || ifindex > UINT32_MAX)) {
		snprintf(why, len, "--fib: ifindex '%s' is not a 32-bit number", part[1]);
		return -1;
	}
	if (part[1])
		f.ifindex = (uint32_t)ifindex;
	for (int i = 2; i < 4; i++)
		if (part[i] && parse_mac(part[i], i == 2 ? f.smac : f.dmac)) {
			snprintf(why, len, "--fib: '%s' is not a MAC address like 02:00:00:00:00:01",
				 part[i]);
			return -1;
		}
	*fib = f;
	return 0;
}

static int number(const char *name, const char *arg, uint64_t max, uint64_t *out, char *why,
		  size_t len)
{
	if (cli_parse_u64(arg, out) || *out > max) {
		snprintf(why, len, "--%s needs a number from 0 to %llu, not '%s'", name,
			 (unsigned long long)max, arg);
		return -1;
	}
	return 0;
}

int cli_env_option(struct cli_env *e, const char *name, const char *arg, char *why, size_t len)
{
	uint64_t v;
	struct bs_env *env = &e->env;
	if (strcmp(name, "time-ns") == 0) {
		if (number(name, arg, UINT64_MAX, &v, why, len))
			return -1;
		env->time_ns = v;
	} else if (strcmp(name, "seed") == 0) {
		if (number(name, arg, UINT64_MAX, &v, why, len))
			return -1;
		env->seed = v;
	} else if (strcmp(name, "cpu") == 0) {
		if (number(name, arg, 8191, &v, why, len))
			return -1;
		env->cpu = (uint32_t)v;
		e->cpu_given = true;
	} else if (strcmp(name, "ncpus") == 0) {
		if (number(name, arg, 8192, &v, why, len))
			return -1;
		if (v == 0) {
			snprintf(why, len, "--ncpus needs at least 1 CPU");
			return -1;
		}
		e->ncpus = (uint32_t)v;
	} else if (strcmp(name, "numa-node") == 0) {
		if (number(name, arg, UINT32_MAX, &v, why, len))
			return -1;
		env->numa_node = (uint32_t)v;
	} else if (strcmp(name, "pid-tgid") == 0) {
		if (number(name, arg, UINT64_MAX, &v, why, len))
			return -1;
		env->pid_tgid = v;
	} else if (strcmp(name, "uid-gid") == 0) {
		if (number(name, arg, UINT64_MAX, &v, why, len))
			return -1;
		env->uid_gid = v;
	} else if (strcmp(name, "comm") == 0) {
		if (strlen(arg) >= sizeof(env->comm)) {
			snprintf(why, len, "--comm '%s' is longer than a task name (at most %zu "
				 "characters, TASK_COMM_LEN less the NUL)", arg, sizeof(env->comm) - 1);
			return -1;
		}
		memset(env->comm, 0, sizeof(env->comm));
		memcpy(env->comm, arg, strlen(arg));
	} else if (strcmp(name, "fib") == 0) {
		return parse_fib(arg, &env->fib, why, len);
	} else {
		return 1;
	}
	return 0;
}

int cli_shared_option(struct cli_raw_opts *opts, struct cli_env *e, const char *name,
		      const char *arg, char *why, size_t len)
{
	if (strcmp(name, "engine") == 0) {
		if (cli_parse_engine(arg, &opts->engine)) {
			snprintf(why, len, "--engine must be interp or jit, not '%s'", arg);
			return -1;
		}
	} else if (strcmp(name, "jit-unchecked") == 0) {
		opts->jit_unchecked = true;
	} else if (strcmp(name, "budget") == 0) {
		if (cli_parse_u64(arg, &opts->budget)) {
			snprintf(why, len, "--budget needs a non-negative number, not '%s'", arg);
			return -1;
		}
	} else if (strcmp(name, "dispatch") == 0) {
		if (strcmp(arg, "goto") == 0) {
			opts->dispatch = BS_DISPATCH_DEFAULT;
		} else if (strcmp(arg, "switch") == 0) {
			opts->dispatch = BS_DISPATCH_SWITCH;
		} else {
			snprintf(why, len, "--dispatch must be goto or switch, not '%s'", arg);
			return -1;
		}
	} else {
		int rc = cli_env_option(e, name, arg, why, len);
		if (rc > 0)
			snprintf(why, len, "unknown option '--%s'", name);
		if (rc)
			return -1;
	}
	return 0;
}
