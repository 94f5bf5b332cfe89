// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "cfi.h"
#include "err.h"
#include "unwinder.h"

#define LT_SEEN_MAX 8192 /* distinct files remembered, to examine each once */

struct load_ctx {
	int tabs_fd, rows_fd, procs_fd;
	uint32_t next_row;
	struct lt_unwind_stats *st;
	struct lt_unwind_key *seen;
	unsigned int nseen;
	/* tables loaded, to publish per-process mapping lists */
	struct lt_unwind_key keys[LT_UNWIND_MAX_TABLES];
	struct lt_unwind_tab tabs[LT_UNWIND_MAX_TABLES];
	/* the process being gathered by publish_map() */
	uint32_t tgid;
	struct lt_unwind_proc proc;
};

static const char *base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

static int upload_rows(struct load_ctx *c, const struct lt_unwind_row *rows, uint32_t n)
{
	uint32_t *keys = malloc(n * sizeof(*keys));
	uint32_t count = n;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = c->next_row + i;
	if (bpf_map_update_batch(c->rows_fd, keys, rows, &count, NULL)) {
		/* Kernels without batch ops on arrays: one at a time. */
		for (uint32_t i = 0; i < n && !err; i++)
			if (bpf_map_update_elem(c->rows_fd, &keys[i], &rows[i], BPF_ANY))
				err = -errno;
	}
	free(keys);
	return err;
}

static int load_file(uint32_t dev, uint64_t ino, const char *path, struct elf_file *ef, void *ctx)
{
	struct load_ctx *c = ctx;
	struct lt_unwind_key key = { .dev = dev, .ino = ino };
	struct lt_unwind_tab tab;
	struct lt_unwind_row *rows;
	struct cfi_table t;
	uint32_t n = 0;
	int err;

	for (unsigned int i = 0; i < c->nseen; i++)
		if (c->seen[i].dev == dev && c->seen[i].ino == ino)
			return 0;
	if (c->nseen < LT_SEEN_MAX)
		c->seen[c->nseen++] = key;
	c->st->files++;

	err = cfi_table__build(elf_file__elf(ef), &t);
	if (err) {
		lt_info("unwind: %s: no usable .eh_frame (%s)", base(path), strerror(-err));
		c->st->failed++;
		return err == -ENOMEM ? err : 0;
	}
	if (cfi_table__has_frame_pointers(&t)) {
		lt_info("unwind: %s: frame pointers (%u of %u functions), no table needed",
			base(path), t.fp_fdes, t.fdes);
		c->st->fp_files++;
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
	if (!n || c->next_row + n > LT_UNWIND_MAX_ROWS || c->st->tables >= LT_UNWIND_MAX_TABLES) {
		if (n)
			lt_warn("unwind table pool full: frames in '%s' may be missing", path);
		c->st->failed++;
		free(rows);
		return 0;
	}
	err = upload_rows(c, rows, n);
	free(rows);
	if (err) {
		lt_err("cannot load unwind rows for '%s': %s", path, strerror(-err));
		return err;
	}
	tab.first = c->next_row;
	tab.nrows = n;
	if (bpf_map_update_elem(c->tabs_fd, &key, &tab, BPF_ANY)) {
		err = -errno;
		lt_err("cannot load unwind table for '%s': %s", path, strerror(errno));
		return err;
	}
	c->keys[c->st->tables] = key;
	c->tabs[c->st->tables] = tab;
	c->next_row += n;
	c->st->tables++;
	c->st->rows += n;
	lt_info("unwind: %s: %u CFI rows (no frame pointers)", base(path), n);
	return 0;
}

static int flush_proc(struct load_ctx *c)
{
	if (!c->tgid || !c->proc.n)
		return 0;
	if (bpf_map_update_elem(c->procs_fd, &c->tgid, &c->proc, BPF_ANY)) {
		/* Full: that process falls back to bpf_find_vma(), still correct. */
		lt_info("unwind: cannot publish the mappings of pid %u: %s", c->tgid,
			strerror(errno));
	}
	return 0;
}

static int publish_map(uint32_t tgid, uint64_t start, uint64_t end, uint64_t pgoff, uint32_t dev,
		       uint64_t ino, void *ctx)
{
	struct load_ctx *c = ctx;
	unsigned int i;

	if (tgid != c->tgid) {
		flush_proc(c);
		c->tgid = tgid;
		memset(&c->proc, 0, sizeof(c->proc));
	}
	for (i = 0; i < c->st->tables; i++)
		if (c->keys[i].dev == dev && c->keys[i].ino == ino)
			break;
	if (i == c->st->tables)
		return 0;
	if (c->proc.n == LT_UNWIND_PROC_MAPS) {
		lt_info("unwind: pid %u maps more than %d files without frame pointers", tgid,
			LT_UNWIND_PROC_MAPS);
		return 0;
	}
	c->proc.m[c->proc.n++] = (struct lt_unwind_map){
		.start = start,
		.end = end,
		.bias = start - pgoff,
		.tab_first = c->tabs[i].first,
		.tab_nrows = c->tabs[i].nrows,
	};
	return 0;
}

int lt_unwind_load(struct lt_symbolizer *s, struct bpf_object *obj, struct lt_unwind_stats *st)
{
	struct load_ctx *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	c->st = st;
	c->tabs_fd = lt_map_fd(obj, "lt_unwind_tabs");
	c->rows_fd = lt_map_fd(obj, "lt_unwind_rows");
	c->procs_fd = lt_map_fd(obj, "lt_unwind_procs");
	c->seen = calloc(LT_SEEN_MAX, sizeof(*c->seen));
	if (c->tabs_fd < 0 || c->rows_fd < 0 || c->procs_fd < 0 || !c->seen) {
		err = c->seen ? -ENOENT : -ENOMEM;
		goto out;
	}
	err = lt_symbolizer__foreach_file(s, load_file, c);
	err = err ?: lt_symbolizer__foreach_map(s, publish_map, c);
	err = err ?: flush_proc(c);
out:
	free(c->seen);
	free(c);
	return err;
}
