// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "profile.h"
#include "u32set.h"

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
		free(p->samples[i].second);
		free(p->samples[i].frames);
		free(p->samples[i].kind);
		free(p->samples[i].mod);
		lt_hist_free(&p->samples[i].hist);
	}
	for (size_t i = 0; i < p->nmods; i++) {
		free(p->mods[i].path);
		free(p->mods[i].build_id);
	}
	free(p->mods);
	for (size_t i = 0; i < p->strs_cap; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->samples);
	free(p->slots);
	free(p->nidx);
	memset(p, 0, sizeof(*p));
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t sample_hash(uint32_t tgid, uint32_t pid, uint64_t aux, const char *comm,
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

static bool same_key(const struct lt_sample *s, uint32_t tgid, uint32_t pid, uint64_t aux,
		     const char *comm, const uint64_t *uips, uint32_t nu, const uint64_t *kips,
		     uint32_t nk)
{
	return s->tgid == tgid && s->pid == pid && s->aux == aux && s->nuser == nu &&
	       s->nkern == nk && !strncmp(s->comm, comm, LT_COMM_LEN) &&
	       !memcmp(s->ips, uips, nu * sizeof(*uips)) &&
	       !memcmp(s->ips + nu, kips, nk * sizeof(*kips));
}

/*
 * An open-addressing index of p's samples by hash: slots hold sample
 * indexes + 1 (0 = empty); nslots a power of two. NULL on ENOMEM.
 */
static size_t *index_samples(const struct lt_profile *p, size_t nslots,
			     uint64_t (*hash)(const struct lt_sample *))
{
	size_t *slots = calloc(nslots, sizeof(*slots));

	for (size_t i = 0; slots && i < p->n; i++) {
		size_t j = hash(&p->samples[i]) & (nslots - 1);

		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = i + 1;
	}
	return slots;
}

static uint64_t raw_hash(const struct lt_sample *s)
{
	return sample_hash(s->tgid, s->pid, s->aux, s->comm, s->ips, s->nuser, s->ips + s->nuser,
			   s->nkern);
}

/* The raw samples' merge index, of nslots (grown at 50% load). 0 or -ENOMEM. */
static int reindex(struct lt_profile *p, size_t nslots)
{
	size_t *slots = index_samples(p, nslots, raw_hash);

	if (!slots)
		return -ENOMEM;
	free(p->slots);
	p->slots = slots;
	p->nslots = nslots;
	return 0;
}

struct lt_sample *lt_profile__get(struct lt_profile *p, uint32_t tgid, uint32_t pid, uint64_t aux,
				  const char *comm, const uint64_t *uips, uint32_t nuser,
				  const uint64_t *kips, uint32_t nkern)
{
	char clean[LT_COMM_LEN] = "";
	struct lt_sample *s;
	uint64_t h;
	size_t j;

	/* The name as it will be kept, so that equal keys meet. */
	strncpy(clean, comm, LT_COMM_LEN - 1);
	lt_name_clean(clean);
	comm = clean;
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
	if (nuser) /* none: uips may be NULL (-K) */
		memcpy(s->ips, uips, nuser * sizeof(*uips));
	if (nkern)
		memcpy(s->ips + nuser, kips, nkern * sizeof(*kips));
	s->tgid = tgid;
	s->pid = pid;
	s->aux = aux;
	memcpy(s->comm, clean, LT_COMM_LEN);
	s->nuser = nuser;
	s->nkern = nkern;
	p->slots[j] = ++p->n;
	return s;
}

int lt_sample__set_second(struct lt_sample *s, uint32_t tgid, uint32_t pid, const char *comm,
			  const uint64_t *uips, uint32_t nuser, const uint64_t *kips,
			  uint32_t nkern)
{
	struct lt_second *w;

	if (s->second)
		return 0;
	w = calloc(1, sizeof(*w) + (nuser + nkern) * sizeof(w->ips[0]));
	if (!w)
		return -ENOMEM;
	w->tgid = tgid;
	w->pid = pid;
	strncpy(w->comm, comm, LT_COMM_LEN - 1);
	lt_name_clean(w->comm);
	if (nuser)
		memcpy(w->ips, uips, nuser * sizeof(*uips));
	if (nkern)
		memcpy(w->ips + nuser, kips, nkern * sizeof(*kips));
	w->nuser = nuser;
	w->nkern = nkern;
	s->second = w;
	return 0;
}

uint32_t lt_sample__second_at(const struct lt_sample *s)
{
	for (uint32_t i = 0; i < s->nframes; i++)
		if (s->kind[i] == LT_FRAME_PSEUDO && !strcmp(s->frames[i], "--"))
			return i;
	return s->nframes;
}

const char *lt_sample__state(const struct lt_sample *s)
{
	uint32_t end = lt_sample__second_at(s);

	return end && s->kind[end - 1] == LT_FRAME_PSEUDO ? s->frames[end - 1] : NULL;
}

/* The one copy of `name` in the profile (a hash set). NULL on ENOMEM. */
static const char *intern(struct lt_profile *p, const char *name)
{
	size_t j;

	if ((p->nstrs + 1) * 2 > p->strs_cap) {
		size_t cap = p->strs_cap ? p->strs_cap * 2 : 4096;
		char **ns = calloc(cap, sizeof(*ns));

		if (!ns)
			return NULL;
		for (size_t i = 0; i < p->strs_cap; i++) {
			if (!p->strs[i])
				continue;
			for (j = lt_hash_str(p->strs[i]) & (cap - 1); ns[j];
			     j = (j + 1) & (cap - 1))
				;
			ns[j] = p->strs[i];
		}
		free(p->strs);
		p->strs = ns;
		p->strs_cap = cap;
	}
	for (j = lt_hash_str(name) & (p->strs_cap - 1); p->strs[j]; j = (j + 1) & (p->strs_cap - 1))
		if (!strcmp(p->strs[j], name))
			return p->strs[j];
	p->strs[j] = strdup(name);
	if (p->strs[j])
		p->nstrs++;
	return p->strs[j];
}

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80			? 1 :
		   s[0] >= 0xc2 && s[0] <= 0xdf ? 2 :
		   s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
		   s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 :
						  0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong and surrogate forms, and above U+10FFFF. */
	if ((n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) ||
	    (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))))
		return 0;
	return n;
}

