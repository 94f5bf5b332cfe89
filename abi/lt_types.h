/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Fixed-width types for headers shared by BPF programs and user space. */
#ifndef LT_TYPES_H
#define LT_TYPES_H
#ifdef __BPF__
/* vmlinux.h, included first by every .bpf.c, provides __u32/__u64. */
#else
#include <linux/types.h>
#endif
#endif
