/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Environment checks and small libbpf helpers shared by every tool. */
#ifndef LT_BPF_UTIL_H
#define LT_BPF_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#define LT_SYSFS_BTF "/sys/kernel/btf/vmlinux"
#define LT_TRACEFS "/sys/kernel/tracing"

/*
 * Check what every tool needs before it loads anything: privileges, kernel
 * BTF (LATPROF_BTF overrides the path), tracefs (mounted when missing), and
 * the memlock limit (raised). Returns 0 or -errno with one error printed.
 */
int lt_env_check(void);

/* Kernel BTF path to hand to libbpf (NULL: the default sysfs file). */
const char *lt_btf_custom_path(void);

/* Copy `sz` bytes into the .rodata variable `name` of an opened, unloaded obj. */
int lt_rodata_set(struct bpf_object *obj, const char *name, const void *val, size_t sz);

/* fd of a loaded obj's map, or -ENOENT (printed). */
int lt_map_fd(struct bpf_object *obj, const char *name);

/* Set max_entries of map `name` before load. 0 or -errno (printed). */
int lt_map_resize(struct bpf_object *obj, const char *name, unsigned int n);

/* CLOCK_MONOTONIC in seconds: the clock of bpf_ktime_get_ns() too. */
double lt_mono_s(void);

/*
 * Field `key` ("Tgid", "CapEff", "NSpid") of /proc/PID/status (pid 0: self),
 * parsed in `base`; of a field with several values, the last (NSpid: the pid
 * in the innermost namespace). false when the process or the field does not
 * exist.
 */
bool lt_proc_status(uint32_t pid, const char *key, int base, unsigned long long *v);

/*
 * /proc/ID/stat into buf: what follows the comm (whose parentheses may hold
 * anything), from the state field on; or NULL, with *err the open's errno,
 * 0 when nothing could be read (the process went), EINVAL when malformed.
 */
const char *lt_proc_stat(uint32_t id, char *buf, size_t sz, int *err);

/* Sum a per-CPU u64 array entry. 0 on failure. */
unsigned long long lt_percpu_sum(int map_fd, unsigned int key);

/*
 * The ephemeral port range (net.ipv4.ip_local_port_range) into lo and hi,
 * which keep their defaults when it cannot be read.
 */
void lt_eph_range(volatile uint16_t *lo, volatile uint16_t *hi);

/*
 * Destroy n links (NULL entries skipped) and set them NULL. Each detach of a
 * tracepoint or uprobe waits for an RCU grace period (tens of ms); one after
 * another, the 40 of tcp --wait took 2.7 s. They are destroyed side by side,
 * so their grace periods overlap. Cannot fail.
 */
void lt_links_destroy(struct bpf_link **links, size_t n);

/*
 * uprobe_multi links (6.6+): many uprobes of one file behind one link, which
 * attaches and detaches them together (one RCU wait for all, where a
 * perf-event uprobe each waits its own: ~27 ms against ~130 ms a function on
 * 6.18). libbpf 1.1 knows neither the attach type nor its link_create fields.
 */
#define LT_BPF_TRACE_UPROBE_MULTI 48 /* enum bpf_attach_type, 6.6 */
/* Does this kernel make uprobe_multi links? Probed once, with a program that does nothing. */
bool lt_have_uprobe_multi(void);
/*
 * Attach prog_fd (loaded with expected_attach_type LT_BPF_TRACE_UPROBE_MULTI)
 * at the n file offsets of path, each with its cookie, for process pid
 * (0: every process), at the returns if ret. The link's fd (closing it
 * detaches), or -errno.
 */
int lt_uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offs,
			   const uint64_t *cookies, uint32_t n, uint32_t pid, bool ret);

#endif
