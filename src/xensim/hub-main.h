/* SPDX-License-Identifier: MIT */
/*
 * What the xensim command line (main.c) needs from hub.c beyond hub.h:
 * running a hub, and talking to a running one over DIR/control.sock.
 *
 * The control protocol is one request line per connection, answered by
 * one line: "ok" or "error <what went wrong>". Requests:
 *   ping | introduce <domid> | destroy <domid> | stop
 */
#ifndef XENSIM_HUB_MAIN_H
#define XENSIM_HUB_MAIN_H

#include <stddef.h>

/* Run a hub on dir until `stop` or SIGTERM/SIGINT. When ready_fd >= 0,
 * one byte is written to it (and it is closed) once every socket serves.
 * With log_path, the hub logs there (and its stderr goes there too once
 * it is ready); else to stderr. Startup failures go to stderr.
 * Returns the process exit status (0, or 1 with the reason on stderr). */
int hub_main(const char *dir, int ready_fd, const char *log_path);

/* Send one request to the hub on dir and read its answer line (without
 * the newline) into reply. 0, or -errno when no hub answers (-ENOENT,
 * -ECONNREFUSED: none runs there). */
int hub_control(const char *dir, const char *request, char *reply,
		size_t size);

/* Wait until the hub on dir has exited (its lock on DIR/xensim.pid is
 * gone), at most timeout_ms. 0 or -ETIMEDOUT. */
int hub_wait_exit(const char *dir, int timeout_ms);

#endif
