/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The loaded BPF programs' JITed code ranges, named as /proc/kallsyms names
 * them (bpf_prog_TAG_NAME, one per function). kallsyms gives no sizes and
 * forgets a program once it is unloaded; these ranges are exact and are kept
 * for programs that unload before the output is written.
 */
#ifndef LT_BPF_PROGS_H
#define LT_BPF_PROGS_H
#include <stdint.h>

struct lt_bpf_progs;

/* NULL on allocation failure. */
struct lt_bpf_progs *lt_bpf_progs__new(void);
void lt_bpf_progs__free(struct lt_bpf_progs *bp);

/*
 * Add the programs loaded now that were not seen before. Returns how many
 * were added, or -errno when programs cannot be listed (not root).
 */
int lt_bpf_progs__refresh(struct lt_bpf_progs *bp);

/* Name of the BPF function whose JITed code holds addr, or NULL. */
const char *lt_bpf_progs__find(const struct lt_bpf_progs *bp, uint64_t addr);

#endif
