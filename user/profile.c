// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile.h"

void lt_profile__init(struct lt_profile *p, const char *tool, const char *unit, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->tool = tool;
	p->unit = unit;
	p->what = what;
	p->start = time(NULL);
}

void lt_profile__free(struct lt_profile *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->samples[i].ips);
		free(p->samples[i].frames);
		free(p->samples[i].kernel);
	}
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->samples);
	free(p->slots);
	memset(p, 0, sizeof(*p));
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t sample_hash(uint32_t tgid, uint32_t pid, uint32_t aux, const char *comm,
			    const uint64_t *uips, uint32_t nu, const uint64_t *kips, uint32_t nk)
{
	uint64_t h = mix(mix(mix(1, tgid), pid), aux);

	for (int i = 0; i < LT_COMM_LEN && comm[i]; i++)
		h = mix(h, (unsigned char)comm[i]);
	h = mix(h, nu);
	for (uint32_t i = 0; i < nu; i++)
		h = mix(h, uips[i]);
	h = mix(h, nk);
	for (uint32_t i = 0; i < nk; i++)
		h = mix(h, kips[i]);
	return h;
}

static bool same_key(const struct lt_sample *s, uint32_t tgid, uint32_t pid, uint32_t aux,
		     const char *comm, const uint64_t *uips, uint32_t nu, const uint64_t *kips,
		     uint32_t nk)
{
	return s->tgid == tgid && s->pid == pid && s->aux == aux && s->nuser == nu &&
	       s->nkern == nk && !strncmp(s->comm, comm, LT_COMM_LEN) &&
	       !memcmp(s->ips, uips, nu * sizeof(*uips)) &&
	       !memcmp(s->ips + nu, kips, nk * sizeof(*kips));
}

/* Open addressing over sample indexes + 1 (0 = empty); grows at 50% load. */
static int reindex(struct lt_profile *p, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct lt_sample *s = &p->samples[i];
		uint64_t h = sample_hash(s->tgid, s->pid, s->aux, s->comm, s->ips, s->nuser,
					 s->ips + s->nuser, s->nkern);
		size_t j = h & (nslots - 1);

		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = i + 1;
	}
	free(p->slots);
	p->slots = slots;
	p->nslots = nslots;
	return 0;
}

struct lt_sample *lt_profile__get(struct lt_profile *p, uint32_t tgid, uint32_t pid, uint32_t aux,
				  const char *comm, const uint64_t *uips, uint32_t nuser,
				  const uint64_t *kips, uint32_t nkern)
{
	struct lt_sample *s;
	uint64_t h;
	size_t j;

	if ((p->n + 1) * 2 > p->nslots && reindex(p, p->nslots ? p->nslots * 2 : 1024))
		return NULL;
	h = sample_hash(tgid, pid, aux, comm, uips, nuser, kips, nkern);
	for (j = h & (p->nslots - 1); p->slots[j]; j = (j + 1) & (p->nslots - 1)) {
		s = &p->samples[p->slots[j] - 1];
		if (same_key(s, tgid, pid, aux, comm, uips, nuser, kips, nkern))
			return s;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct lt_sample *ns = realloc(p->samples, cap * sizeof(*ns));

		if (!ns)
			return NULL;
		p->samples = ns;
		p->cap = cap;
	}
	s = &p->samples[p->n];
	memset(s, 0, sizeof(*s));
	s->ips = malloc((nuser + nkern + 1) * sizeof(*s->ips));
	if (!s->ips)
		return NULL;
	memcpy(s->ips, uips, nuser * sizeof(*uips));
	memcpy(s->ips + nuser, kips, nkern * sizeof(*kips));
	s->tgid = tgid;
	s->pid = pid;
	s->aux = aux;
	strncpy(s->comm, comm, LT_COMM_LEN - 1);
	s->nuser = nuser;
	s->nkern = nkern;
	p->slots[j] = ++p->n;
	return s;
}

int lt_profile__merge(struct lt_profile *dst, const struct lt_profile *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct lt_sample *s = &src->samples[i];
		struct lt_sample *d = lt_profile__get(dst, s->tgid, s->pid, s->aux, s->comm, s->ips,
						      s->nuser, s->ips + s->nuser, s->nkern);

		if (!d)
			return -ENOMEM;
		d->total += s->total;
		d->count += s->count;
		lt_hist_merge(&d->hist, &s->hist);
	}
	for (int i = 0; i < LT_STAT_NR; i++)
		dst->stats[i] = src->stats[i] > dst->stats[i] ? src->stats[i] : dst->stats[i];
	return 0;
}

