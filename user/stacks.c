// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "err.h"
#include "grow.h"
#include "stacks.h"
#include "u32set.h"
#include "unwinder.h"

int lt_stacks_configure(struct bpf_object *obj, const struct lt_stack_opts *o)
{
	uint32_t depth = o->max_depth;
	uint8_t want_u = !o->kernel_only, want_k = !o->user_only;
	/*
	 * The kernel stack map is never drained: its ids are bucket numbers, which a
	 * drained bucket would give to another stack while a blocked thread still
	 * holds the old id. Kernel stacks do not multiply with processes (one
	 * kernel), so it keeps at least the default size, whatever the option.
	 */
	unsigned int ksize = o->storage_size > LT_DEFAULT_STACK_STORAGE ? o->storage_size :
									  LT_DEFAULT_STACK_STORAGE;
	int err;

	err = lt_map_resize(obj, "lt_agg", o->storage_size);
	err = err ?: lt_map_resize(obj, "lt_agg1", o->storage_size);
	/* Without the unwinder (-K) no stack is copied: the smallest ring. */
	if (!o->unwind_rows && bpf_object__find_map_by_name(obj, "lt_ustack_copies"))
		err = err ?: lt_map_resize(obj, "lt_ustack_copies", 4096);
	err = err ?: lt_map_resize(obj, "lt_kstacks", ksize);
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

/* The frames of user stack key; *missing when the key names a stack no longer stored. */
static uint32_t read_ustack(int fd, uint64_t key, struct lt_ustack *st, bool *missing)
{
	uint32_t n = 0;

	st->end = st->flags = 0;
	*missing = false;
	if (key == LT_NO_USTACK)
		return 0;
	if (bpf_map_lookup_elem(fd, &key, st)) {
		*missing = true;
		return 0;
	}
	while (n < LT_MAX_STACK_DEPTH && st->ips[n])
		n++;
	return n;
}

/* Every key of the map fd, in one pass. Caller frees. */
static int map_keys(int fd, size_t ksz, void **out, size_t *n)
{
	char *keys = NULL, next[64];
	size_t cap = 0;
	void *prev = NULL;

	*n = 0;
	*out = NULL;
	if (ksz > sizeof(next))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			char *k = realloc(keys, ncap * ksz);

			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
			cap = ncap;
		}
		memcpy(keys + *n * ksz, next, ksz);
		prev = keys + (*n)++ * ksz;
	}
	*out = keys;
	return 0;
}

/* Entries read per batch system call. */
#define LT_BATCH 512

typedef int (*lt_entry_cb)(const void *key, const void *val, void *ctx);

/*
 * cb(key, value, ctx) for every entry of hash map fd (keys of ksz, values
 * of vsz bytes), read LT_BATCH at a time; with del, each entry is deleted
 * as it is read, which only a map nothing writes allows. Kernels without
 * batch operations on hash maps (before 5.6), or a bucket fuller than a
 * batch, get one lookup a key. 0, cb's error, or -errno.
 */
static int map_each(int fd, size_t ksz, size_t vsz, bool del, lt_entry_cb cb, void *ctx)
{
	char *keys = malloc(LT_BATCH * ksz), *vals = malloc(LT_BATCH * vsz);
	uint32_t in = 0, out = 0, n;
	bool first = true;
	void *kv = NULL;
	size_t nk = 0;
	int err = keys && vals ? 0 : -ENOMEM;

	while (!err) {
		int r;

		n = LT_BATCH;
		r = del ? bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, keys, vals,
							  &n, NULL) :
			  bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL);
		if (r && errno != ENOENT)
			break; /* one lookup a key, below */
		for (uint32_t i = 0; !err && i < n; i++)
			err = cb(keys + i * ksz, vals + i * vsz, ctx);
		if (r) /* ENOENT: the last batch */
			goto out;
		in = out;
		first = false;
	}
	/* What is left, one key at a time. */
	err = err ?: map_keys(fd, ksz, &kv, &nk);
	for (size_t i = 0; !err && i < nk; i++) {
		const char *k = (const char *)kv + i * ksz;

		if (bpf_map_lookup_elem(fd, k, vals))
			continue;
		if (del)
			bpf_map_delete_elem(fd, k);
		err = cb(k, vals, ctx);
	}
out:
	free(kv);
	free(keys);
	free(vals);
	return err;
}

/* The id of the map behind fd, 0 when it cannot be told. */
static uint32_t map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* fds of the generation events go to now (*cur) and of the other; 0 or -errno. */
static int agg_gens(struct bpf_object *obj, int *cur, int *other)
{
	int g0 = lt_map_fd(obj, "lt_agg"), g1 = lt_map_fd(obj, "lt_agg1");
	int outer = lt_map_fd(obj, "lt_agg_gen");
	uint32_t zero = 0, id;

	if (g0 < 0 || g1 < 0 || outer < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(outer, &zero, &id))
		return -errno;
	*cur = id == map_id(g1) ? g1 : g0;
	*other = *cur == g1 ? g0 : g1;
	return 0;
}

