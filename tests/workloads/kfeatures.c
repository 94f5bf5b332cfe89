// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What this kernel's BPF offers, found apart from latprof (which tries its
 * variants in turn): kmatrix derives from it the attach mechanisms latprof
 * must have chosen. Each feature is tried for real with a program that does
 * nothing, and printed as "NAME yes" or "NAME no (why)":
 *
 *   tp_btf        a BTF-enabled tracepoint program loads and attaches (sched_switch)
 *   raw_tp        a raw tracepoint program attaches (sched_switch)
 *   fentry        a BPF trampoline: fentry on a kernel function loads and attaches
 *   rdonly_cast   the bpf_rdonly_cast kfunc is in the kernel's BTF (6.2)
 *   bpf_loop      the bpf_loop helper, in kprobe programs (5.17)
 *   find_vma      the bpf_find_vma helper, in kprobe programs (5.17)
 *   task_storage  bpf_task_storage_get in kprobe programs (uprobes: 6.2)
 *   uprobe_multi  uprobe_multi links (6.6)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* r0 = 0; exit */
static const struct bpf_insn ret0[2] = { { .code = BPF_ALU64 | BPF_MOV | BPF_K },
					 { .code = BPF_JMP | BPF_EXIT } };

static void say(const char *name, int err)
{
	if (!err)
		printf("%s yes\n", name);
	else
		printf("%s no (%s)\n", name, strerror(err < 0 ? -err : err));
}

/* A tracing program of attach type at on vmlinux's BTF type id, loaded and attached. */
static int tracing(struct btf *vml, const char *type, int kind, enum bpf_attach_type at)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at);
	int id = btf__find_by_name_kind(vml, type, kind), prog, link;

	if (id < 0)
		return -ENOENT;
	o.attach_btf_id = (__u32)id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &o);
	if (prog < 0)
		return -errno;
	link = bpf_raw_tracepoint_open(NULL, prog);
	link = link < 0 ? -errno : (close(link), 0);
	close(prog);
	return link;
}

static int raw_tp(void)
{
	int prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", ret0, 2, NULL), link;

	if (prog < 0)
		return -errno;
	link = bpf_raw_tracepoint_open("sched_switch", prog);
	link = link < 0 ? -errno : (close(link), 0);
	close(prog);
	return link;
}

static int helper(enum bpf_func_id id)
{
	int r = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, id, NULL);

	return r == 1 ? 0 : r == 0 ? -EOPNOTSUPP : r;
}

/* As latprof's lt_have_uprobe_multi(): a uprobe in "/" fails for not being a file. */
struct uprobe_multi_attr {
	__u32 prog_fd, target_fd, attach_type, flags;
	__u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, um_flags, pid;
};

static int uprobe_multi(void)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = (enum bpf_attach_type)48);
	struct uprobe_multi_attr a;
	__u64 off = 0;
	int prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0, 2, &o);
	long link;

	if (prog < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog;
	a.attach_type = 48;
	a.path = (__u64)(unsigned long)"/";
	a.offsets = (__u64)(unsigned long)&off;
	a.cnt = 1;
	link = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	link = link >= 0 ? (close((int)link), -EINVAL) : errno == EBADF ? 0 : -errno;
	close(prog);
	return (int)link;
}

int main(void)
{
	struct btf *vml = btf__load_vmlinux_btf();

	libbpf_set_print(NULL);
	if (!vml) {
		printf("btf no (%s)\n", strerror(errno));
		return 1;
	}
	printf("kernel-btf yes\n");
	say("tp_btf", tracing(vml, "btf_trace_sched_switch", BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP));
	say("raw_tp", raw_tp());
	say("fentry", tracing(vml, "do_nanosleep", BTF_KIND_FUNC, BPF_TRACE_FENTRY));
	say("rdonly_cast",
	    btf__find_by_name_kind(vml, "bpf_rdonly_cast", BTF_KIND_FUNC) < 0 ? -ENOENT : 0);
	say("bpf_loop", helper(BPF_FUNC_loop));
	say("find_vma", helper(BPF_FUNC_find_vma));
	say("task_storage", helper(BPF_FUNC_task_storage_get));
	say("uprobe_multi", uprobe_multi());
	btf__free(vml);
	return 0;
}
