#!/bin/bash
# `make kmatrix`: the same static latprof binary, and the integration tests,
# on other kernels booted under qemu, and on this machine's own kernel.
#
#   KERNELS="amd64 cloud-amd64" TESTS="offcpu_sleep ..." scripts/kmatrix.sh
#   KERNELS="6.12-rt-amd64 6.12.115+deb12-amd64" scripts/kmatrix.sh
#   scripts/kmatrix.sh --fast      the subset `make test` runs (kmatrix.t)
#
# Kernels are Debian's linux-image-* packages, downloaded and unpacked under
# .output/kmatrix (never installed). KERNELS names each by what follows
# "linux-image-": a metapackage (amd64, cloud-amd64, rt-amd64 for the 6.1
# line; 6.12-amd64, 6.12-cloud-amd64, 6.12-rt-amd64 for 6.12), whose newest
# kernel is taken, or a versioned package (6.1.0-57-amd64,
# 6.12.117+deb12-amd64). The default: the newest kernel of each line and
# flavour Debian 12 ships (bookworm's 6.1 and its 6.12 packages), amd64 and
# cloud; the rt flavours boot too (rt-amd64, 6.12-rt-amd64) but are not in
# the default (docs/PORTABILITY.md: alloc_hot's --min-age check fails on
# 6.1-rt under TCG). Each guest gets a virtio disk and the modules for it from its
# kernel's package. The guest is an initramfs: busybox, bash and the test
# workloads with their libraries, the static latprof, and
# /init, which runs the tests and prints their TAP lines with a prefix. Guests
# run under TCG: nested KVM faulted guests on this machine (KMATRIX_ACCEL=kvm
# tries it). One line per kernel and test, then a summary; exit status 1 if
# any failed.
set -u
cd "$(dirname "$0")/.." || exit 1
KM=.output/kmatrix
FAST=0
[ "${1:-}" = --fast ] && FAST=1
if [ $FAST = 1 ]; then
	KERNELS=${KERNELS:-amd64}
	TESTS=${TESTS:-offcpu_sleep}
else
	KERNELS=${KERNELS:-amd64 cloud-amd64 6.12-amd64 6.12-cloud-amd64}
	# io_block formats the guest's virtio disk; io_syscalls skips its
	# --slower part there.
	TESTS=${TESTS:-offcpu_sleep offcpu_pipe offcpu_minmax offcpu_fallbacks offcpu_cache offcpu_exit offcpu_late offcpu_wakers offcpu_options offcpu_bpf fp_unwinder wall func alloc_hot alloc_burst tcp_connect tcp_life tcp_wait io_syscalls io_block}
fi
ACCEL=${KMATRIX_ACCEL:-tcg}
BOOT_TIMEOUT=${KMATRIX_TIMEOUT:-900}

