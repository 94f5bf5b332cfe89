// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "srcline.h"

/* Deeper inline nests than this are cut at the outermost frames. */
#define LT_SRC_DEPTH 32

struct src_entry {
	uint64_t vaddr;
	uint32_t first, n; /* frames[first .. first + n) */
	bool used;
};

struct lt_srcline {
	Dwarf *dw;
	struct src_entry *tab; /* open addressing by vaddr */
	size_t tab_cap, tab_n;
	struct lt_srcframe *frames;
	size_t nframes, frames_cap;
};

struct lt_srcline *lt_srcline__open(Elf *elf)
{
	struct lt_srcline *sl;
	Dwarf *dw;

	if (!elf || !(dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL)))
		return NULL;
	sl = calloc(1, sizeof(*sl));
	if (!sl) {
		dwarf_end(dw);
		return NULL;
	}
	sl->dw = dw;
	return sl;
}

void lt_srcline__free(struct lt_srcline *sl)
{
	if (!sl)
		return;
	dwarf_end(sl->dw);
	free(sl->tab);
	free(sl->frames);
	free(sl);
}

/* The compile unit covering pc: by .debug_aranges, else by each CU's ranges (clang emits no aranges). */
static bool find_cu(Dwarf *dw, Dwarf_Addr pc, Dwarf_Die *cu)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (dwarf_addrdie(dw, pc, cu))
		return true;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, cu) && dwarf_haspc(cu, pc) > 0)
			return true;
		off = next;
	}
	return false;
}

struct chain {
	Dwarf_Die die[LT_SRC_DEPTH]; /* subprogram, then inlined subroutines, outermost first */
	int n;
};

/*
 * Walk down from parent through the DIEs whose ranges hold pc, keeping the
 * functions (the concrete one and each inlined instance) on the way. true
 * when a function was found below parent.
 */
static bool descend(Dwarf_Die *parent, Dwarf_Addr pc, struct chain *c)
{
	Dwarf_Die child;

	if (dwarf_child(parent, &child) != 0)
		return false;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
		case DW_TAG_inlined_subroutine:
			if (dwarf_haspc(&child, pc) <= 0)
				break;
			if (c->n < LT_SRC_DEPTH)
				c->die[c->n++] = child;
			descend(&child, pc, c);
			return true;
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			if (dwarf_haspc(&child, pc) <= 0)
				break;
			return descend(&child, pc, c);
		/* C++ and Rust put function definitions inside these. */
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
			if (descend(&child, pc, c))
				return true;
			break;
		default: break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static const char *die_name(Dwarf_Die *die)
{
	static const int names[] = { DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name };
	Dwarf_Attribute a;
	const char *s;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (dwarf_attr_integrate(die, names[i], &a) && (s = dwarf_formstring(&a)))
			return s;
	return "[inlined]";
}

static uint32_t die_udata(Dwarf_Die *die, int name)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr(die, name, &a) || dwarf_formudata(&a, &w))
		return 0;
	return (uint32_t)w;
}

/* Resolve pc into out (innermost first). Returns the count. */
static int resolve(Dwarf *dw, Dwarf_Addr pc, struct lt_srcframe *out, int max)
{
	Dwarf_Files *files = NULL;
	struct chain c = { .n = 0 };
	Dwarf_Line *line;
	Dwarf_Die cu;
	size_t nfiles = 0;
	int n = 0, lineno = 0;
	const char *file = NULL;

	if (!find_cu(dw, pc, &cu))
		return 0;
	if ((line = dwarf_getsrc_die(&cu, pc))) {
		file = dwarf_linesrc(line, NULL, NULL);
		dwarf_lineno(line, &lineno);
	}
	descend(&cu, pc, &c);
	dwarf_getsrcfiles(&cu, &files, &nfiles);
	/* Innermost first; each frame's line is where the next-inner one was inlined. */
	for (int i = c.n - 1; i >= 0 && n < max; i--) {
		bool inl = dwarf_tag(&c.die[i]) == DW_TAG_inlined_subroutine;

		out[n++] = (struct lt_srcframe){
			.func = inl ? die_name(&c.die[i]) : NULL,
			.file = file,
			.line = lineno > 0 ? (uint32_t)lineno : 0,
		};
		if (!inl)
			return n;
		lineno = (int)die_udata(&c.die[i], DW_AT_call_line);
		file = NULL;
		if (files) {
			uint32_t idx = die_udata(&c.die[i], DW_AT_call_file);

			file = idx < nfiles ? dwarf_filesrc(files, idx, NULL, NULL) : NULL;
		}
	}
	/* No concrete function found (or the nest was cut): the line alone. */
	if (n < max)
		out[n++] = (struct lt_srcframe){ .file = file,
						 .line = lineno > 0 ? (uint32_t)lineno : 0 };
	return n;
}

