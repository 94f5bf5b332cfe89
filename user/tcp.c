// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof tcp: connect latency per peer and connecting stack, failed
 * connects with their reason, and retransmits and resets per connection and
 * per peer. A thin driver over the core, as offcpu is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "bpf_util.h"
#include "err.h"
#include "grow.h"
#include "listen.h"
#include "stack_agg.h"
#include "tcp.h"
#include "unwind.h"
#include "tcp.skel.h"
#include "loader.h"
#include "session.h"
#include "stacks.h"
#include "tools.h"

struct tcp_opts {
	unsigned long long lport, rport; /* -L, -D; 0: any */
	bool life;
	bool wait;
	bool rtt;
	bool per_connection;
};

struct tcp_tool {
	struct lt_tool_core core; /* core.skel: struct tcp_bpf */
	struct tcp_opts o;
	char frame[160];
	struct ring_buffer *rb;
};

static struct tcp_bpf *skel_of(const struct tcp_tool *t)
{
	return t->core.skel;
}

static const char *const wait_ops[TCP_W_NR] = { TCP_WAIT_CALLS(LT_SYSCALL_NAME) };

enum {
	OPT_LIFE = LT_OPT_TOOL,
	OPT_WAIT,
	OPT_RTT,
	OPT_PER_CONNECTION,
};

static const struct option tcp_longopts[] = {
	{ "life", no_argument, NULL, OPT_LIFE },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "rtt", no_argument, NULL, OPT_RTT },
	{ "per-connection", no_argument, NULL, OPT_PER_CONNECTION },
	{ "local-port", required_argument, NULL, 'L' },
	{ "remote-port", required_argument, NULL, 'D' },
	{ NULL, 0, NULL, 0 },
};

static int tcp_parse(void *topts, int key, const char *arg)
{
	struct tcp_opts *o = topts;

	switch (key) {
	case 'L': return lt_parse_u64(arg, "--local-port", 1, 65535, &o->lport);
	case 'D': return lt_parse_u64(arg, "--remote-port", 1, 65535, &o->rport);
	case OPT_LIFE: o->life = true; return 0;
	case OPT_WAIT: o->wait = true; return 0;
	case OPT_RTT: o->rtt = true; return 0;
	case OPT_PER_CONNECTION: o->per_connection = true; return 0;
	}
	return -EINVAL;
}

static int tcp_check(void *topts, const struct lt_common *c)
{
	struct tcp_opts *o = topts;

	if (o->rtt && !lt_target_is_system_wide(&c->target)) {
		lt_err("--rtt samples arrive in softirq, not in a task: pick connections with "
		       "-L/-D instead of -p/-t/--comm/--cgroup");
		return -EINVAL;
	}
	if (o->life + o->wait + o->rtt > 1) {
		lt_err("--life, --wait and --rtt are different views: choose one");
		return -EINVAL;
	}
	if (o->per_connection && o->life) {
		lt_err("--per-connection with --life: --life is one line per connection already");
		return -EINVAL;
	}
	return 0;
}

const struct lt_cli_tool tcp_cli = {
	.name = "tcp",
	.summary = "TCP connect latency per peer and stack; retransmits and resets",
	.synopsis = "[--life | --wait] [-p PID ...] [-L PORT] [-D PORT] [-d SECONDS] [options]",
	.help = "      --life                  one line per closed connection (like tcplife):\n"
		"                              pid, comm, addresses, bytes sent and received,\n"
		"                              duration\n"
		"      --wait                  time in socket calls (accept, connect, recv*,\n"
		"                              send*, read/write on sockets, poll, select,\n"
		"                              epoll_wait) by user stack and peer: a\n"
		"                              connection accepted here by the client's\n"
		"                              address and our port, one we opened by the\n"
		"                              peer's address and port\n"
		"      --rtt                   smoothed RTT per remote peer (tcp_probe): use\n"
		"                              -f hist for its distribution\n"
		"      --per-connection        key peers by address and port, a client's\n"
		"                              ephemeral port too (--wait, --rtt, and the\n"
		"                              retransmit and reset table)\n"
		"  -L, --local-port PORT       only connections with this local port\n"
		"  -D, --remote-port PORT      only connections to this remote port\n",
	.examples = "  latprof tcp -p 4242 -d 30 -f hist          # connect latency per peer\n"
		    "  latprof tcp -D 5432 -d 60 -o connects.folded\n",
	.shortopts = "L:D:",
	.longopts = tcp_longopts,
	.parse = tcp_parse,
	.check = tcp_check,
};

