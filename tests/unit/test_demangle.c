// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Demangling: a C++ program the test starts reports where its namespaced and
 * templated functions are, and the symbolizer must name them demangled (or
 * mangled with --no-demangle). Rust legacy and v0 symbols go through the same
 * demangler, checked against their known names.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "syms.h"
#include "tap.h"

int main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : ".output/workloads/cxxsyms";
	const char *want[2] = { "shop::Basket<int>::add(int)", "shop::price(double, int)" };
	const char *mangled[2] = { "_ZN4shop6BasketIiE3addEi", "_ZN4shop5priceEdi" };
	unsigned long long addr[2] = { 0, 0 };
	char line[256], buf[512];
	int inp[2], outp[2], got = 0;
	struct lt_symbolizer *s;
	FILE *f;
	pid_t pid;

	is_str(lt_demangle("_ZN4core3fmt5write17h0123456789abcdefE", buf, sizeof(buf)),
	       "core::fmt::write", "Rust legacy symbol, hash dropped");
	is_str(lt_demangle("_RNvCs1234_7mycrate3foo", buf, sizeof(buf)), "mycrate::foo",
	       "Rust v0 symbol");
	is_str(lt_demangle("_ZN4shop5priceEdi@@V1", buf, sizeof(buf)), "shop::price(double, int)",
	       "symbol version dropped before demangling");
	is_str(lt_demangle("plain_c_function", buf, sizeof(buf)), "plain_c_function",
	       "C names pass through");
	is_str(lt_demangle("_Znot_really_mangled!", buf, sizeof(buf)), "_Znot_really_mangled!",
	       "invalid mangling passes through");

	if (pipe(inp) || pipe(outp))
		return 1;
	pid = fork();
	if (!pid) {
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	close(inp[0]);
	close(outp[1]);
	f = fdopen(outp[0], "r");
	while (got < 2 && fgets(line, sizeof(line), f)) {
		char *sp = strrchr(line, ' ');

		for (int i = 0; sp && i < 2; i++)
			if (!strncmp(line, want[i], strlen(want[i])) &&
			    (addr[i] = strtoull(sp + 1, NULL, 16)))
				got++;
	}
	ok(got == 2, "C++ program reported its functions");
	s = lt_symbolizer__new();
	lt_symbolizer__snapshot(s, pid, true);
	for (int i = 0; i < 2; i++)
		is_str(lt_symbolizer__user(s, pid, addr[i] + 1, false, buf, sizeof(buf)), want[i],
		       want[i]);
	lt_symbolizer__set_demangle(s, false);
	for (int i = 0; i < 2; i++)
		is_str(lt_symbolizer__user(s, pid, addr[i] + 1, false, buf, sizeof(buf)),
		       mangled[i], "--no-demangle keeps the mangled name");
	lt_symbolizer__free(s);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return tap_done();
}
