// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof tcp: connect latency from SYN_SENT to ESTABLISHED (or to CLOSE,
 * for failed connects), charged to the connecting task's stacks and the
 * peer, from sock:inet_sock_set_state; retransmits and resets counted per
 * connection from the tcp tracepoints. Addresses are read from the socket
 * with CO-RE, not from the tracepoint records, whose layout changed.
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
#include "tcp.h"
#include "listen.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10

const volatile __u16 filter_lport = 0; /* -L */
const volatile __u16 filter_rport = 0; /* -D */
const volatile __u8 life_mode = 0; /* --life */
const volatile __u8 wait_mode = 0; /* --wait */
const volatile __u8 rtt_mode = 0; /* --rtt */

/* --life: a connection's birth and the task it belongs to, by socket. */
struct tcp_birth {
	__u64 ts;
	__u32 tgid, pid;
	char comm[LT_COMM_LEN];
	struct tcp_addr local, remote; /* at ESTABLISHED: by CLOSE the local port is gone */
	__u8 active; /* opened by connect(): the SYN is in bytes_acked */
	__u8 fin_out_acked; /* our FIN was acknowledged: it is in bytes_acked */
	__u8 fin_in; /* the peer's FIN arrived: it is in bytes_received */
	__u8 have_addrs;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* connections open at once */
	__type(key, __u64);
	__type(value, struct tcp_birth);
} tcp_births SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} tcp_events SEC(".maps");

/* A connect in flight: who, from where, since when. */
struct tcp_start {
	__u64 ts;
	__u64 ustack;
	__s32 kstack;
	__u32 tgid, pid;
	char comm[LT_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* connects in flight */
	__type(key, __u64);
	__type(value, struct tcp_start);
} tcp_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct tcp_peer);
} tcp_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tcp_count_key);
	__type(value, __u64);
} tcp_counts SEC(".maps");

static __always_inline void sk_addrs(const struct sock *sk, struct tcp_addr *local,
				     struct tcp_addr *remote)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	local->family = remote->family = family;
	local->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	remote->port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&local->addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&remote->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)local->addr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)remote->addr, sk, __sk_common.skc_daddr);
	}
}

static __always_inline bool ports_wanted(const struct tcp_addr *l, const struct tcp_addr *r)
{
	return (!filter_lport || l->port == filter_lport) &&
	       (!filter_rport || r->port == filter_rport);
}

static __always_inline __u32 peer_id(const struct tcp_addr *r, __u32 flags)
{
	__u64 h = 0xcbf29ce484222325ULL;
	struct tcp_peer p = {};

	for (int i = 0; i < 16; i++)
		h = (h ^ r->addr[i]) * 0x100000001b3ULL;
	h = (h ^ r->port) * 0x100000001b3ULL;
	h = (h ^ r->family) * 0x100000001b3ULL;
	h = (h ^ flags) * 0x100000001b3ULL;
	p.remote = *r;
	p.flags = flags;
	bpf_map_update_elem(&tcp_peers, &(__u32){ (__u32)(h >> 32) ?: 1 }, &p, BPF_NOEXIST);
	return (__u32)(h >> 32) ?: 1;
}

const volatile __u8 per_connection = 0; /* --per-connection */

/*
 * The peer a sample of a connection (l, r) is keyed by: one key per peer and
 * service, not per connection. A connection accepted here (listen.bpf.h) is
 * keyed by the peer's address and our port, so each client's ephemeral port
 * does not make a key of its own; any other by the peer's address and port.
 * --per-connection: always by the peer's address and port.
 */
static __always_inline __u32 conn_peer(const struct tcp_addr *l, const struct tcp_addr *r)
{
	struct tcp_addr p = *r;

	if (per_connection || !lt_accepted_here(l->port, r->port))
		return peer_id(r, 0);
	p.port = l->port;
	return peer_id(&p, TCP_PEER_ACCEPTED);
}

/*
 * --life, as tcplife does it: born at the first state change, owned by the
 * task seen in process context (connect() going to SYN_SENT, or close()
 * going to FIN_WAIT1 or LAST_ACK), reported when it reaches CLOSE.
 */
