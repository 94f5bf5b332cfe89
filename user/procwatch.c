// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "grow.h"
#include "procwatch.h"

#define PW_PAGES 16 /* data pages per CPU ring (64 KiB): mmap records are rare and small */

struct ring {
	int fd;
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	size_t size; /* data bytes, a power of two */
};

/* One record copied out of a ring, for sorting by time. */
struct rec {
	uint64_t time;
	uint32_t len;
	uint8_t *buf;
};

struct lt_procwatch {
	struct ring *rings;
	struct pollfd *pfds;
	unsigned int n;
	size_t page;
	uint64_t lost;
	struct rec *recs;
	size_t nrecs, cap;
	struct lt_mapping map; /* the one handed to the callback */
};

/* The sample_id every record ends with (sample_id_all, PERF_SAMPLE_TID | TIME). */
struct pw_id {
	uint32_t pid, tid;
	uint64_t time;
};

struct lt_procwatch *lt_procwatch__new(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		.sample_id_all = 1,
		.mmap = 1,
		.mmap2 = 1,
		.comm = 1,
		.comm_exec = 1,
		.task = 1,
		.wakeup_events = 1,
	};
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct lt_procwatch *w = calloc(1, sizeof(*w));
	int saved = 0;

	if (!w || ncpu < 1)
		goto out_free;
	w->page = sysconf(_SC_PAGESIZE);
	w->rings = calloc(ncpu, sizeof(*w->rings));
	w->pfds = calloc(ncpu, sizeof(*w->pfds));
	if (!w->rings || !w->pfds)
		goto out_free;
	for (long cpu = 0; cpu < ncpu; cpu++) {
		struct ring *r = &w->rings[w->n];
		void *m;
		int fd = syscall(SYS_perf_event_open, &a, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV || errno == EINVAL)
				continue; /* offline CPU */
			saved = errno;
			goto out_free;
		}
		m = mmap(NULL, (PW_PAGES + 1) * w->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			saved = errno;
			close(fd);
			goto out_free;
		}
		r->fd = fd;
		r->meta = m;
		r->data = (uint8_t *)m + w->page;
		r->size = PW_PAGES * w->page;
		w->pfds[w->n] = (struct pollfd){ .fd = fd, .events = POLLIN };
		w->n++;
	}
	if (!w->n) {
		saved = ENODEV;
		goto out_free;
	}
	return w;
out_free:
	saved = saved ?: errno ?: ENOMEM;
	lt_procwatch__free(w);
	errno = saved;
	return NULL;
}

void lt_procwatch__free(struct lt_procwatch *w)
{
	if (!w)
		return;
	for (unsigned int i = 0; i < w->n; i++) {
		munmap(w->rings[i].meta, (PW_PAGES + 1) * w->page);
		close(w->rings[i].fd);
	}
	for (size_t i = 0; i < w->nrecs; i++)
		free(w->recs[i].buf);
	free(w->recs);
	free(w->rings);
	free(w->pfds);
	free(w);
}

int lt_procwatch__poll(struct lt_procwatch *w, int timeout_ms)
{
	return poll(w->pfds, w->n, timeout_ms) > 0;
}

uint64_t lt_procwatch__lost(const struct lt_procwatch *w)
{
	return w->lost;
}

static int push_rec(struct lt_procwatch *w, const uint8_t *buf, uint32_t len)
{
	struct pw_id id;
	struct rec *r;

	if (len < sizeof(struct perf_event_header) + sizeof(id))
		return 0;
	if (LT_GROW(w->recs, w->nrecs, w->cap, 256))
		return -ENOMEM;
	r = &w->recs[w->nrecs];
	r->buf = malloc(len);
	if (!r->buf)
		return -ENOMEM;
	memcpy(r->buf, buf, len);
	memcpy(&id, buf + len - sizeof(id), sizeof(id));
	r->time = id.time;
	r->len = len;
	w->nrecs++;
	return 0;
}

