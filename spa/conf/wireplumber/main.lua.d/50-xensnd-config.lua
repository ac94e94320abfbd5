-- Xen para-virtual sound (vsnd): every stream of every vsnd card the
-- toolstack gave this guest becomes a PipeWire sink or source. See xensnd(7).
xensnd_monitor.enabled = true

-- Properties of the api.xensnd.enum.xenstore monitor.
xensnd_monitor.properties = {
}

-- Rules as for ALSA: "matches" on device or node properties (device.name,
-- node.name, media.class, api.xensnd.*; a node's rules also see its card's
-- device.name), "apply_properties" before the object is created. Useful
-- node properties: node.description, node.nick, priority.session,
-- priority.driver, node.disabled, api.xensnd.period-frames,
-- api.xensnd.headroom, session.suspend-timeout-seconds. See xensnd(7).
xensnd_monitor.rules = {
  -- {
  --   matches = {
  --     {
  --       { "node.name", "equals", "xensnd_output.0.0.0" },
  --     },
  --   },
  --   apply_properties = {
  --     ["node.description"] = "Living Room Speakers",
  --     ["node.nick"] = "Speakers (Xen)",
  --     ["priority.session"] = 1100,
  --     ["api.xensnd.period-frames"] = 256,
  --     ["session.suspend-timeout-seconds"] = 2,
  --   },
  -- },
  -- {
  --   matches = {
  --     {
  --       { "device.name", "equals", "xensnd_card.0" },
  --       { "api.xensnd.pcm", "equals", "1" },
  --     },
  --   },
  --   apply_properties = {
  --     ["node.disabled"] = true,
  --   },
  -- },
}
