// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "err.h"
#include "stacks.h"
#include "unwinder.h"

int lt_stacks_configure(struct bpf_object *obj, const struct lt_stack_opts *o)
{
	uint32_t depth = o->max_depth;
	uint8_t want_u = !o->kernel_only, want_k = !o->user_only;
	int err;

	err = lt_map_resize(obj, "lt_agg", o->storage_size);
	/* Without the unwinder (-K) no stack is copied: the smallest ring. */
	if (!o->unwind_rows && bpf_object__find_map_by_name(obj, "lt_ustack_copies"))
		err = err ?: lt_map_resize(obj, "lt_ustack_copies", 4096);
	err = err ?: lt_map_resize(obj, "lt_kstacks", o->storage_size);
	err = err ?: lt_map_resize(obj, "lt_ustacks", o->storage_size);
	err = err ?: lt_rodata_set(obj, "lt_ustack_depth", &depth, sizeof(depth));
	err = err ?: lt_rodata_set(obj, "lt_want_ustack", &want_u, sizeof(want_u));
	err = err ?: lt_rodata_set(obj, "lt_want_kstack", &want_k, sizeof(want_k));
	if (!err && o->unwind_rows)
		err = lt_map_resize(obj, "lt_unwind_rows", o->unwind_rows);
	if (!err && o->unwind_maps)
		err = lt_map_resize(obj, "lt_unwind_maps", o->unwind_maps);
	/* The unwinder attaches its own exec and fork hooks (lt_unwinder__attach()). */
	for (const char *const *h =
		     (const char *const[]){ "lt_unwind_exec", "lt_unwind_fork", NULL };
	     !err && *h; h++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, *h);

		if (p)
			bpf_program__set_autoattach(p, false);
	}
	if (!err && depth < LT_MAX_STACK_DEPTH)
		err = bpf_map__set_value_size(bpf_object__find_map_by_name(obj, "lt_kstacks"),
					      depth * sizeof(uint64_t));
	return err;
}

static uint32_t read_kstack(int fd, int32_t id, uint64_t *ips)
{
	uint32_t n = 0;

	if (id < 0)
		return 0;
	memset(ips, 0, LT_MAX_STACK_DEPTH * sizeof(*ips));
	if (bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	while (n < LT_MAX_STACK_DEPTH && ips[n])
		n++;
	return n;
}

static uint32_t read_ustack(int fd, uint64_t key, struct lt_ustack *st)
{
	uint32_t n = 0;

	st->end = st->flags = 0;
	if (key == LT_NO_USTACK)
		return 0;
	if (bpf_map_lookup_elem(fd, &key, st))
		return 0;
	while (n < LT_MAX_STACK_DEPTH && st->ips[n])
		n++;
	return n;
}

/* Every key of the aggregation map, in one pass. Caller frees. */
static int agg_keys(int fd, struct lt_stack_key **out, size_t *n)
{
	struct lt_stack_key *keys = NULL, *prev = NULL, next;
	size_t cap = 0;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct lt_stack_key *k = realloc(keys, ncap * sizeof(*k));

			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
			cap = ncap;
		}
		keys[(*n)++] = next;
		prev = &keys[*n - 1];
	}
	*out = keys;
	return 0;
}

int lt_stacks_add(int agg, const struct lt_stack_key *k, uint64_t total, uint64_t n, uint64_t value)
{
	struct lt_stack_val *v = calloc(1, sizeof(*v));
	int err = 0;

	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(agg, k, v))
		memset(v, 0, sizeof(*v));
	v->total += total;
	v->count += n;
	v->hist[lt_hist_slot(value)] += n;
	if (bpf_map_update_elem(agg, k, v, BPF_ANY))
		err = -errno;
	free(v);
	return err;
}

int lt_stacks_collect(struct bpf_object *obj, struct lt_profile *p, bool clear,
		      struct lt_unwinder *unw)
{
	int agg = lt_map_fd(obj, "lt_agg"), kfd = lt_map_fd(obj, "lt_kstacks");
	int ufd = lt_map_fd(obj, "lt_ustacks"), sfd = lt_map_fd(obj, "lt_stats");
	struct lt_stack_key *keys = NULL;
	struct lt_stack_val val;
	struct lt_ustack *ust;
	uint64_t *kips;
	size_t nkeys = 0;
	int err;

