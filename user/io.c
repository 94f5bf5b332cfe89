// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof io: block I/O latency per disk and operation, split into time
 * queued and time in the device; with --stacks, charged to the stack that
 * submitted it. A thin driver over the core, as offcpu is.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <limits.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "bpf_util.h"
#include "err.h"
#include "io.h"
#include "listen.h"
#include "stack_agg.h"
#include "unwind.h"
#include "io.skel.h"
#include "loader.h"
#include "session.h"
#include "stacks.h"
#include "tools.h"

struct io_opts {
	const char *dev; /* --dev as given */
	uint32_t dev_id; /* IO_DEV of it, 0 for all */
	unsigned long long min_lat_us;
	double slower_ms; /* --slower, 0: off */
	bool stacks;
	bool syscalls;
};

/* A file seen in syscall mode, named once (see name_file()). */
struct io_fname {
	uint32_t id;
	char *path;
};

struct io_tool {
	struct lt_tool_core core; /* core.skel: struct io_bpf */
	struct io_opts o;
	bool rq_old, rq_known; /* block_rq_issue takes (q, rq): before v5.11 */
	struct ring_buffer *rb;
	struct io_fname *files; /* sorted by id */
	size_t nfiles, files_cap;
	char frame[PATH_MAX + 64]; /* the aux frame last made (io_aux_frame) */
	char dev_name[64]; /* the disk last named, dev_last */
	uint32_t dev_last;
	bool dev_known;
	unsigned long long slow_printed;
	unsigned int named_proc, named_kernel; /* how file paths were found */
};

static struct io_bpf *skel_of(const struct io_tool *t)
{
	return t->core.skel;
}

static const char *const sys_ops[IO_SYS_NR_OPS] = { IO_SYS_CALLS(LT_SYSCALL_NAME) };

enum {
	OPT_DEV = LT_OPT_TOOL,
	OPT_STACKS,
	OPT_BLOCK,
	OPT_SYSCALLS,
	OPT_SLOWER,
};

static const struct option io_longopts[] = {
	{ "block", no_argument, NULL, OPT_BLOCK },
	{ "syscalls", no_argument, NULL, OPT_SYSCALLS },
	{ "slower", required_argument, NULL, OPT_SLOWER },
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "stacks", no_argument, NULL, OPT_STACKS },
	{ "min-lat", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 },
};

/* A disk by name (vda, /dev/vda) or MAJ:MIN, through /sys/block. 0 or -ENODEV (printed). */
static int resolve_dev(const char *arg, uint32_t *id)
{
	const char *name = strncmp(arg, "/dev/", 5) ? arg : arg + 5;
	unsigned int maj, min;
	char path[PATH_MAX], buf[64];
	FILE *f;
	int n = 0;

	if (sscanf(arg, "%u:%u%n", &maj, &min, &n) == 2 && !arg[n]) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", maj, min);
		if (access(path, F_OK) == 0) {
			*id = IO_DEV(maj, min);
			return 0;
		}
	} else if (!strchr(name, '/')) {
		snprintf(path, sizeof(path), "/sys/block/%s/dev", name);
		f = fopen(path, "r");
		if (f) {
			n = fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &maj, &min) == 2;
			fclose(f);
			if (n) {
				*id = IO_DEV(maj, min);
				return 0;
			}
		}
	}
	lt_err("invalid --dev '%s': no such disk in /sys/block (a whole disk such as vda, or "
	       "MAJ:MIN)",
	       arg);
	return -ENODEV;
}

static int io_parse(void *topts, int key, const char *arg)
{
	struct io_opts *o = topts;

	switch (key) {
	case OPT_BLOCK: return 0;
	case OPT_SYSCALLS: o->syscalls = true; return 0;
	case OPT_SLOWER: {
		char *end;

		o->slower_ms = strtod(arg, &end);
		if (end == arg || *end || !(o->slower_ms > 0)) {
			lt_err("invalid --slower '%s': expected milliseconds above 0", arg);
			return -EINVAL;
		}
		o->syscalls = true;
		return 0;
	}
	case OPT_DEV: o->dev = arg; return 0;
	case OPT_STACKS: o->stacks = true; return 0;
	case 'm': return lt_parse_u64(arg, "--min-lat", 0, ~0ULL / 1000, &o->min_lat_us);
	}
	return -EINVAL;
}

