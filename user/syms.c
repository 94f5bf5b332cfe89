// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <libiberty/demangle.h>
#include "bpf_util.h"
#include "err.h"
#include "debuginfo.h"
#include "knames.h"
#include "perfmap.h"
#include "safeopen.h"
#include "sorted.h"
#include "srcline.h"
#include "syms.h"
#include "u32set.h"

struct lt_file {
	uint32_t dev;
	uint64_t ino;
	char *path; /* as /proc/PID/maps names it */
	uint32_t tgid; /* a process that mapped it, for /proc/TGID/root */
	uint64_t start, end; /* one of its mappings there, for map_files */
	struct elf_file *ef;
	int state; /* 0 not tried, 1 open, -errno failed */
	struct lt_srcline *lines; /* DWARF for --lines */
	int lines_state; /* 0 not tried, 1 open, -1 none */
	char build_id[129]; /* hex, "" when none or not read yet */
	bool build_id_read;
};

struct lt_map {
	uint64_t start, end, pgoff;
	struct lt_file *file; /* NULL: anonymous or special */
	const char *name; /* "[vdso]", "[anon]", ... when file is NULL */
};

/* Bounds on a perf map, which its process writes: bytes, and entries kept. */

struct lt_proc {
	uint32_t tgid;
	uint32_t nspid; /* pid inside its PID namespace */
	struct lt_map *maps;
	unsigned int n, cap;
	/* The image's mappings before its last exec: they name its earlier stacks. */
	struct lt_map *old;
	unsigned int nold;
	bool resnapped; /* re-read once already after a miss */
	bool complete; /* maps read from /proc or copied at fork, kept current since */
	bool gone; /* exited */
	struct lt_jit_sym *jit; /* perf map, sorted by start */
	unsigned int njit;
	int jit_state; /* 0 not read, 1 read, 2 re-read after a miss */
};

/* Why frames were not named, for lt_symbolizer__report(). */
struct lt_sym_stats {
	unsigned long bad_file; /* frames in files that could not be opened or parsed */
	unsigned long no_symbol; /* frames outside every symbol of their file */
	unsigned long anon; /* frames in anonymous memory without a perf map entry */
	unsigned long unmapped; /* frames outside every known mapping */
	unsigned long no_lines; /* with --lines: named frames without DWARF line info */
	unsigned long hurried; /* frames left unnamed: out of time (budget, second SIGINT) */
	unsigned int files_failed; /* files that could not be opened */
	unsigned int procs_gone; /* processes gone before their maps were read */
};

struct lt_symbolizer {
	struct lt_sym_stats st;
	double deadline; /* 0: none */
	const volatile int *stop;
	bool no_demangle;
	bool lines;
	struct lt_knames kn; /* kernel frames */
	struct lt_proc **procs;
	unsigned int nprocs, procs_cap;
	struct lt_file **files;
	unsigned int nfiles, files_cap;
};

struct lt_symbolizer *lt_symbolizer__new(void)
{
	return calloc(1, sizeof(struct lt_symbolizer));
}

void lt_symbolizer__set_demangle(struct lt_symbolizer *s, bool on)
{
	s->no_demangle = !on;
}

void lt_symbolizer__set_lines(struct lt_symbolizer *s, bool on)
{
	s->lines = on;
}

void lt_symbolizer__set_deadline(struct lt_symbolizer *s, double deadline, const volatile int *stop)
{
	s->deadline = deadline;
	s->stop = stop;
}

static bool hurried(const struct lt_symbolizer *s)
{
	if (s->stop && *s->stop >= 2)
		return true;
	if (!s->deadline)
		return false;
	return lt_mono_s() >= s->deadline;
}

