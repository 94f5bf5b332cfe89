// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof alloc: where a running process allocates, by user stack, from
 * uprobes on the allocator it really uses, found in its /proc/PID/maps
 * through its root (containers): jemalloc, tcmalloc or any library that
 * defines malloc before glibc's.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "alloc.h"
#include "bpf_util.h"
#include "safeopen.h"
#include "elf_file.h"
#include "err.h"
#include "hist.h"
#include "output.h"
#include "stack_agg.h"
#include "syms.h"
#include "unwind.h"
#include "alloc.skel.h"
#include "loader.h"
#include "session.h"
#include "stacks.h"
#include "tools.h"

#define MAX_LINKS 512
#define NFNS 22 /* entries of fns[] */

struct alloc_opts {
	unsigned long long sample_rate, min_size, max_size;
	unsigned long long min_age_ms; /* --leaks --min-age */
	unsigned long long burst_ms; /* the uprobes' time attached in each burst */
	unsigned long long duty_pct; /* at most this share of the time attached */
	double leak_interval; /* --leaks -i: seconds between outstanding totals */
	bool value_count;
	bool leaks;
	bool every_call; /* --every-call (and --leaks): attached all along */
	bool kernel; /* --kernel: kmem tracepoints */
	bool faults; /* --faults: page_fault_user */
};

/* One target's allocator: where its functions are, for each attach. */
struct alloc_target {
	uint32_t pid;
	bool gone; /* exited: no more bursts */
	char path[96]; /* "/proc/PID/map_files/START-END": the mapped inode itself */
	unsigned int n, nret;
	uint64_t off[NFNS], cookie[NFNS]; /* entries (free-like ones under --leaks) */
	uint64_t roff[NFNS], rcookie[NFNS]; /* --leaks: the allocating ones' returns */
};

/* CPU time of the targets (clock ticks, all their threads) at a moment. */
struct alloc_cpu {
	double t;
	unsigned long long ut, st;
};

/* CPU time and wall time of the targets with the uprobes attached (on) and not (off). */
struct alloc_cpu_split {
	double t_on, t_off;
	unsigned long long ut_on, st_on, ut_off, st_off;
	unsigned long long ut_life, st_life; /* the targets' lives before latprof started */
};

struct alloc_tool {
	struct lt_tool_core core; /* core.skel: struct alloc_bpf */
	struct alloc_opts o;
	struct alloc_target *tg;
	unsigned int ntg;
	bool multi; /* uprobe_multi links (6.6+), else perf-event uprobes */
	/* What is attached now: uprobe_multi link fds, or perf-event links. */
	int fds[2 * LT_TARGET_MAX];
	unsigned int nfds;
	struct bpf_link *links[MAX_LINKS];
	unsigned int nlinks;
	unsigned int fns_n; /* functions probed in the first target's allocator */
	char allocator[PATH_MAX]; /* the first target's, for the attach line */
	double t_attach, next_iv, t_start;
	bool rate_checked;
	/* Bursts: a thread attaches and detaches; the main loop stops it at the end. */
	pthread_t burster;
	bool burster_on, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned int bursts, burst_errors;
	double probed_s; /* the bursts' time attached, from attach's return to detach's */
	struct alloc_cpu cpu_last; /* at the last switch between on and off */
	struct alloc_cpu_split cpu;
};

enum {
	OPT_HOT = LT_OPT_TOOL,
	OPT_VALUE,
	OPT_SAMPLE_RATE,
	OPT_MIN_SIZE,
	OPT_MAX_SIZE,
	OPT_LEAKS,
	OPT_MIN_AGE,
	OPT_KERNEL,
	OPT_FAULTS,
	OPT_EVERY_CALL,
	OPT_BURST,
	OPT_DUTY,
};

