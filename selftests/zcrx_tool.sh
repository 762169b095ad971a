#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zc-rx is written against liburing 2.10's zcrx interface
# (io_uring_register_ifq(), struct io_uring_zcrx_rq, sqe->zcrx_ifq_idx)
# and built on Debian's liburing 2.3 through libzc's compat liburing.h.
# It receives zc-send's pattern over a zcnic pair, setting the NIC up
# itself (header split, RSS, steering, all from code), and checks every
# byte.  Over the zcnic every byte must come zero-copy, and zc-copystat
# must count no TCP payload copied by the CPU; over loopback every byte
# takes the copy fallback.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$HERE/.." && pwd)
RX=$BUILD/tools/bin/zc-rx
SEND=$BUILD/tools/bin/zc-send
COPYSTAT=$BUILD/tools/bin/zc-copystat
PASS=0
FAIL=0

cleanup() {
	echo zra > /sys/bus/platform/drivers/zcnic/del_pair 2>/dev/null
	ip netns del zrtx 2>/dev/null
	ip netns del zrrx 2>/dev/null
}
trap cleanup EXIT

echo 4 > /proc/sys/vm/nr_hugepages
echo "zra zrb 4" > /sys/bus/platform/drivers/zcnic/new_pair || exit 1
ip netns add zrtx && ip netns add zrrx || exit 1
ip link set zra netns zrtx && ip link set zrb netns zrrx || exit 1
ip -n zrtx addr add 10.9.4.1/24 dev zra && ip -n zrtx addr add fd04::1/64 dev zra nodad
ip -n zrrx addr add 10.9.4.2/24 dev zrb && ip -n zrrx addr add fd04::2/64 dev zrb nodad
ip -n zrtx link set zra up && ip -n zrrx link set zrb up && ip -n zrrx link set lo up || exit 1

# run NAME EXPECT(zc|copy) SENDNS ADDR PORT BYTES CONNS -- zc-rx args
run() {
	local name=$1 expect=$2 sns=$3 addr=$4 port=$5 bytes=$6 conns=$7
	local rx line zc copied bad total copies ok=1 i
	shift 8

	ip netns exec zrrx "$COPYSTAT" -o /tmp/zcrx-tool.copies -- \
		timeout 300 "$RX" -p "$port" -v 251 -c "$conns" "$@" \
		> /tmp/zcrx-tool.log 2>&1 &
	rx=$!
	sleep 1
	for i in $(seq "$conns"); do
		ip netns exec "$sns" "$SEND" -s "$addr" -p "$port" -v 251 \
			-n "$bytes" -w 20 > /dev/null || ok=0
	done
	wait $rx || ok=0
	line=$(grep "received" /tmp/zcrx-tool.log)
	total=$(echo "$line" | sed -n 's/.*received \([0-9]*\) bytes.*/\1/p')
	zc=$(echo "$line" | sed -n 's/.*: \([0-9]*\) zero-copy.*/\1/p')
	copied=$(echo "$line" | sed -n 's/.* \([0-9]*\) copied.*/\1/p')
	bad=$(echo "$line" | sed -n 's/.* \([0-9]*\) bad.*/\1/p')
	copies=$(sed -n 's/^tcp_copied_bytes=\([0-9]*\) .*/\1/p' /tmp/zcrx-tool.copies)
	[ "${total:-x}" = $((bytes * conns)) ] && [ "${bad:-x}" = 0 ] || ok=0
	if [ "$expect" = zc ]; then
		[ "${zc:-x}" = "$total" ] && [ "${copies:-x}" = 0 ] || ok=0
	else
		[ "${copied:-x}" = "$total" ] || ok=0
	fi
	echo "# $name: $line; TCP bytes copied by the CPU: ${copies:-?}"
	if [ $ok = 1 ]; then
		echo "ok $name"
		PASS=$((PASS + 1))
	else
		sed 's/^/#   /' /tmp/zcrx-tool.log
		echo "not ok $name"
		FAIL=$((FAIL + 1))
	fi
}

echo "TAP version 13"
echo "1..4"
run ipv4_user_rq zc zrtx 10.9.4.2 5501 16777216 2 -- \
	-i zrb -q 3 -s
run ipv6_kernel_rq_hugepages_limit zc zrtx fd04::2 5502 16777216 1 -- \
	-i zrb -q 3 -s -6 -K -H -a 4m -b 256k -l 256k
run loopback_copy_fallback copy zrrx 127.0.0.1 5503 4194304 1 -- \
	-i zrb -q 3
# 64 MiB through a 4 MiB area: every buffer comes back through the refill
# ring 16 times.  (An area that cannot hold what the NIC has posted plus a
# TCP window runs dry: the NIC drops, and once out-of-order data holds
# every buffer the flow can stall.  Refill policies address that.)  The
# 4 MiB areas come with a 256 KiB SO_RCVBUF, so that a receiver the host
# deschedules cannot let TCP queue more than the area holds, which would
# lend kernel pages and copy (zc-rx(1), -b).
run area_recycling zc zrtx 10.9.4.2 5504 67108864 1 -- \
	-i zrb -q 3 -s -a 4m -b 256k
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
