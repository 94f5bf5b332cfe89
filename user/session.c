// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bpf_util.h"
#include "err.h"
#include "grow.h"
#include "output.h"
#include "procwatch.h"
#include "session.h"
#include "stacks.h"
#include "unwinder.h"

volatile sig_atomic_t lt_exiting;

/* How often exited processes are looked for, to forget them. */
#define LT_PRUNE_S 10

static void on_signal(int sig)
{
	(void)sig;
	/* The second one also cuts symbolization short: what is named is written. */
	if (lt_exiting < 2)
		lt_exiting++;
}

/*
 * Snapshot mappings now, so processes that exit during the trace are still
 * named. Explicit targets also have their ELF files opened now.
 */
static void snapshot_targets(struct lt_symbolizer *s, const struct lt_target *t, bool all)
{
	if (all || (!t->npids && !t->ntids)) {
		int n = lt_symbolizer__snapshot_all(s);

		lt_info("snapshotted the mappings of %d processes", n);
		if (!t->npids && !t->ntids)
			return;
	}
	for (unsigned int i = 0; i < t->npids; i++)
		lt_symbolizer__snapshot(s, t->pids[i], true);
	for (unsigned int i = 0; i < t->ntids; i++) {
		uint32_t tgid = lt_tgid_of(t->tids[i]);

		if (tgid)
			lt_symbolizer__snapshot(s, tgid, true);
	}
}

/* Whether process or thread id still runs: it exists and is not a zombie. */
static bool id_running(uint32_t id)
{
	char buf[256];
	int err;
	const char *st = lt_proc_stat(id, buf, sizeof(buf), &err);

	if (!st)
		return err && err != ENOENT && err != ESRCH;
	return st[0] != 'Z' && st[0] != 'X';
}

/*
 * Notes each -p process and -t thread that has exited (gone: npids + ntids
 * flags). True once every one has: the trace has nothing left to watch, as
 * perf record -p ends with its target.
 */
static bool watch_targets(const struct lt_target *t, unsigned char *gone, bool quiet)
{
	unsigned int n = t->npids + t->ntids, left = 0;

	for (unsigned int i = 0; i < n; i++) {
		bool pid = i < t->npids;
		uint32_t id = pid ? t->pids[i] : t->tids[i - t->npids];

		if (!gone[i] && id_running(id)) {
			left++;
			continue;
		}
		if (!gone[i] && !quiet && n > 1)
			fprintf(stderr, "latprof: %s %u exited; its stacks so far are kept\n",
				pid ? "pid" : "thread", id);
		gone[i] = 1;
	}
	return n && !left;
}

/*
 * The kernel's mmap, fork, exec and exit records, applied as they come: the
 * symbolizer learns every executable mapping while its process lives, and
 * the unwinder publishes a changed process at once.
 */
struct live {
	struct lt_procwatch *pw;
	struct lt_symbolizer *s;
	struct lt_unwinder *u; /* NULL with -K */
	uint32_t tgids[LT_TARGET_MAX * 2]; /* -p/-t: the processes followed; none: all */
	unsigned int ntgids;
	uint32_t *dirty;
	size_t ndirty, cap;
};

static bool live_follows(const struct live *l, uint32_t tgid)
{
	if (!l->ntgids)
		return true;
	for (unsigned int i = 0; i < l->ntgids; i++)
		if (l->tgids[i] == tgid)
			return true;
	return false;
}

static void live_dirty(struct live *l, uint32_t tgid)
{
	for (size_t i = 0; i < l->ndirty; i++)
		if (l->dirty[i] == tgid)
			return;
	if (LT_GROW(l->dirty, l->ndirty, l->cap, 64))
		return; /* published when BPF asks instead */
	l->dirty[l->ndirty++] = tgid;
}

