// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --lines on this very test binary (built with -g): a return address inside
 * an always_inline function must read as that function at the line of its
 * call, inlined into its caller at the line where it was inlined. The lines
 * are the source's own, taken with __LINE__.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "elf_file.h"
#include "srcline.h"
#include "syms.h"
#include "tap.h"

static int line_call, line_inline;

static __attribute__((noinline, noclone)) void *callee(void)
{
	return __builtin_return_address(0);
}

static inline __attribute__((always_inline)) void *lt_inline_fn(void)
{
	void *r;

	line_call = __LINE__ + 1;
	r = callee();
	__asm__ volatile("" : : "r"(r) : "memory"); /* no tail call */
	return r;
}

__attribute__((noinline, noclone)) void *lt_outer_fn(void)
{
	void *r;

	line_inline = __LINE__ + 1;
	r = lt_inline_fn();
	__asm__ volatile("" : : "r"(r) : "memory");
	return r;
}

int main(int argc, char **argv)
{
	uint64_t ra = (uint64_t)lt_outer_fn();
	struct lt_sym_frame fr[LT_SYM_MAX_INLINE + 1];
	struct lt_symbolizer *s = lt_symbolizer__new();
	char want[128];
	int n;

	(void)argc;
	lt_symbolizer__snapshot(s, getpid(), true);
	n = lt_symbolizer__user_frames(s, getpid(), ra, true, fr, LT_SYM_MAX_INLINE + 1);
	ok(n == 1 && !fr[0].inlined && !strcmp(fr[0].name, "lt_outer_fn"),
	   "lines off: one frame, the ELF symbol (%d: %s)", n, fr[0].name);

	lt_symbolizer__set_lines(s, true);
	n = lt_symbolizer__user_frames(s, getpid(), ra, true, fr, LT_SYM_MAX_INLINE + 1);
	ok(n == 2, "lines on: the inlined function and its caller (%d frames)", n);
	snprintf(want, sizeof(want), "lt_inline_fn test_srcline.c:%d", line_call);
	is_str(n > 0 ? fr[0].name : "", want, "innermost: the inlined function at its call line");
	ok(n > 0 && fr[0].inlined, "innermost is marked inlined");
	snprintf(want, sizeof(want), "lt_outer_fn test_srcline.c:%d", line_inline);
	is_str(n > 1 ? fr[1].name : "", want,
	       "outer: its ELF name at the line it inlined the call");
	ok(n > 1 && !fr[1].inlined, "outer is not marked inlined");
	ok(lt_symbolizer__user_frames(s, getpid(), ra, true, fr, 1) == 1, "max 1 writes one frame");
	lt_symbolizer__free(s);

	{
		/* The DWARF reader on its own: a binary without DWARF gives none. */
		char path[4096];
		struct elf_file *ef;
		struct lt_srcline *sl;
		struct lt_srcframe sf[4];

		snprintf(path, sizeof(path), "%s", argv[0]);
		ef = elf_file__open(path);
		sl = ef ? lt_srcline__open(elf_file__elf(ef)) : NULL;
		ok(sl != NULL, "this -g binary has DWARF");
		ok(sl && lt_srcline__lookup(sl, 0, sf, 4) == 0, "address 0: no compile unit");
		lt_srcline__free(sl);
		elf_file__free(ef);
		ef = elf_file__open(".output/workloads/elfsyms-stripped");
		ok(ef && !lt_srcline__open(elf_file__elf(ef)), "a stripped binary has no DWARF");
		elf_file__free(ef);
	}
	return tap_done();
}