	if (agg < 0 || kfd < 0 || ufd < 0 || sfd < 0)
		return -ENOENT;
	ust = calloc(1, sizeof(*ust));
	kips = calloc(LT_MAX_STACK_DEPTH, sizeof(*kips));
	err = ust && kips ? agg_keys(agg, &keys, &nkeys) : -ENOMEM;
	lt_unwinder__drain_copies(unw);
	for (size_t i = 0; !err && i < nkeys; i++) {
		const struct lt_stack_key *key = &keys[i];
		struct lt_stack_key second;
		struct lt_sample *smp;
		const char *comm;
		uint64_t aux;
		uint32_t nu, nk;

		/* With clear, read and delete atomically so no increment is lost. */
		if (clear ? bpf_map_lookup_and_delete_elem(agg, key, &val) &&
				    (bpf_map_lookup_elem(agg, key, &val) ||
				     bpf_map_delete_elem(agg, key)) :
			    bpf_map_lookup_elem(agg, key, &val))
			continue;
		nu = read_ustack(ufd, key->ustack, ust);
		/* Walked without the mappings, which are known now: again, over its copy. */
		if (nu && unw && (ust->flags & LT_UWALK_NOMAPS) &&
		    lt_unwinder__rewalk(unw, key->tgid, key->ustack, ust))
			for (nu = 0; nu < LT_MAX_STACK_DEPTH && ust->ips[nu];)
				nu++;
		nk = read_kstack(kfd, key->kstack, kips);
		aux = (uint64_t)key->aux2 << 32 | key->aux;
		comm = key->comm;
		if (!comm[0] && p->aux_root)
			comm = p->aux_root(p->aux_ctx, aux) ?: comm;
		smp = lt_profile__get(p, key->tgid, key->pid, aux, comm, (const uint64_t *)ust->ips,
				      nu, kips, nk);
		if (!smp) {
			err = -ENOMEM;
			break;
		}
		smp->uend = ust->end;
		smp->uflags = ust->flags;
		if (!smp->second && p->aux_second && p->aux_second(p->aux_ctx, aux, &second)) {
			/* Read over the first stack's buffers: the sample has its copy. */
			nu = read_ustack(ufd, second.ustack, ust);
			nk = read_kstack(kfd, second.kstack, kips);
			err = lt_sample__set_second(smp, second.tgid, second.pid, second.comm,
						    (const uint64_t *)ust->ips, nu, kips, nk);
			if (err)
				break;
		}
		smp->total += val.total;
		smp->total2 += val.total2;
		smp->count += val.count;
		for (int j = 0; j < LT_HIST_SLOTS && !err; j++)
			err = lt_hist_add_slot(&smp->hist, j, val.hist[j]);
		if (err)
			break;
	}
	if (err)
		lt_err("cannot collect stacks: %s", strerror(-err));
	for (unsigned int i = 0; i < LT_STAT_NR; i++)
		p->stats[i] = lt_percpu_sum(sfd, i);
	free(keys);
	free(ust);
	free(kips);
	return err;
}

void lt_stacks_report_lost(const struct lt_profile *p, const struct lt_unwind_stats *us,
			   uint64_t mmap_lost)
{
	static const struct {
		enum lt_stat stat;
		const char *what, *fix;
	} lost[] = {
		{ LT_STAT_AGG_FULL, "events not counted, aggregation map full",
		  "raise --stack-storage-size" },
		{ LT_STAT_START_FULL, "events not timed, too many threads off-CPU at once", NULL },
		{ LT_STAT_END_LOST, "events not timed, task storage busy at switch-in", NULL },
		{ LT_STAT_RINGBUF_LOST, "slow operations not printed, event stream full", NULL },
		{ LT_STAT_KSTACK_COLLISION, "kernel stacks lost to hash collisions",
		  "raise --stack-storage-size" },
		{ LT_STAT_KSTACK_FULL, "kernel stacks lost, stack map full",
		  "raise --stack-storage-size" },
		{ LT_STAT_KSTACK_FAULT, "kernel stacks not captured", NULL },
		{ LT_STAT_USTACK_FULL, "user stacks lost, stack map full",
		  "raise --stack-storage-size" },
		{ LT_STAT_USTACK_FAULT, "user stacks not captured, no user registers", NULL },
		{ LT_STAT_USTACK_TRUNC, "user stacks truncated", "raise --perf-max-stack-depth" },
		{ LT_STAT_WANT_FULL, "processes not published to the unwinder, its queue full",
		  NULL },
		{ LT_STAT_COPY_LOST,
		  "user stacks of new processes not copied for a second walk, "
		  "their ring buffer full",
		  NULL },
		{ LT_STAT_WAKER_FULL, "blocks counted without their waker, waker map full", NULL },
	};
	const struct {
		uint64_t n;
		const char *what;
	} ulost[] = {
		{ us ? us->pool_full : 0, "files left without unwind tables, the table pool full" },
		{ us ? us->procs_full : 0,
		  "process mapping lists not published, the mapping pool full" },
		{ mmap_lost, "mmap records lost (processes read from /proc instead)" },
		{ us ? us->copies_dropped : 0,
		  "copied user stacks not kept for a second walk (64 MiB of them kept)" },
		/* A walk without the list that still reached its root lost nothing. */
		{ p->ur_events[LT_UR_NO_MAPS],
		  "user stacks cut short, walked before the process's mappings were known" },
		{ p->ur_events[LT_UR_SWITCHES], "user stacks cut at their fifth stack switch" },
	};
	char buf[1536];
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
		uint64_t n = p->stats[lost[i].stat];

		if (!n || len >= sizeof(buf))
			continue;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%llu %s%s%s", len ? "; " : "",
				(unsigned long long)n, lost[i].what, lost[i].fix ? ": " : "",
				lost[i].fix ? lost[i].fix : "");
	}
	for (size_t i = 0; i < sizeof(ulost) / sizeof(ulost[0]); i++) {
		if (!ulost[i].n || len >= sizeof(buf))
			continue;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%llu %s", len ? "; " : "",
				(unsigned long long)ulost[i].n, ulost[i].what);
	}
	if (len)
		lt_warn("%s", buf);
	if (us && us->rewalked)
		lt_info("%lu user stacks of processes met before their mappings were known walked "
			"again over their copies",
			us->rewalked);
	if (p->stats[LT_STAT_END_UNTRACED])
		lt_info("%llu blocks ended with no switch-in traced by the kernel: timed at the "
			"thread's next switch-out, less the time it ran",
			(unsigned long long)p->stats[LT_STAT_END_UNTRACED]);
	if (p->stats[LT_STAT_KCACHE_HIT] || p->stats[LT_STAT_UCACHE_HIT])
		lt_info("stack cache: %llu kernel and %llu user stacks reused without a walk, "
			"%llu events",
			(unsigned long long)p->stats[LT_STAT_KCACHE_HIT],
			(unsigned long long)p->stats[LT_STAT_UCACHE_HIT],
			(unsigned long long)p->stats[LT_STAT_EVENTS]);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

