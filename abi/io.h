/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * latprof io: what crosses between its BPF program and user space. Block mode
 * aggregates into the shared stack map (stack_agg.h) with aux = operation,
 * flags and phase, aux2 = the device.
 */
#ifndef LT_IO_H
#define LT_IO_H
#include "lt_types.h"
#include "stack_agg.h"
#include "syscall_list.h"

/* The operation of a request, from REQ_OP_* (cmd_flags & REQ_OP_MASK). */
enum io_op {
	IO_OP_READ,
	IO_OP_WRITE,
	IO_OP_FLUSH,
	IO_OP_DISCARD,
	IO_OP_WRITE_ZEROES,
	IO_OP_OTHER,
};

/* Request flags latprof reports: REQ_SYNC, REQ_META, REQ_FUA, REQ_PREFLUSH, REQ_BACKGROUND. */
#define IO_F_SYNC 0x1
#define IO_F_META 0x2
#define IO_F_FUA 0x4
#define IO_F_PREFLUSH 0x8
/* REQ_BACKGROUND (background or periodic writeback), or submitted by a kworker */
#define IO_F_WRITEBACK 0x10

/* Where the time went: queued (insert to issue) or in the device (issue to completion). */
enum io_phase {
	IO_PHASE_DEVICE,
	IO_PHASE_QUEUE,
};

/*
 * lt_stack_key.aux of an io sample: a block request's operation, flags and
 * phase; a syscall's op and whether it failed.
 */
#define IO_AUX_FIELDS(X)                                              \
	X(op, 0, 8) /* block: enum io_op; syscalls: enum io_sys_op */ \
	X(flags, 8, 8) /* block: IO_F_* */                            \
	X(phase, 16, 2) /* block: enum io_phase */                    \
	X(failed, 18, 1) /* syscalls: the call returned an error */
LT_AUX_DEFINE(io_aux, IO_AUX_FIELDS)

/*
 * Syscall mode: the calls timed, the one list of them:
 * X(IO_SYS_OP, name, x86_64 number, 1 when it has a file offset, in the
 * fourth argument, or the second for sync_file_range), as syscall_list.h
 * describes. It makes enum io_sys_op, the names user space prints, the
 * number-to-op switch and the fentry/fexit pairs (bpf/io.bpf.c).
 */
#define IO_SYS_CALLS(X)                                    \
	X(IO_SYS_READ, read, 0, 0)                         \
	X(IO_SYS_WRITE, write, 1, 0)                       \
	X(IO_SYS_PREAD64, pread64, 17, 1)                  \
	X(IO_SYS_PWRITE64, pwrite64, 18, 1)                \
	X(IO_SYS_READV, readv, 19, 0)                      \
	X(IO_SYS_WRITEV, writev, 20, 0)                    \
	X(IO_SYS_PREADV, preadv, 295, 1)                   \
	X(IO_SYS_PWRITEV, pwritev, 296, 1)                 \
	X(IO_SYS_FSYNC, fsync, 74, 0)                      \
	X(IO_SYS_FDATASYNC, fdatasync, 75, 0)              \
	X(IO_SYS_SYNC_FILE_RANGE, sync_file_range, 277, 1) \
	X(IO_SYS_OPENAT, openat, 257, 0)                   \
	X(IO_SYS_IO_URING_ENTER, io_uring_enter, 426, 0)

enum io_sys_op {
	IO_SYS_CALLS(LT_SYSCALL_ENUM) IO_SYS_NR_OPS,
};

#define IO_PATH_DEPTH 8 /* dentry names kept, from the file up */
#define IO_NAME_LEN 48

/* A socket's kind, as io names it (struct io_sock.kind). */
enum io_sock_kind {
	IO_SOCK_NONE, /* not a socket */
	IO_SOCK_TCP,
	IO_SOCK_UDP,
	IO_SOCK_UNIX_STREAM,
	IO_SOCK_UNIX_DGRAM,
	IO_SOCK_UNIX_SEQPACKET,
	IO_SOCK_NETLINK,
	IO_SOCK_OTHER,
};

#define IO_SOCK_ACCEPTED 1 /* io_sock.flags: accepted here; port is our local one */
#define IO_SOCK_PATH_LEN 108 /* sun_path */

/*
 * A socket is keyed by what it talks to, never by its inode (one per
 * connection): kind, and the peer's address and service port (for a
 * connection accepted here, our port), or a unix socket's path (its own or
 * its peer's, the server's), so a server's connections share one key.
 */
struct io_sock {
	__u8 addr[16]; /* IPv4 in the first 4 bytes */
	__u16 port; /* host order; 0 none */
	__u16 family;
	__u8 kind; /* enum io_sock_kind */
	__u8 flags; /* IO_SOCK_* */
	__u16 pad;
	char path[IO_SOCK_PATH_LEN]; /* unix: "" unnamed; '@'-less abstract names start with NUL */
};

/*
 * What user space needs to name a file (lt_stack_key.aux2 in syscall mode):
 * the names of its dentry and its parents up to its filesystem's root, which
 * /proc/PID/mountinfo then places under a mount point; for a socket, what
 * it talks to.
 */
struct io_file {
	__u64 ino;
	__u32 dev; /* the superblock's, MKDEV layout */
	__u32 tgid; /* a process that had it open, and as which fd */
	__s32 fd;
	__u32 depth; /* names filled; IO_PATH_DEPTH and not at the root: cut */
	__u32 at_root; /* the last name is a child of the filesystem's root */
	__u32 sock_kind; /* enum io_sock_kind: IO_SOCK_NONE for a file, else sock is set */
	union {
		char names[IO_PATH_DEPTH][IO_NAME_LEN]; /* names[0]: the file's own */
		struct io_sock sock;
	};
};

/* --slower: one operation, sent through the ring buffer as it completes. */
struct io_slow_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC at completion */
	__u64 lat_ns;
	__s64 ret; /* bytes, or -errno */
	__s64 offset; /* pread/pwrite/preadv/pwritev/sync_file_range, else -1 */
	__u32 tgid, pid;
	__u32 op;
	__u32 file; /* as lt_stack_key.aux2 */
	char comm[LT_COMM_LEN];
};

/* lt_stack_key.aux2: the whole disk's device number, the kernel's MKDEV layout. */
#define IO_DEV(major, minor) ((major) << 20 | (minor))
#define IO_DEV_MAJOR(d) ((d) >> 20)
#define IO_DEV_MINOR(d) ((d)&0xfffff)

#endif
