// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lzma.h>
#include <zlib.h>
#include "elf_file.h"
#include "safeopen.h"
#include "sorted.h"

struct esym {
	uint64_t addr, size;
	uint64_t sec_end; /* end of the symbol's section, bounds zero-size symbols */
	const char *name;
	unsigned char bind;
};

struct elf_file {
	int fd;
	Elf *elf;
	struct esym *syms;
	unsigned int nsyms;
	struct elf_seg *segs;
	unsigned int nsegs;
	int syms_state; /* 0 not loaded, 1 loaded, < 0 -errno */
	struct elf_file *debug; /* separate debug file: symbols come from it */
	void *image; /* in-memory image (vDSO), owned */
	bool prefer_vdso; /* among aliases, prefer __vdso_ names */
};

static Elf_Scn *find_section(Elf *elf, const char *want, GElf_Shdr *sh);

static unsigned int underscores(const char *s)
{
	unsigned int n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

static int bind_rank(unsigned char b)
{
	return b == STB_GLOBAL ? 0 : b == STB_WEAK ? 1 : 2;
}

/* <0 when a is the better name for one address. */
static int alias_cmp(const struct esym *a, const struct esym *b)
{
	unsigned int ua = underscores(a->name), ub = underscores(b->name);
	size_t la, lb;

	if (ua != ub)
		return ua < ub ? -1 : 1;
	if (bind_rank(a->bind) != bind_rank(b->bind))
		return bind_rank(a->bind) - bind_rank(b->bind);
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cmp_esym(const void *pa, const void *pb)
{
	const struct esym *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return alias_cmp(a, b);
}

static int load_symbols(struct elf_file *ef, Elf *elf)
{
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr sh, symsh;
	size_t shnum;
	Elf_Data *data;
	unsigned int n;

	/* .symtab is a superset of .dynsym when the file is not stripped. */
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !symscn)) {
			symscn = scn;
			symsh = sh;
			if (sh.sh_type == SHT_SYMTAB)
				break;
		}
	}
	if (!symscn || elf_getshdrnum(elf, &shnum))
		return 0;
	data = elf_getdata(symscn, NULL);
	if (!data || !symsh.sh_entsize)
		return 0;
	n = symsh.sh_size / symsh.sh_entsize;
	ef->syms = calloc(n ? n : 1, sizeof(*ef->syms));
	if (!ef->syms)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		GElf_Sym s;
		GElf_Shdr ssh;
		Elf_Scn *sscn;
		const char *name;
		int type;

		if (!gelf_getsym(data, i, &s))
			continue;
		type = GELF_ST_TYPE(s.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
			continue;
		if (s.st_shndx == SHN_UNDEF || s.st_shndx >= shnum || !s.st_value)
			continue;
		sscn = elf_getscn(elf, s.st_shndx);
		if (!sscn || !gelf_getshdr(sscn, &ssh) || !(ssh.sh_flags & SHF_EXECINSTR))
			continue;
		name = elf_strptr(elf, symsh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		ef->syms[ef->nsyms++] = (struct esym){
			.addr = s.st_value,
			.size = s.st_size,
			.sec_end = ssh.sh_addr + ssh.sh_size,
			.name = name,
			.bind = GELF_ST_BIND(s.st_info),
		};
	}
	qsort(ef->syms, ef->nsyms, sizeof(*ef->syms), cmp_esym);
	/* Keep the best alias per address (sorted first), and the largest size. */
	n = 0;
	for (unsigned int i = 0; i < ef->nsyms; i++) {
		if (n && ef->syms[n - 1].addr == ef->syms[i].addr) {
			if (ef->syms[i].size > ef->syms[n - 1].size)
				ef->syms[n - 1].size = ef->syms[i].size;
			if (ef->prefer_vdso && !strncmp(ef->syms[i].name, "__vdso_", 7))
				ef->syms[n - 1].name = ef->syms[i].name;
			continue;
		}
		ef->syms[n++] = ef->syms[i];
	}
	ef->nsyms = n;
	return 0;
}

static int load_segments(struct elf_file *ef)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -ENOEXEC;
	ef->segs = calloc(n ? n : 1, sizeof(*ef->segs));
	if (!ef->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		ef->segs[ef->nsegs++] = (struct elf_seg){
			.vaddr = ph.p_vaddr,
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.exec = ph.p_flags & PF_X,
		};
	}
	return 0;
}

