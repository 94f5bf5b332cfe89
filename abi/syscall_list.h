/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A tool's list of timed system calls is one X-macro, LIST(X), with an
 * entry X(OP, name, nr, arg) per call: OP the tool's constant for it, name
 * the syscall's (the kernel's function is __x64_sys_NAME), nr its x86_64
 * number (tests/unit/test_syscalls.c checks each against <asm/unistd_64.h>)
 * and arg a flag of the tool's own. These X's make the rest from it:
 *
 *   enum { LIST(LT_SYSCALL_ENUM) NR };          the tool's op constants
 *   names[] = { LIST(LT_SYSCALL_NAME) };        op -> "name", for user space
 *   LT_SYSCALL_OP_FNS(LIST, op_of, arg_of)      nr -> op (-1: not timed) and
 *                                               op -> arg, for BPF
 */
#ifndef LT_SYSCALL_LIST_H
#define LT_SYSCALL_LIST_H

#define LT_SYSCALL_ENUM(op, name, nr, arg) op,
#define LT_SYSCALL_NAME(op, name, nr, arg) [op] = #name,
/* clang-format off */
#define LT_SYSCALL_NR_CASE(op, name, nr, arg) case nr: return op;
#define LT_SYSCALL_ARG_CASE(op, name, nr, arg) case op: return arg;
/* clang-format on */

#define LT_SYSCALL_OP_FNS(LIST, op_of, arg_of)                          \
	static inline __attribute__((always_inline)) int op_of(long nr) \
	{                                                               \
		switch (nr) {                                           \
			LIST(LT_SYSCALL_NR_CASE)                        \
		default: return -1;                                     \
		}                                                       \
	}                                                               \
	static inline __attribute__((always_inline)) int arg_of(int op) \
	{                                                               \
		switch (op) {                                           \
			LIST(LT_SYSCALL_ARG_CASE)                       \
		default: return 0;                                      \
		}                                                       \
	}

#endif
