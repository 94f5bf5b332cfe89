// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_util.h"
#include "cfi.h"
#include "err.h"
#include "grow.h"
#include "unwinder.h"

/* Rows beyond the snapshot's, for files first met while tracing. */
#define LT_ROWS_HEADROOM (1U << 18)
#define LT_ROWS_MAX (1U << 24) /* what LT_UNWIND_SEARCH_STEPS can search */
/* Mapping slots: the snapshot's times four, at least this many. */
#define LT_MAPS_MIN (1U << 14)
#define LT_MAPS_MAX (1U << 22)
/* A second look this long after a process is first published from /proc. */
#define LT_RECHECK_S 0.25
/* Published processes are checked for exits this often (lost or no exit records). */
#define LT_SWEEP_TICKS 100
/* Copies waiting for their process's mappings, and second walks' results, in all. */
#define LT_COPIES_MAX_BYTES (16UL << 20)
#define LT_RESULTS_MAX_BYTES (64UL << 20)

enum ufile_kind {
	UF_TABLE, /* has a table in the row pool */
	UF_FP, /* keeps frame pointers: no table needed */
	UF_NOCFI, /* no usable .eh_frame */
	UF_FULL, /* needs a table, the row pool was full */
};

/* A file examined, by (dev, inode); path as the symbolizer names it. */
struct ufile {
	struct lt_unwind_key key;
	struct lt_unwind_tab tab; /* UF_TABLE: where its rows are (or will be) */
	uint8_t kind;
	char *path;
	struct lt_unwind_row *rows; /* UF_TABLE: its rows, sorted by file offset */
};

/* A slice of the mapping pool. */
struct span {
	uint32_t first, n;
};

/* A slice no longer published, reusable once no walk can still read it. */
struct qspan {
	struct span s;
	uint64_t tick;
};

/* A stack copied at an event whose walk had no mapping list, to walk again. */
struct ucopy {
	uint64_t key, ip, sp, bp;
	uint32_t tgid, len;
	uint8_t *data;
};

/* A copied stack walked again: its frames, kept until the profile is collected. */
struct uresult {
	uint64_t key;
	uint32_t tgid, n, end, flags;
	uint64_t ips[]; /* n frames */
};

/* An executable mapping of the process a copied stack is walked in. */
struct uwmap {
	uint64_t start, end, bias;
	const struct ufile *f; /* NULL: anonymous */
};

/* What this process's published list is, when user space published it. */
struct pub {
	uint32_t tgid; /* 0: empty slot */
	struct span s;
};

struct lt_unwinder {
	int tabs_fd, rows_fd, maps_fd, procs_fd, want_fd, gen_fd;
	uint64_t gen; /* lt_unwind_gen: bumped when a published list changes */
	struct lt_unwind_stats st;
	bool attached;
	bool live; /* the symbolizer follows mmap records */
	/* files by (dev, ino): open addressing, power-of-two capacity */
	struct ufile **files;
	size_t nfiles, files_cap;
	/* the files built without frame pointers that got no table */
	const struct ufile **untabled;
	size_t nuntabled, untabled_cap;
	uint32_t rows_cap, next_row;
	/* the mapping pool: free slices sorted by first, coalesced */
	uint32_t maps_cap, maps_need;
	struct span *free;
	size_t nfree, free_cap;
	struct qspan *quar;
	size_t nquar, quar_cap;
	uint64_t tick;
	struct lt_unwind_map *shadow; /* what the pool holds */
	/* published processes: open addressing by tgid */
	struct pub *pubs;
	size_t npubs, pubs_cap;
	/* the list being built */
	struct lt_unwind_map *list;
	size_t nlist, list_cap;
	struct bpf_link *links[2];
	/* copied stacks (lt_ustack_copies) and the second walk's scratch */
	struct ring_buffer *copies_rb;
	struct ucopy *copies; /* copies of processes not yet known: walked later */
	size_t ncopies, copies_cap, copies_bytes;
	struct uresult **results; /* open addressing by (key, tgid) */
	size_t nresults, results_cap, results_bytes;
	struct uwmap *uwm;
	size_t nuwm, uwm_cap;
	struct lt_symbolizer *syms;
	uint32_t depth; /* --perf-max-stack-depth */
	struct {
		uint32_t tgid;
		double due;
	} recheck[256];
	unsigned int nrecheck;
};

static const char *base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

static size_t key_hash(uint32_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ ((uint64_t)dev << 40)) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 17);
}

static struct ufile *file_find(const struct lt_unwinder *u, uint32_t dev, uint64_t ino)
{
	if (!u->files_cap)
		return NULL;
	for (size_t i = key_hash(dev, ino) & (u->files_cap - 1);;
	     i = (i + 1) & (u->files_cap - 1)) {
		struct ufile *f = u->files[i];

		if (!f)
			return NULL;
		if (f->key.dev == dev && f->key.ino == ino)
			return f;
	}
}

