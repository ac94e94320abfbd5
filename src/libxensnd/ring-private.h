/* SPDX-License-Identifier: MIT */
/*
 * Private to libxensnd: the memory barriers xen/io/ring.h's macros use.
 *
 * ring.h leaves xen_mb/xen_rmb/xen_wmb to its user: a guest kernel has
 * its own, and Xen's userspace tools define them in xenctrl.h. Without
 * __XEN_TOOLS__ the public headers map them to mb()/rmb()/wmb(), which
 * userspace does not have, so we replace them here, once, with the C11
 * fences that give the same ordering between two processors sharing a
 * page: a full fence, loads before loads, stores before stores.
 *
 * Include this, and no other definition, wherever a RING_* macro runs.
 */
#ifndef XENSND_RING_PRIVATE_H
#define XENSND_RING_PRIVATE_H

#include <xensnd/ring.h>

#undef xen_mb
#undef xen_rmb
#undef xen_wmb
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

/*
 * An index the other end writes, read exactly once: the compiler may not
 * re-read it after we checked it (the double-fetch of XSA-155).
 */
#define xensnd_read_shared(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define xensnd_write_shared(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

#endif
