#!/bin/bash
# `make kmatrix`: the same static latprof binary, and the integration tests,
# on other kernels booted under qemu, and on this machine's own kernel.
#
#   KERNELS="amd64 cloud-amd64" TESTS="offcpu_sleep ..." scripts/kmatrix.sh
#   scripts/kmatrix.sh --fast      the subset `make test` runs (kmatrix.t)
#
# Kernels are Debian's linux-image-FLAVOUR packages, downloaded and unpacked
# under .output/kmatrix (never installed). The guest is an initramfs: busybox,
# bash and the test workloads with their libraries, the static latprof, and
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
	KERNELS=${KERNELS:-amd64 cloud-amd64}
	# io_block needs a disk (the guest's root is in memory); io_syscalls
	# skips its --slower part there.
	TESTS=${TESTS:-offcpu_sleep offcpu_pipe offcpu_minmax offcpu_fallbacks offcpu_cache offcpu_exit offcpu_late offcpu_wakers wall func alloc_hot alloc_burst tcp_connect tcp_life tcp_wait io_syscalls}
fi
ACCEL=${KMATRIX_ACCEL:-tcg}
BOOT_TIMEOUT=${KMATRIX_TIMEOUT:-900}

die() { echo "kmatrix: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (apt-get, and BPF on this machine's row)"

need_pkgs=()
for p in qemu-system-x86 busybox-static cpio; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	echo "kmatrix: installing ${need_pkgs[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null ||
		die "cannot install ${need_pkgs[*]}"
fi

# --- kernels: linux-image-FLAVOUR -> its versioned package -> vmlinuz ---------
fetch_kernel() { # fetch_kernel FLAVOUR: prints the path of its vmlinuz
	local fl=$1 pkg deb dir
	pkg=$(apt-cache depends "linux-image-$fl" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { echo "kmatrix: no Debian package linux-image-$fl" >&2; return 1; }
	dir=$KM/kernels/$pkg
	if [ ! -f "$dir/vmlinuz" ]; then
		mkdir -p "$dir" "$KM/debs"
		(cd "$KM/debs" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
			{ echo "kmatrix: cannot download $pkg" >&2; return 1; }
		deb=$(ls "$KM"/debs/"${pkg}"_*.deb | head -1)
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" ./boot &&
			mv "$dir"/boot/vmlinuz-* "$dir/vmlinuz" && mv "$dir"/boot/config-* "$dir/config" &&
			rm -rf "$dir/boot" || { echo "kmatrix: cannot unpack $deb" >&2; return 1; }
	fi
	echo "$dir/vmlinuz"
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
# awk with sqrt), and the dynamic workloads, with their libraries at the same
# paths.
HOST_TOOLS="bash jq bpftool awk"
for f in $(for t in $HOST_TOOLS; do readlink -f "$(command -v "$t")"; done) \
	"$ROOT"/lt/.output/workloads/*; do
	[ -x "$f" ] && [ -f "$f" ] || continue
	ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$ROOT$(dirname "$lib")"
	cp -L "$lib" "$ROOT$lib"
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
# expect_attach KERNEL LOG: the attach mechanisms this kernel must have chosen
expect_attach() {
	local k=$1 log=$2 want w
	case $k in
	# 6.1: tp_btf, but no bpf_rdonly_cast (6.2): the cache checks by probe
	# reads; BPF trampolines: syscalls timed by fentry/fexit.
	6.1.*) want="offcpu: sched_switch: tp_btf; user stacks: CFI + frame pointers; stack cache: probe reads
io: block: tp_btf
io: syscalls: fentry/fexit on 13 functions
tcp: inet_sock_set_state, tcp_retransmit_skb, tcp_*_reset: tp_btf
tcp: socket syscalls: fentry/fexit; tcp_retransmit_skb, tcp_*_reset: tp_btf" ;;
	# This machine: no fentry (EPERM), no kprobes: tracepoints, raw_syscalls.
	*) want="offcpu: sched_switch: tp_btf; user stacks: CFI + frame pointers; stack cache: direct loads
io: block: tp_btf
io: syscalls: raw_syscalls:sys_enter/sys_exit (tp_btf) for 13 calls
tcp: inet_sock_set_state, tcp_retransmit_skb, tcp_*_reset: tp_btf
tcp: socket syscalls: raw_syscalls (tp_btf); tcp_retransmit_skb, tcp_*_reset: tp_btf" ;;
	esac
	while IFS= read -r w; do
		if grep -qF "KM-ATTACH $w" "$log"; then report "$k" "attach ${w%%:*}" 0 1
		else report "$k" "attach ${w%%:*}" 1 1 "wanted '$w'"; fi
	done <<<"$want"
	grep 'KM-ATTACH' "$log" | sed 's/^KM-ATTACH /    /'
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
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -m 2048 -smp "${KMATRIX_SMP:-1}" -nographic \
		-no-reboot -kernel "$vmlinuz" -initrd "$KM/initrd.gz" \
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
