/* SPDX-License-Identifier: MIT */
/*
 * The toolstack part of xensim: what `xl vsnd-attach`, `xl vsnd-detach`
 * and `xl vsnd-list` do to XenStore, for domains that live in xensim.
 *
 *   xensim vsnd-attach [--backend-domid B] DOMID ITEM...
 *   xensim vsnd-attach [--backend-domid B] --config FILE DOMID
 *   xensim vsnd-detach [--force] [--timeout SECONDS] DOMID DEVID
 *   xensim vsnd-list DOMID
 *
 * xensim's main() has consumed --dir and pointed XENSTORED_PATH at dom0's
 * XenStore socket; the toolstack talks to it as dom0 through libxenstore.
 */
#ifndef XENSIM_TOOLSTACK_H
#define XENSIM_TOOLSTACK_H

/*
 * argv[0] is the subcommand ("vsnd-attach", "vsnd-detach" or "vsnd-list"),
 * its arguments follow. Returns the process exit status: 0 done,
 * 1 failure (message on stderr), 2 usage error.
 */
int toolstack_main(int argc, char **argv);

#endif
