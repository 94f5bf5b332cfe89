// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof func: the latency of chosen functions of a running process, by
 * caller stack (bpf/func.bpf.c). PROBE is FUNC, LIB:FUNC or /path:FUNC, FUNC
 * a name or a glob; the functions are found in the files the process maps,
 * through the symbolizer's ELF layer (.symtab, .dynsym, separate debug
 * files), and probed on the very inode mapped.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_util.h"
#include "debuginfo.h"
#include "elf_file.h"
#include "err.h"
#include "func.h"
#include "grow.h"
#include "loader.h"
#include "output.h"
#include "procmaps.h"
#include "safeopen.h"
#include "srcline.h"
#include "session.h"
#include "stack_agg.h"
#include "stacks.h"
#include "syms.h"
#include "tools.h"
#include "func.skel.h"

#define FUNC_MAX_SPECS 64
#define FUNC_MAX_FUNCS 1000 /* functions one trace probes: two links each */

struct func_opts {
	const char *specs[FUNC_MAX_SPECS];
	unsigned int nspecs;
	const char *spans[FUNC_MAX_SPECS]; /* --span A,B: "A,B" */
	unsigned int nspans;
	unsigned long long min_ns, max_ns;
	int arg; /* --arg N (from 0), -1: none */
	bool arg_str; /* --arg N:str */
	bool count;
	bool usdt; /* a PROBE is a USDT probe (counted) */
	bool list; /* --list: print the probes and functions, trace nothing */
};

enum func_kind { FUNC_FUNCTION, FUNC_USDT, FUNC_SPAN };

/* A probed function, USDT probe or span: the leaf frame its events are shown under. */
struct func_probe {
	char name[256];
	enum func_kind kind;
};

/* --arg: a value seen, by id (lt_stack_key.aux2), read at the end. */
struct func_argv {
	uint32_t id;
	struct func_arg a;
};

struct func_tool {
	struct lt_tool_core core; /* core.skel: struct func_bpf */
	struct func_opts o;
	struct func_probe *probes;
	size_t nprobes, capprobes;
	struct bpf_link **links;
	size_t nlinks, caplinks;
	struct func_argv *args;
	size_t nargs, capargs;
	char frame[512];
};

static void read_args(struct func_tool *t);

/* --arg: the value kept under id, read again from BPF when not known yet. */
static const struct func_arg *arg_of(struct func_tool *t, uint32_t id)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->nargs; i++)
			if (t->args[i].id == id)
				return &t->args[i].a;
		/* A value first seen since the last read (each drain names samples). */
		if (!pass)
			read_args(t);
	}
	return NULL;
}

static struct func_bpf *skel_of(const struct func_tool *t)
{
	return t->core.skel;
}

enum { OPT_COUNT = LT_OPT_TOOL, OPT_SPAN, OPT_ARG, OPT_LIST };