/* Copy a frame name into the profile's string pool. */
static const char *pool_str(struct lt_profile *p, const char *name)
{
	char *copy;

	if (p->nstrs == p->strs_cap) {
		size_t cap = p->strs_cap ? p->strs_cap * 2 : 1024;
		char **ns = realloc(p->strs, cap * sizeof(*ns));

		if (!ns)
			return NULL;
		p->strs = ns;
		p->strs_cap = cap;
	}
	copy = strdup(name);
	if (copy)
		p->strs[p->nstrs++] = copy;
	return copy;
}

/* Folded-format safety: ';' separates frames and newlines end lines. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s == ';' || *s == '\n' || *s == '\r')
			*s = ':';
}

int lt_profile__symbolize(struct lt_profile *p, struct lt_symbolizer *sy)
{
	char buf[512];

	for (size_t i = 0; i < p->n; i++) {
		struct lt_sample *s = &p->samples[i];
		uint32_t max = s->nuser + s->nkern + 1, n = 0;
		const char *aux = p->aux_frame ? p->aux_frame(s->aux) : NULL;

		free(s->frames);
		free(s->kernel);
		s->frames = calloc(max, sizeof(*s->frames));
		s->kernel = calloc(max, 1);
		if (!s->frames || !s->kernel)
			return -ENOMEM;
		if (aux) {
			s->kernel[n] = 2;
			s->frames[n++] = aux;
		}
		/* Root first: user frames from the outermost, then kernel frames. */
		for (uint32_t k = s->nuser; k-- > 0;) {
			lt_symbolizer__user(sy, s->tgid, s->ips[k], k > 0, buf, sizeof(buf));
			sanitize(buf);
			if (!(s->frames[n] = pool_str(p, buf)))
				return -ENOMEM;
			s->kernel[n++] = 0;
		}
		for (uint32_t k = s->nkern; k-- > 0;) {
			bool hidden;

			lt_symbolizer__kernel(sy, s->ips[s->nuser + k], &hidden, buf, sizeof(buf));
			if (hidden)
				continue;
			sanitize(buf);
			if (!(s->frames[n] = pool_str(p, buf)))
				return -ENOMEM;
			s->kernel[n++] = 1;
		}
		s->nframes = n;
	}
	return 0;
}

static char *build_line(const struct lt_sample *s)
{
	size_t len = strlen(s->comm) + 1, off;
	char *line;

	for (uint32_t i = 0; i < s->nframes; i++)
		len += strlen(s->frames[i]) + 5;
	line = malloc(len + 1);
	if (!line)
		return NULL;
	off = 0;
	for (const char *c = s->comm; *c; c++)
		line[off++] = (*c == ';' || *c == ' ') ? '_' : *c;
	if (!off)
		line[off++] = '?';
	for (uint32_t i = 0; i < s->nframes; i++) {
		line[off++] = ';';
		off += sprintf(line + off, "%s%s", s->frames[i], s->kernel[i] == 1 ? "_[k]" : "");
	}
	line[off] = 0;
	return line;
}

static int cmp_line_str(const void *a, const void *b)
{
	const struct lt_stack_line *x = a, *y = b;

	return strcmp(x->line, y->line);
}

static int cmp_line_total(const void *a, const void *b)
{
	const struct lt_stack_line *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->line, y->line);
}

int lt_profile__lines(const struct lt_profile *p, struct lt_stack_line **out, size_t *nout)
{
	struct lt_stack_line *l = calloc(p->n ? p->n : 1, sizeof(*l));
	size_t n = 0;

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		l[i].line = build_line(&p->samples[i]);
		if (!l[i].line) {
			lt_stack_lines__free(l, i);
			return -ENOMEM;
		}
		l[i].total = p->samples[i].total;
		l[i].count = p->samples[i].count;
		l[i].hist = p->samples[i].hist;
		l[i].first = &p->samples[i];
		l[i].nthreads = 1;
	}
	qsort(l, p->n, sizeof(*l), cmp_line_str);
	for (size_t i = 0; i < p->n; i++) {
		if (n && !strcmp(l[n - 1].line, l[i].line)) {
			l[n - 1].total += l[i].total;
			l[n - 1].count += l[i].count;
			lt_hist_merge(&l[n - 1].hist, &l[i].hist);
			if (l[i].first->pid != l[n - 1].first->pid)
				l[n - 1].nthreads++;
			free(l[i].line);
			continue;
		}
		l[n++] = l[i];
	}
	qsort(l, n, sizeof(*l), cmp_line_total);
	*out = l;
	*nout = n;
	return 0;
}

void lt_stack_lines__free(struct lt_stack_line *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].line);
	free(l);
}