die() { echo "kmatrix: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (apt-get, and BPF on this machine's row)"

need_pkgs=()
for p in qemu-system-x86 busybox-static cpio kmod xz-utils zstd e2fsprogs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	echo "kmatrix: installing ${need_pkgs[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null ||
		die "cannot install ${need_pkgs[*]}"
fi

# --- kernels: linux-image-FLAVOUR -> its versioned package -> vmlinuz ---------
fetch_kernel() { # fetch_kernel NAME: prints the path of its vmlinuz
	local fl=${1#linux-image-} pkg deb dir
	# A metapackage depends on the versioned package of its newest kernel;
	# a versioned package is the kernel itself.
	pkg=$(apt-cache depends "linux-image-$fl" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ] && [[ $fl == [0-9]* ]] && apt-cache show "linux-image-$fl" >/dev/null 2>&1; then
		pkg=linux-image-$fl
	fi
	[ -n "$pkg" ] || { echo "kmatrix: no Debian package linux-image-$fl" >&2; return 1; }
	dir=$KM/kernels/$pkg
	if [ ! -f "$dir/vmlinuz" ] || [ ! -d "$dir/lib/modules" ]; then
		mkdir -p "$dir" "$KM/debs"
		(cd "$KM/debs" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
			{ echo "kmatrix: cannot download $pkg" >&2; return 1; }
		deb=$(ls "$KM"/debs/"${pkg}"_*.deb | head -1)
		# The kernel, and the parts of its modules GUEST_MODULES can need.
		# A flavour that builds some in (cloud: ext4) lacks some of these
		# paths: tar says so and goes on; the kernel itself must be there.
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards ./boot \
			'./lib/modules/*/modules.*' './lib/modules/*/kernel/drivers/block/*' \
			'./lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/fs/ext4/*' \
			'./lib/modules/*/kernel/fs/jbd2/*' './lib/modules/*/kernel/fs/mbcache*' \
			'./lib/modules/*/kernel/lib/*' './lib/modules/*/kernel/crypto/*' \
			'./lib/modules/*/kernel/arch/x86/crypto/*' 2>/dev/null
		mkdir -p "$dir/lib/modules"
		mv "$dir"/boot/vmlinuz-* "$dir/vmlinuz" && mv "$dir"/boot/config-* "$dir/config" &&
			rm -rf "$dir/boot" || { echo "kmatrix: cannot unpack $deb" >&2; return 1; }
		rm -f "$deb"
	fi
	echo "$dir/vmlinuz"
}

# The modules a guest loads at boot, from its kernel's package: the virtio
# disk (io_block.t's) and the ext4 it is formatted with, with what they
# depend on, in load order. Debian builds all of them as modules.
GUEST_MODULES="virtio_pci virtio_blk ext4 crc32c_generic"
modules_cpio() { # modules_cpio KERNEL-DIR: prints the path of a cpio.gz of its modules
	local dir=$1 ver out stage
	out=$dir/modules-$(echo "$GUEST_MODULES" | md5sum | cut -c1-8).cpio.gz # per module list
	[ -f "$out" ] && { echo "$out"; return 0; }
	ver=$(ls "$dir/lib/modules" | head -1)
	[ -n "$ver" ] || return 1
	depmod -b "$dir" "$ver" 2>/dev/null || return 1
	stage=$(mktemp -d)
	mkdir -p "$stage/lib/modules/$ver"
	for m in $GUEST_MODULES; do
		modprobe -d "$dir" -S "$ver" --show-depends "$m" 2>/dev/null
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
		local base=${ko##*/}
		case $base in
		*.ko.xz) xz -dc "$ko" >"$stage/lib/modules/$ver/${base%.xz}" ;;
		*.ko.zst) zstd -qdc "$ko" >"$stage/lib/modules/$ver/${base%.zst}" ;;
		*) cp "$ko" "$stage/lib/modules/$ver/" ;;
		esac
		echo "${base%.ko*}.ko" >>"$stage/lib/modules/$ver/lt-load"
	done
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$stage"
	[ -s "$out" ] && echo "$out"
}

# --- the guest's root: static latprof, busybox, bash, workloads, tests -------
make --no-print-directory -s test-build >/dev/null || die "build failed"
ROOT=$KM/root
rm -rf "$ROOT" && mkdir -p "$ROOT"/{bin,lib64,proc,sys,dev,tmp,run,lt/.output,lt/tests/integration}
# The same binary on every kernel: static, BPF objects embedded.
make --no-print-directory -s "$KM/latprof" >/dev/null || die "cannot link the static latprof"
cp "$KM/latprof" "$ROOT/lt/latprof"
cp /bin/busybox "$ROOT/bin/busybox"
cp -a .output/workloads "$ROOT/lt/.output/"
cp tests/integration/lib.sh "$ROOT/lt/tests/integration/"
for t in $TESTS; do
	[ -f "tests/integration/$t.t" ] || die "no test tests/integration/$t.t"
	cp "tests/integration/$t.t" "$ROOT/lt/tests/integration/"
done
# The host tools the tests use beyond busybox (bash; jq for JSON; bpftool;
# awk with sqrt; mkfs.ext4 for io_block's disk), and the dynamic workloads,
# with their libraries at the same paths.
HOST_TOOLS="bash jq bpftool awk mkfs.ext4"
for f in $(for t in $HOST_TOOLS; do readlink -f "$(command -v "$t")"; done) \
	"$ROOT"/lt/.output/workloads/*; do
	[ -x "$f" ] && [ -f "$f" ] || continue
	ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$ROOT$(dirname "$lib")"
	cp -L "$lib" "$ROOT$lib"
	# Its separate debug file (libc6-dbg's for libc), by build id, as on the host:
	# the frames of libc's start-up are named from it.
	id=$(readelf -n "$lib" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
	dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
	if [ -n "$id" ] && [ -f "$dbg" ]; then
		mkdir -p "$ROOT$(dirname "$dbg")"
		cp -L "$dbg" "$ROOT$dbg"
	fi
done
for t in $HOST_TOOLS; do
	f=$(command -v "$t") && cp -L "$f" "$ROOT/bin/$t" # busybox --install keeps them
done
cat >"$ROOT/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t bpf bpf /sys/fs/bpf
mkdir -p /sys/fs/cgroup /var/tmp && mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
ln -s /proc/self/fd /dev/fd 2>/dev/null
# This kernel's modules (kmatrix packs them per kernel): the virtio disk.
m=/lib/modules/$(uname -r)
[ -f $m/lt-load ] && while read -r ko; do insmod $m/$ko 2>/dev/null; done <$m/lt-load
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.2; done
[ -b /dev/vda ] && export LATPROF_TEST_DISK=/dev/vda
tests=$(sed -n 's/.*lt\.tests=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
for kv in $(sed -n 's/.*lt\.env=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' '); do export "$kv"; done
cd /lt
echo # after the firmware's escapes, the results start on a line of their own
LATPROF=./latprof bash ./km-run.sh $tests
echo "KM-DONE"
poweroff -f
EOF
chmod +x "$ROOT/init"
# The runner both the guest and this machine use: each tool's attach line
# (-v), then each test's TAP lines, prefixed. Run from the repository root
# (or /lt in the guest) with LATPROF set; arguments: the tests.
cat >"$ROOT/lt/km-run.sh" <<'EOF'
echo "KM-KERNEL $(uname -r)"
.output/workloads/kfeatures 2>&1 | sed 's/^/KM-FEATURE /'
bash -c 'sleep 30; true' & # a glibc process (not exec'd away) for alloc
for tool in "offcpu" "io" "io --syscalls" "tcp" "tcp --wait" "alloc -p $!"; do
	# shellcheck disable=SC2086
	"$LATPROF" $tool -v -d 0.3 -q -o /dev/null >/tmp/km-attach.out 2>&1
	grep 'latprof: attached:' /tmp/km-attach.out |
		sed "s/^latprof: attached: /KM-ATTACH ${tool%% *}: /"
	grep -q 'latprof: attached:' /tmp/km-attach.out ||
		grep -v '^libbpf' /tmp/km-attach.out | tail -3 | sed "s/^/KM-ATTACH-ERR ${tool%% *}: /"
	grep -q 'latprof: attached:' /tmp/km-attach.out || grep -B14 -m1 'processed [0-9]* insns' /tmp/km-attach.out | sed "s/^/KM-VLOG: /"
done
kill $! 2>/dev/null
for t in "$@"; do
	timeout 300 bash "tests/integration/$t.t" >/tmp/km-out 2>&1
	rc=$?
	sed "s/^/KM-TAP $t /" /tmp/km-out
	echo "KM-END $t $rc"
done
EOF
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) >"$KM/initrd.gz" || die "cannot pack the initramfs"

# --- run: each kernel under qemu, and this machine's kernel directly ---------
fails=0 passes=0
report() { # report KERNEL TEST RC CHECKS FAILED-CHECKS
	if [ "$3" = 0 ]; then passes=$((passes + 1)); st=ok; else fails=$((fails + 1)); st=FAIL; fi
	printf '%-28s %-20s %s (%s checks%s)\n' "$1" "$2" "$st" "$4" "${5:+; failed: $5}"
}
# feature NAME LOG: "yes" if kfeatures found NAME in this kernel
feature() { grep -aq "^KM-FEATURE $1 yes" "$2" && echo yes || echo no; }
# expect_attach KERNEL LOG: the attach mechanisms latprof must have chosen,
# the fastest this kernel offers by what kfeatures found in it (not by its
# version): each line is "TOOL|what its attach line must say"
expect_attach() {
	local k=$1 log=$2 want w tp ustk cache sys tcpsys up
	tp=raw_tp ustk="frame pointers" cache="" sys="raw_syscalls:sys_enter/sys_exit" up="perf-event uprobes"
	[ "$(feature tp_btf "$log")" = yes ] && tp=tp_btf
	[ "$(feature bpf_loop "$log")$(feature find_vma "$log")" = yesyes ] && ustk="CFI + frame pointers"
	# offcpu's tp_btf programs check the stack cache by direct loads with bpf_rdonly_cast (6.2)
	if [ $tp = tp_btf ]; then
		cache="; stack cache: probe reads"
		[ "$(feature rdonly_cast "$log")" = yes ] && cache="; stack cache: direct loads"
	fi
	sys="$sys ($tp) for 13 calls" tcpsys="raw_syscalls ($tp)"
	if [ "$(feature fentry "$log")" = yes ]; then
		sys="fentry/fexit on 13 functions" tcpsys="fentry/fexit"
	fi
	[ "$(feature uprobe_multi "$log")" = yes ] && up=uprobe_multi
	if ! grep -aq '^KM-FEATURE tp_btf ' "$log"; then
		report "$k" "features" 1 1 "kfeatures printed nothing: the expectations below are a guess"
	fi
	want="offcpu|sched_switch: $tp; user stacks: $ustk$cache
io|block: $tp
io|syscalls: $sys
tcp|inet_sock_set_state, tcp_retransmit_skb, tcp_*_reset: $tp
tcp|socket syscalls: $tcpsys; tcp_retransmit_skb, tcp_*_reset: $tp
alloc|of the time ($up)"
	echo "    features: $(grep -a '^KM-FEATURE ' "$log" | awk '{ n = $2; $1 = $2 = ""; sub(/^ +/, ""); sub(/^no /, "")
		printf "%s%s", (NR > 1 ? "; " : ""), ($0 == "yes" ? n : "no " n " " $0) }')"
	while IFS= read -r w; do
		if grep -a "^KM-ATTACH ${w%%|*}: " "$log" | grep -qF -- "${w#*|}"; then
			report "$k" "attach ${w%%|*}" 0 1
		else
			report "$k" "attach ${w%%|*}" 1 1 "wanted '${w#*|}'"
		fi
	done <<<"$want"
	grep -a 'KM-ATTACH' "$log" | sed 's/^KM-ATTACH /    /'
}
parse() { # parse KERNEL LOG
	local k=$1 log=$2 t
	expect_attach "$k" "$log"
	for t in $TESTS; do
		local end rc n bad
		end=$(grep -a "^KM-END $t " "$log" | tail -1)
		rc=${end##* }
		n=$(grep -ac "^KM-TAP $t \(not \)\?ok " "$log")
		bad=$(grep -a "^KM-TAP $t not ok " "$log" | sed "s/^KM-TAP $t not ok //" | paste -sd';' -)
		if [ -z "$end" ]; then report "$k" "$t" 1 "$n" "did not finish"
		else report "$k" "$t" "$rc" "$n" "$bad"; fi
	done
}

# This machine's kernel: the same binary, no VM.
if [ "${KMATRIX_HOST:-1}" = 1 ]; then
	log=$KM/host.log
	# shellcheck disable=SC2086
	LATPROF=$KM/latprof bash "$ROOT/lt/km-run.sh" $TESTS >"$log" 2>&1
	parse "$(uname -r)" "$log"
fi

for fl in $KERNELS; do
	vmlinuz=$(fetch_kernel "$fl") || { report "linux-image-$fl" boot 1 0 "no kernel"; continue; }
	log=$KM/$fl.log
	t0=$(date +%s)
	# The common root, then this kernel's modules: the kernel unpacks both.
	initrd=$KM/initrd-$fl.gz
	if mods=$(modules_cpio "$(dirname "$vmlinuz")"); then
		cat "$KM/initrd.gz" "$mods" >"$initrd"
	else
		echo "kmatrix: no modules for $fl: no disk in its guest (io_block skips)" >&2
		cp "$KM/initrd.gz" "$initrd"
	fi
	rm -f "$KM/disk.img" && truncate -s 256M "$KM/disk.img"
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -m 2048 -smp "${KMATRIX_SMP:-1}" -nographic \
		-no-reboot -kernel "$vmlinuz" -initrd "$initrd" \
		-drive file="$KM/disk.img",if=virtio,format=raw \
		-append "console=ttyS0 panic=-1 quiet lt.tests=$(echo $TESTS | tr ' ' ,)${KMATRIX_ENV:+ lt.env=$KMATRIX_ENV}" \
		</dev/null >"$log.raw" 2>&1
	# The serial console's carriage returns and terminal escapes out.
	tr -d '\r' <"$log.raw" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' >"$log"
	k=$(sed -n 's/.*KM-KERNEL \([^[:space:]]*\).*/\1/p' "$log" | head -1)
	if [ -z "$k" ]; then
		report "linux-image-$fl" boot 1 0 "no output from the guest; see $log"
		continue
	fi
	grep -q '^KM-DONE' "$log" || echo "kmatrix: $k: the guest stopped early; see $log" >&2
	parse "$k" "$log"
	echo "    ($((($(date +%s) - t0))) s under qemu, $ACCEL)"
done
echo "kmatrix: $passes passed, $fails failed"
[ $fails = 0 ]
