// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof alloc: where a running process allocates, by user stack, from
 * uprobes on the allocator it really uses, found in its /proc/PID/maps
 * through its root (containers): jemalloc, tcmalloc or any library that
 * defines malloc before glibc's.
 */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

struct alloc_opts {
	unsigned long long sample_rate, min_size, max_size;
	unsigned long long min_age_ms; /* --leaks --min-age */
	double leak_interval; /* --leaks -i: seconds between outstanding totals */
	bool value_count;
	bool leaks;
	bool kernel; /* --kernel: kmem tracepoints */
	bool faults; /* --faults: page_fault_user */
};

struct alloc_tool {
	struct lt_tool_core core; /* core.skel: struct alloc_bpf */
	struct alloc_opts o;
	struct bpf_link *links[MAX_LINKS];
	unsigned int nlinks;
	char allocator[PATH_MAX]; /* the first target's, for the attach line */
	double t_attach, next_iv;
	bool rate_checked;
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
	/* --leaks -i: outstanding totals over time (alloc_tick), not stacks per interval. */
	if (o->leaks)
		o->leak_interval = c->interval;
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
		"      --max-size BYTES        only allocations of at most BYTES\n"
		"      --leaks                 allocations still not freed at the end, per stack\n"
		"                              (with -i: bytes outstanding at each interval)\n"
		"      --min-age MS            --leaks: only allocations at least MS old\n"
		"      --kernel                kernel allocations (kmalloc, kmem_cache, pages) by\n"
		"                              kernel and user stack, system-wide or for targets\n"
		"      --faults                user page faults by user stack (where RSS grows)\n",
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
	/* 0 malloc-like, 1 calloc, 2 size second, 3 reallocarray, 4 posix_memalign,
	 * 5 realloc, 6 free-like (--leaks only) */
	int prog;
	bool cxx; /* operator new/delete: only where the allocator itself defines it */
} fns[] = {
	{ "malloc", 0 },
	{ "calloc", 1 },
	{ "realloc", 5 },
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
	{ "free", 6 },
	{ "_ZdlPv", 6, true },
	{ "_ZdaPv", 6, true },
	{ "_ZdlPvm", 6, true },
	{ "_ZdaPvm", 6, true },
	{ "_ZdlPvSt11align_val_t", 6, true },
	{ "_ZdaPvSt11align_val_t", 6, true },
};

static struct alloc_bpf *skel_of(const struct alloc_tool *t)
{
	return t->core.skel;
}

static struct bpf_program *prog_of(struct alloc_tool *t, int p)
{
	switch (p) {
	case 1: return skel_of(t)->progs.alloc_calloc;
	case 2: return skel_of(t)->progs.alloc_second_arg;
	case 3: return skel_of(t)->progs.alloc_reallocarray;
	case 4: return skel_of(t)->progs.alloc_posix_memalign;
	case 5: return skel_of(t)->progs.alloc_realloc;
	case 6: return skel_of(t)->progs.alloc_free;
	default: return skel_of(t)->progs.alloc_malloc;
	}
}

/*
 * The file that provides malloc to pid: a library other than libc that
 * defines it (jemalloc, tcmalloc, mimalloc, a preload), else the program
 * itself if it does (static or custom allocators), else libc. Into path, the
 * mapped file as the kernel links it (/proc/PID/map_files/START-END: uprobes
 * land on the very inode mapped, whatever its path now names); into name, its
 * path as the process sees it. 0 or -ENOENT.
 */
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
	struct bpf_program *const uprobes[] = {
		sk->progs.alloc_malloc,	      sk->progs.alloc_calloc,
		sk->progs.alloc_second_arg,   sk->progs.alloc_realloc,
		sk->progs.alloc_reallocarray, sk->progs.alloc_posix_memalign,
		sk->progs.alloc_free,	      sk->progs.alloc_ret_probe,
	};
	struct bpf_program *const sys[] = { sk->progs.alloc_mmap_enter, sk->progs.alloc_mmap_exit,
					    sk->progs.alloc_munmap, sk->progs.alloc_mremap,
					    sk->progs.alloc_brk };

	LT_AUTOLOAD(kernel, t->o.kernel);
	LT_AUTOLOAD(kfree, t->o.kernel && t->o.leaks);
	bpf_program__set_autoload(sk->progs.alloc_fault, t->o.faults);
	LT_AUTOLOAD(uprobes, user);
	LT_AUTOLOAD(sys, user);
	sk->rodata->sample_rate = t->o.sample_rate ? t->o.sample_rate : 1;
	sk->rodata->min_size = t->o.min_size;
	sk->rodata->max_size = t->o.max_size ? t->o.max_size : ~0ULL;
	sk->rodata->value_count = t->o.value_count;
	sk->rodata->leak_mode = t->o.leaks;
	sk->rodata->lt_sc_task_on = (uint8_t)v->arg;
	return 0;
}

