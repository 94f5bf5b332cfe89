// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * -f pprof: gzipped profile.proto (github.com/google/pprof/proto), so go tool
 * pprof, Pyroscope, Parca and speedscope open latprof's profiles. Encoded by
 * hand (protobuf wire format: varints and length-delimited fields), gzipped
 * with zlib. Follows the format's rules: string_table[0] is "", ids are dense
 * from 1, every sample has one value per sample type. One Location per
 * physical frame; the functions inlined at it (--lines) are its extra Lines,
 * innermost first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "hash.h"
#include "output.h"

/* Profile fields */
#define P_SAMPLE_TYPE 1
#define P_SAMPLE 2
#define P_MAPPING 3
#define P_LOCATION 4
#define P_FUNCTION 5
#define P_STRING 6
#define P_TIME 9
#define P_DURATION 10
#define P_PERIOD_TYPE 11
#define P_PERIOD 12
#define P_DEFAULT_TYPE 14

struct pbuf {
	uint8_t *b;
	size_t n, cap;
	bool oom;
};

static void put(struct pbuf *p, const void *d, size_t n)
{
	if (p->oom)
		return;
	if (p->n + n > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		uint8_t *nb;

		while (cap < p->n + n)
			cap *= 2;
		nb = realloc(p->b, cap);
		if (!nb) {
			p->oom = true;
			return;
		}
		p->b = nb;
		p->cap = cap;
	}
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void varint(struct pbuf *p, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	put(p, b, n);
}

/* A varint field; zero is the default and is left out. */
static void field_u64(struct pbuf *p, int field, uint64_t v)
{
	if (!v)
		return;
	varint(p, (uint64_t)field << 3);
	varint(p, v);
}

static void field_bytes(struct pbuf *p, int field, const void *d, size_t n)
{
	varint(p, (uint64_t)field << 3 | 2);
	varint(p, n);
	put(p, d, n);
}

/* A nested message from its own buffer, which is emptied for reuse. */
static void field_msg(struct pbuf *p, int field, struct pbuf *m)
{
	field_bytes(p, field, m->b, m->n);
	p->oom |= m->oom;
	m->n = 0;
}

/* Open-addressing map from a byte key to an id (1-based, dense). */
struct idmap {
	struct ient {
		uint64_t h;
		char *key;
		size_t len;
		uint64_t id;
	} * e;
	size_t n, cap;
};

/* The id of key, *isnew set when it was just given one. 0 on ENOMEM. */
static uint64_t idmap_get(struct idmap *m, const void *key, size_t len, bool *isnew)
{
	uint64_t h = lt_hash_bytes(LT_FNV_OFFSET, key, len);
	size_t j;

	*isnew = false;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct ient *e = calloc(cap, sizeof(*e));

		if (!e)
			return 0;
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->e[i].key)
				continue;
			for (j = m->e[i].h & (cap - 1); e[j].key; j = (j + 1) & (cap - 1))
				;
			e[j] = m->e[i];
		}
		free(m->e);
		m->e = e;
		m->cap = cap;
	}
	for (j = h & (m->cap - 1); m->e[j].key; j = (j + 1) & (m->cap - 1))
		if (m->e[j].h == h && m->e[j].len == len && !memcmp(m->e[j].key, key, len))
			return m->e[j].id;
	m->e[j].key = malloc(len ? len : 1);
	if (!m->e[j].key)
		return 0;
	memcpy(m->e[j].key, key, len);
	m->e[j].h = h;
	m->e[j].len = len;
	m->e[j].id = ++m->n;
	*isnew = true;
	return m->e[j].id;
}

static void idmap_free(struct idmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->e[i].key);
	free(m->e);
}

struct pprof {
	struct pbuf out, msg, sub;
	struct idmap strs, funcs, locs;
	struct pbuf strtab; /* string_table fields, in id order */
	const struct lt_profile *p;
	bool *inline_mod; /* per module: has inlined frames */
};