void lt_name_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (*p == ';' || *p == '\n' || *p == '\r')
			*p++ = ':'; /* folded: frames and lines */
		else if (!n || *p < 0x20 || *p == 0x7f)
			*p++ = '?'; /* control characters and bytes that are not UTF-8 */
		else
			p += n;
	}
}

/* Scratch space for one sample's frames while it is named. */
struct frame_buf {
	const char **frames;
	uint8_t *kind;
	uint32_t *mod;
	uint32_t n, cap;
	/* last module looked up, by the symbolizer's stable pointers */
	const char *last_path, *last_bid;
	uint32_t last_mod;
};

/* The index + 1 of module (path, build_id) in p; 0 on ENOMEM. */
static uint32_t module_of(struct lt_profile *p, struct frame_buf *b, const char *path,
			  const char *bid, bool named)
{
	size_t i;

	if (path == b->last_path && bid == b->last_bid) {
		i = b->last_mod - 1;
		goto found;
	}
	for (i = 0; i < p->nmods; i++)
		if (!strcmp(p->mods[i].path, path) && !strcmp(p->mods[i].build_id, bid ? bid : ""))
			goto found;
	if (p->nmods == p->mods_cap) {
		size_t cap = p->mods_cap ? p->mods_cap * 2 : 16;
		struct lt_module *m = realloc(p->mods, cap * sizeof(*m));

		if (!m)
			return 0;
		p->mods = m;
		p->mods_cap = cap;
	}
	p->mods[i] = (struct lt_module){ .path = strdup(path), .build_id = strdup(bid ? bid : "") };
	if (!p->mods[i].path || !p->mods[i].build_id)
		return 0;
	p->nmods++;
found:
	b->last_path = path;
	b->last_bid = bid;
	b->last_mod = i + 1;
	if (!named)
		p->mods[i].unnamed = true;
	return i + 1;
}

static int push_frame(struct lt_profile *p, struct frame_buf *b, const char *name, uint8_t kind,
		      uint32_t mod)
{
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 256;
		const char **f = realloc(b->frames, cap * sizeof(*f));
		uint8_t *k = f ? realloc(b->kind, cap) : NULL;
		uint32_t *m = k ? realloc(b->mod, cap * sizeof(*m)) : NULL;

		if (f)
			b->frames = f;
		if (k)
			b->kind = k;
		if (!m)
			return -ENOMEM;
		b->mod = m;
		b->cap = cap;
	}
	{
		char tmp[sizeof(((struct lt_sym_frame *)0)->name)];

		snprintf(tmp, sizeof(tmp), "%s", name);
		lt_name_clean(tmp);
		name = intern(p, tmp);
		if (!name)
			return -ENOMEM;
	}
	b->frames[b->n] = name;
	b->mod[b->n] = mod;
	b->kind[b->n++] = kind;
	return 0;
}

