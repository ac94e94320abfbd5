-- The plugin suite runs WirePlumber as a Xen guest's session manager on a
-- test machine: only the xensnd monitor, none of the host-facing ones
-- (they would add the machine's own cards and cameras to the results).
alsa_monitor.enabled = false
v4l2_monitor.enabled = false
libcamera_monitor.enabled = false
