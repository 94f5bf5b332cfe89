// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include "cfi.h"
#include "sorted.h"

#define DW_REG_RBP 6
#define DW_REG_RSP 7
#define DW_REG_RA 16

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_datarel 0x30

/* Bounded little-endian reader over one entry; sets `bad` instead of overrunning. */
struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t rd_u(struct rd *r, unsigned int n)
{
	uint64_t v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

/* LEB128, unsigned or sign-extended. */
static uint64_t rd_leb(struct rd *r, bool sign)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (r->bad || r->p >= r->end) {
			r->bad = true;
			return 0;
		}
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return v;
}

static uint64_t rd_uleb(struct rd *r)
{
	return rd_leb(r, false);
}

static int64_t rd_sleb(struct rd *r)
{
	return (int64_t)rd_leb(r, true);
}

/* Read a pointer in encoding `enc`; `here` is the link-time address of the field. */
static uint64_t rd_ptr(struct rd *r, uint8_t enc, uint64_t here)
{
	uint64_t v;

	if (enc == DW_EH_PE_omit)
		return 0;
	switch (enc & 0x0f) {
	case 0x00: v = rd_u(r, 8); break;
	case 0x01: v = rd_uleb(r); break;
	case 0x02: v = rd_u(r, 2); break;
	case 0x03: v = rd_u(r, 4); break;
	case 0x04: v = rd_u(r, 8); break;
	case 0x09: v = rd_sleb(r); break;
	case 0x0a: v = (int16_t)rd_u(r, 2); break;
	case 0x0b: v = (int32_t)rd_u(r, 4); break;
	case 0x0c: v = rd_u(r, 8); break;
	default: r->bad = true; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case DW_EH_PE_pcrel: v += here; break;
	default: r->bad = true; /* datarel/textrel/funcrel: not used on x86-64 Linux */
	}
	return v;
}

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	bool has_z;
	bool signal; /* 'S': a signal trampoline's frame */
	const uint8_t *insns, *insns_end;
};

/*
 * Factored offset * alignment factor. Hostile input may overflow: wrap in
 * unsigned arithmetic (defined), and let the range checks reject the result.
 */
static int64_t scale(uint64_t v, int64_t factor)
{
	return (int64_t)(v * (uint64_t)factor);
}

/* The unwind state machine: only the registers latprof's unwinder uses. */
struct cfa_state {
	uint8_t reg; /* enum lt_cfa_reg */
	int64_t off;
	int64_t rbp; /* CFA-relative, 0: unchanged */
	bool ra_ok; /* return address at CFA - 8 */
};

#define CFI_STACK 16