#define LT_UR_KEY(id, key, text) [LT_UR_##id] = key,
#define LT_UR_TEXT(id, key, text) [LT_UR_##id] = text,
const char *const lt_ureason_name[LT_UR_NR] = { LT_UREASONS(LT_UR_KEY) };
const char *const lt_ureason_text[LT_UR_NR] = { LT_UREASONS(LT_UR_TEXT) };
#undef LT_UR_KEY
#undef LT_UR_TEXT

/*
 * Where user stacks begin: the program's entry (_start, and glibc's and
 * musl's __libc_start_main, for walks that lose _start's frame), a thread's
 * (clone, clone3, start_thread), Go's (runtime.goexit under every goroutine,
 * runtime.mstart and rt0_go for the scheduler's threads).
 */
static bool is_root_frame(const char *name)
{
	static const char *const roots[] = {
		"_start",	  "__libc_start_main", "clone",	       "clone3",
		"__clone",	  "__clone3",	       "start_thread", "runtime.goexit",
		"runtime.mstart", "runtime.rt0_go",    "_start_c",
	};
	size_t len = strcspn(name, " "); /* --lines: "func file.c:LINE" */

	if (len > 5 && !strncmp(name + len - 5, ".abi0", 5)) /* Go's assembly ABI */
		len -= 5;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strlen(roots[i]) == len && !strncmp(name, roots[i], len))
			return true;
	return false;
}

/* Why s's user stack ended where it did; root: the name of its outermost frame. */
static uint8_t classify_ustack(const struct lt_profile *p, const struct lt_sample *s,
			       const char *root, const char *module)
{
	if (!s->nuser)
		return LT_UR_NONE;
	if (is_root_frame(root))
		return LT_UR_COMPLETE;
	if (s->uflags & LT_UWALK_NOMAPS)
		return LT_UR_NO_MAPS;
	if (s->uend == LT_UEND_DEPTH)
		return LT_UR_DEPTH;
	if (s->uend == LT_UEND_SWITCHES)
		return LT_UR_SWITCHES;
	if (module && p->untabled && p->untabled(p->untabled_ctx, module))
		return LT_UR_NO_TABLE;
	if (s->uend == LT_UEND_FAULT)
		return LT_UR_FAULT;
	return LT_UR_FP_BROKEN;
}

/*
 * Push the n kernel frames at ips (leaf first) into b: root first, or with
 * leaf_first leaf first. The tracer's own program and the trampoline that
 * ran it sit at the leaf of every kernel stack it takes: that run is
 * dropped. A BPF program deeper in a stack is the workload's, and shown.
 */
static int push_kernel(struct lt_profile *p, struct lt_symbolizer *sy, struct frame_buf *b,
		       const uint64_t *ips, uint32_t n, bool leaf_first)
{
	uint32_t cut = 0, mod;
	bool hidden = true;
	char buf[512];
	int err = 0;

	while (cut < n && hidden) {
		lt_symbolizer__kernel(sy, ips[cut], &hidden, buf, sizeof(buf));
		cut += hidden;
	}
	mod = n > cut ? module_of(p, b, "[kernel.kallsyms]", lt_symbolizer__kernel_build_id(sy),
				  true) :
			0;
	if (n > cut && !mod)
		return -ENOMEM;
	for (uint32_t i = cut; !err && i < n; i++) {
		uint32_t k = leaf_first ? i : n - 1 - (i - cut);

		lt_symbolizer__kernel(sy, ips[k], &hidden, buf, sizeof(buf));
		err = push_frame(p, b, buf, LT_FRAME_KERNEL, mod);
	}
	return err;
}

/*
 * What woke a thread from interrupt context is no task, whatever task the
 * interrupt found running: "[timer]" for a timer's expiry, "[irq]" for other
 * hard and soft interrupt work (docs/offcpu.md). NULL: the task woke it.
 */
