/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A profile: what a tool collected, as samples keyed by thread and stack,
 * before and after symbolization. It is the one input of the output layer.
 */
#ifndef LT_PROFILE_H
#define LT_PROFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "hist.h"
#include "stack_agg.h"
#include "syms.h"

/* What a frame is; the folded writer marks kernel `_[k]` and inlined `_[i]`. */
enum lt_frame_kind {
	LT_FRAME_USER = 0,
	LT_FRAME_KERNEL = 1,
	LT_FRAME_PSEUDO = 2, /* a tool's [marker], not code */
	LT_FRAME_INLINED = 3, /* user, inlined into the frame before it (--lines) */
};

/*
 * How a sample's user stack ended (lt_profile__symbolize() decides): its
 * enum lt_ureason name, its JSON key, and what -v says of it.
 */
#define LT_UREASONS(X)                                                                            \
	X(NONE, "none", "no user stack") /* kernel thread, -K, or not captured */                 \
	X(COMPLETE, "complete", "complete") /* reached its root: _start, clone3, ... */           \
	X(NO_TABLE, "no_table", "no unwind table for the file") /* no frame pointers, no table */ \
	X(FP_BROKEN, "fp_chain_broken", "frame pointer chain broken")                             \
	X(DEPTH, "depth_limit", "depth limit") /* --perf-max-stack-depth frames */                \
	X(FAULT, "read_fault", "stack unreadable") /* a stack word could not be read */           \
	X(NO_MAPS, "mappings_not_known", "mappings not yet known") /* walked before published */  \
	X(SWITCHES, "switch_limit", "stack switch limit") /* more switches than a walk follows */

enum lt_ureason {
#define LT_UR_ENUM(id, key, text) LT_UR_##id,
	LT_UREASONS(LT_UR_ENUM)
#undef LT_UR_ENUM
		LT_UR_NR,
};

/* Per enum lt_ureason: its JSON key, and its words for people. */
extern const char *const lt_ureason_name[LT_UR_NR];
extern const char *const lt_ureason_text[LT_UR_NR];

/* A sample's second stack (struct lt_sample.second). */
struct lt_second {
	uint32_t tgid, pid;
	char comm[LT_COMM_LEN];
	uint32_t nuser, nkern;
	uint64_t ips[]; /* nuser user frames, then nkern kernel frames, each leaf first */
};

struct lt_sample {
	uint32_t tgid, pid;
	uint64_t aux; /* the key's aux2 << 32 | aux */
	uint32_t nspid; /* tgid inside its PID namespace (set when symbolized) */
	char comm[LT_COMM_LEN];
	uint64_t total, count;
	uint64_t total2; /* in the profile's unit2 (io: bytes), 0 if none */
	struct lt_hist hist;
	uint32_t nuser, nkern;
	uint64_t *ips; /* nuser user frames, then nkern kernel frames, each leaf first */
	uint32_t uend, uflags; /* how the user walk ended: enum lt_uend, LT_UWALK_* */
	uint8_t ureason; /* enum lt_ureason, set when symbolized */
	/*
	 * Threads merged into it when their processes exited (tgid and pid 0:
	 * lt_profile__fold()); 0 for a sample of its own thread.
	 */
	uint32_t nthreads;
	/*
	 * A second stack joined to the sample (offcpu --wakers: the waker's),
	 * of another thread: named after the first, after a "--" frame, leaf
	 * first, then its comm (offwaketime's folded convention).
	 */
	struct lt_second *second;
	/* Filled by lt_profile__symbolize(): root first, pooled strings. */
	const char **frames;
	uint8_t *kind; /* per frame: enum lt_frame_kind */
	uint32_t *mod; /* per frame: index + 1 into the profile's modules; 0 none */
	uint32_t nframes;
};

/* A file frames came from, for formats that keep it (pprof mappings). */
struct lt_module {
	char *path; /* "/usr/lib/.../libc.so.6", "[kernel.kallsyms]", "[anon]" */
	char *build_id; /* hex, "" when unknown */
	bool unnamed; /* some of its frames were not named by a symbol */
};

struct lt_profile {
	const char *tool; /* "offcpu" */
	const char *unit; /* unit of total and the histogram: "us" */
	const char *unit2; /* unit of total2 ("bytes"), or NULL when the tool has none */
	const char *what; /* what the value measures: "off-CPU time" */
	char target[256];
	time_t start;
	double duration_s;
	/*
	 * Pseudo-frame placed right after comm for a sample's aux, or NULL; the
	 * string may be reused by the next call. aux_ctx is its first argument.
	 */
	const char *(*aux_frame)(void *ctx, uint64_t aux);
	/*
	 * Optional, while collecting from the kernel: the comm of a sample that
	 * has none (no task is charged with it: a disk, a peer's RTT).
	 */
	const char *(*aux_root)(void *ctx, uint64_t aux);
	/*
	 * Optional, while collecting: the second stack of a sample (its thread
	 * and stack ids, as the key holds its own), or false for none.
	 */
	bool (*aux_second)(void *ctx, uint64_t aux, struct lt_stack_key *second);
	/*
	 * Optional: a pseudo-frame at the leaf of a sample's (first) stack, from
	 * its aux and its frames named so far, root first (wall's state), or NULL.
	 */
	const char *(*aux_leaf)(void *ctx, uint64_t aux, const char *const *frames,
				const uint8_t *kind, uint32_t n);
	void *aux_ctx;
	uint64_t stats[LT_STAT_NR];
	/*
	 * Optional: is this file (as the symbolizer names it) one built without
	 * frame pointers that has no unwind table? Tells "no table" from "frame
	 * pointer chain broken" when a user stack stops early.
	 */
	bool (*untabled)(void *ctx, const char *module);
	void *untabled_ctx;
	/* Events and value per enum lt_ureason, filled by lt_profile__symbolize(). */
	uint64_t ur_events[LT_UR_NR], ur_value[LT_UR_NR];
	/* The file where the most value stopped for want of a table, for the hint. */
	char ur_file[256];
	uint64_t ur_file_value;
	struct lt_sample *samples;
	size_t n, cap;
	/* merge index and interned frame names (private) */
	size_t *slots;
	size_t nslots;
	char **strs; /* open-addressing set */
	size_t nstrs, strs_cap;
	struct lt_module *mods;
	size_t nmods, mods_cap;
	/* merge index of named samples (lt_profile__absorb(), private) */
	size_t *nidx;
	size_t nnidx;
	/* What lt_profile__fold() merged: samples, and the processes they were of. */
	uint64_t folded_samples, folded_procs;
	/* Events whose user stack was no longer stored when drained (lt_drain_stats). */
	uint64_t ustacks_missing;
};

