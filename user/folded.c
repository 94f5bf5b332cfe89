// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Folded stacks read back: latprof's own files or any flamegraph.pl-style
 * file ("comm;frame;...;frame COUNT"). Strict: a malformed line stops the
 * read with its line number, so a file is never half-read silently.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "folded.h"

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
