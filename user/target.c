// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "err.h"
#include "target.h"

int lt_target_parse_ids(const char *arg, const char *what, uint32_t *ids, unsigned int *n)
{
	const char *p = arg;

	if (!*p) {
		lt_err("invalid %s list '%s': empty", what, arg);
		return -EINVAL;
	}
	while (*p) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || v == 0 || v > INT_MAX || (*end && *end != ',')) {
			lt_err("invalid %s '%s': expected positive integers separated by commas",
			       what, arg);
			return -EINVAL;
		}
		if (*n >= LT_TARGET_MAX) {
			lt_err("too many %ss in '%s': at most %d", what, arg, LT_TARGET_MAX);
			return -EINVAL;
		}
		ids[(*n)++] = (uint32_t)v;
		p = *end ? end + 1 : end;
		if (*end && !*p) {
			lt_err("invalid %s '%s': trailing comma", what, arg);
			return -EINVAL;
		}
	}
	return 0;
}

bool lt_target_is_system_wide(const struct lt_target *t)
{
	return !t->npids && !t->ntids && !t->comm[0] && !t->cgroup;
}

uint32_t lt_tgid_of(uint32_t id)
{
	unsigned long long tgid;

	return lt_proc_status(id, "Tgid", 10, &tgid) ? (uint32_t)tgid : 0;
}

int lt_target_validate(const struct lt_target *t)
{
	struct statfs sfs;

	for (unsigned int i = 0; i < t->npids; i++) {
		uint32_t tgid = lt_tgid_of(t->pids[i]);

		if (!tgid) {
			lt_err("cannot trace pid %u: no such process", t->pids[i]);
			return -ESRCH;
		}
		if (tgid != t->pids[i]) {
			lt_err("cannot trace pid %u: it is a thread of process %u; use -t %u or -p %u",
			       t->pids[i], tgid, t->pids[i], tgid);
			return -EINVAL;
		}
	}
	for (unsigned int i = 0; i < t->ntids; i++) {
		if (!lt_tgid_of(t->tids[i])) {
			lt_err("cannot trace tid %u: no such thread", t->tids[i]);
			return -ESRCH;
		}
	}
	if (t->cgroup) {
		if (statfs(t->cgroup, &sfs)) {
			lt_err("cannot use cgroup '%s': %s", t->cgroup, strerror(errno));
			return -ENOENT;
		}
		if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
			lt_err("cannot use cgroup '%s': not a cgroup v2 directory", t->cgroup);
			return -EINVAL;
		}
	}
	return 0;
}

int lt_target_set_rodata(const struct lt_target *t, struct bpf_object *obj)
{
	uint32_t tg[LT_TARG_INLINE] = {}, td[LT_TARG_INLINE] = {};
	uint8_t comm_on = !!t->comm[0], cg_on = !!t->cgroup;
	int err;

	for (unsigned int i = 0; i < LT_TARG_INLINE; i++) {
		tg[i] = i < t->npids ? t->pids[i] : 0;
		td[i] = i < t->ntids ? t->tids[i] : 0;
	}
	err = lt_rodata_set(obj, "lt_targ_ntgids", &t->npids, sizeof(uint32_t));
	err = err ?: lt_rodata_set(obj, "lt_targ_ntids", &t->ntids, sizeof(uint32_t));
	err = err ?: lt_rodata_set(obj, "lt_targ_tgid_list", tg, sizeof(tg));
	err = err ?: lt_rodata_set(obj, "lt_targ_tid_list", td, sizeof(td));
	err = err ?: lt_rodata_set(obj, "lt_targ_comm_on", &comm_on, sizeof(comm_on));
	err = err ?: lt_rodata_set(obj, "lt_targ_cgroup_on", &cg_on, sizeof(cg_on));
	err = err ?: lt_rodata_set(obj, "lt_targ_comm", t->comm, sizeof(t->comm));
	return err;
}

static int fill_ids(struct bpf_object *obj, const char *map, const uint32_t *ids, unsigned int n)
{
	int fd = lt_map_fd(obj, map);
	uint8_t one = 1;

	if (fd < 0)
		return fd;
	for (unsigned int i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, &ids[i], &one, BPF_ANY)) {
			lt_err("cannot fill map '%s': %s", map, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

int lt_target_fill_maps(const struct lt_target *t, struct bpf_object *obj)
{
	int err, fd, cgfd;
	uint32_t zero = 0;

	err = fill_ids(obj, "lt_targ_tgids", t->pids, t->npids);
	err = err ?: fill_ids(obj, "lt_targ_tids", t->tids, t->ntids);
	if (err || !t->cgroup)
		return err;
	fd = lt_map_fd(obj, "lt_targ_cgroup");
	if (fd < 0)
		return fd;
	cgfd = open(t->cgroup, O_RDONLY | O_DIRECTORY);
	if (cgfd < 0) {
		lt_err("cannot open cgroup '%s': %s", t->cgroup, strerror(errno));
		return -errno;
	}
	if (bpf_map_update_elem(fd, &zero, &cgfd, BPF_ANY)) {
		err = -errno;
		lt_err("cannot set cgroup filter '%s': %s", t->cgroup, strerror(errno));
	}
	close(cgfd);
	return err;
}

static void append_ids(char *buf, size_t sz, const char *what, const uint32_t *ids, unsigned int n)
{
	size_t len = strlen(buf);

	if (!n)
		return;
	len += snprintf(buf + len, sz > len ? sz - len : 0, "%s%s ", len ? ", " : "", what);
	for (unsigned int i = 0; i < n && len < sz; i++)
		len += snprintf(buf + len, sz - len, "%s%u", i ? "," : "", ids[i]);
}

void lt_target_describe(const struct lt_target *t, char *buf, size_t sz)
{
	size_t len;

	buf[0] = 0;
	append_ids(buf, sz, "pid", t->pids, t->npids);
	append_ids(buf, sz, "tid", t->tids, t->ntids);
	len = strlen(buf);
	if (t->comm[0] && len < sz)
		len += snprintf(buf + len, sz - len, "%scomm %s", len ? ", " : "", t->comm);
	if (t->cgroup && len < sz)
		len += snprintf(buf + len, sz - len, "%scgroup %s", len ? ", " : "", t->cgroup);
	if (!buf[0])
		snprintf(buf, sz, "system-wide");
}
