// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dlnap PATH N MS: dlopen the library at PATH, call its lt_shared_nap(MS) N
 * times, exit. Run inside a mount namespace of its own, where PATH is a
 * private file and the host has another at the same path.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int (*nap)(int);
	void *h;

	if (argc < 4)
		return 2;
	h = dlopen(argv[1], RTLD_NOW);
	nap = h ? (int (*)(int))dlsym(h, "lt_shared_nap") : NULL;
	if (!nap) {
		fprintf(stderr, "dlnap: %s\n", dlerror());
		return 1;
	}
	for (int i = 0; i < atoi(argv[2]); i++)
		nap(atoi(argv[3]));
	return 0;
}
