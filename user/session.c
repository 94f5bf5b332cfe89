// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bpf_util.h"
#include "err.h"
#include "output.h"
#include "session.h"
#include "stacks.h"
#include "unwinder.h"

volatile sig_atomic_t lt_exiting;

static void on_signal(int sig)
{
	(void)sig;
	lt_exiting = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Snapshot mappings now, so processes that exit during the trace are still
 * named. Explicit targets also have their ELF files opened now.
 */
static void snapshot_targets(struct lt_symbolizer *s, const struct lt_target *t)
{
	if (!t->npids && !t->ntids) {
		int n = lt_symbolizer__snapshot_all(s);

		lt_info("snapshotted the mappings of %d processes", n);
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

/* Say once when an explicit target process exits; tracing goes on. */
static void watch_targets(const struct lt_target *t, unsigned char *gone, bool quiet)
{
	for (unsigned int i = 0; i < t->npids; i++) {
		if (gone[i] || !kill(t->pids[i], 0) || errno != ESRCH)
			continue;
		gone[i] = 1;
		if (!quiet)
			fprintf(stderr, "latprof: pid %u exited; its stacks so far are kept\n",
				t->pids[i]);
	}
}

static int finish(const struct lt_tool_ops *ops, void *tool, struct bpf_object *obj,
		  struct lt_profile *p, struct lt_symbolizer *s, struct lt_output *out,
		  const struct lt_common *c, double t0)
{
	int err = ops->tick ? ops->tick(tool, true) : 0;

	err = err ?: lt_stacks_collect(obj, p, c->interval > 0);
	p->duration_s = now_s() - t0;
	if (err)
		return err;
	err = lt_profile__symbolize(p, s);
	if (err) {
		lt_err("cannot symbolize stacks: %s", strerror(-err));
		return err;
	}
	err = out ? lt_output__write(out, p) : 0;
	if (err)
		return err;
	if (!c->quiet) {
		lt_summary_print(stderr, p, c->top);
		if (out && lt_output__path(out))
			fprintf(stderr, "latprof %s: wrote %s\n", ops->name, lt_output__path(out));
	}
	lt_stacks_report_lost(p);
	lt_symbolizer__report(s);
	return 0;
}

int lt_session_run(const struct lt_tool_ops *ops, void *tool, const struct lt_common *c)
{
	struct lt_symbolizer *syms = NULL;
	struct lt_output *out = NULL;
	struct lt_unwinder *unw = NULL;
	struct lt_profile prof;
	struct bpf_object *obj;
	unsigned char gone[LT_TARGET_MAX] = {};
	char how[256] = "";
	double t0, next_iv, next_bpf;
	int err;

	lt_profile__init(&prof, ops->name, ops->unit, ops->what);
	prof.aux_frame = ops->aux_frame;
	prof.aux_ctx = tool;
	prof.unit2 = ops->unit2;
	lt_target_describe(&c->target, prof.target, sizeof(prof.target));

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
	snapshot_targets(syms, &c->target);

	err = ops->load(tool, c);
	if (err)
		goto out_tool;
	obj = ops->object(tool);
	err = lt_target_fill_maps(&c->target, obj);
	if (err)
		goto out_tool;
	if (!c->kernel_only) {
		const struct lt_unwind_stats *us;

		unw = lt_unwinder__new(obj);
		err = unw ? lt_unwinder__load(unw, syms) : -ENOMEM;
		if (err)
			goto out_tool;
		us = lt_unwinder__stats(unw);
		lt_info("unwind tables: %u loaded (%lu rows), %u files with frame pointers, "
			"%u without usable CFI; mappings of %u processes published",
			us->tables, us->rows, us->fp_files, us->failed, us->procs);
	}
	err = ops->attach(tool, how, sizeof(how));
	if (err)
		goto out_tool;
	/* BPF programs in kernel stacks keep their names even if unloaded later. */
	if (!c->user_only)
		lt_symbolizer__snapshot_bpf(syms);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!c->quiet) {
		fprintf(stderr, "latprof %s: attached (%s); tracing %s", ops->name, how,
			prof.target);
		if (c->duration)
			fprintf(stderr, " for %g s\n", c->duration);
		else
			fprintf(stderr, ", Ctrl-C to stop\n");
	}

	t0 = now_s();
	next_iv = c->interval ? t0 + c->interval : 0;
	next_bpf = t0 + 1;
	while (!lt_exiting) {
		double now = now_s();

		if (c->duration && now - t0 >= c->duration)
			break;
		if (next_iv && now >= next_iv) {
			struct lt_profile iv;

			lt_profile__init(&iv, ops->name, ops->unit, ops->what);
			iv.aux_frame = ops->aux_frame;
			iv.aux_ctx = tool;
			iv.unit2 = ops->unit2;
			memcpy(iv.target, prof.target, sizeof(iv.target));
			iv.duration_s = c->interval;
			err = lt_stacks_collect(obj, &iv, true);
			err = err ?: lt_profile__merge(&prof, &iv);
			if (!err && !c->quiet && !lt_profile__symbolize(&iv, syms))
				lt_summary_print(stderr, &iv, c->top);
			lt_profile__free(&iv);
			if (err)
				goto out_tool;
			next_iv += c->interval;
		}
		watch_targets(&c->target, gone, c->quiet);
		if (ops->tick && (err = ops->tick(tool, false)))
			goto out_tool;
		if (!c->user_only && now >= next_bpf) {
			lt_symbolizer__snapshot_bpf(syms);
			next_bpf = now + 1;
		}
		if (unw && (err = lt_unwinder__refresh(unw, syms)))
			goto out_tool;
		usleep(50 * 1000);
	}
	err = finish(ops, tool, obj, &prof, syms, out, c, t0);

out_tool:
	lt_unwinder__free(unw);
	ops->destroy(tool);
	lt_symbolizer__free(syms);
out_output:
	lt_output__close(out);
out_profile:
	lt_profile__free(&prof);
	return err ? LT_EXIT_FAIL : LT_EXIT_OK;
}