static const char *second_context(struct lt_symbolizer *sy, const struct lt_second *w)
{
	static const char *const timer[] = { "hrtimer_wakeup", "process_timeout", "posix_timer_fn",
					     "it_real_fn" };
	static const char *const irq[] = { "__irq_exit_rcu",   "irq_exit_rcu",
					   "handle_softirqs",  "__do_softirq",
					   "do_softirq",       "common_interrupt",
					   "handle_irq_event", "__handle_irq_event_percpu" };
	bool hidden;
	char buf[512];

	for (uint32_t i = 0; i < w->nkern; i++) {
		lt_symbolizer__kernel(sy, w->ips[w->nuser + i], &hidden, buf, sizeof(buf));
		for (size_t j = 0; j < sizeof(timer) / sizeof(timer[0]); j++)
			if (!strcmp(buf, timer[j]))
				return "[timer]";
		for (size_t j = 0; j < sizeof(irq) / sizeof(irq[0]); j++)
			if (!strcmp(buf, irq[j]) || !strncmp(buf, "__sysvec_", 9))
				return "[irq]";
	}
	return NULL;
}

/*
 * The second stack, after a "--" frame: its kernel frames then its user
 * frames, leaf first, then its comm; or only "[timer]" or "[irq]".
 */
static int name_second(struct lt_profile *p, struct lt_symbolizer *sy, const struct lt_second *w,
		       struct frame_buf *b)
{
	struct lt_sym_frame uf[LT_SYM_MAX_INLINE + 1];
	const char *ctx = second_context(sy, w);
	int err = push_frame(p, b, "--", LT_FRAME_PSEUDO, 0);

	/* No task (BPF saw an interrupt's stack) and no telling frame: an interrupt. */
	if (!ctx && !w->tgid && !w->pid && !w->comm[0])
		ctx = "[irq]";

	if (err || ctx)
		return err ?: push_frame(p, b, ctx, LT_FRAME_PSEUDO, 0);
	err = push_kernel(p, sy, b, w->ips + w->nuser, w->nkern, true);
	for (uint32_t k = 0; !err && k < w->nuser; k++) {
		uint64_t ip = w->ips[k] & ~LT_USTACK_EXACT;
		bool ret = k > 0 && !(w->ips[k] & LT_USTACK_EXACT);
		int n = lt_symbolizer__user_frames(sy, w->tgid, ip, ret, uf, LT_SYM_MAX_INLINE + 1);

		/* An address's frames come innermost first: already leaf first. */
		for (int i = 0; !err && i < n; i++) {
			uint32_t mod = uf[i].module ? module_of(p, b, uf[i].module, uf[i].build_id,
								uf[i].named) :
						      0;

			err = uf[i].module && !mod ?
				      -ENOMEM :
				      push_frame(p, b, uf[i].name,
						 uf[i].inlined ? LT_FRAME_INLINED : LT_FRAME_USER,
						 mod);
		}
	}
	return err ?: push_frame(p, b, w->comm[0] ? w->comm : "?", LT_FRAME_PSEUDO, 0);
}

/* Name one sample into b, root first; classify its user stack. */
static int name_sample(struct lt_profile *p, struct lt_symbolizer *sy, struct lt_sample *s,
		       struct frame_buf *b)
{
	const char *aux = p->aux_frame ? p->aux_frame(p->aux_ctx, s->aux) : NULL;
	struct lt_sym_frame uf[LT_SYM_MAX_INLINE + 1];
	int err = 0;

	b->n = 0;
	if (aux)
		err = push_frame(p, b, aux, LT_FRAME_PSEUDO, 0);
	/* User frames from the outermost; an address's inlined frames leaf first. */
	bool outermost = true;

