// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * .eh_frame tables against facts every x86-64 function obeys: at a
 * function's first instruction the CFA is rsp + 8; in code built with frame
 * pointers, once rbp is set up the CFA is rbp + 16 with rbp saved at CFA - 16.
 */
#include <gelf.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include "cfi.h"
#include "elf_file.h"
#include "tap.h"

/* Check the entry rule at every sized function symbol of `path`. */
static void check_entries(const char *path, double *ratio, struct cfi_table *t)
{
	struct elf_file *ef = elf_file__open(path);
	Elf *elf = ef ? elf_file__elf(ef) : NULL;
	Elf_Scn *scn = NULL;
	unsigned int n = 0, good = 0;
	GElf_Shdr sh;

	*ratio = 0;
	if (!elf || cfi_table__build(elf, t)) {
		elf_file__free(ef);
		return;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const struct cfi_row *r;

			if (!gelf_getsym(d, i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_size || s.st_shndx == SHN_UNDEF)
				continue;
			/* _start is the outermost frame: its CFI marks the return address undefined. */
			if (!strcmp(elf_strptr(elf, sh.sh_link, s.st_name), "_start"))
				continue;
			n++;
			r = cfi_table__find(t, s.st_value);
			if (r && r->cfa_reg == LT_CFA_RSP && r->cfa_off == 8 && r->rbp_off == 0)
				good++;
			else if (getenv("V"))
				printf("# no entry rule at %s\n",
				       elf_strptr(elf, sh.sh_link, s.st_name));
		}
	}
	elf_file__free(ef);
	*ratio = n ? (double)good / n : 0;
}

static uintptr_t libc_base;

static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (strstr(info->dlpi_name, "libc.so")) {
		snprintf(data, 512, "%s", info->dlpi_name);
		libc_base = info->dlpi_addr;
	}
	return 0;
}

static void on_usr2(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	const char *wl = argc > 1 ? argv[1] : ".output/workloads/offcpu_wl";
	char libc[512] = "";
	struct cfi_table t;
	double ratio;

	dl_iterate_phdr(find_libc, libc);
	ok(libc[0], "found libc: %s", libc);
	check_entries(libc, &ratio, &t);
	ok(t.n > 1000 && t.fdes > 1000, "libc: %zu rows from %u FDEs (%u skipped)", t.n, t.fdes,
	   t.bad);
	ok(ratio > 0.98, "libc: CFA = rsp + 8 at %.1f%% of function entries", ratio * 100);
	ok(!cfi_table__has_frame_pointers(&t), "libc is built without frame pointers (%u of %u)",
	   t.fp_fdes, t.fdes);
	{
		/* Rows are sorted, and an UNDEF row ends the last FDE. */
		int sorted = 1;

		for (size_t i = 1; i < t.n; i++)
			sorted &= t.rows[i - 1].pc < t.rows[i].pc;
		ok(sorted, "rows strictly sorted by pc");
		ok(t.n && t.rows[t.n - 1].cfa_reg == LT_CFA_UNDEF, "table ends with an end marker");
	}
	{
		/*
		 * The signal trampoline glibc gives the kernel (sa_restorer):
		 * its FDE ('S' augmentation) starts one byte early, so that
		 * the return address looked up at address - 1 still finds it.
		 */
		struct sigaction sa = { .sa_handler = on_usr2 }, old;
		const struct cfi_row *r, *r1;
		uintptr_t at;

		sigaction(SIGUSR2, &sa, NULL);
		sigaction(SIGUSR2, NULL, &old);
		at = (uintptr_t)old.sa_restorer - libc_base;
		r = cfi_table__find(&t, at);
		r1 = cfi_table__find(&t, at - 1);
		ok(old.sa_restorer && r && r->cfa_reg == LT_CFA_SIGNAL,
		   "libc: the signal trampoline at %#lx is a signal frame", (unsigned long)at);
		ok(r1 && r1->cfa_reg == LT_CFA_SIGNAL, "and so is the byte before it");
		r = cfi_table__find(&t, at + 16);
		ok(!r || r->cfa_reg != LT_CFA_SIGNAL, "and nothing after it");
	}
	cfi_table__free(&t);

	check_entries(wl, &ratio, &t);
	ok(ratio == 1.0, "workload: CFA = rsp + 8 at %.1f%% of function entries", ratio * 100);
	ok(cfi_table__has_frame_pointers(&t),
	   "workload built with -fno-omit-frame-pointer detected");
	{
		/* After `push rbp; mov rbp, rsp`: CFA = rbp + 16, caller's rbp at CFA - 16. */
		unsigned int rbp_rows = 0, right = 0;

		for (size_t i = 0; i < t.n; i++) {
			if (t.rows[i].cfa_reg != LT_CFA_RBP)
				continue;
			rbp_rows++;
			right += t.rows[i].cfa_off == 16 && t.rows[i].rbp_off == -16;
		}
		ok(rbp_rows > 3 && right == rbp_rows,
		   "workload: %u of %u rbp rows are rbp+16, rbp at -16", right, rbp_rows);
	}
	cfi_table__free(&t);

	{
		const uint8_t junk[] = { 0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };

		ok(cfi_table__build_raw(junk, sizeof(junk), 0x1000, &t) != 0 || t.fdes == 0,
		   "truncated .eh_frame is rejected, not overrun");
		cfi_table__free(&t);
	}
	return tap_done();
}
