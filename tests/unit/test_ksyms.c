// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* kallsyms parsing and lookup against files the test writes. */
#include <stdlib.h>
#include <unistd.h>
#include "ksyms.h"
#include "tap.h"

static const char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/lt-ksyms-%d", getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

int main(void)
{
	const char *path = write_tmp("ffffffff81000000 T _stext\n"
				     "ffffffff81001000 T do_nanosleep\n"
				     "ffffffff81002000 t schedule\n"
				     "ffffffff81003000 D some_data\n"
				     "ffffffffc0001000 t ext4_file_read_iter\t[ext4]\n"
				     "ffffffffc0100000 t bpf_prog_abc123_handler\t[bpf]\n");
	struct ksyms *ks = ksyms__load(path);
	const struct ksym *k;

	ok(ks != NULL, "load a kallsyms file");
	ok(ksyms__count(ks) == 5, "text symbols only (data skipped): %u", ksyms__count(ks));
	k = ksyms__find(ks, 0xffffffff81001234);
	is_str(k ? k->name : NULL, "do_nanosleep", "address inside do_nanosleep");
	k = ksyms__find(ks, 0xffffffff81003010);
	is_str(k ? k->name : NULL, "schedule", "data symbols do not swallow text addresses");
	k = ksyms__find(ks, 0xffffffffc0001010);
	is_str(k ? k->name : NULL, "ext4_file_read_iter", "module symbol");
	is_str(k ? k->module : NULL, "ext4", "module name");
	ok(ksyms__find(ks, 0xffffffff80000000) == NULL, "below the first symbol: none");
	ok(ksyms__addr(ks, "schedule") == 0xffffffff81002000, "address by name");
	ok(!ksyms__restricted(ks), "not restricted");
	ksyms__free(ks);

	path = write_tmp("0000000000000000 T _stext\n0000000000000000 T schedule\n");
	ks = ksyms__load(path);
	ok(ks && ksyms__restricted(ks), "all-zero addresses: kptr_restrict detected");
	ok(ks && !ksyms__find(ks, 0x1234), "restricted: no lookups");
	ksyms__free(ks);
	unlink(path);

	ks = ksyms__load("/proc/kallsyms");
	ok(ks && ksyms__count(ks) > 1000, "the running kernel's kallsyms loads");
	ksyms__free(ks);
	return tap_done();
}