static int file_insert(struct lt_unwinder *u, struct ufile *f)
{
	if ((u->nfiles + 1) * 2 > u->files_cap) {
		size_t cap = u->files_cap ? u->files_cap * 2 : 256;
		struct ufile **nf = calloc(cap, sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		for (size_t i = 0; i < u->files_cap; i++) {
			struct ufile *g = u->files[i];
			size_t j;

			if (!g)
				continue;
			for (j = key_hash(g->key.dev, g->key.ino) & (cap - 1); nf[j];
			     j = (j + 1) & (cap - 1))
				;
			nf[j] = g;
		}
		free(u->files);
		u->files = nf;
		u->files_cap = cap;
	}
	{
		size_t j = key_hash(f->key.dev, f->key.ino) & (u->files_cap - 1);

		while (u->files[j])
			j = (j + 1) & (u->files_cap - 1);
		u->files[j] = f;
		u->nfiles++;
	}
	return 0;
}

static struct pub *pub_slot(struct lt_unwinder *u, uint32_t tgid, bool create)
{
	size_t mask, i;

	if (create && (u->npubs + 1) * 2 > u->pubs_cap) {
		size_t cap = u->pubs_cap ? u->pubs_cap * 2 : 1024;
		struct pub *np = calloc(cap, sizeof(*np));

		if (!np)
			return NULL;
		for (size_t k = 0; k < u->pubs_cap; k++) {
			if (!u->pubs[k].tgid)
				continue;
			for (i = (u->pubs[k].tgid * 2654435761U) & (cap - 1); np[i].tgid;
			     i = (i + 1) & (cap - 1))
				;
			np[i] = u->pubs[k];
		}
		free(u->pubs);
		u->pubs = np;
		u->pubs_cap = cap;
	}
	if (!u->pubs_cap)
		return NULL;
	mask = u->pubs_cap - 1;
	for (i = (tgid * 2654435761U) & mask; u->pubs[i].tgid; i = (i + 1) & mask)
		if (u->pubs[i].tgid == tgid)
			return &u->pubs[i];
	if (!create)
		return NULL;
	u->pubs[i].tgid = tgid;
	u->pubs[i].s = (struct span){ 0, 0 };
	u->npubs++;
	return &u->pubs[i];
}

/* Remove p from the table, shifting back the entries after it (no tombstones). */
static void pub_remove(struct lt_unwinder *u, struct pub *p)
{
	size_t mask = u->pubs_cap - 1, i = p - u->pubs, j = i;

	u->pubs[i].tgid = 0;
	u->npubs--;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!u->pubs[j].tgid)
			return;
		home = (u->pubs[j].tgid * 2654435761U) & mask;
		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			u->pubs[i] = u->pubs[j];
			u->pubs[j].tgid = 0;
			i = j;
		}
	}
}

/* ---- the mapping pool ------------------------------------------------- */

static int free_insert(struct lt_unwinder *u, struct span s)
{
	size_t i = 0;

	if (!s.n)
		return 0;
	while (i < u->nfree && u->free[i].first < s.first)
		i++;
	/* Coalesce with the neighbours. */
	if (i > 0 && u->free[i - 1].first + u->free[i - 1].n == s.first) {
		u->free[i - 1].n += s.n;
		if (i < u->nfree && s.first + s.n == u->free[i].first) {
			u->free[i - 1].n += u->free[i].n;
			memmove(&u->free[i], &u->free[i + 1],
				(u->nfree - i - 1) * sizeof(*u->free));
			u->nfree--;
		}
		return 0;
	}
	if (i < u->nfree && s.first + s.n == u->free[i].first) {
		u->free[i].first = s.first;
		u->free[i].n += s.n;
		return 0;
	}
	if (LT_GROW(u->free, u->nfree, u->free_cap, 64))
		return -ENOMEM;
	memmove(&u->free[i + 1], &u->free[i], (u->nfree - i) * sizeof(*u->free));
	u->free[i] = s;
	u->nfree++;
	return 0;
}

/* First fit. false when no free slice is long enough. */
static bool pool_alloc(struct lt_unwinder *u, uint32_t n, struct span *out)
{
	for (size_t i = 0; i < u->nfree; i++) {
		if (u->free[i].n < n)
			continue;
		*out = (struct span){ u->free[i].first, n };
		u->free[i].first += n;
		u->free[i].n -= n;
		if (!u->free[i].n) {
			memmove(&u->free[i], &u->free[i + 1],
				(u->nfree - i - 1) * sizeof(*u->free));
			u->nfree--;
		}
		return true;
	}
	return false;
}

/*
 * A slice no longer published may still be read by a walk in flight, or be
 * held by a child forked before it was replaced (bpf/ustack.bpf.h copies the
 * parent's slice, and asks for the child: the next refresh publishes it).
 * Two ticks later neither can hold it.
 */
static void pool_release(struct lt_unwinder *u, struct span s)
{
	if (!s.n)
		return;
	if (LT_GROW(u->quar, u->nquar, u->quar_cap, 64))
		return; /* leaked: only a smaller pool */
	u->quar[u->nquar++] = (struct qspan){ s, u->tick };
}

