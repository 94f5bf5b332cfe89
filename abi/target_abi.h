/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Target selection's sizes, shared by BPF (target.bpf.h) and user space
 * (user/target.c, which fills the rodata and maps).
 */
#ifndef LT_TARGET_ABI_H
#define LT_TARGET_ABI_H

#define LT_TARGET_MAX 1024 /* pids, and tids, that -p and -t take; the maps' size */
#define LT_TARG_INLINE 8 /* ids compared inline in rodata, without a map lookup */

#endif
