-- WirePlumber 0.4 monitor for Xen para-virtual sound (vsnd) cards.
--
-- api.xensnd.enum.xenstore emits one device per vsnd card; each
-- api.xensnd.device emits one node per configured stream. The nodes get
-- their stream's transport from the device as an in-process pointer, so
-- they must be created here, in the device's process: LocalNode("adapter").
--
-- SPDX-License-Identifier: MIT

local config = ... or {}
config.properties = config.properties or {}
config.rules = config.rules or {}

-- Where our factories live, for a context.spa-libs without api.xensnd.*.
local LIBRARY = "xensnd/libspa-xensnd"

-- User rules become Interests once, up front (as monitors/bluez.lua).
for _, r in ipairs(config.rules) do
  r.interests = {}
  for _, i in ipairs(r.matches or {}) do
    local interest_desc = { type = "properties" }
    for _, c in ipairs(i) do
      c.type = "pw"
      table.insert(interest_desc, Constraint(c))
    end
    table.insert(r.interests, Interest(interest_desc))
  end
  r.matches = nil
end

-- A node's rules may also match on its card's device.name (and any other
-- device property the node does not carry itself): `match_extra`.
local function apply_rules(properties, match_extra)
  local subject = properties
  if match_extra then
    subject = {}
    for k, v in pairs(match_extra) do subject[k] = v end
    for k, v in pairs(properties) do subject[k] = v end
  end
  for _, r in ipairs(config.rules) do
    if r.apply_properties then
      for _, interest in ipairs(r.interests) do
        if interest:matches(subject) then
          for k, v in pairs(r.apply_properties) do
            properties[k] = v
          end
        end
      end
    end
  end
end

-- Names become PipeWire object names: keep letters, digits, _ - and dots.
local function sanitize(name)
  return (name:gsub("([^%w_%-%.])", "_"))
end

local function is_true(v)
  return v == true or v == "true" or v == "1"
end

local function create_node(parent, id, obj_type, factory, properties)
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

  -- Below every ALSA card: WirePlumber 0.4's alsa.lua gives a card's first
  -- PCM 1000 (+9 analog), later PCMs 744 - 16 per device, capture +1000,
  -- so a USB card the user plugs in is 1009 / 2009 and HDMI ~700. A Xen
  -- sink (600) or source (1600) is the default only when it is the only
  -- real output or input. Within a card the first PCM and stream win.
  if not properties["priority.driver"] then
    local priority = factory:find("source") and 1600 or 600
    priority = priority - 16 * (tonumber(properties["api.xensnd.pcm"]) or 0)
        - (tonumber(properties["api.xensnd.stream"]) or 0)
    properties["priority.driver"] = priority
    properties["priority.session"] = priority
  end
  properties["node.pause-on-idle"] = false

  apply_rules(properties, {
    ["device.name"] = dev_props["device.name"],
    ["device.description"] = dev_props["device.description"],
  })
  if is_true(properties["node.disabled"]) then
    Log.info(parent, "node " .. properties["node.name"] .. " disabled by rule")
    return
  end

  local node = LocalNode("adapter", properties)
  if not node then
    Log.warning(parent, "cannot create node " .. properties["node.name"] ..
        " (" .. factory .. "); see the log above")
    return
  end
  node:activate(Feature.Proxy.BOUND)
  parent:store_managed_object(id, node)
end

local function create_device(parent, id, obj_type, factory, properties)
  properties["device.name"] = sanitize(properties["device.name"] or
      ("xensnd_card." .. tostring(id)))
  properties["library.name"] = properties["library.name"] or LIBRARY

  apply_rules(properties)
  if is_true(properties["device.disabled"]) then
    Log.info(parent, "device " .. properties["device.name"] .. " disabled by rule")
    return
  end

  local device = SpaDevice(factory, properties)
  if not device then
    Log.warning(parent, "cannot create Xen sound card " ..
        properties["device.name"] .. " (" .. factory .. "); see the log above")
    return
  end
  device:connect("create-object", create_node)
  device:activate(Feature.SpaDevice.ENABLED | Feature.Proxy.BOUND)
  parent:store_managed_object(id, device)
end

local monitor_props = config.properties
monitor_props["library.name"] = monitor_props["library.name"] or LIBRARY

monitor = SpaDevice("api.xensnd.enum.xenstore", monitor_props)
if monitor then
  monitor:connect("create-object", create_device)
  monitor:activate(Feature.SpaDevice.ENABLED)
else
  Log.message("Xen sound (api.xensnd.enum.xenstore) is not available: " ..
      "not a Xen guest, or libspa-xensnd is missing")
end
