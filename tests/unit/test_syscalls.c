// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The syscall lists io --syscalls and tcp --wait time (abi/syscall_list.h):
 * each x86_64 number is the one <asm/unistd_64.h> gives the call's name,
 * no number is listed twice (the BPF switch would not compile, but a list
 * could still give one call two names), and the ops run 0..NR-1.
 */
#include <asm/unistd_64.h>
#include <string.h>
#include "io.h"
#include "tap.h"
#include "tcp.h"

#define CHECK_NR(op, name, nr, arg)                                                            \
	ok((nr) == __NR_##name, "%s: %s is x86_64 syscall %d (the list says %d)", list, #name, \
	   __NR_##name, nr);                                                                   \
	ok((unsigned)(op) == n, "%s: %s is op %u, in list order", list, #name, n);             \
	n++;
#define NR_OF(op, name, nr, arg) nr,

static int dup_nr(const int *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (nrs[i] == nrs[j])
				return nrs[i];
	return -1;
}

int main(void)
{
	static const int io_nrs[] = { IO_SYS_CALLS(NR_OF) };
	static const int tcp_nrs[] = { TCP_WAIT_CALLS(NR_OF) };
	static const char *const io_names[] = { IO_SYS_CALLS(LT_SYSCALL_NAME) };
	const char *list = "io";
	unsigned int n = 0;

	IO_SYS_CALLS(CHECK_NR)
	ok(n == IO_SYS_NR_OPS, "io: %u calls, IO_SYS_NR_OPS %d", n, IO_SYS_NR_OPS);
	list = "tcp --wait";
	n = 0;
	TCP_WAIT_CALLS(CHECK_NR)
	ok(n == TCP_W_NR, "tcp --wait: %u calls, TCP_W_NR %d", n, TCP_W_NR);
	ok(dup_nr(io_nrs, IO_SYS_NR_OPS) < 0, "io: no number twice");
	ok(dup_nr(tcp_nrs, TCP_W_NR) < 0, "tcp --wait: no number twice");
	is_str(io_names[IO_SYS_PWRITE64], "pwrite64", "LT_SYSCALL_NAME: op -> name");
	return tap_done();
}
