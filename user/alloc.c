// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof alloc: where a running process allocates, by user stack, from
 * uprobes on the allocator it really uses, found in its /proc/PID/maps
 * through its root (containers): jemalloc, tcmalloc or any library that
 * defines malloc before glibc's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "alloc.h"
#include "bpf_util.h"
#include "elf_file.h"
#include "err.h"
#include "stack_agg.h"
#include "syms.h"
#include "unwind.h"
#include "alloc.skel.h"
#include "session.h"
#include "stacks.h"
#include "tools.h"

#define MAX_LINKS 512

struct alloc_opts {
	unsigned long long sample_rate, min_size, max_size;
	bool value_count;
};

struct alloc_tool {
	struct alloc_opts o;
	const struct lt_common *c;
	struct alloc_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	unsigned int nlinks;
	char allocator[PATH_MAX]; /* the first target's, for the attach line */
	double t_attach;
	bool rate_checked;
};

enum {
	OPT_HOT = LT_OPT_TOOL,
	OPT_VALUE,
	OPT_SAMPLE_RATE,
	OPT_MIN_SIZE,
	OPT_MAX_SIZE,
};

static const struct option alloc_longopts[] = {
	{ "hot", no_argument, NULL, OPT_HOT },
	{ "value", required_argument, NULL, OPT_VALUE },
	{ "sample-rate", required_argument, NULL, OPT_SAMPLE_RATE },
	{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ NULL, 0, NULL, 0 },
};

static int alloc_parse(void *topts, int key, const char *arg)
{
	struct alloc_opts *o = topts;

	switch (key) {
	case OPT_HOT: return 0;
	case OPT_VALUE:
		if (strcmp(arg, "bytes") && strcmp(arg, "count")) {
			lt_err("invalid --value '%s': expected bytes or count", arg);
			return -EINVAL;
		}
		o->value_count = !strcmp(arg, "count");
		return 0;
	case OPT_SAMPLE_RATE:
		return lt_parse_u64(arg, "--sample-rate", 1, 1U << 20, &o->sample_rate);
	case OPT_MIN_SIZE: return lt_parse_u64(arg, "--min-size", 0, ~0ULL, &o->min_size);
	case OPT_MAX_SIZE: return lt_parse_u64(arg, "--max-size", 0, ~0ULL, &o->max_size);
	}
	return -EINVAL;
}

static int alloc_check(void *topts, const struct lt_common *c)
{
	struct alloc_opts *o = topts;

	if (o->min_size > o->max_size) {
		lt_err("--min-size %llu is above --max-size %llu", o->min_size, o->max_size);
		return -EINVAL;
	}
	if (!c->target.npids) {
		lt_err("alloc attaches uprobes to a process's allocator: give it -p PID");
		return -EINVAL;
	}
	return 0;
}

const struct lt_cli_tool alloc_cli = {
	.name = "alloc",
	.summary = "Allocation hot spots of a running process, by stack (uprobes)",
	.synopsis = "-p PID[,PID...] [--hot] [--value bytes|count] [--sample-rate N] [options]",
	.help = "      --hot                   bytes and allocations per stack (the default)\n"
		"      --value bytes|count     what the output's values are (default bytes)\n"
		"      --sample-rate N         record one allocation in N, weighted by N\n"
		"      --min-size BYTES        only allocations of at least BYTES\n"
		"      --max-size BYTES        only allocations of at most BYTES\n",
	.examples = "  latprof alloc -p 4242 -d 10 -f svg -o alloc.svg\n"
		    "  latprof alloc -p 4242 --sample-rate 16 -d 60\n",
	.shortopts = "",
	.longopts = alloc_longopts,
	.parse = alloc_parse,
	.check = alloc_check,
};

