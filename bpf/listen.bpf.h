/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which side of a TCP connection is the service: a connection accepted here
 * is keyed by our (listening) port, one we opened by the peer's port, never
 * by a client's ephemeral port (one key per connection filled the maps on a
 * busy server). User space fills lt_listen at the start (user/listen.c);
 * lt_listen_note() adds the listen()s that come later.
 */
#ifndef LT_LISTEN_BPF_H
#define LT_LISTEN_BPF_H

#define LT_LISTEN_MAX 4096
#define LT_TCP_LISTEN 10

const volatile __u16 eph_lo = 32768, eph_hi = 60999; /* ip_local_port_range */

/* Local ports in LISTEN. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_LISTEN_MAX);
	__type(key, __u16);
	__type(value, __u8);
} lt_listen SEC(".maps");

/*
 * Accepted here: our port is one something listens on; failing that, our
 * port lies outside the ephemeral range and the peer's inside.
 */
static __always_inline bool lt_accepted_here(__u16 lport, __u16 rport)
{
	return bpf_map_lookup_elem(&lt_listen, &lport) != NULL ||
	       ((lport < eph_lo || lport > eph_hi) && rport >= eph_lo && rport <= eph_hi);
}

/* sock:inet_sock_set_state to state new: a listen() notes its port. */
static __always_inline void lt_listen_note(const struct sock *sk, int new)
{
	__u16 port;
	__u8 one = 1;

	if (new != LT_TCP_LISTEN)
		return;
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (port)
		bpf_map_update_elem(&lt_listen, &port, &one, BPF_ANY);
}

#endif
