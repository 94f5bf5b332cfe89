// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "bpf_progs.h"
#include "sorted.h"

struct prog_range {
	uint64_t start, len;
	char name[128]; /* bpf_prog_TAG_NAME */
};

struct lt_bpf_progs {
	struct prog_range *r; /* sorted by start */
	size_t n, cap;
	uint32_t *ids; /* programs seen, sorted */
	size_t nids, ids_cap;
};

struct lt_bpf_progs *lt_bpf_progs__new(void)
{
	return calloc(1, sizeof(struct lt_bpf_progs));
}

void lt_bpf_progs__free(struct lt_bpf_progs *bp)
{
	if (!bp)
		return;
	free(bp->r);
	free(bp->ids);
	free(bp);
}

static bool seen(const struct lt_bpf_progs *bp, uint32_t id)
{
	size_t lo = 0, hi = bp->nids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bp->ids[mid] == id)
			return true;
		if (bp->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int add_id(struct lt_bpf_progs *bp, uint32_t id)
{
	size_t i;

	if (bp->nids == bp->ids_cap) {
		size_t cap = bp->ids_cap ? bp->ids_cap * 2 : 64;
		uint32_t *p = realloc(bp->ids, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		bp->ids = p;
		bp->ids_cap = cap;
	}
	for (i = bp->nids; i > 0 && bp->ids[i - 1] > id; i--)
		bp->ids[i] = bp->ids[i - 1];
	bp->ids[i] = id;
	bp->nids++;
	return 0;
}

static int add_range(struct lt_bpf_progs *bp, uint64_t start, uint64_t len, const uint8_t *tag,
		     const char *name)
{
	struct prog_range *r;
	size_t i;

	if (bp->n == bp->cap) {
		size_t cap = bp->cap ? bp->cap * 2 : 64;

		r = realloc(bp->r, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		bp->r = r;
		bp->cap = cap;
	}
	/* Keep sorted; a reused address (a program unloaded since) is replaced. */
	i = lt_upper_bound(bp->r, bp->n, sizeof(*bp->r), offsetof(struct prog_range, start), start);
	if (i > 0 && bp->r[i - 1].start == start) {
		r = &bp->r[i - 1];
	} else {
		memmove(&bp->r[i + 1], &bp->r[i], (bp->n - i) * sizeof(*r));
		r = &bp->r[i];
		bp->n++;
	}
	r->start = start;
	r->len = len;
	snprintf(r->name, sizeof(r->name), "bpf_prog_%02x%02x%02x%02x%02x%02x%02x%02x_%s", tag[0],
		 tag[1], tag[2], tag[3], tag[4], tag[5], tag[6], tag[7], name);
	return 0;
}

/*
 * One program's functions, named as the kernel's bpf_get_prog_name() does:
 * the function's BTF name when the program has BTF, else the program name.
 */
static int add_prog(struct lt_bpf_progs *bp, int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n, nfi;
	struct bpf_func_info *fi = NULL;
	__u64 *ksyms = NULL;
	__u32 *lens = NULL;
	__u8(*tags)[BPF_TAG_SIZE] = NULL;
	struct btf *btf = NULL;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	n = info.nr_jited_ksyms;
	nfi = info.nr_func_info;
	if (!n || info.nr_jited_func_lens != n)
		return 0; /* not JITed, or addresses hidden from us */
	ksyms = calloc(n, sizeof(*ksyms));
	lens = calloc(n, sizeof(*lens));
	tags = calloc(n, sizeof(*tags));
	fi = nfi ? calloc(nfi, sizeof(*fi)) : NULL;
	if (!ksyms || !lens || !tags || (nfi && !fi)) {
		err = -ENOMEM;
		goto out_free;
	}
	{
		struct bpf_prog_info more = {
			.nr_jited_ksyms = n,
			.jited_ksyms = (uintptr_t)ksyms,
			.nr_jited_func_lens = n,
			.jited_func_lens = (uintptr_t)lens,
			.nr_prog_tags = n,
			.prog_tags = (uintptr_t)tags,
			.nr_func_info = nfi,
			.func_info_rec_size = sizeof(*fi),
			.func_info = (uintptr_t)fi,
		};

		len = sizeof(more);
		if (bpf_obj_get_info_by_fd(fd, &more, &len)) {
			err = -errno;
			goto out_free;
		}
		if (more.nr_prog_tags < n)
			memset(tags, 0, n * sizeof(*tags));
		if (more.nr_func_info < nfi)
			nfi = more.nr_func_info;
	}
	if (info.btf_id && nfi == n)
		btf = btf__load_from_kernel_by_id(info.btf_id);
	err = 0;
	for (__u32 i = 0; i < n && !err; i++) {
		const struct btf_type *t = btf ? btf__type_by_id(btf, fi[i].type_id) : NULL;
		const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

		err = add_range(bp, ksyms[i], lens[i], tags[i], name && *name ? name : info.name);
	}
	btf__free(btf);
out_free:
	free(ksyms);
	free(lens);
	free(tags);
	free(fi);
	return err;
}

int lt_bpf_progs__refresh(struct lt_bpf_progs *bp)
{
	__u32 id = 0;
	int added = 0, err = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		int fd;

		if (seen(bp, id))
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* unloaded meanwhile */
			return -errno;
		}
		err = add_prog(bp, fd);
		close(fd);
		err = err ?: add_id(bp, id);
		if (err)
			return err;
		added++;
	}
	if (errno == EPERM || errno == EACCES)
		return -errno;
	return added;
}

const char *lt_bpf_progs__find(const struct lt_bpf_progs *bp, uint64_t addr)
{
	size_t i = lt_upper_bound(bp->r, bp->n, sizeof(*bp->r), offsetof(struct prog_range, start),
				  addr);

	if (!i || addr >= bp->r[i - 1].start + bp->r[i - 1].len)
		return NULL;
	return bp->r[i - 1].name;
}
