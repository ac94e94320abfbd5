-- Start watching for Xen sound cards (a no-op outside a Xen guest: the
-- monitor then logs that XenStore is not there).
xensnd_monitor.enable()
