// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof wall: where the wall-clock time of traced threads goes, in one
 * unit: on a CPU ([cpu]), waiting for one ([runqueue]) and blocked
 * ([blocked:KIND]), each by stack, adding up to the time each thread was
 * traced (bpf/wall.bpf.c says how).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "err.h"
#include "grow.h"
#include "output.h"
#include "stack_agg.h"
#include "unwind.h"
#include "wall.h"
#include "wall.skel.h"
#include "loader.h"
#include "wakers.h"
#include "session.h"
#include "stacks.h"
#include "tools.h"

#define WALL_MAX_CPUS 1024

struct wall_opts {
	unsigned long long freq; /* -F */
	struct lt_waker_opts wakers;
};

struct wall_tool {
	struct lt_tool_core core; /* core.skel: struct wall_bpf */
	struct wall_opts o;
	struct bpf_link *links[WALL_MAX_CPUS];
	int fds[WALL_MAX_CPUS];
	unsigned int nlinks;
	char frame[48];
};

static struct wall_bpf *skel_of(const struct wall_tool *t)
{
	return t->core.skel;
}

enum { OPT_WAKERS = LT_OPT_TOOL /* and the two after it */ };

static const struct option wall_longopts[] = {
	{ "frequency", required_argument, NULL, 'F' },
	LT_WAKER_LONGOPTS(OPT_WAKERS),
	{ NULL, 0, NULL, 0 },
};

static int wall_parse(void *topts, int key, const char *arg)
{
	struct wall_opts *o = topts;

	if (key == 'F')
		return lt_parse_u64(arg, "-F/--frequency", 1, 10000, &o->freq);
	if (key >= OPT_WAKERS && key <= OPT_WAKERS + 2)
		return lt_waker_parse(&o->wakers, key - OPT_WAKERS, arg);
	return -EINVAL;
}

const struct lt_cli_tool wall_cli = {
	.name = "wall",
	.summary = "Wall-clock time by state and stack: on CPU, run queue, blocked (and on what)",
	.synopsis =
		"[-p PID | -t TID | --comm NAME | --cgroup PATH] [-F HZ] [-d SECONDS] [options]",
	.help = "  -F, --frequency HZ          on-CPU samples per second per CPU (default 99)\n" LT_WAKER_HELP,
	.examples = "  latprof wall -p 4242 -d 10 -o wall.folded\n"
		    "  latprof wall -p 4242 -d 10 -f svg -o wall.svg   # states coloured\n",
	.shortopts = "F:",
	.longopts = wall_longopts,
	.parse = wall_parse,
};

LT_SKEL_OPS(wall_bpf);

static const struct lt_variant variants[] = {
	/* tp_btf, the stack cache checked by direct loads (bpf_rdonly_cast, 6.2 on) */
	{ "wall_switch_btf", "tp_btf", "tp_btf, perf_event cpu-clock", 0 },
	{ "wall_switch_btf_pr", "tp_btf", "tp_btf (probe reads), perf_event cpu-clock", 0 },
};

static int wall_configure(void *tool, void *skel, const struct lt_variant *v)
{
	struct wall_tool *t = tool;
	struct wall_bpf *sk = skel;
	bool direct = !strcmp(v->name, "wall_switch_btf");

	bpf_program__set_autoload(sk->progs.wall_switch_btf, direct);
	bpf_program__set_autoload(sk->progs.wall_switch_btf_pr, !direct);
	bpf_program__set_autoload(sk->progs.wall_waking_btf, direct);
	bpf_program__set_autoload(sk->progs.wall_waking_btf_pr, !direct);
	sk->rodata->sample_ns = 1000000000ULL / t->o.freq;
	/* The iterators run once each, from wall_attach and wall_tick. */
	bpf_program__set_autoattach(sk->progs.wall_begin, false);
	bpf_program__set_autoattach(sk->progs.wall_end, false);
	return lt_wakers_configure(sk->obj, &t->o.wakers);
}

