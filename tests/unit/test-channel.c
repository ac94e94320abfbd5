/* SPDX-License-Identifier: MIT */
/*
 * Channels and buffers without a hypervisor: the paths that must fail
 * cleanly (nothing to open, bad sizes) and the calls that must be safe
 * on a closed or never-opened channel. Running them for real needs Xen
 * or xensim: that is the integration suites' job.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xensnd/channel.h>
#include <xensnd/pagedir.h>

#include "check.h"

static void test_closed(struct check *c)
{
	struct xensnd_front_channel fch;
	struct xensnd_back_channel bch;
	struct xensnd_front_buffer fbuf;
	struct xensnd_back_buffer bbuf;
	bool a, b;

	memset(&fch, 0, sizeof(fch));
	memset(&bch, 0, sizeof(bch));
	memset(&fbuf, 0, sizeof(fbuf));
	memset(&bbuf, 0, sizeof(bbuf));
	xensnd_front_channel_close(&fch);
	xensnd_front_channel_close(&fch);	/* twice is fine */
	xensnd_back_channel_close(&bch);
	xensnd_front_buffer_free(&fbuf);
	xensnd_back_buffer_unmap(&bbuf);
	CHECK_EQ(c, xensnd_front_channel_fd(&fch), -1);
	CHECK_EQ(c, xensnd_back_channel_fd(&bch), -1);
	CHECK_EQ(c, xensnd_front_channel_notify(&fch), -ENOTCONN);
	CHECK_EQ(c, xensnd_back_channel_notify(&bch), -ENOTCONN);
	CHECK_EQ(c, xensnd_back_channel_notify_event(&bch), -ENOTCONN);
	CHECK_EQ(c, xensnd_front_channel_pending(&fch, &a, &b), -ENOTCONN);
	CHECK(c, !a && !b);
	CHECK_EQ(c, xensnd_back_channel_pending(&bch, &a), -ENOTCONN);
	CHECKED(c, "close/free/unmap on never-opened channels and buffers are no-ops; "
		"notify and pending say -ENOTCONN");
}

static void test_bad_sizes(struct check *c)
{
	struct xensnd_front_buffer fbuf;
	struct xensnd_back_buffer bbuf;
	char err[160] = "";

	/* Refused before any handle is touched (the handles are NULL). */
	CHECK_EQ(c, xensnd_front_buffer_alloc(&fbuf, NULL, 0, 0), -EINVAL);
	CHECK_EQ(c, xensnd_front_buffer_alloc(&fbuf, NULL, 0, XENSND_BUFFER_SIZE_MAX + 1),
		 -EINVAL);
	CHECK(c, fbuf.data == NULL && fbuf.refs == NULL);
	CHECK_EQ(c, xensnd_back_buffer_map(&bbuf, NULL, 1, 8, 0, err, sizeof(err)), -EINVAL);
	CHECK_STR(c, err, "buffer size 0 out of range (1..67108864)");
	CHECK_EQ(c, xensnd_back_buffer_map(&bbuf, NULL, 1, 8, UINT32_MAX, err, sizeof(err)),
		 -EINVAL);
	CHECK(c, bbuf.data == NULL);
	CHECKED(c, "buffers of 0 octets or over 64 MiB are refused up front");
}

static void test_no_hypervisor(struct check *c)
{
	struct xensnd_front_channel fch;
	struct xensnd_back_channel bch;
	struct xensnd_stream_keys keys = { 8, 9, 10, 11 };
	int res;

	if (access("/dev/xen/evtchn", F_OK) == 0) {
		CHECKED(c, "/dev/xen/evtchn exists: open failures not tested here");
		return;
	}
	res = xensnd_front_channel_open(&fch, NULL, 0);
	CHECK(c, res < 0);
	CHECK(c, fch.evtchn == NULL && fch.ring_page == NULL && fch.evt_page == NULL);
	res = xensnd_back_channel_open(&bch, NULL, 1, &keys);
	CHECK(c, res < 0);
	CHECK(c, bch.evtchn == NULL && bch.ring_page == NULL);
	CHECKED(c, "without an event channel device, open fails (%s) and holds nothing",
		strerror(-res));
}

int main(void)
{
	struct check c = { "channel" };

	test_closed(&c);
	test_bad_sizes(&c);
	test_no_hypervisor(&c);
	return check_done(&c);
}