void lt_stacks_report_completeness(const struct lt_profile *p)
{
	uint64_t ev, val;
	char buf[1024];
	size_t len = 0;

	lt_profile__ustack_totals(p, &ev, &val);
	if (!ev)
		return;
	buf[0] = 0;
	for (int r = LT_UR_COMPLETE + 1; r < LT_UR_NR && len < sizeof(buf); r++)
		if (p->ur_events[r])
			len += snprintf(buf + len, sizeof(buf) - len,
					"%s %s %.1f%% (%.1f%% of events)", len ? ";" : "",
					lt_ureason_text[r], pct(p->ur_value[r], val),
					pct(p->ur_events[r], ev));
	lt_info("user stacks complete (root reached): %.1f%% of events, %.1f%% of %s%s%s",
		pct(p->ur_events[LT_UR_COMPLETE], ev), pct(p->ur_value[LT_UR_COMPLETE], val),
		p->what ? p->what : "the value", len ? "; ended early:" : "", buf);
	/* What a user can change: the depth limit, or a library's build. */
	if (pct(p->ur_value[LT_UR_DEPTH], val) > 1)
		lt_warn("%.1f%% of %s has user stacks cut at the depth limit: raise "
			"--perf-max-stack-depth (at most %d)",
			pct(p->ur_value[LT_UR_DEPTH], val), p->what ? p->what : "the value",
			LT_MAX_STACK_DEPTH);
	if (pct(p->ur_value[LT_UR_NO_TABLE], val) > 1)
		lt_warn("%.1f%% of %s has user stacks that stop in '%s', built without frame pointers "
			"and without unwind tables latprof can use: rebuild it with "
			"-fno-omit-frame-pointer or -fasynchronous-unwind-tables",
			pct(p->ur_value[LT_UR_NO_TABLE], val), p->what ? p->what : "the value",
			p->ur_file);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int lt_stacks_tgids(struct bpf_object *obj, const struct lt_profile *p, uint32_t **out, size_t *n)
{
	int agg = lt_map_fd(obj, "lt_agg");
	struct lt_stack_key *keys = NULL;
	size_t nkeys = 0, m = 0;
	uint32_t *t;
	int err;

	*out = NULL;
	*n = 0;
	if (agg < 0)
		return -ENOENT;
	err = agg_keys(agg, &keys, &nkeys);
	if (err)
		return err;
	t = malloc((nkeys + p->n + 1) * sizeof(*t));
	if (!t) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nkeys; i++)
		t[m++] = keys[i].tgid;
	for (size_t i = 0; i < p->n; i++)
		t[m++] = p->samples[i].tgid;
	free(keys);
	qsort(t, m, sizeof(*t), cmp_u32);
	*n = 0;
	for (size_t i = 0; i < m; i++)
		if (!*n || t[*n - 1] != t[i])
			t[(*n)++] = t[i];
	*out = t;
	return 0;
}
