/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Entry points of the tools in latprof's dispatch table (user/main.c). */
#ifndef LT_TOOLS_H
#define LT_TOOLS_H
#include "cli.h"
#include "session.h"

extern const struct lt_cli_tool offcpu_cli;
extern const struct lt_tool lt_offcpu;
extern const struct lt_cli_tool report_cli;
int report_main(int argc, char **argv);
extern const struct lt_cli_tool diff_cli;
int diff_main(int argc, char **argv);
extern const struct lt_cli_tool io_cli;
extern const struct lt_tool lt_io;
extern const struct lt_cli_tool tcp_cli;
extern const struct lt_tool lt_tcp;
extern const struct lt_cli_tool alloc_cli;
extern const struct lt_tool lt_alloc;
extern const struct lt_cli_tool wall_cli;
extern const struct lt_tool lt_wall;
extern const struct lt_cli_tool func_cli;
extern const struct lt_tool lt_func;
/* wall's blocked kind from a stack's frames, root first (exposed for tests). */
const char *lt_wall_blocked_kind(bool uninterruptible, const char *const *frames,
				 const uint8_t *kind, uint32_t n);

#endif
