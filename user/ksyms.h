/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel symbols from /proc/kallsyms, including [module] and [bpf] names. */
#ifndef LT_KSYMS_H
#define LT_KSYMS_H
#include <stdbool.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* NULL for vmlinux, else "ext4", "bpf", ... */
};

struct ksyms;

/* Load a kallsyms-format file. NULL with errno set on failure; caller frees. */
struct ksyms *ksyms__load(const char *path);
/* Symbol containing addr (the last one at or below it), or NULL. */
const struct ksym *ksyms__find(const struct ksyms *ks, uint64_t addr);
/* Address of `name`, or 0. */
uint64_t ksyms__addr(const struct ksyms *ks, const char *name);
/* true when kptr_restrict hid every address (all read as zero). */
bool ksyms__restricted(const struct ksyms *ks);
unsigned int ksyms__count(const struct ksyms *ks);
void ksyms__free(struct ksyms *ks);

#endif