struct elf_file *elf_file__open_fd(int fd)
{
	struct elf_file *ef;
	int err;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	ef->fd = fd;
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF) {
		errno = ENOEXEC;
		goto err_free;
	}
	/*
	 * All of it mapped (or read), the fd is done with: a long trace meets
	 * one file after another, and an fd each would pile up.
	 */
	if (elf_cntl(ef->elf, ELF_C_FDREAD)) {
		errno = EIO;
		goto err_free;
	}
	elf_cntl(ef->elf, ELF_C_FDDONE); /* -1 when mapped: nothing to let go of */
	close(ef->fd);
	ef->fd = -1;
	err = load_segments(ef);
	if (err) {
		errno = -err;
		goto err_free;
	}
	return ef;

err_free:
	err = errno;
	elf_file__free(ef);
	errno = err;
	return NULL;
}

struct elf_file *elf_file__open(const char *path)
{
	struct lt_open_how how = { .root = AT_FDCWD, .max_size = LT_ELF_MAX_SIZE };
	int fd = lt_open(path, &how, NULL);

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	return elf_file__open_fd(fd);
}

/* Index an in-memory image; takes buf. */
static struct elf_file *open_mem(void *buf, size_t size, bool prefer_vdso)
{
	struct elf_file *ef;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		free(buf);
		return NULL;
	}
	ef->fd = -1;
	ef->image = buf;
	ef->prefer_vdso = prefer_vdso;
	ef->elf = elf_memory(buf, size);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || load_segments(ef)) {
		elf_file__free(ef);
		errno = ENOEXEC;
		return NULL;
	}
	return ef;
}

struct elf_file *elf_file__open_vdso(void *buf, size_t size)
{
	return open_mem(buf, size, true);
}

struct elf_file *elf_file__open_minidebug(const struct elf_file *ef)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(ef->elf, ".gnu_debugdata", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t cap = 1 << 16;
	uint8_t *out;
	lzma_ret r;

	if (!d || !d->d_buf || !d->d_size || sh.sh_type == SHT_NOBITS)
		return NULL;
	if (lzma_stream_decoder(&strm, 256 << 20, 0) != LZMA_OK)
		return NULL;
	out = malloc(cap);
	strm.next_in = d->d_buf;
	strm.avail_in = d->d_size;
	strm.next_out = out;
	strm.avail_out = cap;
	do {
		if (out && !strm.avail_out) {
			uint8_t *n = cap < (64U << 20) ? realloc(out, cap * 2) : NULL;

			if (!n) {
				free(out);
				out = NULL;
				break;
			}
			out = n;
			strm.next_out = out + cap;
			strm.avail_out = cap;
			cap *= 2;
		}
		r = out ? lzma_code(&strm, LZMA_FINISH) : LZMA_MEM_ERROR;
	} while (r == LZMA_OK);
	lzma_end(&strm);
	if (!out || r != LZMA_STREAM_END) {
		free(out);
		return NULL;
	}
	return open_mem(out, cap - strm.avail_out, false);
}

void elf_file__free(struct elf_file *ef)
{
	if (!ef)
		return;
	elf_file__free(ef->debug);
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->syms);
	free(ef->segs);
	free(ef->image);
	free(ef);
}

/* Symbols are loaded on first use: the unwinder opens files only for CFI. */
static bool ensure_symbols(struct elf_file *ef)
{
	if (!ef->syms_state)
		ef->syms_state = load_symbols(ef, ef->debug ? ef->debug->elf : ef->elf) ?: 1;
	return ef->syms_state > 0;
}

const char *elf_file__sym(struct elf_file *ef, uint64_t vaddr)
{
	const struct esym *s;
	size_t lo;

	if (!ensure_symbols(ef))
		return NULL;
	lo = lt_upper_bound(ef->syms, ef->nsyms, sizeof(*ef->syms), offsetof(struct esym, addr),
			    vaddr);
	if (!lo)
		return NULL;
	s = &ef->syms[lo - 1];
	if (s->size)
		return vaddr < s->addr + s->size ? s->name : NULL;
	return vaddr < s->sec_end ? s->name : NULL;
}

int elf_file__off_to_vaddr(const struct elf_file *ef, uint64_t off, uint64_t *vaddr)
{
	for (unsigned int i = 0; i < ef->nsegs; i++) {
		const struct elf_seg *g = &ef->segs[i];

		if (off >= g->offset && off < g->offset + g->filesz) {
			*vaddr = off - g->offset + g->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__vaddr_to_off(const struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	for (unsigned int i = 0; i < ef->nsegs; i++) {
		const struct elf_seg *g = &ef->segs[i];

		if (vaddr >= g->vaddr && vaddr < g->vaddr + g->filesz) {
			*off = vaddr - g->vaddr + g->offset;
			return 0;
		}
	}
	return -ENOENT;
}

static Elf_Scn *find_section(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

bool elf_file__has_symtab(const struct elf_file *ef)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(ef->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

size_t elf_file__build_id(const struct elf_file *ef, uint8_t *buf, size_t sz)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4))
				continue;
			if (nh.n_descsz > sz || !nh.n_descsz)
				return 0;
			memcpy(buf, (char *)d->d_buf + doff, nh.n_descsz);
			return nh.n_descsz;
		}
	}
	return 0;
}

