/* SPDX-License-Identifier: MIT */
/*
 * xensim: Xen in userspace. The command line: start/stop a hub, run a
 * command as a process of a domain, destroy a domain, and the toolstack's
 * vsnd commands. Exit status: 0 ok, 1 runtime failure, 2 usage error
 * (exec: the command's own status).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hub.h"
#include "hub-main.h"
#include "toolstack/toolstack.h"

#ifndef XENSIM_INSTALL_LIBDIR
#error "meson defines XENSIM_INSTALL_LIBDIR (where the shim libraries go)"
#endif

#define STOP_TIMEOUT_MS 10000

static const char usage_text[] =
	"Usage: xensim COMMAND [OPTIONS]\n"
	"\n"
	"Xen in userspace: XenStore, event channels and grant tables for\n"
	"processes on one Linux machine, underneath the real Xen libraries.\n"
	"\n"
	"Commands:\n"
	"  start [--dir DIR] [--foreground]   start a hub; returns once it serves\n"
	"  stop [--dir DIR]                   stop the hub and wait for it to exit\n"
	"  exec [--dir DIR] --domid N -- CMD [ARGS...]\n"
	"                                     run CMD as a process of domain N\n"
	"  destroy [--dir DIR] DOMID          domain death: @releaseDomain, its\n"
	"                                     event channels close\n"
	"  vsnd-attach [--dir DIR] [--backend-domid B] DOMID ITEM...\n"
	"  vsnd-attach [--dir DIR] --config FILE DOMID\n"
	"                                     create a vsnd device as xl does\n"
	"  vsnd-detach [--dir DIR] DOMID DEVID  remove it as xl does\n"
	"  vsnd-list [--dir DIR] DOMID        list a domain's vsnd devices\n"
	"\n"
	"DIR defaults to $XENSIM_DIR, else $XDG_RUNTIME_DIR/xensim.\n"
	"See xensim(1).\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "xensim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry `xensim --help'.\n");
	return 2;
}

/* DIR as an absolute path (the sockets are found from anywhere), or NULL
 * with the reason printed. The caller frees. */
static char *resolve_dir(const char *opt)
{
	const char *dir = opt ? opt : getenv("XENSIM_DIR");
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char *abs = NULL, cwd[4096];

	if ((!dir || !*dir) && runtime && *runtime) {
		if (asprintf(&abs, "%s/xensim", runtime) < 0)
			return NULL;
		dir = abs;
	}
	if (!dir || !*dir) {
		fprintf(stderr, "xensim: no directory for the hub: pass "
			"--dir DIR or set XENSIM_DIR (XDG_RUNTIME_DIR is "
			"unset too)\n");
		return NULL;
	}
	if (dir[0] == '/') {
		char *copy = strdup(dir);
		free(abs);
		return copy;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		fprintf(stderr, "xensim: cannot resolve %s: %s\n", dir,
			strerror(errno));
		free(abs);
		return NULL;
	}
	char *joined = NULL;
	if (asprintf(&joined, "%s/%s", cwd, dir) < 0)
		joined = NULL;
	free(abs);
	return joined;
}

static bool parse_domid(const char *s, uint32_t *domid)
{
	char *end;
	unsigned long value;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	value = strtoul(s, &end, 10);
	if (errno || *end || value >= XENSIM_MAX_DOMID)
		return false;
	*domid = value;
	return true;
}

/* Ask the hub; print why not. 0, or 1 (exit status). */
static int ask_hub(const char *dir, const char *request)
{
	char reply[512];
	int err = hub_control(dir, request, reply, sizeof(reply));

	if (err == -ENOENT || err == -ECONNREFUSED) {
		fprintf(stderr, "xensim: no hub runs on %s; start one with "
			"`xensim start --dir %s`\n", dir, dir);
		return 1;
	}
	if (err < 0) {
		fprintf(stderr, "xensim: cannot talk to the hub on %s: %s\n",
			dir, strerror(-err));
		return 1;
	}
	if (strncmp(reply, "ok", 2) != 0) {
		fprintf(stderr, "xensim: hub: %s\n",
			strncmp(reply, "error ", 6) ? reply : reply + 6);
		return 1;
	}
	return 0;
}