static const struct option func_longopts[] = {
	{ "min-duration", required_argument, NULL, 'm' },
	{ "max-duration", required_argument, NULL, 'M' },
	{ "count", no_argument, NULL, OPT_COUNT },
	{ "span", required_argument, NULL, OPT_SPAN },
	{ "arg", required_argument, NULL, OPT_ARG },
	{ "list", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

/* "usdt:[FILE:]PROVIDER:NAME": a USDT probe spec? */
static bool usdt_spec_ok(const char *spec)
{
	const char *last = strrchr(spec, ':');

	return !strncmp(spec, "usdt:", 5) && last && last > spec + 5 && last[1] && last[-1] != ':';
}

static int func_parse(void *topts, int key, const char *arg)
{
	struct func_opts *o = topts;

	switch (key) {
	case 'm': return lt_parse_u64(arg, "--min-duration", 0, ~0ULL, &o->min_ns);
	case 'M': return lt_parse_u64(arg, "--max-duration", 1, ~0ULL, &o->max_ns);
	case OPT_COUNT: o->count = true; return 0;
	case OPT_LIST: o->list = true; return 0;
	case OPT_SPAN: {
		const char *comma = strchr(arg, ',');
		char a[PATH_MAX];

		snprintf(a, sizeof(a), "%.*s", comma ? (int)(comma - arg) : 0, arg);
		if (!comma || !usdt_spec_ok(a) || !usdt_spec_ok(comma + 1) ||
		    strchr(comma + 1, ',')) {
			lt_err("invalid --span '%s': expected usdt:[LIB:]PROVIDER:START,usdt:[LIB:]PROVIDER:END",
			       arg);
			return -EINVAL;
		}
		if (o->nspans == FUNC_MAX_SPECS) {
			lt_err("too many --span: at most %d", FUNC_MAX_SPECS);
			return -EINVAL;
		}
		o->spans[o->nspans++] = arg;
		return 0;
	}
	case OPT_ARG: {
		unsigned long long n;
		const char *c = strchr(arg, ':');
		char num[32];

		snprintf(num, sizeof(num), "%.*s", c ? (int)(c - arg) : (int)strlen(arg), arg);
		if (lt_parse_u64(num, "--arg", 0, 11, &n))
			return -EINVAL;
		if (c && strcmp(c, ":str") && strcmp(c, ":int")) {
			lt_err("invalid --arg '%s': expected N, N:int or N:str", arg);
			return -EINVAL;
		}
		o->arg = (int)n;
		o->arg_str = c && !strcmp(c, ":str");
		return 0;
	}
	}
	return -EINVAL;
}

static int func_operand(void *topts, const char *arg)
{
	struct func_opts *o = topts;

	if (o->nspecs == FUNC_MAX_SPECS) {
		lt_err("too many probes: at most %d (a glob takes many functions)", FUNC_MAX_SPECS);
		return -EINVAL;
	}
	if (!*arg || arg[strlen(arg) - 1] == ':') {
		lt_err("invalid probe '%s': expected FUNC, LIB:FUNC or /path/to/file:FUNC", arg);
		return -EINVAL;
	}
	if (!strncmp(arg, "usdt:", 5)) {
		if (!usdt_spec_ok(arg)) {
			lt_err("invalid probe '%s': expected usdt:[LIB:]PROVIDER:NAME", arg);
			return -EINVAL;
		}
		o->usdt = true;
	}
	o->specs[o->nspecs++] = arg;
	return 0;
}

static int func_check(void *topts, const struct lt_common *c)
{
	struct func_opts *o = topts;

	bool funcs = false;

	for (unsigned int i = 0; i < o->nspecs; i++)
		funcs |= strncmp(o->specs[i], "usdt:", 5) != 0;
	if (o->list) {
		if (c->target.npids != 1 || c->target.ntids || o->nspans || o->usdt) {
			lt_err("--list lists one process's probes: -p PID [FUNC-GLOB...]");
			return -EINVAL;
		}
		return 0;
	}
	if (!o->nspecs && !o->nspans) {
		lt_err("no function given: latprof func -p PID FUNC [LIB:FUNC ...]");
		return -EINVAL;
	}
	/* USDT probes are counted; functions and spans are timed, unless --count. */
	if (o->usdt && !o->count && (funcs || o->nspans)) {
		lt_err("USDT probes are counted, functions and spans timed: give --count to count "
		       "them all, or time between two probes with --span");
		return -EINVAL;
	}
	if (o->usdt && !funcs && !o->nspans)
		o->count = true;
	if (o->count && o->nspans) {
		lt_err("--span times between two probes: it does not go with --count");
		return -EINVAL;
	}
	if (o->arg >= 0 && !o->usdt && !o->nspans) {
		lt_err("--arg takes an argument of a USDT probe: give one, or a --span");
		return -EINVAL;
	}
	if (!c->target.npids || c->target.ntids) {
		lt_err("func attaches uprobes to a process's files: give it -p PID");
		return -EINVAL;
	}
	if (o->max_ns && o->min_ns > o->max_ns) {
		lt_err("--min-duration %llu is above --max-duration %llu", o->min_ns, o->max_ns);
		return -EINVAL;
	}
	if (o->count && (o->min_ns || o->max_ns)) {
		lt_err("--count takes no time: -m and -M do not go with it");
		return -EINVAL;
	}
	return 0;
}

const struct lt_cli_tool func_cli = {
	.name = "func",
	.summary = "Latency of functions of a running process, by caller stack (uprobes)",
	.synopsis = "-p PID[,PID...] [options] PROBE...",
	.help = "  PROBE                       FUNC, LIB:FUNC or /path/to/file:FUNC; FUNC may be\n"
		"                              a glob ('SSL_*'). FUNC alone: the program, then\n"
		"                              its libraries in map order; LIB: a mapped library\n"
		"                              by name (c, libc, ssl, libssl.so.3). Or a USDT\n"
		"                              probe, usdt:[LIB:]PROVIDER:NAME, whose hits are\n"
		"                              counted by stack\n"
		"      --span START,END        time from USDT probe START to END on a thread\n"
		"                              (usdt:postgresql:query__start,usdt:postgresql:\n"
		"                              query__done), by the stack at END\n"
		"      --arg N[:str|:int]      USDT argument N (from 0) as the root frame: a\n"
		"                              string it points at (:str), or an integer;\n"
		"                              of a span, taken at its start\n"
		"      --list                  list the process's USDT probes, and its functions\n"
		"                              that match the FUNC globs given, then exit\n"
		"  -m, --min-duration NSEC     only calls that took at least NSEC\n"
		"  -M, --max-duration NSEC     only calls that took at most NSEC\n"
		"      --count                 count calls by the stack at their entry, untimed\n"
		"                              (one uprobe trap per call instead of two)\n"
		"  Each timed call takes two uprobe traps (entry, return): 13.9 us a call\n"
		"  on the VM docs/func.md was measured on (funclatency: 14.4 us), where\n"
		"  the trap alone is most of it; --count takes one (12-13 us). A function\n"
		"  called 10,000 times a second then costs some 14% of a CPU. `make bench`\n"
		"  measures it on your machine.\n",
	.examples = "  latprof func -p 4242 -d 10 PQexec\n"
		    "  latprof func -p 4242 -f svg -o ssl.svg 'libssl:SSL_*'\n",
	.shortopts = "m:M:",
	.longopts = func_longopts,
	.parse = func_parse,
	.check = func_check,
	.operand = func_operand,
};

LT_SKEL_OPS(func_bpf);

/*
 * With the per-thread stack cache (task storage), else without it: kernels
 * before 6.2 refuse task storage in uprobe programs.
 */
static const struct lt_variant variants[] = {
	{ "stack-cache", NULL, "with the stack cache", 1 },
	{ "no-stack-cache", NULL, "without the stack cache", 0 },
};

static int func_configure(void *tool, void *skel, const struct lt_variant *v)
{
	struct func_tool *t = tool;
	struct func_bpf *sk = skel;

	sk->rodata->min_ns = t->o.min_ns;
	sk->rodata->max_ns = t->o.max_ns ? t->o.max_ns : ~0ULL;
	sk->rodata->count_only = t->o.count;
	sk->rodata->arg_n = t->o.arg;
	sk->rodata->arg_str = t->o.arg_str;
	sk->rodata->lt_sc_task_on = (uint8_t)v->arg;
	bpf_program__set_autoload(sk->progs.func_return, !t->o.count);
	return 0;
}

/* A mapped file of the target: its link, its path, and which inode it is. */
struct func_file {
	char link[96]; /* /proc/PID/map_files/START-END: the mapped inode itself */
	char path[PATH_MAX];
	uint64_t ino;
	uint32_t dev;
	bool exe;
};

struct func_files {
	uint32_t pid;
	dev_t exe_dev;
	ino_t exe_ino;
	struct func_file *v;
	size_t n, cap;
};

static int collect_file(const struct lt_mapping *m, void *ctx)
{
	struct func_files *fs = ctx;
	struct func_file *f;

	if (m->path[0] != '/')
		return 0;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].ino == m->ino && fs->v[i].dev == m->dev)
			return 0;
	if (LT_GROW(fs->v, fs->n, fs->cap, 16))
		return -ENOMEM;
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->link, sizeof(f->link), "/proc/%u/map_files/%llx-%llx", fs->pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	snprintf(f->path, sizeof(f->path), "%s", m->path);
	f->ino = m->ino;
	f->dev = m->dev;
	f->exe = m->ino == fs->exe_ino && major(fs->exe_dev) == m->dev >> 20 &&
		 minor(fs->exe_dev) == (m->dev & 0xfffff);
	return 0;
}