/* String table index (id - 1, since "" is index 0 and came first). */
static int64_t str_index(struct pprof *pp, const char *s)
{
	bool isnew;
	uint64_t id = idmap_get(&pp->strs, s, strlen(s), &isnew);

	if (!id) {
		pp->out.oom = true;
		return 0;
	}
	if (isnew)
		field_bytes(&pp->strtab, P_STRING, s, strlen(s));
	return (int64_t)id - 1;
}

static uint64_t function_id(struct pprof *pp, const char *name, uint8_t kind)
{
	char key[1024];
	int len = snprintf(key, sizeof(key), "%c%s", kind == LT_FRAME_KERNEL ? 'k' : 'u', name);
	bool isnew;
	uint64_t id;

	if (len >= (int)sizeof(key))
		len = sizeof(key) - 1;
	id = idmap_get(&pp->funcs, key, len, &isnew);
	if (!id) {
		pp->out.oom = true;
		return 0;
	}
	if (isnew) {
		int64_t s = str_index(pp, name);

		field_u64(&pp->sub, 1, id);
		field_u64(&pp->sub, 2, s); /* name */
		field_u64(&pp->sub, 3, s); /* system_name */
		field_msg(&pp->out, P_FUNCTION, &pp->sub);
	}
	return id;
}

/* The Location of frames [first, last] of s (last the physical one), leaf first in lines. */
static uint64_t location_id(struct pprof *pp, const struct lt_sample *s, uint32_t first,
			    uint32_t last)
{
	uint64_t key[LT_SYM_MAX_INLINE + 3], mapping = s->mod ? s->mod[last] : 0, id;
	size_t n = 0;
	bool isnew;

	key[n++] = mapping;
	for (uint32_t k = last + 1; k-- > first && n < sizeof(key) / sizeof(key[0]);)
		key[n++] = function_id(pp, s->frames[k], s->kind[k]);
	id = idmap_get(&pp->locs, key, n * sizeof(key[0]), &isnew);
	if (!id) {
		pp->out.oom = true;
		return 0;
	}
	if (isnew) {
		field_u64(&pp->msg, 1, id);
		field_u64(&pp->msg, 2, mapping);
		for (size_t i = 1; i < n; i++) { /* innermost first, the caller last */
			field_u64(&pp->sub, 1, key[i]);
			field_msg(&pp->msg, 4, &pp->sub);
		}
		field_msg(&pp->out, P_LOCATION, &pp->msg);
		if (first != last && mapping)
			pp->inline_mod[mapping - 1] = true;
	}
	return id;
}

static void value_type(struct pprof *pp, int field, const char *type, const char *unit)
{
	field_u64(&pp->sub, 1, str_index(pp, type));
	field_u64(&pp->sub, 2, str_index(pp, unit));
	field_msg(&pp->out, field, &pp->sub);
}

static void label(struct pbuf *m, struct pprof *pp, const char *key, const char *str, uint64_t num)
{
	field_u64(&pp->sub, 1, str_index(pp, key));
	if (str)
		field_u64(&pp->sub, 2, str_index(pp, str));
	field_u64(&pp->sub, 3, num);
	field_msg(m, 3, &pp->sub);
}

/* Sample types named for the tool: offcpu/nanoseconds, alloc_space/bytes. */
static void sample_types(const struct lt_profile *p, const char **t0, const char **u0,
			 uint64_t *mul, const char **t1)
{
	*t0 = p->tool;
	*u0 = p->unit;
	*mul = 1;
	*t1 = "events";
	if (!strcmp(p->unit, "us")) {
		*u0 = "nanoseconds";
		*mul = 1000;
	} else if (!strcmp(p->unit, "ns")) {
		*u0 = "nanoseconds";
	} else if (!strcmp(p->unit, "bytes")) {
		*t0 = "alloc_space";
		*t1 = "alloc_objects";
	}
}

static int gzip_out(FILE *f, const struct pbuf *b)
{
	uint8_t chunk[65536];
	z_stream zs = { 0 };
	int rc;

	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	zs.next_in = b->b;
	zs.avail_in = (uInt)b->n;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = deflate(&zs, Z_FINISH);
		if (rc == Z_STREAM_ERROR)
			break;
		fwrite(chunk, 1, sizeof(chunk) - zs.avail_out, f);
	} while (rc != Z_STREAM_END);
	deflateEnd(&zs);
	return rc == Z_STREAM_END && !ferror(f) ? 0 : -EIO;
}

