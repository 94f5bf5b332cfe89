// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof io, block mode: each request's time queued (block_rq_insert to
 * block_rq_issue) and in the device (block_rq_issue to block_rq_complete),
 * per disk and operation, aggregated into the shared stack map. With
 * --stacks, a request is charged to the task and stacks that submitted its
 * first bio (block_bio_queue runs in the submitter's context).
 *
 * Two flavours share one body: tp_btf, then raw_tp; user space loads the
 * first the kernel accepts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "target.bpf.h"
#include "stack_agg.bpf.h"
#include "ustack.bpf.h"
#include "syscall_lat.bpf.h"
#include "io.h"
#include "listen.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u8 want_stacks = 0; /* --stacks */
const volatile __u8 filter_tasks = 0; /* -p/-t/--comm/--cgroup given */
const volatile __u32 filter_dev = 0; /* --dev: only this disk (IO_DEV), 0 all */
const volatile __u64 min_lat_ns = 0;

/* Who submitted a bio, kept until its request is inserted or issued. */
struct io_owner {
	__u64 ustack;
	__s32 kstack;
	__u32 tgid;
	__u32 pid;
	__u32 known; /* an owner was seen */
	char comm[LT_COMM_LEN];
};

struct io_req {
	__u64 insert_ns, issue_ns;
	struct io_owner owner;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* bios between submission and their request */
	__type(key, __u64);
	__type(value, struct io_owner);
} io_bios SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* requests in flight */
	__type(key, __u64);
	__type(value, struct io_req);
} io_reqs SEC(".maps");

/*
 * An empty preflush bio (blkdev_issue_flush(), from fsync in the caller's
 * context) never becomes the bio of the request the device sees: the block
 * layer sends its own flush request, with no bio, for it (and for any other
 * flush waiting then). Its submitter, per disk, until that request starts.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256); /* disks */
	__type(key, __u32);
	__type(value, struct io_owner);
} io_flush_owner SEC(".maps");

static __always_inline __u32 disk_dev(struct gendisk *disk)
{
	return IO_DEV(BPF_CORE_READ(disk, major), BPF_CORE_READ(disk, first_minor));
}

/* Submission, in the submitter's context: remember who, for --stacks and task filters. */
static __always_inline void bio_queue(void *ctx, struct bio *bio)
{
	__u64 id = bpf_get_current_pid_tgid(), key = (__u64)bio;
	struct io_owner o = {};

	if (!want_stacks && !filter_tasks)
		return;
	o.tgid = id >> 32;
	o.pid = (__u32)id;
	if (filter_tasks && !lt_current_selected(o.tgid, o.pid))
		return;
	o.known = 1;
	bpf_get_current_comm(o.comm, sizeof(o.comm));
	if (want_stacks) {
		o.kstack = lt_kstack_want(ctx);
		o.ustack = lt_ustack_want(ctx, NULL);
	} else {
		o.kstack = LT_NO_KSTACK;
	}
	if (bpf_core_field_exists(bio->bi_bdev) && !BPF_CORE_READ(bio, bi_iter.bi_size) &&
	    (BPF_CORE_READ(bio, bi_opf) &
	     (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH)))) {
		__u32 dev = disk_dev(BPF_CORE_READ(bio, bi_bdev, bd_disk));

		bpf_map_update_elem(&io_flush_owner, &dev, &o, BPF_ANY);
		return;
	}
	if (bpf_map_update_elem(&io_bios, &key, &o, BPF_ANY))
		lt_stat_inc(LT_STAT_START_FULL);
}

/* REQ_OP_NAME as this kernel numbers it (enum req_op, 6.0+; the same values before). */
#define REQ_OP_VAL(name, old)                                    \
	(bpf_core_enum_value_exists(enum req_op, name) ?         \
		 (__u32)bpf_core_enum_value(enum req_op, name) : \
		 (__u32)(old))

