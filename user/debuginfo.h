/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Separate debug info of an ELF file, and build-ids in hex. */
#ifndef LT_DEBUGINFO_H
#define LT_DEBUGINFO_H
#include <stddef.h>
#include <stdint.h>
#include "elf_file.h"

/* n bytes at b as lowercase hex into out (2n + 1 bytes). */
void lt_hex_str(char *out, const unsigned char *b, size_t n);

/*
 * The debug file of ef (mapped by process tgid at path), or its embedded
 * MiniDebugInfo, or NULL: LATPROF_DEBUG_DIRS (default /usr/lib/debug)
 * searched as gdb does, inside the process's root first.
 */
struct elf_file *lt_debug_find(uint32_t tgid, struct elf_file *ef, const char *path);

#endif