static int live_event(const struct lt_pev *e, void *ctx)
{
	struct live *l = ctx;
	int err = 0;

	if (!live_follows(l, e->pid))
		return 0;
	switch (e->type) {
	case LT_PEV_MMAP: err = lt_symbolizer__add_map(l->s, e->pid, e->map); break;
	case LT_PEV_FORK: err = lt_symbolizer__fork(l->s, e->ppid, e->pid); break;
	case LT_PEV_EXEC: err = lt_symbolizer__exec(l->s, e->pid); break;
	case LT_PEV_EXIT:
		if (e->tid != e->pid)
			return 0; /* a thread */
		lt_symbolizer__exit(l->s, e->pid);
		if (l->u)
			lt_unwinder__forget(l->u, e->pid);
		return 0;
	}
	live_dirty(l, e->pid);
	return err;
}

/* Apply the records written so far; publish the processes they changed. */
static int live_drain(struct live *l)
{
	int err;

	if (!l->pw)
		return 0;
	err = lt_procwatch__drain(l->pw, live_event, l);
	if (err < 0) {
		lt_err("cannot follow process mappings: %s", strerror(-err));
		return err;
	}
	err = 0;
	for (size_t i = 0; i < l->ndirty && !err; i++)
		if (l->u && lt_symbolizer__knows(l->s, l->dirty[i]))
			err = lt_unwinder__publish(l->u, l->s, l->dirty[i]);
	l->ndirty = 0;
	return err;
}

static void live_start(struct live *l, struct lt_symbolizer *s, const struct lt_target *t, bool all)
{
	l->s = s;
	for (unsigned int i = 0; !all && i < t->npids; i++)
		l->tgids[l->ntgids++] = t->pids[i];
	for (unsigned int i = 0; !all && i < t->ntids; i++) {
		uint32_t tgid = lt_tgid_of(t->tids[i]);

		if (tgid)
			l->tgids[l->ntgids++] = tgid;
	}
	/* Before the snapshot, so nothing mapped in between is missed. */
	l->pw = lt_procwatch__new();
	if (!l->pw)
		lt_info("cannot follow mmap records (%s): processes started while tracing are "
			"read from /proc when first met",
			strerror(errno));
}

static bool untabled(void *ctx, const char *module)
{
	return lt_unwinder__file_untabled(ctx, module);
}

/* An empty profile of the tool's mode. */
static void profile_init(struct lt_profile *p, const struct lt_tool *t, const struct lt_mode *mode,
			 void *tool)
{
	lt_profile__init(p, t->cli->name, mode->unit, mode->what);
	p->unit2 = mode->unit2;
	p->aux_frame = mode->aux_frame;
	p->aux_root = mode->aux_root;
	p->aux_second = mode->aux_second;
	p->aux_leaf = mode->aux_leaf;
	p->aux_ctx = tool;
}

/* What a session holds while it traces, for its drains. */
struct run {
	const struct lt_tool *t;
	const struct lt_mode *mode;
	void *tool;
	const struct lt_common *c;
	struct lt_drain *drain;
	struct lt_symbolizer *syms;
	struct lt_unwinder *unw;
	struct live *live;
	struct lt_profile *prof; /* everything drained so far, named */
	struct lt_profile *iv; /* with -i: this interval's, named; absorbed into prof after */
	size_t fold_at; /* prof's rows when the next fold is due (past max_stacks) */
};

static bool gone(void *ctx, uint32_t tgid)
{
	return lt_symbolizer__gone(ctx, tgid);
}

/*
 * One drain: the kernel's older generation into a new profile, named now,
 * while its processes' mappings are known, then merged into the interval's
 * profile or the whole one. Then the user stacks of processes that exited
 * are forgotten in the kernel, and past --max-stacks rows the rows of those
 * processes merge per command.
 */
