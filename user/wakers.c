// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "cli.h"
#include "err.h"
#include "loader.h"
#include "waker.h"
#include "wakers.h"

int lt_waker_parse(struct lt_waker_opts *o, int which, const char *arg)
{
	o->on = true;
	switch (which) {
	case 0: return 0;
	case 1: return lt_parse_u64(arg, "--waker-pid", 1, 0x7fffffff, &o->pid);
	case 2:
		if (!*arg || strlen(arg) >= LT_COMM_LEN) {
			lt_err("invalid --waker-comm '%s': a task name has 1 to 15 characters",
			       arg);
			return -EINVAL;
		}
		o->comm = arg;
		return 0;
	}
	return -EINVAL;
}

int lt_wakers_configure(struct bpf_object *obj, const struct lt_waker_opts *o)
{
	uint8_t on = o->on;
	uint32_t tgid = (uint32_t)o->pid;
	char comm[LT_COMM_LEN] = "";
	int err;

	if (o->comm)
		strncpy(comm, o->comm, LT_COMM_LEN - 1);
	err = lt_rodata_set(obj, "lt_wakers_on", &on, sizeof(on));
	err = err ?: lt_rodata_set(obj, "lt_waker_tgid", &tgid, sizeof(tgid));
	err = err ?: lt_rodata_set(obj, "lt_waker_comm", comm, sizeof(comm));
	return err ?: o->on ? 0 : lt_map_resize(obj, "lt_wakers", 1);
}

bool lt_waker_second(void *tool, uint64_t aux, struct lt_stack_key *k)
{
	struct bpf_object *obj = ((struct lt_tool_core *)tool)->obj;
	struct lt_waker_aux a = lt_waker_aux_decode((uint32_t)aux);
	uint64_t id = (uint64_t)a.waker_hi << 32 | aux >> 32;
	int fd = lt_map_fd(obj, "lt_wakers");
	struct lt_waker w;

	if (!id || fd < 0 || bpf_map_lookup_elem(fd, &id, &w))
		return false;
	k->tgid = w.tgid;
	k->pid = w.pid;
	memcpy(k->comm, w.comm, sizeof(k->comm));
	k->ustack = w.ustack;
	k->kstack = w.kstack;
	return true;
}
