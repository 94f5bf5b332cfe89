/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * .eh_frame call frame information, reduced to what an x86-64 unwinder needs
 * to step from one frame to its caller: how to compute the CFA (rsp or rbp
 * plus an offset), where the caller's rbp was saved, and that the return
 * address sits at CFA - 8. Rows are sorted by link-time address; a row holds
 * from its pc up to the next row's pc.
 */
#ifndef LT_CFI_H
#define LT_CFI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>
#include "unwind.h"

struct cfi_row {
	uint64_t pc;
	int32_t cfa_off;
	uint8_t cfa_reg; /* enum lt_cfa_reg */
	int16_t rbp_off; /* caller's rbp at CFA + rbp_off, 0 = unchanged */
};

struct cfi_table {
	struct cfi_row *rows;
	size_t n, cap;
	unsigned int fdes; /* FDEs parsed */
	unsigned int fp_fdes; /* FDEs that make rbp the CFA register */
	unsigned int bad; /* entries skipped as malformed or unsupported */
};

/*
 * Build the table of an ELF file's .eh_frame. 0, -ENOENT (no .eh_frame),
 * -EINVAL or -ENOMEM; on failure t holds nothing to free.
 */
int cfi_table__build(Elf *elf, struct cfi_table *t);
/* Build from a raw .eh_frame image loaded at link-time address `vaddr`. */
int cfi_table__build_raw(const uint8_t *data, size_t size, uint64_t vaddr, struct cfi_table *t);
/*
 * true when most functions keep a frame pointer, so the rbp chain alone walks
 * them and no table needs to be loaded into the kernel.
 */
bool cfi_table__has_frame_pointers(const struct cfi_table *t);
/* Row covering pc, or NULL (also for pcs no FDE covers). */
const struct cfi_row *cfi_table__find(const struct cfi_table *t, uint64_t pc);
void cfi_table__free(struct cfi_table *t);

#endif