/* ---- start ---- */

static int start_daemon(const char *dir)
{
	char *log_path = NULL;
	int pipefd[2], status;
	pid_t pid;
	char byte;

	if (asprintf(&log_path, "%s/xensim.log", dir) < 0 ||
	    pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "xensim: cannot start: %s\n", strerror(errno));
		free(log_path);
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "xensim: fork: %s\n", strerror(errno));
		free(log_path);
		return 1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		close(pipefd[0]);
		setsid();
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			close(null);
		}
		/* Keep nothing of the caller's open (a test harness waits
		 * for its pipes to close), only the readiness pipe. */
		if (pipefd[1] > 3)
			close_range(3, pipefd[1] - 1, 0);
		close_range(pipefd[1] + 1, ~0U, 0);
		/* exit(), not _exit(): sanitizers report at exit. */
		exit(hub_main(dir, pipefd[1], log_path));
	}
	close(pipefd[1]);
	free(log_path);
	ssize_t n;
	while ((n = read(pipefd[0], &byte, 1)) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	if (n == 1)
		return 0;	/* ready */
	/* It died before serving, and said why on our stderr. */
	waitpid(pid, &status, 0);
	return 1;
}

static int cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *opt_dir = NULL;
	bool foreground = false;
	char *dir;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd': opt_dir = optarg; break;
		case 'f': foreground = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("start: bad option%s", "");
		}
	}
	if (optind != argc)
		return usage_error("start: unexpected argument '%s'",
				   argv[optind]);
	dir = resolve_dir(opt_dir);
	if (!dir)
		return 2;
	ret = foreground ? hub_main(dir, -1, NULL) : start_daemon(dir);
	free(dir);
	return ret;
}

/* ---- stop, destroy ---- */

/* The options every other command takes: --dir, --help. */
static int dir_only_options(int argc, char **argv, const char *cmd,
			    const char **opt_dir)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd': *opt_dir = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("%s: bad option", cmd);
		}
	}
	return -1;
}

static int cmd_stop(int argc, char **argv)
{
	const char *opt_dir = NULL;
	int ret = dir_only_options(argc, argv, "stop", &opt_dir);
	char *dir;

	if (ret >= 0)
		return ret;
	if (optind != argc)
		return usage_error("stop: unexpected argument '%s'",
				   argv[optind]);
	dir = resolve_dir(opt_dir);
	if (!dir)
		return 2;
	ret = ask_hub(dir, "stop");
	if (!ret && hub_wait_exit(dir, STOP_TIMEOUT_MS) < 0) {
		fprintf(stderr, "xensim: the hub on %s did not exit within "
			"%d s; see %s/xensim.log\n", dir,
			STOP_TIMEOUT_MS / 1000, dir);
		ret = 1;
	}
	free(dir);
	return ret;
}

static int cmd_destroy(int argc, char **argv)
{
	const char *opt_dir = NULL;
	int ret = dir_only_options(argc, argv, "destroy", &opt_dir);
	char request[64], *dir;
	uint32_t domid;

	if (ret >= 0)
		return ret;
	if (optind + 1 != argc || !parse_domid(argv[optind], &domid))
		return usage_error("destroy: expected one DOMID (0..32751)%s",
				   "");
	dir = resolve_dir(opt_dir);
	if (!dir)
		return 2;
	snprintf(request, sizeof(request), "destroy %u", domid);
	ret = ask_hub(dir, request);
	free(dir);
	return ret;
}

/* ---- exec ---- */