const char *elf_file__debuglink(const struct elf_file *ef, uint32_t *crc)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(ef->elf, ".gnu_debuglink", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t len;

	if (!d || !d->d_buf || d->d_size < 8)
		return NULL;
	len = strnlen(d->d_buf, d->d_size);
	/* name, NUL, padding to 4, then the CRC32 */
	if (len + 1 + 4 > d->d_size)
		return NULL;
	memcpy(crc, (char *)d->d_buf + ((len + 4) & ~3UL), 4);
	return d->d_buf;
}

int elf_file__crc32(const struct elf_file *ef, uint32_t *crc)
{
	uLong c = crc32(0L, Z_NULL, 0);
	size_t size = 0;
	const char *raw = elf_rawfile(ef->elf, &size);

	if (!raw)
		return -EIO;
	/* The image is in memory: crc32() takes at most UINT_MAX bytes a call. */
	for (size_t off = 0; off < size;) {
		size_t n = size - off > (1U << 30) ? (1U << 30) : size - off;

		c = crc32(c, (const Bytef *)raw + off, (uInt)n);
		off += n;
	}
	*crc = c;
	return 0;
}

void elf_file__set_debug(struct elf_file *ef, struct elf_file *debug)
{
	elf_file__free(ef->debug);
	ef->debug = debug;
	ef->syms_state = 0;
	free(ef->syms);
	ef->syms = NULL;
	ef->nsyms = 0;
}

Elf *elf_file__elf(const struct elf_file *ef)
{
	return ef->elf;
}

const struct elf_file *elf_file__debug(const struct elf_file *ef)
{
	return ef->debug;
}

int elf_file__foreach_func(struct elf_file *ef, elf_func_cb cb, void *ctx)
{
	int r = 0;

	if (!ensure_symbols(ef))
		return 0;
	for (unsigned int i = 0; !r && i < ef->nsyms; i++)
		r = cb(ef->syms[i].name, ef->syms[i].addr, ef->syms[i].size, ctx);
	return r;
}

#define LT_NT_STAPSDT 3

int elf_file__foreach_usdt(struct elf_file *ef, elf_usdt_cb cb, void *ctx)
{
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Nhdr nh;
	GElf_Shdr sh;
	size_t off = 0, next, name_off, desc_off;
	int r = 0;

	if (gelf_getclass(ef->elf) != ELFCLASS64)
		return 0; /* 64-bit addresses only, as latprof traces x86-64 */
	scn = find_section(ef->elf, ".note.stapsdt", &sh);
	if (!scn || sh.sh_type != SHT_NOTE || !(data = elf_getdata(scn, NULL)))
		return 0;
	while (!r && (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off, *end = desc + nh.n_descsz;
		const char *prov, *name, *args;
		uint64_t a[3];

		off = next;
		if (nh.n_type != LT_NT_STAPSDT || nh.n_namesz != 8 ||
		    memcmp((const char *)data->d_buf + name_off, "stapsdt", 8) ||
		    nh.n_descsz < sizeof(a) + 3)
			continue;
		memcpy(a, desc, sizeof(a));
		prov = desc + sizeof(a);
		name = memchr(prov, 0, (size_t)(end - prov));
		if (!name++ || name >= end)
			continue;
		args = memchr(name, 0, (size_t)(end - name));
		if (!args++ || args >= end || !memchr(args, 0, (size_t)(end - args)))
			continue;
		r = cb(prov, name, args, a[0], a[2], ctx);
	}
	return r;
}

bool elf_file__defines(struct elf_file *ef, const char *name)
{
	size_t len = strlen(name);

	if (!ensure_symbols(ef))
		return false;
	for (unsigned int i = 0; i < ef->nsyms; i++)
		if (!strncmp(ef->syms[i].name, name, len) &&
		    (ef->syms[i].name[len] == 0 || ef->syms[i].name[len] == '@'))
			return true;
	return false;
}

bool elf_file__has_section(const struct elf_file *ef, const char *name)
{
	GElf_Shdr sh;

	return ef && find_section(ef->elf, name, &sh) != NULL;
}