/*
 * One stack merged across threads with the same comm and frames, as output
 * formats print it. Frames are those of `first`.
 */
struct lt_stack_line {
	const struct lt_sample *first; /* a representative sample */
	uint64_t total, count, total2;
	const struct lt_hist *hist; /* first's, or merged (owned) */
	struct lt_hist *own_hist;
	uint32_t nthreads;
};

void lt_profile__init(struct lt_profile *p, const char *tool, const char *unit, const char *what);
void lt_profile__free(struct lt_profile *p);

/*
 * The sample with this key, created empty (ips copied) when new. The caller
 * adds to its total, count and histogram. NULL on allocation failure.
 */
struct lt_sample *lt_profile__get(struct lt_profile *p, uint32_t tgid, uint32_t pid, uint64_t aux,
				  const char *comm, const uint64_t *uips, uint32_t nuser,
				  const uint64_t *kips, uint32_t nkern);
/*
 * A sample already named (read back from a file): comm, then n frames root
 * first with their kinds; names are interned. Always a new sample (lines
 * merge equal stacks). NULL on allocation failure. The caller sets total and
 * count. Call only on profiles built this way, or after symbolize.
 */
struct lt_sample *lt_profile__add_named(struct lt_profile *p, uint32_t tgid, uint32_t pid,
					const char *comm, const char *const *frames,
					const uint8_t *kinds, uint32_t n);
/*
 * Join the second stack (tgid, pid, comm, and its user and kernel frames)
 * to s, once: a sample's aux names its second stack, so a later call for
 * the same sample is a no-op. 0 or -ENOMEM.
 */
int lt_sample__set_second(struct lt_sample *s, uint32_t tgid, uint32_t pid, const char *comm,
			  const uint64_t *uips, uint32_t nuser, const uint64_t *kips,
			  uint32_t nkern);

/* A named sample's "--" frame, where its second half begins; nframes if none. */
uint32_t lt_sample__second_at(const struct lt_sample *s);

/*
 * A named sample's state frame: the pseudo-frame at the leaf of its first
 * stack (wall's [cpu], [blocked:io]; before a "--" second half), or NULL.
 */
const char *lt_sample__state(const struct lt_sample *s);

/*
 * Name every frame, drop BPF machinery frames, add pseudo-frames. Frame names
 * are interned: equal names are the same pointer. Raw addresses are freed,
 * so the profile is read-only afterwards.
 * 0 or -ENOMEM.
 */
int lt_profile__symbolize(struct lt_profile *p, struct lt_symbolizer *s);

/*
 * Move the named samples of src into dst, which holds named samples only
 * (or none): equal samples (thread, comm, frames, how the user stack ended)
 * merge, so dst grows with distinct stacks, not with drains. Also adds
 * src's counts of how user stacks ended, and keeps the larger stats. src is
 * left to be freed. 0 or -ENOMEM (dst then holds part of src).
 */
int lt_profile__absorb(struct lt_profile *dst, struct lt_profile *src);

/*
 * Merge the named samples of processes that gone() says have exited into one
 * sample per comm and stack, with tgid and pid 0 and the threads counted in
 * nthreads: what bounds a long trace's memory when processes come and go.
 * Returns how many samples it removed; -ENOMEM. Counted in folded_samples
 * and folded_procs.
 */
long lt_profile__fold(struct lt_profile *p, bool (*gone)(void *ctx, uint32_t tgid), void *ctx);

/*
 * Merge symbolized samples with the same comm and frames into lines, sorted
 * by total (descending), then by frames. Caller frees with
 * lt_stack_lines__free(). 0 or -ENOMEM.
 */
int lt_profile__lines(const struct lt_profile *p, struct lt_stack_line **out, size_t *n);
/* Whether s's user stack was cut before its root (what lay beyond may differ). */
bool lt_sample__cut(const struct lt_sample *s);

/*
 * The same; with split_cut, a sample whose user stack was cut before its
 * root merges only with samples of its own thread: two threads cut to the
 * same frames may have differed beyond the cut (summary rows).
 */
int lt_profile__lines_split(const struct lt_profile *p, bool split_cut, struct lt_stack_line **out,
			    size_t *n);
void lt_stack_lines__free(struct lt_stack_line *l, size_t n);

/*
 * Make a comm or frame name safe for every output (names are data, never
 * structure): ';', '\n' and '\r' become ':', other control characters and
 * bytes that are not UTF-8 '?'. In place; cannot fail.
 */
void lt_name_clean(char *s);

/* Events and value of the samples with a user stack (ur_events, ur_value). Cannot fail. */
void lt_profile__ustack_totals(const struct lt_profile *p, uint64_t *events, uint64_t *value);

#endif
