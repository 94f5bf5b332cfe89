// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Separate debug info, found the way gdb finds it, and build-ids in hex. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "debuginfo.h"
#include "safeopen.h"

/* Out of time: no more files opened or read for names. */
/* n bytes at b as lowercase hex into out (2n + 1 bytes). */
void lt_hex_str(char *out, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

/* Debug roots, as gdb's debug-file-directory: LATPROF_DEBUG_DIRS (colon-separated). */
static const char *debug_dirs(void)
{
	const char *d = getenv("LATPROF_DEBUG_DIRS");

	return d && *d ? d : "/usr/lib/debug";
}

/*
 * Open a candidate debug file: inside the process's root when root >= 0,
 * else on the host; with a build-id, it must match.
 */
static struct elf_file *try_debug(int root, const char *path, const uint8_t *id, size_t idlen,
				  const uint32_t *crc)
{
	struct lt_open_how how = { .root = root >= 0 ? root : AT_FDCWD,
				   .max_size = LT_ELF_MAX_SIZE };
	struct elf_file *d;
	uint8_t did[64];
	uint32_t dcrc;

	d = elf_file__open_fd(lt_open(path, &how, NULL));
	if (!d)
		return NULL;
	if (id && (elf_file__build_id(d, did, sizeof(did)) != idlen || memcmp(did, id, idlen)))
		goto reject;
	if (crc && (elf_file__crc32(d, &dcrc) || dcrc != *crc))
		goto reject;
	if (!elf_file__has_symtab(d))
		goto reject;
	return d;
reject:
	elf_file__free(d);
	return NULL;
}

/*
 * Separate debug info the way gdb finds it: DIR/.build-id/xx/rest.debug, then
 * .gnu_debuglink next to the binary, in its .debug/, and under DIR/<its dir>,
 * with the CRC checked. Each path is tried inside the process's root first
 * (resolved there: no symlink leads out), then on the host. The debuglink
 * name comes from the file: one with a '/' is refused.
 */
struct elf_file *lt_debug_find(uint32_t tgid, struct elf_file *ef, const char *path)
{
	uint8_t id[64];
	size_t idlen = elf_file__build_id(ef, id, sizeof(id));
	const char *dirs = debug_dirs(), *link;
	char cand[8192], hex[130];
	struct elf_file *d = NULL;
	int roots[2] = { lt_proc_root(tgid), -1 };
	uint32_t crc;
	int dirlen;

	lt_hex_str(hex, id, idlen);
	for (const char *dp = dirs; idlen && *dp && !d;) {
		size_t dl = strcspn(dp, ":");

		snprintf(cand, sizeof(cand), "%.*s/.build-id/%.2s/%s.debug", (int)dl, dp, hex,
			 hex + 2);
		for (int r = 0; r < 2 && !d; r++)
			if (r || roots[0] >= 0)
				d = try_debug(roots[r], cand, id, idlen, NULL);
		dp += dl + (dp[dl] == ':');
	}
	link = d ? NULL : elf_file__debuglink(ef, &crc);
	if (link && strchr(link, '/'))
		link = NULL;
	dirlen = (int)(strrchr(path, '/') ? strrchr(path, '/') - path : 0);
	for (int r = 0; link && r < 2 && !d; r++) {
		if (!r && roots[0] < 0)
			continue;
		snprintf(cand, sizeof(cand), "%.*s/%s", dirlen, path, link);
		d = try_debug(roots[r], cand, NULL, 0, &crc);
		if (!d) {
			snprintf(cand, sizeof(cand), "%.*s/.debug/%s", dirlen, path, link);
			d = try_debug(roots[r], cand, NULL, 0, &crc);
		}
		for (const char *dp = dirs; !d && *dp;) {
			size_t dl = strcspn(dp, ":");

			snprintf(cand, sizeof(cand), "%.*s%.*s/%s", (int)dl, dp, dirlen, path,
				 link);
			d = try_debug(roots[r], cand, NULL, 0, &crc);
			dp += dl + (dp[dl] == ':');
		}
	}
	if (roots[0] >= 0)
		close(roots[0]);
	/* Last resort: the MiniDebugInfo embedded in the file itself. */
	return d ?: elf_file__open_minidebug(ef);
}