static uint64_t vhash(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	return v ^ (v >> 33);
}

static struct src_entry *slot(struct src_entry *tab, size_t cap, uint64_t vaddr)
{
	size_t j = vhash(vaddr) & (cap - 1);

	while (tab[j].used && tab[j].vaddr != vaddr)
		j = (j + 1) & (cap - 1);
	return &tab[j];
}

static int grow(struct lt_srcline *sl)
{
	size_t cap = sl->tab_cap ? sl->tab_cap * 2 : 1024;
	struct src_entry *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < sl->tab_cap; i++)
		if (sl->tab[i].used)
			*slot(tab, cap, sl->tab[i].vaddr) = sl->tab[i];
	free(sl->tab);
	sl->tab = tab;
	sl->tab_cap = cap;
	return 0;
}

int lt_srcline__lookup(struct lt_srcline *sl, uint64_t vaddr, struct lt_srcframe *out, int max)
{
	struct lt_srcframe tmp[LT_SRC_DEPTH + 1];
	struct src_entry *e;
	int n;

	if ((sl->tab_n + 1) * 2 > sl->tab_cap && grow(sl))
		return resolve(sl->dw, vaddr, out, max);
	e = slot(sl->tab, sl->tab_cap, vaddr);
	if (!e->used) {
		n = resolve(sl->dw, vaddr, tmp, LT_SRC_DEPTH + 1);
		if (n && sl->nframes + n > sl->frames_cap) {
			size_t cap = sl->frames_cap ? sl->frames_cap * 2 : 1024;
			struct lt_srcframe *f;

			while (cap < sl->nframes + n)
				cap *= 2;
			f = realloc(sl->frames, cap * sizeof(*f));
			if (!f) {
				n = n < max ? n : max;
				memcpy(out, tmp, n * sizeof(*out));
				return n;
			}
			sl->frames = f;
			sl->frames_cap = cap;
		}
		if (n)
			memcpy(sl->frames + sl->nframes, tmp, n * sizeof(*tmp));
		*e = (struct src_entry){ .vaddr = vaddr,
					 .first = (uint32_t)sl->nframes,
					 .n = (uint32_t)n,
					 .used = true };
		sl->nframes += n;
		sl->tab_n++;
	}
	n = (int)e->n < max ? (int)e->n : max;
	if (n)
		memcpy(out, sl->frames + e->first, n * sizeof(*out));
	return n;
}

struct inl_search {
	const char *name;
	bool inlined, outlined;
};

static int inl_func(Dwarf_Die *die, void *arg)
{
	struct inl_search *q = arg;
	const char *n = dwarf_diename(die);
	Dwarf_Addr lo;

	if (!n || strcmp(n, q->name))
		return DWARF_CB_OK;
	if (dwarf_func_inline(die))
		q->inlined = true;
	if (dwarf_lowpc(die, &lo) == 0 || dwarf_hasattr(die, DW_AT_ranges))
		q->outlined = true;
	return DWARF_CB_OK;
}

bool lt_srcline__inlined_only(struct lt_srcline *sl, const char *name)
{
	struct inl_search q = { .name = name };
	Dwarf_Off off = 0, next;
	size_t hsize;
	Dwarf_Die cu;

	while (sl && dwarf_nextcu(sl->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(sl->dw, off + hsize, &cu))
			dwarf_getfuncs(&cu, inl_func, &q, 0);
		off = next;
	}
	return q.inlined && !q.outlined;
}