static void pool_tick(struct lt_unwinder *u)
{
	u->tick++;
	for (size_t i = 0; i < u->nquar;) {
		if (u->quar[i].tick + 2 > u->tick) {
			i++;
			continue;
		}
		free_insert(u, u->quar[i].s);
		u->quar[i] = u->quar[--u->nquar];
	}
}

static int upload(int fd, uint32_t first, const void *vals, size_t size, uint32_t n)
{
	uint32_t *keys = malloc((n ? n : 1) * sizeof(*keys)), count = n;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = first + i;
	if (n && bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
		/* Kernels without batch ops on arrays: one at a time. */
		for (uint32_t i = 0; i < n && !err; i++)
			if (bpf_map_update_elem(fd, &keys[i], (const char *)vals + i * size,
						BPF_ANY))
				err = -errno;
	}
	free(keys);
	return err;
}

/* ---- tables ------------------------------------------------------------ */

/* Rows of a table, as file offsets. NULL with *n = 0 when none are left. */
static struct lt_unwind_row *build_rows(struct elf_file *ef, const struct cfi_table *t, uint32_t *n)
{
	struct lt_unwind_row *rows = calloc(t->n ? t->n : 1, sizeof(*rows));

	*n = 0;
	if (!rows)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t off;

		/* End markers may sit one past a segment: map the byte before. */
		if (elf_file__vaddr_to_off(ef, t->rows[i].pc, &off)) {
			if (t->rows[i].cfa_reg != LT_CFA_UNDEF ||
			    elf_file__vaddr_to_off(ef, t->rows[i].pc - 1, &off))
				continue;
			off++;
		}
		if (off > UINT32_MAX)
			continue;
		rows[(*n)++] = (struct lt_unwind_row){
			.off = off,
			.cfa_off = t->rows[i].cfa_off,
			.cfa_reg = t->rows[i].cfa_reg,
			.rbp_off = t->rows[i].rbp_off,
		};
	}
	return rows;
}

/* Give f its place in the row pool and, once attached, load it. */
/* Remember f as one whose walks stop for want of a table (lt_unwinder__file_untabled()). */
static void note_untabled(struct lt_unwinder *u, const struct ufile *f)
{
	if (!LT_GROW(u->untabled, u->nuntabled, u->untabled_cap, 16))
		u->untabled[u->nuntabled++] = f;
}

static int place_table(struct lt_unwinder *u, struct ufile *f, struct lt_unwind_row *rows,
		       uint32_t n)
{
	int err;

	if ((u->attached && u->next_row + (uint64_t)n > u->rows_cap) ||
	    u->next_row + (uint64_t)n > LT_ROWS_MAX || u->st.tables >= LT_UNWIND_MAX_TABLES) {
		f->kind = UF_FULL;
		note_untabled(u, f);
		u->st.pool_full++;
		lt_info("unwind: %s: no room for its %u rows (pool of %u full)", base(f->path), n,
			u->rows_cap);
		free(rows);
		return 0;
	}
	f->kind = UF_TABLE;
	f->tab = (struct lt_unwind_tab){ u->next_row, n };
	f->rows = rows; /* kept: user space walks copied stacks with them too */
	u->next_row += n;
	u->st.tables++;
	u->st.rows += n;
	if (!u->attached)
		return 0; /* uploaded by lt_unwinder__attach() */
	err = upload(u->rows_fd, f->tab.first, rows, sizeof(*rows), n);
	if (!err && bpf_map_update_elem(u->tabs_fd, &f->key, &f->tab, BPF_ANY))
		err = -errno;
	if (err)
		lt_err("cannot load the unwind table of '%s': %s", f->path, strerror(-err));
	return err;
}

static int examine_file(uint32_t dev, uint64_t ino, const char *path, struct elf_file *ef,
			void *ctx)
{
	struct lt_unwinder *u = ctx;
	struct lt_unwind_row *rows;
	struct cfi_table t;
	struct ufile *f;
	uint32_t n;
	int err;

	if (file_find(u, dev, ino))
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return -ENOMEM;
	}
	f->key = (struct lt_unwind_key){ .dev = dev, .ino = ino };
	err = file_insert(u, f);
	if (err) {
		free(f->path);
		free(f);
		return err;
	}
	u->st.files++;
	err = cfi_table__build(elf_file__elf(ef), &t);
	/* Go writes no .eh_frame, and keeps frame pointers on x86-64 (Go 1.7 on). */
	if (err == -ENOENT && elf_file__has_section(ef, ".gopclntab")) {
		lt_info("unwind: %s: Go, frame pointers", base(path));
		f->kind = UF_FP;
		u->st.fp_files++;
		return 0;
	}
	if (err) {
		lt_info("unwind: %s: no usable .eh_frame (%s)", base(path), strerror(-err));
		f->kind = UF_NOCFI;
		note_untabled(u, f);
		u->st.failed++;
		return err == -ENOMEM ? err : 0;
	}
	if (cfi_table__has_frame_pointers(&t)) {
		lt_info("unwind: %s: frame pointers (%u of %u functions), no table needed",
			base(path), t.fp_fdes, t.fdes);
		f->kind = UF_FP;
		u->st.fp_files++;
		cfi_table__free(&t);
		return 0;
	}
	rows = build_rows(ef, &t, &n);
	cfi_table__free(&t);
	if (!rows)
		return -ENOMEM;
	if (!n) {
		f->kind = UF_NOCFI;
		note_untabled(u, f);
		u->st.failed++;
		free(rows);
		return 0;
	}
	lt_info("unwind: %s: %u CFI rows (no frame pointers)", base(path), n);
	return place_table(u, f, rows, n);
}

