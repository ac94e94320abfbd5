-- WirePlumber 0.5 monitor for Xen para-virtual sound (vsnd) cards.
--
-- The same objects as the 0.4 monitor (../../monitors/xensnd.lua of the
-- 0.4 tree): api.xensnd.enum.xenstore emits one device per vsnd card;
-- each api.xensnd.device emits one node per configured stream, created
-- here as LocalNode("adapter") because the node gets its stream's
-- transport from the device as an in-process pointer. Configuration:
-- monitor.xensnd.properties and monitor.xensnd.rules (xensnd.conf).
--
-- SPDX-License-Identifier: MIT

log = Log.open_topic("s-monitors-xensnd")

config = {}
config.properties = Conf.get_section_as_properties("monitor.xensnd.properties")
config.rules = Conf.get_section_as_json("monitor.xensnd.rules", Json.Array {})

-- Where our factories live, for a context.spa-libs without api.xensnd.*.
LIBRARY = "xensnd/libspa-xensnd"

-- Names become PipeWire object names: keep letters, digits, _ - and dots.
function sanitize(name)
  return (name:gsub("([^%w_%-%.])", "_"))
end

function isTrue(v)
  return v == true or v == "true" or v == "1"
end

-- A node's rules may also match on its card's properties (device.name):
-- match on node + card, keep only what the rules changed or the node had.
function applyNodeRules(properties, dev_props)
  local subject = {}
  for k, v in pairs(properties) do subject[k] = v end
  for _, k in ipairs({ "device.name", "device.description" }) do
    if subject[k] == nil then subject[k] = dev_props[k] end
  end
  local before = {}
  for k, v in pairs(subject) do before[k] = v end
  subject = JsonUtils.match_rules_update_properties(config.rules, subject)
  for k, v in pairs(subject) do
    if properties[k] ~= nil or before[k] ~= v then
      properties[k] = v
    end
  end
  return properties
end

function createNode(parent, id, obj_type, factory, properties)
  local dev_props = parent.properties

  -- REQUIRED: which device owns it, and which SPA factory makes it.
  properties["device.id"] = parent["bound-id"]
  properties["factory.name"] = factory
  properties["library.name"] = properties["library.name"] or LIBRARY

  properties["node.name"] = sanitize(properties["node.name"] or
      ((factory:find("sink") and "xensnd_output" or "xensnd_input") .. "." ..
       (dev_props["api.xensnd.dev-id"] or "x") .. "." .. tostring(id)))
  properties["node.description"] = properties["node.description"]
      or dev_props["device.description"] or properties["node.name"]

  -- Below every ALSA card (WirePlumber gives a USB card's first PCM
  -- 1009 / 2009): a Xen sink or source is the default only when it is
  -- the only real one. Within a card the first PCM and stream win.
  if not properties["priority.driver"] then
    local priority = factory:find("source") and 1600 or 600
    priority = priority - 16 * (tonumber(properties["api.xensnd.pcm"]) or 0)
        - (tonumber(properties["api.xensnd.stream"]) or 0)
    properties["priority.driver"] = priority
    properties["priority.session"] = priority
  end
  properties["node.pause-on-idle"] = false

  properties = applyNodeRules(properties, dev_props)
  if isTrue(properties["node.disabled"]) then
    log:info(parent, "node " .. properties["node.name"] .. " disabled by rule")
    return
  end

  local node = LocalNode("adapter", properties)
  if not node then
    log:warning(parent, "cannot create node " .. properties["node.name"] ..
        " (" .. factory .. "); see the log above")
    return
  end
  node:activate(Feature.Proxy.BOUND)
  parent:store_managed_object(id, node)
end

function createDevice(parent, id, obj_type, factory, properties)
  properties["device.name"] = sanitize(properties["device.name"] or
      ("xensnd_card." .. tostring(id)))
  properties["library.name"] = properties["library.name"] or LIBRARY

  properties = JsonUtils.match_rules_update_properties(config.rules, properties)
  if isTrue(properties["device.disabled"]) then
    log:info(parent, "device " .. properties["device.name"] .. " disabled by rule")
    return
  end

  local device = SpaDevice(factory, properties)
  if not device then
    log:warning(parent, "cannot create Xen sound card " ..
        properties["device.name"] .. " (" .. factory .. "); see the log above")
    return
  end
  device:connect("create-object", createNode)
  device:activate(Feature.SpaDevice.ENABLED | Feature.Proxy.BOUND)
  parent:store_managed_object(id, device)
end

local monitor_props = config.properties
monitor_props["library.name"] = monitor_props["library.name"] or LIBRARY

monitor = SpaDevice("api.xensnd.enum.xenstore", monitor_props)
if monitor then
  monitor:connect("create-object", createDevice)
  monitor:activate(Feature.SpaDevice.ENABLED)
else
  log:notice("Xen sound (api.xensnd.enum.xenstore) is not available: " ..
      "not a Xen guest, or libspa-xensnd is missing")
end