static int drain(struct run *r)
{
	struct lt_profile d;
	int err;

	/*
	 * The mmap records so far first: a process exec'd moments ago is then
	 * known, and its stacks walked before it was are walked again now.
	 */
	err = live_drain(r->live);
	if (err)
		return err;
	profile_init(&d, r->t, r->mode, r->tool);
	if (r->unw) {
		d.untabled = untabled;
		d.untabled_ctx = r->unw;
	}
	err = lt_drain__collect(r->drain, &d, r->unw);
	if (!err) {
		err = lt_profile__symbolize(&d, r->syms);
		if (err)
			lt_err("cannot symbolize stacks: %s", strerror(-err));
	}
	err = err ?: lt_profile__absorb(r->iv ? r->iv : r->prof, &d);
	lt_profile__free(&d);
	if (!err && !r->c->stacks.kernel_only) {
		const uint32_t *fg;
		size_t nfg;

		err = lt_drain__forget_ustacks(r->drain, gone, r->syms);
		/* Their stacks' second walks are of no more use either. */
		fg = lt_drain__forgotten(r->drain, &nfg);
		if (!err)
			lt_unwinder__drop(r->unw, fg, nfg);
	}
	/* Past the limit, and again each time the rows grew by a quarter since. */
	if (!err && r->prof->n > r->c->max_stacks && r->prof->n > r->fold_at) {
		long n = lt_profile__fold(r->prof, gone, r->syms);

		err = n < 0 ? (int)n : 0;
		r->fold_at = r->prof->n + r->prof->n / 4;
	}
	if (err == -ENOMEM)
		lt_err("cannot keep what was traced: out of memory");
	return err;
}

static int finish(struct run *r, struct lt_output *out, double t0)
{
	const struct lt_tool *t = r->t;
	const struct lt_common *c = r->c;
	const struct lt_tool_core *core = r->tool;
	struct lt_profile *p = r->prof;
	int err = t->tick ? t->tick(r->tool, true) : 0;

	{
		/* LATPROF_SYMBOLIZE_BUDGET (seconds): tests prove the budget with 0. */
		const char *b = getenv("LATPROF_SYMBOLIZE_BUDGET");

		lt_symbolizer__set_deadline(
			r->syms, lt_mono_s() + (b && *b ? atof(b) : LT_SYMBOLIZE_BUDGET_S),
			&lt_exiting);
	}
	err = err ?: drain(r);
	if (!err && r->iv)
		err = lt_profile__absorb(p, r->iv);
	p->duration_s = (core->t_end > 0 ? core->t_end : lt_mono_s()) - t0;
	p->ustacks_missing = lt_drain__stats(r->drain)->ustacks_missing;
	if (err)
		return err;
	err = out ? lt_output__write(out, p) : 0;
	if (err)
		return err;
	if (!c->quiet) {
		lt_summary_print(stderr, p, c->top);
		if (t->report)
			t->report(r->tool, p);
		if (out && lt_output__path(out))
			fprintf(stderr, "latprof %s: wrote %s\n", t->cli->name,
				lt_output__path(out));
	}
	lt_stacks_report_lost(p, r->unw ? lt_unwinder__stats(r->unw) : NULL,
			      lt_drain__stats(r->drain),
			      r->live->pw ? lt_procwatch__lost(r->live->pw) : 0);
	if (p->folded_samples)
		lt_note("%llu rows of %llu processes that exited were merged per command to keep "
			"--max-stacks %u (their pid and tid read 0)",
			(unsigned long long)p->folded_samples, (unsigned long long)p->folded_procs,
			c->max_stacks);
	{
		unsigned long long hwm = 0, anon = 0;

		/* What memory the run took: RSS's peak, and its heap now (the rest is file pages). */
		if (lt_proc_status(0, "VmHWM", 10, &hwm) && lt_proc_status(0, "RssAnon", 10, &anon))
			lt_info("memory: peak RSS %.1f MB, anonymous now %.1f MB; %zu rows kept "
				"(--max-stacks %u)",
				hwm / 1024.0, anon / 1024.0, p->n, c->max_stacks);
	}
	lt_stacks_report_completeness(p);
	lt_symbolizer__report(r->syms, c->quiet);
	return 0;
}

/* With -i: the interval's profile printed, then merged into the whole. */
static int interval_end(struct run *r, double len)
{
	int err = drain(r);

	r->iv->duration_s = len;
	memcpy(r->iv->target, r->prof->target, sizeof(r->iv->target));
	if (!err && !r->c->quiet)
		lt_summary_print(stderr, r->iv, r->c->top);
	err = err ?: lt_profile__absorb(r->prof, r->iv);
	lt_profile__free(r->iv);
	profile_init(r->iv, r->t, r->mode, r->tool);
	return err;
}