/* The files pid maps with code, the program first. 0, or -errno with the error said. */
static int files_of(uint32_t pid, struct func_files *fs)
{
	char exe[64];
	struct stat st;
	int err;

	fs->pid = pid;
	snprintf(exe, sizeof(exe), "/proc/%u/exe", pid);
	if (!stat(exe, &st)) {
		fs->exe_dev = st.st_dev;
		fs->exe_ino = st.st_ino;
	}
	err = lt_procmaps_read(pid, collect_file, fs);
	if (err < 0) {
		lt_err("cannot read the mappings of pid %u: %s", pid,
		       err == -ENOENT ? "no such process" : strerror(-err));
		return err;
	}
	for (size_t i = 1; i < fs->n; i++)
		if (fs->v[i].exe) {
			struct func_file e = fs->v[i];

			memmove(&fs->v[1], &fs->v[0], i * sizeof(e));
			fs->v[0] = e;
			break;
		}
	return 0;
}

/* Is the file at path the library lib names: "c", "libc", "libc.so.6"? */
static bool lib_matches(const char *path, const char *lib)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(lib);

	base = base ? base + 1 : path;
	if (!strcmp(base, lib))
		return true;
	for (int pass = 0; pass < 2; pass++) {
		const char *b = base;

		if (pass) {
			if (strncmp(b, "lib", 3))
				return false;
			b += 3;
		}
		if (!strncmp(b, lib, n) && (!strncmp(b + n, ".so", 3) || b[n] == '-'))
			return true;
	}
	return false;
}

/* Is f the file a PROBE's WHERE names: "" any, "/path" that path, else a library? */
static bool file_named(const struct func_file *f, const char *where)
{
	return !where[0] ||
	       (where[0] == '/' ? !strcmp(f->path, where) : lib_matches(f->path, where));
}

/* --list: one line each, as bpftrace -l writes them. */
struct list_ctx {
	const struct func_file *f;
	const struct func_opts *o;
	size_t n;
};

static int list_usdt(const char *provider, const char *name, const char *args, uint64_t addr,
		     uint64_t sema, void *ctx)
{
	struct list_ctx *l = ctx;

	(void)addr;
	printf("usdt:%s:%s:%s\t%s%s\n", l->f->path, provider, name,
	       args[0] ? args : "(no arguments)", sema ? "\t(semaphore)" : "");
	l->n++;
	return 0;
}

static int list_func(const char *name, uint64_t vaddr, uint64_t size, void *ctx)
{
	struct list_ctx *l = ctx;
	const char *at = strchr(name, '@');
	char base[256];

	(void)vaddr;
	(void)size;
	snprintf(base, sizeof(base), "%.*s", at ? (int)(at - name) : (int)strlen(name), name);
	for (unsigned int i = 0; i < l->o->nspecs; i++) {
		const char *spec = l->o->specs[i], *c = strrchr(spec, ':'), *pat = c ? c + 1 : spec;
		char where[PATH_MAX];

		/* LIB:GLOB and /path:GLOB only in that file; a bare GLOB anywhere. */
		snprintf(where, sizeof(where), "%.*s", c ? (int)(c - spec) : 0, spec);
		if (!file_named(l->f, where))
			continue;
		if (!fnmatch(pat, base, 0)) {
			printf("uprobe:%s:%s\n", l->f->path, base);
			l->n++;
			return 0;
		}
	}
	return 0;
}

