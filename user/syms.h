/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one symbolizer: kernel addresses through /proc/kallsyms, user addresses
 * through a snapshot of /proc/PID/maps and the ELF files it names. Snapshots
 * are taken when tracing starts, so a process that exits during the trace is
 * still symbolized. An address that cannot be named reads `module+0xoffset`.
 */
#ifndef LT_SYMS_H
#define LT_SYMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "elf_file.h"
#include "perfmap.h"
#include "procmaps.h"

struct lt_symbolizer;

/* NULL on allocation failure. */
struct lt_symbolizer *lt_symbolizer__new(void);
/* C++ and Rust names are demangled unless turned off (--no-demangle). */
void lt_symbolizer__set_demangle(struct lt_symbolizer *s, bool on);

/*
 * From deadline (CLOCK_MONOTONIC seconds) on, or once *stop is 2 or more (a
 * second SIGINT), no file is opened or read for names any more: frames not
 * named by then print as module+offset, and are counted. Cannot fail.
 */
void lt_symbolizer__set_deadline(struct lt_symbolizer *s, double deadline,
				 const volatile int *stop);

/*
 * With lines on (--lines), lt_symbolizer__user_frames() adds source file:line
 * and a frame per inlined function, from DWARF.
 */
void lt_symbolizer__set_lines(struct lt_symbolizer *s, bool on);

/*
 * Demangle a C++ (Itanium) or Rust (legacy, v0) symbol into buf with
 * libiberty; names that are not mangled are copied. Returns buf.
 */
const char *lt_demangle(const char *name, char *buf, size_t sz);
void lt_symbolizer__free(struct lt_symbolizer *s);

/*
 * Snapshot the executable mappings of process tgid. Taken again (after an
 * exec, say), new mappings replace the old ones they overlap. With
 * `open_files`, open their ELF files now, through /proc/TGID/root so a
 * container's files are found. 0, or -ESRCH when
 * the process is gone.
 */
int lt_symbolizer__snapshot(struct lt_symbolizer *s, uint32_t tgid, bool open_files);
/*
 * Live updates, from the kernel's mmap, fork, exec and exit records (see
 * user/procwatch.h), so that processes that live for milliseconds are still
 * named. add_map: one new executable mapping of tgid (0 or -ENOMEM). fork:
 * child starts with a copy of parent's mappings (0 or -ENOMEM; nothing when
 * parent is unknown). exec: tgid's mappings so far only name its earlier
 * stacks. exit: tgid is gone. None fails but for memory.
 */
int lt_symbolizer__add_map(struct lt_symbolizer *s, uint32_t tgid, const struct lt_mapping *m);
int lt_symbolizer__fork(struct lt_symbolizer *s, uint32_t parent, uint32_t child);
int lt_symbolizer__exec(struct lt_symbolizer *s, uint32_t tgid);
void lt_symbolizer__exit(struct lt_symbolizer *s, uint32_t tgid);
/*
 * Forget the processes that exited and whose stacks are not to be named
 * (not in keep, sorted): a long trace over short-lived processes would
 * otherwise keep every one. Returns how many were forgotten. Cannot fail.
 */
size_t lt_symbolizer__prune(struct lt_symbolizer *s, const uint32_t *keep, size_t nkeep);

/*
 * Has tgid exited? Known from its exit record (or a sweep of lt_symbolizer__prune());
 * a process s never met, from whether it exists now.
 */
bool lt_symbolizer__gone(const struct lt_symbolizer *s, uint32_t tgid);

/* Does s hold a whole, current view of tgid's mappings (alive)? */
bool lt_symbolizer__knows(const struct lt_symbolizer *s, uint32_t tgid);

/* Snapshot every process in /proc (files opened lazily). Returns the count. */
int lt_symbolizer__snapshot_all(struct lt_symbolizer *s);
/* The pid of tgid inside its own PID namespace (as seen at its snapshot). */
uint32_t lt_symbolizer__ns_pid(const struct lt_symbolizer *s, uint32_t tgid);