int lt_write_pprof(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o)
{
	struct pprof pp = { .p = p };
	const char *t0, *u0, *t1;
	uint64_t mul, locs[LT_MAX_STACK_DEPTH * (LT_SYM_MAX_INLINE + 1) + 2];
	int err = 0;

	(void)o;
	pp.inline_mod = calloc(p->nmods + 1, sizeof(*pp.inline_mod));
	if (!pp.inline_mod)
		return -ENOMEM;
	str_index(&pp, ""); /* string_table[0] */
	sample_types(p, &t0, &u0, &mul, &t1);
	value_type(&pp, P_SAMPLE_TYPE, t0, u0);
	value_type(&pp, P_SAMPLE_TYPE, t1, "count");
	if (p->unit2) /* io --syscalls: bytes */
		value_type(&pp, P_SAMPLE_TYPE, p->unit2, p->unit2);
	for (size_t i = 0; i < p->n && !pp.out.oom; i++) {
		const struct lt_sample *s = &p->samples[i];
		size_t n = 0;

		if (!s->total && !s->count)
			continue;
		/* Leaf first; inlined frames join the physical frame before them. */
		for (uint32_t k = s->nframes; k-- > 0 && n < sizeof(locs) / sizeof(locs[0]);) {
			uint32_t last = k;

			while (k > 0 && s->kind[k] == LT_FRAME_INLINED &&
			       s->kind[k - 1] != LT_FRAME_PSEUDO)
				k--;
			locs[n++] = location_id(&pp, s, k, last);
		}
		{
			struct pbuf smp = { 0 }, pk = { 0 };

			/* packed repeated location_id, then packed value */
			for (size_t j = 0; j < n; j++)
				varint(&pk, locs[j]);
			field_bytes(&smp, 1, pk.b, pk.n);
			pk.n = 0;
			varint(&pk, s->total * mul);
			varint(&pk, s->count);
			if (p->unit2)
				varint(&pk, s->total2);
			field_bytes(&smp, 2, pk.b, pk.n);
			free(pk.b);
			label(&smp, &pp, "comm", s->comm[0] ? s->comm : "?", 0);
			if (s->tgid)
				label(&smp, &pp, "pid", NULL, s->tgid);
			if (s->pid)
				label(&smp, &pp, "thread_id", NULL, s->pid);
			field_msg(&pp.out, P_SAMPLE, &smp);
			pp.out.oom |= pk.oom;
			free(smp.b);
		}
	}
	for (size_t i = 0; i < p->nmods; i++) {
		const struct lt_module *m = &p->mods[i];

		field_u64(&pp.msg, 1, i + 1);
		field_u64(&pp.msg, 5, str_index(&pp, m->path));
		field_u64(&pp.msg, 6, str_index(&pp, m->build_id));
		field_u64(&pp.msg, 7, !m->unnamed); /* has_functions */
		field_u64(&pp.msg, 10, pp.inline_mod[i]); /* has_inline_frames */
		field_msg(&pp.out, P_MAPPING, &pp.msg);
	}
	field_u64(&pp.out, P_TIME, (uint64_t)p->start * 1000000000ULL);
	field_u64(&pp.out, P_DURATION, (uint64_t)(p->duration_s * 1e9));
	value_type(&pp, P_PERIOD_TYPE, t0, u0);
	field_u64(&pp.out, P_PERIOD, 1);
	field_u64(&pp.out, P_DEFAULT_TYPE, str_index(&pp, t0));
	/* The string table last: every index above is in it by now. */
	put(&pp.out, pp.strtab.b, pp.strtab.n);
	if (pp.out.oom || pp.msg.oom || pp.sub.oom || pp.strtab.oom)
		err = -ENOMEM;
	else
		err = gzip_out(f, &pp.out);
	free(pp.out.b);
	free(pp.msg.b);
	free(pp.sub.b);
	free(pp.strtab.b);
	free(pp.inline_mod);
	idmap_free(&pp.strs);
	idmap_free(&pp.funcs);
	idmap_free(&pp.locs);
	return err;
}
