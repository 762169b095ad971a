#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm_runner.sh BZIMAGE: test tools/vm itself, on the host.
#
# A runner that passes a run whose kernel warned would hide every bug the
# debug kernel finds, so provoke a real WARN (LKDTM, not a line written to
# /dev/kmsg) and check that the run fails and says why.  Also check that a
# clean run hands back the guest command's own exit code.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KERNEL=${1:?usage: $0 BZIMAGE}
pass=0 fail=0 n=0

result() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		pass=$((pass + 1))
		echo "ok $n vm_runner: $2"
	else
		fail=$((fail + 1))
		echo "not ok $n vm_runner: $2 # $3"
	fi
}

echo "TAP version 13"
echo "1..3"

out=$("$ROOT/tools/vm" --kernel "$KERNEL" --name runner-exitcode --quiet \
	--timeout 600 -- bash -c 'grep -q "^processor" /proc/cpuinfo && exit 3' 2>&1)
rc=$?
sed 's/^/# /' <<< "$out"
if [ $rc -eq 3 ]; then
	result ok "clean run returns the command's exit code"
else
	result fail "clean run returns the command's exit code" "got $rc, want 3"
fi

out=$("$ROOT/tools/vm" --kernel "$KERNEL" --name runner-warn --quiet \
	--timeout 600 -- bash -c \
	'echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT; exit 0' 2>&1)
rc=$?
sed 's/^/# /' <<< "$out"
log=$ROOT/build/vm/runner-warn/console.log
if [ $rc -eq 126 ] && grep -aq 'WARNING: CPU: .* lkdtm' "$log" &&
   grep -q 'kernel log splat' <<< "$out"; then
	result ok "a kernel WARN in the guest fails the run"
else
	result fail "a kernel WARN in the guest fails the run" \
		"tools/vm exit $rc, want 126 with the WARN reported"
fi

# The hung-task detector must fire within a run.  The runner's 120 s is
# tuned against false alarms under TCG; a lower one proves the wiring.
out=$("$ROOT/tools/vm" --kernel "$KERNEL" --name runner-hung --quiet \
	--timeout 600 --append "sysctl.kernel.hung_task_timeout_secs=5" -- bash -c \
	'(echo HUNG_TASK > /sys/kernel/debug/provoke-crash/DIRECT &); sleep 15; exit 0' 2>&1)
rc=$?
sed 's/^/# /' <<< "$out"
log=$ROOT/build/vm/runner-hung/console.log
if [ $rc -eq 126 ] && grep -aq 'blocked for more than' "$log"; then
	result ok "a hung task fails the run"
else
	result fail "a hung task fails the run" "tools/vm exit $rc, want 126 with the hung task reported"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