static __always_inline void life(const struct sock *sk, int old, int new)
{
	__u64 key = (__u64)sk, id = bpf_get_current_pid_tgid();
	struct tcp_birth *b, nb = {};
	struct tcp_life_event *e;
	struct tcp_addr l, r;
	struct tcp_sock *tp;

	b = bpf_map_lookup_elem(&tcp_births, &key);
	if (new != TCP_CLOSE) {
		if (!b) {
			nb.ts = bpf_ktime_get_ns();
			if (bpf_map_update_elem(&tcp_births, &key, &nb, BPF_NOEXIST))
				lt_stat_inc(LT_STAT_START_FULL);
			b = bpf_map_lookup_elem(&tcp_births, &key);
			if (!b)
				return;
		}
		if (!b->tgid &&
		    (new == TCP_SYN_SENT || new == TCP_FIN_WAIT1 || new == TCP_LAST_ACK) &&
		    id >> 32) {
			b->tgid = id >> 32;
			b->pid = (__u32)id;
			bpf_get_current_comm(b->comm, sizeof(b->comm));
		}
		if (new == TCP_SYN_SENT)
			b->active = 1;
		if (new == TCP_ESTABLISHED) {
			sk_addrs(sk, &b->local, &b->remote);
			b->have_addrs = 1;
		}
		/* The SYN and FIN take a sequence number each: the byte counters
		 * include them. Which were exchanged shows in the states passed. */
		if (new == TCP_FIN_WAIT2 || (old == TCP_CLOSING && new == TCP_TIME_WAIT))
			b->fin_out_acked = 1;
		if (new == TCP_CLOSE_WAIT || new == TCP_CLOSING || new == TCP_TIME_WAIT)
			b->fin_in = 1;
		return;
	}
	if (!b)
		return; /* born before attach */
	if (old == TCP_LAST_ACK)
		b->fin_out_acked = 1; /* LAST_ACK ends when our FIN is acknowledged */
	if (old == TCP_FIN_WAIT2)
		b->fin_in = 1; /* FIN_WAIT2 ends with the peer's FIN (or its timeout) */
	if (b->have_addrs) {
		l = b->local;
		r = b->remote;
	} else {
		sk_addrs(sk, &l, &r);
	}
	if (old == TCP_SYN_SENT || !ports_wanted(&l, &r) ||
	    (b->tgid && !lt_ids_selected(b->tgid, b->pid)) ||
	    (!b->tgid && lt_targ_ntgids + lt_targ_ntids))
		goto out; /* a failed connect is no lifetime; or filtered */
	e = bpf_ringbuf_reserve(&tcp_events, sizeof(*e), 0);
	if (!e) {
		lt_stat_inc(LT_STAT_RINGBUF_LOST);
		goto out;
	}
	tp = (struct tcp_sock *)sk;
	e->local = l;
	e->remote = r;
	e->duration_ns = bpf_ktime_get_ns() - b->ts;
	e->tx_bytes = BPF_CORE_READ(tp, bytes_acked) - b->active - b->fin_out_acked;
	e->rx_bytes = BPF_CORE_READ(tp, bytes_received) - b->fin_in;
	e->tgid = b->tgid;
	e->pid = b->pid;
	__builtin_memcpy(e->comm, b->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&tcp_births, &key);
}