/* The skeleton's programs, then the tool's own attach points; how: what was chosen. */
static int attach(const struct lt_tool *t, void *tool, char *how, size_t sz)
{
	struct lt_tool_core *core = tool;
	int err = t->load.skel->attach(core->skel);

	if (err) {
		lt_err("cannot attach %s (%s): %s", t->load.what, core->variant->label,
		       strerror(-err));
		return err;
	}
	snprintf(how, sz, "%s: %s; user stacks: %s", t->load.what, core->variant->label,
		 lt_ustack_desc(core));
	err = t->attach ? t->attach(tool, how, sz) : 0;
	if (!err)
		lt_info("attached: %s", how);
	return err;
}

static int session_run(const struct lt_tool *t, const struct lt_mode *mode, void *tool,
		       const struct lt_common *c)
{
	struct lt_symbolizer *syms = NULL;
	struct lt_tool_core *core = tool;
	struct lt_output *out = NULL;
	struct lt_unwinder *unw = NULL;
	struct live live = { 0 };
	struct lt_common cc = *c;
	struct lt_profile prof, iv;
	struct bpf_object *obj;
	struct run run = { .t = t, .mode = mode, .tool = tool, .c = c, .live = &live };
	unsigned char gone_ids[2 * LT_TARGET_MAX] = {};
	char how[256] = "";
	double t0, next_iv, next_bpf, next_prune;
	int err;

	profile_init(&prof, t, mode, tool);
	profile_init(&iv, t, mode, tool);
	lt_target_describe(&c->target, prof.target, sizeof(prof.target));
	run.prof = &prof;
	run.iv = c->interval > 0 ? &iv : NULL;

	err = lt_env_check();
	err = err ?: lt_target_validate(&c->target);
	/* A tool whose output is its event stream writes the profile only to -o. */
	if (!c->no_profile_output || c->output)
		err = err ?: lt_output__open(c->output, c->format, &c->out, &out);
	if (err)
		goto out_profile;
	syms = lt_symbolizer__new();
	if (!syms) {
		err = -ENOMEM;
		goto out_output;
	}
	lt_symbolizer__set_demangle(syms, !c->no_demangle);
	lt_symbolizer__set_lines(syms, c->lines);
	if (!c->stacks.kernel_only)
		live_start(&live, syms, &c->target, mode->foreign_stacks);
	snapshot_targets(syms, &c->target, mode->foreign_stacks);
	/* Tables first, so the pools are sized from what they hold. */
	if (!c->stacks.kernel_only) {
		unw = lt_unwinder__new(syms);
		if (!unw) {
			err = -ENOMEM;
			goto out_tool;
		}
		lt_unwinder__pool_sizes(unw, &cc.stacks.unwind_rows, &cc.stacks.unwind_maps);
		lt_unwinder__configure(unw, live.pw != NULL, c->stacks.max_depth);
		live.u = unw;
	}

	core->c = &cc;
	err = lt_load(t->cli->name, &t->load, mode->variants, mode->nvariants, tool, core);
	if (err)
		goto out_tool;
	obj = core->obj;
	err = lt_target_fill_maps(&c->target, obj);
	if (err)
		goto out_tool;
	if (unw) {
		const struct lt_unwind_stats *us;

		err = lt_unwinder__attach(unw, obj, syms);
		if (err)
			goto out_tool;
		us = lt_unwinder__stats(unw);
		lt_info("unwind tables: %u loaded (%lu rows, pool of %lu), %u files with frame "
			"pointers, %u without usable CFI; mappings of %u processes published "
			"(pool of %lu)",
			us->tables, us->rows, us->rows_cap, us->fp_files, us->failed, us->procs,
			us->maps_cap);
	}
	run.drain = lt_drain__new(obj, cc.stacks.storage_size);
	if (!run.drain) {
		err = -errno;
		lt_err("cannot drain the aggregation maps: %s", strerror(errno));
		goto out_tool;
	}
	run.syms = syms;
	run.unw = unw;
	err = attach(t, tool, how, sizeof(how));
	if (err)
		goto out_tool;
	/* BPF programs in kernel stacks keep their names even if unloaded later. */
	if (!c->stacks.user_only)
		lt_symbolizer__snapshot_bpf(syms);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!c->quiet) {
		fprintf(stderr, "latprof %s: attached (%s); tracing %s", t->cli->name, how,
			prof.target);
		if (c->duration)
			fprintf(stderr, " for %g s\n", c->duration);
		else
			fprintf(stderr, ", Ctrl-C to stop\n");
	}

	t0 = lt_mono_s();
	next_iv = c->interval ? t0 + c->interval : 0;
	next_bpf = t0 + 1;
	next_prune = t0 + LT_PRUNE_S;
	while (!lt_exiting) {
		double now = lt_mono_s();

		if (c->duration && now - t0 >= c->duration)
			break;
		if (next_iv && now >= next_iv) {
			if ((err = interval_end(&run, c->interval)))
				goto out_tool;
			next_iv += c->interval;
		} else if (lt_drain__due(run.drain, now) && (err = drain(&run))) {
			goto out_tool;
		}
		if (watch_targets(&c->target, gone_ids, c->quiet)) {
			if (!c->quiet)
				lt_note("every target has exited after %.1f s: the trace ends",
					now - t0);
			break;
		}
		if (t->tick && (err = t->tick(tool, false)))
			goto out_tool;
		if (!c->stacks.user_only && now >= next_bpf) {
			lt_symbolizer__snapshot_bpf(syms);
			next_bpf = now + 1;
		}
		/*
		 * Exited processes none of whose events is left to drain: forgotten
		 * (what was drained is named already).
		 */
		if (unw && now >= next_prune) {
			uint32_t *keep;
			size_t nkeep;

			if (!lt_drain__tgids(run.drain, &keep, &nkeep)) {
				lt_symbolizer__prune(syms, keep, nkeep);
				lt_unwinder__prune(unw, keep, nkeep);
				free(keep);
				/*
				 * What was freed lies among what is kept (those
				 * processes came and went between them): give
				 * its pages back, or the heap only grows.
				 */
				malloc_trim(0);
			}
			next_prune = now + LT_PRUNE_S;
		}
		/* Woken early by mmap records: a new process is published at once. */
		if (live.pw)
			lt_procwatch__poll(live.pw, 50);
		else
			usleep(50 * 1000);
		/* Records first: forks and exits they report come before BPF's asks. */
		if ((err = live_drain(&live)))
			goto out_tool;
		if (unw && (err = lt_unwinder__refresh(unw, syms)))
			goto out_tool;
	}
	err = live_drain(&live);
	err = err ?: finish(&run, out, t0);