/*
 * Name of user address `addr` in tgid into buf; `ret_addr` when it is a return
 * address (looked up at addr - 1 so a call at a function's end resolves to
 * that function). Never fails: falls back to module+0xoffset, then the hex.
 */
const char *lt_symbolizer__user(struct lt_symbolizer *s, uint32_t tgid, uint64_t addr,
				bool ret_addr, char *buf, size_t sz);

/* Most inlined frames one address expands to under --lines (innermost cut first). */
#define LT_SYM_MAX_INLINE 16

struct lt_sym_frame {
	char name[512];
	bool inlined; /* a function inlined into the next frame */
	bool named; /* by a symbol (not module+0xoffset) */
	/* The file it is in (as /proc/PID/maps names it; "[anon]", "[vdso]"),
	 * and its GNU build-id in hex ("" when none); NULL when unmapped. Valid
	 * while the symbolizer lives. */
	const char *module, *build_id;
};

/*
 * The frames of user address addr: as lt_symbolizer__user() names it, or,
 * with lines on and DWARF found, "func file.c:LINE" for each inlined function
 * (innermost first, inlined set) and then for the function holding them.
 * Writes at most max frames; returns how many (1 unless lines add some; 0
 * only when max < 1). Cannot fail.
 */
int lt_symbolizer__user_frames(struct lt_symbolizer *s, uint32_t tgid, uint64_t addr, bool ret_addr,
			       struct lt_sym_frame *out, int max);

/*
 * Note the BPF programs loaded now (JITed ranges and names), so that frames
 * of programs unloaded before the output is written are still named. Call
 * at attach and now and then; the first kernel lookup takes a last one.
 * Returns how many programs were new, or -errno (logged with -v).
 */
int lt_symbolizer__snapshot_bpf(struct lt_symbolizer *s);

/*
 * Name of kernel address `addr` into buf ("name", or "[kernel]+0xADDR" when
 * kallsyms cannot name it; BPF code by the snapshot, "[bpf]+0xADDR" for a
 * program it never saw). Sets *hidden for frames of the BPF machinery
 * (bpf_prog_*, anything in [bpf], bpf_trace_run*, __bpf_trace_*): callers
 * drop them at the leaf, where the tracer's own program runs.
 */
const char *lt_symbolizer__kernel(struct lt_symbolizer *s, uint64_t addr, bool *hidden, char *buf,
				  size_t sz);
/*
 * One line of how many frames were not named, and why: files that could not
 * be opened or parsed, addresses outside any symbol, processes gone before
 * their maps were read. Nothing when every frame was named; with brief
 * (-q), only with -v.
 */
void lt_symbolizer__report(const struct lt_symbolizer *s, bool brief);

/* The running kernel's GNU build-id in hex, "" when unknown. Cannot fail. */
const char *lt_symbolizer__kernel_build_id(struct lt_symbolizer *s);

/* true when kallsyms could not be read or kptr_restrict hides addresses. */
bool lt_symbolizer__kernel_unavailable(struct lt_symbolizer *s);

/* Every distinct executable file in the snapshots (of tgid; 0: all), opened on demand. */
typedef int (*lt_file_cb)(uint32_t dev, uint64_t ino, const char *path, struct elf_file *ef,
			  void *ctx);
int lt_symbolizer__foreach_file(struct lt_symbolizer *s, uint32_t tgid, lt_file_cb cb, void *ctx);

/*
 * Every executable mapping of the snapshot of tgid (0: of all, grouped by
 * tgid), in address order; dev and ino are 0 for anonymous memory.
 */
typedef int (*lt_map_cb)(uint32_t tgid, uint64_t start, uint64_t end, uint64_t pgoff, uint32_t dev,
			 uint64_t ino, void *ctx);
int lt_symbolizer__foreach_map(struct lt_symbolizer *s, uint32_t tgid, lt_map_cb cb, void *ctx);

#endif