static const struct option alloc_longopts[] = {
	{ "hot", no_argument, NULL, OPT_HOT },
	{ "value", required_argument, NULL, OPT_VALUE },
	{ "sample-rate", required_argument, NULL, OPT_SAMPLE_RATE },
	{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "leaks", no_argument, NULL, OPT_LEAKS },
	{ "kernel", no_argument, NULL, OPT_KERNEL },
	{ "faults", no_argument, NULL, OPT_FAULTS },
	{ "min-age", required_argument, NULL, OPT_MIN_AGE },
	{ "every-call", no_argument, NULL, OPT_EVERY_CALL },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "duty", required_argument, NULL, OPT_DUTY },
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
	case OPT_LEAKS: o->leaks = true; return 0;
	case OPT_KERNEL: o->kernel = true; return 0;
	case OPT_FAULTS: o->faults = true; return 0;
	case OPT_MIN_AGE: return lt_parse_u64(arg, "--min-age", 0, ~0ULL / 1000000, &o->min_age_ms);
	case OPT_EVERY_CALL: o->every_call = true; return 0;
	case OPT_BURST: return lt_parse_u64(arg, "--burst", 1, 10000, &o->burst_ms);
	case OPT_DUTY: return lt_parse_u64(arg, "--duty", 1, 50, &o->duty_pct);
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
	if (o->kernel + o->faults > 1 || (o->leaks && o->faults)) {
		lt_err("--kernel and --faults are different views (--leaks goes with the default "
		       "or --kernel): choose one");
		return -EINVAL;
	}
	/* --kernel and --faults are tracepoints: system-wide or any target. */
	if (!o->kernel && !o->faults && !c->target.npids) {
		lt_err("alloc attaches uprobes to a process's allocator: give it -p PID");
		return -EINVAL;
	}
	if ((o->kernel || o->faults) && (o->every_call || o->burst_ms || o->duty_pct)) {
		lt_err("--every-call, --burst and --duty choose how the uprobes are attached: "
		       "--kernel and --faults use tracepoints");
		return -EINVAL;
	}
	if (o->leaks && (o->burst_ms || o->duty_pct)) {
		lt_err("--leaks must see every allocation and every free: it takes no --burst "
		       "or --duty");
		return -EINVAL;
	}
	if (o->every_call && (o->burst_ms || o->duty_pct)) {
		lt_err("--every-call keeps the uprobes attached: --burst and --duty are for the "
		       "default (bursts)");
		return -EINVAL;
	}
	/* --leaks -i: outstanding totals over time (alloc_tick), not stacks per interval. */
	if (o->leaks)
		o->leak_interval = c->interval;
	o->every_call |= o->leaks;
	if (!o->burst_ms)
		o->burst_ms = 10;
	if (!o->duty_pct)
		o->duty_pct = 3;
	return 0;
}

const struct lt_cli_tool alloc_cli = {
	.name = "alloc",
	.summary = "Allocation hot spots of a running process, by stack (uprobes)",
	.synopsis = "-p PID[,PID...] [--hot] [--value bytes|count] [--every-call] [options]",
	.help = "      --hot                   bytes and allocations per stack (the default),\n"
		"                              sampled in bursts: the uprobes are attached for\n"
		"                              --burst ms at a time, at most --duty % of the time\n"
		"                              (attaching and detaching counted), so calls trap\n"
		"                              only then; values are the bytes seen while attached\n"
		"      --burst MS              the uprobes' time attached in a burst (default 10)\n"
		"      --duty PERCENT          the most of the time the uprobes are attached,\n"
		"                              attaching and detaching included (default 3)\n"
		"      --every-call            the uprobes attached all along: exact counts, but\n"
		"                              every allocation call pays a uprobe trap (1-10 us;\n"
		"                              a malloc-heavy server can run 5-10x slower)\n"
		"      --value bytes|count     what the output's values are (default bytes)\n"
		"      --sample-rate N         record one allocation in N, weighted by N\n"
		"      --min-size BYTES        only allocations of at least BYTES\n"
		"      --max-size BYTES        only allocations of at most BYTES\n"
		"      --leaks                 allocations still not freed at the end, per stack\n"
		"                              (with -i: bytes outstanding at each interval);\n"
		"                              sees every call, so pays a trap per call too\n"
		"      --min-age MS            --leaks: only allocations at least MS old\n"
		"      --kernel                kernel allocations (kmalloc, kmem_cache, pages) by\n"
		"                              kernel and user stack, system-wide or for targets\n"
		"      --faults                user page faults by user stack (where RSS grows)\n",
	.examples = "  latprof alloc -p 4242 -d 30 -f svg -o alloc.svg\n"
		    "  latprof alloc -p 4242 --every-call --value count -d 5\n",
	.shortopts = "",
	.longopts = alloc_longopts,
	.parse = alloc_parse,
	.check = alloc_check,
};

/* The allocation functions, and where each one's size is (alloc_entry's cookie). */
static const struct {
	const char *fn;
	enum alloc_fn kind;
} fns[NFNS] = {
	{ "malloc", ALLOC_FN_MALLOC },
	{ "calloc", ALLOC_FN_CALLOC },
	{ "realloc", ALLOC_FN_REALLOC },
	{ "reallocarray", ALLOC_FN_REALLOCARRAY },
	{ "posix_memalign", ALLOC_FN_POSIX_MEMALIGN },
	{ "aligned_alloc", ALLOC_FN_SIZE_SECOND },
	{ "memalign", ALLOC_FN_SIZE_SECOND },
	{ "valloc", ALLOC_FN_MALLOC },
	{ "pvalloc", ALLOC_FN_MALLOC },
	/* operator new and delete: where the allocator itself defines them */
	{ "_Znwm", ALLOC_FN_MALLOC },
	{ "_Znam", ALLOC_FN_MALLOC },
	{ "_ZnwmRKSt9nothrow_t", ALLOC_FN_MALLOC },
	{ "_ZnamRKSt9nothrow_t", ALLOC_FN_MALLOC },
	{ "_ZnwmSt11align_val_t", ALLOC_FN_MALLOC },
	{ "_ZnamSt11align_val_t", ALLOC_FN_MALLOC },
	{ "free", ALLOC_FN_FREE },
	{ "_ZdlPv", ALLOC_FN_FREE },
	{ "_ZdaPv", ALLOC_FN_FREE },
	{ "_ZdlPvm", ALLOC_FN_FREE },
	{ "_ZdaPvm", ALLOC_FN_FREE },
	{ "_ZdlPvSt11align_val_t", ALLOC_FN_FREE },
	{ "_ZdaPvSt11align_val_t", ALLOC_FN_FREE },
};

