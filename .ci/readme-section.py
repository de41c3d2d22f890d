#!/usr/bin/env python3
"""Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in
README.md with standard input: how the report scripts keep README's tables
the output of one run.

Usage: readme-section.py NAME < section
"""
import os
import re
import sys

name = sys.argv[1]
path = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "README.md")
section = sys.stdin.read().strip()
text = open(path).read()
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
if not pattern.search(text):
    sys.exit(f"README.md has no {name} markers")
open(path, "w").write(pattern.sub(lambda _: f"{start}\n{section}\n{end}", text))