LT_SKEL_OPS(tcp_bpf);

#define TCP_RAW 1 /* variant: raw_tp, not tp_btf */
#define TCP_RAWSYS 2 /* variant: --wait by raw_syscalls, not fentry */

/* The tracepoints by tp_btf or raw_tp; --wait's syscalls by fentry or raw_syscalls. */
static const struct lt_variant variants[] = {
	{ "tp_btf", NULL, "tp_btf", 0 },
	{ "raw_tp", NULL, "raw_tp", TCP_RAW },
};
static const struct lt_variant wait_variants[] = {
	{ "tp_btf", "fentry", "tp_btf, syscalls by fentry", 0 },
	{ "raw_tp", "fentry", "raw_tp, syscalls by fentry", TCP_RAW },
	{ "tp_btf", "raw_syscalls", "tp_btf, syscalls by raw_syscalls", TCP_RAWSYS },
	{ "raw_tp", "raw_syscalls", "raw_tp, syscalls by raw_syscalls", TCP_RAW | TCP_RAWSYS },
};

static int tcp_configure(void *tool, void *skel, const struct lt_variant *v)
{
	struct tcp_tool *t = tool;
	struct tcp_bpf *sk = skel;
	bool raw = v->arg & TCP_RAW, wait = t->o.wait, rawsys = v->arg & TCP_RAWSYS;
	struct bpf_program *const btf[] = { sk->progs.tcp_state_btf, sk->progs.tcp_retransmit_btf,
					    sk->progs.tcp_send_reset_btf,
					    sk->progs.tcp_recv_reset_btf };
	struct bpf_program *const rawp[] = { sk->progs.tcp_state_raw, sk->progs.tcp_retransmit_raw,
					     sk->progs.tcp_send_reset_raw,
					     sk->progs.tcp_recv_reset_raw };
	struct bpf_program *const fsys[] = {
#define TCP_FSYS_PROGS(op, name, nr, fd) \
	sk->progs.tcp_fsys_enter_##name, sk->progs.tcp_fsys_exit_##name,
		TCP_WAIT_CALLS(TCP_FSYS_PROGS)
#undef TCP_FSYS_PROGS
	};

	LT_AUTOLOAD(btf, !raw);
	LT_AUTOLOAD(rawp, raw);
	bpf_program__set_autoload(sk->progs.tcp_probe_btf, t->o.rtt && !raw);
	bpf_program__set_autoload(sk->progs.tcp_probe_raw, t->o.rtt && raw);
	/* --wait times syscalls; connect latency would count connect twice. */
	bpf_program__set_autoload(sk->progs.tcp_sys_enter_btf, wait && rawsys && !raw);
	bpf_program__set_autoload(sk->progs.tcp_sys_exit_btf, wait && rawsys && !raw);
	bpf_program__set_autoload(sk->progs.tcp_sys_enter_raw, wait && rawsys && raw);
	bpf_program__set_autoload(sk->progs.tcp_sys_exit_raw, wait && rawsys && raw);
	LT_AUTOLOAD(fsys, wait && !rawsys);
	sk->rodata->wait_mode = wait;
	sk->rodata->rtt_mode = t->o.rtt;
	sk->rodata->filter_lport = (uint16_t)t->o.lport;
	sk->rodata->filter_rport = (uint16_t)t->o.rport;
	sk->rodata->life_mode = t->o.life;
	sk->rodata->per_connection = t->o.per_connection;
	lt_eph_range(&sk->rodata->eph_lo, &sk->rodata->eph_hi);
	return 0;
}

static int life_event(void *ctx, void *data, size_t len);

static int tcp_attach(void *tool, char *how, size_t sz)
{
	struct tcp_tool *t = tool;
	const struct lt_variant *v = t->core.variant;

	if (!t->o.life && !t->o.per_connection)
		lt_listen_fill(bpf_map__fd(skel_of(t)->maps.lt_listen), &t->core.c->target);
	if (t->o.life) {
		t->rb = ring_buffer__new(bpf_map__fd(skel_of(t)->maps.tcp_events), life_event, t,
					 NULL);
		if (!t->rb) {
			int err = -errno;

			lt_err("cannot read the event stream: %s", strerror(-err));
			return err;
		}
		printf("%-7s %-16s %-39s %-39s %12s %12s %10s\n", "PID", "COMM", "LOCAL", "REMOTE",
		       "TX_BYTES", "RX_BYTES", "MS");
		fflush(stdout);
	}
	if (t->o.wait && (v->arg & TCP_RAWSYS))
		snprintf(how, sz,
			 "socket syscalls: raw_syscalls (%s); tcp_retransmit_skb, tcp_*_reset: %s",
			 v->name, v->name);
	else if (t->o.wait)
		snprintf(how, sz,
			 "socket syscalls: fentry/fexit; tcp_retransmit_skb, "
			 "tcp_*_reset: %s",
			 v->name);
	else
		snprintf(how, sz, "inet_sock_set_state, tcp_retransmit_skb, tcp_*_reset: %s",
			 v->name);
	return 0;
}