static __always_inline void set_state(void *ctx, const struct sock *sk, int old, int new)
{
	__u64 key = (__u64)sk, id, now;
	struct tcp_addr l, r;
	struct lt_stack_key k = {};
	struct tcp_start *s, st = {};

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return;
	if (life_mode) {
		life(sk, old, new);
		return;
	}
	if (new == LT_TCP_LISTEN) { /* a listen() after the start: its port keys its clients */
		lt_listen_note(sk, new);
		return;
	}
	if (wait_mode || rtt_mode)
		return; /* --wait times connect() as a call; --rtt has no connects */
	if (new == TCP_SYN_SENT) {
		/* connect(): the connecting task is current. */
		id = bpf_get_current_pid_tgid();
		st.tgid = id >> 32;
		st.pid = (__u32)id;
		if (!lt_current_selected(st.tgid, st.pid))
			return;
		bpf_get_current_comm(st.comm, sizeof(st.comm));
		st.kstack = lt_kstack_want(ctx);
		st.ustack = lt_ustack_want(ctx, NULL);
		st.ts = bpf_ktime_get_ns();
		if (bpf_map_update_elem(&tcp_starts, &key, &st, BPF_ANY))
			lt_stat_inc(LT_STAT_START_FULL);
		return;
	}
	if (old != TCP_SYN_SENT)
		return;
	s = bpf_map_lookup_elem(&tcp_starts, &key);
	if (!s)
		return;
	now = bpf_ktime_get_ns();
	sk_addrs(sk, &l, &r);
	if (ports_wanted(&l, &r)) {
		k.tgid = s->tgid;
		k.pid = s->pid;
		k.ustack = s->ustack;
		k.kstack = s->kstack;
		__builtin_memcpy(k.comm, s->comm, sizeof(k.comm));
		k.aux2 = peer_id(&r, 0); /* connect(): ours, to the peer's port */
		if (new == TCP_ESTABLISHED)
			k.aux = tcp_aux_encode((struct tcp_aux){ .event = TCP_EV_CONNECT });
		else /* CLOSE: refused, reset, timed out: the socket's error says which */
			k.aux = tcp_aux_encode((struct tcp_aux){
				.event = TCP_EV_CONNECT_FAILED, .err = BPF_CORE_READ(sk, sk_err) });
		lt_agg_add(&k, (now - s->ts) / 1000);
	}
	bpf_map_delete_elem(&tcp_starts, &key);
}

/*
 * Retransmits and resets: counted per peer as conn_peer() keys it (per
 * connection with --per-connection), in the state the connection was in.
 */
static __always_inline void count(const struct sock *sk, __u32 event)
{
	struct tcp_count_key k = {};
	__u64 one = 1, *v;

	if (!sk)
		return; /* a reset sent for no socket */
	sk_addrs(sk, &k.local, &k.remote);
	if (!ports_wanted(&k.local, &k.remote))
		return;
	if (!per_connection) {
		if (lt_accepted_here(k.local.port, k.remote.port)) {
			k.remote.port = k.local.port;
			k.flags = TCP_PEER_ACCEPTED;
		}
		__builtin_memset(&k.local, 0, sizeof(k.local));
	}
	k.event = event;
	k.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	v = bpf_map_lookup_elem(&tcp_counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else if (bpf_map_update_elem(&tcp_counts, &k, &one, BPF_NOEXIST))
		lt_stat_inc(LT_STAT_AGG_FULL);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state_btf, const struct sock *sk, int old, int new)
{
	set_state(ctx, sk, old, new);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_btf, const struct sock *sk)
{
	count(sk, TCP_EV_RETRANSMIT);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset_btf, const struct sock *sk)
{
	count(sk, TCP_EV_SEND_RESET);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcp_recv_reset_btf, const struct sock *sk)
{
	count(sk, TCP_EV_RECV_RESET);
	return 0;
}

SEC("raw_tp/inet_sock_set_state")
int tcp_state_raw(struct bpf_raw_tracepoint_args *ctx)
{
	set_state(ctx, (const struct sock *)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2]);
	return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int tcp_retransmit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	count((const struct sock *)ctx->args[0], TCP_EV_RETRANSMIT);
	return 0;
}

SEC("raw_tp/tcp_send_reset")
int tcp_send_reset_raw(struct bpf_raw_tracepoint_args *ctx)
{
	count((const struct sock *)ctx->args[0], TCP_EV_SEND_RESET);
	return 0;
}

SEC("raw_tp/tcp_receive_reset")
int tcp_recv_reset_raw(struct bpf_raw_tracepoint_args *ctx)
{
	count((const struct sock *)ctx->args[0], TCP_EV_RECV_RESET);
	return 0;
}

/* ---- --wait: socket calls by stack and peer ---------------------------- */