static int func_inspect(void *opts, const struct lt_common *c)
{
	struct func_opts *o = opts;
	struct func_files fs = { 0 };
	uint32_t pid;
	size_t n = 0;

	if (!o->list)
		return -1;
	pid = c->target.pids[0];
	if (files_of(pid, &fs))
		return LT_EXIT_FAIL;
	for (size_t i = 0; i < fs.n; i++) {
		struct lt_open_how how = { .magic = true, .max_size = LT_ELF_MAX_SIZE };
		struct elf_file *ef = elf_file__open_fd(lt_open(fs.v[i].link, &how, NULL));
		struct list_ctx l = { .f = &fs.v[i], .o = o };

		if (!ef) {
			lt_warn("cannot read '%s': %s", fs.v[i].path, strerror(errno));
			continue;
		}
		if (o->nspecs && !elf_file__has_symtab(ef)) {
			struct elf_file *d = lt_debug_find(pid, ef, fs.v[i].path);

			if (d)
				elf_file__set_debug(ef, d);
		}
		elf_file__foreach_usdt(ef, list_usdt, &l);
		if (o->nspecs)
			elf_file__foreach_func(ef, list_func, &l);
		elf_file__free(ef);
		n += l.n;
	}
	free(fs.v);
	fflush(stdout);
	lt_info("%zu probes and functions in %zu files of pid %u", n, fs.n, pid);
	return LT_EXIT_OK;
}

/* A match of a PROBE's name in one file. */
struct func_match {
	char name[256];
	uint64_t vaddr;
};

struct func_search {
	const char *pattern;
	bool glob;
	struct func_match *v;
	size_t n, cap;
	/* The closest names, for the error when nothing matches. */
	char near[3][128];
	unsigned int near_d[3];
};

/* Edit distance of a and b, capped at cap + 1. */
static unsigned int edit_distance(const char *a, const char *b, unsigned int cap)
{
	unsigned int row[129], la = strlen(a), lb = strlen(b);

	if (la > 128 || lb > 128)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (unsigned int j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned int i = 1; i <= la; i++) {
		unsigned int diag = row[0], best;

		row[0] = i;
		best = row[0];
		for (unsigned int j = 1; j <= lb; j++) {
			unsigned int up = row[j], v = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb];
}

/* Keep name among the three names nearest the pattern (edit distance 3 at most). */
static void note_near(struct func_search *s, const char *name)
{
	unsigned int d = edit_distance(s->pattern, name, 3), slot = 0;

	if (d > 3)
		return;
	for (unsigned int i = 0; i < 3; i++) {
		if (!strcmp(s->near[i], name))
			return;
		if (!s->near[i][0]) {
			slot = i;
			break;
		}
		if (s->near_d[i] > s->near_d[slot])
			slot = i;
	}
	if (s->near[slot][0] && s->near_d[slot] <= d)
		return;
	snprintf(s->near[slot], sizeof(s->near[0]), "%.127s", name);
	s->near_d[slot] = d;
}

static int match_func(const char *name, uint64_t vaddr, uint64_t size, void *ctx)
{
	struct func_search *s = ctx;
	const char *at = strchr(name, '@');
	size_t len = at ? (size_t)(at - name) : strlen(name);
	char base[256];

	(void)size;
	if (len >= sizeof(base))
		return 0;
	memcpy(base, name, len);
	base[len] = 0;
	if (s->glob ? fnmatch(s->pattern, base, 0) : strcmp(s->pattern, base)) {
		if (!s->glob)
			note_near(s, base);
		return 0;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].vaddr == vaddr)
			return 0;
	if (LT_GROW(s->v, s->n, s->cap, 16))
		return -ENOMEM;
	snprintf(s->v[s->n].name, sizeof(s->v[0].name), "%s", base);
	s->v[s->n++].vaddr = vaddr;
	return 0;
}

/* The file's functions matching s (its symbols, or its debug file's). 0 or -errno. */
static int search_file(const struct func_file *f, uint32_t pid, struct func_search *s,
		       struct elf_file **out)
{
	struct lt_open_how how = { .magic = true, .max_size = LT_ELF_MAX_SIZE };
	struct elf_file *ef = elf_file__open_fd(lt_open(f->link, &how, NULL));
	int err;

	*out = NULL;
	if (!ef)
		return -errno;
	if (!elf_file__has_symtab(ef)) {
		struct elf_file *d = lt_debug_find(pid, ef, f->path);

		if (d)
			elf_file__set_debug(ef, d);
	}
	err = elf_file__foreach_func(ef, match_func, s);
	if (err) {
		elf_file__free(ef);
		return err;
	}
	*out = ef;
	return 0;
}

/* The probe table's index for name, added if new. -ENOMEM or -E2BIG. */
static long probe_index(struct func_tool *t, const char *name)
{
	for (size_t i = 0; i < t->nprobes; i++)
		if (!strcmp(t->probes[i].name, name))
			return (long)i;
	if (t->nprobes >= FUNC_MAX_FUNCS)
		return -E2BIG;
	if (LT_GROW(t->probes, t->nprobes, t->capprobes, 64))
		return -ENOMEM;
	/* LT_GROW does not zero: a function unless probe_index_kind() says otherwise. */
	memset(&t->probes[t->nprobes], 0, sizeof(t->probes[0]));
	t->probes[t->nprobes].kind = FUNC_FUNCTION;
	snprintf(t->probes[t->nprobes].name, sizeof(t->probes[0].name), "%s", name);
	return (long)t->nprobes++;
}

