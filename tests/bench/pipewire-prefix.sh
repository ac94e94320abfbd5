#!/bin/bash
# SPDX-License-Identifier: MIT
# Unpack a newer PipeWire from Debian (bookworm-backports by default) into
# DIR, without installing it, for the benchmarks to run against:
#   tests/bench/pipewire-prefix.sh DIR [SUITE]
#   XENSND_BENCH_PIPEWIRE=DIR tests/bench/run --short
# Only PipeWire's own packages come from SUITE (daemon, tools, library,
# modules, SPA plugins); WirePlumber and everything else stay the system's.
set -euo pipefail

usage() {
	echo "usage: $0 DIR [SUITE]   (SUITE: a Debian suite, default bookworm-backports)" >&2
	exit 2
}
case ${1:-} in -h|--help) sed -n '3,8p' "$0" | cut -c3-; exit 0 ;; '') usage ;; esac
[ $# -le 2 ] || usage
dir=$(mkdir -p "$1" && cd "$1" && pwd)
suite=${2:-bookworm-backports}
packages="pipewire pipewire-bin pipewire-pulse libpipewire-0.3-0 libpipewire-0.3-modules
	libpipewire-0.3-common libspa-0.2-modules"

# apt with a sources list and cache of its own: the system's stay as they are.
apt=(apt-get -q -o Dir::Etc::SourceList="$dir/apt/sources.list"
	-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$dir/apt/lists"
	-o Dir::Cache="$dir/apt/cache")
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs"
echo "deb http://deb.debian.org/debian $suite main" >"$dir/apt/sources.list"
echo "pipewire-prefix: reading $suite's package lists"
"${apt[@]}" update >"$dir/apt/update.log" 2>&1 ||
	{ cat "$dir/apt/update.log" >&2; echo "pipewire-prefix: apt-get update failed (network? suite name?)" >&2; exit 1; }
rm -rf "$dir/root" "$dir/debs"/*.deb
for p in $packages; do
	(cd "$dir/debs" && "${apt[@]}" download "$p/$suite" >>"$dir/apt/download.log" 2>&1) ||
		{ tail -n 3 "$dir/apt/download.log" >&2; echo "pipewire-prefix: cannot download $p from $suite" >&2; exit 1; }
done
for deb in "$dir/debs"/*.deb; do
	dpkg-deb -x "$deb" "$dir/root"
done
lib=$(echo "$dir"/root/usr/lib/*-linux-gnu)
# tests/bench/run prints it with the figures.
LD_LIBRARY_PATH=$lib "$dir/root/usr/bin/pipewire" --version |
	sed -n 's/^Linked with libpipewire //p' >"$dir/version"
echo "pipewire-prefix: PipeWire $(cat "$dir/version") unpacked in $dir/root"