/* Number to op (-1: not timed); op to "takes an fd first" (poll, select, epoll_wait do not). */
LT_SYSCALL_OP_FNS(TCP_WAIT_CALLS, wait_op, fd_op)

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* The TCP socket behind fd of the current task, or NULL. */
static __always_inline struct sock *fd_sock(__s32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds, *file;
	struct socket *so;
	struct sock *sk;

	if (fd < 0)
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

/* A socket call starts: op, and its first argument a0 (the fd, for most). */
static __always_inline void wait_enter(void *ctx, int op, __u64 a0)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_call c = {};

	if (op < 0 || !lt_current_selected(id >> 32, (__u32)id))
		return;
	c.op = op;
	c.offset = fd_op(op) ? (__s64)(__s32)a0 : -1; /* the fd */
	/* read/write and friends on something other than a TCP socket: not ours. */
	if (c.offset >= 0 && op != TCP_W_ACCEPT && op != TCP_W_ACCEPT4 && !fd_sock(c.offset))
		return;
	lt_call_begin(ctx, &c);
}

/* The current thread's socket call returns ret. */
static __always_inline void wait_exit(long ret)
{
	struct lt_call *c = lt_call_get();
	struct lt_stack_key k = {};
	struct tcp_addr l, r;
	struct sock *sk = NULL;
	__u64 lat;
	__u32 aux;

	if (!c)
		return;
	lat = bpf_ktime_get_ns() - c->ts;
	/* The peer: the accepted connection's, or the socket's it was called on. */
	if ((c->op == TCP_W_ACCEPT || c->op == TCP_W_ACCEPT4) && ret >= 0)
		sk = fd_sock((__s32)ret);
	else if (c->offset >= 0)
		sk = fd_sock((__s32)c->offset);
	if (sk) {
		sk_addrs(sk, &l, &r);
		if (!ports_wanted(&l, &r))
			goto out;
		c->obj = r.port ? conn_peer(&l, &r) : 0;
	} else if (filter_lport || filter_rport) {
		goto out;
	}
	aux = tcp_aux_encode(
		(struct tcp_aux){ .event = TCP_EV_WAIT, .op = c->op, .failed = ret < 0 });
	lt_call_key(c, &k, aux);
	lt_agg_add2(&k, lat / 1000,
		    ret > 0 && c->op != TCP_W_ACCEPT && c->op != TCP_W_ACCEPT4 &&
				    c->op != TCP_W_CONNECT && fd_op(c->op) ?
			    (__u64)ret :
			    0);
out:
	lt_call_end();
}

/* From raw_syscalls:sys_enter to sys_exit (syscall_lat.bpf.h). */
LT_SYSCALL_RAW(tcp_sys, wait_op, wait_enter(ctx, op, args[0]), wait_exit(ret))

/* The same by fentry/fexit where the kernel has BPF trampolines. */
#define TCP_FSYS(name, op) \
	LT_SYSCALL_FENTRY(tcp_fsys, name, wait_enter(ctx, op, regs->di), wait_exit(ret))

#define TCP_FSYS_CALL(op, name, nr, fd) TCP_FSYS(name, op)
TCP_WAIT_CALLS(TCP_FSYS_CALL)

/* ---- --rtt: smoothed RTT per peer ------------------------------------- */

/* Each segment received on an established connection: its srtt, per peer. */
static __always_inline void rtt_sample(const struct sock *sk)
{
	struct lt_stack_key k = {};
	struct tcp_addr l, r;
	__u32 srtt;

	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return;
	sk_addrs(sk, &l, &r);
	if (!ports_wanted(&l, &r))
		return;
	srtt = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3; /* stored << 3 */
	if (!srtt)
		return;
	k.kstack = LT_NO_KSTACK;
	k.aux = tcp_aux_encode((struct tcp_aux){ .event = TCP_EV_RTT });
	k.aux2 = conn_peer(&l, &r);
	lt_agg_add(&k, srtt);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe_btf, struct sock *sk)
{
	rtt_sample(sk);
	return 0;
}

SEC("raw_tp/tcp_probe")
int tcp_probe_raw(struct bpf_raw_tracepoint_args *ctx)
{
	rtt_sample((const struct sock *)ctx->args[0]);
	return 0;
}