/* ---- lists ------------------------------------------------------------- */

static int count_map(uint32_t tgid, uint64_t start, uint64_t end, uint64_t pgoff, uint32_t dev,
		     uint64_t ino, void *ctx)
{
	(void)tgid, (void)start, (void)end, (void)pgoff, (void)dev, (void)ino;
	((struct lt_unwinder *)ctx)->maps_need++;
	return 0;
}

struct lt_unwinder *lt_unwinder__new(struct lt_symbolizer *s)
{
	struct lt_unwinder *u = calloc(1, sizeof(*u));
	int err;

	if (!u)
		goto out_nomem;
	u->tabs_fd = u->rows_fd = u->maps_fd = u->procs_fd = u->want_fd = u->gen_fd = -1;
	u->depth = LT_MAX_STACK_DEPTH;
	err = lt_symbolizer__foreach_file(s, 0, examine_file, u);
	err = err ?: lt_symbolizer__foreach_map(s, 0, count_map, u);
	if (err) {
		lt_unwinder__free(u);
		goto out_nomem;
	}
	return u;
out_nomem:
	lt_err("cannot build unwind tables: %s", strerror(ENOMEM));
	return NULL;
}

void lt_unwinder__pool_sizes(const struct lt_unwinder *u, unsigned int *rows, unsigned int *maps)
{
	uint64_t r = (uint64_t)u->next_row + u->next_row / 4 + LT_ROWS_HEADROOM;
	uint64_t m = (uint64_t)u->maps_need * 4;

	const char *env = getenv("LATPROF_UNWIND_ROWS"); /* testing: a pool too small */

	if (env && *env)
		r = strtoul(env, NULL, 10) ?: 1;
	*rows = r > LT_ROWS_MAX ? LT_ROWS_MAX : (unsigned int)r;
	*maps = m < LT_MAPS_MIN ? LT_MAPS_MIN : m > LT_MAPS_MAX ? LT_MAPS_MAX : (unsigned int)m;
}

void lt_unwinder__free(struct lt_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < 2; i++)
		bpf_link__destroy(u->links[i]);
	for (size_t i = 0; i < u->files_cap; i++) {
		if (!u->files[i])
			continue;
		free(u->files[i]->rows);
		free(u->files[i]->path);
		free(u->files[i]);
	}
	free(u->files);
	free(u->untabled);
	ring_buffer__free(u->copies_rb);
	for (size_t i = 0; i < u->ncopies; i++)
		free(u->copies[i].data);
	free(u->copies);
	for (size_t i = 0; i < u->results_cap; i++)
		free(u->results[i]);
	free(u->results);
	free(u->uwm);
	free(u->free);
	free(u->quar);
	free(u->shadow);
	free(u->pubs);
	free(u->list);
	free(u);
}

const struct lt_unwind_stats *lt_unwinder__stats(const struct lt_unwinder *u)
{
	return &u->st;
}

bool lt_unwinder__file_untabled(const struct lt_unwinder *u, const char *path)
{
	for (size_t i = 0; i < u->nuntabled; i++)
		if (!strcmp(u->untabled[i]->path, path))
			return true;
	return false;
}

static int uw_add(uint32_t tgid, uint64_t start, uint64_t end, uint64_t pgoff, uint32_t dev,
		  uint64_t ino, void *ctx)
{
	struct lt_unwinder *u = ctx;

	(void)tgid;
	if (LT_GROW(u->uwm, u->nuwm, u->uwm_cap, 64))
		return -ENOMEM;
	u->uwm[u->nuwm++] = (struct uwmap){
		.start = start,
		.end = end,
		.bias = start - pgoff,
		.f = dev || ino ? file_find(u, dev, ino) : NULL,
	};
	return 0;
}

/* tgid's executable mappings, in address order, into u->uwm. 0 or -ENOMEM. */
static int gather_maps(struct lt_unwinder *u, struct lt_symbolizer *s, uint32_t tgid)
{
	u->nuwm = 0;
	return lt_symbolizer__foreach_map(s, tgid, uw_add, u);
}

