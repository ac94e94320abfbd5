-- Xen para-virtual sound (vsnd) cards, as alsa_monitor does for ALSA.
-- Settings go in 50-xensnd-config.lua (or a later file of your own in
-- ~/.config/wireplumber/main.lua.d/); 90-enable-xensnd.lua loads it.

xensnd_monitor = {}
xensnd_monitor.properties = {}
xensnd_monitor.rules = {}

function xensnd_monitor.enable()
  if xensnd_monitor.enabled == false then
    return
  end

  load_monitor("xensnd", {
    properties = xensnd_monitor.properties,
    rules = xensnd_monitor.rules,
  })
end
