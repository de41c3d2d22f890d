#!/usr/bin/env python3
"""Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in
README.md or the file of docs/ that has them with standard input: how the
report scripts keep the documented tables the output of one run.

Usage: readme-section.py NAME < section
"""
import os
import re
import sys

name = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
section = sys.stdin.read().strip()
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
candidates = [os.path.join(root, "README.md")] + sorted(
    os.path.join(root, "docs", f) for f in os.listdir(os.path.join(root, "docs")) if f.endswith(".md"))
found = [p for p in candidates if pattern.search(open(p).read())]
if len(found) != 1:
    sys.exit(f"expected one file with {name} markers, found {len(found)}")
path = found[0]
text = open(path).read()
open(path, "w").write(pattern.sub(lambda _: f"{start}\n{section}\n{end}", text))