/* lt_unwinder__publish(); 1 when the list BPF has was already this one. */
static int publish(struct lt_unwinder *u, struct lt_symbolizer *s, uint32_t tgid)
{
	struct lt_unwind_proc cur, val;
	struct span sp = { 0, 0 };
	struct pub *p;
	bool had, same;
	uint32_t zero = 0;
	int err;

	err = lt_symbolizer__foreach_file(s, tgid, examine_file, u);
	err = err ?: gather_maps(u, s, tgid);
	if (err)
		return err;
	/* BPF's view: each mapping with the slice of its file's table, if any. */
	u->nlist = 0;
	for (size_t i = 0; i < u->nuwm; i++) {
		const struct uwmap *m = &u->uwm[i];
		bool tab = m->f && m->f->kind == UF_TABLE;

		if (LT_GROW(u->list, u->nlist, u->list_cap, 64))
			return -ENOMEM;
		u->list[u->nlist++] = (struct lt_unwind_map){
			.start = m->start,
			.end = m->end,
			.bias = m->bias,
			.tab_first = tab ? m->f->tab.first : 0,
			.tab_nrows = tab ? m->f->tab.nrows : 0,
		};
	}
	had = !bpf_map_lookup_elem(u->procs_fd, &tgid, &cur);
	same = had && cur.n == u->nlist && cur.first + (uint64_t)cur.n <= u->maps_cap &&
	       !memcmp(&u->shadow[cur.first], u->list, u->nlist * sizeof(*u->list));
	p = pub_slot(u, tgid, false);
	/* Unchanged and its own slice already: nothing to do. */
	if (same && p && p->s.first == cur.first && p->s.n == cur.n)
		return 1;
	if (u->nlist && !pool_alloc(u, u->nlist, &sp)) {
		u->st.procs_full++;
		lt_info("unwind: no room for the %zu mappings of pid %u (pool of %u)", u->nlist,
			tgid, u->maps_cap);
		return 0;
	}
	memcpy(&u->shadow[sp.first], u->list, u->nlist * sizeof(*u->list));
	err = upload(u->maps_fd, sp.first, u->list, sizeof(*u->list), u->nlist);
	val = (struct lt_unwind_proc){ sp.first, sp.n };
	if (!err && bpf_map_update_elem(u->procs_fd, &tgid, &val, BPF_ANY)) {
		/* Full: that process is walked as one not yet known, still correct. */
		u->st.procs_full++;
		lt_info("unwind: cannot publish the mappings of pid %u: %s", tgid, strerror(errno));
		free_insert(u, sp);
		return 0;
	}
	if (err) {
		lt_err("cannot publish the mappings of pid %u: %s", tgid, strerror(-err));
		return err;
	}
	u->st.procs++;
	p = p ?: pub_slot(u, tgid, true);
	if (!p)
		return -ENOMEM;
	pool_release(u, p->s);
	p->s = sp;
	/*
	 * Stacks cached from walks over the old list (bpf/stack_cache.bpf.h)
	 * may no longer be what a walk finds: a new generation voids them. A
	 * first list needs none: walks without one are not cached.
	 */
	if (had && !same && u->gen_fd >= 0) {
		u->gen++;
		bpf_map_update_elem(u->gen_fd, &zero, &u->gen, BPF_ANY);
	}
	return 0;
}

int lt_unwinder__publish(struct lt_unwinder *u, struct lt_symbolizer *s, uint32_t tgid)
{
	int err = publish(u, s, tgid);

	return err < 0 ? err : 0;
}

void lt_unwinder__configure(struct lt_unwinder *u, bool live, unsigned int depth)
{
	u->live = live;
	u->depth = depth && depth < LT_MAX_STACK_DEPTH ? depth : LT_MAX_STACK_DEPTH;
}

void lt_unwinder__forget(struct lt_unwinder *u, uint32_t tgid)
{
	struct pub *p = pub_slot(u, tgid, false);

	bpf_map_delete_elem(u->procs_fd, &tgid);
	if (!p)
		return;
	pool_release(u, p->s);
	pub_remove(u, p);
}

static int publish_all(uint32_t tgid, uint64_t start, uint64_t end, uint64_t pgoff, uint32_t dev,
		       uint64_t ino, void *ctx)
{
	struct {
		struct lt_unwinder *u;
		struct lt_symbolizer *s;
		uint32_t last;
	} *c = ctx;

	(void)start, (void)end, (void)pgoff, (void)dev, (void)ino;
	if (tgid == c->last)
		return 0;
	c->last = tgid;
	return lt_unwinder__publish(c->u, c->s, tgid);
}

static int attach_hooks(struct lt_unwinder *u, struct bpf_object *obj)
{
	static const char *const hooks[] = { "lt_unwind_exec", "lt_unwind_fork" };

	for (size_t i = 0; i < 2; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, hooks[i]);

		if (!p || !bpf_program__autoload(p))
			continue;
		u->links[i] = bpf_program__attach(p);
		if (!u->links[i]) {
			int err = -errno;

			lt_err("cannot attach %s: %s", hooks[i], strerror(-err));
			return err;
		}
	}
	return 0;
}

static int gather_maps(struct lt_unwinder *u, struct lt_symbolizer *s, uint32_t tgid);
static void uw_walk(const struct lt_unwinder *u, const struct ucopy *c, struct lt_ustack *st);

static size_t result_slot(const struct lt_unwinder *u, uint64_t key, uint32_t tgid)
{
	size_t mask = u->results_cap - 1, i = (size_t)((key ^ tgid) * 0x9e3779b97f4a7c15ULL >> 7);

	for (i &= mask; u->results[i]; i = (i + 1) & mask)
		if (u->results[i]->key == key && u->results[i]->tgid == tgid)
			break;
	return i;
}

