/* SPDX-License-Identifier: MIT */
/*
 * The XenBus decisions that need no XenStore: state names, what each
 * end does next for every pair of states, and the version pick.
 * (Publishing and reading keys run against xensim in the integration
 * suites.)
 */
#include <errno.h>

#include <xensnd/xenbus.h>
#include <xen/io/sndif.h>

#include "check.h"

#define F(s) XenbusState##s

static void test_names(struct check *c)
{
	CHECK_STR(c, xensnd_state_name(XenbusStateInitialising), "Initialising");
	CHECK_STR(c, xensnd_state_name(XenbusStateInitWait), "InitWait");
	CHECK_STR(c, xensnd_state_name(XenbusStateInitialised), "Initialised");
	CHECK_STR(c, xensnd_state_name(XenbusStateConnected), "Connected");
	CHECK_STR(c, xensnd_state_name(XenbusStateClosing), "Closing");
	CHECK_STR(c, xensnd_state_name(XenbusStateClosed), "Closed");
	CHECK_STR(c, xensnd_state_name(XenbusStateReconfiguring), "Reconfiguring");
	CHECK_STR(c, xensnd_state_name(XenbusStateReconfigured), "Reconfigured");
	CHECK_STR(c, xensnd_state_name(XenbusStateUnknown), "Unknown");
	CHECK_STR(c, xensnd_state_name(9), "Unknown");
	CHECK_STR(c, xensnd_state_name(-1), "Unknown");
	CHECKED(c, "state names, out-of-range values are Unknown");
}

static void test_front(struct check *c)
{
	static const struct {
		enum xenbus_state front, back;
		enum xensnd_front_action action;
	} cases[] = {
		{ F(Initialising), F(Initialising), XENSND_FRONT_WAIT },
		{ F(Initialising), F(InitWait), XENSND_FRONT_INITIALISE },
		{ F(Initialised), F(InitWait), XENSND_FRONT_WAIT },
		{ F(Initialised), F(Connected), XENSND_FRONT_CONNECT },
		{ F(Connected), F(Connected), XENSND_FRONT_WAIT },
		/* backend gone: sndif recovery flow */
		{ F(Connected), F(Closing), XENSND_FRONT_RECOVER },
		{ F(Connected), F(Closed), XENSND_FRONT_RECOVER },
		{ F(Connected), F(Unknown), XENSND_FRONT_RECOVER },
		{ F(Initialised), F(Closed), XENSND_FRONT_RECOVER },
		/* backend restarted under us */
		{ F(Connected), F(Initialising), XENSND_FRONT_RECOVER },
		{ F(Connected), F(InitWait), XENSND_FRONT_RECOVER },
		/* after recovery, a backend that comes back */
		{ F(Initialising), F(Closed), XENSND_FRONT_WAIT },
		{ F(Initialising), F(Connected), XENSND_FRONT_WAIT },
		/* the toolstack removes the device */
		{ F(Closing), F(Connected), XENSND_FRONT_CLOSE },
		{ F(Closing), F(Closed), XENSND_FRONT_CLOSE },
		{ F(Closed), F(Closed), XENSND_FRONT_WAIT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!CHECK_EQ(c, xensnd_front_next(cases[i].front, cases[i].back),
			      cases[i].action))
			printf("       front %s, back %s\n", xensnd_state_name(cases[i].front),
			       xensnd_state_name(cases[i].back));
	CHECKED(c, "frontend decisions for %zu state pairs",
		sizeof(cases) / sizeof(cases[0]));
}

static void test_back(struct check *c)
{
	static const struct {
		enum xenbus_state front, back;
		enum xensnd_back_action action;
	} cases[] = {
		{ F(Initialising), F(Initialising), XENSND_BACK_INIT_WAIT },
		{ F(Initialising), F(InitWait), XENSND_BACK_WAIT },
		{ F(Initialised), F(InitWait), XENSND_BACK_CONNECT },
		{ F(Initialised), F(Connected), XENSND_BACK_WAIT },
		{ F(Connected), F(Connected), XENSND_BACK_WAIT },
		{ F(Closing), F(Connected), XENSND_BACK_DISCONNECT },
		{ F(Closed), F(Connected), XENSND_BACK_DISCONNECT },
		{ F(Unknown), F(Connected), XENSND_BACK_DISCONNECT },
		{ F(Closed), F(InitWait), XENSND_BACK_DISCONNECT },
		{ F(Initialising), F(Connected), XENSND_BACK_REINIT },
		{ F(Initialising), F(Closed), XENSND_BACK_REINIT },
		{ F(Closed), F(Closed), XENSND_BACK_WAIT },
		{ F(Closed), F(Initialising), XENSND_BACK_WAIT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!CHECK_EQ(c, xensnd_back_next(cases[i].front, cases[i].back),
			      cases[i].action))
			printf("       front %s, back %s\n", xensnd_state_name(cases[i].front),
			       xensnd_state_name(cases[i].back));
	CHECKED(c, "backend decisions for %zu state pairs",
		sizeof(cases) / sizeof(cases[0]));
}

static void test_versions(struct check *c)
{
	char out[16];

	CHECK_EQ(c, xensnd_pick_version("1,2", out, sizeof(out)), 0);
	CHECK_STR(c, out, "2");
	CHECK_EQ(c, xensnd_pick_version("2,1", out, sizeof(out)), 0);
	CHECK_STR(c, out, "2");
	CHECK_EQ(c, xensnd_pick_version("1", out, sizeof(out)), 0);
	CHECK_STR(c, out, "1");
	CHECK_EQ(c, xensnd_pick_version("1,2,3", out, sizeof(out)), 0);
	CHECK_STR(c, out, "2");
	CHECK_EQ(c, xensnd_pick_version("3,4", out, sizeof(out)), -EINVAL);
	CHECK_EQ(c, xensnd_pick_version("", out, sizeof(out)), -EINVAL);
	CHECK_EQ(c, xensnd_pick_version("2,x", out, sizeof(out)), -EINVAL);
	CHECK_EQ(c, xensnd_pick_version("0", out, sizeof(out)), -EINVAL);
	CHECK_EQ(c, xensnd_pick_version("1,,2", out, sizeof(out)), -EINVAL);
	CHECK_EQ(c, xensnd_pick_version("2", out, 1), -EINVAL);
	CHECKED(c, "version pick: highest we speak (<= %d), malformed lists refused",
		XENSND_PROTOCOL_VERSION);
}

int main(void)
{
	struct check c = { "xenbus" };

	test_names(&c);
	test_front(&c);
	test_back(&c);
	test_versions(&c);
	return check_done(&c);
}
