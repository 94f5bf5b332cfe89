/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * latprof tcp: what crosses between its BPF program and user space. Connect
 * latency aggregates into the shared stack map with aux = event and error,
 * aux2 = the peer (an id into tcp_peers); counted events (retransmits,
 * resets) go to their own map, per connection.
 */
#ifndef LT_TCP_H
#define LT_TCP_H
#include "lt_types.h"
#include "stack_agg.h"
#include "syscall_list.h"

enum tcp_event {
	TCP_EV_CONNECT, /* SYN_SENT -> ESTABLISHED: latency */
	TCP_EV_CONNECT_FAILED, /* SYN_SENT -> CLOSE: time to failure, with the errno */
	TCP_EV_RETRANSMIT,
	TCP_EV_SEND_RESET,
	TCP_EV_RECV_RESET,
	TCP_EV_RTT, /* --rtt: a smoothed RTT sample of the peer, in us */
	TCP_EV_WAIT, /* --wait: time in a socket call */
};

/*
 * --wait: the socket calls timed, the one list of them:
 * X(TCP_W_OP, name, x86_64 number, 1 when the first argument is an fd), as
 * syscall_list.h describes. It makes enum tcp_wait_op, the names user space
 * prints, the number-to-op switch and the fentry/fexit pairs (bpf/tcp.bpf.c).
 */
#define TCP_WAIT_CALLS(X)                         \
	X(TCP_W_READ, read, 0, 1)                 \
	X(TCP_W_WRITE, write, 1, 1)               \
	X(TCP_W_POLL, poll, 7, 0)                 \
	X(TCP_W_READV, readv, 19, 1)              \
	X(TCP_W_WRITEV, writev, 20, 1)            \
	X(TCP_W_SELECT, select, 23, 0)            \
	X(TCP_W_CONNECT, connect, 42, 1)          \
	X(TCP_W_ACCEPT, accept, 43, 1)            \
	X(TCP_W_SENDTO, sendto, 44, 1)            \
	X(TCP_W_RECVFROM, recvfrom, 45, 1)        \
	X(TCP_W_SENDMSG, sendmsg, 46, 1)          \
	X(TCP_W_RECVMSG, recvmsg, 47, 1)          \
	X(TCP_W_EPOLL_WAIT, epoll_wait, 232, 0)   \
	X(TCP_W_PSELECT6, pselect6, 270, 0)       \
	X(TCP_W_PPOLL, ppoll, 271, 0)             \
	X(TCP_W_EPOLL_PWAIT, epoll_pwait, 281, 0) \
	X(TCP_W_ACCEPT4, accept4, 288, 1)         \
	X(TCP_W_RECVMMSG, recvmmsg, 299, 1)       \
	X(TCP_W_SENDMMSG, sendmmsg, 307, 1)       \
	X(TCP_W_EPOLL_PWAIT2, epoll_pwait2, 441, 0)

enum tcp_wait_op {
	TCP_WAIT_CALLS(LT_SYSCALL_ENUM) TCP_W_NR,
};

/* lt_stack_key.aux of a tcp sample (aux2 is the peer, below). */
#define TCP_AUX_FIELDS(X)                                              \
	X(event, 0, 8) /* enum tcp_event */                            \
	X(op, 8, 7) /* TCP_EV_WAIT: enum tcp_wait_op */                \
	X(failed, 15, 1) /* TCP_EV_WAIT: the call returned an error */ \
	X(err, 16, 16) /* TCP_EV_CONNECT_FAILED: the socket's errno */
LT_AUX_DEFINE(tcp_aux, TCP_AUX_FIELDS)

/* An endpoint: IPv4 addresses are in the first 4 bytes of addr. */
struct tcp_addr {
	__u8 addr[16];
	__u16 port; /* host order */
	__u16 family; /* AF_INET, AF_INET6 */
};

/*
 * tcp_peers: lt_stack_key.aux2 -> the peer a sample is keyed by. Never by an
 * ephemeral port unless --per-connection: for a connection accepted here
 * (TCP_PEER_ACCEPTED) remote.port is our local, listening port; for one we
 * opened, the peer's port.
 */
struct tcp_peer {
	struct tcp_addr remote;
	__u32 flags; /* TCP_PEER_* */
};

#define TCP_PEER_ACCEPTED 1 /* accepted here: remote.port is the local port */

/*
 * tcp_counts key: one event kind with one peer (as tcp_peer keys it: local
 * is zero), or with --per-connection on one connection, in one TCP state.
 */
struct tcp_count_key {
	struct tcp_addr local, remote;
	__u32 event; /* enum tcp_event */
	__u32 state; /* TCP_ESTABLISHED, TCP_SYN_SENT, ... as the kernel numbers them */
	__u32 flags; /* TCP_PEER_* */
};

/* --life: one closed connection, sent through the ring buffer. */
struct tcp_life_event {
	struct tcp_addr local, remote;
	__u64 duration_ns; /* first state change to CLOSE */
	__u64 tx_bytes; /* payload sent and acknowledged (bytes_acked less SYN and FIN) */
	__u64 rx_bytes; /* payload received (bytes_received less FIN) */
	__u32 tgid, pid; /* 0 when no task of it was seen */
	char comm[LT_COMM_LEN];
};

#endif
