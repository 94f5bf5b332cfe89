/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Target selection shared by every tool: -p (processes), -t (threads), a
 * union; --comm and --cgroup narrow it. Whole system when none is given.
 */
#ifndef LT_TARGET_H
#define LT_TARGET_H
#include <stdbool.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "stack_agg.h"
#include "target_abi.h"

struct lt_target {
	uint32_t pids[LT_TARGET_MAX];
	unsigned int npids;
	uint32_t tids[LT_TARGET_MAX];
	unsigned int ntids;
	char comm[LT_COMM_LEN]; /* "" when not given */
	const char *cgroup; /* cgroup v2 path, NULL when not given */
};

/* Parse "1,2,3" into ids (appending). 0 or -EINVAL (error printed). */
int lt_target_parse_ids(const char *arg, const char *what, uint32_t *ids, unsigned int *n);
bool lt_target_is_system_wide(const struct lt_target *t);
/* Process (tgid) a pid or thread id belongs to; 0 when it does not exist. */
uint32_t lt_tgid_of(uint32_t id);

/*
 * Check that every pid, tid and the cgroup exist, before anything attaches.
 * Returns 0, or -ESRCH/-ENOENT/-EINVAL with the error printed.
 */
int lt_target_validate(const struct lt_target *t);

/* Set the target rodata of obj (before load). 0 or -errno (printed). */
int lt_target_set_rodata(const struct lt_target *t, struct bpf_object *obj);
/* Fill the target maps of a loaded obj. 0 or -errno (printed). */
int lt_target_fill_maps(const struct lt_target *t, struct bpf_object *obj);

/* One-line description for titles: "pid 12,13", "comm nginx", "system-wide". */
void lt_target_describe(const struct lt_target *t, char *buf, size_t sz);

#endif