	for (uint32_t k = s->nuser; !err && k-- > 0;) {
		uint64_t ip = s->ips[k] & ~LT_USTACK_EXACT;
		bool ret = k > 0 && !(s->ips[k] & LT_USTACK_EXACT);
		int n = lt_symbolizer__user_frames(sy, s->tgid, ip, ret, uf, LT_SYM_MAX_INLINE + 1);

		/*
		 * A walk without the process's mapping list cannot tell code from
		 * a garbage frame pointer chain's words; its outermost frames
		 * outside every mapping are that garbage, not frames.
		 */
		if (outermost && k > 0 && n > 0 && !uf[n - 1].module &&
		    (s->uflags & LT_UWALK_NOMAPS))
			continue;
		if (outermost && n > 0) {
			outermost = false;
			s->ureason = classify_ustack(p, s, uf[n - 1].name, uf[n - 1].module);
			if (s->ureason == LT_UR_NO_TABLE && s->total > p->ur_file_value) {
				p->ur_file_value = s->total;
				snprintf(p->ur_file, sizeof(p->ur_file), "%s", uf[n - 1].module);
			}
		}

		while (!err && n-- > 0) {
			uint32_t mod = uf[n].module ? module_of(p, b, uf[n].module, uf[n].build_id,
								uf[n].named) :
						      0;

			if (uf[n].module && !mod)
				err = -ENOMEM;
			else
				err = push_frame(p, b, uf[n].name,
						 uf[n].inlined ? LT_FRAME_INLINED : LT_FRAME_USER,
						 mod);
		}
	}
	err = err ?: push_kernel(p, sy, b, s->ips + s->nuser, s->nkern, false);
	if (!err && p->aux_leaf) {
		const char *leaf = p->aux_leaf(p->aux_ctx, s->aux, b->frames, b->kind, b->n);

		if (leaf)
			err = push_frame(p, b, leaf, LT_FRAME_PSEUDO, 0);
	}
	if (!err && s->second)
		err = name_second(p, sy, s->second, b);
	return err;
}

int lt_profile__symbolize(struct lt_profile *p, struct lt_symbolizer *sy)
{
	struct frame_buf b = { 0 };
	int err = 0;

	for (size_t i = 0; i < p->n && !err; i++) {
		struct lt_sample *s = &p->samples[i];

		err = name_sample(p, sy, s, &b);
		free(s->frames);
		free(s->kind);
		free(s->mod);
		s->frames = err ? NULL : malloc((b.n + 1) * sizeof(*s->frames));
		s->kind = err ? NULL : malloc(b.n + 1);
		s->mod = err ? NULL : malloc((b.n + 1) * sizeof(*s->mod));
		if (!err && (!s->frames || !s->kind || !s->mod))
			err = -ENOMEM;
		if (err)
			break;
		memcpy(s->frames, b.frames, b.n * sizeof(*b.frames));
		memcpy(s->kind, b.kind, b.n);
		memcpy(s->mod, b.mod, b.n * sizeof(*b.mod));
		s->nframes = b.n;
		s->nspid = lt_symbolizer__ns_pid(sy, s->tgid);
		p->ur_events[s->ureason] += s->count;
		p->ur_value[s->ureason] += s->total;
		/* Addresses are not needed once named, and merging is done. */
		free(s->ips);
		s->ips = NULL;
		free(s->second);
		s->second = NULL;
	}
	free(b.frames);
	free(b.kind);
	free(b.mod);
	free(p->slots);
	p->slots = NULL;
	p->nslots = 0;
	return err;
}

struct lt_sample *lt_profile__add_named(struct lt_profile *p, uint32_t tgid, uint32_t pid,
					const char *comm, const char *const *frames,
					const uint8_t *kinds, uint32_t n)
{
	struct lt_sample *s;

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
	s->frames = malloc((n + 1) * sizeof(*s->frames));
	s->kind = malloc(n + 1);
	if (!s->frames || !s->kind) {
		free(s->frames);
		free(s->kind);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		s->frames[i] = intern(p, frames[i]);
		if (!s->frames[i]) {
			free(s->frames);
			free(s->kind);
			return NULL;
		}
		s->kind[i] = kinds[i];
	}
	s->nframes = n;
	s->tgid = tgid;
	s->pid = pid;
	s->nspid = tgid;
	strncpy(s->comm, comm, LT_COMM_LEN - 1);
	lt_name_clean(s->comm);
	p->n++;
	return s;
}

/*
 * A named sample's merge key: its thread, comm, frames (interned) and how its
 * stack ended. Not its aux: what of it outputs show is in its frames (the
 * tool's pseudo-frames), and the rest would keep rows apart that no output
 * can tell apart (io's aux2 is a file's identity: every pipe its own).
 */
static uint64_t named_hash(const struct lt_sample *s)
{
	uint64_t h = mix(mix(mix(2, s->tgid), s->pid), s->ureason);

	h = mix(h, lt_hash_str(s->comm));
	for (uint32_t i = 0; i < s->nframes; i++)
		h = mix(h, (uintptr_t)s->frames[i] * 5 + s->kind[i]);
	return h;
}