int lt_stacks_add(struct bpf_object *obj, const struct lt_stack_key *k, uint64_t total, uint64_t n,
		  uint64_t value)
{
	struct lt_stack_val *v = calloc(1, sizeof(*v));
	int agg, other, err = v ? agg_gens(obj, &agg, &other) : -ENOMEM;

	if (err) {
		free(v);
		return err;
	}
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

/* Drain when a map is this full (percent), and at least this often (seconds). */
#define LT_DRAIN_FILL_PCT 50
#define LT_DRAIN_S 2.0

struct lt_drain {
	struct bpf_object *obj;
	int agg[2], outer, kfd, ufd, sfd;
	int cur; /* the generation events go to: agg[cur] */
	unsigned int size; /* entries of each aggregation map and of the user stack map */
	uint64_t agg_new_at_flip; /* LT_STAT_AGG_NEW when agg[cur] began */
	double last; /* when it last drained */
	bool by_fill; /* the next drain is due to a map's fill */
	/* Processes found gone at the last pass over the user stacks, sorted. */
	uint32_t *gone;
	size_t ngone;
	/* Those of the pass before: forgotten at the last pass, sorted. */
	uint32_t *forgotten;
	size_t nforgotten;
	struct lt_drain_stats st;
};

struct lt_drain *lt_drain__new(struct bpf_object *obj, unsigned int storage_size)
{
	struct lt_drain *d = calloc(1, sizeof(*d));
	int cur, other;

	if (!d)
		return NULL;
	d->obj = obj;
	d->agg[0] = lt_map_fd(obj, "lt_agg");
	d->agg[1] = lt_map_fd(obj, "lt_agg1");
	d->outer = lt_map_fd(obj, "lt_agg_gen");
	d->kfd = lt_map_fd(obj, "lt_kstacks");
	d->ufd = lt_map_fd(obj, "lt_ustacks");
	d->sfd = lt_map_fd(obj, "lt_stats");
	if (d->kfd < 0 || d->ufd < 0 || d->sfd < 0 || agg_gens(obj, &cur, &other)) {
		free(d);
		errno = ENOENT;
		return NULL;
	}
	d->cur = cur == d->agg[1];
	d->size = storage_size ? storage_size : 1;
	d->last = lt_mono_s();
	return d;
}

void lt_drain__free(struct lt_drain *d)
{
	if (!d)
		return;
	free(d->gone);
	free(d->forgotten);
	free(d);
}

const struct lt_drain_stats *lt_drain__stats(const struct lt_drain *d)
{
	return &d->st;
}

/* A map's fill in percent: entries since it began, of its size. */
static unsigned int fill_pct(uint64_t entries, unsigned int size)
{
	return entries >= size ? 100 : (unsigned int)(entries * 100 / size);
}

bool lt_drain__due(struct lt_drain *d, double now)
{
	uint64_t agg = lt_percpu_sum(d->sfd, LT_STAT_AGG_NEW) - d->agg_new_at_flip;
	uint64_t ust = lt_percpu_sum(d->sfd, LT_STAT_USTACK_NEW);
	unsigned int af = fill_pct(agg, d->size), uf;

	ust = ust > d->st.ustacks_forgotten ? ust - d->st.ustacks_forgotten : 0;
	uf = fill_pct(ust, d->size);
	if (af > d->st.agg_fill_max)
		d->st.agg_fill_max = af;
	if (uf > d->st.ustack_fill_max)
		d->st.ustack_fill_max = uf;
	/*
	 * The user stack map keeps the stacks of live processes: when they alone
	 * fill it, draining does not help and would run on every tick.
	 */
	d->by_fill = af >= LT_DRAIN_FILL_PCT || (uf >= LT_DRAIN_FILL_PCT && d->ngone);
	return d->by_fill || now - d->last >= LT_DRAIN_S;
}

/*
 * Events go to the other generation from now on. The update returns after
 * an RCU grace period: no program still writes the old one (bpf/stack_agg.bpf.h).
 */
static int flip(struct lt_drain *d)
{
	uint32_t zero = 0;
	int next = !d->cur;
	double t = lt_mono_s();

	d->agg_new_at_flip = lt_percpu_sum(d->sfd, LT_STAT_AGG_NEW);
	if (bpf_map_update_elem(d->outer, &zero, &d->agg[next], BPF_ANY))
		return -errno;
	d->cur = next;
	t = (lt_mono_s() - t) * 1e3;
	if (t > d->st.flip_ms_max)
		d->st.flip_ms_max = t;
	return 0;
}

/* What one drain's entries go through (drain_entry()). */
struct drain_ctx {
	struct lt_drain *d;
	struct lt_profile *p;
	struct lt_unwinder *unw;
	struct lt_ustack *ust;
	uint64_t *kips;
	size_t n;
};

/* One aggregation entry into the profile, its stacks read now. */
static int drain_entry(const void *k, const void *v, void *ctx)
{
	const struct lt_stack_key *key = k;
	const struct lt_stack_val *val = v;
	struct drain_ctx *c = ctx;
	struct lt_ustack *ust = c->ust;
	struct lt_profile *p = c->p;
	struct lt_stack_key second;
	struct lt_sample *smp;
	const char *comm;
	uint64_t aux;
	uint32_t nu, nk;
	bool missing;
	int err = 0;

	c->n++;
	nu = read_ustack(c->d->ufd, key->ustack, ust, &missing);
	c->d->st.ustacks_missing += missing;
	/* Walked without the mappings, which are known now: again, over its copy. */
	if (nu && c->unw && (ust->flags & LT_UWALK_NOMAPS) &&
	    lt_unwinder__rewalk(c->unw, key->tgid, key->ustack, ust))
		for (nu = 0; nu < LT_MAX_STACK_DEPTH && ust->ips[nu];)
			nu++;
	nk = read_kstack(c->d->kfd, key->kstack, c->kips);
	aux = (uint64_t)key->aux2 << 32 | key->aux;
	comm = key->comm;
	if (!comm[0] && p->aux_root)
		comm = p->aux_root(p->aux_ctx, aux) ?: comm;
	smp = lt_profile__get(p, key->tgid, key->pid, aux, comm, (const uint64_t *)ust->ips, nu,
			      c->kips, nk);
	if (!smp)
		return -ENOMEM;
	smp->uend = ust->end;
	smp->uflags = ust->flags;
	if (!smp->second && p->aux_second && p->aux_second(p->aux_ctx, aux, &second)) {
		/* Read over the first stack's buffers: the sample has its copy. */
		nu = read_ustack(c->d->ufd, second.ustack, ust, &missing);
		nk = read_kstack(c->d->kfd, second.kstack, c->kips);
		err = lt_sample__set_second(smp, second.tgid, second.pid, second.comm,
					    (const uint64_t *)ust->ips, nu, c->kips, nk);
		if (err)
			return err;
	}
	smp->total += val->total;
	smp->total2 += val->total2;
	smp->count += val->count;
	for (int j = 0; j < LT_HIST_SLOTS && !err; j++)
		err = lt_hist_add_slot(&smp->hist, j, val->hist[j]);
	return err;
}

int lt_drain__collect(struct lt_drain *d, struct lt_profile *p, struct lt_unwinder *unw)
{
	struct drain_ctx c = { .d = d, .p = p, .unw = unw };
	double t0 = lt_mono_s();
	int err;

	c.ust = calloc(1, sizeof(*c.ust));
	c.kips = calloc(LT_MAX_STACK_DEPTH, sizeof(*c.kips));
	err = c.ust && c.kips ? flip(d) : -ENOMEM;
	lt_unwinder__drain_copies(unw);
	/* Nothing writes the old generation any more: read and delete, a batch at a time. */
	err = err   ?:
		      map_each(d->agg[!d->cur], sizeof(struct lt_stack_key),
			       sizeof(struct lt_stack_val), true, drain_entry, &c);
	if (err)
		lt_err("cannot collect stacks: %s", strerror(-err));
	for (unsigned int i = 0; i < LT_STAT_NR; i++)
		p->stats[i] = lt_percpu_sum(d->sfd, i);
	d->st.drains++;
	d->st.by_fill += d->by_fill;
	d->by_fill = false;
	d->st.keys += c.n;
	d->last = lt_mono_s();
	if ((d->last - t0) * 1e3 > d->st.drain_ms_max)
		d->st.drain_ms_max = (d->last - t0) * 1e3;
	free(c.ust);
	free(c.kips);
	return err;
}

/* The pass over the user stacks (forget_entry()). */
struct forget_ctx {
	struct lt_drain *d;
	bool (*gone)(void *ctx, uint32_t tgid);
	void *gctx;
	uint32_t last; /* the last process asked about, and its answer */
	bool last_gone;
	uint32_t *now_gone; /* processes gone now */
	size_t ngone, gcap;
	uint64_t *del; /* keys to delete */
	size_t ndel, dcap;
	struct lt_ustack *st; /* a stack read again before its delete */
};

static int forget_entry(const void *k, const void *v, void *ctx)
{
	const struct lt_ustack *st = v;
	struct forget_ctx *c = ctx;

	/* Stacks of one process come in runs: ask once a run. */
	if (st->tgid != c->last) {
		c->last = st->tgid;
		c->last_gone = c->gone(c->gctx, c->last);
	}
	if (!c->last_gone)
		return 0;
	/*
	 * Gone at the last pass, a drain ago: every event of it that the kernel
	 * recorded has been read since. A stack another process found too may
	 * still be named by that one's next event: kept. Gone still: a pid is
	 * reused within a minute on a busy host.
	 */
	if (!st->shared && lt_u32_in(c->d->gone, c->d->ngone, st->tgid)) {
		if (LT_GROW(c->del, c->ndel, c->dcap, 1024))
			return -ENOMEM;
		c->del[c->ndel++] = *(const uint64_t *)k;
		return 0;
	}
	if (c->ngone && c->now_gone[c->ngone - 1] == st->tgid)
		return 0;
	if (LT_GROW(c->now_gone, c->ngone, c->gcap, 256))
		return -ENOMEM;
	c->now_gone[c->ngone++] = st->tgid;
	return 0;
}

int lt_drain__forget_ustacks(struct lt_drain *d, bool (*gone)(void *ctx, uint32_t tgid), void *ctx)
{
	struct forget_ctx c = { .d = d, .gone = gone, .gctx = ctx, .st = malloc(sizeof(*c.st)) };
	int err = c.st ? map_each(d->ufd, sizeof(uint64_t), sizeof(struct lt_ustack), false,
				  forget_entry, &c) :
			 -ENOMEM;

	/*
	 * Looked at again right before its delete: a sibling forked from the
	 * same parent may have found it since the pass read it (its walk sets
	 * shared). What is left is the microsecond between the two.
	 */
	for (size_t i = 0; !err && i < c.ndel; i++) {
		if (bpf_map_lookup_elem(d->ufd, &c.del[i], c.st) || c.st->shared)
			continue;
		if (!bpf_map_delete_elem(d->ufd, &c.del[i]))
			d->st.ustacks_forgotten++;
	}
	free(c.st);
	free(c.del);
	if (err) {
		free(c.now_gone);
		return err;
	}
	free(d->forgotten);
	d->forgotten = d->gone;
	d->nforgotten = d->ngone;
	d->gone = c.now_gone;
	d->ngone = c.now_gone ? lt_u32_sort_unique(c.now_gone, c.ngone) : 0;
	return 0;
}

const uint32_t *lt_drain__forgotten(const struct lt_drain *d, size_t *n)
{
	*n = d->nforgotten;
	return d->forgotten;
}

int lt_drain__tgids(struct lt_drain *d, uint32_t **out, size_t *n)
{
	struct lt_stack_key *keys;
	uint32_t *t;
	void *kv = NULL;
	size_t nkeys = 0;
	int err = map_keys(d->agg[d->cur], sizeof(*keys), &kv, &nkeys);

	*out = NULL;
	*n = 0;
	if (err)
		return err;
	keys = kv;
	t = malloc((nkeys + 1) * sizeof(*t));
	if (!t) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nkeys; i++)
		t[i] = keys[i].tgid;
	free(keys);
	*n = lt_u32_sort_unique(t, nkeys);
	*out = t;
	return 0;
}

