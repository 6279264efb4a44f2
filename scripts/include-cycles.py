#!/usr/bin/env python3
"""Fails when the files of a module, or the areas (subfolders) of a module, include each
other in a cycle.

MODULE: a file pair (x.hpp + x.cpp) is one node; an edge is an #include "hutch/<module>/y.hpp"
of the same module. MODULE/*: each subfolder is one node (files at the module's top are the
node "."), so the areas depend on each other one way. Usage: include-cycles.py ROOT ARG...
(e.g. `. engine 'engine/*' runtime`). Prints every cycle (strongly connected set) and exits 1
if there is one.
"""
import os
import re
import sys


def graph(root, module, areas=False):
    edges = {}
    base = os.path.join(root, module)
    inc = re.compile(r'#include "hutch/' + re.escape(module) + r'/([\w/]+)\.hpp"')
    for dirpath, _, names in os.walk(base):
        for n in names:
            if not n.endswith((".cpp", ".hpp")):
                continue
            path = os.path.join(dirpath, n)
            node = os.path.relpath(path, base).rsplit(".", 1)[0]
            if areas:
                node = node.split("/")[0] if "/" in node else "."
            with open(path, encoding="utf-8", errors="replace") as f:
                for m in inc.finditer(f.read()):
                    target = m.group(1)
                    if areas:
                        target = target.split("/")[0] if "/" in target else "."
                    if target != node:
                        edges.setdefault(node, set()).add(target)
    return edges


def cycles(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    nodes = sorted(set(edges) | {v for vs in edges.values() for v in vs})

    def visit(v):  # Tarjan's strongly connected components (iterative enough for ~100 files)
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, bad = sys.argv[1], 0
    for module in sys.argv[2:]:
        areas = module.endswith("/*")
        module = module[:-2] if areas else module
        found = cycles(graph(root, module, areas))
        if areas:
            module += "/*"
        for c in found:
            print(f"{module}/: include cycle between {', '.join(c)}")
        bad += len(found)
        if not found:
            print(f"{module}/: no include cycle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
