/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel frames' names: kallsyms (loaded at the first use), the BPF programs
 * loaded while tracing (their exact names, kept after they unload), and the
 * running kernel's build-id. Part of the symbolizer (syms.h), which owns one.
 */
#ifndef LT_KNAMES_H
#define LT_KNAMES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lt_knames {
	struct ksyms *ks;
	int ks_state; /* 0 not tried, 1 loaded, -1 unavailable */
	struct lt_bpf_progs *bpf; /* BPF programs seen, for exact [bpf] names */
	char build_id[129];
	bool build_id_read;
	bool bpf_final; /* refreshed once more at the first kernel lookup */
};

void lt_knames__free(struct lt_knames *k);
/* Can kernel addresses be named (kallsyms readable, not hidden)? Warns once if not. */
bool lt_knames__available(struct lt_knames *k);
/* The running kernel's GNU build-id in hex, "" when unknown. */
const char *lt_knames__build_id(struct lt_knames *k);
/* Note the BPF programs loaded now. How many, or -errno. */
int lt_knames__snapshot_bpf(struct lt_knames *k);
/* addr's name into buf; *hidden: BPF or tracing glue, which outputs leave out. */
const char *lt_knames__name(struct lt_knames *k, uint64_t addr, bool *hidden, char *buf, size_t sz);

#endif
