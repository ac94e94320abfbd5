#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""spa-json.py FILE.conf: parse FILE as SPA-JSON, strictly, and print it as
JSON. SPA-JSON is PipeWire's and WirePlumber's relaxed JSON: '#' comments,
bare words for keys and simple values, '=' or ':' between key and value,
commas optional, and the top level an object without its braces.
(spa-json-dump, which Debian 12 has, accepts unbalanced brackets silently;
this does not: every error names its line.)

Exit: 0 parsed, 1 syntax error, 2 usage or unreadable file.
"""
import json
import sys

BARE_END = set(" \t\r\n{}[]=:,#\"")


class SyntaxErr(Exception):
    pass


def tokens(text):
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r,":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{}[]=:":
            yield c, c, line
            i += 1
        elif c == '"':
            j, out = i + 1, []
            while True:
                if j >= n or text[j] == "\n":
                    raise SyntaxErr(f"line {line}: unterminated string")
                if text[j] == "\\" and j + 1 < n:
                    out.append(text[j:j + 2])
                    j += 2
                    continue
                if text[j] == '"':
                    break
                out.append(text[j])
                j += 1
            yield "str", json.loads('"' + "".join(out) + '"'), line
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in BARE_END:
                j += 1
            yield "bare", text[i:j], line
            i = j
    while True:	# the parser may look past the end more than once
        yield "eof", None, line


def bare_value(word):
    if word in ("true", "false"):
        return word == "true"
    if word == "null":
        return None
    for conv in (int, float):
        try:
            return conv(word)
        except ValueError:
            pass
    return word


class Parser:
    def __init__(self, text):
        self.toks = tokens(text)
        self.tok = next(self.toks)

    def take(self):
        t = self.tok
        self.tok = next(self.toks)
        return t

    def value(self):
        kind, val, line = self.take()
        if kind == "{":
            return self.members("}")
        if kind == "[":
            items = []
            while self.tok[0] != "]":
                if self.tok[0] == "eof":
                    raise SyntaxErr(f"line {line}: '[' never closed")
                items.append(self.value())
            self.take()
            return items
        if kind == "str":
            return val
        if kind == "bare":
            return bare_value(val)
        raise SyntaxErr(f"line {line}: expected a value, found {kind!r}")

    def members(self, end):
        obj = {}
        while self.tok[0] != end:
            kind, key, line = self.take()
            if kind not in ("str", "bare"):
                raise SyntaxErr(f"line {line}: expected a key, found {kind!r}"
                                + (" (never closed?)" if kind == "eof" else ""))
            if self.tok[0] in ("=", ":"):
                self.take()
            if self.tok[0] in (end, "eof", "}", "]"):
                raise SyntaxErr(f"line {line}: key {key!r} has no value")
            obj[key] = self.value()
        if end != "eof":
            self.take()
        return obj


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        print(f"spa-json: {e}", file=sys.stderr)
        return 2
    try:
        p = Parser(text)
        doc = p.value() if p.tok[0] == "{" else p.members("eof")
        if p.tok[0] != "eof":
            raise SyntaxErr(f"line {p.tok[2]}: text after the end")
    except SyntaxErr as e:
        print(f"spa-json: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    json.dump(doc, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