out_tool:
	lt_drain__free(run.drain);
	lt_unwinder__free(unw);
	lt_procwatch__free(live.pw);
	free(live.dirty);
	if (t->destroy)
		t->destroy(tool);
	if (core->skel)
		t->load.skel->destroy(core->skel);
	core->skel = NULL;
	lt_symbolizer__free(syms);
out_output:
	lt_output__close(out);
out_profile:
	lt_profile__free(&iv);
	lt_profile__free(&prof);
	return err ? LT_EXIT_FAIL : LT_EXIT_OK;
}

int lt_tool_main(const struct lt_tool *t, int argc, char **argv)
{
	void *tool = calloc(1, t->size);
	const struct lt_mode *mode;
	struct lt_common c;
	int err;

	if (!tool) {
		lt_err("out of memory");
		return LT_EXIT_FAIL;
	}
	if (t->defaults)
		t->defaults((char *)tool + t->opts);
	err = lt_cli_parse(argc, argv, t->cli, &c, (char *)tool + t->opts);
	if (err) {
		free(tool);
		return err > 0 ? LT_EXIT_OK : LT_EXIT_USAGE;
	}
	lt_set_verbose(c.verbose);
	if (t->inspect && (err = t->inspect((char *)tool + t->opts, &c)) >= 0) {
		free(tool);
		return err;
	}
	mode = &t->modes[t->mode ? t->mode((char *)tool + t->opts) : 0];
	if (mode->stacks != LT_STACKS_ASKED) {
		c.stacks.user_only = mode->stacks == LT_STACKS_USER;
		c.stacks.kernel_only = mode->stacks == LT_STACKS_NO_USER;
	}
	c.no_profile_output = mode->stream;
	if (mode->own_interval)
		c.interval = 0;
	err = session_run(t, mode, tool, &c);
	free(tool);
	return err;
}