/* Copy every complete record out of ring r, then free its space. */
static int read_ring(struct lt_procwatch *w, struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail;
	uint8_t tmp[8192];
	int err = 0;

	while (tail < head && !err) {
		struct perf_event_header h;
		size_t off = tail & (r->size - 1), first;

		/* The header itself may wrap. */
		first = r->size - off < sizeof(h) ? r->size - off : sizeof(h);
		memcpy(&h, r->data + off, first);
		memcpy((uint8_t *)&h + first, r->data, sizeof(h) - first);
		if (h.size < sizeof(h) || tail + h.size > head)
			break; /* the kernel writes whole records: this ring is corrupt, skip it */
		if (h.size <= sizeof(tmp)) {
			first = r->size - off < h.size ? r->size - off : h.size;
			memcpy(tmp, r->data + off, first);
			memcpy(tmp + first, r->data, h.size - first);
			err = push_rec(w, tmp, h.size);
		}
		tail += h.size;
	}
	__atomic_store_n(&r->meta->data_tail, head, __ATOMIC_RELEASE);
	return err;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

/* Turn raw record r into e (and w->map). false for records of no interest. */
static bool parse(struct lt_procwatch *w, const struct rec *r, struct lt_pev *e)
{
	const struct perf_event_header *h = (const void *)r->buf;
	const uint8_t *p = r->buf + sizeof(*h), *end = r->buf + r->len - sizeof(struct pw_id);
	uint32_t u32[4];
	uint64_t u64[4];

	memset(e, 0, sizeof(*e));
	e->time = r->time;
	switch (h->type) {
	case PERF_RECORD_MMAP2: {
		struct lt_mapping *m = &w->map;
		uint32_t prot, maj, min;
		size_t len;

		/* pid, tid; addr, len, pgoff; maj, min; ino, ino_generation; prot, flags */
		if (end - p < 8 + 24 + 8 + 16 + 8)
			return false;
		memcpy(u32, p, 8);
		memcpy(u64, p + 8, 24);
		memcpy(&maj, p + 32, 4);
		memcpy(&min, p + 36, 4);
		memcpy(&m->ino, p + 40, 8);
		memcpy(&prot, p + 56, 4);
		if (!(prot & PROT_EXEC) || (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID))
			return false;
		p += 64;
		len = strnlen((const char *)p, end - p);
		if (len == (size_t)(end - p) || len >= sizeof(m->path))
			return false; /* not terminated inside the record */
		e->type = LT_PEV_MMAP;
		e->pid = u32[0];
		e->tid = u32[1];
		m->start = u64[0];
		m->end = u64[0] + u64[1];
		m->pgoff = u64[2];
		m->dev = (maj << 20) | (min & 0xfffff);
		m->exec = true;
		/* Anonymous executable memory ("//anon") is named like /proc's [anon]. */
		if (!strcmp((const char *)p, "//anon"))
			strcpy(m->path, "");
		else
			memcpy(m->path, p, len + 1);
		if (!m->path[0] || m->path[0] == '[')
			m->ino = 0;
		e->map = m;
		return true;
	}
	case PERF_RECORD_COMM:
		if (!(h->misc & PERF_RECORD_MISC_COMM_EXEC) || end - p < 8)
			return false;
		memcpy(u32, p, 8);
		e->type = LT_PEV_EXEC;
		e->pid = u32[0];
		e->tid = u32[1];
		return true;
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		if (end - p < 16)
			return false;
		memcpy(u32, p, 16); /* pid, ppid, tid, ptid */
		if (h->type == PERF_RECORD_FORK && u32[0] == u32[1])
			return false; /* a new thread */
		e->type = h->type == PERF_RECORD_FORK ? LT_PEV_FORK : LT_PEV_EXIT;
		e->pid = u32[0];
		e->ppid = u32[1];
		e->tid = u32[2];
		return true;
	case PERF_RECORD_LOST:
		if (end - p >= 16) {
			memcpy(u64, p, 16);
			w->lost += u64[1];
		}
		return false;
	}
	return false;
}

int lt_procwatch__drain(struct lt_procwatch *w, int (*cb)(const struct lt_pev *e, void *ctx),
			void *ctx)
{
	int err = 0, n = 0;

	for (unsigned int i = 0; i < w->n && !err; i++)
		err = read_ring(w, &w->rings[i]);
	/* Rings are per CPU: a process that migrated has records in two. */
	if (w->nrecs) /* none: recs may still be NULL */
		qsort(w->recs, w->nrecs, sizeof(*w->recs), cmp_rec);
	for (size_t i = 0; i < w->nrecs; i++) {
		struct lt_pev e;

		if (!err && parse(w, &w->recs[i], &e)) {
			err = cb(&e, ctx);
			n++;
		}
		free(w->recs[i].buf);
	}
	w->nrecs = 0;
	return err ?: n;
}
