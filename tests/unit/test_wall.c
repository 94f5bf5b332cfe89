// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latprof wall's blocked kinds (docs/wall.md), on kernel stacks as 6.18 and
 * 6.1 give them for each kind of wait, root first as symbolized.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "profile.h"
#include "tap.h"
#include "tools.h"

#define MAXF 16

/* "a;b;c": kernel frames root first (a user frame first, marked "u:"). */
static const char *kind_of(bool d, const char *stack)
{
	static char buf[512];
	const char *frames[MAXF];
	uint8_t kind[MAXF];
	uint32_t n = 0;

	strncpy(buf, stack, sizeof(buf) - 1);
	for (char *tok = strtok(buf, ";"); tok && n < MAXF; tok = strtok(NULL, ";")) {
		bool user = !strncmp(tok, "u:", 2);

		frames[n] = user ? tok + 2 : tok;
		kind[n++] = user ? LT_FRAME_USER : LT_FRAME_KERNEL;
	}
	return lt_wall_blocked_kind(d, frames, kind, n);
}

static void case_(bool d, const char *stack, const char *want, const char *name)
{
	is_str(kind_of(d, stack), want, name);
}

int main(void)
{
	case_(false,
	      "u:pthread_mutex_lock;entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_futex;"
	      "do_futex;futex_wait;__futex_wait;futex_do_wait;schedule;__schedule",
	      "lock", "futex wait (6.18): lock");
	case_(false, "__x64_sys_futex;do_futex;futex_wait;futex_wait_queue;schedule;__schedule",
	      "lock", "futex wait (6.1): lock");
	case_(true,
	      "do_sys_openat2;path_openat;__mutex_lock.constprop.0;schedule_preempt_disabled;schedule",
	      "lock", "a kernel mutex, with a compiler suffix, in D: lock, not io");
	case_(false,
	      "__x64_sys_clock_nanosleep;common_nsleep;hrtimer_nanosleep;do_nanosleep;schedule",
	      "sleep", "nanosleep: sleep");
	case_(false,
	      "__x64_sys_epoll_wait;do_epoll_wait;ep_poll;schedule_hrtimeout_range_clock;schedule",
	      "poll", "epoll_wait with a timeout: poll, not sleep");
	case_(false, "do_sys_poll;do_poll;schedule_hrtimeout_range_clock;schedule", "poll", "poll");
	case_(false, "ksys_read;vfs_read;anon_pipe_read;schedule;__schedule", "pipe",
	      "pipe read (6.18): pipe");
	case_(false, "ksys_read;vfs_read;pipe_read;schedule;__schedule", "pipe", "pipe read (6.1)");
	case_(false,
	      "__sys_recvfrom;sock_recvmsg;inet_recvmsg;tcp_recvmsg;tcp_recvmsg_locked;sk_wait_data;"
	      "wait_woken;schedule_timeout;schedule",
	      "net", "tcp recv: net");
	case_(false,
	      "__sys_accept4;do_accept;inet_accept;inet_csk_accept;schedule_timeout;schedule",
	      "net", "accept: net");
	case_(true,
	      "do_fsync;ext4_sync_file;jbd2_complete_transaction;jbd2_log_wait_commit;schedule",
	      "io", "fsync waiting for the journal: io");
	case_(true, "filemap_read;filemap_get_pages;folio_wait_bit_common;io_schedule;schedule",
	      "io", "a page being read: io");
	case_(true, "some_driver_wait;wait_for_completion;schedule_timeout;schedule", "io",
	      "an unknown uninterruptible wait: io");
	case_(false, "some_driver_wait;wait_for_completion_killable;schedule_timeout;schedule",
	      "other", "an unknown interruptible wait: other");
	case_(false, "u:nanosleep;u:clock_nanosleep", "other",
	      "no kernel frames (-U): other, user frames do not count");
	return tap_done();
}
