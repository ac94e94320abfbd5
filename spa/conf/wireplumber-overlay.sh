#!/bin/sh
# Build a WirePlumber 0.4 configuration directory that holds this project's
# files AND the system's, for `meson devenv` and the tests.
#
# Why: WirePlumber 0.4.13 takes WIREPLUMBER_CONFIG_DIR / WIREPLUMBER_DATA_DIR
# as ONE directory that replaces its whole search list (no ':' lists; those
# came in later versions), and forwards WIREPLUMBER_CONFIG_DIR to
# PIPEWIRE_CONFIG_DIR for wireplumber.conf itself. So we cannot put our
# directory "in front of" /usr/share/wireplumber: we merge both into one
# tree of symlinks, ours winning on equal names (as WirePlumber's own
# lookup would).
#
# usage: wireplumber-overlay.sh OURS SYSTEM OUT
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 OURS SYSTEM OUT" >&2
	exit 2
fi
ours=$1 system=$2 out=$3

# link_tree SRC DST: mirror SRC's files into DST as symlinks, recursing
# into directories so that two trees can share one directory.
link_tree() {
	mkdir -p "$2"
	for f in "$1"/* ; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		if [ -d "$f" ]; then
			[ -L "$2/$name" ] && rm -f "$2/$name"
			link_tree "$f" "$2/$name"
		else
			ln -sfn "$f" "$2/$name"
		fi
	done
}

rm -rf "$out"
mkdir -p "$out"
if [ -d "$system" ]; then
	link_tree "$system" "$out"
else
	echo "warning: $system not found; only this project's WirePlumber files" >&2
fi
link_tree "$ours" "$out"