/* Keep the second walk st of (tgid, key): its frames only. */
static void keep_result(struct lt_unwinder *u, uint32_t tgid, uint64_t key,
			const struct lt_ustack *st)
{
	uint32_t n = 0;
	struct uresult *r;
	size_t i;

	while (n < LT_MAX_STACK_DEPTH && st->ips[n])
		n++;
	if (u->results_bytes + sizeof(*r) + n * 8 > LT_RESULTS_MAX_BYTES) {
		u->st.copies_dropped++;
		return;
	}
	if ((u->nresults + 1) * 2 > u->results_cap) {
		size_t cap = u->results_cap ? u->results_cap * 2 : 1024, old = u->results_cap;
		struct uresult **nr = calloc(cap, sizeof(*nr)), **prev = u->results;

		if (!nr) {
			u->st.copies_dropped++;
			return;
		}
		u->results = nr;
		u->results_cap = cap;
		for (size_t k = 0; k < old; k++)
			if (prev[k])
				u->results[result_slot(u, prev[k]->key, prev[k]->tgid)] = prev[k];
		free(prev);
	}
	i = result_slot(u, key, tgid);
	if (u->results[i])
		return; /* walked already */
	r = malloc(sizeof(*r) + n * 8);
	if (!r) {
		u->st.copies_dropped++;
		return;
	}
	*r = (struct uresult){ key, tgid, n, st->end, st->flags };
	memcpy(r->ips, st->ips, n * 8);
	u->results[i] = r;
	u->nresults++;
	u->results_bytes += sizeof(*r) + n * 8;
	u->st.rewalked++;
}

/*
 * A copied stack from BPF. Its process's mappings are known by now (the mmap
 * records that made them came before it blocked, and were applied first):
 * walked at once, and only the frames kept. Otherwise the copy waits, within
 * LT_COPIES_MAX_BYTES, for the collection.
 */
static int on_copy(void *ctx, void *data, size_t size)
{
	struct lt_unwinder *u = ctx;
	const struct lt_ustack_copy *c = data;
	struct ucopy k;

	if (size < sizeof(*c) || c->len > LT_USTACK_COPY_BYTES || !c->len)
		return 0;
	k = (struct ucopy){ c->key, c->ip, c->sp, c->bp, c->tgid, c->len, (uint8_t *)c->data };
	if (u->syms && !gather_maps(u, u->syms, c->tgid) && u->nuwm) {
		struct lt_ustack *st = calloc(1, sizeof(*st));

		if (st) {
			uw_walk(u, &k, st);
			keep_result(u, c->tgid, c->key, st);
			free(st);
			return 0;
		}
	}
	if (u->copies_bytes + c->len > LT_COPIES_MAX_BYTES ||
	    LT_GROW(u->copies, u->ncopies, u->copies_cap, 64) || !(k.data = malloc(c->len))) {
		u->st.copies_dropped++;
		return 0;
	}
	memcpy(k.data, c->data, c->len);
	u->copies[u->ncopies++] = k;
	u->copies_bytes += c->len;
	return 0;
}

int lt_unwinder__attach(struct lt_unwinder *u, struct bpf_object *obj, struct lt_symbolizer *s)
{
	struct {
		struct lt_unwinder *u;
		struct lt_symbolizer *s;
		uint32_t last;
	} c = { u, s, 0 };
	struct bpf_map *rm = bpf_object__find_map_by_name(obj, "lt_unwind_rows");
	struct bpf_map *mm = bpf_object__find_map_by_name(obj, "lt_unwind_maps");
	int err = 0;

	u->tabs_fd = lt_map_fd(obj, "lt_unwind_tabs");
	u->rows_fd = lt_map_fd(obj, "lt_unwind_rows");
	u->maps_fd = lt_map_fd(obj, "lt_unwind_maps");
	u->procs_fd = lt_map_fd(obj, "lt_unwind_procs");
	u->want_fd = lt_map_fd(obj, "lt_unwind_want");
	u->gen_fd = lt_map_fd(obj, "lt_unwind_gen");
	if (!rm || !mm || u->tabs_fd < 0 || u->rows_fd < 0 || u->maps_fd < 0 || u->procs_fd < 0 ||
	    u->want_fd < 0) {
		lt_err("cannot set up the unwinder: its maps are missing");
		return -ENOENT;
	}
	u->rows_cap = bpf_map__max_entries(rm);
	u->maps_cap = bpf_map__max_entries(mm);
	u->st.rows_cap = u->rows_cap;
	u->st.maps_cap = u->maps_cap;
	u->shadow = calloc(u->maps_cap, sizeof(*u->shadow));
	if (!u->shadow || free_insert(u, (struct span){ 0, u->maps_cap }))
		return -ENOMEM;
	/* Tables built before load: upload those that fit the pool. */
	u->attached = true;
	u->next_row = 0;
	u->st.tables = 0;
	u->st.rows = 0;
	for (size_t i = 0; i < u->files_cap && !err; i++) {
		struct ufile *f = u->files[i];
		struct lt_unwind_row *rows;

		if (!f || f->kind != UF_TABLE)
			continue;
		rows = f->rows;
		f->rows = NULL;
		err = place_table(u, f, rows, f->tab.nrows);
	}
	err = err ?: lt_symbolizer__foreach_map(s, 0, publish_all, &c);
	err = err ?: attach_hooks(u, obj);
	if (err)
		return err;
	u->syms = s;
	if (lt_map_fd(obj, "lt_ustack_copies") >= 0) {
		u->copies_rb =
			ring_buffer__new(lt_map_fd(obj, "lt_ustack_copies"), on_copy, u, NULL);
		if (!u->copies_rb)
			lt_info("cannot read copied stacks: %s; walks without a mapping list stay as "
				"they are",
				strerror(errno));
	}
	return 0;
}

