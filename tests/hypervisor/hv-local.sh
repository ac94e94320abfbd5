#!/bin/bash
# One domain: open without xensim fails cleanly; unsupported calls fail with
# ENOSYS; pending/mask/unmask, unbind, restrict; grants, unmap and unshare
# notifications, a dying mapper's notification; malformed requests on the
# raw socket get an error or a hang-up, and the hub goes on serving.
source "$(dirname "$0")/lib.sh"

LD_LIBRARY_PATH=$XENSIM_LIBDIR "$HV_TEST" noenv 2>"$dir/noenv.log"
grep -q "xensim exec" "$dir/noenv.log" || {
	echo "no hint to use xensim exec in: $(cat "$dir/noenv.log")" >&2
	exit 1
}
in_dom 4 "$HV_TEST" local
in_dom 5 "$HV_TEST" hostile
