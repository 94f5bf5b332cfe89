// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The listening ports, read with sock_diag in each network namespace traced. */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "err.h"
#include "listen.h"
#include "lt_types.h"

#define LT_LISTEN_MAX 4096 /* as bpf/listen.bpf.h sizes lt_listen */

/* A network namespace, and a NETLINK_SOCK_DIAG socket made in it. */
struct netns {
	dev_t dev;
	ino_t ino;
	int nl;
};

struct netns_set {
	struct netns ns[1 + LT_TARGET_MAX];
	size_t nns;
};

/* A sock_diag socket in the network namespace of process pid (0: ours). */
static int ns_add(struct netns_set *t, uint32_t pid)
{
	char path[64];
	struct stat st;
	int self = -1, fd = -1, nl;

	snprintf(path, sizeof(path), pid ? "/proc/%u/ns/net" : "/proc/self/ns/net", pid);
	if (stat(path, &st))
		return -errno;
	for (size_t i = 0; i < t->nns; i++)
		if (t->ns[i].dev == st.st_dev && t->ns[i].ino == st.st_ino)
			return 0;
	if (pid) { /* made inside the namespace, the socket stays in it */
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
			nl = -errno;
			goto out;
		}
	}
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		nl = -errno;
	if (pid && setns(self, CLONE_NEWNET)) { /* nothing after would be right */
		lt_err("cannot return to latprof's network namespace: %s", strerror(errno));
		exit(LT_EXIT_FAIL);
	}
	if (nl >= 0)
		t->ns[t->nns++] = (struct netns){ st.st_dev, st.st_ino, nl };
out:
	if (self >= 0)
		close(self);
	if (fd >= 0)
		close(fd);
	return nl < 0 ? nl : 0;
}

/* Flag in ports the local ports of family's TCP sockets in LISTEN (as ss -l), via nl. */
static int listening_ports(int nl, int family, uint8_t *ports)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = (uint8_t)family,
		       .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = 1 << 10 /* TCP_LISTEN */ },
	};
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));

	if (send(nl, &req, sizeof(req), 0) < 0)
		return -errno;
	for (int round = 0; round < 65536; round++) { /* bounded: one port per message at least */
		ssize_t len = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return len < 0 ? -errno : -EPROTO;
		for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -EPROTO;
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*m)))
				ports[ntohs(m->id.idiag_sport)] = 1;
		}
	}
	return -EPROTO;
}

void lt_listen_fill(int map_fd, const struct lt_target *t)
{
	struct netns_set set = { .nns = 0 };
	uint8_t *now = calloc(65536, 1);
	unsigned int n = 0;
	int err = ns_add(&set, 0);

	for (unsigned int i = 0; !err && i < t->npids; i++)
		if (ns_add(&set, t->pids[i]))
			lt_info("pid %u: its network namespace's listening ports not read",
				t->pids[i]);
	if (err)
		lt_warn("cannot read the listening ports (%s): a connection accepted on a port in "
			"the ephemeral range is keyed by the client's port",
			strerror(-err));
	for (size_t i = 0; now && i < set.nns; i++)
		if (listening_ports(set.ns[i].nl, AF_INET, now) ||
		    listening_ports(set.ns[i].nl, AF_INET6, now))
			lt_info("listening ports not all read");
	for (unsigned int p = 0; now && p < 65536 && n < LT_LISTEN_MAX; p++) {
		uint16_t port = (uint16_t)p;
		uint8_t one = 1;

		if (now[p] && !bpf_map_update_elem(map_fd, &port, &one, BPF_ANY))
			n++;
	}
	for (size_t i = 0; i < set.nns; i++)
		close(set.ns[i].nl);
	free(now);
}

void lt_endpoint_str(int family, const uint8_t addr[16], unsigned int port, bool accepted,
		     char *buf, size_t sz)
{
	char ip[INET6_ADDRSTRLEN] = "";
	bool zero = true, v6 = family == AF_INET6;

	for (int i = 0; i < (v6 ? 16 : 4); i++)
		zero = zero && !addr[i];
	if (!zero && !inet_ntop(v6 ? AF_INET6 : AF_INET, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (accepted)
		snprintf(buf, sz, "%s on :%u", ip, port);
	else
		snprintf(buf, sz, v6 && ip[0] ? "[%s]:%u" : "%s:%u", ip, port);
}
