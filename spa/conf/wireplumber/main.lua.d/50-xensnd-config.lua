-- Xen para-virtual sound (vsnd): every stream of every vsnd card the
-- toolstack gave this guest becomes a PipeWire sink or source. See xensnd(7).
xensnd_monitor.enabled = true

-- Properties of the api.xensnd.enum.xenstore monitor.
xensnd_monitor.properties = {
}

-- Rules as for ALSA: "matches" on device or node properties
-- (device.name, node.name, api.xensnd.*), "apply_properties" before the
-- object is created.
xensnd_monitor.rules = {
  -- {
  --   matches = {
  --     {
  --       { "node.name", "matches", "xensnd_output.0.*" },
  --     },
  --   },
  --   apply_properties = {
  --     ["node.description"] = "Speakers (Xen)",
  --     ["priority.session"] = 1100,
  --     --["node.disabled"] = true,
  --   },
  -- },
}