static int add_link(struct func_tool *t, struct bpf_link *l)
{
	if (LT_GROW(t->links, t->nlinks, t->caplinks, 64)) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	t->links[t->nlinks++] = l;
	return 0;
}

/* Probe the entry (and with timing, the return) of each match in f for pid. */
static int attach_matches(struct func_tool *t, uint32_t pid, const struct func_file *f,
			  struct elf_file *ef, const struct func_search *s)
{
	for (size_t i = 0; i < s->n; i++) {
		long idx = probe_index(t, s->v[i].name);
		uint64_t off;
		struct bpf_link *l;
		int err;

		if (idx < 0) {
			lt_err("'%s' takes more than %d functions: narrow the glob", s->pattern,
			       FUNC_MAX_FUNCS);
			return (int)idx;
		}
		if (elf_file__vaddr_to_off(ef, s->v[i].vaddr, &off)) {
			lt_err("cannot place '%s' in '%s': its address 0x%llx is in no segment",
			       s->v[i].name, f->path, (unsigned long long)s->v[i].vaddr);
			return -ENOEXEC;
		}
		for (int ret = 0; ret <= !t->o.count; ret++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = (uint64_t)idx,
				    .retprobe = ret);

			l = bpf_program__attach_uprobe_opts(ret ? skel_of(t)->progs.func_return :
								  skel_of(t)->progs.func_entry,
							    (pid_t)pid, f->link, off, &uo);
			if (!l) {
				err = -errno;
				lt_err("cannot attach a %s to '%s' in '%s' for pid %u: %s",
				       ret ? "uretprobe" : "uprobe", s->v[i].name, f->path, pid,
				       strerror(-err));
				return err;
			}
			if ((err = add_link(t, l)))
				return err;
		}
	}
	return 0;
}

/* What a PROBE took: how many functions, in which file (for the attach line). */
struct func_probed {
	char path[PATH_MAX];
	uint64_t ino;
	uint32_t dev;
	size_t n;
	bool usdt; /* USDT probes (a span by its start), not functions */
};

/*
 * The first of the files searched for name (as attach_spec filters them)
 * whose DWARF (its own or its debug file's) has name only inlined, or NULL.
 */
static const struct func_file *inlined_in(const struct func_files *fs, uint32_t pid,
					  const char *where, const char *name)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct func_file *f = &fs->v[i];
		struct lt_open_how how = { .magic = true, .max_size = LT_ELF_MAX_SIZE };
		struct elf_file *ef, *d;
		struct lt_srcline *sl;
		bool only;

		if (!file_named(f, where))
			continue;
		ef = elf_file__open_fd(lt_open(f->link, &how, NULL));
		if (!ef)
			continue;
		d = lt_debug_find(pid, ef, f->path);
		if (d)
			elf_file__set_debug(ef, d);
		sl = lt_srcline__open(elf_file__elf(d ? d : ef));
		only = sl && lt_srcline__inlined_only(sl, name);
		lt_srcline__free(sl);
		elf_file__free(ef);
		if (only)
			return f;
	}
	return NULL;
}

/* One PROBE for one process: find its functions, probe them; into out, what was probed. */
static int attach_spec(struct func_tool *t, uint32_t pid, const char *spec, struct func_probed *out)
{
	struct func_files fs = { 0 };
	struct func_search s = { 0 };
	const char *colon = strrchr(spec, ':'), *lib = NULL, *path = NULL;
	char where[PATH_MAX + 32] = "", rp[PATH_MAX];
	const struct func_file *inl;
	struct elf_file *ef = NULL;
	size_t searched = 0;
	int err;

	if (spec[0] == '/' && colon) {
		path = spec;
		snprintf(where, sizeof(where), "%.*s", (int)(colon - spec), spec);
		if (realpath(where, rp))
			snprintf(where, sizeof(where), "%s", rp);
	} else if (colon) {
		lib = spec;
		colon = strchr(spec, ':');
		snprintf(where, sizeof(where), "%.*s", (int)(colon - spec), spec);
	}
	s.pattern = colon ? colon + 1 : spec;
	s.glob = strpbrk(s.pattern, "*?[") != NULL;
	err = files_of(pid, &fs);
	if (err)
		goto out;
	err = -ENOENT;
	for (size_t i = 0; i < fs.n && !s.n; i++) {
		const struct func_file *f = &fs.v[i];

		if (!file_named(f, where))
			continue;
		searched++;
		elf_file__free(ef);
		err = search_file(f, pid, &s, &ef);
		if (err) {
			lt_warn("cannot read the symbols of '%s': %s", f->path, strerror(-err));
			continue;
		}
		if (!s.n)
			continue;
		err = attach_matches(t, pid, f, ef, &s);
		if (!err) {
			snprintf(out->path, sizeof(out->path), "%s", f->path);
			out->dev = f->dev;
			out->ino = f->ino;
			out->n = s.n;
		}
		break;
	}
	if (!s.n && !searched) {
		lt_err("pid %u maps no file %s '%s'", pid, path ? "at" : "of a library named",
		       where);
		err = -ENOENT;
	} else if (!s.n && !s.glob && (inl = inlined_in(&fs, pid, where, s.pattern))) {
		lt_err("'%s' exists only inlined in %s: it has no code of its own to probe "
		       "(probe the functions it is inlined into)",
		       s.pattern, inl->path);
		err = -ENOENT;
	} else if (!s.n) {
		char near[512] = "";

		for (int i = 0, len = 0; i < 3 && s.near[i][0]; i++)
			len += snprintf(near + len, sizeof(near) - (size_t)len, "%s%s",
					i ? ", " : "; closest: ", s.near[i]);
		if (!path && !lib)
			snprintf(where, sizeof(where), "%.4000s or its %zu libraries",
				 fs.n && fs.v[0].exe ? fs.v[0].path : "the program",
				 fs.n ? fs.n - 1 : 0);
		lt_err("no function matches '%s' in %s (pid %u)%s", s.pattern, where, pid, near);
		err = -ENOENT;
	}
out:
	elf_file__free(ef);
	free(s.v);
	free(fs.v);
	return err;
}

