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

#define LT_MAX_TARGETS 1024

const volatile __u8 lt_targ_ids = 0; /* -p or -t given: consult the id maps */
const volatile __u8 lt_targ_comm_on = 0;
const volatile __u8 lt_targ_cgroup_on = 0;
const volatile char lt_targ_comm[LT_COMM_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} lt_targ_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} lt_targ_tids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} lt_targ_cgroup SEC(".maps");

/* Cheap id check usable for any task whose ids are known. */
static __always_inline bool lt_ids_selected(__u32 tgid, __u32 pid)
{
	if (!lt_targ_ids)
		return true;
	return bpf_map_lookup_elem(&lt_targ_tgids, &tgid) ||
	       bpf_map_lookup_elem(&lt_targ_tids, &pid);
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
