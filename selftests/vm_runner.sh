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

# vm_case NAME DESCRIPTION WANT-RC LOG-REGEX [tools/vm options] -- CMD...
# Pass when tools/vm exits WANT-RC and, if LOG-REGEX is set, the guest's
# kernel log matches it; exit 126 must come with tools/vm's splat report.
vm_case() {
	local name=$1 desc=$2 want=$3 regex=$4 out rc
	shift 4

	n=$((n + 1))
	out=$("$ROOT/tools/vm" --kernel "$KERNEL" --name "$name" --quiet \
		--timeout 600 "$@" 2>&1)
	rc=$?
	sed 's/^/# /' <<< "$out"
	# A splat must also be reported as one, not just counted.
	if [ $rc -eq "$want" ] && { [ -z "$regex" ] ||
	   grep -aqE "$regex" "$ROOT/build/vm/$name/console.log"; } &&
	   { [ "$want" -ne 126 ] || grep -q 'kernel log splat' <<< "$out"; }; then
		pass=$((pass + 1))
		echo "ok $n vm_runner: $desc"
	else
		fail=$((fail + 1))
		echo "not ok $n vm_runner: $desc # tools/vm exit $rc, want $want${regex:+ with /$regex/ in the log}"
	fi
}

echo "TAP version 13"
echo "1..3"

vm_case runner-exitcode "clean run returns the command's exit code" 3 "" \
	-- bash -c 'grep -q "^processor" /proc/cpuinfo && exit 3'

vm_case runner-warn "a kernel WARN in the guest fails the run" 126 \
	'WARNING: CPU: .* lkdtm' \
	-- bash -c 'echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT; exit 0'

# The hung-task detector must fire within a run.  The runner's 120 s is
# tuned against false alarms under TCG; a lower one proves the wiring.
vm_case runner-hung "a hung task fails the run" 126 'blocked for more than' \
	--append "sysctl.kernel.hung_task_timeout_secs=5" -- bash -c \
	'(echo HUNG_TASK > /sys/kernel/debug/provoke-crash/DIRECT &); sleep 15; exit 0'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
