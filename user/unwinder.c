// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "cfi.h"
#include "err.h"
#include "unwinder.h"

#define LT_SEEN_MAX 8192 /* distinct files remembered, to examine each once */

struct lt_unwinder {
	int tabs_fd, rows_fd, procs_fd, want_fd;
	int gen_fd; /* lt_unwind_gen: bumped when a published list changes */
	uint64_t gen;
	uint32_t next_row;
	struct lt_unwind_stats st;
	struct lt_unwind_key *seen;
	unsigned int nseen;
	/* tables loaded, to publish per-process mapping lists */
	struct lt_unwind_key keys[LT_UNWIND_MAX_TABLES];
	struct lt_unwind_tab tabs[LT_UNWIND_MAX_TABLES];
	/* the process being gathered by publish_map() */
	uint32_t tgid;
	struct lt_unwind_proc proc;
	/*
	 * Processes published when BPF first met them, to read once more a
	 * little later: one met early in its life (ld.so still mapping its
	 * libraries) would keep a list without libc for good.
	 */
	struct {
		uint32_t tgid;
		double due;
	} recheck[256];
	unsigned int nrecheck;
};

/* A second look this long after the first publication of a process. */
#define LT_RECHECK_S 0.25

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

struct lt_unwinder *lt_unwinder__new(struct bpf_object *obj)
{
	struct lt_unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->seen = calloc(LT_SEEN_MAX, sizeof(*u->seen));
	u->tabs_fd = lt_map_fd(obj, "lt_unwind_tabs");
	u->rows_fd = lt_map_fd(obj, "lt_unwind_rows");
	u->procs_fd = lt_map_fd(obj, "lt_unwind_procs");
	u->want_fd = lt_map_fd(obj, "lt_unwind_want");
	u->gen_fd = lt_map_fd(obj, "lt_unwind_gen");
	if (!u->seen || u->tabs_fd < 0 || u->rows_fd < 0 || u->procs_fd < 0 || u->want_fd < 0) {
		lt_unwinder__free(u);
		return NULL;
	}
	return u;
}

void lt_unwinder__free(struct lt_unwinder *u)
{
	if (!u)
		return;
	free(u->seen);
	free(u);
}

const struct lt_unwind_stats *lt_unwinder__stats(const struct lt_unwinder *u)
{
	return &u->st;
}

static int upload_rows(struct lt_unwinder *u, const struct lt_unwind_row *rows, uint32_t n)
{
	uint32_t *keys = malloc(n * sizeof(*keys));
	uint32_t count = n;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = u->next_row + i;
	if (bpf_map_update_batch(u->rows_fd, keys, rows, &count, NULL)) {
		/* Kernels without batch ops on arrays: one at a time. */
		for (uint32_t i = 0; i < n && !err; i++)
			if (bpf_map_update_elem(u->rows_fd, &keys[i], &rows[i], BPF_ANY))
				err = -errno;
	}
	free(keys);
	return err;
}

