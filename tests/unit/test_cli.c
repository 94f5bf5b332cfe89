// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Common option parsing: values, lists, contradictions, errors. */
#include <errno.h>
#include "cli.h"
#include "err.h"
#include "tap.h"

static const struct lt_cli_tool tool = { .name = "test", .summary = "test", .synopsis = "" };

static int parse(struct lt_common *c, int argc, char **argv)
{
	return lt_cli_parse(argc, argv, &tool, c, NULL);
}

#define ARGV(...) ((char *[]){ "test", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "test", __VA_ARGS__ }) / sizeof(char *)))
#define P(c, ...) parse(c, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

int main(void)
{
	struct lt_common c;

	ok(P(&c, "-d", "5") == 0 && c.duration == 5, "-d 5");
	ok(c.format && !strcmp(c.format, "folded") && c.top == 10, "defaults: folded, top 10");
	ok(c.stacks.storage_size == LT_DEFAULT_STACK_STORAGE && c.stacks.max_depth == 127,
	   "default stack storage and depth");
	ok(P(&c, "-p", "12,34", "-t", "56") == 0 && c.target.npids == 2 && c.target.pids[1] == 34 &&
		   c.target.ntids == 1 && c.target.tids[0] == 56,
	   "-p list and -t");
	ok(P(&c, "--pid=7", "--comm", "nginx", "--cgroup", "/sys/fs/cgroup/x") == 0 &&
		   c.target.pids[0] == 7 && !strcmp(c.target.comm, "nginx") &&
		   !strcmp(c.target.cgroup, "/sys/fs/cgroup/x"),
	   "long forms");
	ok(P(&c, "-d", "0.5", "-i", "0.25", "-o", "x.folded", "-q", "-v", "-v") == 0 &&
		   c.interval == 0.25 && c.quiet && c.verbose == 2 && !strcmp(c.output, "x.folded"),
	   "interval, output, quiet, verbose twice");
	ok(P(&c, "--stack-storage-size", "1024", "--perf-max-stack-depth", "32", "-U") == 0 &&
		   c.stacks.storage_size == 1024 && c.stacks.max_depth == 32 && c.stacks.user_only,
	   "stack options");
	ok(lt_target_is_system_wide(&c.target), "no target: system-wide");

	fprintf(stderr, "# the errors below are expected\n");
	ok(P(&c, "-p", "1,,2") == -EINVAL, "empty list item rejected");
	ok(P(&c, "-p", "abc") == -EINVAL, "non-numeric pid rejected");
	ok(P(&c, "-p", "0") == -EINVAL, "pid 0 rejected");
	ok(P(&c, "-p", "5,") == -EINVAL, "trailing comma rejected");
	ok(P(&c, "-d", "-1") == -EINVAL && P(&c, "-d", "x") == -EINVAL, "bad durations rejected");
	ok(P(&c, "-U", "-K") == -EINVAL, "-U with -K is a contradiction");
	ok(P(&c, "-d", "1", "-i", "2") == -EINVAL, "interval longer than duration");
	ok(P(&c, "--comm", "a-name-longer-than-15") == -EINVAL, "comm longer than 15");
	ok(P(&c, "-f", "xml") == -EINVAL, "unknown format");
	ok(P(&c, "--bogus") == -EINVAL, "unknown long option");
	ok(P(&c, "-Z") == -EINVAL, "unknown short option");
	ok(P(&c, "-p") == -EINVAL, "missing value");
	ok(P(&c, "extra") == -EINVAL, "stray argument");
	ok(P(&c, "--perf-max-stack-depth", "500") == -EINVAL, "depth above 127 rejected");
	ok(P(&c, "--stack-storage-size", "1") == -EINVAL, "tiny stack storage rejected");
	return tap_done();
}
