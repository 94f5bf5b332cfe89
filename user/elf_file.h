/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One ELF file as the symbolizer and the unwinder need it: function symbols
 * (.symtab, else .dynsym) sorted by address, and the PT_LOAD segments that
 * turn a file offset (what /proc/PID/maps gives) into a link-time address.
 */
#ifndef LT_ELF_FILE_H
#define LT_ELF_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

struct elf_file;

struct elf_seg {
	uint64_t vaddr, offset, filesz;
	bool exec;
};

/* Open `path` and index its segments (symbols load on first lookup). NULL with errno set (ENOEXEC: not ELF); caller frees. */
struct elf_file *elf_file__open(const char *path);
/* The same from an open fd, which it owns (closed on failure too). */
struct elf_file *elf_file__open_fd(int fd);

/* ELF files larger than this are not opened (a bound on what a target can make us map). */
#define LT_ELF_MAX_SIZE (16ULL << 30)
void elf_file__free(struct elf_file *ef);
/*
 * Index an ELF image in memory (a vDSO read from /proc/PID/mem); takes
 * ownership of buf (malloc'd). Among aliases, `__vdso_` names are preferred,
 * as perf shows them. NULL with errno set.
 */
struct elf_file *elf_file__open_vdso(void *buf, size_t size);

/*
 * Name of the function containing link-time address vaddr, or NULL. A sized
 * symbol must contain vaddr; a zero-size symbol (assembly) covers up to the
 * next symbol within its section. Among aliases at one address the name with
 * the fewest leading underscores wins, then global over weak, then the
 * shortest: `nanosleep` rather than `__nanosleep`.
 */
const char *elf_file__sym(struct elf_file *ef, uint64_t vaddr);

/*
 * Call cb for each function symbol (one name per address, as elf_file__sym
 * names it; versions stripped from the name are not) until cb returns
 * non-zero, which it returns. 0 when done or when there are no symbols.
 */
typedef int (*elf_func_cb)(const char *name, uint64_t vaddr, uint64_t size, void *ctx);
int elf_file__foreach_func(struct elf_file *ef, elf_func_cb cb, void *ctx);

/*
 * Call cb for each USDT probe in the file's .note.stapsdt (SystemTap SDT
 * notes): provider, name, argument spec ("-4@%edi 8@%rsi"), the probe's
 * link-time address and its semaphore's (0: none), until cb returns
 * non-zero, which it returns. 0 when done or when there are none; notes
 * that do not parse are skipped.
 */
typedef int (*elf_usdt_cb)(const char *provider, const char *name, const char *args, uint64_t addr,
			   uint64_t sema, void *ctx);
int elf_file__foreach_usdt(struct elf_file *ef, elf_usdt_cb cb, void *ctx);

/* Does the file define a function symbol `name` (any version)? */
bool elf_file__defines(struct elf_file *ef, const char *name);

/* File offset -> link-time address through the PT_LOAD holding it. 0 or -ENOENT. */
int elf_file__off_to_vaddr(const struct elf_file *ef, uint64_t off, uint64_t *vaddr);
/* Link-time address -> file offset. 0 or -ENOENT. */
int elf_file__vaddr_to_off(const struct elf_file *ef, uint64_t vaddr, uint64_t *off);

/* true when the file has a .symtab (not stripped). */
bool elf_file__has_symtab(const struct elf_file *ef);
/* Does the file have a section of this name? Cannot fail. */
bool elf_file__has_section(const struct elf_file *ef, const char *name);
/* GNU build-id into buf (at most sz bytes); its length, or 0 when none. */
size_t elf_file__build_id(const struct elf_file *ef, uint8_t *buf, size_t sz);
/* .gnu_debuglink file name and CRC, or NULL when none. Valid while ef lives. */
const char *elf_file__debuglink(const struct elf_file *ef, uint32_t *crc);
/* CRC32 of the whole file (the .gnu_debuglink checksum). 0 or -errno. */
int elf_file__crc32(const struct elf_file *ef, uint32_t *crc);
/*
 * Take symbols from `debug` (a separate debug file of ef; owned by ef from
 * now on) instead of ef's own .dynsym. Addresses stay ef's.
 */
void elf_file__set_debug(struct elf_file *ef, struct elf_file *debug);
/*
 * The MiniDebugInfo of ef: its xz-compressed .gnu_debugdata, a small ELF with
 * a .symtab of the functions .dynsym lacks. NULL when there is none.
 */
struct elf_file *elf_file__open_minidebug(const struct elf_file *ef);
/* The separate debug file set by elf_file__set_debug(), or NULL. Owned by ef. */
const struct elf_file *elf_file__debug(const struct elf_file *ef);
/* The libelf handle, valid until elf_file__free(). */
Elf *elf_file__elf(const struct elf_file *ef);

#endif