/* The allocation functions, and which program reads each one's size. */
static const struct {
	const char *fn;
	int prog; /* 0 malloc-like, 1 calloc, 2 size second, 3 reallocarray, 4 posix_memalign */
	bool cxx; /* operator new: only where the allocator itself defines it */
} fns[] = {
	{ "malloc", 0 },
	{ "calloc", 1 },
	{ "realloc", 2 },
	{ "reallocarray", 3 },
	{ "posix_memalign", 4 },
	{ "aligned_alloc", 2 },
	{ "memalign", 2 },
	{ "valloc", 0 },
	{ "pvalloc", 0 },
	{ "_Znwm", 0, true },
	{ "_Znam", 0, true },
	{ "_ZnwmRKSt9nothrow_t", 0, true },
	{ "_ZnamRKSt9nothrow_t", 0, true },
	{ "_ZnwmSt11align_val_t", 0, true },
	{ "_ZnamSt11align_val_t", 0, true },
};

static struct bpf_program *prog_of(struct alloc_tool *t, int p)
{
	switch (p) {
	case 1: return t->skel->progs.alloc_calloc;
	case 2: return t->skel->progs.alloc_second_arg;
	case 3: return t->skel->progs.alloc_reallocarray;
	case 4: return t->skel->progs.alloc_posix_memalign;
	default: return t->skel->progs.alloc_malloc;
	}
}

/*
 * The file that provides malloc to pid: a library other than libc that
 * defines it (jemalloc, tcmalloc, mimalloc, a preload), else the program
 * itself if it does (static or custom allocators), else libc. Into path, as
 * reachable from here (/proc/PID/root/...). 0 or -ENOENT.
 */
static int find_allocator(uint32_t pid, char *path, size_t sz)
{
	char maps[64], line[4400], cand[PATH_MAX + 64], libc[PATH_MAX + 64] = "",
									exe[PATH_MAX + 64] = "";
	struct lt_mapping m;
	FILE *f;
	int found = 0;

	snprintf(maps, sizeof(maps), "/proc/%u/maps", pid);
	f = fopen(maps, "r");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		struct elf_file *ef;
		const char *base;

		if (!lt_parse_maps_line(line, &m) || !m.exec || m.path[0] != '/')
			continue;
		snprintf(cand, sizeof(cand), "/proc/%u/root%s", pid, m.path);
		if (!strcmp(cand, libc) || !strcmp(cand, exe))
			continue;
		ef = elf_file__open(cand);
		if (!ef)
			continue;
		base = strrchr(m.path, '/') + 1;
		if (elf_file__defines(ef, "malloc")) {
			if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5))
				snprintf(libc, sizeof(libc), "%s", cand);
			else if (!strstr(base, ".so"))
				snprintf(exe, sizeof(exe), "%s", cand);
			else if (strncmp(base, "ld-linux", 8)) /* ld.so's own minimal malloc: no */
				found = snprintf(path, sz, "%s", cand) > 0;
		}
		elf_file__free(ef);
	}
	fclose(f);
	if (!found && (exe[0] || libc[0]))
		found = snprintf(path, sz, "%s", exe[0] ? exe : libc) > 0;
	return found ? 0 : -ENOENT;
}

static int alloc_load(void *tool, const struct lt_common *c)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = lt_btf_custom_path());
	struct alloc_tool *t = tool;
	uint8_t mode = 0;
	int err;

	t->c = c;
	t->skel = alloc_bpf__open_opts(&oo);
	if (!t->skel)
		return -errno;
	t->skel->rodata->want_ustack = !c->kernel_only;
	t->skel->rodata->sample_rate = t->o.sample_rate ? t->o.sample_rate : 1;
	t->skel->rodata->min_size = t->o.min_size;
	t->skel->rodata->max_size = t->o.max_size ? t->o.max_size : ~0ULL;
	t->skel->rodata->value_count = t->o.value_count;
	err = lt_rodata_set(t->skel->obj, "lt_ustack_mode", &mode, sizeof(mode));
	err = err ?: lt_target_set_rodata(&c->target, t->skel->obj);
	err = err ?: lt_stacks_configure(t->skel->obj, &c->stacks);
	err = err ?: alloc_bpf__load(t->skel);
	if (err)
		lt_err("cannot load the alloc BPF program: %s (run with -v for the verifier log)",
		       strerror(-err));
	return err;
}