static void addr_str(const struct tcp_addr *a, char *buf, size_t sz)
{
	lt_endpoint_str(a->family, a->addr, a->port, false, buf, sz);
}

/* A peer as tcp_peer keys it: a client of ours by its address and our port. */
static void peer_str(const struct tcp_peer *p, char *buf, size_t sz)
{
	lt_endpoint_str(p->remote.family, p->remote.addr, p->remote.port,
			p->flags & TCP_PEER_ACCEPTED, buf, sz);
}

static const char *errno_name(unsigned int e)
{
	switch (e) {
	case ECONNREFUSED: return "refused";
	case ECONNRESET: return "reset";
	case ETIMEDOUT: return "timed out";
	case EHOSTUNREACH: return "host unreachable";
	case ENETUNREACH: return "network unreachable";
	case ECONNABORTED: return "aborted";
	case 0: return "closed";
	default: return strerror((int)e);
	}
}

/* "[connect 127.0.0.1:8080]", "[connect failed (refused) 127.0.0.1:9]" */
static const char *tcp_aux_frame(void *tool, uint64_t aux)
{
	struct tcp_tool *t = tool;
	struct tcp_aux a = tcp_aux_decode((uint32_t)aux);
	uint32_t id = aux >> 32;
	struct tcp_peer p;
	char peer[80] = "?";

	if (!bpf_map_lookup_elem(bpf_map__fd(skel_of(t)->maps.tcp_peers), &id, &p))
		peer_str(&p, peer, sizeof(peer));
	if (a.event == TCP_EV_WAIT) /* "[recvfrom 10.0.0.5:5432]", "[epoll_wait]" */
		snprintf(t->frame, sizeof(t->frame), "[%s%s%s%s]",
			 a.op < TCP_W_NR ? wait_ops[a.op] : "?", a.failed ? " failed" : "",
			 id ? " " : "", id ? peer : "");
	else if (a.event == TCP_EV_RTT)
		snprintf(t->frame, sizeof(t->frame), "[rtt %s]", peer);
	else if (a.event == TCP_EV_CONNECT_FAILED)
		snprintf(t->frame, sizeof(t->frame), "[connect failed (%s) %s]", errno_name(a.err),
			 peer);
	else
		snprintf(t->frame, sizeof(t->frame), "[connect %s]", peer);
	return t->frame;
}

/* An RTT sample is the peer's, no task's: "[rtt]" at the root. */
static const char *tcp_aux_root(void *tool, uint64_t aux)
{
	(void)tool;
	return tcp_aux_decode((uint32_t)aux).event == TCP_EV_RTT ? "[rtt]" : NULL;
}

static const char *event_name(uint32_t ev)
{
	return ev == TCP_EV_RETRANSMIT ? "retransmit" :
	       ev == TCP_EV_SEND_RESET ? "reset sent" :
	       ev == TCP_EV_RECV_RESET ? "reset received" :
					 "?";
}

