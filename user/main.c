// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* latprof: where does the time go? Subcommand dispatch. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "err.h"
#include "tools.h"

/* The tracing tools run through the core (lt_tool_main); report and diff read files. */
static const struct cmd {
	const struct lt_cli_tool *cli;
	const struct lt_tool *tool;
	int (*main)(int argc, char **argv); /* argv[0] is the command. The exit code. */
} cmds[] = {
	{ &offcpu_cli, &lt_offcpu, NULL },  { &io_cli, &lt_io, NULL },
	{ &tcp_cli, &lt_tcp, NULL },	    { &alloc_cli, &lt_alloc, NULL },
	{ &wall_cli, &lt_wall, NULL },	    { &func_cli, &lt_func, NULL },
	{ &report_cli, NULL, report_main }, { &diff_cli, NULL, diff_main },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: latprof COMMAND [options]\n"
		   "       latprof COMMAND --help\n"
		   "       latprof --version\n\n"
		   "An eBPF latency tracer: where does the time go?\n\nCommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].cli->name, cmds[i].cli->summary);
	fprintf(f, "\nlatprof needs root (CAP_BPF and CAP_PERFMON) and kernel BTF.\n");
}

int main(int argc, char **argv)
{
	libbpf_set_print(lt_libbpf_print);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if (argc < 2) {
		lt_err("no command given; see 'latprof --help'");
		return LT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return LT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("latprof %s (libbpf %s)\n", LATPROF_VERSION, libbpf_version_string());
		return LT_EXIT_OK;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].cli->name))
			return cmds[i].tool ? lt_tool_main(cmds[i].tool, argc - 1, argv + 1) :
					      cmds[i].main(argc - 1, argv + 1);
	lt_err("unknown command '%s'; see 'latprof --help'", argv[1]);
	return LT_EXIT_USAGE;
}
