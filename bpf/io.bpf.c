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
#include "io.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u8 want_stacks = 0; /* --stacks */
const volatile __u8 want_ustack = 1;
const volatile __u8 want_kstack = 1;
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
		o.kstack = want_kstack ? lt_kstack_get(ctx) : LT_NO_KSTACK;
		o.ustack = want_ustack ? lt_ustack_get(ctx) : LT_NO_USTACK;
	} else {
		o.kstack = LT_NO_KSTACK;
	}
	if (bpf_map_update_elem(&io_bios, &key, &o, BPF_ANY))
		lt_stat_inc(LT_STAT_START_FULL);
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

static __always_inline __u32 op_of(__u32 flags)
{
	switch (flags & 0xff) { /* REQ_OP_MASK */
	case 0: return IO_OP_READ;
	case 1: return IO_OP_WRITE;
	case 2: return IO_OP_FLUSH;
	case 3: return IO_OP_DISCARD;
	case 9: return IO_OP_WRITE_ZEROES;
	default: return IO_OP_OTHER;
	}
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
	if (want_stacks && r->owner.known) {
		k.tgid = r->owner.tgid;
		k.pid = r->owner.pid;
		k.kstack = r->owner.kstack;
		k.ustack = r->owner.ustack;
		__builtin_memcpy(k.comm, r->owner.comm, sizeof(k.comm));
	} else {
		/* Per disk: the comm slot carries its name (vda, nvme0n1). */
		bpf_probe_read_kernel_str(k.comm, sizeof(k.comm), disk->disk_name);
	}
	k.aux = IO_AUX(op, fl, IO_PHASE_DEVICE);
	lt_agg_add(&k, (now - r->issue_ns) / 1000);
	if (r->insert_ns && r->insert_ns <= r->issue_ns) {
		k.aux = IO_AUX(op, fl, IO_PHASE_QUEUE);
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