static bool same_named(const struct lt_sample *a, const struct lt_sample *b)
{
	return a->tgid == b->tgid && a->pid == b->pid && a->ureason == b->ureason &&
	       a->nframes == b->nframes && !strncmp(a->comm, b->comm, LT_COMM_LEN) &&
	       !memcmp(a->frames, b->frames, a->nframes * sizeof(*a->frames)) &&
	       !memcmp(a->kind, b->kind, a->nframes);
}

/* Index p's named samples, room for want (at most 50% load). 0 or -ENOMEM. */
static int named_reindex(struct lt_profile *p, size_t want)
{
	size_t n = 1024, *idx;

	while (n < want * 2)
		n *= 2;
	idx = index_samples(p, n, named_hash);
	if (!idx)
		return -ENOMEM;
	free(p->nidx);
	p->nidx = idx;
	p->nnidx = n;
	return 0;
}

/* The index slot of a sample equal to s in p, or of the empty slot where it goes. */
static size_t named_find(const struct lt_profile *p, const struct lt_sample *s)
{
	size_t j = named_hash(s) & (p->nnidx - 1);

	while (p->nidx[j] && !same_named(&p->samples[p->nidx[j] - 1], s))
		j = (j + 1) & (p->nnidx - 1);
	return j;
}

/*
 * d += s: histogram (moved when d's is empty), totals, counts and threads.
 * On -ENOMEM d is as it was, but for its histogram.
 */
static int named_add(struct lt_sample *d, struct lt_sample *s)
{
	if (!d->hist.n) {
		lt_hist_free(&d->hist);
		d->hist = s->hist;
		memset(&s->hist, 0, sizeof(s->hist));
	} else if (lt_hist_merge(&d->hist, &s->hist)) {
		return -ENOMEM;
	}
	d->total += s->total;
	d->total2 += s->total2;
	d->count += s->count;
	d->nthreads += s->nthreads;
	return 0;
}

static void sample_free(struct lt_sample *s)
{
	free(s->ips);
	free(s->second);
	free(s->frames);
	free(s->kind);
	free(s->mod);
	lt_hist_free(&s->hist);
}

