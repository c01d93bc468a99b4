#!/usr/bin/env bash
# Runs a benchmark with its work directory (TMPDIR) on a filesystem of another kind, made on a loop
# device over a zero-filled image on this disk: how the servers compare on the filesystems a
# hospital's server would run (ext4 with its journal, XFS) when this machine's own is different
# (ext4 without a journal here). Needs root, losetup, mkfs.ext4 and, for xfs, mkfs.xfs (xfsprogs).
#
#   bench/on-loop-filesystem.sh ext4-nojournal|ext4|ext4-fast-commit|xfs COMMAND [ARGS...]
#   e.g. bench/on-loop-filesystem.sh xfs node bench/store.mjs --rounds 3 --scenarios ct-1 --servers kakutei,orthanc
#
# The loop device uses direct I/O, so its flushes reach the disk as flushes of the image file,
# whose blocks are all written beforehand (no allocation on the host's side). It adds a layer:
# compare servers on the same loop filesystem, not with figures taken on the disk itself.
# Environment: KAKUTEI_BENCH_IMAGE_DIR (default: /var/tmp) holds the image, KAKUTEI_BENCH_IMAGE_GIB
# (default 8) its size. Everything is removed at the end.
set -euo pipefail

kind=${1:?usage: $0 ext4-nojournal|ext4|ext4-fast-commit|xfs COMMAND [ARGS...]}
shift
[ $# -gt 0 ] || { echo "usage: $0 KIND COMMAND [ARGS...]" >&2; exit 2; }

image_dir=${KAKUTEI_BENCH_IMAGE_DIR:-/var/tmp}
image_gib=${KAKUTEI_BENCH_IMAGE_GIB:-8}
image=$(mktemp "$image_dir/kakutei-bench-fs-XXXXXX.img")
mount_point=$(mktemp -d /tmp/kakutei-bench-mnt-XXXXXX)
device=""

cleanup() {
  if mountpoint -q "$mount_point"; then umount "$mount_point"; fi
  if [ -n "$device" ]; then losetup -d "$device"; fi
  rm -f "$image"
  rmdir "$mount_point"
}
trap cleanup EXIT

dd if=/dev/zero of="$image" bs=16M count=$((image_gib * 64)) oflag=direct status=none
device=$(losetup --direct-io=on --show -f "$image")
case "$kind" in
  ext4-nojournal) mkfs.ext4 -q -F -O ^has_journal "$device" ;;
  ext4) mkfs.ext4 -q -F "$device" ;;
  ext4-fast-commit) mkfs.ext4 -q -F -O fast_commit "$device" ;;
  xfs) mkfs.xfs -q -f "$device" ;;
  *) echo "unknown filesystem kind: $kind" >&2; exit 2 ;;
esac
mount "$device" "$mount_point"
echo "bench: $kind on $device (image $image), TMPDIR=$mount_point" >&2
TMPDIR="$mount_point" "$@"