/* Run iterator program p once (wall_begin, wall_end): 0 or -errno. */
static int run_iter(struct bpf_program *p)
{
	struct bpf_link *l = bpf_program__attach_iter(p, NULL);
	int fd = l ? bpf_iter_create(bpf_link__fd(l)) : -1, err = 0;
	char buf[64];
	ssize_t n;

	if (fd < 0)
		err = -errno;
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l);
	return err;
}

/*
 * The target threads accounted from now (wall_begin, with the switch
 * programs attached), then cpu-clock sampling at -F on every CPU, into
 * wall_sample.
 */
static int wall_attach(void *tool, char *how, size_t sz)
{
	struct wall_tool *t = tool;
	int ncpu = libbpf_num_possible_cpus(), on = 0, err;

	err = run_iter(skel_of(t)->progs.wall_begin);
	if (err) {
		lt_err("cannot account the threads off a CPU at the start (iter/task): %s",
		       strerror(-err));
		return err;
	}
	if (ncpu > WALL_MAX_CPUS)
		ncpu = WALL_MAX_CPUS;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr a = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(a),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_freq = t->o.freq,
			.freq = 1,
		};
		int fd = (int)syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *l;

		if (fd < 0) {
			if (errno == ENODEV) /* offline */
				continue;
			lt_err("cannot open a cpu-clock perf event on CPU %d: %s", cpu,
			       strerror(errno));
			return -errno;
		}
		l = bpf_program__attach_perf_event(skel_of(t)->progs.wall_sample, fd);
		if (!l) {
			int err = -errno;

			close(fd);
			lt_err("cannot attach to the cpu-clock perf event on CPU %d: %s", cpu,
			       strerror(-err));
			return err;
		}
		t->fds[t->nlinks] = fd;
		t->links[t->nlinks++] = l;
		on++;
	}
	snprintf(how, sz,
		 "sched_switch, sched_waking: tp_btf; cpu-clock at %llu Hz on %d CPUs; user "
		 "stacks: %s; stack cache: %s",
		 t->o.freq, on, lt_ustack_desc(&t->core),
		 strcmp(t->core.variant->name, "wall_switch_btf") ? "probe reads" : "direct loads");
	return 0;
}

/* Detach the samples and close their perf events. */
static void stop_sampling(struct wall_tool *t)
{
	lt_links_destroy(t->links, t->nlinks);
	for (unsigned int i = 0; i < t->nlinks; i++)
		close(t->fds[i]);
	t->nlinks = 0;
}

/*
 * At the end: the threads still off a CPU are charged up to now, so every
 * thread's states add up to the time it was traced (a thread on a CPU
 * keeps its last run's rest, under one sample period, uncharged). The
 * iterator wall_end does it, over every task's storage.
 */
static int wall_tick(void *tool, bool final)
{
	struct wall_tool *t = tool;
	int err;

	if (!final)
		return 0;
	stop_sampling(t);
	err = run_iter(skel_of(t)->progs.wall_end);
	if (err)
		lt_warn("cannot charge the threads still off-CPU at the end: %s", strerror(-err));
	return 0;
}

static void wall_destroy(void *tool)
{
	stop_sampling(tool);
}

/*
 * What a blocked thread waits on, from its kernel frames, the innermost
 * that a rule names first (docs/wall.md lists them): else io for an
 * uninterruptible wait, other for the rest.
 */
struct kind_rule {
	const char *kind;
	const char *const *names;
};

static const char *const sleep_fns[] = { "do_nanosleep",	 "hrtimer_nanosleep", "msleep",
					 "msleep_interruptible", "do_sys_pause",      NULL };
static const char *const lock_fns[] = { "futex_wait",
					"__futex_wait",
					"futex_do_wait",
					"futex_wait_queue",
					"futex_wait_multiple",
					"futex_lock_pi",
					"rwsem_down_read_slowpath",
					"rwsem_down_write_slowpath",
					"__mutex_lock",
					"__mutex_lock_slowpath",
					"mutex_lock",
					"rt_mutex_slowlock",
					"percpu_rwsem_wait",
					"__percpu_down_read",
					NULL };