static int load_file(uint32_t dev, uint64_t ino, const char *path, struct elf_file *ef, void *ctx)
{
	struct lt_unwinder *u = ctx;
	struct lt_unwind_key key = { .dev = dev, .ino = ino };
	struct lt_unwind_tab tab;
	struct lt_unwind_row *rows;
	struct cfi_table t;
	uint32_t n = 0;
	int err;

	for (unsigned int i = 0; i < u->nseen; i++)
		if (u->seen[i].dev == dev && u->seen[i].ino == ino)
			return 0;
	if (u->nseen < LT_SEEN_MAX)
		u->seen[u->nseen++] = key;
	u->st.files++;

	err = cfi_table__build(elf_file__elf(ef), &t);
	if (err) {
		lt_info("unwind: %s: no usable .eh_frame (%s)", base(path), strerror(-err));
		u->st.failed++;
		return err == -ENOMEM ? err : 0;
	}
	if (cfi_table__has_frame_pointers(&t)) {
		lt_info("unwind: %s: frame pointers (%u of %u functions), no table needed",
			base(path), t.fp_fdes, t.fdes);
		u->st.fp_files++;
		cfi_table__free(&t);
		return 0;
	}
	rows = calloc(t.n ? t.n : 1, sizeof(*rows));
	if (!rows) {
		cfi_table__free(&t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t.n; i++) {
		uint64_t off;

		/* End markers may sit one past a segment: map the byte before. */
		if (elf_file__vaddr_to_off(ef, t.rows[i].pc, &off)) {
			if (t.rows[i].cfa_reg != LT_CFA_UNDEF ||
			    elf_file__vaddr_to_off(ef, t.rows[i].pc - 1, &off))
				continue;
			off++;
		}
		if (off > UINT32_MAX)
			continue;
		rows[n++] = (struct lt_unwind_row){
			.off = off,
			.cfa_off = t.rows[i].cfa_off,
			.cfa_reg = t.rows[i].cfa_reg,
			.rbp_off = t.rows[i].rbp_off,
		};
	}
	cfi_table__free(&t);
	if (!n || u->next_row + n > LT_UNWIND_MAX_ROWS || u->st.tables >= LT_UNWIND_MAX_TABLES) {
		if (n)
			lt_warn("unwind table pool full: frames in '%s' may be missing", path);
		u->st.failed++;
		free(rows);
		return 0;
	}
	err = upload_rows(u, rows, n);
	free(rows);
	if (err) {
		lt_err("cannot load unwind rows for '%s': %s", path, strerror(-err));
		return err;
	}
	tab.first = u->next_row;
	tab.nrows = n;
	if (bpf_map_update_elem(u->tabs_fd, &key, &tab, BPF_ANY)) {
		err = -errno;
		lt_err("cannot load unwind table for '%s': %s", path, strerror(errno));
		return err;
	}
	u->keys[u->st.tables] = key;
	u->tabs[u->st.tables] = tab;
	u->next_row += n;
	u->st.tables++;
	u->st.rows += n;
	lt_info("unwind: %s: %u CFI rows (no frame pointers)", base(path), n);
	return 0;
}

/* Publish the gathered process; an empty list is published too: "all FP". */
static void flush_proc(struct lt_unwinder *u)
{
	struct lt_unwind_proc old;
	bool replaced;
	uint32_t zero = 0;

	if (!u->tgid)
		return;
	replaced = !bpf_map_lookup_elem(u->procs_fd, &u->tgid, &old);
	if (bpf_map_update_elem(u->procs_fd, &u->tgid, &u->proc, BPF_ANY)) {
		/* Full: that process falls back to bpf_find_vma(), still correct. */
		lt_info("unwind: cannot publish the mappings of pid %u: %s", u->tgid,
			strerror(errno));
	} else {
		u->st.procs++;
		/*
		 * Stacks cached from walks over the old list (bpf/stack_cache.bpf.h)
		 * may no longer be what a walk finds: a new generation voids them.
		 * A first list needs none: walks without one are not cached.
		 */
		if (replaced && memcmp(&old, &u->proc, sizeof(old)) && u->gen_fd >= 0) {
			u->gen++;
			bpf_map_update_elem(u->gen_fd, &zero, &u->gen, BPF_ANY);
		}
	}
	u->tgid = 0;
}

static int publish_map(uint32_t tgid, uint64_t start, uint64_t end, uint64_t pgoff, uint32_t dev,
		       uint64_t ino, void *ctx)
{
	struct lt_unwinder *u = ctx;
	unsigned int i;

	if (tgid != u->tgid) {
		flush_proc(u);
		u->tgid = tgid;
		memset(&u->proc, 0, sizeof(u->proc));
	}
	for (i = 0; i < u->st.tables; i++)
		if (u->keys[i].dev == dev && u->keys[i].ino == ino)
			break;
	if (i == u->st.tables)
		return 0;
	if (u->proc.n == LT_UNWIND_PROC_MAPS) {
		lt_info("unwind: pid %u maps more than %d files without frame pointers", tgid,
			LT_UNWIND_PROC_MAPS);
		return 0;
	}
	u->proc.m[u->proc.n++] = (struct lt_unwind_map){
		.start = start,
		.end = end,
		.bias = start - pgoff,
		.tab_first = u->tabs[i].first,
		.tab_nrows = u->tabs[i].nrows,
	};
	return 0;
}

static int load_procs(struct lt_unwinder *u, struct lt_symbolizer *s, uint32_t tgid)
{
	int err = lt_symbolizer__foreach_file(s, tgid, load_file, u);

	err = err ?: lt_symbolizer__foreach_map(s, tgid, publish_map, u);
	flush_proc(u);
	return err;
}

int lt_unwinder__load(struct lt_unwinder *u, struct lt_symbolizer *s)
{
	return load_procs(u, s, 0);
}

int lt_unwinder__refresh(struct lt_unwinder *u, struct lt_symbolizer *s)
{
	uint32_t key, next, *prev = NULL;
	int err = 0;

	double now = mono_s();

	while (!err && !bpf_map_get_next_key(u->want_fd, prev, &next)) {
		key = next;
		bpf_map_delete_elem(u->want_fd, &key);
		prev = NULL; /* deleted: restart from the first key */
		if (lt_symbolizer__snapshot(s, key, false))
			continue; /* already gone */
		err = load_procs(u, s, key);
		lt_info("unwind: published the mappings of pid %u", key);
		if (u->nrecheck < sizeof(u->recheck) / sizeof(u->recheck[0])) {
			u->recheck[u->nrecheck].tgid = key;
			u->recheck[u->nrecheck++].due = now + LT_RECHECK_S;
		}
	}
	for (unsigned int i = 0; !err && i < u->nrecheck;) {
		if (u->recheck[i].due > now) {
			i++;
			continue;
		}
		key = u->recheck[i].tgid;
		u->recheck[i] = u->recheck[--u->nrecheck];
		if (!lt_symbolizer__snapshot(s, key, false))
			err = load_procs(u, s, key);
	}
	return err;
}
