// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof's own JSON read back (report, diff): a small strict parser into a
 * tree, then the profile schema out of it. Errors name the file and line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "json_read.h"

#define MAX_DEPTH 64
#define MAX_FRAMES 4096

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	bool b;
	double num;
	uint64_t u; /* exact, for non-negative integers */
	bool is_uint;
	char *str;
	struct jv *kids; /* array items or object values */
	char **keys; /* object keys */
	size_t n;
};

struct jparser {
	const char *s, *end, *path;
	size_t line;
	const char *err;
};

static void jv_free(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->kids[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
	free(v->str);
}

static void skip_ws(struct jparser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) {
		if (*p->s == '\n')
			p->line++;
		p->s++;
	}
}

static int fail(struct jparser *p, const char *what)
{
	if (!p->err)
		p->err = what;
	return -EINVAL;
}

static int parse_value(struct jparser *p, struct jv *v, int depth);

static int parse_string(struct jparser *p, char **out)
{
	size_t cap = 16, n = 0;
	char *b = malloc(cap);

	if (!b)
		return -ENOMEM;
	p->s++; /* opening quote */
	while (p->s < p->end && *p->s != '"') {
		char c = *p->s++;

		if ((unsigned char)c < 0x20) {
			free(b);
			return fail(p, "control character in a string");
		}
		if (c == '\\') {
			if (p->s >= p->end)
				break;
			c = *p->s++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"':
			case '\\':
			case '/': break;
			case 'u': {
				unsigned int cp = 0;

				for (int i = 0; i < 4; i++, p->s++) {
					char h = p->s < p->end ? (char)(*p->s | 32) : 0;
					int d = h >= '0' && h <= '9' ? h - '0' :
						h >= 'a' && h <= 'f' ? h - 'a' + 10 :
								       -1;

					if (d < 0) {
						free(b);
						return fail(p, "bad \\u escape");
					}
					cp = cp * 16 + (unsigned int)d;
				}
				if (cp > 0x7f) { /* latprof writes \u only for control characters */
					free(b);
					return fail(p, "\\u escape beyond ASCII");
				}
				c = (char)cp;
				break;
			}
			default: free(b); return fail(p, "bad escape in a string");
			}
		}
		if (n + 2 > cap) {
			char *nb = realloc(b, cap *= 2);

			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		b[n++] = c;
	}
	if (p->s >= p->end) {
		free(b);
		return fail(p, "unterminated string");
	}
	p->s++;
	b[n] = 0;
	*out = b;
	return 0;
}

static int push(struct jv *v, size_t *cap)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct jv *k = realloc(v->kids, nc * sizeof(*k));

		if (!k)
			return -ENOMEM;
		v->kids = k;
		if (v->t == J_OBJ) {
			char **ks = realloc(v->keys, nc * sizeof(*ks));

			if (!ks)
				return -ENOMEM;
			v->keys = ks;
		}
		*cap = nc;
	}
	memset(&v->kids[v->n], 0, sizeof(v->kids[0]));
	return 0;
}

static int parse_container(struct jparser *p, struct jv *v, int depth)
{
	char close = v->t == J_OBJ ? '}' : ']';
	size_t cap = 0;
	int err;

	p->s++;
	skip_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if ((err = push(v, &cap)))
			return err;
		if (v->t == J_OBJ) {
			if (p->s >= p->end || *p->s != '"')
				return fail(p, "expected a key");
			v->keys[v->n] = NULL;
			if ((err = parse_string(p, &v->keys[v->n])))
				return err;
			skip_ws(p);
			if (p->s >= p->end || *p->s != ':') {
				v->n++;
				return fail(p, "expected ':'");
			}
			p->s++;
		}
		err = parse_value(p, &v->kids[v->n], depth + 1);
		v->n++;
		if (err)
			return err;
		skip_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == close) {
			p->s++;
			return 0;
		}
		return fail(p, v->t == J_OBJ ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int parse_value(struct jparser *p, struct jv *v, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(p, "nested too deeply");
	skip_ws(p);
	if (p->s >= p->end)
		return fail(p, "unexpected end of input");
	switch (*p->s) {
	case '{': v->t = J_OBJ; return parse_container(p, v, depth);
	case '[': v->t = J_ARR; return parse_container(p, v, depth);
	case '"': v->t = J_STR; return parse_string(p, &v->str);
	}
	if (!strncmp(p->s, "true", 4) || !strncmp(p->s, "null", 4)) {
		v->t = *p->s == 't' ? J_BOOL : J_NULL;
		v->b = *p->s == 't';
		p->s += 4;
		return 0;
	}
	if (!strncmp(p->s, "false", 5)) {
		v->t = J_BOOL;
		p->s += 5;
		return 0;
	}
	if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9')) {
		char buf[64], *end;
		size_t n = 0;

		while (p->s + n < p->end && n < sizeof(buf) - 1 &&
		       strchr("+-.eE0123456789", p->s[n]))
			n++;
		memcpy(buf, p->s, n);
		buf[n] = 0;
		v->t = J_NUM;
		v->num = strtod(buf, &end);
		if (end != buf + n)
			return fail(p, "bad number");
		if (strspn(buf, "0123456789") == n) {
			errno = 0;
			v->u = strtoull(buf, NULL, 10);
			v->is_uint = !errno;
		}
		p->s += n;
		return 0;
	}
	return fail(p, "unexpected character");
}

