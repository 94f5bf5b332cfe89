// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness over latprof's ELF reading: segments, symbols, build-id,
 * .gnu_debuglink, MiniDebugInfo, DWARF lines (--lines) and .eh_frame CFI from an
 * in-memory image, plus the raw
 * .eh_frame parser on the same bytes. Truncated or corrupted files must
 * never crash latprof. Built with clang -fsanitize=fuzzer,address,undefined
 * (`make fuzz`; briefly in `make test`).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cfi.h"
#include "elf_file.h"
#include "srcline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfi_table t;
	void *buf = malloc(size ? size : 1);
	struct elf_file *ef;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ef = elf_file__open_vdso(buf, size); /* takes buf */
	if (ef) {
		uint8_t id[64];
		uint32_t crc;
		uint64_t v;

		elf_file__build_id(ef, id, sizeof(id));
		elf_file__debuglink(ef, &crc);
		elf_file__has_symtab(ef);
		elf_file__free(elf_file__open_minidebug(ef));
		for (uint64_t a = 0; a < 0x20000; a += 0x3f1)
			elf_file__sym(ef, a);
		elf_file__off_to_vaddr(ef, 0x40, &v);
		elf_file__vaddr_to_off(ef, 0x1000, &v);
		{
			struct lt_srcline *sl = lt_srcline__open(elf_file__elf(ef));
			struct lt_srcframe sf[8];

			for (uint64_t a = 0; sl && a < 0x20000; a += 0x7e3)
				lt_srcline__lookup(sl, a, sf, 8);
			lt_srcline__free(sl);
		}
		if (!cfi_table__build(elf_file__elf(ef), &t)) {
			cfi_table__find(&t, 0x1000);
			cfi_table__has_frame_pointers(&t);
			cfi_table__free(&t);
		}
		elf_file__free(ef);
	}
	if (!cfi_table__build_raw(data, size, 0x1000, &t))
		cfi_table__free(&t);
	return 0;
}
