-- SPDX-License-Identifier: MIT
-- Runs the WirePlumber 0.5 monitor script (arg[1]) in plain Lua 5.4 with
-- stand-ins for the WirePlumber API it uses, feeds it one card with two
-- streams, and prints what it created, one line per object:
--   device NAME key=value ...   /  node NAME key=value ...  /  disabled NAME
-- The rules are the ones xensnd.conf documents (its examples, uncommented),
-- given as arg[2], a Lua file returning them as a table. What is checked is
-- our script's use of the API, not WirePlumber.
local script, rules_file = arg[1], arg[2]
local rules = dofile(rules_file)

local function dump(kind, props)
  local keys = {}
  for k in pairs(props) do table.insert(keys, k) end
  table.sort(keys)
  local out = { kind, props["node.name"] or props["device.name"] or "?" }
  for _, k in ipairs(keys) do table.insert(out, k .. "=" .. tostring(props[k])) end
  print(table.concat(out, " "))
end

local function logger()
  local l = {}
  function l:info(_, msg) end
  function l:notice(msg) end
  function l:warning(_, msg) io.stderr:write("warning: " .. tostring(msg) .. "\n") end
  return l
end
Log = { open_topic = function() return logger() end }
Json = { Array = function(t) return t end }
Conf = {
  get_section_as_properties = function() return {} end,
  get_section_as_json = function(name, default)
    if name == "monitor.xensnd.rules" then return rules end
    return default
  end,
}
-- WirePlumber matches every key of a match object (all must be equal; a
-- "~" value is a regex, here a Lua pattern) and applies update-props.
JsonUtils = {
  match_rules_update_properties = function(rs, props)
    for _, r in ipairs(rs) do
      for _, m in ipairs(r.matches) do
        local all = true
        for k, v in pairs(m) do
          local have = props[k] and tostring(props[k])
          if v:sub(1, 1) == "~" then
            all = all and have ~= nil and have:match(v:sub(2)) ~= nil
          else
            all = all and have == v
          end
        end
        if all then
          for k, v in pairs(r.actions["update-props"] or {}) do
            props[k] = tostring(v)
          end
        end
      end
    end
    return props
  end,
}
Feature = { SpaDevice = { ENABLED = 1 }, Proxy = { BOUND = 2 } }

local devices = {}
local function new_object(factory, props)
  local o = { properties = props, ["bound-id"] = 40 + #devices, managed = {} }
  function o:connect(signal, fn) self[signal] = fn end
  function o:activate() end
  function o:store_managed_object(id, obj) self.managed[id] = obj end
  return o
end
function SpaDevice(factory, props)
  local d = new_object(factory, props)
  if factory ~= "api.xensnd.enum.xenstore" then
    dump("device", props)
    table.insert(devices, d)
  end
  return d
end
function LocalNode(factory, props)
  assert(factory == "adapter", "nodes must be LocalNode(\"adapter\")")
  dump("node", props)
  return new_object(factory, props)
end

dofile(script)
assert(monitor, "the script made no monitor")
-- The enum emits card 0; the card emits its two playback streams, as
-- spa/plugins/xensnd/device.c names them.
monitor["create-object"](monitor, 0, "Device", "api.xensnd.device",
  { ["device.name"] = "xensnd_card.0", ["device.description"] = "Xen Test Card",
    ["api.xensnd.dev-id"] = "0", ["api.xensnd.path"] = "device/vsnd/0" })
local card = devices[1]
assert(card, "no device for card 0")
for pcm = 0, 1 do
  card["create-object"](card, pcm, "Node", "api.xensnd.pcm.sink",
    { ["node.name"] = "xensnd_output.0." .. pcm .. ".0",
      ["media.class"] = "Audio/Sink", ["api.xensnd.pcm"] = tostring(pcm),
      ["api.xensnd.stream"] = "0" })
  if not card.managed[pcm] then print("disabled xensnd_output.0." .. pcm .. ".0") end
end