const char *lt_demangle(const char *name, char *buf, size_t sz)
{
	size_t len = strcspn(name, "@"); /* symbol version: not part of the name */
	char *plain = strndup(name, len), *d = NULL;

	/* _Z: C++ and Rust legacy; _R: Rust v0. */
	if (plain && (!strncmp(plain, "_Z", 2) || !strncmp(plain, "_R", 2)))
		d = cplus_demangle(plain, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	snprintf(buf, sz, "%s", d ? d : plain ? plain : name);
	free(d);
	free(plain);
	return buf;
}

void lt_symbolizer__free(struct lt_symbolizer *s)
{
	if (!s)
		return;
	lt_knames__free(&s->kn);
	for (unsigned int i = 0; i < s->nprocs; i++) {
		for (unsigned int j = 0; j < s->procs[i]->njit; j++)
			free(s->procs[i]->jit[j].name);
		free(s->procs[i]->jit);
		free(s->procs[i]->maps);
		free(s->procs[i]->old);
		free(s->procs[i]);
	}
	for (unsigned int i = 0; i < s->nfiles; i++) {
		lt_srcline__free(s->files[i]->lines); /* before the Elf it reads */
		elf_file__free(s->files[i]->ef);
		free(s->files[i]->path);
		free(s->files[i]);
	}
	free(s->procs);
	free(s->files);
	free(s);
}

static struct lt_proc *find_proc(const struct lt_symbolizer *s, uint32_t tgid)
{
	unsigned int lo = 0, hi = s->nprocs;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->procs[mid]->tgid == tgid)
			return s->procs[mid];
		if (s->procs[mid]->tgid < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t lt_symbolizer__ns_pid(const struct lt_symbolizer *s, uint32_t tgid)
{
	const struct lt_proc *p = find_proc(s, tgid);

	return p && p->nspid ? p->nspid : tgid;
}

static struct lt_proc *add_proc(struct lt_symbolizer *s, uint32_t tgid)
{
	struct lt_proc *p = find_proc(s, tgid);
	unsigned int i;

	if (p)
		return p;
	if (s->nprocs == s->procs_cap) {
		unsigned int cap = s->procs_cap ? s->procs_cap * 2 : 64;
		struct lt_proc **np = realloc(s->procs, cap * sizeof(*np));

		if (!np)
			return NULL;
		s->procs = np;
		s->procs_cap = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	for (i = s->nprocs; i > 0 && s->procs[i - 1]->tgid > tgid; i--)
		s->procs[i] = s->procs[i - 1];
	s->procs[i] = p;
	s->nprocs++;
	return p;
}

static struct lt_file *get_file(struct lt_symbolizer *s, const struct lt_mapping *m, uint32_t tgid)
{
	struct lt_file *f;

	for (unsigned int i = 0; i < s->nfiles; i++) {
		f = s->files[i];
		if (f->dev == m->dev && f->ino == m->ino && !strcmp(f->path, m->path))
			return f;
	}
	if (s->nfiles == s->files_cap) {
		unsigned int cap = s->files_cap ? s->files_cap * 2 : 64;
		struct lt_file **nf = realloc(s->files, cap * sizeof(*nf));

		if (!nf)
			return NULL;
		s->files = nf;
		s->files_cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(m->path))) {
		free(f);
		return NULL;
	}
	f->dev = m->dev;
	f->ino = m->ino;
	f->tgid = tgid;
	f->start = m->start;
	f->end = m->end;
	s->files[s->nfiles++] = f;
	return f;
}

/*
 * Open a file's ELF: through /proc/TGID/map_files (the very file mapped, even
 * deleted or in another mount), then its path inside the process's root,
 * then, when that is gone, its host path, only if that is the file the
 * process mapped (same device and inode).
 */
static struct elf_file *file_elf(struct lt_symbolizer *s, struct lt_file *f)
{
	struct lt_open_how how = { .max_size = LT_ELF_MAX_SIZE };
	char path[4200];
	const char *p = f->path;
	size_t len = strlen(p);
	struct stat st;
	int fd, root;

	if (f->state)
		return f->ef;
	/* " (deleted)": the file is still reachable through map_files or root only. */
	if (len > 10 && !strcmp(p + len - 10, " (deleted)"))
		len -= 10;
	snprintf(path, sizeof(path), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, f->tgid, f->start,
		 f->end);
	how.magic = true;
	fd = lt_open(path, &how, NULL);
	how.magic = false;
	snprintf(path, sizeof(path), "%.*s", (int)len, p);
	if (fd < 0 && (root = lt_proc_root(f->tgid)) >= 0) {
		how.root = root;
		fd = lt_open(path, &how, NULL);
		close(root);
	}
	if (fd < 0) {
		how.root = AT_FDCWD;
		fd = lt_open(path, &how, &st);
		if (fd >= 0 && (lt_kdev(&st) != f->dev || st.st_ino != f->ino)) {
			close(fd);
			lt_open_refused[LT_REFUSE_NOT_MAPPED]++;
			fd = -ESTALE;
		}
	}
	f->ef = fd >= 0 ? elf_file__open_fd(fd) : NULL;
	if (fd < 0)
		errno = -fd;
	f->state = f->ef ? 1 : -errno;
	if (!f->ef) {
		s->st.files_failed++;
		lt_info("cannot open '%s' for symbols: %s", f->path, strerror(errno));
		return NULL;
	}
	if (!elf_file__has_symtab(f->ef)) {
		struct elf_file *d = lt_debug_find(f->tgid, f->ef, path);

		if (d) {
			elf_file__set_debug(f->ef, d);
			lt_info("symbols of '%s' from its separate debug file", f->path);
		}
	}
	return f->ef;
}

static void load_perf_map(struct lt_proc *p);
static uint32_t ns_pid(uint32_t tgid);

/*
 * The vDSO, read from the process's own mapping. Shared by processes whose
 * vDSO has the same size (one kernel, one image per ABI).
 */
static struct lt_file *vdso_file(struct lt_symbolizer *s, uint32_t tgid, const struct lt_mapping *m)
{
	struct lt_mapping key = *m;
	size_t size = m->end - m->start;
	struct lt_file *f;
	char path[64];
	void *buf;
	int fd;

	key.dev = 0;
	key.ino = size; /* one entry per vDSO size */
	f = get_file(s, &key, tgid);
	if (!f || f->state)
		return f;
	f->state = -ENOENT;
	buf = malloc(size);
	snprintf(path, sizeof(path), "/proc/%u/mem", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (buf && fd >= 0 && pread(fd, buf, size, m->start) == (ssize_t)size) {
		f->ef = elf_file__open_vdso(buf, size);
		buf = NULL;
		f->state = f->ef ? 1 : -ENOEXEC;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return f;
}

static int cmp_map(const void *a, const void *b)
{
	const struct lt_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Add executable mapping m to p: a new mapping (after munmap, or mapped over)
 * replaces what it overlaps. 0 or -ENOMEM. Keeps p->maps unsorted.
 */
static int proc_add_map(struct lt_symbolizer *s, struct lt_proc *p, const struct lt_mapping *mm,
			bool open_files)
{
	struct lt_mapping m = *mm;
	uint32_t tgid = p->tgid;
	struct lt_map *mp;

	for (unsigned int i = 0; i < p->n; i++)
		if (p->maps[i].start == m.start && p->maps[i].end == m.end &&
		    p->maps[i].pgoff == m.pgoff &&
		    (!p->maps[i].file || m.path[0] != '/' || p->maps[i].file->ino == m.ino))
			return 0;
	for (unsigned int i = 0; i < p->n;) {
		if (p->maps[i].start < m.end && m.start < p->maps[i].end)
			p->maps[i] = p->maps[--p->n];
		else
			i++;
	}
	if (p->n == p->cap) {
		unsigned int cap = p->cap ? p->cap * 2 : 32;
		struct lt_map *nm = realloc(p->maps, cap * sizeof(*nm));

		if (!nm)
			return -ENOMEM;
		p->maps = nm;
		p->cap = cap;
	}
	mp = &p->maps[p->n++];
	mp->start = m.start;
	mp->end = m.end;
	mp->pgoff = m.pgoff;
	mp->file = NULL;
	mp->name = "[anon]";
	if (m.path[0] == '/') {
		mp->file = get_file(s, &m, tgid);
		if (mp->file && open_files)
			file_elf(s, mp->file);
	} else if (!strcmp(m.path, "[vdso]")) {
		mp->name = "[vdso]";
		mp->file = vdso_file(s, tgid, &m);
	} else if (!strcmp(m.path, "[vsyscall]")) {
		mp->name = "[vsyscall]";
	}
	return 0;
}

struct snap_ctx {
	struct lt_symbolizer *s;
	struct lt_proc *p;
	bool open_files;
};

static int snap_map(const struct lt_mapping *m, void *ctx)
{
	struct snap_ctx *c = ctx;

	return proc_add_map(c->s, c->p, m, c->open_files);
}

int lt_symbolizer__snapshot(struct lt_symbolizer *s, uint32_t tgid, bool open_files)
{
	struct snap_ctx c = { s, NULL, open_files };
	char path[64];
	struct lt_proc *p;

	/* No process: nothing added (the maps could vanish between the two; then empty). */
	snprintf(path, sizeof(path), "/proc/%u/maps", tgid);
	if (access(path, R_OK))
		return -ESRCH;
	p = c.p = add_proc(s, tgid);
	if (!p)
		return -ENOMEM;
	lt_procmaps_read(tgid, snap_map, &c);
	if (p->n) /* none: a kernel thread, or gone while read (maps NULL) */
		qsort(p->maps, p->n, sizeof(*p->maps), cmp_map);
	p->nspid = ns_pid(tgid);
	p->complete = true;
	p->gone = false;
	if (open_files && !p->jit_state) {
		load_perf_map(p);
		p->jit_state = 1;
	}
	return 0;
}

int lt_symbolizer__snapshot_all(struct lt_symbolizer *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid)
			continue;
		if (!lt_symbolizer__snapshot(s, pid, false))
			n++;
	}
	closedir(d);
	return n;
}

static const char *basename_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* The last NSpid of /proc/TGID/status: the pid inside its own namespace. */
static uint32_t ns_pid(uint32_t tgid)
{
	unsigned long long ns;

	return lt_proc_status(tgid, "NSpid", 10, &ns) ? (uint32_t)ns : tgid;
}

/*
 * (Re)read the perf map of a process: /tmp/perf-PID.map, the convention of
 * Node's --perf-basic-prof, perf-map-agent, LuaJIT...
 */
static void load_perf_map(struct lt_proc *p)
{
	FILE *f = lt_perf_map_open(p->tgid, ns_pid(p->tgid));

	if (!f)
		return;
	for (unsigned int j = 0; j < p->njit; j++)
		free(p->jit[j].name);
	free(p->jit);
	lt_perf_map_read(f, &p->jit, &p->njit);
	fclose(f);
}

/* JIT symbol covering addr, reading (or re-reading once) the perf map. */
static const char *jit_sym(struct lt_proc *p, uint64_t addr)
{
	for (int pass = 0; pass < 2; pass++) {
		size_t lo;

		if (p->jit_state == pass) {
			load_perf_map(p);
			p->jit_state = pass + 1;
		}
		lo = lt_upper_bound(p->jit, p->njit, sizeof(*p->jit),
				    offsetof(struct lt_jit_sym, start), addr);
		if (lo && addr < p->jit[lo - 1].start + p->jit[lo - 1].size)
			return p->jit[lo - 1].name;
	}
	return NULL;
}

static struct lt_map *find_map(struct lt_proc *p, uint64_t addr)
{
	for (unsigned int i = 0; p && i < p->n; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	/* An address of the image before the last exec. */
	for (unsigned int i = 0; p && i < p->nold; i++)
		if (addr >= p->old[i].start && addr < p->old[i].end)
			return &p->old[i];
	return NULL;
}

bool lt_symbolizer__knows(const struct lt_symbolizer *s, uint32_t tgid)
{
	const struct lt_proc *p = find_proc(s, tgid);

	return p && p->complete && !p->gone;
}

bool lt_symbolizer__gone(const struct lt_symbolizer *s, uint32_t tgid)
{
	const struct lt_proc *p = find_proc(s, tgid);

	if (p)
		return p->gone;
	return tgid && kill((pid_t)tgid, 0) && errno == ESRCH;
}

int lt_symbolizer__add_map(struct lt_symbolizer *s, uint32_t tgid, const struct lt_mapping *m)
{
	struct lt_proc *p = add_proc(s, tgid);
	int err;

	if (!p)
		return -ENOMEM;
	err = proc_add_map(s, p, m, false);
	if (p->n)
		qsort(p->maps, p->n, sizeof(*p->maps), cmp_map);
	return err;
}

int lt_symbolizer__fork(struct lt_symbolizer *s, uint32_t parent, uint32_t child)
{
	struct lt_proc *pp = find_proc(s, parent), *c;

	if (!pp || !pp->complete || pp->gone)
		return 0; /* the child is read from /proc when it is met */
	c = add_proc(s, child);
	pp = find_proc(s, parent); /* add_proc may have moved it */
	if (!c || !pp)
		return -ENOMEM;
	if (c->cap < pp->n) {
		struct lt_map *nm = realloc(c->maps, pp->n * sizeof(*nm));

		if (!nm)
			return -ENOMEM;
		c->maps = nm;
		c->cap = pp->n;
	}
	/* A reused pid: what the dead process mapped names nothing of the child's. */
	if (pp->n)
		memcpy(c->maps, pp->maps, pp->n * sizeof(*c->maps));
	c->n = pp->n;
	c->nold = 0;
	c->nspid = pp->nspid && pp->nspid != parent ? ns_pid(child) : child;
	c->complete = true;
	c->gone = false;
	c->resnapped = false;
	return 0;
}

int lt_symbolizer__exec(struct lt_symbolizer *s, uint32_t tgid)
{
	struct lt_proc *p = find_proc(s, tgid);

	if (!p)
		return 0;
	/* The old image's mappings name its stacks; the new one starts empty. */
	free(p->old);
	p->old = p->maps;
	p->nold = p->n;
	p->maps = NULL;
	p->n = p->cap = 0;
	p->resnapped = false;
	p->gone = false;
	return 0;
}

void lt_symbolizer__exit(struct lt_symbolizer *s, uint32_t tgid)
{
	struct lt_proc *p = find_proc(s, tgid);
	struct lt_map *nm;

	if (!p)
		return;
	p->gone = true;
	/*
	 * Its list changes no more: kept as long as a stack of its is (one
	 * per process of a churning host, issue 15's soak), it takes no more
	 * room than its mappings.
	 */
	if (!p->n) {
		free(p->maps);
		p->maps = NULL;
		p->cap = 0;
	} else if (p->n < p->cap && (nm = malloc(p->n * sizeof(*nm)))) {
		/* A new block, not realloc: shrunk in place, the tail freed
		 * after it would be a hole only small blocks can fill. */
		memcpy(nm, p->maps, p->n * sizeof(*nm));
		free(p->maps);
		p->maps = nm;
		p->cap = p->n;
	}
}

/*
 * Name user address addr of tgid into buf (never fails). When the name came
 * from an ELF symbol, *fp and *vaddrp say which file and link-time address.
 */
static const char *file_build_id(struct lt_file *f)
{
	uint8_t id[64];
	size_t n;

	if (!f->build_id_read && f->ef) {
		f->build_id_read = true;
		n = elf_file__build_id(f->ef, id, sizeof(id));
		lt_hex_str(f->build_id, id, n);
	}
	return f->build_id;
}

/*
 * Is vaddr in the entry routine of an executable that has no symbol for it?
 * glibc's _start is 0x26 bytes on x86-64; its call returns 0x1f bytes in.
 */
static bool in_entry(struct elf_file *ef, uint64_t vaddr)
{
	GElf_Ehdr eh;

	return gelf_getehdr(elf_file__elf(ef), &eh) && eh.e_entry && eh.e_type != ET_REL &&
	       vaddr >= eh.e_entry && vaddr < eh.e_entry + 0x30;
}

static const char *user_sym(struct lt_symbolizer *s, uint32_t tgid, uint64_t addr, bool ret_addr,
			    char *buf, size_t sz, struct lt_file **fp, uint64_t *vaddrp,
			    struct lt_sym_frame *where)
{
	uint64_t look = ret_addr && addr ? addr - 1 : addr, off, vaddr;
	struct lt_proc *p = find_proc(s, tgid);
	struct elf_file *ef;
	struct lt_map *m;
	const char *name;

	*fp = NULL;
	if (!p && !lt_symbolizer__snapshot(s, tgid, false))
		p = find_proc(s, tgid);
	m = find_map(p, look);
	/* Mapped after the snapshot (dlopen, JIT): read the maps once more. */
	if (!m && p && !p->resnapped) {
		p->resnapped = true;
		if (!lt_symbolizer__snapshot(s, tgid, false))
			m = find_map(p, look);
	}
	where->module = where->build_id = NULL;
	where->named = false;
	if (!m) {
		s->st.unmapped++;
		if (!p)
			s->st.procs_gone++;
		snprintf(buf, sz, "[unmapped]+0x%" PRIx64, addr);
		return buf;
	}
	off = look - m->start + m->pgoff;
	if (!m->file) {
		const char *jit = strcmp(m->name, "[anon]") ? NULL : jit_sym(p, look);

		where->module = m->name;
		where->named = jit != NULL;
		if (jit)
			snprintf(buf, sz, "%s", jit);
		else {
			s->st.anon++;
			snprintf(buf, sz, "%s+0x%" PRIx64, m->name, look - m->start);
		}
		return buf;
	}
	if (!m->file->state && hurried(s)) {
		s->st.hurried++;
		where->module = m->file->path;
		snprintf(buf, sz, "%s+0x%" PRIx64, basename_of(m->file->path), off);
		return buf;
	}
	ef = file_elf(s, m->file);
	where->module = m->file->path;
	where->build_id = file_build_id(m->file);
	if (ef && !elf_file__off_to_vaddr(ef, off, &vaddr) && (name = elf_file__sym(ef, vaddr))) {
		where->named = true;
		/* Symbol versions (clock_nanosleep@@GLIBC_2.17) are not part of the name. */
		if (s->no_demangle)
			snprintf(buf, sz, "%.*s", (int)strcspn(name, "@"), name);
		else
			lt_demangle(name, buf, sz);
		*fp = m->file;
		*vaddrp = vaddr;
		return buf;
	}
	/*
	 * A stripped program's entry point is its start routine, the root of
	 * its main thread's stack: named as C programs name it.
	 */
	if (ef && !elf_file__off_to_vaddr(ef, off, &vaddr) && in_entry(ef, vaddr)) {
		where->named = true;
		snprintf(buf, sz, "_start");
		return buf;
	}
	if (ef)
		s->st.no_symbol++;
	else
		s->st.bad_file++;
	snprintf(buf, sz, "%s+0x%" PRIx64, basename_of(m->file->path), off);
	return buf;
}

const char *lt_symbolizer__user(struct lt_symbolizer *s, uint32_t tgid, uint64_t addr,
				bool ret_addr, char *buf, size_t sz)
{
	struct lt_sym_frame where;
	struct lt_file *f;
	uint64_t vaddr;

	return user_sym(s, tgid, addr, ret_addr, buf, sz, &f, &vaddr, &where);
}

/*
 * The DWARF of a file: its separate debug file's, its own, or, when the file
 * has a .symtab but no DWARF (so no debug file was looked for), a debug file
 * found now. NULL when there is none.
 */
static struct lt_srcline *file_lines(struct lt_file *f)
{
	const struct elf_file *dbg = elf_file__debug(f->ef);
	size_t len = strlen(f->path);
	struct elf_file *d;

	if (f->lines_state)
		return f->lines;
	f->lines_state = -1;
	if (dbg)
		f->lines = lt_srcline__open(elf_file__elf(dbg));
	if (!f->lines)
		f->lines = lt_srcline__open(elf_file__elf(f->ef));
	if (!f->lines && !dbg) {
		char path[4200];

		if (len > 10 && !strcmp(f->path + len - 10, " (deleted)"))
			len -= 10;
		snprintf(path, sizeof(path), "%.*s", (int)len, f->path);
		d = lt_debug_find(f->tgid, f->ef, path);
		f->lines = d ? lt_srcline__open(elf_file__elf(d)) : NULL;
		if (f->lines)
			elf_file__set_debug(f->ef, d); /* now owns d, whose Elf lines reads */
		else
			elf_file__free(d);
	}
	if (f->lines)
		f->lines_state = 1;
	return f->lines;
}

static void frame_name(struct lt_symbolizer *s, const char *func, const struct lt_srcframe *sf,
		       char *buf, size_t sz)
{
	char dm[512];
	int n;

	if (!s->no_demangle)
		func = lt_demangle(func, dm, sizeof(dm));
	n = snprintf(buf, sz, "%s", func);
	if (sf->line && sf->file && n >= 0 && (size_t)n < sz)
		snprintf(buf + n, sz - n, " %s:%u", basename_of(sf->file), sf->line);
}

int lt_symbolizer__user_frames(struct lt_symbolizer *s, uint32_t tgid, uint64_t addr, bool ret_addr,
			       struct lt_sym_frame *out, int max)
{
	struct lt_srcframe sf[LT_SYM_MAX_INLINE + 1];
	struct lt_srcline *sl;
	struct lt_file *f;
	uint64_t vaddr;
	char name[sizeof(out->name)];
	int n;

	if (max < 1)
		return 0;
	out[0].inlined = false;
	user_sym(s, tgid, addr, ret_addr, out[0].name, sizeof(out[0].name), &f, &vaddr, &out[0]);
	if (!s->lines || !f)
		return 1;
	if (!f->lines_state && hurried(s)) {
		s->st.hurried++; /* its lines, not read in time */
		return 1;
	}
	if (max > LT_SYM_MAX_INLINE + 1)
		max = LT_SYM_MAX_INLINE + 1;
	sl = file_lines(f);
	n = sl ? lt_srcline__lookup(sl, vaddr, sf, max) : 0;
	if (!n) {
		s->st.no_lines++;
		return 1;
	}
	snprintf(name, sizeof(name), "%s", out[0].name);
	for (int i = 0; i < n; i++) {
		out[i].inlined = sf[i].func != NULL;
		out[i].module = out[0].module;
		out[i].build_id = out[0].build_id;
		out[i].named = true;
		frame_name(s, sf[i].func ? sf[i].func : name, &sf[i], out[i].name,
			   sizeof(out[i].name));
	}
	return n;
}

void lt_symbolizer__report(const struct lt_symbolizer *s, bool brief)
{
	const struct lt_sym_stats *t = &s->st;
	char why[512] = "";
	size_t len = 0;

	/* Files a traced process named that were not opened (docs/SECURITY.md). */
	for (int r = 0; r < LT_REFUSE_NR && len < sizeof(why); r++)
		if (lt_open_refused[r])
			len += snprintf(why + len, sizeof(why) - len, "%s%lu %s", len ? ", " : "",
					lt_open_refused[r], lt_refusal_name[r]);
	if (len)
		lt_info("files refused: %s", why);

	if (t->no_lines)
		lt_info("frames without source lines: %lu (their files have no DWARF, and no debug "
			"file with it was found)",
			t->no_lines);
	if (t->hurried)
		lt_warn("%lu frames left as module+offset or without their lines: symbolization "
			"stopped (a second interrupt, or its time was up)",
			t->hurried);
	if (!t->bad_file && !t->no_symbol && !t->anon && !t->unmapped)
		return;
	(brief ? lt_info : lt_note)(
		"frames not named: %lu in files that could not be opened or parsed (%u files), "
		"%lu outside every symbol (stripped, no debug info: install its debug "
		"symbols), %lu in anonymous memory without a perf map, %lu outside every known "
		"mapping (%u processes gone before their maps were read)",
		t->bad_file, t->files_failed, t->no_symbol, t->anon, t->unmapped, t->procs_gone);
}

bool lt_symbolizer__kernel_unavailable(struct lt_symbolizer *s)
{
	return !lt_knames__available(&s->kn);
}

const char *lt_symbolizer__kernel_build_id(struct lt_symbolizer *s)
{
	return lt_knames__build_id(&s->kn);
}

int lt_symbolizer__snapshot_bpf(struct lt_symbolizer *s)
{
	return lt_knames__snapshot_bpf(&s->kn);
}

const char *lt_symbolizer__kernel(struct lt_symbolizer *s, uint64_t addr, bool *hidden, char *buf,
				  size_t sz)
{
	return lt_knames__name(&s->kn, addr, hidden, buf, sz);
}

static bool proc_maps_file(const struct lt_proc *p, const struct lt_file *f)
{
	for (unsigned int j = 0; j < p->n; j++)
		if (p->maps[j].file == f)
			return true;
	return false;
}

int lt_symbolizer__foreach_file(struct lt_symbolizer *s, uint32_t tgid, lt_file_cb cb, void *ctx)
{
	const struct lt_proc *p = tgid ? find_proc(s, tgid) : NULL;

	if (tgid && !p)
		return 0;
	for (unsigned int i = 0; i < s->nfiles; i++) {
		struct lt_file *f = s->files[i];
		struct elf_file *ef;
		int err;

		if (p && !proc_maps_file(p, f))
			continue;
		ef = file_elf(s, f);
		if (!ef)
			continue;
		err = cb(f->dev, f->ino, f->path, ef, ctx);
		if (err)
			return err;
	}
	return 0;
}

int lt_symbolizer__foreach_map(struct lt_symbolizer *s, uint32_t tgid, lt_map_cb cb, void *ctx)
{
	for (unsigned int i = 0; i < s->nprocs; i++) {
		const struct lt_proc *p = s->procs[i];

		if (tgid && p->tgid != tgid)
			continue;
		for (unsigned int j = 0; j < p->n; j++) {
			const struct lt_map *m = &p->maps[j];
			int err;

			err = cb(p->tgid, m->start, m->end, m->pgoff, m->file ? m->file->dev : 0,
				 m->file ? m->file->ino : 0, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}

size_t lt_symbolizer__prune(struct lt_symbolizer *s, const uint32_t *keep, size_t nkeep)
{
	size_t n = 0, pruned = 0;

	for (size_t i = 0; i < s->nprocs; i++) {
		struct lt_proc *p = s->procs[i];

		/* Gone without an exit record reaching us (records lost under churn). */
		if (!p->gone && kill((pid_t)p->tgid, 0) && errno == ESRCH)
			lt_symbolizer__exit(s, p->tgid);

		if (p->gone && !lt_u32_in(keep, nkeep, p->tgid)) {
			for (unsigned int j = 0; j < p->njit; j++)
				free(p->jit[j].name);
			free(p->jit);
			free(p->maps);
			free(p->old);
			free(p);
			pruned++;
			continue;
		}
		s->procs[n++] = p;
	}
	s->nprocs = n;
	return pruned;
}