int lt_profile__absorb(struct lt_profile *dst, struct lt_profile *src)
{
	struct frame_buf b = { 0 };
	uint32_t *modmap = NULL;
	int err = 0;

	if (!dst->nidx || (dst->n + src->n) * 2 > dst->nnidx)
		err = named_reindex(dst, dst->n + src->n);
	/* src's modules, as dst numbers them. */
	if (!err && src->nmods && !(modmap = calloc(src->nmods, sizeof(*modmap))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < src->nmods; i++) {
		modmap[i] = module_of(dst, &b, src->mods[i].path, src->mods[i].build_id,
				      !src->mods[i].unnamed);
		if (!modmap[i])
			err = -ENOMEM;
	}
	for (size_t i = 0; !err && i < src->n; i++) {
		struct lt_sample *s = &src->samples[i];
		size_t j;

		/* Frames as dst interns them, so that equal stacks compare by pointer. */
		for (uint32_t k = 0; k < s->nframes && !err; k++) {
			s->frames[k] = intern(dst, s->frames[k]);
			if (!s->frames[k])
				err = -ENOMEM;
			if (s->mod && s->mod[k])
				s->mod[k] = modmap[s->mod[k] - 1];
		}
		if (err)
			break;
		j = named_find(dst, s);
		if (dst->nidx[j]) {
			err = named_add(&dst->samples[dst->nidx[j] - 1], s);
			continue;
		}
		if (dst->n == dst->cap) {
			size_t cap = dst->cap ? dst->cap * 2 : 256;
			struct lt_sample *ns = realloc(dst->samples, cap * sizeof(*ns));

			if (!ns) {
				err = -ENOMEM;
				break;
			}
			dst->samples = ns;
			dst->cap = cap;
		}
		/* Moved whole: src forgets it. */
		dst->samples[dst->n] = *s;
		memset(s, 0, sizeof(*s));
		dst->nidx[j] = ++dst->n;
	}
	for (int r = 0; !err && r < LT_UR_NR; r++) {
		dst->ur_events[r] += src->ur_events[r];
		dst->ur_value[r] += src->ur_value[r];
	}
	if (!err && src->ur_file_value > dst->ur_file_value) {
		dst->ur_file_value = src->ur_file_value;
		memcpy(dst->ur_file, src->ur_file, sizeof(dst->ur_file));
	}
	for (int i = 0; !err && i < LT_STAT_NR; i++)
		if (src->stats[i] > dst->stats[i])
			dst->stats[i] = src->stats[i];
	free(modmap);
	return err;
}

/* The interned copy of name in p, or NULL when p holds none. */
static const char *interned(const struct lt_profile *p, const char *name)
{
	if (!p->strs_cap)
		return NULL;
	for (size_t j = lt_hash_str(name) & (p->strs_cap - 1); p->strs[j];
	     j = (j + 1) & (p->strs_cap - 1))
		if (p->strs[j] == name || !strcmp(p->strs[j], name))
			return p->strs[j];
	return NULL;
}

/*
 * Free the interned names no sample refers to any more (after a fold, the
 * addresses of processes gone), or the pool only grows. 0 or -ENOMEM (then
 * nothing is freed).
 */
static int strs_compact(struct lt_profile *p)
{
	struct lt_profile keep = { 0 };

	for (size_t i = 0; i < p->n; i++)
		for (uint32_t k = 0; k < p->samples[i].nframes; k++) {
			const char *f = p->samples[i].frames[k];

			/* The same string into keep's set: re-pointed after. */
			if (!interned(&keep, f) && !intern(&keep, f)) {
				lt_profile__free(&keep);
				return -ENOMEM;
			}
		}
	for (size_t i = 0; i < p->n; i++)
		for (uint32_t k = 0; k < p->samples[i].nframes; k++)
			p->samples[i].frames[k] = interned(&keep, p->samples[i].frames[k]);
	for (size_t i = 0; i < p->strs_cap; i++)
		free(p->strs[i]);
	free(p->strs);
	p->strs = keep.strs;
	p->strs_cap = keep.strs_cap;
	p->nstrs = keep.nstrs;
	return 0;
}

/*
 * A frame a merged row cannot keep apart: an address outside every mapping
 * of a process that is gone names nothing, and would keep each process's
 * row apart (ASLR).
 */
static bool anonymous_addr(const char *name)
{
	return !strncmp(name, "[unmapped]+0x", 13);
}

long lt_profile__fold(struct lt_profile *p, bool (*gone)(void *ctx, uint32_t tgid), void *ctx)
{
	uint32_t *tg = malloc((p->n + 1) * sizeof(*tg)), last = 0;
	size_t n = 0, ntg = 0, removed;
	bool last_gone = false;
	int err = tg ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < p->n; i++) {
		struct lt_sample *s = &p->samples[i];

		if (!s->tgid)
			continue;
		if (s->tgid != last) {
			last = s->tgid;
			last_gone = gone(ctx, last);
		}
		if (!last_gone)
			continue;
		tg[ntg++] = s->tgid;
		for (uint32_t k = 0; !err && k < s->nframes; k++)
			if (anonymous_addr(s->frames[k]) &&
			    !(s->frames[k] = intern(p, "[unmapped]")))
				err = -ENOMEM;
		s->tgid = s->pid = s->nspid = 0;
		s->nthreads = s->nthreads ? s->nthreads : 1;
		p->folded_samples++;
	}
	p->folded_procs += lt_u32_sort_unique(tg, ntg);
	free(tg);
	/* Merge what now has equal keys into the first of each, in a new index. */
	free(p->nidx);
	p->nidx = NULL;
	p->nnidx = 0;
	if (!err) {
		size_t keep = p->n;

		p->n = 0; /* indexed as they are kept */
		err = named_reindex(p, keep);
		p->n = keep;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct lt_sample *s = &p->samples[i];
		size_t j = err ? 0 : named_find(p, s);

		if (!err && p->nidx[j]) {
			err = named_add(&p->samples[p->nidx[j] - 1], s);
			if (!err) {
				sample_free(s);
				continue;
			}
		}
		/* Kept; after an error, kept apart unmerged, not dropped. */
		if (n != i)
			p->samples[n] = *s;
		if (!err)
			p->nidx[j] = n + 1;
		n++;
	}
	if (err) {
		free(p->nidx);
		p->nidx = NULL;
		p->nnidx = 0;
		p->n = n;
		return err;
	}
	removed = p->n - n;
	p->n = n;
	err = strs_compact(p);
	return err ? err : (long)removed;
}

bool lt_sample__cut(const struct lt_sample *s)
{
	return s->ureason != LT_UR_NONE && s->ureason != LT_UR_COMPLETE;
}