static struct bpf_object *alloc_object(void *tool)
{
	return ((struct alloc_tool *)tool)->skel->obj;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int alloc_attach(void *tool, char *how, size_t sz)
{
	struct alloc_tool *t = tool;
	const struct lt_target *tg = &t->c->target;
	unsigned int fns_n = 0;

	for (unsigned int i = 0; i < tg->npids; i++) {
		char path[PATH_MAX];
		struct elf_file *ef;
		int err = find_allocator(tg->pids[i], path, sizeof(path));

		if (err) {
			lt_err("cannot find the allocator of pid %u: %s", tg->pids[i],
			       err == -ENOENT ? "no mapped file defines malloc" : strerror(-err));
			return err;
		}
		if (!i)
			snprintf(t->allocator, sizeof(t->allocator), "%s", path);
		ef = elf_file__open(path);
		for (size_t f = 0; ef && f < sizeof(fns) / sizeof(fns[0]); f++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = fns[f].fn);
			struct bpf_link *l;

			if (!elf_file__defines(ef, fns[f].fn) || t->nlinks == MAX_LINKS)
				continue;
			l = bpf_program__attach_uprobe_opts(prog_of(t, fns[f].prog),
							    (pid_t)tg->pids[i], path, 0, &uo);
			if (!l) {
				err = -errno;
				elf_file__free(ef);
				lt_err("cannot attach a uprobe to %s in '%s' for pid %u: %s",
				       fns[f].fn, path, tg->pids[i], strerror(-err));
				return err;
			}
			t->links[t->nlinks++] = l;
			fns_n += !i;
		}
		elf_file__free(ef);
	}
	snprintf(how, sz, "uprobes on %u allocation functions in %s", fns_n,
		 strchr(t->allocator + 6, '/') ? strchr(strchr(t->allocator + 6, '/') + 1, '/') :
						 t->allocator);
	lt_info("attached: %s", how);
	t->t_attach = mono_s();
	return 0;
}

/* One warning, a second in: uprobes cost a trap per call. */
static int alloc_tick(void *tool, bool final)
{
	struct alloc_tool *t = tool;
	double el = mono_s() - t->t_attach;
	int fd;
	uint64_t calls;

	if (t->rate_checked || el < 1.0 || final)
		return 0;
	t->rate_checked = true;
	fd = bpf_map__fd(t->skel->maps.alloc_stats);
	calls = lt_percpu_sum(fd, ALLOC_STAT_CALLS);
	if ((double)calls / el > 100000)
		lt_warn("the target calls its allocator %.0f times a second: each call now costs a "
			"uprobe trap (about 1-2 us); --sample-rate does not avoid the trap",
			(double)calls / el);
	return 0;
}

static void alloc_destroy(void *tool)
{
	struct alloc_tool *t = tool;

	for (unsigned int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	alloc_bpf__destroy(t->skel);
	t->skel = NULL;
}

static const struct lt_tool_ops alloc_ops = {
	.name = "alloc",
	.unit = "bytes",
	.what = "allocated bytes",
	.load = alloc_load,
	.object = alloc_object,
	.attach = alloc_attach,
	.tick = alloc_tick,
	.destroy = alloc_destroy,
};

static const struct lt_tool_ops alloc_count_ops = {
	.name = "alloc",
	.unit = "allocations",
	.what = "allocations",
	.load = alloc_load,
	.object = alloc_object,
	.attach = alloc_attach,
	.tick = alloc_tick,
	.destroy = alloc_destroy,
};

int alloc_main(int argc, char **argv)
{
	struct alloc_tool t = { 0 };
	struct lt_common c;
	int err = lt_cli_parse(argc, argv, &alloc_cli, &c, &t.o);

	if (err)
		return err > 0 ? LT_EXIT_OK : LT_EXIT_USAGE;
	lt_set_verbose(c.verbose);
	/* The caller's user stack: the kernel is not involved in malloc. */
	c.user_only = true;
	c.kernel_only = false;
	return lt_session_run(t.o.value_count ? &alloc_count_ops : &alloc_ops, &t, &c);
}