static int io_check(void *topts, const struct lt_common *c)
{
	struct io_opts *o = topts;

	(void)c;
	if (o->syscalls && (o->dev || o->stacks)) {
		lt_err("--dev and --stacks are block-mode options; --syscalls and --slower take "
		       "stacks from the calling thread already");
		return -EINVAL;
	}
	return o->dev ? resolve_dev(o->dev, &o->dev_id) : 0;
}

const struct lt_cli_tool io_cli = {
	.name = "io",
	.summary = "Block I/O latency by disk and operation, queued and in the device, by stack",
	.synopsis = "[--block] [--dev DISK] [--stacks] [-p PID ...] [-d SECONDS] [options]",
	.help = "      --block                 block layer latency (the default)\n"
		"      --dev DISK              only this disk (vda, nvme0n1, or MAJ:MIN)\n"
		"      --stacks                charge each request to the task and user and\n"
		"                              kernel stacks that submitted it\n"
		"  -m, --min-lat USEC          only requests slower than USEC in the device\n",
	.examples =
		"  latprof io -d 10 -f hist                  # latency histograms per disk and op\n"
		"  latprof io --stacks -p 4242 -d 10 -f svg -o io.svg\n",
	.shortopts = "m:",
	.longopts = io_longopts,
	.parse = io_parse,
	.check = io_check,
};

LT_SKEL_OPS(io_bpf);

enum { IO_FENTRY, IO_BTF, IO_RAW };

/* Block mode's tracepoints, and syscall mode's mechanisms, in order of preference. */
static const struct lt_variant block_variants[] = {
	{ "tp_btf", NULL, "tp_btf", IO_BTF },
	{ "raw_tp", NULL, "raw_tp", IO_RAW },
};
static const struct lt_variant sys_variants[] = {
	{ "fentry", NULL, "fentry/fexit", IO_FENTRY },
	{ "tp_btf", "raw_syscalls", "raw_syscalls by tp_btf", IO_BTF },
	{ "raw_tp", "raw_syscalls", "raw_syscalls by raw_tp", IO_RAW },
};

/* Does this kernel's block_rq_issue take (q, rq), as before v5.11? */
static bool rq_issue_has_queue(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id;
	bool old = false;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_block_rq_issue", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, btf__type_by_id(btf, id)->type) : NULL;
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_func_proto(t))
		old = btf_vlen(t) == 3; /* (void *, q, rq) */
	btf__free(btf);
	return old;
}

static int io_configure(void *tool, void *skel, const struct lt_variant *v)
{
	struct io_tool *t = tool;
	struct io_bpf *sk = skel;
	bool sys = t->o.syscalls, btf = v->arg == IO_BTF, raw = v->arg == IO_RAW;
	/* block_bio_queue is only needed to know who submitted. */
	bool who = t->o.stacks || !lt_target_is_system_wide(&t->core.c->target);
	uint32_t rq_arg;
	struct bpf_program *const block_btf[] = { sk->progs.io_rq_insert_btf,
						  sk->progs.io_rq_issue_btf,
						  sk->progs.io_rq_complete_btf };
	struct bpf_program *const block_raw[] = { sk->progs.io_rq_insert_raw,
						  sk->progs.io_rq_issue_raw,
						  sk->progs.io_rq_complete_raw };
	struct bpf_program *const sys_btf[] = { sk->progs.io_sys_enter_btf,
						sk->progs.io_sys_exit_btf };
	struct bpf_program *const sys_raw[] = { sk->progs.io_sys_enter_raw,
						sk->progs.io_sys_exit_raw };
	struct bpf_program *const fsys[] = {
#define IO_FSYS_PROGS(op, name, nr, pos) \
	sk->progs.io_fsys_enter_##name, sk->progs.io_fsys_exit_##name,
		IO_SYS_CALLS(IO_FSYS_PROGS)
#undef IO_FSYS_PROGS
	};

	/*
	 * Before v5.11 the request is the second argument: tp_btf would type
	 * the first (the queue) as the request and load fine.
	 */
	if (!sys && !t->rq_known) {
		t->rq_old = rq_issue_has_queue();
		t->rq_known = true;
	}
	rq_arg = t->rq_old;
	if (!sys && btf && t->rq_old) {
		lt_info("block_rq_issue takes (q, rq) on this kernel: raw_tp only");
		return -EOPNOTSUPP;
	}
	LT_AUTOLOAD(block_btf, !sys && btf);
	LT_AUTOLOAD(block_raw, !sys && raw);
	bpf_program__set_autoload(sk->progs.io_bio_queue_btf, !sys && btf && who);
	bpf_program__set_autoload(sk->progs.io_bio_queue_raw, !sys && raw && who);
	LT_AUTOLOAD(sys_btf, sys && btf);
	LT_AUTOLOAD(sys_raw, sys && raw);
	LT_AUTOLOAD(fsys, sys && v->arg == IO_FENTRY);
	/* Sockets keyed by service (listen.bpf.h). */
	bpf_program__set_autoload(sk->progs.io_listen_raw, sys);
	sk->rodata->sys_mode = sys;
	sk->rodata->slower_ns = (uint64_t)(t->o.slower_ms * 1e6);
	sk->rodata->want_stacks = t->o.stacks;
	sk->rodata->filter_tasks = !lt_target_is_system_wide(&t->core.c->target);
	sk->rodata->filter_dev = t->o.dev_id;
	sk->rodata->min_lat_ns = t->o.min_lat_us * 1000;
	lt_eph_range(&sk->rodata->eph_lo, &sk->rodata->eph_hi);
	return lt_rodata_set(sk->obj, "lt_rq_arg", &rq_arg, sizeof(rq_arg));
}