static __always_inline __u32 op_of(__u32 flags)
{
	/* REQ_OP_MASK: the bits below the first flag (REQ_OP_BITS, 8 since 4.10). */
	__u32 bits = bpf_core_enum_value_exists(enum req_flag_bits, __REQ_FAILFAST_DEV) ?
			     bpf_core_enum_value(enum req_flag_bits, __REQ_FAILFAST_DEV) :
			     8;
	__u32 op = flags & ((1U << (bits & 31)) - 1);

	if (op == REQ_OP_VAL(REQ_OP_READ, 0))
		return IO_OP_READ;
	if (op == REQ_OP_VAL(REQ_OP_WRITE, 1))
		return IO_OP_WRITE;
	if (op == REQ_OP_VAL(REQ_OP_FLUSH, 2))
		return IO_OP_FLUSH;
	if (op == REQ_OP_VAL(REQ_OP_DISCARD, 3))
		return IO_OP_DISCARD;
	if (op == REQ_OP_VAL(REQ_OP_WRITE_ZEROES, 9))
		return IO_OP_WRITE_ZEROES;
	return IO_OP_OTHER;
}

/* The request's record, created on first sight; its owner from its first bio. */
static __always_inline struct io_req *req_get(struct request *rq)
{
	__u64 key = (__u64)rq, bio;
	struct io_req zero = {};
	struct io_owner *o;
	struct io_req *r;

	r = bpf_map_lookup_elem(&io_reqs, &key);
	if (r)
		return r;
	if (filter_dev && disk_dev(lt_rq_disk(rq)) != filter_dev)
		return NULL;
	if (bpf_map_update_elem(&io_reqs, &key, &zero, BPF_NOEXIST)) {
		lt_stat_inc(LT_STAT_START_FULL);
		return NULL;
	}
	r = bpf_map_lookup_elem(&io_reqs, &key);
	if (!r)
		return NULL;
	bio = (__u64)BPF_CORE_READ(rq, bio);
	o = bio ? bpf_map_lookup_elem(&io_bios, &bio) : NULL;
	if (o) {
		r->owner = *o;
		bpf_map_delete_elem(&io_bios, &bio);
	} else if (!bio && op_of(BPF_CORE_READ(rq, cmd_flags)) == IO_OP_FLUSH) {
		__u32 dev = disk_dev(lt_rq_disk(rq));

		o = bpf_map_lookup_elem(&io_flush_owner, &dev);
		if (o) {
			r->owner = *o;
			bpf_map_delete_elem(&io_flush_owner, &dev);
		}
	}
	return r;
}

static __always_inline void rq_insert(struct request *rq)
{
	struct io_req *r = req_get(rq);

	if (r)
		r->insert_ns = bpf_ktime_get_ns();
}

static __always_inline void rq_issue(struct request *rq)
{
	struct io_req *r = req_get(rq);

	if (r)
		r->issue_ns = bpf_ktime_get_ns();
}

static __always_inline __u32 flags_of(__u32 flags)
{
	__u32 f = 0;

	if (flags & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_SYNC)))
		f |= IO_F_SYNC;
	if (flags & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_META)))
		f |= IO_F_META;
	if (flags & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_FUA)))
		f |= IO_F_FUA;
	if (flags & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH)))
		f |= IO_F_PREFLUSH;
	if (flags & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_BACKGROUND)))
		f |= IO_F_WRITEBACK;
	return f;
}

