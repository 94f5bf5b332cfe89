// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "bpf_util.h"
#include "err.h"

#define CAP_SYS_ADMIN 21
#define CAP_PERFMON 38
#define CAP_BPF 39

const char *lt_proc_stat(uint32_t id, char *buf, size_t sz, int *err)
{
	char path[48], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	n = read(fd, buf, sz - 1);
	close(fd);
	*err = 0;
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the comm, in parentheses, may hold anything */
	if (!p || p[1] != ' ') {
		*err = EINVAL;
		return NULL;
	}
	return p + 2;
}

bool lt_proc_status(uint32_t pid, const char *key, int base, unsigned long long *v)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%u/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		/* The last value: fields like NSpid list one per namespace level. */
		for (char *p = line + klen + 1, *end;; p = end) {
			unsigned long long x = strtoull(p, &end, base);

			if (end == p)
				break;
			*v = x;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static int check_privileges(void)
{
	unsigned long long caps = 0;
	bool admin;

	lt_proc_status(0, "CapEff", 16, &caps);
	admin = caps & (1ULL << CAP_SYS_ADMIN);
	bool bpf_perfmon = (caps & (1ULL << CAP_BPF)) && (caps & (1ULL << CAP_PERFMON));

	if (admin || bpf_perfmon)
		return 0;
	if (geteuid() != 0)
		lt_err("not running as root: latprof needs CAP_BPF and CAP_PERFMON or "
		       "CAP_SYS_ADMIN; run it as root");
	else
		lt_err("missing capabilities: latprof needs CAP_BPF and CAP_PERFMON or "
		       "CAP_SYS_ADMIN (effective set is %#llx)",
		       caps);
	return -EPERM;
}

const char *lt_btf_custom_path(void)
{
	const char *p = getenv("LATPROF_BTF");

	return p && *p ? p : NULL;
}

static int check_btf(void)
{
	const char *path = lt_btf_custom_path();

	if (!path)
		path = LT_SYSFS_BTF;
	if (access(path, R_OK)) {
		lt_err("cannot read kernel BTF '%s': %s; latprof needs a kernel built with "
		       "CONFIG_DEBUG_INFO_BTF=y (or LATPROF_BTF=FILE naming a BTF file for it)",
		       path, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static bool tracefs_mounted(void)
{
	return access(LT_TRACEFS "/events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}

/* Tracepoint ids and uprobe events live in tracefs: mount it when missing. */
static int ensure_tracefs(void)
{
	if (tracefs_mounted())
		return 0;
	if (mount("tracefs", LT_TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
		lt_err("tracefs is not mounted and mounting it at '%s' failed: %s; "
		       "run 'mount -t tracefs tracefs %s'",
		       LT_TRACEFS, strerror(errno), LT_TRACEFS);
		return -errno;
	}
	lt_info("mounted tracefs at %s", LT_TRACEFS);
	return 0;
}

int lt_env_check(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };
	int err;

	err = check_privileges();
	err = err ?: check_btf();
	err = err ?: ensure_tracefs();
	if (err)
		return err;
	/* Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK. */
	if (setrlimit(RLIMIT_MEMLOCK, &r))
		lt_info("cannot raise RLIMIT_MEMLOCK: %s", strerror(errno));
	return 0;
}

int lt_rodata_set(struct bpf_object *obj, const char *name, const void *val, size_t sz)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	size_t data_sz;
	char *data;
	int id;

	if (!map || !btf)
		goto notfound;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	data = (char *)bpf_map__initial_value(map, &data_sz);
	if (id < 0 || !data)
		goto notfound;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		if (vs->size != sz || vs->offset + sz > data_sz) {
			lt_err("internal: rodata '%s' is %u bytes, not %zu", name, vs->size, sz);
			return -EINVAL;
		}
		memcpy(data + vs->offset, val, sz);
		return 0;
	}
notfound:
	lt_err("internal: no rodata variable '%s' in BPF object '%s'", name, bpf_object__name(obj));
	return -ENOENT;
}

int lt_map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	int fd = map ? bpf_map__fd(map) : -1;

	if (fd < 0) {
		lt_err("internal: no map '%s' in BPF object '%s'", name, bpf_object__name(obj));
		return -ENOENT;
	}
	return fd;
}

int lt_map_resize(struct bpf_object *obj, const char *name, unsigned int n)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	int err;

	if (!map) {
		lt_err("internal: no map '%s' in BPF object '%s'", name, bpf_object__name(obj));
		return -ENOENT;
	}
	err = bpf_map__set_max_entries(map, n);
	if (err)
		lt_err("cannot size map '%s' to %u entries: %s", name, n, strerror(-err));
	return err;
}

unsigned long long lt_percpu_sum(int map_fd, unsigned int key)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0, *vals;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(map_fd, &key, vals))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

void lt_eph_range(volatile uint16_t *lo, volatile uint16_t *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	unsigned int a, b;

	if (f && fscanf(f, "%u %u", &a, &b) == 2 && a <= b && b <= 65535) {
		*lo = (uint16_t)a;
		*hi = (uint16_t)b;
	}
	if (f)
		fclose(f);
}

static void *link_destroyer(void *arg)
{
	bpf_link__destroy(arg);
	return NULL;
}

void lt_links_destroy(struct bpf_link **links, size_t n)
{
	enum { MAX_THREADS = 64 };
	pthread_t th[MAX_THREADS];

	for (size_t i = 0; i < n;) {
		size_t nth = 0;

		for (; i < n && nth < MAX_THREADS; i++) {
			if (!links[i])
				continue;
			/* Without a thread, at once: the same, one grace period longer. */
			if (pthread_create(&th[nth], NULL, link_destroyer, links[i]))
				bpf_link__destroy(links[i]);
			else
				nth++;
			links[i] = NULL;
		}
		for (size_t k = 0; k < nth; k++)
			pthread_join(th[k], NULL);
	}
}

/* BPF_LINK_CREATE's attr for uprobe_multi (linux/bpf.h of 6.6); the kernel zero-extends it. */
struct uprobe_multi_attr {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, um_flags, pid;
};

#define UPROBE_MULTI_RETURN 1U /* BPF_F_UPROBE_MULTI_RETURN */

int lt_uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offs,
			   const uint64_t *cookies, uint32_t n, uint32_t pid, bool ret)
{
	struct uprobe_multi_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)prog_fd;
	a.attach_type = LT_BPF_TRACE_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)path;
	a.offsets = (uint64_t)(uintptr_t)offs;
	a.cookies = (uint64_t)(uintptr_t)cookies;
	a.cnt = n;
	a.um_flags = ret ? UPROBE_MULTI_RETURN : 0;
	a.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}

bool lt_have_uprobe_multi(void)
{
	/* r0 = 0; exit */
	struct bpf_insn insns[2] = { { .code = BPF_ALU64 | BPF_MOV | BPF_K },
				     { .code = BPF_JMP | BPF_EXIT } };
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = (enum bpf_attach_type)LT_BPF_TRACE_UPROBE_MULTI);
	static int have = -1;
	uint64_t off = 0;
	int prog, link;

	if (have >= 0)
		return have;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &o);
	if (prog < 0)
		return (have = 0);
	/* Where it exists, a uprobe in "/" fails for not being a regular file (EBADF). */
	link = lt_uprobe_multi_attach(prog, "/", &off, NULL, 1, 0, false);
	have = link == -EBADF;
	if (link >= 0)
		close(link);
	close(prog);
	return have;
}

double lt_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
