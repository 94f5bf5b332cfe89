/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The local ports something listens on, for the BPF programs that key a
 * connection by service rather than by a client's ephemeral port (tcp's
 * peers, io's sockets): see bpf/listen.bpf.h.
 */
#ifndef LT_LISTEN_H
#define LT_LISTEN_H
#include "target.h"

/*
 * Put into map_fd (lt_listen) the TCP ports in LISTEN now, in latprof's
 * network namespace and in each -p target's (sock_diag, as ss -l reads
 * them). What cannot be read is said (a warning for our namespace, -v for a
 * target's): BPF then falls back on the ephemeral port range. Cannot fail.
 */
void lt_listen_fill(int map_fd, const struct lt_target *t);

#endif