/* Withdraw the lists of processes gone without an exit record reaching us. */
static void sweep(struct lt_unwinder *u, struct lt_symbolizer *s)
{
	for (size_t i = 0; i < u->pubs_cap;) {
		uint32_t tgid = u->pubs[i].tgid;

		if (tgid && kill(tgid, 0) && errno == ESRCH) {
			lt_symbolizer__exit(s, tgid);
			lt_unwinder__forget(u, tgid); /* shifts a later entry into i */
			continue;
		}
		i++;
	}
}

int lt_unwinder__refresh(struct lt_unwinder *u, struct lt_symbolizer *s)
{
	uint32_t key, next;
	double now = lt_mono_s();
	int err = 0;

	pool_tick(u);
	if (u->copies_rb)
		ring_buffer__consume(u->copies_rb);
	if (u->tick % LT_SWEEP_TICKS == 0)
		sweep(u, s);
	while (!err && !bpf_map_get_next_key(u->want_fd, NULL, &next)) {
		key = next;
		bpf_map_delete_elem(u->want_fd, &key);
		/*
		 * Known from mmap records (or a fork): published from that view.
		 * Asked for again with that very list, the view misses the code
		 * the process runs (a record was lost): /proc has it.
		 */
		if (u->live && lt_symbolizer__knows(s, key) && (err = publish(u, s, key)) != 1)
			continue;
		err = 0;
		if (lt_symbolizer__snapshot(s, key, false)) {
			lt_unwinder__forget(u, key); /* already gone */
			continue;
		}
		if (u->nrecheck < sizeof(u->recheck) / sizeof(u->recheck[0])) {
			u->recheck[u->nrecheck].tgid = key;
			u->recheck[u->nrecheck++].due = now + LT_RECHECK_S;
		}
		err = lt_unwinder__publish(u, s, key);
		lt_info("unwind: published the mappings of pid %u", key);
	}
	/*
	 * A process first read from /proc early in its life (ld.so still
	 * mapping its libraries) is read once more, unless mmap records keep
	 * the symbolizer current.
	 */
	for (unsigned int i = 0; !err && i < u->nrecheck;) {
		if (u->recheck[i].due > now) {
			i++;
			continue;
		}
		key = u->recheck[i].tgid;
		u->recheck[i] = u->recheck[--u->nrecheck];
		if (!lt_symbolizer__snapshot(s, key, false))
			err = lt_unwinder__publish(u, s, key);
	}
	return err;
}

/* ---- the second walk, over a copied stack --------------------------------- */