/* Lines merge samples whose comm, frames and frame kinds are equal. */
static uint64_t line_hash(const struct lt_sample *s, bool split_cut)
{
	uint64_t h = lt_hash_str(s->comm);

	for (uint32_t i = 0; i < s->nframes; i++)
		h = mix(h, (uintptr_t)s->frames[i] * 5 + s->kind[i]);
	if (split_cut && lt_sample__cut(s))
		h = mix(h, s->pid);
	return h;
}

static bool same_line(const struct lt_sample *a, const struct lt_sample *b, bool split_cut)
{
	if (split_cut && (lt_sample__cut(a) || lt_sample__cut(b)) && a->pid != b->pid)
		return false;
	return a->nframes == b->nframes && !strncmp(a->comm, b->comm, LT_COMM_LEN) &&
	       !memcmp(a->frames, b->frames, a->nframes * sizeof(*a->frames)) &&
	       !memcmp(a->kind, b->kind, a->nframes);
}

/* Deterministic order for equal totals: comm, then frames by name. */
static int cmp_frames(const struct lt_sample *a, const struct lt_sample *b)
{
	int c = strncmp(a->comm, b->comm, LT_COMM_LEN);

	for (uint32_t i = 0; !c && i < a->nframes && i < b->nframes; i++)
		c = strcmp(a->frames[i], b->frames[i]) ?: a->kind[i] - b->kind[i];
	return c ?: (int)a->nframes - (int)b->nframes;
}

static int cmp_line_total(const void *pa, const void *pb)
{
	const struct lt_stack_line *x = pa, *y = pb;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return cmp_frames(x->first, y->first);
}

int lt_profile__lines(const struct lt_profile *p, struct lt_stack_line **out, size_t *nout)
{
	return lt_profile__lines_split(p, false, out, nout);
}

int lt_profile__lines_split(const struct lt_profile *p, bool split_cut, struct lt_stack_line **out,
			    size_t *nout)
{
	size_t nslots = 1024, n = 0, *slots;
	struct lt_stack_line *l;

	while (nslots < p->n * 2)
		nslots *= 2;
	l = calloc(p->n ? p->n : 1, sizeof(*l));
	slots = calloc(nslots, sizeof(*slots));
	if (!l || !slots)
		goto err_nomem;
	for (size_t i = 0; i < p->n; i++) {
		const struct lt_sample *s = &p->samples[i];
		size_t j = line_hash(s, split_cut) & (nslots - 1);
		struct lt_stack_line *d;

		for (; slots[j]; j = (j + 1) & (nslots - 1))
			if (same_line(l[slots[j] - 1].first, s, split_cut))
				break;
		if (!slots[j]) {
			slots[j] = ++n;
			l[n - 1] =
				(struct lt_stack_line){ .first = s,
							.total = s->total,
							.total2 = s->total2,
							.count = s->count,
							.hist = &s->hist,
							.nthreads = s->nthreads ? s->nthreads : 1 };
			continue;
		}
		d = &l[slots[j] - 1];
		if (!d->own_hist) {
			d->own_hist = malloc(sizeof(*d->own_hist));
			if (!d->own_hist)
				goto err_nomem;
			if (lt_hist_copy(d->own_hist, &d->first->hist)) {
				free(d->own_hist);
				d->own_hist = NULL;
				goto err_nomem;
			}
			d->hist = d->own_hist;
		}
		if (lt_hist_merge(d->own_hist, &s->hist))
			goto err_nomem;
		d->total += s->total;
		d->total2 += s->total2;
		d->count += s->count;
		if (s->nthreads)
			d->nthreads += s->nthreads;
		else if (s->pid != d->first->pid)
			d->nthreads++;
	}
	free(slots);
	qsort(l, n, sizeof(*l), cmp_line_total);
	*out = l;
	*nout = n;
	return 0;

err_nomem:
	free(slots);
	lt_stack_lines__free(l, l ? p->n : 0);
	return -ENOMEM;
}

void lt_stack_lines__free(struct lt_stack_line *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++) {
		if (l[i].own_hist)
			lt_hist_free(l[i].own_hist);
		free(l[i].own_hist);
	}
	free(l);
}

void lt_profile__ustack_totals(const struct lt_profile *p, uint64_t *events, uint64_t *value)
{
	*events = *value = 0;
	for (int r = LT_UR_COMPLETE; r < LT_UR_NR; r++) {
		*events += p->ur_events[r];
		*value += p->ur_value[r];
	}
}
