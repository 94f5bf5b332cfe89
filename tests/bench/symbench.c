// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Symbolizer throughput for `make bench`: 100k unique addresses spread over
 * the executable segments of 50 ELF files from this system, named through
 * the same elf_file code the symbolizer uses (parse each file once, sorted
 * symbols, binary search). Prints files, addresses, names found and seconds.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gelf.h>
#include "elf_file.h"

#define NFILES 50
#define NADDR 100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	const char *dirs[] = { "/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/sbin" };
	static char paths[NFILES][512];
	struct elf_file *ef[NFILES];
	uint64_t lo[NFILES], hi[NFILES];
	int nf = 0, named = 0;
	double t0;

	/* Pick files first (not timed): ELF with an executable segment. */
	for (size_t d = 0; d < 3 && nf < NFILES; d++) {
		DIR *dp = opendir(dirs[d]);
		struct dirent *de;

		while (dp && nf < NFILES && (de = readdir(dp))) {
			char p[512];
			struct elf_file *f;
			Elf *e;
			size_t n;

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dirs[d], de->d_name);
			f = elf_file__open(p);
			if (!f)
				continue;
			e = elf_file__elf(f);
			lo[nf] = hi[nf] = 0;
			if (!elf_getphdrnum(e, &n))
				for (size_t i = 0; i < n; i++) {
					GElf_Phdr ph;

					if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD &&
					    (ph.p_flags & PF_X) && ph.p_filesz > 4096) {
						lo[nf] = ph.p_vaddr;
						hi[nf] = ph.p_vaddr + ph.p_filesz;
					}
				}
			elf_file__free(f);
			if (hi[nf])
				snprintf(paths[nf++], sizeof(paths[0]), "%s", p);
		}
		if (dp)
			closedir(dp);
	}
	t0 = now();
	for (int i = 0; i < nf; i++)
		ef[i] = elf_file__open(paths[i]);
	srand(1);
	for (int i = 0; i < NADDR; i++) {
		int f = i % nf;
		uint64_t a = lo[f] + ((uint64_t)rand() * 7919 + i) % (hi[f] - lo[f]);

		if (ef[f] && elf_file__sym(ef[f], a))
			named++;
	}
	printf("files %d addresses %d named %d seconds %.3f\n", nf, NADDR, named, now() - t0);
	for (int i = 0; i < nf; i++)
		elf_file__free(ef[i]);
	return 0;
}
