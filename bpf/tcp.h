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

enum tcp_event {
	TCP_EV_CONNECT, /* SYN_SENT -> ESTABLISHED: latency */
	TCP_EV_CONNECT_FAILED, /* SYN_SENT -> CLOSE: time to failure; aux has the errno */
	TCP_EV_RETRANSMIT,
	TCP_EV_SEND_RESET,
	TCP_EV_RECV_RESET,
	TCP_EV_RTT, /* --rtt: a smoothed RTT sample of the peer, in us */
};

/* --wait: the socket calls timed (their names, in this order, are in user/tcp.c). */
enum tcp_wait_op {
	TCP_W_READ,
	TCP_W_WRITE,
	TCP_W_POLL,
	TCP_W_READV,
	TCP_W_WRITEV,
	TCP_W_SELECT,
	TCP_W_CONNECT,
	TCP_W_ACCEPT,
	TCP_W_SENDTO,
	TCP_W_RECVFROM,
	TCP_W_SENDMSG,
	TCP_W_RECVMSG,
	TCP_W_EPOLL_WAIT,
	TCP_W_PSELECT6,
	TCP_W_PPOLL,
	TCP_W_EPOLL_PWAIT,
	TCP_W_ACCEPT4,
	TCP_W_RECVMMSG,
	TCP_W_SENDMMSG,
	TCP_W_EPOLL_PWAIT2,
	TCP_W_NR,
};

#define TCP_EV_WAIT 0x80 /* aux: a --wait sample; the low bits are the tcp_wait_op */
#define TCP_WAIT_FAILED 0x40 /* aux: the call returned an error */

#define TCP_AUX(ev, err) ((ev) | (err) << 8)
#define TCP_AUX_EV(aux) ((aux)&0xff)
#define TCP_AUX_ERR(aux) (((aux) >> 8) & 0xffff)

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