static struct alloc_bpf *skel_of(const struct alloc_tool *t)
{
	return t->core.skel;
}

/* find_allocator()'s search through pid's mappings. */
struct alloc_search {
	uint32_t pid;
	/* The mapped files (map_files links) and their paths: libc, the program, another. */
	char libc[96], exe[96], other[96]; /* "/proc/PID/map_files/START-END" */
	char libc_name[PATH_MAX], exe_name[PATH_MAX], other_name[PATH_MAX];
};

static int allocator_of(const struct lt_mapping *m, void *ctx)
{
	struct alloc_search *a = ctx;
	struct lt_open_how how = { .magic = true, .max_size = LT_ELF_MAX_SIZE };
	char cand[96];
	struct elf_file *ef;
	const char *base = strrchr(m->path, '/');

	if (m->path[0] != '/' || !base)
		return 0;
	base++;
	/*
	 * The mapped file itself, through the kernel's own link: a path under
	 * /proc/PID/root could be a symlink the process planted.
	 */
	snprintf(cand, sizeof(cand), "/proc/%u/map_files/%llx-%llx", a->pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	if (!strcmp(cand, a->libc) || !strcmp(cand, a->exe))
		return 0;
	ef = elf_file__open_fd(lt_open(cand, &how, NULL));
	if (!ef)
		return 0;
	if (elf_file__defines(ef, "malloc")) {
		if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5)) {
			snprintf(a->libc, sizeof(a->libc), "%s", cand);
			snprintf(a->libc_name, sizeof(a->libc_name), "%s", m->path);
		} else if (!strstr(base, ".so")) {
			snprintf(a->exe, sizeof(a->exe), "%s", cand);
			snprintf(a->exe_name, sizeof(a->exe_name), "%s", m->path);
		} else if (strncmp(base, "ld-linux", 8)) { /* ld.so's own minimal malloc: no */
			snprintf(a->other, sizeof(a->other), "%s", cand);
			snprintf(a->other_name, sizeof(a->other_name), "%s", m->path);
		}
	}
	elf_file__free(ef);
	return a->other[0] ? 1 : 0; /* a library of its own: that one */
}

/*
 * The file that provides malloc to pid: a library other than libc that
 * defines it (jemalloc, tcmalloc, mimalloc, a preload), else the program
 * itself if it does (static or custom allocators), else libc. Into path, the
 * mapped file as the kernel links it (/proc/PID/map_files/START-END: uprobes
 * land on the very inode mapped, whatever its path now names); into name, its
 * path as the process sees it. 0 or -ENOENT.
 */
static int find_allocator(uint32_t pid, char *path, size_t sz, char *name, size_t namesz)
{
	struct alloc_search *a = calloc(1, sizeof(*a));
	const char *file, *file_name;
	int err;

	if (!a)
		return -ENOMEM;
	a->pid = pid;
	err = lt_procmaps_read(pid, allocator_of, a);
	file = a->other[0] ? a->other : a->exe[0] ? a->exe : a->libc;
	file_name = a->other[0] ? a->other_name : a->exe[0] ? a->exe_name : a->libc_name;
	if (err >= 0)
		err = file[0] ? 0 : -ENOENT;
	snprintf(path, sz, "%s", file);
	snprintf(name, namesz, "%s", file_name);
	free(a);
	return err;
}

LT_SKEL_OPS(alloc_bpf);

/*
 * With the per-thread stack cache (task storage), else without it: kernels
 * before 6.2 refuse task storage in uprobe and tracepoint programs.
 */
static const struct lt_variant variants[] = {
	{ "stack-cache", NULL, "with the stack cache", 1 },
	{ "no-stack-cache", NULL, "without the stack cache", 0 },
};

/* The programs of the mode: uprobes (the default), or tracepoints (--kernel, --faults). */
static void cpu_read(const struct alloc_tool *t, struct alloc_cpu *c);

