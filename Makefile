# latprof: eBPF latency tracer.
#
#   make            build ./latprof (one static-libbpf binary, BPF objects embedded)
#   make deps       install missing Debian build/test packages (root)
#   make demo       deps + build + run `latprof offcpu` on a bundled workload
#   make test       deps + build + unit and integration tests (TAP via prove)
#   make install    install to $(DESTDIR)$(PREFIX)/sbin
#   make format-check   check formatting against .clang-format
#   make soak       10 minutes of system-wide tracing under process churn
#   V=1             show full commands
#   SAN=1           build latprof and the unit tests with ASan and UBSan
#                   (make test SAN=1: the suite fails on any report)

VERSION    := 0.1.0
PREFIX     ?= /usr/local
OUTPUT     := .output
CLANG      ?= clang-19
LLVM_STRIP ?= llvm-strip-19
BPFTOOL    ?= bpftool
CC         ?= gcc
ARCH       := x86
GIT_REV    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS   := $(wildcard bpf/*.h abi/*.h)

# SAN=1: the user-space objects with ASan and UBSan, apart from the others;
# a stamp per flavour relinks latprof when the flavour changes.
FLAVOUR    := $(if $(SAN),san,plain)
UOBJ       := $(OUTPUT)/user$(if $(SAN),-san)
comma      := ,
SAN_FLAGS  := $(if $(SAN),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer)
USER_SRCS  := $(wildcard user/*.c)
USER_OBJS  := $(patsubst user/%.c,$(UOBJ)/%.o,$(USER_SRCS))
CORE_OBJS  := $(filter-out $(UOBJ)/main.o,$(USER_OBJS))
USER_HDRS  := $(wildcard user/*.h)

# The multiarch include directory last: libbpf's usdt.bpf.h includes
# <linux/errno.h>, whose <asm/errno.h> lives there on Debian.
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Wno-unused-parameter -Wno-missing-field-initializers \
	-I vmlinux/$(ARCH) -I bpf -I abi $(if $(MULTIARCH),-idirafter /usr/include/$(MULTIARCH))
CFLAGS     ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(SAN_FLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	-D_GNU_SOURCE -I $(OUTPUT) -I bpf -I abi -I user \
	-DLATPROF_VERSION='"$(VERSION) ($(GIT_REV))"'
LDLIBS     := -l:libbpf.a -l:libiberty.a -l:liblzma.a -ldw -lelf -lz -lm
LDFLAGS    ?=
LDFLAGS    += $(SAN_FLAGS)

.PHONY: all
all: latprof

.PHONY: check-toolchain
check-toolchain:
	@command -v $(CLANG) >/dev/null || { echo "latprof: $(CLANG) not found; run 'make deps' as root" >&2; exit 1; }
	@command -v $(BPFTOOL) >/dev/null || { echo "latprof: $(BPFTOOL) not found; run 'make deps' as root" >&2; exit 1; }

$(OUTPUT) $(UOBJ) $(OUTPUT)/tests $(OUTPUT)/workloads:
	$(Q)mkdir -p $@

$(OUTPUT)/build.$(FLAVOUR): | $(OUTPUT)
	$(Q)rm -f $(OUTPUT)/build.*
	$(Q)touch $@

# BPF: bpf/%.bpf.c -> .output/%.bpf.o -> .output/%.skel.h
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT) check-toolchain
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# User space: every object may include any skeleton, so skeletons come first.
$(UOBJ)/%.o: user/%.c $(USER_HDRS) $(BPF_HDRS) $(SKELS) | $(UOBJ)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

latprof: $(USER_OBJS) $(OUTPUT)/build.$(FLAVOUR)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(USER_OBJS) $(LDLIBS) -o $@

# The same binary for every kernel of the matrix: fully static.
STATIC_LDLIBS := -static -l:libbpf.a -l:libiberty.a -l:liblzma.a -l:libdw.a -l:libelf.a \
	-l:libz.a -l:libbz2.a -lm
$(OUTPUT)/kmatrix/latprof: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(STATIC_LDLIBS) -o $@ 2>&1 | { grep -v 'statically linked applications' || true; }

# `make kmatrix`: the integration tests on Debian's 6.1 kernels under qemu and
# on this machine's kernel, with the same static binary (docs/PORTABILITY.md).
.PHONY: kmatrix
kmatrix: deps
	$(Q)scripts/kmatrix.sh

.PHONY: deps
deps:
	$(Q)scripts/deps.sh

.PHONY: install
install: latprof
	install -D -m 0755 latprof $(DESTDIR)$(PREFIX)/sbin/latprof

# ---- tests ---------------------------------------------------------------
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
WL_SRCS    := $(filter-out %.bpf.c tests/workloads/bpfwait.c tests/workloads/manylibs.c tests/workloads/kfeatures.c,\
	$(wildcard tests/workloads/*.c))
WL_BINS    := $(patsubst tests/workloads/%.c,$(OUTPUT)/workloads/%,$(WL_SRCS))
WL_CFLAGS  := -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -pthread -Wall -Wextra -Werror

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/tap.h $(CORE_OBJS) $(OUTPUT)/build.$(FLAVOUR) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -I tests/unit $< $(CORE_OBJS) $(LDLIBS) -o $@

# Workloads: frame pointers on, known noinline function names (tests/workloads/README).
$(OUTPUT)/workloads/%: tests/workloads/%.c tests/workloads/wlclock.h | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@

# A workload with a BPF program of its own (a named BPF frame in its stacks).
$(OUTPUT)/workloads/bpfwait.bpf.o: tests/workloads/bpfwait.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT)/workloads check-toolchain
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUTPUT)/workloads/bpfwait.skel.h: $(OUTPUT)/workloads/bpfwait.bpf.o
	$(Q)$(BPFTOOL) gen skeleton $< name bpfwait_bpf > $@
$(OUTPUT)/workloads/bpfwait: tests/workloads/bpfwait.c tests/workloads/wlclock.h $(OUTPUT)/workloads/bpfwait.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) -I $(OUTPUT)/workloads $< -l:libbpf.a -lelf -lz -o $@

# Extra binaries the ELF symbol tests inspect: non-PIE, PIE, a shared library.
$(OUTPUT)/workloads/elfsyms-nopie: tests/workloads/elfsyms.c | $(OUTPUT)/workloads
	$(Q)$(CC) $(WL_CFLAGS) -no-pie -fno-pie $< -o $@
$(OUTPUT)/workloads/elfsyms-pie: tests/workloads/elfsyms.c | $(OUTPUT)/workloads
	$(Q)$(CC) $(WL_CFLAGS) -pie -fpie $< -o $@
$(OUTPUT)/workloads/libltshared.so: tests/workloads/libltshared.c.in | $(OUTPUT)/workloads
	$(Q)$(CC) $(WL_CFLAGS) -x c -shared -fpic $< -o $@
$(OUTPUT)/workloads/libltdecoy.so: tests/workloads/libltshared.c.in | $(OUTPUT)/workloads
	$(Q)$(CC) $(WL_CFLAGS) -DLT_DECOY -x c -shared -fpic $< -o $@
# As prelink(8) left libraries: linked at a fixed non-zero base address, so
# link-time addresses differ from file offsets by 0x30000000 wherever it loads.
$(OUTPUT)/workloads/libltshared-prelink.so: tests/workloads/libltshared.c.in | $(OUTPUT)/workloads
	$(Q)$(CC) $(WL_CFLAGS) -x c -shared -fpic -Wl,-Ttext-segment=0x30000000 $< -o $@

# Stripped copies: debug info next to it via .gnu_debuglink; only by build-id
# under a test debug root; none at all.
$(OUTPUT)/workloads/elfsyms-debuglink: $(OUTPUT)/workloads/elfsyms-pie
	$(Q)objcopy --only-keep-debug $< $@.debug
	$(Q)objcopy --strip-all --add-gnu-debuglink=$@.debug $< $@
$(OUTPUT)/workloads/elfsyms-buildid: $(OUTPUT)/workloads/elfsyms-nopie
	$(Q)id=$$(readelf -n $< | awk '/Build ID/ { print $$3 }'); \
	d=$(OUTPUT)/debugroot/.build-id/$$(echo $$id | cut -c1-2); mkdir -p $$d; \
	objcopy --only-keep-debug $< $$d/$$(echo $$id | cut -c3-).debug
	$(Q)objcopy --strip-all $< $@
$(OUTPUT)/workloads/elfsyms-stripped: $(OUTPUT)/workloads/elfsyms-pie
	$(Q)objcopy --strip-all $< $@
# MiniDebugInfo, the way Fedora builds it: the functions .dynsym lacks, in an
# xz-compressed ELF in .gnu_debugdata (gdb's "MiniDebugInfo" recipe).
$(OUTPUT)/workloads/elfsyms-minidebug: $(OUTPUT)/workloads/elfsyms-pie
	$(Q)t=$@.tmp; nm -D $< --format=posix --defined-only | awk '{ print $$1 }' | sort >$$t.dyn; \
	nm $< --format=posix --defined-only | awk '$$2 ~ /^[TtDd]$$/ { print $$1 }' | sort >$$t.fn; \
	comm -13 $$t.dyn $$t.fn >$$t.keep; \
	objcopy --only-keep-debug $< $$t.debug; \
	objcopy -S --remove-section .gdb_index --remove-section .comment \
		--keep-symbols=$$t.keep $$t.debug $$t.mini; \
	rm -f $$t.mini.xz; xz $$t.mini; \
	strip --strip-all -R .comment -o $@ $<; \
	objcopy --add-section .gnu_debugdata=$$t.mini.xz $@; \
	rm -f $$t.dyn $$t.fn $$t.keep $$t.debug $$t.mini.xz
# The alloc workload again, with jemalloc's malloc (libjemalloc-dev).
$(OUTPUT)/workloads/allocwl-je: tests/workloads/allocwl.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@ -ljemalloc
$(OUTPUT)/workloads/allocwl-cxx: tests/workloads/allocwl_cxx.cc | $(OUTPUT)/workloads
	$(call msg,CXX,$@)
	$(Q)g++ -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror $< -o $@
$(OUTPUT)/workloads/cxxsyms: tests/workloads/cxxsyms.cc | $(OUTPUT)/workloads
	$(call msg,CXX,$@)
	$(Q)g++ -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror $< -o $@

# 64 libraries without frame pointers, each calling into the next
# (tests/workloads/manylibs.c): built as distributions build theirs.
CHAIN_IDS  := $(shell seq -w 0 63)
CHAIN_LIBS := $(foreach i,$(CHAIN_IDS),$(OUTPUT)/workloads/manylibs.d/libltchain$(i).so)
$(OUTPUT)/workloads/manylibs.d/libltchain%.so: tests/workloads/chainlib.c.in
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -fpic -shared -pthread -Wall -Wextra -Werror -x c \
		-DLIBID=$* -DNEXTID=$$(printf %02d $$(expr $* + 1)) -DLAST=$$([ $* = 63 ] && echo 1 || echo 0) \
		$< -o $@
$(OUTPUT)/workloads/manylibs: tests/workloads/manylibs.c tests/workloads/wlclock.h $(CHAIN_LIBS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@ -L$(OUTPUT)/workloads/manylibs.d -Wl,--no-as-needed \
		$(foreach i,$(CHAIN_IDS),-lltchain$(i)) -Wl,-rpath,'$$ORIGIN/manylibs.d'

# A Go program (Debian's golang-go, from make deps): stack switches.
$(OUTPUT)/workloads/gowl: tests/workloads/gowl.go | $(OUTPUT)/workloads
	$(call msg,GO,$@)
	$(Q)GOCACHE=$(abspath $(OUTPUT))/gocache GOPATH=$(abspath $(OUTPUT))/gopath GO111MODULE=off \
		go build -o $@ $<

# What this kernel's BPF offers, probed apart from latprof (kmatrix's expectations).
$(OUTPUT)/workloads/kfeatures: tests/workloads/kfeatures.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror $< -o $@ -lbpf

$(OUTPUT)/workloads/churn-nofp: tests/workloads/churn.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -pthread -Wall -Wextra -Werror $< -o $@

TEST_BINS := $(UNIT_BINS) $(OUTPUT)/workloads/manylibs $(OUTPUT)/workloads/gowl \
	$(OUTPUT)/workloads/churn-nofp $(OUTPUT)/workloads/kfeatures \
	$(OUTPUT)/workloads/libltdecoy.so $(WL_BINS) $(OUTPUT)/workloads/elfsyms-nopie \
	$(OUTPUT)/workloads/elfsyms-pie $(OUTPUT)/workloads/libltshared.so \
	$(OUTPUT)/workloads/libltshared-prelink.so $(OUTPUT)/workloads/bpfwait \
	$(OUTPUT)/workloads/allocwl-je $(OUTPUT)/workloads/allocwl-cxx \
	$(OUTPUT)/workloads/elfsyms-debuglink $(OUTPUT)/workloads/elfsyms-buildid \
	$(OUTPUT)/workloads/elfsyms-stripped $(OUTPUT)/workloads/cxxsyms \
	$(OUTPUT)/workloads/elfsyms-minidebug \
	$(OUTPUT)/tests/fuzz_elf $(OUTPUT)/tests/fuzz_text

.PHONY: test-build
test-build: latprof $(TEST_BINS)

.PHONY: test
test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)SAN=$(SAN) tests/run.sh

.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory latprof $(OUTPUT)/workloads/demo
	$(Q)scripts/demo.sh

$(OUTPUT)/workloads/iobench: tests/bench/iobench.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@
$(OUTPUT)/workloads/mallocbench: tests/bench/mallocbench.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@
$(OUTPUT)/tests/symbench: tests/bench/symbench.c $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(CORE_OBJS) $(LDLIBS) -o $@

# Fuzzing: libFuzzer over the ELF, DWARF-line and CFI readers (ASan + UBSan). `make fuzz`
# runs FUZZ_SECONDS (default 300); `make test` runs it for 10 s.
FUZZ_SECONDS ?= 300
$(OUTPUT)/tests/fuzz_elf: tests/fuzz/fuzz_elf.c user/elf_file.c user/cfi.c user/srcline.c user/safeopen.c \
		user/elf_file.h user/cfi.h user/srcline.h abi/unwind.h | $(OUTPUT)/tests
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -I bpf -I abi -I user $(filter %.c,$^) -ldw -lelf -l:liblzma.a -lz -o $@

# The readers of text from outside (maps lines, perf maps, folded, JSON, the
# command line): the core's sources, built for libFuzzer.
FUZZ_CORE := $(filter-out user/main.c,$(USER_SRCS))
$(OUTPUT)/tests/fuzz_text: tests/fuzz/fuzz_text.c $(FUZZ_CORE) $(USER_HDRS) $(SKELS) | $(OUTPUT)/tests
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -I $(OUTPUT) -I bpf -I abi -I user $< $(FUZZ_CORE) $(LDLIBS) -o $@

.PHONY: fuzz
fuzz: $(OUTPUT)/tests/fuzz_elf $(OUTPUT)/tests/fuzz_text $(WL_BINS)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

.PHONY: bench
bench: deps
	$(Q)$(MAKE) --no-print-directory latprof $(OUTPUT)/workloads/pingpong \
		$(OUTPUT)/workloads/stacks16k $(OUTPUT)/tests/symbench \
		$(OUTPUT)/workloads/mallocbench $(OUTPUT)/workloads/iobench $(OUTPUT)/workloads/funcwl
	$(Q)scripts/bench.sh

.PHONY: soak
soak: deps
	$(Q)$(MAKE) --no-print-directory latprof $(WL_BINS)
	$(Q)scripts/soak.sh

.PHONY: format-check
format-check:
	$(Q)clang-format --dry-run --Werror user/*.c user/*.h bpf/*.c bpf/*.h abi/*.h tests/unit/*.c tests/workloads/*.c tests/fuzz/*.c tests/bench/*.c

.PHONY: clean
clean:
	$(Q)rm -rf $(OUTPUT) latprof
