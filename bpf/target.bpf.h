/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Target selection shared by every tool: -p/-t select a set of processes and
 * threads (a union), --comm and --cgroup narrow it further. User space fills
 * the rodata and maps (user/target.c); a tool calls lt_current_selected() in
 * the context of the task it is about to do work for, before any other work.
 */
#ifndef LT_TARGET_BPF_H
#define LT_TARGET_BPF_H
#include <bpf/bpf_helpers.h>
#include "stack_agg.h"
#include "target_abi.h"

/*
 * Ids: up to LT_TARG_INLINE of each kind live in rodata and are compared
 * inline (a few ns); larger sets go to the hash maps (a lookup each).
 */
const volatile __u32 lt_targ_ntgids = 0;
const volatile __u32 lt_targ_ntids = 0;
const volatile __u32 lt_targ_tgid_list[LT_TARG_INLINE] = {};
const volatile __u32 lt_targ_tid_list[LT_TARG_INLINE] = {};
const volatile __u8 lt_targ_comm_on = 0;
const volatile __u8 lt_targ_cgroup_on = 0;
const volatile char lt_targ_comm[LT_COMM_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_TARGET_MAX);
	__type(key, __u32);
	__type(value, __u8);
} lt_targ_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_TARGET_MAX);
	__type(key, __u32);
	__type(value, __u8);
} lt_targ_tids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} lt_targ_cgroup SEC(".maps");

static __always_inline bool lt_id_in(__u32 id, const volatile __u32 *list, __u32 n, void *map)
{
	if (n > LT_TARG_INLINE)
		return bpf_map_lookup_elem(map, &id) != NULL;
	for (int i = 0; i < LT_TARG_INLINE; i++) {
		if ((__u32)i >= n)
			break;
		if (list[i] == id)
			return true;
	}
	return false;
}

/* Cheap id check usable for any task whose ids are known. */
static __always_inline bool lt_ids_selected(__u32 tgid, __u32 pid)
{
	if (!lt_targ_ntgids && !lt_targ_ntids)
		return true;
	if (lt_targ_ntgids && lt_id_in(tgid, lt_targ_tgid_list, lt_targ_ntgids, &lt_targ_tgids))
		return true;
	return lt_targ_ntids && lt_id_in(pid, lt_targ_tid_list, lt_targ_ntids, &lt_targ_tids);
}

/* Full check for the current task; ids from bpf_get_current_pid_tgid(). */
static __always_inline bool lt_current_selected(__u32 tgid, __u32 pid)
{
	if (!lt_ids_selected(tgid, pid))
		return false;
	if (lt_targ_comm_on) {
		char comm[LT_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < LT_COMM_LEN; i++) {
			if (comm[i] != lt_targ_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	if (lt_targ_cgroup_on && bpf_current_task_under_cgroup(&lt_targ_cgroup, 0) != 1)
		return false;
	return true;
}

#endif