static int alloc_configure(void *tool, void *skel, const struct lt_variant *v)
{
	struct alloc_tool *t = tool;
	struct alloc_bpf *sk = skel;
	bool user = !t->o.kernel && !t->o.faults;
	struct bpf_program *const kernel[] = { sk->progs.alloc_kmalloc, sk->progs.alloc_kmem_cache,
					       sk->progs.alloc_pages };
	struct bpf_program *const kfree[] = { sk->progs.alloc_kfree,
					      sk->progs.alloc_kmem_cache_free,
					      sk->progs.alloc_page_free };
	struct bpf_program *const uprobes[] = { sk->progs.alloc_entry, sk->progs.alloc_ret_probe };
	struct bpf_program *const sys[] = { sk->progs.alloc_mmap_enter, sk->progs.alloc_mmap_exit,
					    sk->progs.alloc_munmap, sk->progs.alloc_mremap,
					    sk->progs.alloc_brk };

	LT_AUTOLOAD(kernel, t->o.kernel);
	LT_AUTOLOAD(kfree, t->o.kernel && t->o.leaks);
	bpf_program__set_autoload(sk->progs.alloc_fault, t->o.faults);
	LT_AUTOLOAD(uprobes, user);
	bpf_program__set_autoload(sk->progs.alloc_ret_probe, user && t->o.leaks);
	LT_AUTOLOAD(sys, user);
	/*
	 * uprobe_multi where the kernel has it: a burst attaches and detaches
	 * every function at once. A program loaded for it attaches no other way.
	 */
	t->multi = user && lt_have_uprobe_multi() && !getenv("LATPROF_NO_UPROBE_MULTI");
	for (size_t i = 0; t->multi && i < sizeof(uprobes) / sizeof(uprobes[0]); i++)
		bpf_program__set_expected_attach_type(
			uprobes[i], (enum bpf_attach_type)LT_BPF_TRACE_UPROBE_MULTI);
	sk->rodata->sample_rate = t->o.sample_rate ? t->o.sample_rate : 1;
	sk->rodata->min_size = t->o.min_size;
	sk->rodata->max_size = t->o.max_size ? t->o.max_size : ~0ULL;
	sk->rodata->value_count = t->o.value_count;
	sk->rodata->leak_mode = t->o.leaks;
	sk->rodata->lt_sc_task_on = (uint8_t)v->arg;
	/* From here to the attach, the targets run untraced: estimate()'s off side. */
	if (user) {
		cpu_read(t, &t->cpu_last);
		t->cpu.ut_life = t->cpu_last.ut;
		t->cpu.st_life = t->cpu_last.st;
	}
	return 0;
}

/* The functions of fns[] that f's file defines, placed (file offsets), into t. */
struct fn_find {
	struct alloc_target *t;
	struct elf_file *ef;
	bool leaks;
	bool found[NFNS];
};

static int fn_found(const char *name, uint64_t vaddr, uint64_t size, void *ctx)
{
	struct fn_find *f = ctx;
	struct alloc_target *t = f->t;
	uint64_t off;

	(void)size;
	for (unsigned int i = 0; i < NFNS; i++) {
		size_t len = strlen(fns[i].fn);

		if (f->found[i] || strncmp(name, fns[i].fn, len) || (name[len] && name[len] != '@'))
			continue;
		f->found[i] = true;
		if ((fns[i].kind == ALLOC_FN_FREE && !f->leaks) ||
		    elf_file__vaddr_to_off(f->ef, vaddr, &off))
			return 0;
		t->off[t->n] = off;
		t->cookie[t->n++] = fns[i].kind;
		if (f->leaks && fns[i].kind != ALLOC_FN_FREE) {
			t->roff[t->nret] = off;
			t->rcookie[t->nret++] = fns[i].kind;
		}
		return 0;
	}
	return 0;
}

/* Where pid's allocator is, and its functions in it, into t. 0 or -errno (said). */
static int target_resolve(struct alloc_tool *tool, uint32_t pid, struct alloc_target *t)
{
	struct lt_open_how how = { .magic = true, .max_size = LT_ELF_MAX_SIZE };
	char name[PATH_MAX];
	struct fn_find f = { .t = t, .leaks = tool->o.leaks };
	int err = find_allocator(pid, t->path, sizeof(t->path), name, sizeof(name));

	t->pid = pid;
	if (err) {
		lt_err("cannot find the allocator of pid %u: %s", pid,
		       err == -ENOENT ? "no mapped file defines malloc" : strerror(-err));
		return err;
	}
	if (!tool->allocator[0])
		snprintf(tool->allocator, sizeof(tool->allocator), "%s", name);
	f.ef = elf_file__open_fd(lt_open(t->path, &how, NULL));
	if (!f.ef) {
		lt_err("cannot read the allocator of pid %u, '%s'", pid, name);
		return -ENOEXEC;
	}
	err = elf_file__foreach_func(f.ef, fn_found, &f);
	elf_file__free(f.ef);
	if (err < 0 || !t->n) {
		lt_err("cannot place the allocation functions in '%s' (pid %u)", name, pid);
		return err < 0 ? err : -ENOENT;
	}
	return 0;
}

/* The uprobes of target t on: one uprobe_multi link (two with returns), or a perf link each. */
static int target_attach(struct alloc_tool *t, struct alloc_target *tg)
{
	struct alloc_bpf *sk = skel_of(t);

	for (int ret = 0; ret <= t->o.leaks; ret++) {
		struct bpf_program *prog = ret ? sk->progs.alloc_ret_probe : sk->progs.alloc_entry;
		const uint64_t *off = ret ? tg->roff : tg->off,
			       *ck = ret ? tg->rcookie : tg->cookie;
		unsigned int n = ret ? tg->nret : tg->n;

		if (!n)
			continue;
		if (t->multi) {
			int fd = lt_uprobe_multi_attach(bpf_program__fd(prog), tg->path, off, ck, n,
							tg->pid, ret);

			if (fd < 0)
				return fd;
			t->fds[t->nfds++] = fd;
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = ck[i], .retprobe = ret);
			struct bpf_link *l;

			if (t->nlinks >= MAX_LINKS)
				return -E2BIG;
			l = bpf_program__attach_uprobe_opts(prog, (pid_t)tg->pid, tg->path, off[i],
							    &uo);
			if (!l)
				return -errno;
			t->links[t->nlinks++] = l;
		}
	}
	return 0;
}

