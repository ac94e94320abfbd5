-- No BlueZ in a test: there is no system bus to find it on.
bluez_monitor.enabled = false
