#!/usr/bin/env bash
# The WirePlumber 0.5 configuration (spa/conf/wireplumber-0.5), which this
# machine's WirePlumber (0.4) cannot load: xensnd.conf parses as SPA-JSON
# (strictly, with its documented rule examples uncommented) and declares the
# monitor component; the Lua monitor compiles (luac5.4) and, run against
# stand-ins for WirePlumber's API, creates the card and its nodes with the
# monitor's priorities and applies the documented rules (rename, disable).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${XENSND_SOURCE_ROOT:-$here/../../..}
conf=$root/spa/conf/wireplumber-0.5/wireplumber.conf.d/xensnd.conf
script=$root/spa/conf/wireplumber-0.5/scripts/monitors/xensnd/monitor.lua
T=$(mktemp -d "${TMPDIR:-/tmp}/xensnd-wp05.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$here/spa-json.py" "$conf" >"$T/conf.json" || fail "$conf is not SPA-JSON"
# The rule examples, uncommented: they must parse too.
sed -n '/^monitor.xensnd.rules = \[/,/^\]/p' "$conf" | sed 's/^  # \{0,1\}//' >"$T/rules.conf"
python3 "$here/spa-json.py" "$T/rules.conf" >"$T/rules.json" ||
	fail "the rule examples in $conf are not SPA-JSON"
python3 - "$T/conf.json" "$T/rules.json" "$T/rules.lua" <<'PY' || fail "xensnd.conf does not declare what it should"
import json, sys
conf = json.load(open(sys.argv[1]))
rules = json.load(open(sys.argv[2]))["monitor.xensnd.rules"]
comp = [c for c in conf["wireplumber.components"] if c.get("provides") == "monitor.xensnd"]
assert comp and comp[0]["name"] == "monitors/xensnd/monitor.lua", comp
assert comp[0]["type"] == "script/lua"
assert "pw.node-factory.adapter" in comp[0]["requires"]
assert conf["wireplumber.profiles"]["main"]["monitor.xensnd"] in ("required", "optional")
assert isinstance(conf["monitor.xensnd.rules"], list)
assert len(rules) >= 2 and all("matches" in r and "update-props" in r["actions"] for r in rules), rules
def lua(v):
    if isinstance(v, dict):
        return "{" + ", ".join(f"[{json.dumps(k)}] = {lua(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "{" + ", ".join(lua(x) for x in v) + "}"
    return json.dumps(str(v).lower() if isinstance(v, bool) else str(v))
open(sys.argv[3], "w").write("return " + lua(rules) + "\n")
print(f"xensnd.conf: component ok, {len(rules)} documented rules parse")
PY

command -v lua5.4 >/dev/null && command -v luac5.4 >/dev/null ||
	{ echo "SKIP: the Lua checks need lua5.4 (apt-get install lua5.4)"; exit 77; }
luac5.4 -p "$script" || fail "$script does not compile"
lua5.4 "$here/wp05-run.lua" "$script" "$T/rules.lua" >"$T/out" 2>"$T/err" ||
	fail "the monitor failed under the API stand-ins: $(cat "$T/err")"
cat "$T/out"
grep -q '^device xensnd_card.0 .*library.name=xensnd/libspa-xensnd' "$T/out" ||
	fail "no device xensnd_card.0 with our library"
n0=$(grep '^node xensnd_output.0.0.0 ' "$T/out") || fail "no node xensnd_output.0.0.0"
for want in "node.description=Living Room Speakers" "node.nick=Speakers (Xen)" \
	    "priority.session=1100" "priority.driver=600" "api.xensnd.period-frames=256" \
	    "device.id=40" "factory.name=api.xensnd.pcm.sink"; do
	[[ $n0 == *" $want"* ]] || fail "xensnd_output.0.0.0 lacks $want: $n0"
done
grep -qx 'disabled xensnd_output.0.1.0' "$T/out" ||
	fail "the node.disabled rule (device.name + api.xensnd.pcm) did not disable xensnd_output.0.1.0"
echo "PASS: the WirePlumber 0.5 configuration parses and its monitor applies the rules"
