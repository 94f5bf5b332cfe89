/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * latprof io: what crosses between its BPF program and user space. Block mode
 * aggregates into the shared stack map (stack_agg.h) with aux = operation,
 * flags and phase, aux2 = the device.
 */
#ifndef LT_IO_H
#define LT_IO_H
#include "lt_types.h"

/* The operation of a request, from REQ_OP_* (cmd_flags & REQ_OP_MASK). */
enum io_op {
	IO_OP_READ,
	IO_OP_WRITE,
	IO_OP_FLUSH,
	IO_OP_DISCARD,
	IO_OP_WRITE_ZEROES,
	IO_OP_OTHER,
};

/* Request flags latprof reports: REQ_SYNC, REQ_META, REQ_FUA, REQ_PREFLUSH. */
#define IO_F_SYNC 0x1
#define IO_F_META 0x2
#define IO_F_FUA 0x4
#define IO_F_PREFLUSH 0x8

/* Where the time went: queued (insert to issue) or in the device (issue to completion). */
enum io_phase {
	IO_PHASE_DEVICE,
	IO_PHASE_QUEUE,
};

/* lt_stack_key.aux of a block I/O sample. */
#define IO_AUX(op, flags, phase) ((op) | (flags) << 8 | (phase) << 16)
#define IO_AUX_OP(aux) ((aux)&0xff)
#define IO_AUX_FLAGS(aux) (((aux) >> 8) & 0xff)
#define IO_AUX_PHASE(aux) (((aux) >> 16) & 0xff)

/* lt_stack_key.aux2: the whole disk's device number, the kernel's MKDEV layout. */
#define IO_DEV(major, minor) ((major) << 20 | (minor))
#define IO_DEV_MAJOR(d) ((d) >> 20)
#define IO_DEV_MINOR(d) ((d)&0xfffff)

#endif