static int slow_event(void *ctx, void *data, size_t len);

static int io_attach(void *tool, char *how, size_t sz)
{
	struct io_tool *t = tool;
	const char *flavour = t->core.variant->name;
	const char *slow = t->o.slower_ms ? "; slow calls as they happen" : "";

	if (!t->o.syscalls) {
		snprintf(how, sz, "block: %s%s", flavour,
			 t->o.stacks ? "; stacks at submission" : "");
		return 0;
	}
	if (!strcmp(flavour, "fentry"))
		snprintf(how, sz, "syscalls: fentry/fexit on %d functions%s", IO_SYS_NR_OPS, slow);
	else
		snprintf(how, sz, "syscalls: raw_syscalls:sys_enter/sys_exit (%s) for %d calls%s",
			 flavour, IO_SYS_NR_OPS, slow);
	lt_listen_fill(bpf_map__fd(skel_of(t)->maps.lt_listen), &t->core.c->target);
	if (t->o.slower_ms) {
		t->rb = ring_buffer__new(bpf_map__fd(skel_of(t)->maps.io_slow), slow_event, t,
					 NULL);
		if (!t->rb) {
			lt_err("cannot read the event stream: %s", strerror(errno));
			return -errno;
		}
		printf("%-8s %-16s %-7s %-7s %-15s %10s %10s %10s  %s\n", "TIME", "COMM", "PID",
		       "TID", "OP", "BYTES", "OFF_KB", "LAT(ms)", "FILE");
		fflush(stdout);
	}
	return 0;
}

static void io_destroy(void *tool)
{
	struct io_tool *t = tool;

	ring_buffer__free(t->rb);
	t->rb = NULL;
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i].path);
	free(t->files);
	t->files = NULL;
	t->nfiles = 0;
}