static __always_inline void rq_complete(struct request *rq)
{
	__u64 key = (__u64)rq, now = bpf_ktime_get_ns();
	struct lt_stack_key k = {};
	struct io_req *r = bpf_map_lookup_elem(&io_reqs, &key);
	struct gendisk *disk;
	__u32 cmd, op, fl;

	if (!r)
		return;
	if (!r->issue_ns || (filter_tasks && !r->owner.known) ||
	    now - r->issue_ns < min_lat_ns) /* issued before attach, or filtered */
		goto out;
	disk = lt_rq_disk(rq);
	cmd = BPF_CORE_READ(rq, cmd_flags);
	op = op_of(cmd);
	fl = flags_of(cmd);
	k.aux2 = disk_dev(disk);
	k.kstack = LT_NO_KSTACK;
	/* Flusher threads (kworker/...) write back what others dirtied. */
	if (r->owner.known && r->owner.comm[0] == 'k' && r->owner.comm[1] == 'w' &&
	    r->owner.comm[2] == 'o' && r->owner.comm[3] == 'r' && r->owner.comm[4] == 'k' &&
	    r->owner.comm[5] == 'e' && r->owner.comm[6] == 'r')
		fl |= IO_F_WRITEBACK;
	if (want_stacks && r->owner.known) {
		k.tgid = r->owner.tgid;
		k.pid = r->owner.pid;
		k.kstack = r->owner.kstack;
		k.ustack = r->owner.ustack;
		__builtin_memcpy(k.comm, r->owner.comm, sizeof(k.comm));
	} /* else per disk (aux2): user space names it (io_aux_root) */
	k.aux = io_aux_encode((struct io_aux){ .op = op, .flags = fl, .phase = IO_PHASE_DEVICE });
	lt_agg_add(&k, (now - r->issue_ns) / 1000);
	if (r->insert_ns && r->insert_ns <= r->issue_ns) {
		k.aux = io_aux_encode(
			(struct io_aux){ .op = op, .flags = fl, .phase = IO_PHASE_QUEUE });
		lt_agg_add(&k, (r->issue_ns - r->insert_ns) / 1000);
	}
out:
	bpf_map_delete_elem(&io_reqs, &key);
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(io_bio_queue_btf, struct bio *bio)
{
	bio_queue(ctx, bio);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(io_rq_insert_btf, struct request *rq)
{
	rq_insert(rq);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(io_rq_issue_btf, struct request *rq)
{
	rq_issue(rq);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(io_rq_complete_btf, struct request *rq)
{
	rq_complete(rq);
	return 0;
}

/* raw_tp: arguments as u64s; before v5.11 the request is the second (lt_rq_arg). */
SEC("raw_tp/block_bio_queue")
int io_bio_queue_raw(struct bpf_raw_tracepoint_args *ctx)
{
	bio_queue(ctx, (struct bio *)ctx->args[0]);
	return 0;
}

SEC("raw_tp/block_rq_insert")
int io_rq_insert_raw(struct bpf_raw_tracepoint_args *ctx)
{
	rq_insert((struct request *)ctx->args[lt_rq_arg ? 1 : 0]);
	return 0;
}

SEC("raw_tp/block_rq_issue")
int io_rq_issue_raw(struct bpf_raw_tracepoint_args *ctx)
{
	rq_issue((struct request *)ctx->args[lt_rq_arg ? 1 : 0]);
	return 0;
}

SEC("raw_tp/block_rq_complete")
int io_rq_complete_raw(struct bpf_raw_tracepoint_args *ctx)
{
	rq_complete((struct request *)ctx->args[0]);
	return 0;
}

/* ---- syscall mode (--syscalls) ---------------------------------------- */

const volatile __u8 sys_mode = 0;
const volatile __u64 slower_ns = 0; /* --slower: send operations at least this slow */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192); /* files seen */
	__type(key, __u32);
	__type(value, struct io_file);
} io_files SEC(".maps");

/* A file record is too big for the BPF stack: built here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct io_file);
} io_file_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} io_slow SEC(".maps");

/* Number to op (-1: not timed); op to "has a file offset". */
LT_SYSCALL_OP_FNS(IO_SYS_CALLS, sys_op, op_has_pos)

/*
 * A file's id: its device, inode number and generation. A filesystem that
 * reuses an inode number (ext4, after an unlink) gives the new file another
 * generation, so it is not taken for the old one (SQLite's -journal,
 * unlinked, its inode reused by -wal).
 */
static __always_inline __u32 file_id(__u32 dev, __u64 ino, __u32 gen)
{
	__u64 h = (ino ^ ((__u64)dev << 40)) * 0x9e3779b97f4a7c15ULL;

	h = (h ^ gen) * 0x9e3779b97f4a7c15ULL;
	return (__u32)(h >> 32) ?: 1;
}

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_SEQPACKET 5

static __always_inline __u64 mix64(__u64 h, __u64 v)
{
	return (h ^ v) * 0x100000001b3ULL;
}

/* A unix socket's bound path into s->path ("" unbound). */
static __always_inline void unix_path(const struct sock *sk, struct io_sock *s)
{
	struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
	int len;

	if (!ua)
		return;
	len = BPF_CORE_READ(ua, len) - (int)sizeof(__u16); /* less sun_family */
	if (len <= 0)
		return;
	if (len > IO_SOCK_PATH_LEN)
		len = IO_SOCK_PATH_LEN;
	/* name is the last member of a layout unchanged since v4.x */
	bpf_probe_read_kernel(s->path, (__u32)len,
			      (const char *)ua + offsetof(struct unix_address, name) +
				      sizeof(__u16));
}

/*
 * The socket behind an inode: what it talks to, into s, and an id made of
 * that alone (never the inode: one per connection).
 */
static __always_inline __u32 note_sock(struct file *file, struct io_sock *s)
{
	struct socket *so = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(so, sk);
	__u16 family, type, proto;
	__u64 h = 0xcbf29ce484222325ULL;

	__builtin_memset(s, 0, sizeof(*s));
	s->kind = IO_SOCK_OTHER;
	if (!sk)
		goto out;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	type = BPF_CORE_READ(sk, sk_type);
	proto = BPF_CORE_READ(sk, sk_protocol);
	s->family = family;
	if ((family == AF_INET || family == AF_INET6) &&
	    (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));

		s->kind = proto == IPPROTO_TCP ? IO_SOCK_TCP : IO_SOCK_UDP;
		if (family == AF_INET6)
			BPF_CORE_READ_INTO(&s->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		else
			BPF_CORE_READ_INTO((__u32 *)s->addr, sk, __sk_common.skc_daddr);
		/*
		 * Accepted here (listen.bpf.h): the client's address and our
		 * port. Else the peer's address and port. Unconnected: our port.
		 */
		if (!rport || (proto == IPPROTO_TCP && lt_accepted_here(lport, rport))) {
			s->port = lport;
			s->flags = rport ? IO_SOCK_ACCEPTED : 0;
		} else {
			s->port = rport;
		}
	} else if (family == AF_UNIX) {
		s->kind = type == SOCK_DGRAM	 ? IO_SOCK_UNIX_DGRAM :
			  type == SOCK_SEQPACKET ? IO_SOCK_UNIX_SEQPACKET :
						   IO_SOCK_UNIX_STREAM;
		unix_path(sk, s);
		if (!s->path[0] && !s->path[1]) { /* unbound: the peer's (the server's) */
			struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);

			if (peer)
				unix_path(peer, s);
		}
	} else if (family == AF_NETLINK) {
		s->kind = IO_SOCK_NETLINK;
	}
out:
	h = mix64(h, s->kind);
	h = mix64(h, s->family);
	h = mix64(h, s->port);
	h = mix64(h, s->flags);
	/* Only what the kind fills (the rest is zero): the path is 108 bytes. */
	if (s->kind == IO_SOCK_TCP || s->kind == IO_SOCK_UDP)
		for (int i = 0; i < 16; i++)
			h = mix64(h, s->addr[i]);
	else if (s->kind >= IO_SOCK_UNIX_STREAM && s->kind <= IO_SOCK_UNIX_SEQPACKET)
		for (int i = 0; i < IO_SOCK_PATH_LEN; i++)
			h = mix64(h, s->path[i]);
	return (__u32)(h >> 32) ?: 1;
}

/* Name the file behind fd of the current task, once per file. Returns its id, 0 if none. */
static __always_inline __u32 note_fd(__u32 tgid, __s32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds, *file;
	struct io_file *f;
	struct dentry *de;
	struct inode *inode;
	__u32 id, zero = 0;
	__u64 ino;
	__u32 dev;

	if (fd < 0)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	ino = BPF_CORE_READ(inode, i_ino);
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	f = bpf_map_lookup_elem(&io_file_scratch, &zero);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFSOCK) {
		if (!f)
			return 0;
		id = note_sock(file, &f->sock);
		if (bpf_map_lookup_elem(&io_files, &id))
			return id;
		f->ino = 0;
		f->dev = 0;
		f->tgid = tgid;
		f->fd = fd;
		f->depth = 0;
		f->at_root = 0;
		f->sock_kind = f->sock.kind;
		bpf_map_update_elem(&io_files, &id, f, BPF_NOEXIST);
		return id;
	}
	id = file_id(dev, ino, BPF_CORE_READ(inode, i_generation));
	if (bpf_map_lookup_elem(&io_files, &id))
		return id;
	if (!f)
		return id;
	f->sock_kind = IO_SOCK_NONE;
	f->ino = ino;
	f->dev = dev;
	f->tgid = tgid;
	f->fd = fd;
	f->depth = 0;
	f->at_root = 0;
	de = BPF_CORE_READ(file, f_path.dentry);
	/* The names up to the filesystem's root, whose parent is itself. */
	for (int i = 0; i < IO_PATH_DEPTH; i++) {
		struct dentry *up = BPF_CORE_READ(de, d_parent);

		if (!up || up == de) {
			f->at_root = 1;
			break;
		}
		bpf_probe_read_kernel_str(f->names[i], IO_NAME_LEN, BPF_CORE_READ(de, d_name.name));
		f->depth = i + 1;
		de = up;
	}
	if (!f->at_root) {
		struct dentry *up = BPF_CORE_READ(de, d_parent);

		f->at_root = !up || up == de;
	}
	bpf_map_update_elem(&io_files, &id, f, BPF_NOEXIST);
	return id;
}