static const char *const poll_fns[] = { "ep_poll",   "do_epoll_wait",	"do_sys_poll", "do_poll",
					"do_select", "core_sys_select", NULL };
static const char *const pipe_fns[] = { "pipe_read",	      "pipe_write",
					"anon_pipe_read",     "anon_pipe_write",
					"pipe_wait_readable", "pipe_wait_writable",
					"wait_for_partner",   NULL };
static const char *const net_fns[] = { "sk_wait_data",
				       "inet_csk_accept",
				       "inet_csk_wait_for_connect",
				       "inet_wait_for_connect",
				       "sk_stream_wait_memory",
				       "sk_stream_wait_connect",
				       "__skb_wait_for_more_packets",
				       "unix_stream_data_wait",
				       "unix_stream_read_generic",
				       "tcp_recvmsg_locked",
				       NULL };
static const char *const io_fns[] = { "io_schedule",
				      "io_schedule_timeout",
				      "folio_wait_bit_common",
				      "__folio_lock",
				      "bit_wait_io",
				      "wait_on_page_bit_common",
				      "__wait_on_buffer",
				      "jbd2_log_wait_commit",
				      "wait_for_completion_io",
				      "wait_for_completion_io_timeout",
				      "blk_mq_get_tag",
				      "rq_qos_wait",
				      NULL };
static const struct kind_rule kind_rules[] = {
	{ "sleep", sleep_fns }, { "lock", lock_fns }, { "poll", poll_fns },
	{ "pipe", pipe_fns },	{ "net", net_fns },   { "io", io_fns },
};

/* name is fn, or fn with a compiler suffix (__mutex_lock.constprop.0). */
static bool same_fn(const char *name, const char *fn)
{
	size_t n = strlen(fn);

	return !strncmp(name, fn, n) && (!name[n] || name[n] == '.');
}

const char *lt_wall_blocked_kind(bool uninterruptible, const char *const *frames,
				 const uint8_t *kind, uint32_t n)
{
	for (uint32_t i = n; i-- > 0;) {
		if (kind[i] != LT_FRAME_KERNEL)
			continue;
		for (size_t r = 0; r < sizeof(kind_rules) / sizeof(kind_rules[0]); r++)
			for (const char *const *f = kind_rules[r].names; *f; f++)
				if (same_fn(frames[i], *f))
					return kind_rules[r].kind;
	}
	return uninterruptible ? "io" : "other";
}

static const char *wall_leaf(void *tool, uint64_t aux, const char *const *frames,
			     const uint8_t *kind, uint32_t n)
{
	struct wall_tool *t = tool;
	uint32_t state = lt_waker_aux_decode((uint32_t)aux).own;

	switch (state) {
	case WALL_CPU: return "[cpu]";
	case WALL_RUNQUEUE: return "[runqueue]";
	default:
		snprintf(t->frame, sizeof(t->frame), "[blocked:%s]",
			 lt_wall_blocked_kind(state == WALL_BLOCKED_D, frames, kind, n));
		return t->frame;
	}
}

/* Per thread: its wall time and the states that make it up. */
struct thread_sum {
	uint32_t tgid, pid;
	char comm[LT_COMM_LEN];
	uint64_t wall, cpu, rq, blocked;
	uint64_t kinds[8]; /* blocked, by kind_names */
};

static const char *const kind_names[] = { "io", "lock", "net", "poll", "sleep", "pipe", "other" };

static int sum_cmp(const void *a, const void *b)
{
	const struct thread_sum *x = a, *y = b;

	return x->wall != y->wall ? (x->wall < y->wall ? 1 : -1) :
				    (x->pid > y->pid) - (x->pid < y->pid);
}