static int add_row(struct cfi_table *t, uint64_t pc, const struct cfa_state *s)
{
	struct cfi_row row = { .pc = pc, .cfa_reg = s->reg };

	if (s->reg != LT_CFA_UNDEF && s->ra_ok && s->off >= INT32_MIN && s->off <= INT32_MAX &&
	    s->rbp >= INT16_MIN && s->rbp <= INT16_MAX) {
		row.cfa_off = (int32_t)s->off;
		row.rbp_off = (int16_t)s->rbp;
	} else {
		row.cfa_reg = LT_CFA_UNDEF;
	}
	if (t->n && t->rows[t->n - 1].pc == pc) {
		t->rows[t->n - 1] = row;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct cfi_row *p = realloc(t->rows, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->rows = p;
		t->cap = cap;
	}
	t->rows[t->n++] = row;
	return 0;
}

/* The glibc/binutils PLT CFA expression: rsp + 8 + ((rip & 15) >= 11) * 8. */
static bool is_plt_expr(const uint8_t *p, uint64_t len, int64_t *off)
{
	struct rd r = { p, p + len, false };

	if (len < 4 || rd_u(&r, 1) != 0x77 /* DW_OP_breg7 (rsp) */)
		return false;
	*off = rd_sleb(&r);
	return !r.bad && memchr(r.p, 0x1a /* DW_OP_and */, r.end - r.p) != NULL;
}

/*
 * Run CFA instructions from `r`, emitting a row at each location change when
 * `t` is set (the CIE's initial instructions run with t == NULL).
 */
static int run_insns(struct rd *r, const struct cie *c, uint64_t *loc, uint64_t end,
		     struct cfa_state *s, const struct cfa_state *init, struct cfi_table *t,
		     bool *uses_rbp)
{
	struct cfa_state stack[CFI_STACK];
	unsigned int sp = 0;
	int err;

	while (r->p < r->end && !r->bad) {
		uint8_t op = rd_u(r, 1), low = op & 0x3f;
		uint64_t reg, adv = 0, len;
		int64_t off;

		switch (op >> 6) {
		case 1: /* advance_loc */ adv = low * c->code_align; goto advance;
		case 2: /* offset */
			off = scale(rd_uleb(r), c->data_align);
			if (low == DW_REG_RBP)
				s->rbp = off;
			else if (low == DW_REG_RA)
				s->ra_ok = off == -8;
			continue;
		case 3: /* restore */
			if (low == DW_REG_RBP)
				s->rbp = init->rbp;
			else if (low == DW_REG_RA)
				s->ra_ok = init->ra_ok;
			continue;
		}
		switch (op) {
		case 0x00: /* nop */ continue;
		case 0x01: { /* set_loc */
			uint64_t to = rd_ptr(r, c->fde_enc, 0);

			if (t && (err = add_row(t, *loc, s)))
				return err;
			*loc = to;
			continue;
		}
		case 0x02: adv = rd_u(r, 1) * c->code_align; goto advance;
		case 0x03: adv = rd_u(r, 2) * c->code_align; goto advance;
		case 0x04: adv = rd_u(r, 4) * c->code_align; goto advance;
		case 0x05: /* offset_extended */
		case 0x11: /* offset_extended_sf */
		case 0x2f: /* GNU_negative_offset_extended */
			reg = rd_uleb(r);
			off = op == 0x11 ? scale(rd_sleb(r), c->data_align) :
			      op == 0x05 ? scale(rd_uleb(r), c->data_align) :
					   scale(rd_uleb(r), -c->data_align);
			if (reg == DW_REG_RBP)
				s->rbp = off;
			else if (reg == DW_REG_RA)
				s->ra_ok = off == -8;
			continue;
		case 0x06: /* restore_extended */
			reg = rd_uleb(r);
			if (reg == DW_REG_RBP)
				s->rbp = init->rbp;
			else if (reg == DW_REG_RA)
				s->ra_ok = init->ra_ok;
			continue;
		case 0x07: /* undefined */
		case 0x08: /* same_value */
			reg = rd_uleb(r);
			if (reg == DW_REG_RBP)
				s->rbp = 0;
			else if (reg == DW_REG_RA)
				s->ra_ok = false; /* outermost frame */
			continue;
		case 0x09: /* register */
			reg = rd_uleb(r);
			rd_uleb(r);
			if (reg == DW_REG_RBP)
				s->rbp = INT64_MAX; /* in another register: not representable */
			else if (reg == DW_REG_RA)
				s->ra_ok = false;
			continue;
		case 0x0a: /* remember_state */
			if (sp == CFI_STACK) {
				r->bad = true;
				break;
			}
			stack[sp++] = *s;
			continue;
		case 0x0b: /* restore_state */
			if (!sp) {
				r->bad = true;
				break;
			}
			*s = stack[--sp];
			continue;
		case 0x0c: /* def_cfa */
		case 0x12: /* def_cfa_sf */
			reg = rd_uleb(r);
			off = op == 0x0c ? (int64_t)rd_uleb(r) : scale(rd_sleb(r), c->data_align);
			s->reg = reg == DW_REG_RSP ? LT_CFA_RSP :
				 reg == DW_REG_RBP ? LT_CFA_RBP :
						     LT_CFA_UNDEF;
			s->off = off;
			if (reg == DW_REG_RBP && uses_rbp)
				*uses_rbp = true;
			continue;
		case 0x0d: /* def_cfa_register */
			reg = rd_uleb(r);
			s->reg = reg == DW_REG_RSP ? LT_CFA_RSP :
				 reg == DW_REG_RBP ? LT_CFA_RBP :
						     LT_CFA_UNDEF;
			if (reg == DW_REG_RBP && uses_rbp)
				*uses_rbp = true;
			continue;
		case 0x0e: /* def_cfa_offset */ s->off = rd_uleb(r); continue;
		case 0x13: /* def_cfa_offset_sf */
			s->off = scale(rd_sleb(r), c->data_align);
			continue;
		case 0x0f: /* def_cfa_expression */
			len = rd_uleb(r);
			if (r->bad || (uint64_t)(r->end - r->p) < len) {
				r->bad = true;
				break;
			}
			if (is_plt_expr(r->p, len, &off)) {
				s->reg = LT_CFA_PLT;
				s->off = off;
			} else {
				s->reg = LT_CFA_UNDEF;
			}
			r->p += len;
			continue;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			reg = rd_uleb(r);
			len = rd_uleb(r);
			if (r->bad || (uint64_t)(r->end - r->p) < len) {
				r->bad = true;
				break;
			}
			r->p += len;
			if (reg == DW_REG_RBP)
				s->rbp = INT64_MAX;
			else if (reg == DW_REG_RA)
				s->ra_ok = false;
			continue;
		case 0x14: /* val_offset */
		case 0x15: /* val_offset_sf */
			reg = rd_uleb(r);
			if (op == 0x14)
				rd_uleb(r);
			else
				rd_sleb(r);
			if (reg == DW_REG_RBP)
				s->rbp = INT64_MAX;
			else if (reg == DW_REG_RA)
				s->ra_ok = false;
			continue;
		case 0x2e: /* GNU_args_size */ rd_uleb(r); continue;
		default: r->bad = true; break;
		}
		break;
advance:
		if (t && (err = add_row(t, *loc, s)))
			return err;
		*loc += adv;
	}
	if (r->bad)
		return -EINVAL;
	if (t && *loc < end && (err = add_row(t, *loc, s)))
		return err;
	return 0;
}

/*
 * A signal trampoline's FDE (CIE augmentation 'S') as the kernel's x86-64
 * rt_sigframe needs it: the CFA is the interrupted rsp, read from the
 * sigcontext (DW_CFA_def_cfa_expression: DW_OP_breg7 LT_SIGFRAME_SP;
 * DW_OP_deref), as glibc's __restore_rt describes it. Anything else is not
 * unwound through.
 */
static bool is_sigframe(const uint8_t *p, const uint8_t *end)
{
	struct rd r = { p, end, false };
	uint64_t len;

	while (r.p < r.end && *r.p == 0x00) /* DW_CFA_nop */
		r.p++;
	if (rd_u(&r, 1) != 0x0f) /* def_cfa_expression */
		return false;
	len = rd_uleb(&r);
	if (r.bad || len != 4 || (uint64_t)(r.end - r.p) < len)
		return false;
	return r.p[0] == 0x77 /* breg7 (rsp) */ && r.p[1] == (0x80 | (LT_SIGFRAME_SP & 0x7f)) &&
	       r.p[2] == (LT_SIGFRAME_SP >> 7) && r.p[3] == 0x06 /* deref */;
}

static int parse_cie(const uint8_t *p, const uint8_t *end, struct cie *c)
{
	struct rd r = { p, end, false };
	uint8_t version = rd_u(&r, 1);
	const char *aug = (const char *)r.p;
	size_t auglen = strnlen(aug, end - r.p);
	uint64_t zlen;
	const uint8_t *zend;

	memset(c, 0, sizeof(*c));
	if (r.bad || auglen == (size_t)(end - r.p))
		return -EINVAL;
	r.p += auglen + 1;
	if (version >= 4)
		rd_u(&r, 2); /* address_size, segment_size */
	c->code_align = rd_uleb(&r);
	c->data_align = rd_sleb(&r);
	c->ra_reg = version == 1 ? rd_u(&r, 1) : rd_uleb(&r);
	c->fde_enc = 0; /* absptr */
	if (aug[0] == 'z') {
		c->has_z = true;
		zlen = rd_uleb(&r);
		if (r.bad || zlen > (uint64_t)(end - r.p))
			return -EINVAL;
		zend = r.p + zlen;
		for (size_t i = 1; i < auglen; i++) {
			switch (aug[i]) {
			case 'R': c->fde_enc = rd_u(&r, 1); break;
			case 'L': rd_u(&r, 1); break;
			case 'P': {
				uint8_t enc = rd_u(&r, 1);

				rd_ptr(&r, enc & 0x7f, 0);
				break;
			}
			case 'S': c->signal = true; break;
			case 'B': break;
			default: i = auglen; break; /* unknown: skip the rest via zlen */
			}
		}
		r.p = zend;
	} else if (auglen) {
		return -EINVAL; /* e.g. "eh": ancient, unsupported */
	}
	if (r.bad || c->ra_reg != DW_REG_RA)
		return -EINVAL;
	c->insns = r.p;
	c->insns_end = end;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct cfi_row *x = a, *y = b;

	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	/* At one pc, a function's first row beats the previous function's end marker. */
	return (x->cfa_reg == LT_CFA_UNDEF) - (y->cfa_reg == LT_CFA_UNDEF);
}

/* Sort, keep one row per pc, and drop rows equal to their predecessor. */
static void finish_table(struct cfi_table *t)
{
	size_t n = 0;

	if (!t->n)
		return;
	qsort(t->rows, t->n, sizeof(*t->rows), cmp_row);
	for (size_t i = 0; i < t->n; i++) {
		struct cfi_row *r = &t->rows[i];

		if (n && t->rows[n - 1].pc == r->pc)
			continue;
		if (n && t->rows[n - 1].cfa_reg == r->cfa_reg &&
		    t->rows[n - 1].cfa_off == r->cfa_off && t->rows[n - 1].rbp_off == r->rbp_off)
			continue;
		t->rows[n++] = *r;
	}
	t->n = n;
}

static int build_raw(const uint8_t *data, size_t size, uint64_t vaddr, struct cfi_table *t)
{
	const uint8_t *p = data, *end = data + size;
	int err = 0;

	memset(t, 0, sizeof(*t));
	while ((size_t)(end - p) >= 4) {
		struct rd r = { p, end, false };
		uint64_t len = rd_u(&r, 4), id, loc, range;
		const uint8_t *entry_end, *id_pos;
		struct cfa_state init, s;
		struct cie cie;
		bool uses_rbp = false;

		if (!len)
			break; /* terminator */
		if (len == 0xffffffff)
			len = rd_u(&r, 8);
		if (r.bad || len > (uint64_t)(end - r.p))
			return -EINVAL;
		entry_end = r.p + len;
		id_pos = r.p;
		r.end = entry_end;
		id = rd_u(&r, 4);
		p = entry_end;
		if (!id)
			continue; /* a CIE: parsed when an FDE refers to it */
		/* The CIE pointer counts back from the pointer field to the CIE. */
		{
			const uint8_t *cie_start = id_pos - id;
			uint32_t cie_len;

			if (id > (uint64_t)(id_pos - data)) {
				t->bad++;
				continue;
			}
			memcpy(&cie_len, cie_start, 4);
			if (cie_len == 0xffffffff || cie_len < 4 || cie_start + 4 + cie_len > end ||
			    parse_cie(cie_start + 8, cie_start + 4 + cie_len, &cie)) {
				t->bad++;
				continue;
			}
		}
		loc = rd_ptr(&r, cie.fde_enc, vaddr + (r.p - data));
		range = rd_ptr(&r, cie.fde_enc & 0x0f, 0);
		if (cie.has_z) {
			uint64_t zlen = rd_uleb(&r);

			if (zlen > (uint64_t)(r.end - r.p))
				r.bad = true;
			else
				r.p += zlen;
		}
		if (r.bad || !range) {
			t->bad++;
			continue;
		}
		if (cie.signal) {
			if (is_sigframe(r.p, r.end)) {
				struct cfa_state sig = { .reg = LT_CFA_SIGNAL, .ra_ok = true };

				err = add_row(t, loc, &sig);
				sig.reg = LT_CFA_UNDEF;
				err = err ?: add_row(t, loc + range, &sig);
				if (err)
					return err;
				t->fdes++;
			} else {
				t->bad++;
			}
			continue;
		}
		/* On entry (x86-64 SysV): CFA = rsp + 8, return address at CFA - 8. */
		init = (struct cfa_state){ .reg = LT_CFA_RSP, .off = 8, .ra_ok = true };
		{
			struct rd ci = { cie.insns, cie.insns_end, false };
			uint64_t cloc = loc;

			if (run_insns(&ci, &cie, &cloc, loc + range, &init, &init, NULL, NULL)) {
				t->bad++;
				continue;
			}
		}
		s = init;
		{
			uint64_t l = loc;
			size_t before = t->n;

			err = run_insns(&r, &cie, &l, loc + range, &s, &init, t, &uses_rbp);
			if (err == -ENOMEM)
				return err;
			if (err) {
				t->n = before; /* drop a half-parsed FDE */
				t->bad++;
				err = 0;
				continue;
			}
		}
		/* End marker: the next FDE's first row overrides it if contiguous. */
		s.reg = LT_CFA_UNDEF;
		if ((err = add_row(t, loc + range, &s)))
			return err;
		t->fdes++;
		if (uses_rbp)
			t->fp_fdes++;
	}
	finish_table(t);
	return 0;
}

int cfi_table__build_raw(const uint8_t *data, size_t size, uint64_t vaddr, struct cfi_table *t)
{
	int err = build_raw(data, size, vaddr, t);

	if (err)
		cfi_table__free(t); /* nothing half-built survives a failure */
	return err;
}

int cfi_table__build(Elf *elf, struct cfi_table *t)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	memset(t, 0, sizeof(*t));
	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".eh_frame"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return -EINVAL;
		return cfi_table__build_raw(d->d_buf, d->d_size, sh.sh_addr, t);
	}
	return -ENOENT;
}

bool cfi_table__has_frame_pointers(const struct cfi_table *t)
{
	/* -fno-omit-frame-pointer code defines the CFA by rbp in nearly every
	 * function; code built without it does so only around alloca/VLAs. */
	return t->fdes && t->fp_fdes * 2 >= t->fdes;
}

const struct cfi_row *cfi_table__find(const struct cfi_table *t, uint64_t pc)
{
	size_t lo =
		lt_upper_bound(t->rows, t->n, sizeof(*t->rows), offsetof(struct cfi_row, pc), pc);

	if (!lo || t->rows[lo - 1].cfa_reg == LT_CFA_UNDEF)
		return NULL;
	return &t->rows[lo - 1];
}

void cfi_table__free(struct cfi_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