static int set_domain_env(const char *dir, uint32_t domid)
{
	const char *libdir = getenv("XENSIM_LIBDIR");
	const char *old = getenv("LD_LIBRARY_PATH");
	char *xenstored = NULL, *ldpath = NULL, id[16];
	int ret = -1;

	if (!libdir || !*libdir)
		libdir = XENSIM_INSTALL_LIBDIR;
	snprintf(id, sizeof(id), "%u", domid);
	if (asprintf(&xenstored, "%s/dom%u/xenstored.sock", dir, domid) < 0)
		xenstored = NULL;
	if (old && *old) {
		if (asprintf(&ldpath, "%s:%s", libdir, old) < 0)
			ldpath = NULL;
	} else {
		ldpath = strdup(libdir);
	}
	if (xenstored && ldpath &&
	    !setenv("XENSTORED_PATH", xenstored, 1) &&
	    !setenv("XENSIM_DIR", dir, 1) &&
	    !setenv("XENSIM_DOMID", id, 1) &&
	    !setenv("LD_LIBRARY_PATH", ldpath, 1))
		ret = 0;
	free(xenstored);
	free(ldpath);
	return ret;
}

static int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "domid", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *opt_dir = NULL;
	char request[64], *dir;
	uint32_t domid = 0;
	bool have_domid = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd': opt_dir = optarg; break;
		case 'n':
			if (!parse_domid(optarg, &domid))
				return usage_error("exec: --domid '%s' is not "
						   "a domain id (0..32751)",
						   optarg);
			have_domid = true;
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("exec: bad option%s", "");
		}
	}
	if (!have_domid)
		return usage_error("exec: --domid N is required%s", "");
	if (optind >= argc)
		return usage_error("exec: no command given (xensim exec "
				   "--domid N -- CMD ...)%s", "");
	dir = resolve_dir(opt_dir);
	if (!dir)
		return 2;
	snprintf(request, sizeof(request), "introduce %u", domid);
	ret = ask_hub(dir, request);
	if (!ret && set_domain_env(dir, domid) < 0) {
		fprintf(stderr, "xensim: out of memory\n");
		ret = 1;
	}
	free(dir);
	if (ret)
		return ret;
	execvp(argv[optind], &argv[optind]);
	fprintf(stderr, "xensim: cannot run %s: %s\n", argv[optind],
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* ---- the toolstack ---- */

/* Take --dir DIR / --dir=DIR out of argv (up to a "--"): the toolstack
 * gets its own options only. Returns the DIR given, or NULL. */
static const char *strip_dir_option(int *argc, char **argv)
{
	const char *dir = NULL;
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--dir") && i + 1 < *argc) {
			dir = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--dir=", 6)) {
			dir = argv[i] + 6;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return dir;
}

static int cmd_toolstack(int argc, char **argv)
{
	const char *opt_dir = strip_dir_option(&argc, argv);
	char *dir = resolve_dir(opt_dir);
	int ret;

	if (!dir)
		return 2;
	ret = ask_hub(dir, "ping");
	if (!ret && set_domain_env(dir, 0) < 0) {
		fprintf(stderr, "xensim: out of memory\n");
		ret = 1;
	}
	free(dir);
	if (ret)
		return ret;
	return toolstack_main(argc, argv);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage_error("no command given%s", "");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	/* Each command sees argv[0] = its own name. */
	argc--;
	argv++;
	if (!strcmp(cmd, "start"))
		return cmd_start(argc, argv);
	if (!strcmp(cmd, "stop"))
		return cmd_stop(argc, argv);
	if (!strcmp(cmd, "exec"))
		return cmd_exec(argc, argv);
	if (!strcmp(cmd, "destroy"))
		return cmd_destroy(argc, argv);
	if (!strcmp(cmd, "vsnd-attach") || !strcmp(cmd, "vsnd-detach") ||
	    !strcmp(cmd, "vsnd-list"))
		return cmd_toolstack(argc, argv);
	return usage_error("unknown command '%s'", cmd);
}