static struct thread_sum *sum_of(struct thread_sum **v, size_t *n, size_t *cap,
				 const struct lt_sample *s)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].pid == s->pid && (*v)[i].tgid == s->tgid)
			return &(*v)[i];
	if (LT_GROW(*v, *n, *cap, 64))
		return NULL;
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].tgid = s->tgid;
	(*v)[*n].pid = s->pid;
	memcpy((*v)[*n].comm, s->comm, LT_COMM_LEN);
	return &(*v)[(*n)++];
}

/* "wall 5.00 s = cpu 1.52 s + runqueue 0.31 s + blocked 3.17 s (io 2.1 s, lock 0.9 s)" */
static void wall_report(void *tool, const struct lt_profile *p)
{
	struct wall_tool *t = tool;
	const unsigned int top = t->core.c->top ? t->core.c->top : 10;
	struct thread_sum *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct lt_sample *s = &p->samples[i];
		const char *leaf = lt_sample__state(s) ?: "";
		struct thread_sum *ts = sum_of(&v, &n, &cap, s);

		if (!ts)
			break;
		ts->wall += s->total;
		if (!strcmp(leaf, "[cpu]")) {
			ts->cpu += s->total;
		} else if (!strcmp(leaf, "[runqueue]")) {
			ts->rq += s->total;
		} else {
			ts->blocked += s->total;
			for (size_t k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
				if (!strncmp(leaf, "[blocked:", 9) &&
				    !strncmp(leaf + 9, kind_names[k], strlen(kind_names[k])) &&
				    leaf[9 + strlen(kind_names[k])] == ']')
					ts->kinds[k] += s->total;
		}
	}
	qsort(v, n, sizeof(*v), sum_cmp);
	fprintf(stderr, "latprof wall: per thread, wall = cpu + runqueue + blocked\n");
	for (size_t i = 0; i < n && i < top; i++) {
		char w[32], c[32], r[32], b[32], k[32];

		lt_format_value(w, sizeof(w), (double)v[i].wall, "us");
		lt_format_value(c, sizeof(c), (double)v[i].cpu, "us");
		lt_format_value(r, sizeof(r), (double)v[i].rq, "us");
		lt_format_value(b, sizeof(b), (double)v[i].blocked, "us");
		fprintf(stderr, "  %s [%u/%u]: wall %s = cpu %s + runqueue %s + blocked %s",
			v[i].comm, v[i].tgid, v[i].pid, w, c, r, b);
		for (size_t j = 0, first = 1; j < sizeof(kind_names) / sizeof(kind_names[0]); j++) {
			if (!v[i].kinds[j])
				continue;
			lt_format_value(k, sizeof(k), (double)v[i].kinds[j], "us");
			fprintf(stderr, "%s%s %s", first ? " (" : ", ", kind_names[j], k);
			first = 0;
		}
		fprintf(stderr, "%s\n", v[i].blocked ? ")" : "");
	}
	if (n > top)
		fprintf(stderr, "  ... %zu more threads\n", n - top);
	free(v);
}

static const struct lt_mode wall_modes[] = {
	{ .unit = "us", .what = "wall-clock time", .aux_leaf = wall_leaf, LT_VARIANTS(variants) },
	/* --wakers: blocked time by waker too; wakers are any process. */
	{ .unit = "us",
	  .what = "wall-clock time",
	  .aux_leaf = wall_leaf,
	  .aux_second = lt_waker_second,
	  .foreign_stacks = true,
	  LT_VARIANTS(variants) },
};

static unsigned int wall_mode(const void *opts)
{
	return ((const struct wall_opts *)opts)->wakers.on;
}

static void wall_defaults(void *opts)
{
	((struct wall_opts *)opts)->freq = 99;
}

const struct lt_tool lt_wall = {
	.cli = &wall_cli,
	.load = { "the wall programs", &wall_bpf_ops, wall_configure },
	.modes = wall_modes,
	.mode = wall_mode,
	.attach = wall_attach,
	.tick = wall_tick,
	.report = wall_report,
	.destroy = wall_destroy,
	.size = sizeof(struct wall_tool),
	.opts = offsetof(struct wall_tool, o),
	.defaults = wall_defaults,
};