/* Every uprobe off, and the syscalls' samples with them. */
static void detach_all(struct alloc_tool *t)
{
	skel_of(t)->bss->alloc_on = 0;
	/* One after another: each uprobe_multi link waits one grace period (~27 ms). */
	for (unsigned int i = 0; i < t->nfds; i++)
		close(t->fds[i]);
	t->nfds = 0;
	lt_links_destroy(t->links, t->nlinks);
	t->nlinks = 0;
}

/*
 * Attach every target still running. A target that exited meanwhile is
 * dropped; 0 if any is attached, else the last error (-ESRCH: all gone).
 */
static int attach_all(struct alloc_tool *t)
{
	int err = -ESRCH, any = 0;

	skel_of(t)->bss->alloc_on = 1;
	for (unsigned int i = 0; i < t->ntg; i++) {
		int e;

		if (t->tg[i].gone)
			continue;
		e = target_attach(t, &t->tg[i]);
		if (!e) {
			any = 1;
			continue;
		}
		/* Gone: not attached again; else its allocator unmapped, or worse. */
		if (kill((pid_t)t->tg[i].pid, 0) && errno == ESRCH)
			t->tg[i].gone = true;
		else
			err = e;
	}
	return any ? 0 : err;
}

/* The targets' CPU time now: utime and stime of /proc/PID/stat, in ticks. */
static void cpu_read(const struct alloc_tool *t, struct alloc_cpu *c)
{
	const struct lt_target *tg = &t->core.c->target;

	c->t = lt_mono_s();
	c->ut = c->st = 0;
	for (unsigned int i = 0; i < tg->npids; i++) {
		char buf[1024];
		unsigned long long ut, st;
		int err;
		const char *p = lt_proc_stat(tg->pids[i], buf, sizeof(buf), &err);

		/* From the state, field 3: utime and stime are fields 14 and 15. */
		if (p && sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
				&st) == 2) {
			c->ut += ut;
			c->st += st;
		}
	}
}

/* The time from the last switch to now goes to the on or the off side. */
static void cpu_switch(struct alloc_tool *t, bool was_on)
{
	struct alloc_cpu now;
	struct alloc_cpu_split *s = &t->cpu;

	cpu_read(t, &now);
	/* A target that exited takes its ticks out of the sum: that interval is lost. */
	if (now.ut >= t->cpu_last.ut && now.st >= t->cpu_last.st) {
		*(was_on ? &s->t_on : &s->t_off) += now.t - t->cpu_last.t;
		*(was_on ? &s->ut_on : &s->ut_off) += now.ut - t->cpu_last.ut;
		*(was_on ? &s->st_on : &s->st_off) += now.st - t->cpu_last.st;
	}
	t->cpu_last = now;
}

/*
 * What the uprobes cost the targets, from their CPU time: with the probes
 * off they spend st/ut system time per user time; with them on, the system
 * time beyond that ratio is the traps. From it, the cost of one trap, and the
 * calls a second the targets would make untraced: calls per CPU second of
 * their own work, times their CPU use with the probes off. The ratio comes
 * from the time off (between bursts, or from latprof's start to the attach),
 * else from the targets' lives before latprof (when they were idle until the
 * attach); the untraced rate needs the time off. false when there is too
 * little CPU time to tell.
 */
struct alloc_estimate {
	double trap_us; /* one call's trap, with the BPF program */
	double trap_share; /* of the targets' CPU time while attached */
	double rate_on; /* calls a second while attached */
	double rate_untraced; /* calls a second, estimated, without the probes; 0: unknown */
};

static bool estimate(const struct alloc_cpu_split *s, uint64_t calls, struct alloc_estimate *e)
{
	double tick = 1.0 / (double)sysconf(_SC_CLK_TCK), ratio, trap, work;
	/* Ticks are 1-10 ms: below about 25 on a side, the ratio is noise. */
	bool off = s->ut_off >= 25;

	memset(e, 0, sizeof(*e));
	if ((!off && s->ut_life < 25) || s->ut_on + s->st_on < 25 || s->t_on <= 0 || !calls)
		return false;
	ratio = off ? (double)s->st_off / (double)s->ut_off :
		      (double)s->st_life / (double)s->ut_life;
	trap = (double)s->st_on - (double)s->ut_on * ratio;
	if (trap < 0)
		trap = 0;
	work = (double)s->ut_on * (1 + ratio);
	e->trap_us = trap * tick / (double)calls * 1e6;
	e->trap_share = trap / (double)(s->ut_on + s->st_on);
	e->rate_on = (double)calls / s->t_on;
	/* Almost no time of their own while attached: no rate to scale (the share holds). */
	if (off && s->ut_on >= 5 && s->t_off > 0)
		e->rate_untraced = (double)calls / (work * tick) *
				   ((double)(s->ut_off + s->st_off) * tick / s->t_off);
	return true;
}

