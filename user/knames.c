// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "bpf_progs.h"
#include "debuginfo.h"
#include "err.h"
#include "knames.h"
#include "ksyms.h"

void lt_knames__free(struct lt_knames *s)
{
	ksyms__free(s->ks);
	lt_bpf_progs__free(s->bpf);
	memset(s, 0, sizeof(*s));
}

static bool ensure_ksyms(struct lt_knames *s)
{
	if (!s->ks_state) {
		s->ks = ksyms__load("/proc/kallsyms");
		s->ks_state = s->ks && !ksyms__restricted(s->ks) ? 1 : -1;
		if (!s->ks)
			lt_warn("cannot read '/proc/kallsyms': %s; kernel frames are shown as "
				"addresses",
				strerror(errno));
		else if (ksyms__restricted(s->ks))
			lt_warn("kernel addresses in /proc/kallsyms are hidden (kptr_restrict); "
				"run as root or set kernel.kptr_restrict=0 to name kernel frames");
	}
	return s->ks_state > 0;
}

bool lt_knames__available(struct lt_knames *s)
{
	return ensure_ksyms(s);
}

/* The running kernel's GNU build-id, from its ELF notes in /sys/kernel/notes. */
const char *lt_knames__build_id(struct lt_knames *s)
{
	unsigned char buf[4096];
	size_t n = 0, off = 0;
	FILE *f;

	if (s->build_id_read)
		return s->build_id;
	s->build_id_read = true;
	f = fopen("/sys/kernel/notes", "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	while (off + 12 <= n) {
		uint32_t namesz, descsz, type;
		size_t name_at = off + 12, desc_at;

		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		desc_at = name_at + ((namesz + 3) & ~3U);
		if (desc_at + descsz > n || namesz > n || descsz > n)
			break;
		if (type == 3 && namesz == 4 && !memcmp(buf + name_at, "GNU", 4) && descsz <= 64) {
			lt_hex_str(s->build_id, buf + desc_at, descsz);
			break;
		}
		off = desc_at + ((descsz + 3) & ~3U);
	}
	return s->build_id;
}

int lt_knames__snapshot_bpf(struct lt_knames *s)
{
	int n;

	if (!s->bpf && !(s->bpf = lt_bpf_progs__new()))
		return -ENOMEM;
	n = lt_bpf_progs__refresh(s->bpf);
	if (n < 0 && n != -ENOMEM)
		lt_info("cannot list BPF programs: %s; BPF frames are named from kallsyms only",
			strerror(-n));
	return n;
}

const char *lt_knames__name(struct lt_knames *s, uint64_t addr, bool *hidden, char *buf, size_t sz)
{
	uint64_t look = addr ? addr - 1 : 0;
	const struct ksym *k = NULL;
	const char *bpf;

	*hidden = false;
	/* Programs loaded since the last snapshot; those unloaded are kept. */
	if (s->bpf && !s->bpf_final) {
		s->bpf_final = true;
		lt_bpf_progs__refresh(s->bpf);
	}
	if (s->bpf && (bpf = lt_bpf_progs__find(s->bpf, look))) {
		*hidden = true;
		snprintf(buf, sz, "%s", bpf);
		return buf;
	}
	if (ensure_ksyms(s))
		k = ksyms__find(s->ks, look);
	if (!k) {
		snprintf(buf, sz, "[kernel]+0x%" PRIx64, addr);
		return buf;
	}
	if (!strncmp(k->name, "bpf_prog_", 9) || !strncmp(k->name, "bpf_trace_run", 13) ||
	    !strncmp(k->name, "__bpf_trace_", 12) || !strncmp(k->name, "__traceiter_", 12) ||
	    (k->module && !strcmp(k->module, "bpf")))
		*hidden = true;
	/*
	 * kallsyms has no sizes: for code of a BPF program unloaded before now,
	 * its nearest symbol is another program's. Only the snapshot names BPF.
	 */
	if (s->bpf && k->module && !strcmp(k->module, "bpf"))
		snprintf(buf, sz, "[bpf]+0x%" PRIx64, addr);
	else
		snprintf(buf, sz, "%s", k->name);
	return buf;
}
