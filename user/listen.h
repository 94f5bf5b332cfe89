/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The local ports something listens on, for the BPF programs that key a
 * connection by service rather than by a client's ephemeral port (tcp's
 * peers, io's sockets): see bpf/listen.bpf.h.
 */
#ifndef LT_LISTEN_H
#define LT_LISTEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "target.h"

/*
 * Put into map_fd (lt_listen) the TCP ports in LISTEN now, in latprof's
 * network namespace and in each -p target's (sock_diag, as ss -l reads
 * them). What cannot be read is said (a warning for our namespace, -v for a
 * target's): BPF then falls back on the ephemeral port range. Cannot fail.
 */
void lt_listen_fill(int map_fd, const struct lt_target *t);

/*
 * An endpoint as tcp and io name it: "10.0.0.5:5432", "[::1]:8080"; a
 * connection accepted here by the client's address and our port, "10.0.0.9
 * on :80"; an address of zeros (nothing bound or connected) left out,
 * ":53". addr holds IPv4 in its first 4 bytes.
 */
void lt_endpoint_str(int family, const uint8_t addr[16], unsigned int port, bool accepted,
		     char *buf, size_t sz);

#endif