/* A USDT spec's parts: "usdt:[WHERE:]PROVIDER:NAME". */
struct usdt_spec {
	char where[PATH_MAX]; /* a library, a path, or "" for the program then its libraries */
	char provider[128], name[128];
};

static void usdt_parse(const char *spec, struct usdt_spec *u)
{
	const char *body = spec + 5, *last = strrchr(body, ':'), *mid;

	snprintf(u->name, sizeof(u->name), "%s", last + 1);
	for (mid = last - 1; mid > body && *mid != ':'; mid--)
		;
	if (*mid == ':') {
		snprintf(u->provider, sizeof(u->provider), "%.*s", (int)(last - mid - 1), mid + 1);
		snprintf(u->where, sizeof(u->where), "%.*s", (int)(mid - body), body);
	} else {
		snprintf(u->provider, sizeof(u->provider), "%.*s", (int)(last - body), body);
		u->where[0] = 0;
	}
}

/*
 * Attach prog to the USDT probe of spec for pid, with cookie idx (libbpf
 * reads the notes, the argument specs and the semaphore). The program
 * first, then its libraries, or the file spec names. Into out, the file.
 */
static int attach_usdt(struct func_tool *t, uint32_t pid, const char *spec,
		       struct bpf_program *prog, long idx, struct func_probed *out)
{
	struct func_files fs = { 0 };
	struct usdt_spec u;
	char rp[PATH_MAX];
	size_t searched = 0;
	int err;

	usdt_parse(spec, &u);
	if (u.where[0] == '/' && realpath(u.where, rp))
		snprintf(u.where, sizeof(u.where), "%s", rp);
	err = files_of(pid, &fs);
	if (err)
		goto out;
	err = -ENOENT;
	for (size_t i = 0; i < fs.n && err == -ENOENT; i++) {
		const struct func_file *f = &fs.v[i];
		LIBBPF_OPTS(bpf_usdt_opts, uo, .usdt_cookie = (uint64_t)idx);
		struct bpf_link *l;

		if (!file_named(f, u.where))
			continue;
		searched++;
		l = bpf_program__attach_usdt(prog, (pid_t)pid, f->link, u.provider, u.name, &uo);
		if (!l) {
			err = -errno;
			if (err != -ENOENT)
				lt_err("cannot attach to USDT probe %s:%s in '%s' for pid %u: %s",
				       u.provider, u.name, f->path, pid, strerror(-err));
			continue;
		}
		if ((err = add_link(t, l)))
			goto out;
		snprintf(out->path, sizeof(out->path), "%s", f->path);
		out->dev = f->dev;
		out->ino = f->ino;
		out->n = 1;
		out->usdt = true;
	}
	if (err == -ENOENT) {
		if (!searched)
			lt_err("pid %u maps no file %s '%s'", pid,
			       u.where[0] == '/' ? "at" : "of a library named", u.where);
		else
			lt_err("no USDT probe %s:%s in %s%s (pid %u)", u.provider, u.name,
			       u.where[0]	   ? u.where :
			       fs.n && fs.v[0].exe ? fs.v[0].path :
						     "the program",
			       u.where[0] ? "" : " or its libraries", pid);
	}
out:
	free(fs.v);
	return err;
}

/* "N functions in FILE (dev M:m inode I)", a file at a time, into how (pr's counts merged). */
static bool same_file(const struct func_probed *a, const struct func_probed *b)
{
	return a->ino == b->ino && a->dev == b->dev && a->usdt == b->usdt;
}

static void describe(struct func_probed *pr, unsigned int n, bool count, char *how, size_t sz)
{
	size_t len = 0;

	for (unsigned int i = 0; i < n && len < sz; i++) {
		size_t k = pr[i].n;

		if (!k) /* counted with an earlier one of the same file */
			continue;
		for (unsigned int j = i + 1; j < n; j++)
			if (same_file(&pr[j], &pr[i])) {
				k += pr[j].n;
				pr[j].n = 0;
			}
		len += (size_t)snprintf(how + len, sz - len,
					"%s%zu %s%s in %s (dev %u:%u inode %llu)", len ? "; " : "",
					k, pr[i].usdt ? "USDT probe" : "function",
					k == 1 ? "" : "s", pr[i].path, pr[i].dev >> 20,
					pr[i].dev & 0xfffff, (unsigned long long)pr[i].ino);
	}
	if (len < sz)
		snprintf(how + len, sz - len, "; %s; user stacks",
			 count ? "uprobes" : "uprobes and uretprobes");
}

