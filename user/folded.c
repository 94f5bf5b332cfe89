// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The folded format's one home: written ("comm;frame;...;frame COUNT", the
 * input of flamegraph.pl), written as a before/after diff, and read back from
 * latprof's own files or any flamegraph.pl-style file. Reading is strict: a
 * malformed line stops the read with its line number, so a file is never
 * half-read silently.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "delta.h"
#include "err.h"
#include "folded.h"
#include "output.h"

#define MAX_FRAMES 4096

/*
 * One line into *buf (grown up to LT_FOLDED_MAX_LINE). 1 read, 0 at end of
 * file, -E2BIG when longer, -EIO on a read error.
 */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (n + 2 > *cap) {
			size_t ncap = *cap ? *cap * 2 : 4096;
			char *nb;

			if (ncap > LT_FOLDED_MAX_LINE + 2)
				ncap = LT_FOLDED_MAX_LINE + 2;
			if (n + 2 > ncap)
				return -E2BIG;
			nb = realloc(*buf, ncap);
			if (!nb)
				return -ENOMEM;
			*buf = nb;
			*cap = ncap;
		}
		if (c == '\n')
			break;
		(*buf)[n++] = (char)c;
	}
	if (ferror(f))
		return -EIO;
	if (c == EOF && !n)
		return 0;
	if (n && (*buf)[n - 1] == '\r')
		n--;
	(*buf)[n] = 0;
	*len = n;
	return 1;
}

/* The kind a frame's annotation gives, and the name without it. */
static uint8_t frame_kind(char *name)
{
	size_t len = strlen(name);

	if (len > 4 && name[len - 4] == '_' && name[len - 3] == '[' && name[len - 1] == ']') {
		char k = name[len - 2];

		if (k == 'k' || k == 'i' || k == 'j') {
			name[len - 4] = 0;
			return k == 'k' ? LT_FRAME_KERNEL :
			       k == 'i' ? LT_FRAME_INLINED :
					  LT_FRAME_USER;
		}
	}
	if (name[0] == '[' && name[len - 1] == ']')
		return LT_FRAME_PSEUDO; /* [preempted], [unknown] */
	return LT_FRAME_USER;
}

int lt_folded_read(FILE *f, const char *path, struct lt_profile *p, struct lt_json_meta *meta)
{
	const char **frames = malloc(MAX_FRAMES * sizeof(*frames));
	uint8_t *kinds = malloc(MAX_FRAMES);
	size_t cap = 0, len, lineno = 0;
	bool warned_comm = false;
	char *line = NULL;
	int err = 0, r;

	if (!frames || !kinds) {
		err = -ENOMEM;
		goto out;
	}
	while ((r = read_line(f, &line, &cap, &len)) > 0) {
		char *sp, *end, *comm, *tok, *save = NULL;
		unsigned long long v;
		struct lt_sample *s;
		uint32_t n = 0;

		lineno++;
		if (memchr(line, 0, len)) {
			lt_err("%s:%zu: binary data (a NUL byte), not folded stacks", path, lineno);
			err = -EINVAL;
			goto out;
		}
		if (len && line[0] == '#' && meta && !meta->unit[0]) {
			char tool[32], unit[32];

			if (sscanf(line, "# latprof %31s unit=%31s", tool, unit) == 2) {
				memcpy(meta->tool, tool, sizeof(meta->tool));
				memcpy(meta->unit, unit, sizeof(meta->unit));
			}
		}
		if (!len || line[0] == '#')
			continue; /* blank lines and comments */
		sp = strrchr(line, ' ');
		if (!sp || sp == line) {
			lt_err("%s:%zu: no count: expected 'frame;frame;... COUNT'", path, lineno);
			err = -EINVAL;
			goto out;
		}
		errno = 0;
		v = strtoull(sp + 1, &end, 10);
		if (sp[1] < '0' || sp[1] > '9' || *end || errno) {
			lt_err("%s:%zu: bad count '%.40s': expected a whole number", path, lineno,
			       sp + 1);
			err = -EINVAL;
			goto out;
		}
		while (sp > line && sp[-1] == ' ')
			sp--;
		*sp = 0;
		comm = strtok_r(line, ";", &save);
		if (!comm) {
			lt_err("%s:%zu: empty stack", path, lineno);
			err = -EINVAL;
			goto out;
		}
		if (strlen(comm) >= LT_COMM_LEN && !warned_comm) {
			warned_comm = true;
			lt_warn("%s:%zu: process name '%s' is longer than %d characters; its first "
				"%d are kept, as the kernel keeps them",
				path, lineno, comm, LT_COMM_LEN - 1, LT_COMM_LEN - 1);
		}
		while ((tok = strtok_r(NULL, ";", &save))) {
			if (n == MAX_FRAMES) {
				lt_err("%s:%zu: more than %d frames", path, lineno, MAX_FRAMES);
				err = -EINVAL;
				goto out;
			}
			kinds[n] = frame_kind(tok);
			frames[n++] = tok;
		}
		s = lt_profile__add_named(p, 0, 0, comm, frames, kinds, n);
		if (!s) {
			err = -ENOMEM;
			goto out;
		}
		s->total = v;
		s->count = 0; /* folded stacks carry no event counts */
	}
	if (r == -E2BIG) {
		lt_err("%s:%zu: line longer than %d MiB: not folded stacks", path, lineno + 1,
		       LT_FOLDED_MAX_LINE >> 20);
		err = -EINVAL;
	} else if (r < 0) {
		err = r;
		lt_err("cannot read '%s': %s", path, strerror(-r));
	}
out:
	free(line);
	free(frames);
	free(kinds);
	return err;
}