static const char *state_name(uint32_t s)
{
	static const char *const names[] = { "?",	    "ESTABLISHED", "SYN_SENT",	"SYN_RECV",
					     "FIN_WAIT1",   "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
					     "CLOSE_WAIT",  "LAST_ACK",	   "LISTEN",	"CLOSING",
					     "NEW_SYN_RECV" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

struct count_row {
	struct tcp_count_key k;
	uint64_t n;
};

static int count_cmp(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	return x->n != y->n ? (x->n < y->n ? 1 : -1) : memcmp(&x->k, &y->k, sizeof(x->k));
}

/*
 * Retransmits and resets at the end, on stderr: per peer and reason (per
 * connection with --per-connection), the --top rows with the most, and
 * how many rows and events are left out.
 */
static void print_counts(struct tcp_tool *t)
{
	int fd = bpf_map__fd(skel_of(t)->maps.tcp_counts);
	struct tcp_count_key key, *prev = NULL;
	struct count_row *rows = NULL;
	size_t n = 0, cap = 0, top = t->core.c->top ? t->core.c->top : 10;
	uint64_t rest = 0;
	char l[80], r[80];

	/* Bounded by the map's size. */
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		struct count_row row = { .k = key };

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &row.n))
			continue;
		if (LT_GROW(rows, n, cap, 256))
			break;
		rows[n++] = row;
	}
	if (!n)
		goto out;
	qsort(rows, n, sizeof(*rows), count_cmp);
	fprintf(stderr, "latprof tcp: retransmits and resets, per %s\n",
		t->o.per_connection ? "connection" : "peer and reason");
	if (t->o.per_connection)
		fprintf(stderr, "%8s  %-15s %-12s %-24s %s\n", "COUNT", "EVENT", "STATE", "LOCAL",
			"REMOTE");
	else
		fprintf(stderr, "%8s  %-15s %-12s %s\n", "COUNT", "EVENT", "STATE", "PEER");
	for (size_t i = 0; i < n; i++) {
		struct tcp_peer p = { rows[i].k.remote, rows[i].k.flags };

		if (i >= top) {
			rest += rows[i].n;
			continue;
		}
		peer_str(&p, r, sizeof(r));
		if (t->o.per_connection) {
			addr_str(&rows[i].k.local, l, sizeof(l));
			fprintf(stderr, "%8llu  %-15s %-12s %-24s %s\n",
				(unsigned long long)rows[i].n, event_name(rows[i].k.event),
				state_name(rows[i].k.state), l, r);
		} else {
			fprintf(stderr, "%8llu  %-15s %-12s %s\n", (unsigned long long)rows[i].n,
				event_name(rows[i].k.event), state_name(rows[i].k.state), r);
		}
	}
	if (n > top)
		fprintf(stderr, "... %zu more rows, %llu events (--top %zu shows them)\n", n - top,
			(unsigned long long)rest, n);
out:
	free(rows);
}

static int life_event(void *ctx, void *data, size_t len)
{
	const struct tcp_life_event *e = data;
	char l[80], r[80];

	(void)ctx;
	if (len < sizeof(*e))
		return 0;
	addr_str(&e->local, l, sizeof(l));
	addr_str(&e->remote, r, sizeof(r));
	printf("%-7u %-16.16s %-39s %-39s %12llu %12llu %10.2f\n", e->tgid, e->tgid ? e->comm : "?",
	       l, r, (unsigned long long)e->tx_bytes, (unsigned long long)e->rx_bytes,
	       (double)e->duration_ns / 1e6);
	return 0;
}

static int tcp_tick(void *tool, bool final)
{
	struct tcp_tool *t = tool;

	if (t->rb) {
		if (ring_buffer__poll(t->rb, 0) < 0 && errno != EINTR)
			return -errno;
		fflush(stdout);
	}

	if (final && !t->core.c->quiet)
		print_counts(t);
	return 0;
}

static void tcp_destroy(void *tool)
{
	struct tcp_tool *t = tool;

	ring_buffer__free(t->rb);
	t->rb = NULL;
}

#define TCP_MODE(w, u2, st, sm, v)                                                   \
	{                                                                            \
		.unit = "us", .unit2 = u2, .what = w, .stacks = st, .stream = sm,    \
		.aux_frame = tcp_aux_frame, .aux_root = tcp_aux_root, LT_VARIANTS(v) \
	}

/* Connect latency (and --life's stream), --wait, --rtt. */
static const struct lt_mode modes[] = {
	TCP_MODE("TCP connect latency", NULL, LT_STACKS_ASKED, false, variants),
	/* --life: stdout is the stream of closed connections; the profile goes to -o only. */
	TCP_MODE("TCP connect latency", NULL, LT_STACKS_ASKED, true, variants),
	/* The caller's stack: the kernel side is syscall entry. */
	TCP_MODE("time in socket calls", "bytes", LT_STACKS_USER, false, wait_variants),
	/* Per peer: segments arrive in softirq, no task's stack. */
	TCP_MODE("smoothed RTT samples", NULL, LT_STACKS_NO_USER, false, variants),
};

static unsigned int tcp_mode(const void *opts)
{
	const struct tcp_opts *o = opts;

	return o->rtt ? 3 : o->wait ? 2 : o->life ? 1 : 0;
}

const struct lt_tool lt_tcp = {
	.cli = &tcp_cli,
	.load = { "the tcp programs", &tcp_bpf_ops, tcp_configure },
	.modes = modes,
	.mode = tcp_mode,
	.attach = tcp_attach,
	.tick = tcp_tick,
	.destroy = tcp_destroy,
	.size = sizeof(struct tcp_tool),
	.opts = offsetof(struct tcp_tool, o),
};