static uint64_t calls_seen(const struct alloc_tool *t)
{
	return lt_percpu_sum(bpf_map__fd(skel_of(t)->maps.alloc_stats), ALLOC_STAT_CALLS);
}

/* Sleep until `until` (CLOCK_MONOTONIC s) or the stop; true on the stop. */
static bool burst_wait(struct alloc_tool *t, double until)
{
	struct timespec ts = { .tv_sec = (time_t)until,
			       .tv_nsec = (long)((until - (double)(time_t)until) * 1e9) };
	bool stop;

	pthread_mutex_lock(&t->mu);
	while (!t->stop && lt_mono_s() < until)
		if (pthread_cond_timedwait(&t->cv, &t->mu, &ts) == ETIMEDOUT)
			break;
	stop = t->stop;
	pthread_mutex_unlock(&t->mu);
	return stop;
}

/*
 * The bursts. Attached for --burst ms, then off long enough that attaching,
 * the burst and detaching together take at most --duty of the time: each
 * attach and detach waits for RCU grace periods (with uprobe_multi about 13
 * and 27 ms on 6.18), some of it with the breakpoints in place. The gap is
 * jittered (0.5-1.5x), so no burst keeps step with a periodic workload.
 */
static void *burster(void *arg)
{
	struct alloc_tool *t = arg;
	double burst = (double)t->o.burst_ms / 1000, duty = (double)t->o.duty_pct / 100;
	double t_up = t->t_attach, t_begin = t->t_start;
	bool attached = true; /* the first burst: attached by alloc_attach */

	for (;;) {
		double t_done = lt_mono_s(), gap;
		int err;

		if (attached) {
			double t_down;

			if (burst_wait(t, t_up + burst))
				break;
			t_down = lt_mono_s();
			detach_all(t);
			t_done = lt_mono_s();
			cpu_switch(t, true);
			t->probed_s += t_down - t_up;
			t->bursts++;
		}
		/* From the start of the attach to the end of the detach: duty of the cycle. */
		gap = (t_done - t_begin) / duty - (t_done - t_begin);
		gap *= 0.5 + (double)(rand() % 1000) / 1000;
		if (burst_wait(t, t_done + gap))
			return NULL;
		t_begin = lt_mono_s();
		cpu_switch(t, false);
		err = attach_all(t);
		attached = !err;
		if (err) {
			detach_all(t); /* what part of it did attach */
			/* Every target gone: the main loop ends the trace. */
			if (err != -ESRCH)
				t->burst_errors++;
		}
		t_up = lt_mono_s();
	}
	/* Stopped while attached: the main thread detaches (alloc_stop). */
	t->probed_s += lt_mono_s() - t_up;
	t->bursts++;
	return NULL;
}

static int alloc_attach(void *tool, char *how, size_t sz)
{
	struct alloc_tool *t = tool;
	const struct lt_target *tg = &t->core.c->target;
	int err;

	t->t_attach = lt_mono_s();
	/* The core attached the tracepoints; the uprobes are per target. */
	if (t->o.kernel || t->o.faults) {
		snprintf(how, sz, "%s",
			 t->o.kernel ? "kmem:kmalloc, kmem:kmem_cache_alloc, "
				       "kmem:mm_page_alloc tracepoints" :
				       "exceptions:page_fault_user tracepoint");
		return 0;
	}
	t->tg = calloc(tg->npids, sizeof(*t->tg));
	if (!t->tg)
		return -ENOMEM;
	for (unsigned int i = 0; i < tg->npids; i++) {
		if ((err = target_resolve(t, tg->pids[i], &t->tg[i])))
			return err;
		t->ntg++;
	}
	t->fns_n = t->tg[0].n;
	/*
	 * Before attaching: the targets' CPU time untraced, since latprof
	 * started. --every-call has no other untraced time: at least 0.3 s of it
	 * (75 ticks at 250 Hz), so its traps' cost can be told (check_rate).
	 */
	if (t->o.every_call && lt_mono_s() - t->cpu_last.t < 0.3)
		usleep((useconds_t)((0.3 - (lt_mono_s() - t->cpu_last.t)) * 1e6));
	cpu_switch(t, false);
	t->t_start = lt_mono_s();
	skel_of(t)->bss->alloc_on = 1;
	for (unsigned int i = 0; i < t->ntg; i++) {
		err = target_attach(t, &t->tg[i]);
		if (err) {
			lt_err("cannot attach uprobes to the allocator of pid %u ('%s'): %s",
			       t->tg[i].pid, t->tg[i].path, strerror(-err));
			return err;
		}
	}
	t->t_attach = lt_mono_s();
	if (t->o.every_call) {
		snprintf(how, sz, "uprobes on %u allocation functions in %s, on every call (%s)",
			 t->fns_n, t->allocator, t->multi ? "uprobe_multi" : "perf-event uprobes");
		return 0;
	}
	pthread_mutex_init(&t->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&t->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	srand((unsigned int)(t->t_attach * 1e6));
	err = pthread_create(&t->burster, NULL, burster, t);
	if (err) {
		lt_err("cannot start the burst thread: %s", strerror(err));
		return -err;
	}
	t->burster_on = true;
	snprintf(how, sz,
		 "uprobes on %u allocation functions in %s, in bursts of %llu ms, at most %llu%% "
		 "of the time (%s)",
		 t->fns_n, t->allocator, t->o.burst_ms, t->o.duty_pct,
		 t->multi ? "uprobe_multi" : "perf-event uprobes");
	return 0;
}

/* The uprobes off for good, before the maps are read: the window ends here. */
static void alloc_stop(struct alloc_tool *t)
{
	if (t->burster_on) {
		pthread_mutex_lock(&t->mu);
		t->stop = true;
		pthread_cond_signal(&t->cv);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->burster, NULL);
		t->burster_on = false;
	}
	if (t->nfds || t->nlinks) {
		t->core.t_end = lt_mono_s();
		detach_all(t);
		lt_info("detached the uprobes in %.2f s", lt_mono_s() - t->core.t_end);
		if (t->o.every_call)
			t->probed_s = t->core.t_end - t->t_attach;
		cpu_switch(t, true);
	} else if (t->ntg) {
		cpu_switch(t, false); /* the last gap between bursts */
	}
}