/* A line's stack in folded form: "comm;root;...;kframe_[k]". */
static int fold_line(FILE *f, const struct lt_stack_line *l)
{
	const struct lt_sample *s = l->first;

	if (!s->comm[0])
		fputc('?', f);
	for (const char *c = s->comm; *c && c < s->comm + LT_COMM_LEN; c++)
		fputc(*c == ';' || *c == ' ' ? '_' : *c, f);
	for (uint32_t i = 0; i < s->nframes; i++)
		fprintf(f, ";%s%s", s->frames[i],
			s->kind[i] == LT_FRAME_KERNEL  ? "_[k]" :
			s->kind[i] == LT_FRAME_INLINED ? "_[i]" :
							 "");
	return ferror(f) ? -EIO : 0;
}

int lt_write_folded(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o)
{
	struct lt_stack_line *l;
	size_t n;
	int err = lt_profile__lines(p, &l, &n);

	(void)o;
	if (err)
		return err;
	/* The unit, for latprof report and diff; flamegraph.pl skips the line. */
	if (fprintf(f, LT_FOLDED_HEADER, p->tool, p->unit[0] ? p->unit : "unknown") < 0)
		err = -EIO;
	for (size_t i = 0; i < n && !err; i++) {
		if (!l[i].total)
			continue; /* below the unit: contributes no width */
		if (fold_line(f, &l[i]) ||
		    fprintf(f, " %llu\n", (unsigned long long)l[i].total) < 0) {
			err = -EIO;
			break;
		}
	}
	lt_stack_lines__free(l, n);
	return err;
}

static int cmp_after(const void *a, const void *b)
{
	const struct lt_delta_ent *x = *(const struct lt_delta_ent *const *)a;
	const struct lt_delta_ent *y = *(const struct lt_delta_ent *const *)b;

	if (x->after != y->after)
		return x->after > y->after ? -1 : 1;
	if (x->before != y->before)
		return x->before > y->before ? -1 : 1;
	return strcmp(x->key, y->key);
}

int lt_write_folded_diff(FILE *f, const struct lt_profile *after, const struct lt_profile *before,
			 double scale, const struct lt_out_opts *o)
{
	const struct lt_profile *side[2] = { before, after };
	struct lt_delta_map m = { 0 };
	struct lt_delta_ent **v = NULL;
	size_t nv = 0;
	int err = 0;

	(void)o;
	for (int k = 0; k < 2 && !err; k++) {
		struct lt_stack_line *l = NULL;
		size_t n = 0;

		err = lt_profile__lines(side[k], &l, &n);
		for (size_t i = 0; l && !err && i < n; i++) {
			struct lt_delta_ent *e;
			char *text = NULL;
			size_t len = 0;
			FILE *mf = open_memstream(&text, &len);

			if (!mf) {
				err = -ENOMEM;
				break;
			}
			fold_line(mf, &l[i]);
			if (fclose(mf) || !(e = lt_delta_get(&m, text)))
				err = -ENOMEM;
			else
				*(k ? &e->after : &e->before) +=
					(double)l[i].total * (k ? 1.0 : scale);
			free(text);
		}
		lt_stack_lines__free(l, n);
	}
	if (!err && !(v = malloc((m.n ? m.n : 1) * sizeof(*v))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < m.cap; i++)
		if (m.e[i].key)
			v[nv++] = &m.e[i];
	if (!err) {
		qsort(v, nv, sizeof(*v), cmp_after);
		for (size_t i = 0; i < nv; i++)
			fprintf(f, "%s %.0f %.0f\n", v[i]->key, v[i]->before, v[i]->after);
		err = ferror(f) ? -EIO : 0;
	}
	free(v);
	lt_delta_free(&m);
	return err;
}
