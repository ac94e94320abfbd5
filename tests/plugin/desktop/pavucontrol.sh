#!/usr/bin/env bash
# pavucontrol, as a desktop user opens it, shows the Xen sink by name.
# Xvfb on a free display, pipewire-pulse in the guest, pavucontrol on its
# Output Devices tab. The check reads what pavucontrol's window tells
# screen readers (AT-SPI: its labels' text) and asserts the sink's
# description "Xen Test Card Speakers" is among them; the screenshot
# (ImageMagick import) is kept in the build directory as the artifact:
# tests/plugin/desktop/pavucontrol.png. Skipped (77) without Xvfb,
# pavucontrol, ImageMagick or AT-SPI.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib.sh"
. "$here/../pcm/common-pcm.sh"
. "$here/common-desktop.sh"

stack_init
_need Xvfb pavucontrol import xwininfo pactl pipewire-pulse
/usr/bin/python3 -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null ||
	skip "no AT-SPI for python3 (gir1.2-atspi-2.0, python3-gi)"
SHOT=${XENSND_BUILD_ROOT:?}/tests/plugin/desktop/pavucontrol.png

# A display nobody uses: no socket, no lock file.
display=
for n in $(seq 90 160); do
	if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
		display=:$n
		break
	fi
done
[ -n "$display" ] || skip "no free X display between :90 and :160"
Xvfb "$display" -screen 0 1024x768x24 -nolisten tcp >"$T/xvfb.log" 2>&1 &
_track $! Xvfb
_x_up() {
	xwininfo -root -display "$display" >/dev/null 2>&1
}
_wait_for 10 _x_up || fail "Xvfb $display did not come up"

start_sim
introduce_guest
attach_card "${DESKTOP_CARD[@]}" >/dev/null
start_backend
start_session
start_pulse
wait_node xensnd_output.0.0.0 15
_sink_listed() {
	pactl list short sinks | grep xensnd_output.0.0.0 >/dev/null
}
_wait_for 5 _sink_listed || fail "pipewire-pulse does not list the Xen sink"

# pavucontrol talks to pipewire-pulse (PULSE_SERVER) and to screen
# readers over the test's own session bus; --tab=3: Output Devices.
DISPLAY=$display GTK_THEME=Adwaita pavucontrol --tab=3 >"$T/pavucontrol.log" 2>&1 &
_track $! pavucontrol
_window() {
	xwininfo -root -tree -display "$display" | grep '"Volume Control"' >/dev/null
}
_wait_for 10 _window || fail "no pavucontrol window on $display"

/usr/bin/python3 "$here/a11y-find.py" pavucontrol "Xen Test Card Speakers" 10 ||
	fail "pavucontrol does not show the Xen sink"
import -display "$display" -window root "$SHOT" || fail "import could not take the screenshot"
[ -s "$SHOT" ] || fail "empty screenshot $SHOT"
echo "screenshot: $SHOT"
echo "PASS: pavucontrol shows the Xen sink \"Xen Test Card Speakers\""