static int alloc_attach(void *tool, char *how, size_t sz)
{
	struct alloc_tool *t = tool;
	const struct lt_target *tg = &t->core.c->target;
	unsigned int fns_n = 0;

	t->t_attach = lt_mono_s();
	/* The core attached the tracepoints; the uprobes are per target. */
	if (t->o.kernel || t->o.faults) {
		snprintf(how, sz, "%s",
			 t->o.kernel ? "kmem:kmalloc, kmem:kmem_cache_alloc, "
				       "kmem:mm_page_alloc tracepoints" :
				       "exceptions:page_fault_user tracepoint");
		return 0;
	}
	for (unsigned int i = 0; i < tg->npids; i++) {
		char path[PATH_MAX], name[PATH_MAX];
		struct lt_open_how how = { .magic = true, .max_size = LT_ELF_MAX_SIZE };
		struct elf_file *ef;
		int err = find_allocator(tg->pids[i], path, sizeof(path), name, sizeof(name));

		if (err) {
			lt_err("cannot find the allocator of pid %u: %s", tg->pids[i],
			       err == -ENOENT ? "no mapped file defines malloc" : strerror(-err));
			return err;
		}
		if (!i)
			snprintf(t->allocator, sizeof(t->allocator), "%s", name);
		ef = elf_file__open_fd(lt_open(path, &how, NULL));
		for (size_t f = 0; ef && f < sizeof(fns) / sizeof(fns[0]); f++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = fns[f].fn);
			struct bpf_link *l;

			bool is_free = fns[f].prog == 6;

			if (!elf_file__defines(ef, fns[f].fn) || t->nlinks + 2 > MAX_LINKS ||
			    (is_free && !t->o.leaks))
				continue;
			l = bpf_program__attach_uprobe_opts(prog_of(t, fns[f].prog),
							    (pid_t)tg->pids[i], path, 0, &uo);
			/* --leaks: the address comes back at the return. */
			if (l && t->o.leaks && !is_free) {
				LIBBPF_OPTS(bpf_uprobe_opts, ro, .func_name = fns[f].fn,
					    .retprobe = true);

				t->links[t->nlinks++] = l;
				l = bpf_program__attach_uprobe_opts(
					skel_of(t)->progs.alloc_ret_probe, (pid_t)tg->pids[i], path,
					0, &ro);
			}
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
	snprintf(how, sz, "uprobes on %u allocation functions in %s", fns_n, t->allocator);
	t->t_attach = lt_mono_s();
	return 0;
}

/*
 * --leaks at the end: the allocations still live and at least --min-age old,
 * added per thread and stack into the shared map, so every output format
 * shows them as it shows --hot.
 */
static int add_leaks(struct alloc_tool *t)
{
	int live = bpf_map__fd(skel_of(t)->maps.alloc_live);
	int agg = lt_map_fd(skel_of(t)->obj, "lt_agg");
	uint64_t addr, *prev = NULL, now_ns = (uint64_t)(lt_mono_s() * 1e9);
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
		err = lt_stacks_add(agg, &k, (t->o.value_count ? 1 : l.size) * w, w, l.size);
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

/* One warning, a second in: uprobes cost a trap per call. */
static int alloc_tick(void *tool, bool final)
{
	struct alloc_tool *t = tool;
	double now = lt_mono_s(), el = now - t->t_attach;
	int fd;
	uint64_t calls;

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
	if (t->rate_checked || el < 1.0 || final)
		return 0;
	t->rate_checked = true;
	fd = bpf_map__fd(skel_of(t)->maps.alloc_stats);
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

	lt_links_destroy(t->links, t->nlinks);
	t->nlinks = 0;
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
	.destroy = alloc_destroy,
	.size = sizeof(struct alloc_tool),
	.opts = offsetof(struct alloc_tool, o),
};
