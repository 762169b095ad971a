#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Upstream's ncdevmem, unchanged, receives a TCP stream into a udmabuf
# through a zcnic pair: the proof that the memory-provider plumbing and the
# virtual NIC work with a client we did not write.
#
# ncdevmem validates every dma-buf frag against its pattern (-v) and
# counts any payload that reaches the skb head (SCM_DEVMEM_LINEAR) as a
# validation failure.  zc-copystat counts the TCP payload bytes the CPU
# copies to user memory while ncdevmem runs (a BPF program on
# skb_copy_datagram_iter(), TCP sockets only: ncdevmem's own netlink
# traffic goes through the same function): there must be none.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$HERE/.." && pwd)
NCDEVMEM=$HERE/net/ncdevmem
SEND=$BUILD/tools/bin/zc-send
COPYSTAT=$BUILD/tools/bin/zc-copystat
PORT=5201
BYTES=${ZC_NCDEVMEM_BYTES:-16000000}
rc=1

cleanup() {
	echo nca > /sys/bus/platform/drivers/zcnic/del_pair 2>/dev/null
	ip netns del nctx 2>/dev/null
	ip netns del ncrx 2>/dev/null
}
trap cleanup EXIT

echo "nca ncb 4" > /sys/bus/platform/drivers/zcnic/new_pair || exit 1
ip netns add nctx && ip netns add ncrx || exit 1
ip link set nca netns nctx && ip link set ncb netns ncrx || exit 1
ip -n nctx addr add 10.9.1.1/24 dev nca
ip -n ncrx addr add 10.9.1.2/24 dev ncb
ip -n nctx link set nca up && ip -n ncrx link set ncb up || exit 1

# ncdevmem shells out to "sudo ethtool"; the shims provide both, with
# tcp-data-split set through ethtool netlink.
ip netns exec ncrx env PATH="$HERE/shim:$PATH" \
	"$COPYSTAT" -o /tmp/ncdevmem.copies -- \
	timeout 300 "$NCDEVMEM" -l -f ncb -s 10.9.1.2 -p $PORT \
	-t 3 -q 1 -v 7 > /tmp/ncdevmem.log 2>&1 &
rx=$!
for _ in $(seq 100); do
	grep -q "Waiting or connection" /tmp/ncdevmem.log && break
	sleep 0.2
done
ip netns exec nctx "$SEND" -s 10.9.1.2 -p $PORT -n "$BYTES" -v 7
wait $rx
rxrc=$?
copies=$(sed -n 's/^tcp_copied_bytes=\([0-9]*\) .*/\1/p' /tmp/ncdevmem.copies)

# ncdevmem prints a line per frag and per recvmsg; keep its setup steps.
grep -E "Running:|got dmabuf|binding|Waiting|Got connection|YNL|netlink|rror|FAIL" /tmp/ncdevmem.log
total=$(grep -o 'total_received=[0-9]*' /tmp/ncdevmem.log | tail -1 | cut -d= -f2)
stats=$(ip netns exec ncrx ethtool -S ncb)
echo "$stats" | grep -E "rx3_(packets|dev_written_bytes|hds_split|missed)"
echo "ncdevmem rc=$rxrc received=${total:-0} of $BYTES, TCP bytes copied by the CPU: ${copies:-?}"

if [ $rxrc -eq 0 ] && [ "${total:-0}" = "$BYTES" ] && [ "${copies:-x}" = 0 ] &&
   echo "$stats" | grep -q "rx3_hds_split: [1-9]"; then
	echo "ok: payload only in the dma-buf, no CPU copy"
	rc=0
fi
exit $rc