/* A timed call starts: op, its fd (a0), and its offset (a1 or a3) when has_pos. */
static __always_inline void sys_enter_args(void *ctx, int op, __u64 a0, __u64 a1, __u64 a3,
					   bool has_pos)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, pid = (__u32)id;
	struct lt_call c = {};

	if (op < 0 || !lt_current_selected(tgid, pid))
		return;
	c.op = op;
	c.offset = -1;
	if (has_pos)
		c.offset = (__s64)(op == IO_SYS_SYNC_FILE_RANGE ? a1 : a3);
	if (op != IO_SYS_OPENAT)
		c.obj = note_fd(tgid, (__s32)a0);
	lt_call_begin(ctx, &c);
}

/* The current thread's timed call returns ret. */
static __always_inline void sys_exit_ret(long ret)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), lat;
	__u32 tgid = id >> 32, pid = (__u32)id;
	struct lt_stack_key k = {};
	struct lt_call *c = lt_call_get();
	struct io_slow_event *e;

	if (!c)
		return;
	lat = now - c->ts;
	if (c->op == IO_SYS_OPENAT && ret >= 0)
		c->obj = note_fd(tgid, (__s32)ret); /* the file it opened */
	if (lat >= min_lat_ns) {
		lt_call_key(c, &k,
			    io_aux_encode((struct io_aux){ .op = c->op, .failed = ret < 0 }));
		lt_agg_add2(&k, lat / 1000, ret > 0 && c->op != IO_SYS_OPENAT ? (__u64)ret : 0);
	}
	if (slower_ns && lat >= slower_ns) {
		e = bpf_ringbuf_reserve(&io_slow, sizeof(*e), 0);
		if (!e) {
			lt_stat_inc(LT_STAT_RINGBUF_LOST);
		} else {
			e->ts_ns = now;
			e->lat_ns = lat;
			e->ret = ret;
			e->offset = c->offset;
			e->tgid = tgid;
			e->pid = pid;
			e->op = c->op;
			e->file = c->obj;
			bpf_get_current_comm(e->comm, sizeof(e->comm));
			bpf_ringbuf_submit(e, 0);
		}
	}
	lt_call_end();
}

/* From raw_syscalls:sys_enter to sys_exit (syscall_lat.bpf.h). */
LT_SYSCALL_RAW(io_sys, sys_op, sys_enter_args(ctx, op, args[0], args[1], args[3], op_has_pos(op)),
	       sys_exit_ret(ret))

/* The same by fentry/fexit where the kernel has BPF trampolines. */
#define IO_FSYS(name, op, pos)                                                         \
	LT_SYSCALL_FENTRY(io_fsys, name,                                               \
			  sys_enter_args(ctx, op, regs->di, regs->si, regs->r10, pos), \
			  sys_exit_ret(ret))

#define IO_FSYS_CALL(op, name, nr, pos) IO_FSYS(name, op, pos)
IO_SYS_CALLS(IO_FSYS_CALL)

/* A listen() while tracing: its port keys the connections accepted on it. */
SEC("raw_tp/inet_sock_set_state")
int io_listen_raw(struct bpf_raw_tracepoint_args *ctx)
{
	lt_listen_note((const struct sock *)ctx->args[0], (int)ctx->args[2]);
	return 0;
}
