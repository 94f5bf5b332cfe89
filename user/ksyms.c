// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"
#include "sorted.h"

struct ksyms {
	struct ksym *syms;
	unsigned int n, cap;
	char *strs;
	size_t strs_len, strs_cap;
	bool restricted;
};

/* Strings are stored as offsets while the arena grows, then turned to pointers. */
static long str_add(struct ksyms *ks, const char *s)
{
	size_t len = strlen(s) + 1;
	long off;

	if (ks->strs_len + len > ks->strs_cap) {
		size_t cap = ks->strs_cap ? ks->strs_cap * 2 : 1 << 20;
		char *p;

		while (cap < ks->strs_len + len)
			cap *= 2;
		p = realloc(ks->strs, cap);
		if (!p)
			return -1;
		ks->strs = p;
		ks->strs_cap = cap;
	}
	off = ks->strs_len;
	memcpy(ks->strs + off, s, len);
	ks->strs_len += len;
	return off;
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct ksyms *ksyms__load(const char *path)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[512], name[256], mod[128];
	unsigned long long addr;
	bool any_nonzero = false;
	FILE *f;
	char type;

	if (!ks)
		return NULL;
	f = fopen(path, "r");
	if (!f)
		goto err_free;
	while (fgets(line, sizeof(line), f)) {
		int nf = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);
		long noff, moff = -1;

		if (nf < 3)
			continue;
		/* Text symbols only: data symbols would swallow text addresses. */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (addr)
			any_nonzero = true;
		noff = str_add(ks, name);
		if (nf == 4)
			moff = str_add(ks, mod);
		if (noff < 0 || (nf == 4 && moff < 0))
			goto err_close;
		if (ks->n == ks->cap) {
			unsigned int cap = ks->cap ? ks->cap * 2 : 65536;
			struct ksym *p = realloc(ks->syms, cap * sizeof(*p));

			if (!p)
				goto err_close;
			ks->syms = p;
			ks->cap = cap;
		}
		ks->syms[ks->n].addr = addr;
		ks->syms[ks->n].name = (const char *)(uintptr_t)noff;
		ks->syms[ks->n].module = moff < 0 ? NULL : (const char *)(uintptr_t)(moff + 1);
		ks->n++;
	}
	fclose(f);
	for (unsigned int i = 0; i < ks->n; i++) {
		struct ksym *s = &ks->syms[i];

		s->name = ks->strs + (uintptr_t)s->name;
		if (s->module)
			s->module = ks->strs + (uintptr_t)s->module - 1;
	}
	if (ks->n)
		qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_ksym);
	ks->restricted = ks->n && !any_nonzero;
	return ks;

err_close:
	fclose(f);
	errno = ENOMEM;
err_free:
	ksyms__free(ks);
	return NULL;
}

const struct ksym *ksyms__find(const struct ksyms *ks, uint64_t addr)
{
	size_t lo;

	if (ks->restricted)
		return NULL;
	lo = lt_upper_bound(ks->syms, ks->n, sizeof(*ks->syms), offsetof(struct ksym, addr), addr);
	return lo ? &ks->syms[lo - 1] : NULL;
}

uint64_t ksyms__addr(const struct ksyms *ks, const char *name)
{
	for (unsigned int i = 0; i < ks->n; i++)
		if (!strcmp(ks->syms[i].name, name))
			return ks->syms[i].addr;
	return 0;
}

bool ksyms__restricted(const struct ksyms *ks)
{
	return ks->restricted;
}

unsigned int ksyms__count(const struct ksyms *ks)
{
	return ks->n;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs);
	free(ks);
}