/* The probe table's index for a USDT probe or a span, by its label. */
static long probe_index_kind(struct func_tool *t, const char *label, enum func_kind kind)
{
	long idx = probe_index(t, label);

	if (idx >= 0)
		t->probes[idx].kind = kind;
	return idx;
}

/* One USDT probe (counted) or span (timed) for pid, described into pr. */
static int attach_usdt_spec(struct func_tool *t, uint32_t pid, const char *spec, bool span,
			    struct func_probed *pr)
{
	struct func_bpf *sk = skel_of(t);
	struct usdt_spec a, b;
	char label[400], first[PATH_MAX];
	const char *comma;
	struct func_probed end;
	long idx;
	int err;

	if (!span) {
		usdt_parse(spec, &a);
		snprintf(label, sizeof(label), "usdt:%s:%s", a.provider, a.name);
		idx = probe_index_kind(t, label, FUNC_USDT);
		return idx < 0 ? (int)idx :
				 attach_usdt(t, pid, spec, sk->progs.func_usdt_hit, idx, pr);
	}
	comma = strchr(spec, ',');
	snprintf(first, sizeof(first), "%.*s", (int)(comma - spec), spec);
	usdt_parse(first, &a);
	usdt_parse(comma + 1, &b);
	snprintf(label, sizeof(label), "%s:%s..%s", a.provider, a.name, b.name);
	idx = probe_index_kind(t, label, FUNC_SPAN);
	if (idx < 0)
		return (int)idx;
	err = attach_usdt(t, pid, first, sk->progs.func_span_begin, idx, pr);
	return err ?: attach_usdt(t, pid, comma + 1, sk->progs.func_span_end, idx, &end);
}

static int func_attach(void *tool, char *how, size_t sz)
{
	struct func_tool *t = tool;
	const struct lt_target *tg = &t->core.c->target;
	unsigned int n = t->o.nspecs + t->o.nspans;
	struct func_probed *pr = calloc(n ?: 1, sizeof(*pr)), one;
	int err = pr ? 0 : -ENOMEM;

	for (unsigned int p = 0; !err && p < tg->npids; p++) {
		for (unsigned int i = 0; !err && i < t->o.nspecs; i++) {
			const char *spec = t->o.specs[i];

			err = !strncmp(spec, "usdt:", 5) ?
				      attach_usdt_spec(t, tg->pids[p], spec, false,
						       p ? &one : &pr[i]) :
				      attach_spec(t, tg->pids[p], spec, p ? &one : &pr[i]);
		}
		for (unsigned int i = 0; !err && i < t->o.nspans; i++)
			err = attach_usdt_spec(t, tg->pids[p], t->o.spans[i], true,
					       p ? &one : &pr[t->o.nspecs + i]);
	}
	if (!err)
		describe(pr, n, t->o.count, how, sz);
	free(pr);
	return err;
}

static void func_destroy(void *tool)
{
	struct func_tool *t = tool;

	lt_links_destroy(t->links, t->nlinks);
	free(t->links);
	t->links = NULL;
	t->nlinks = 0;
	free(t->probes);
	t->probes = NULL;
	free(t->args);
	t->args = NULL;
	t->capargs = 0;
}

/*
 * The called function as the leaf frame under its caller's stack; a USDT
 * probe or a span by its name. --count's function stacks, taken at the
 * entry, end in the function already.
 */
static const char *func_leaf(void *tool, uint64_t aux, const char *const *frames,
			     const uint8_t *kind, uint32_t n)
{
	struct func_tool *t = tool;
	uint32_t i = (uint32_t)aux;

	(void)frames;
	(void)kind;
	(void)n;
	if (i >= t->nprobes)
		return "[unknown probe]";
	if (t->probes[i].kind != FUNC_FUNCTION)
		return t->probes[i].name;
	if (t->o.count)
		return NULL;
	return lt_demangle(t->probes[i].name, t->frame, sizeof(t->frame));
}

/* --arg: the value, as the root frame: a string quoted and escaped, or arg N=V. */
static const char *func_root(void *tool, uint64_t aux)
{
	struct func_tool *t = tool;
	uint32_t id = (uint32_t)(aux >> 32);
	const struct func_arg *a = NULL;
	size_t len = 0;

	if (!id || t->o.arg < 0)
		return NULL;
	a = arg_of(t, id);
	if (!a)
		return "[argument not kept]";
	if (!a->is_str) {
		snprintf(t->frame, sizeof(t->frame), "arg%d=%lld", t->o.arg, (long long)a->v);
		return t->frame;
	}
	t->frame[len++] = '"';
	for (size_t i = 0; i < sizeof(a->s) && a->s[i] && len + 6 < sizeof(t->frame); i++) {
		unsigned char c = (unsigned char)a->s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			len += (size_t)snprintf(t->frame + len, sizeof(t->frame) - len, "\\x%02x",
						c);
		else
			t->frame[len++] = (char)c;
	}
	snprintf(t->frame + len, sizeof(t->frame) - len, "\"");
	return t->frame;
}