/*
 * --leaks at the end: the allocations still live and at least --min-age old,
 * added per thread and stack into the shared map, so every output format
 * shows them as it shows --hot.
 */
static int add_leaks(struct alloc_tool *t)
{
	int live = bpf_map__fd(skel_of(t)->maps.alloc_live);
	/* Ages at the end of the window (the detach), not at this read after it. */
	double end = t->core.t_end > 0 ? t->core.t_end : lt_mono_s();
	uint64_t addr, *prev = NULL, now_ns = (uint64_t)(end * 1e9);
	uint64_t min_age = t->o.min_age_ms * 1000000ULL;
	struct alloc_live l;
	int err;

	while (!bpf_map_get_next_key(live, prev, &addr)) {
		struct lt_stack_key k = { 0 };
		uint64_t w;

		prev = &addr;
		if (bpf_map_lookup_elem(live, &addr, &l) || now_ns - l.ts_ns < min_age)
			continue;
		w = l.weight ? l.weight : 1;
		k.ustack = l.ustack;
		k.kstack = l.kstack;
		k.aux = l.kind;
		k.tgid = l.tgid;
		k.pid = l.pid;
		memcpy(k.comm, l.comm, sizeof(k.comm));
		err = lt_stacks_add(skel_of(t)->obj, &k, (t->o.value_count ? 1 : l.size) * w, w,
				    l.size);
		if (err) {
			lt_warn("cannot record all leaks: %s", strerror(-err));
			break;
		}
	}
	return 0;
}

/* --leaks -i: bytes still allocated, at each interval. */
static void print_outstanding(struct alloc_tool *t)
{
	int live = bpf_map__fd(skel_of(t)->maps.alloc_live);
	uint64_t addr, *prev = NULL, bytes = 0, n = 0;
	struct alloc_live l;
	char v[48];

	while (!bpf_map_get_next_key(live, prev, &addr)) {
		prev = &addr;
		if (!bpf_map_lookup_elem(live, &addr, &l)) {
			bytes += l.size * (l.weight ? l.weight : 1);
			n += l.weight ? l.weight : 1;
		}
	}
	lt_format_value(v, sizeof(v), (double)bytes, "bytes");
	fprintf(stderr, "latprof alloc: %.1f s: %s outstanding in %llu allocations\n",
		lt_mono_s() - t->t_attach, v, (unsigned long long)n);
}

/*
 * --every-call, a second in: when the traps cost the targets much, say so,
 * with what they cost (estimate()); the rate seen while traced alone says
 * nothing (the trap caps it).
 */
static void check_rate(struct alloc_tool *t)
{
	struct alloc_estimate e;
	struct alloc_cpu_split s;

	cpu_switch(t, true);
	s = t->cpu;
	char untraced[96] = "";

	if (!estimate(&s, calls_seen(t), &e) || (e.trap_share < 0.2 && e.rate_untraced < 1e5))
		return;
	if (e.rate_untraced > 0)
		snprintf(untraced, sizeof(untraced), ", about %.0f a second untraced",
			 e.rate_untraced);
	lt_warn("the targets spend about %.0f%% of their CPU time in uprobe traps: %.0f "
		"allocation calls a second traced, at about %.1f us each%s (estimated from their "
		"CPU time); %s",
		e.trap_share * 100, e.rate_on, e.trap_us, untraced,
		t->o.leaks ? "--leaks must trap every call" :
			     "without --every-call, alloc samples in bursts at a fraction of that");
}

