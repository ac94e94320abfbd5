#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""a11y-find.py APP TEXT SECONDS: does a window of the running application
APP show TEXT? Reads what the application tells screen readers (AT-SPI:
the names of its labels, buttons, ...) on the session bus, until an
accessible's name contains TEXT or SECONDS pass. Prints the names it saw.

Exit: 0 found, 1 not found, 2 usage, 77 no AT-SPI (python3-gi, Atspi).
"""
import sys
import time

try:
    import gi
    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi
except (ImportError, ValueError) as e:
    print(f"a11y-find: no AT-SPI bindings ({e}); install gir1.2-atspi-2.0")
    sys.exit(77)

MAX_NODES = 20000	# a bounded walk: a broken tree cannot hang us


def names(app):
    seen, stack = [], [app]
    while stack and len(seen) < MAX_NODES:
        node = stack.pop()
        try:
            name = node.get_name()
            count = node.get_child_count()
        except gi.repository.GLib.Error:
            continue
        if name:
            seen.append(name)
        for i in range(count - 1, -1, -1):
            try:
                child = node.get_child_at_index(i)
            except gi.repository.GLib.Error:
                continue
            if child is not None:
                stack.append(child)
    return seen


def find(app_name, text):
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and app.get_name() == app_name:
            all_names = names(app)
            return any(text in n for n in all_names), all_names
    return False, None


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    app_name, text, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    end = time.monotonic() + seconds
    seen = None
    while time.monotonic() < end:
        found, seen = find(app_name, text)
        if found:
            print(f"a11y-find: {app_name} shows \"{text}\"")
            return 0
        time.sleep(0.3)
    if seen is None:
        print(f"a11y-find: no application \"{app_name}\" on the AT-SPI bus")
    else:
        print(f"a11y-find: {app_name} does not show \"{text}\"; it shows: "
              + " | ".join(sorted(set(seen))))
    return 1


if __name__ == "__main__":
    sys.exit(main())