static struct io_fname *find_file(struct io_tool *t, uint32_t id)
{
	size_t lo = 0, hi = t->nfiles;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->files[mid].id == id)
			return &t->files[mid];
		if (t->files[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The path of a file from the names the kernel recorded (its dentry and
 * parents up to its filesystem's root), placed under the mount point of that
 * filesystem in the process's /proc/PID/mountinfo (ours when it is gone):
 * the mount whose root is the longest prefix of the path inside the
 * filesystem. Into buf; false when no mount matches.
 */
static bool path_from_names(const struct io_file *f, char *buf, size_t sz)
{
	char fspath[IO_PATH_DEPTH * (IO_NAME_LEN + 1) + 8] = "", line[4096], mi[64];
	char best_mnt[PATH_MAX] = "", root[PATH_MAX], mnt[PATH_MAX];
	size_t n = 0, best = 0;
	bool found = false;
	unsigned int maj, min;
	FILE *m;

	if (!f->at_root)
		n += snprintf(fspath, sizeof(fspath), "/...");
	for (int i = (int)f->depth - 1; i >= 0; i--)
		n += snprintf(fspath + n, sizeof(fspath) - n, "/%.*s", IO_NAME_LEN, f->names[i]);
	if (!f->depth)
		snprintf(fspath, sizeof(fspath), "/");
	snprintf(mi, sizeof(mi), "/proc/%u/mountinfo", f->tgid);
	m = fopen(mi, "r");
	if (!m)
		m = fopen("/proc/self/mountinfo", "r");
	while (m && fgets(line, sizeof(line), m)) {
		size_t rl;

		if (sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mnt) != 4 ||
		    IO_DEV(maj, min) != f->dev)
			continue;
		rl = strcmp(root, "/") ? strlen(root) : 0;
		if (rl && (strncmp(fspath, root, rl) || (fspath[rl] && fspath[rl] != '/')))
			continue;
		if (!found || rl > best) {
			found = true;
			best = rl;
			snprintf(best_mnt, sizeof(best_mnt), "%s", strcmp(mnt, "/") ? mnt : "");
		}
	}
	if (m)
		fclose(m);
	if (!found)
		return false;
	snprintf(buf, sz, "%s%s", best_mnt, fspath[best] ? fspath + best : "/");
	return true;
}

/*
 * Whether path (from /proc/PID/fd/FD) ends in the name BPF recorded for the
 * file. The fd may have been closed and reused for another file whose inode
 * number the filesystem reused: then its name differs, and the recorded
 * names are used instead.
 */
static bool same_leaf(const char *path, const struct io_file *f)
{
	const char *base = strrchr(path, '/');
	size_t n, d = strlen(" (deleted)");

	if (!f->depth || !f->names[0][0] || !base)
		return true; /* nothing recorded to compare (pipes, sockets) */
	base++;
	n = strlen(base);
	if (n > d && !strcmp(base + n - d, " (deleted)"))
		n -= d;
	return !strncmp(base, f->names[0], n < IO_NAME_LEN - 1 ? n : IO_NAME_LEN - 1) &&
	       (n >= IO_NAME_LEN - 1 || !f->names[0][n]);
}

/*
 * A socket by what it talks to: "socket:tcp 10.0.0.5:5432", "socket:tcp
 * 10.0.0.9 on :80" (a client of ours), "socket:udp :53", "socket:unix
 * /run/x.sock", "socket:unix @abstract", "socket:unix", "socket:netlink".
 */
static char *sock_name(const struct io_sock *s)
{
	static const char *const kinds[] = {
		"", "tcp", "udp", "unix", "unix-dgram", "unix-seqpacket", "netlink", ""
	};
	const char *kind = s->kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[s->kind] : "";
	char what[IO_SOCK_PATH_LEN + 2] = "", *name;
	size_t n = 0;

	if (s->kind == IO_SOCK_TCP || s->kind == IO_SOCK_UDP) {
		lt_endpoint_str(s->family, s->addr, s->port, s->flags & IO_SOCK_ACCEPTED, what,
				sizeof(what));
	} else if (s->kind >= IO_SOCK_UNIX_STREAM && s->kind <= IO_SOCK_UNIX_SEQPACKET) {
		/* An abstract name starts with a NUL (shown as '@', as ss does). */
		bool abstract = !s->path[0] && s->path[1];

		if (abstract)
			what[n++] = '@';
		for (size_t i = abstract; i < IO_SOCK_PATH_LEN && s->path[i]; i++) {
			unsigned char c = (unsigned char)s->path[i];

			what[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
		what[n] = 0;
	}
	if (asprintf(&name, "socket%s%s%s%s", kind[0] ? ":" : "", kind, what[0] ? " " : "", what) <
	    0)
		return NULL;
	return name;
}

/*
 * Name file id, once: from /proc/TGID/fd/FD while the process still has it
 * open, it is the same inode and its last name is the one recorded (the
 * exact path, or pipe:[N]); else from the names the kernel recorded. A
 * socket by what it talks to.
 */
static const char *name_file(struct io_tool *t, uint32_t id)
{
	struct io_fname *n = find_file(t, id);
	char link[64], path[PATH_MAX], *name;
	struct io_file f;
	struct stat st;
	ssize_t len;
	size_t i;

	if (n)
		return n->path;
	if (!id || bpf_map_lookup_elem(bpf_map__fd(skel_of(t)->maps.io_files), &id, &f))
		return "?";
	if (f.sock_kind != IO_SOCK_NONE) {
		name = sock_name(&f.sock);
		goto keep;
	}
	snprintf(link, sizeof(link), "/proc/%u/fd/%d", f.tgid, f.fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len > 0)
		path[len] = 0;
	if (len > 0 && !stat(link, &st) && st.st_ino == f.ino &&
	    IO_DEV(major(st.st_dev), minor(st.st_dev)) == f.dev && same_leaf(path, &f)) {
		name = strdup(path);
		t->named_proc++;
	} else if (path_from_names(&f, path, sizeof(path))) {
		name = strdup(path);
		t->named_kernel++;
	} else if (asprintf(&name, "[dev %u:%u inode %llu]", IO_DEV_MAJOR(f.dev),
			    IO_DEV_MINOR(f.dev), (unsigned long long)f.ino) < 0) {
		name = NULL;
	}
keep:
	if (!name)
		return "?";
	if (t->nfiles == t->files_cap) {
		size_t cap = t->files_cap ? t->files_cap * 2 : 64;
		struct io_fname *nf = realloc(t->files, cap * sizeof(*nf));

		if (!nf) {
			free(name);
			return "?";
		}
		t->files = nf;
		t->files_cap = cap;
	}
	for (i = t->nfiles; i > 0 && t->files[i - 1].id > id; i--)
		t->files[i] = t->files[i - 1];
	t->files[i] = (struct io_fname){ .id = id, .path = name };
	t->nfiles++;
	return name;
}

/* Every file the kernel noted, named while its process most likely still has it open. */
static void name_new_files(struct io_tool *t)
{
	int fd = bpf_map__fd(skel_of(t)->maps.io_files);
	uint32_t key, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		name_file(t, key);
		prev = &key;
	}
}

static int slow_event(void *ctx, void *data, size_t len)
{
	struct io_tool *t = ctx;
	const struct io_slow_event *e = data;
	char when[16], bytes[24], off[24];
	time_t now = time(NULL);
	struct tm tm;

	if (len < sizeof(*e))
		return 0;
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (e->op == IO_SYS_OPENAT || e->op == IO_SYS_FSYNC || e->op == IO_SYS_FDATASYNC ||
	    e->op == IO_SYS_SYNC_FILE_RANGE)
		snprintf(bytes, sizeof(bytes), "%s", e->ret < 0 ? "error" : "-");
	else
		snprintf(bytes, sizeof(bytes), "%lld", (long long)e->ret);
	if (e->offset >= 0)
		snprintf(off, sizeof(off), "%lld", (long long)(e->offset / 1024));
	else
		snprintf(off, sizeof(off), "-");
	printf("%-8s %-16.16s %-7u %-7u %-15s %10s %10s %10.2f  %s\n", when, e->comm, e->tgid,
	       e->pid, e->op < IO_SYS_NR_OPS ? sys_ops[e->op] : "?", bytes, off,
	       (double)e->lat_ns / 1e6, name_file(t, e->file));
	t->slow_printed++;
	return 0;
}

/*
 * Block mode sees only I/O that reaches a disk. A target whose open files all
 * live on tmpfs (or ramfs) does none: say so, and what would see its I/O.
 */
static void warn_tmpfs(const struct lt_target *tg)
{
	for (unsigned int i = 0; i < tg->npids; i++) {
		unsigned int files = 0, mem = 0;
		char dir[64], fd[320];
		struct dirent *de;
		struct statfs sf;
		struct stat st;
		DIR *d;

		snprintf(dir, sizeof(dir), "/proc/%u/fd", tg->pids[i]);
		d = opendir(dir);
		while (d && (de = readdir(d))) {
			snprintf(fd, sizeof(fd), "%s/%s", dir, de->d_name);
			if (de->d_name[0] == '.' || stat(fd, &st) || !S_ISREG(st.st_mode) ||
			    statfs(fd, &sf))
				continue;
			files++;
			mem += sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
		}
		if (d)
			closedir(d);
		if (files && mem == files)
			lt_warn("pid %u: its open files are all on tmpfs, which does no block I/O; "
				"'latprof io --syscalls' times its reads and writes",
				tg->pids[i]);
	}
}

static int io_tick(void *tool, bool final)
{
	struct io_tool *t = tool;

	if (!t->o.syscalls) {
		if (final)
			warn_tmpfs(&t->core.c->target);
		return 0;
	}
	if (t->rb && ring_buffer__poll(t->rb, 0) < 0 && errno != EINTR)
		return -errno;
	name_new_files(t);
	if (t->rb)
		fflush(stdout);
	if (final && t->nfiles)
		lt_info("file paths: %u from /proc/PID/fd while open, %u from the kernel's dentry "
			"names under their mount point",
			t->named_proc, t->named_kernel);
	return 0;
}

/* The disk's name from /sys/dev/block/MAJ:MIN/uevent (DEVNAME=), cached in t. */
static const char *dev_name(struct io_tool *t, uint32_t dev)
{
	char path[96], line[128], *name = t->dev_name;
	size_t sz = sizeof(t->dev_name);
	FILE *f;

	if (t->dev_known && dev == t->dev_last)
		return name;
	t->dev_known = true;
	t->dev_last = dev;
	snprintf(name, sz, "%u:%u", IO_DEV_MAJOR(dev), IO_DEV_MINOR(dev));
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", IO_DEV_MAJOR(dev),
		 IO_DEV_MINOR(dev));
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			snprintf(name, sz, "%.*s", (int)strcspn(line + 8, "\n"), line + 8);
			break;
		}
	if (f)
		fclose(f);
	return name;
}

/* "[vda write,sync queued]": the disk, operation, flags and phase of a sample. */
static const char *io_aux_frame(void *tool, uint64_t aux)
{
	struct io_tool *t = tool;

	static const char *const ops[] = { "read",    "write",	      "flush",
					   "discard", "write-zeroes", "other" };
	struct io_aux a = io_aux_decode((uint32_t)aux);
	uint32_t fl = a.flags;

	/* Syscall mode: "[pread64 /var/lib/db/data]", with "failed" for errors. */
	if (t->o.syscalls) {
		snprintf(t->frame, sizeof(t->frame), "[%s%s %s]",
			 a.op < IO_SYS_NR_OPS ? sys_ops[a.op] : "?", a.failed ? " failed" : "",
			 name_file(t, aux >> 32));
		return t->frame;
	}
	snprintf(t->frame, sizeof(t->frame), "[%s %s%s%s%s%s%s %s]", dev_name(t, aux >> 32),
		 ops[a.op < 6 ? a.op : 5], fl & IO_F_SYNC ? ",sync" : "",
		 fl & IO_F_META ? ",meta" : "", fl & IO_F_FUA ? ",fua" : "",
		 fl & IO_F_PREFLUSH ? ",preflush" : "", fl & IO_F_WRITEBACK ? ",writeback" : "",
		 a.phase == IO_PHASE_QUEUE ? "queued" : "in device");
	return t->frame;
}

/* A block sample no task was charged with: its disk's name (vda, nvme0n1). */
static const char *io_aux_root(void *tool, uint64_t aux)
{
	struct io_tool *t = tool;

	return t->o.syscalls ? NULL : dev_name(t, aux >> 32);
}

/* Block requests (per disk and op; --stacks: by who submitted), or syscalls. */
#define IO_MODE(w, u2, st, sm, v)                                                  \
	{                                                                          \
		.unit = "us", .unit2 = u2, .what = w, .stacks = st, .stream = sm,  \
		.aux_frame = io_aux_frame, .aux_root = io_aux_root, LT_VARIANTS(v) \
	}

static const struct lt_mode modes[] = {
	IO_MODE("block I/O latency", NULL, LT_STACKS_NO_USER, false, block_variants),
	IO_MODE("block I/O latency", NULL, LT_STACKS_ASKED, false, block_variants),
	/* The calling thread's user stack: the kernel side is only syscall entry. */
	IO_MODE("I/O syscall latency", "bytes", LT_STACKS_USER, false, sys_variants),
	/* --slower: stdout is the event stream; the profile goes to -o only. */
	IO_MODE("I/O syscall latency", "bytes", LT_STACKS_USER, true, sys_variants),
};

static unsigned int io_mode(const void *opts)
{
	const struct io_opts *o = opts;

	if (o->syscalls)
		return o->slower_ms > 0 ? 3 : 2;
	return o->stacks ? 1 : 0;
}

const struct lt_tool lt_io = {
	.cli = &io_cli,
	.load = { "the io programs", &io_bpf_ops, io_configure },
	.modes = modes,
	.mode = io_mode,
	.attach = io_attach,
	.tick = io_tick,
	.destroy = io_destroy,
	.size = sizeof(struct io_tool),
	.opts = offsetof(struct io_tool, o),
};