static int alloc_tick(void *tool, bool final)
{
	struct alloc_tool *t = tool;
	double now = lt_mono_s();

	if (final)
		alloc_stop(t);
	if (t->o.leaks && final) {
		uint64_t full = lt_percpu_sum(bpf_map__fd(skel_of(t)->maps.alloc_stats),
					      ALLOC_STAT_LEAK_FULL);

		if (full)
			lt_warn("%llu allocations not tracked for --leaks: too many live at once",
				(unsigned long long)full);
		return add_leaks(t);
	}
	if (t->o.leaks && t->o.leak_interval > 0) {
		if (!t->next_iv)
			t->next_iv = t->t_attach + t->o.leak_interval;
		if (now >= t->next_iv) {
			print_outstanding(t);
			t->next_iv += t->o.leak_interval;
		}
	}
	if (!t->rate_checked && t->o.every_call && !final && t->ntg && now - t->t_attach >= 1.0) {
		t->rate_checked = true;
		check_rate(t);
	}
	return 0;
}

/* After the summary: how much was seen, and what it stands for. */
static void alloc_report(void *tool, const struct lt_profile *p)
{
	struct alloc_tool *t = tool;
	uint64_t calls;
	struct alloc_estimate e;
	double window = p->duration_s;

	if (!t->ntg)
		return;
	calls = calls_seen(t);
	if (getenv("LATPROF_ALLOC_DEBUG"))
		fprintf(stderr,
			"cpu split: on %.3f s ut %llu st %llu; off %.3f s ut %llu st %llu\n",
			t->cpu.t_on, t->cpu.ut_on, t->cpu.st_on, t->cpu.t_off, t->cpu.ut_off,
			t->cpu.st_off);
	if (!t->o.every_call)
		fprintf(stderr,
			"latprof alloc: sampled in %u bursts, attached %.2f s of %.1f s (%.1f%%): "
			"%llu allocation calls seen; the values are what they asked for\n",
			t->bursts, t->probed_s, window,
			window > 0 ? 100 * t->probed_s / window : 0.0, (unsigned long long)calls);
	if (estimate(&t->cpu, calls, &e) && e.rate_untraced > 0)
		fprintf(stderr,
			"latprof alloc: estimated from the targets' CPU time: about %.0f calls a "
			"second untraced (%.0f while attached, a trap costing about %.1f us, %.0f%% "
			"of their CPU time then)\n",
			e.rate_untraced, e.rate_on, e.trap_us, e.trap_share * 100);
	if (t->burst_errors)
		lt_warn("%u bursts could not attach: a target exited or unmapped its allocator",
			t->burst_errors);
}

static void alloc_destroy(void *tool)
{
	struct alloc_tool *t = tool;

	alloc_stop(t);
	free(t->tg);
	t->tg = NULL;
}

/* Memory added by mmap, mremap or brk: pseudo-frames; malloc & co: none. */
static const char *sys_frame(void *tool, uint64_t aux)
{
	(void)tool;
	return aux == ALLOC_SYS_MMAP   ? "[mmap]" :
	       aux == ALLOC_SYS_MREMAP ? "[mremap]" :
	       aux == ALLOC_SYS_BRK    ? "[brk]" :
					 NULL;
}

static const char *kernel_frame(void *tool, uint64_t aux)
{
	(void)tool;
	return aux == ALLOC_K_KMALLOC ? "[kmalloc]" :
	       aux == ALLOC_K_CACHE   ? "[kmem_cache]" :
	       aux == ALLOC_K_PAGES   ? "[pages]" :
					NULL;
}

/*
 * The modes. With --leaks, -i means outstanding bytes over time (alloc_tick),
 * not per-interval stacks. In user space only user stacks: the kernel is not
 * involved in malloc or a user fault.
 */
#define ALLOC_MODE(u, w, st, own, fr)                                                     \
	{                                                                                 \
		.unit = u, .what = w, .stacks = st, .own_interval = own, .aux_frame = fr, \
		LT_VARIANTS(variants)                                                     \
	}

static const struct lt_mode modes[] = {
	ALLOC_MODE("bytes", "kernel-allocated bytes", LT_STACKS_ASKED, false, kernel_frame),
	ALLOC_MODE("bytes", "kernel-allocated bytes", LT_STACKS_ASKED, true, kernel_frame),
	ALLOC_MODE("faults", "user page faults", LT_STACKS_USER, false, NULL),
	ALLOC_MODE("allocations", "allocations", LT_STACKS_USER, false, sys_frame),
	ALLOC_MODE("bytes", "bytes not freed", LT_STACKS_USER, true, sys_frame),
	ALLOC_MODE("bytes", "allocated bytes", LT_STACKS_USER, false, sys_frame),
};

static unsigned int alloc_mode(const void *opts)
{
	const struct alloc_opts *o = opts;

	if (o->kernel)
		return o->leaks ? 1 : 0;
	return o->faults ? 2 : o->value_count ? 3 : o->leaks ? 4 : 5;
}

const struct lt_tool lt_alloc = {
	.cli = &alloc_cli,
	.load = { "the alloc programs", &alloc_bpf_ops, alloc_configure },
	.modes = modes,
	.mode = alloc_mode,
	.attach = alloc_attach,
	.tick = alloc_tick,
	.report = alloc_report,
	.destroy = alloc_destroy,
	.size = sizeof(struct alloc_tool),
	.opts = offsetof(struct alloc_tool, o),
};