static const struct jv *get(const struct jv *o, const char *key)
{
	for (size_t i = 0; o && o->t == J_OBJ && i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->kids[i];
	return NULL;
}

static bool get_u64(const struct jv *o, const char *key, uint64_t *out)
{
	const struct jv *v = get(o, key);

	if (!v || v->t != J_NUM || !v->is_uint)
		return false;
	*out = v->u;
	return true;
}

static uint8_t kind_of(const char *s)
{
	return !strcmp(s, "kernel")  ? LT_FRAME_KERNEL :
	       !strcmp(s, "pseudo")  ? LT_FRAME_PSEUDO :
	       !strcmp(s, "inlined") ? LT_FRAME_INLINED :
				       LT_FRAME_USER;
}

/* One stack object into p. 0 or -EINVAL with *why set. */
static int add_stack(const struct jv *st, struct lt_profile *p, const char **frames, uint8_t *kinds,
		     const char **why)
{
	const struct jv *comm = get(st, "comm"), *fr = get(st, "frames"), *h = get(st, "hist");
	uint64_t pid = 0, tid = 0, total, count = 0;
	struct lt_sample *s;

	if (!comm || comm->t != J_STR || !fr || fr->t != J_ARR || !get_u64(st, "total", &total)) {
		*why = "a stack needs \"comm\", \"frames\" and \"total\"";
		return -EINVAL;
	}
	get_u64(st, "pid", &pid);
	get_u64(st, "tid", &tid);
	get_u64(st, "count", &count);
	if (fr->n > MAX_FRAMES) {
		*why = "a stack with too many frames";
		return -EINVAL;
	}
	for (size_t k = 0; k < fr->n; k++) {
		const struct jv *f = &fr->kids[k];

		if (f->t != J_ARR || f->n != 2 || f->kids[0].t != J_STR || f->kids[1].t != J_STR) {
			*why = "a frame is [\"name\", \"kind\"]";
			return -EINVAL;
		}
		frames[k] = f->kids[0].str;
		kinds[k] = kind_of(f->kids[1].str);
	}
	s = lt_profile__add_named(p, (uint32_t)pid, (uint32_t)tid, comm->str, frames, kinds,
				  (uint32_t)fr->n);
	if (!s)
		return -ENOMEM;
	s->total = total;
	get_u64(st, "total2", &s->total2);
	s->count = count;
	for (size_t b = 0; h && h->t == J_ARR && b < h->n; b++) {
		const struct jv *e = &h->kids[b];

		if (e->t != J_ARR || e->n != 3 || !e->kids[0].is_uint || !e->kids[2].is_uint) {
			*why = "a histogram bucket is [lo, hi, count]";
			return -EINVAL;
		}
		if (lt_hist_add(&s->hist, e->kids[0].u, e->kids[2].u))
			return -ENOMEM;
	}
	return 0;
}

int lt_json_read(FILE *f, const char *path, struct lt_profile *p, struct lt_json_meta *meta)
{
	struct jparser jp = { .path = path, .line = 1 };
	const char **frames = malloc(MAX_FRAMES * sizeof(*frames));
	uint8_t *kinds = malloc(MAX_FRAMES);
	const struct jv *fmt, *stacks, *unit, *tool;
	struct jv root = { 0 };
	const char *why = NULL;
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int err = 0;

	if (!buf || !frames || !kinds) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t r; (r = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += r;
		if (len == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
	}
	if (ferror(f)) {
		err = -EIO;
		lt_err("cannot read '%s': %s", path, strerror(EIO));
		goto out;
	}
	if (memchr(buf, 0, len)) {
		lt_err("%s: binary data (a NUL byte), not JSON", path);
		err = -EINVAL;
		goto out;
	}
	jp.s = buf;
	jp.end = buf + len;
	err = parse_value(&jp, &root, 0);
	skip_ws(&jp);
	if (!err && jp.s != jp.end)
		err = fail(&jp, "text after the JSON value");
	if (err == -EINVAL) {
		lt_err("%s:%zu: not valid JSON: %s", path, jp.line, jp.err);
		goto out;
	}
	if (err)
		goto out;
	fmt = get(&root, "format");
	stacks = get(&root, "stacks");
	if (!fmt || fmt->t != J_STR || strcmp(fmt->str, "latprof-profile") || !stacks ||
	    stacks->t != J_ARR) {
		lt_err("%s: not a latprof profile (no \"format\":\"latprof-profile\" with \"stacks\")",
		       path);
		err = -EINVAL;
		goto out;
	}
	unit = get(&root, "unit");
	tool = get(&root, "tool");
	if (meta) {
		snprintf(meta->unit, sizeof(meta->unit), "%s",
			 unit && unit->t == J_STR ? unit->str : "");
		snprintf(meta->tool, sizeof(meta->tool), "%s",
			 tool && tool->t == J_STR ? tool->str : "");
	}
	for (size_t i = 0; i < stacks->n && !err; i++) {
		err = add_stack(&stacks->kids[i], p, frames, kinds, &why);
		if (err == -EINVAL)
			lt_err("%s: stack %zu: %s", path, i + 1, why);
	}
out:
	jv_free(&root);
	free(buf);
	free(frames);
	free(kinds);
	return err;
}