/* --arg: the values seen so far, for func_root (read whole each time: ids stay). */
static void read_args(struct func_tool *t)
{
	int fd = bpf_map__fd(skel_of(t)->maps.func_args);
	uint32_t id, *prev = NULL;

	t->nargs = 0;
	while (t->o.arg >= 0 && !bpf_map_get_next_key(fd, prev, &id)) {
		prev = &id;
		if (LT_GROW(t->args, t->nargs, t->capargs, 64))
			break;
		if (!bpf_map_lookup_elem(fd, &id, &t->args[t->nargs].a))
			t->args[t->nargs++].id = id;
	}
}

/* At the end: what could not be timed, and the calls still open (reported apart). */
static int func_tick(void *tool, bool final)
{
	struct func_tool *t = tool;
	int sfd = bpf_map__fd(skel_of(t)->maps.func_stats);
	int tfd = bpf_map__fd(skel_of(t)->maps.func_threads);
	uint64_t st[FUNC_STAT_NR], open = 0, gone = 0, longest = 0, now;
	uint32_t tid, *prev = NULL, ltid = 0, lprobe = 0;
	struct func_thread *ft;

	if (!final)
		return 0;
	read_args(t);
	for (unsigned int i = 0; i < FUNC_STAT_NR; i++)
		st[i] = lt_percpu_sum(sfd, i);
	if (st[FUNC_STAT_SPAN_UNMATCHED])
		lt_info("%llu span ends with no start seen on their thread: not timed",
			(unsigned long long)st[FUNC_STAT_SPAN_UNMATCHED]);
	if (st[FUNC_STAT_ARGS_FULL] || st[FUNC_STAT_SPANS_FULL])
		lt_warn("%llu events shown without their --arg value (more than %d values), %llu "
			"span starts not kept (no room)",
			(unsigned long long)st[FUNC_STAT_ARGS_FULL], FUNC_MAX_ARGS,
			(unsigned long long)st[FUNC_STAT_SPANS_FULL]);
	if (st[FUNC_STAT_DEEP] || st[FUNC_STAT_NO_THREAD])
		lt_warn("%llu calls not timed: %llu nested deeper than %d probed calls, %llu "
			"with no room for their thread's state",
			(unsigned long long)(st[FUNC_STAT_DEEP] + st[FUNC_STAT_NO_THREAD]),
			(unsigned long long)st[FUNC_STAT_DEEP], FUNC_MAX_DEPTH,
			(unsigned long long)st[FUNC_STAT_NO_THREAD]);
	if (st[FUNC_STAT_UNMATCHED])
		lt_info("%llu returns of calls that began before the trace: not timed",
			(unsigned long long)st[FUNC_STAT_UNMATCHED]);
	ft = t->o.count ? NULL : calloc(1, sizeof(*ft));
	if (!ft)
		return 0;
	now = (uint64_t)(lt_mono_s() * 1e9);
	while (!bpf_map_get_next_key(tfd, prev, &tid)) {
		prev = &tid;
		char task[64];

		if (bpf_map_lookup_elem(tfd, &tid, ft))
			continue;
		/* A thread that ended with calls in progress left them for good. */
		snprintf(task, sizeof(task), "/proc/%u/task/%u", ft->tgid, tid);
		if (access(task, F_OK)) {
			gone += ft->depth < FUNC_MAX_DEPTH ? ft->depth : FUNC_MAX_DEPTH;
			continue;
		}
		for (uint32_t d = 0; d < ft->depth && d < FUNC_MAX_DEPTH; d++) {
			uint64_t age = now > ft->f[d].ts ? now - ft->f[d].ts : 0;

			open++;
			if (age > longest) {
				longest = age;
				ltid = tid;
				lprobe = ft->f[d].probe;
			}
		}
	}
	free(ft);
	if (st[FUNC_STAT_ABANDONED] + gone)
		lt_info("%llu calls never returned (longjmp, exceptions, threads that ended in "
			"them): not timed",
			(unsigned long long)(st[FUNC_STAT_ABANDONED] + gone));
	if (open) {
		char v[32];

		lt_format_value(v, sizeof(v), (double)longest, "ns");
		lt_warn("%llu calls still open at the end, not in the profile; the longest: %s "
			"(tid %u), open %s",
			(unsigned long long)open,
			lprobe < t->nprobes ? t->probes[lprobe].name : "?", ltid, v);
	}
	return 0;
}

static const struct lt_mode func_modes[] = {
	{ .unit = "ns",
	  .what = "function latency",
	  .stacks = LT_STACKS_USER,
	  .aux_frame = func_root,
	  .aux_leaf = func_leaf,
	  LT_VARIANTS(variants) },
	/* --count, and USDT probes: hits by the stack there. */
	{ .unit = "calls",
	  .what = "calls",
	  .stacks = LT_STACKS_USER,
	  .aux_frame = func_root,
	  .aux_leaf = func_leaf,
	  LT_VARIANTS(variants) },
};

static void func_defaults(void *opts)
{
	((struct func_opts *)opts)->arg = -1;
}

static unsigned int func_mode(const void *opts)
{
	return ((const struct func_opts *)opts)->count;
}

const struct lt_tool lt_func = {
	.cli = &func_cli,
	.load = { "the func programs", &func_bpf_ops, func_configure },
	.modes = func_modes,
	.mode = func_mode,
	.attach = func_attach,
	.tick = func_tick,
	.destroy = func_destroy,
	.size = sizeof(struct func_tool),
	.opts = offsetof(struct func_tool, o),
	.defaults = func_defaults,
	.inspect = func_inspect,
};