static const struct uwmap *uw_find(const struct lt_unwinder *u, uint64_t pc)
{
	size_t lo = 0, hi = u->nuwm;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->uwm[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && pc < u->uwm[lo - 1].end ? &u->uwm[lo - 1] : NULL;
}

/* The row of f's table covering file offset off, or NULL. */
static const struct lt_unwind_row *uw_row(const struct ufile *f, uint64_t off)
{
	uint32_t lo = 0, hi = f->tab.nrows;

	if (f->kind != UF_TABLE || !f->rows)
		return NULL;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (f->rows[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &f->rows[lo - 1] : NULL;
}

/* The word at addr, when it is inside the copy. */
static bool uw_read(const struct ucopy *c, uint64_t addr, uint64_t *v)
{
	if (addr < c->sp || addr - c->sp + 8 > c->len)
		return false;
	memcpy(v, c->data + (addr - c->sp), 8);
	return true;
}

/*
 * Walk the copied stack c with the process's mappings in u->uwm, by the
 * rules of bpf/ustack.bpf.h (lt_walk_next): CFI rows where the file has a
 * table, the sigframe at a signal trampoline, the frame pointer elsewhere
 * (stack switches to code, at most LT_UWALK_MAX_SWITCHES), and a return
 * address that is no code ends the walk. Fills st.
 */
static void uw_walk(const struct lt_unwinder *u, const struct ucopy *c, struct lt_ustack *st)
{
	uint64_t pc = c->ip, sp = c->sp, bp = c->bp, ra = 0;
	uint32_t n = 0, switches = 0;
	bool exact = true;

	st->end = LT_UEND_CHAIN;
	st->ips[n++] = pc;
	while (n < u->depth) {
		uint64_t look = exact ? pc : pc - 1;
		const struct uwmap *m = uw_find(u, look);
		const struct lt_unwind_row *row = NULL;

		exact = false;
		if (!m && n > 1) {
			n--; /* a return address that is no code */
			break;
		}
		if (m && m->f)
			row = uw_row(m->f, look - m->bias);
		if (row && row->cfa_reg == LT_CFA_SIGNAL) {
			uint64_t nbp, nsp;

			if (!uw_read(c, sp + LT_SIGFRAME_BP, &nbp) ||
			    !uw_read(c, sp + LT_SIGFRAME_SP, &nsp) ||
			    !uw_read(c, sp + LT_SIGFRAME_IP, &ra)) {
				st->end = LT_UEND_FAULT;
				break;
			}
			st->ips[n - 1] |= LT_USTACK_EXACT;
			bp = nbp;
			sp = nsp;
			exact = true;
			st->flags |= LT_UWALK_SIGNAL;
		} else if (row && row->cfa_reg != LT_CFA_UNDEF) {
			uint64_t cfa = row->cfa_reg == LT_CFA_RSP ?
					       sp + row->cfa_off :
				       row->cfa_reg == LT_CFA_RBP ?
					       bp + row->cfa_off :
					       sp + row->cfa_off + ((pc & 15) >= 11 ? 8 : 0);

			if (!uw_read(c, cfa - 8, &ra) ||
			    (row->rbp_off && !uw_read(c, cfa + row->rbp_off, &bp))) {
				st->end = LT_UEND_FAULT;
				break;
			}
			sp = cfa;
		} else {
			uint64_t fbp;

			if (!bp || (bp & 7))
				break;
			if (!uw_read(c, bp, &fbp) || !uw_read(c, bp + 8, &ra)) {
				st->end = LT_UEND_FAULT;
				break;
			}
			if (bp < sp) {
				if (!uw_find(u, ra))
					break;
				if (switches++ >= LT_UWALK_MAX_SWITCHES) {
					st->end = LT_UEND_SWITCHES;
					break;
				}
				st->flags |= LT_UWALK_SWITCH;
			}
			sp = bp + 16;
			bp = fbp;
		}
		if (!ra)
			break;
		pc = ra;
		st->ips[n++] = exact ? ra | LT_USTACK_EXACT : ra;
	}
	if (n >= u->depth)
		st->end = LT_UEND_DEPTH;
	if (n < LT_MAX_STACK_DEPTH)
		st->ips[n] = 0;
}

void lt_unwinder__drain_copies(struct lt_unwinder *u)
{
	if (u && u->copies_rb)
		ring_buffer__consume(u->copies_rb);
}

bool lt_unwinder__rewalk(struct lt_unwinder *u, uint32_t tgid, uint64_t key, struct lt_ustack *st)
{
	const struct uresult *r;
	size_t i;

	/* Copies still waiting: their processes' mappings are known now. */
	for (i = 0; i < u->ncopies; i++) {
		struct lt_ustack *w = calloc(1, sizeof(*w));

		if (w && u->syms && !gather_maps(u, u->syms, u->copies[i].tgid) && u->nuwm) {
			uw_walk(u, &u->copies[i], w);
			keep_result(u, u->copies[i].tgid, u->copies[i].key, w);
		}
		free(w);
		free(u->copies[i].data);
	}
	u->ncopies = 0;
	u->copies_bytes = 0;
	if (!u->results_cap)
		return false;
	r = u->results[result_slot(u, key, tgid)];
	if (!r)
		return false;
	memset(st->ips, 0, sizeof(st->ips));
	memcpy(st->ips, r->ips, r->n * 8);
	st->end = r->end;
	st->flags = (st->flags & ~LT_UWALK_NOMAPS) | LT_UWALK_COPIED | r->flags;
	return true;
}

/* Keep the second walks' results of the processes in list (sorted) when listed, else the others. */
static void results_filter(struct lt_unwinder *u, const uint32_t *list, size_t n, bool listed)
{
	struct uresult **old = u->results;
	size_t cap = u->results_cap;

	if (!cap)
		return;
	/* Rebuild the table with the results kept. */
	u->results = calloc(cap, sizeof(*u->results));
	if (!u->results) {
		u->results = old;
		return;
	}
	u->nresults = 0;
	u->results_bytes = 0;
	for (size_t i = 0; i < cap; i++) {
		struct uresult *r = old[i];
		size_t lo = 0, hi = n;

		if (!r)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (list[mid] < r->tgid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if ((lo < n && list[lo] == r->tgid) == listed) {
			u->results[result_slot(u, r->key, r->tgid)] = r;
			u->nresults++;
			u->results_bytes += sizeof(*r) + r->n * 8;
		} else {
			free(r);
		}
	}
	free(old);
}

void lt_unwinder__prune(struct lt_unwinder *u, const uint32_t *keep, size_t nkeep)
{
	results_filter(u, keep, nkeep, true);
}

void lt_unwinder__drop(struct lt_unwinder *u, const uint32_t *tgids, size_t n)
{
	if (u && n && u->nresults)
		results_filter(u, tgids, n, false);
}
