// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness over latprof's readers of text from outside: the first
 * byte picks the reader, the rest is its input.
 *
 *   0  a /proc/PID/maps line (what a process's mapping names give)
 *   1  a perf map (a process writes it)
 *   2  folded stacks (latprof report's input)
 *   3  a JSON profile (latprof report's input)
 *   4  a command line: NUL-separated arguments to the offcpu tool's parser
 *
 * None may crash, hang or leak on any input; names read back are cleaned
 * like traced ones. Built with clang -fsanitize=fuzzer,address,undefined
 * (`make fuzz`; briefly in `make test`).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "folded.h"
#include "json_read.h"
#include "profile.h"
#include "syms.h"
#include "tools.h"

static void read_maps(const char *s, size_t n)
{
	char *line = strndup(s, n);
	struct lt_mapping m;

	if (line) {
		lt_parse_maps_line(line, &m);
		free(line);
	}
}

static void read_perf_map(const uint8_t *d, size_t n)
{
	FILE *f = fmemopen((void *)d, n, "r");
	struct lt_jit_sym *syms;
	unsigned int ns;

	if (!f)
		return;
	lt_perf_map_read(f, &syms, &ns);
	for (unsigned int i = 0; i < ns; i++)
		free(syms[i].name);
	free(syms);
	fclose(f);
}

static void read_profile(const uint8_t *d, size_t n, bool json)
{
	FILE *f = fmemopen((void *)d, n, "r");
	struct lt_profile p;

	if (!f)
		return;
	lt_profile__init(&p, "fuzz", "us", "value");
	if (json)
		lt_json_read(f, "fuzz.json", &p, NULL);
	else
		lt_folded_read(f, "fuzz.folded", &p, NULL);
	lt_profile__free(&p);
	fclose(f);
}

static void parse_cli(const uint8_t *d, size_t n)
{
	char *buf = malloc(n + 1), *argv[64] = { "offcpu" };
	struct lt_common c;
	char topts[256] = { 0 }; /* any tool's options fit */
	int argc = 1;

	if (!buf)
		return;
	memcpy(buf, d, n);
	buf[n] = 0;
	for (size_t i = 0; i <= n && argc < 63;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	lt_cli_parse(argc, argv, &offcpu_cli, &c, topts);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 5) {
	case 0: read_maps((const char *)data + 1, size - 1); break;
	case 1: read_perf_map(data + 1, size - 1); break;
	case 2: read_profile(data + 1, size - 1, false); break;
	case 3: read_profile(data + 1, size - 1, true); break;
	case 4: parse_cli(data + 1, size - 1); break;
	}
	return 0;
}