void lt_stacks_report_lost(const struct lt_profile *p, const struct lt_unwind_stats *us,
			   const struct lt_drain_stats *ds, uint64_t mmap_lost)
{
	static const struct {
		enum lt_stat stat;
		const char *what, *fix;
	} lost[] = {
		{ LT_STAT_AGG_FULL, "events not counted, aggregation map full",
		  "raise --stack-storage-size" },
		{ LT_STAT_START_FULL, "events not timed, too many threads off-CPU at once", NULL },
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
		{ ds ? ds->ustacks_missing : 0,
		  "user stacks no longer stored when their events were read (a process that "
		  "exited shared them)" },
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
	if (ds && ds->drains)
		lt_info("drained the kernel's maps %llu times (%llu when half full), %llu entries; "
			"fullest: aggregation %u%%, user stacks %u%%; %llu user stacks of exited "
			"processes forgotten; longest switch %.1f ms, longest drain %.1f ms",
			(unsigned long long)ds->drains, (unsigned long long)ds->by_fill,
			(unsigned long long)ds->keys, ds->agg_fill_max, ds->ustack_fill_max,
			(unsigned long long)ds->ustacks_forgotten, ds->flip_ms_max,
			ds->drain_ms_max);
	if (us && us->rewalked)
		lt_info("%lu user stacks of processes met before their mappings were known walked "
			"again over their copies",
			us->rewalked);
	if (p->stats[LT_STAT_END_UNTRACED])
		lt_info("%llu blocks ended with no switch-in traced by the kernel (or with its task "
			"storage busy then): timed at the thread's next switch-out, less the time it "
			"ran",
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
