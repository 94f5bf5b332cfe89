// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * User symbolization of live processes the test starts: non-PIE and PIE
 * executables and a shared library, each reporting where its functions are.
 * The same addresses must still resolve after the process has exited.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "syms.h"
#include "tap.h"

#define NSYM 4
static const char *names[NSYM] = { "elf_alpha", "elf_beta", "elf_asm_label", "lt_shared_func" };

struct child {
	pid_t pid;
	int in; /* write end of its stdin */
	unsigned long long addr[NSYM];
};

static int spawn(const char *bin, const char *lib, struct child *c)
{
	int inp[2], outp[2];
	char line[128], name[64];
	FILE *f;
	int got = 0;

	if (pipe(inp) || pipe(outp))
		return -1;
	c->pid = fork();
	if (!c->pid) {
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		execl(bin, bin, lib, (char *)NULL);
		_exit(127);
	}
	close(inp[0]);
	close(outp[1]);
	c->in = inp[1];
	f = fdopen(outp[0], "r");
	while (got < NSYM && fgets(line, sizeof(line), f)) {
		unsigned long long a;

		for (int i = 0; i < NSYM; i++)
			if (sscanf(line, "%63s %llx", name, &a) == 2 && !strcmp(name, names[i])) {
				c->addr[i] = a;
				got++;
			}
	}
	fclose(f);
	return got == NSYM ? 0 : -1;
}

static void check(struct lt_symbolizer *s, const struct child *c, const char *what)
{
	char buf[256];

	if (strstr(what, "no debug info")) {
		/* Stripped, nothing to find: module+0xoffset, never a wrong name. */
		for (int i = 0; i < 3; i++) {
			const char *got = lt_symbolizer__user(s, c->pid, c->addr[i] + 1, false, buf,
							      sizeof(buf));

			ok(!strncmp(got, "elfsyms-stripped+0x", 19), "%s: %s reads %s", what,
			   names[i], got);
		}
		return;
	}
	for (int i = 0; i < NSYM; i++) {
		uint64_t a = c->addr[i] + 1; /* inside the function, not at its start */

		is_str(lt_symbolizer__user(s, c->pid, a, false, buf, sizeof(buf)), names[i], what);
	}
	/* A return address just past a function's start still names that function. */
	is_str(lt_symbolizer__user(s, c->pid, c->addr[0] + 1, true, buf, sizeof(buf)), "elf_alpha",
	       "return address lookup uses addr - 1");
}

static void run(const char *bin, const char *lib, const char *what)
{
	struct lt_symbolizer *s = lt_symbolizer__new();
	struct child c = {};
	char msg[128], buf[256];

	if (!ok(spawn(bin, lib, &c) == 0, "%s: started and reported addresses", what)) {
		lt_symbolizer__free(s);
		return;
	}
	ok(lt_symbolizer__snapshot(s, c.pid, true) == 0, "%s: snapshot", what);
	snprintf(msg, sizeof(msg), "%s: live process", what);
	check(s, &c, msg);
	/* An address in no executable mapping never prints as a bare [unknown]. */
	ok(!strncmp(lt_symbolizer__user(s, c.pid, 0x10, false, buf, sizeof(buf)), "[unmapped]+0x",
		    13),
	   "%s: unmapped address reads [unmapped]+0x10 (%s)", what, buf);
	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
	close(c.in);
	snprintf(msg, sizeof(msg), "%s: after the process exited", what);
	check(s, &c, msg);
	lt_symbolizer__free(s);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".output/workloads";
	char nopie[512], pie[512], lib[1024];

	snprintf(nopie, sizeof(nopie), "%s/elfsyms-nopie", dir);
	snprintf(pie, sizeof(pie), "%s/elfsyms-pie", dir);
	snprintf(lib, sizeof(lib), "%s/libltshared.so", dir);
	if (lib[0] != '/') {
		char cwd[256];

		if (getcwd(cwd, sizeof(cwd)))
			snprintf(lib, sizeof(lib), "%s/%s/libltshared.so", cwd, dir);
	}
	run(nopie, lib, "non-PIE");
	run(pie, lib, "PIE");
	{
		/* Prelinked: the library's link-time addresses start at 0x30000000. */
		char plib[1024];
		struct elf_file *ef;
		uint64_t v = 0;
		int err;

		snprintf(plib, sizeof(plib), "%.*s-prelink.so", (int)(strlen(lib) - 3), lib);
		ef = elf_file__open(plib);
		err = ef ? elf_file__off_to_vaddr(ef, 0, &v) : -ENOENT;
		ok(!err && v == 0x30000000, "prelinked library: file offset 0 is link-time 0x%llx",
		   (unsigned long long)v);
		elf_file__free(ef);
		run(pie, plib, "PIE with a prelinked library");
	}
	{
		char bin[512], root[1024], cwd[256] = ".";

		if (!getcwd(cwd, sizeof(cwd)))
			strcpy(cwd, ".");
		snprintf(bin, sizeof(bin), "%s/elfsyms-debuglink", dir);
		setenv("LATPROF_DEBUG_DIRS", "/nonexistent", 1);
		run(bin, lib, "stripped, .gnu_debuglink next to it");
		snprintf(bin, sizeof(bin), "%s/elfsyms-buildid", dir);
		snprintf(root, sizeof(root), "%s/%s/../debugroot", cwd, dir);
		setenv("LATPROF_DEBUG_DIRS", root, 1);
		run(bin, lib, "stripped, found by build-id only");
		snprintf(bin, sizeof(bin), "%s/elfsyms-minidebug", dir);
		run(bin, lib, "stripped, MiniDebugInfo (.gnu_debugdata)");
		snprintf(bin, sizeof(bin), "%s/elfsyms-stripped", dir);
		setenv("LATPROF_DEBUG_DIRS", "/nonexistent", 1);
		run(bin, lib, "stripped, no debug info");
		unsetenv("LATPROF_DEBUG_DIRS");
	}
	{
		/* The vDSO, named from this process's own image: glibc registers it as
		 * linux-vdso.so.1, so dlsym() gives the true address. */
		void *h = dlopen("linux-vdso.so.1", RTLD_NOLOAD | RTLD_LAZY);
		void *fn = h ? dlsym(h, "__vdso_clock_gettime") : NULL;
		struct lt_symbolizer *s = lt_symbolizer__new();
		char buf[256];

		if (ok(fn != NULL, "found __vdso_clock_gettime through the dynamic linker")) {
			lt_symbolizer__snapshot(s, getpid(), true);
			is_str(lt_symbolizer__user(s, getpid(), (uint64_t)fn + 1, false, buf,
						   sizeof(buf)),
			       "__vdso_clock_gettime",
			       "vDSO frame named from the process's own vDSO");
		}
		lt_symbolizer__free(s);
	}
	{
		struct lt_mapping m;

		ok(lt_parse_maps_line("7f00a000-7f00b000 r-xp 00026000 fe:01 332835   "
				      "/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)\n",
				      &m) &&
			   m.start == 0x7f00a000 && m.pgoff == 0x26000 &&
			   m.dev == ((0xfe << 20) | 1) && m.ino == 332835 && m.exec &&
			   !strcmp(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)"),
		   "maps line with a deleted file parses");
		ok(lt_parse_maps_line("7ffd1000-7ffd3000 r-xp 00000000 00:00 0   [vdso]\n", &m) &&
			   !strcmp(m.path, "[vdso]") && m.dev == 0,
		   "vdso maps line parses");
	}
	return tap_done();
}
