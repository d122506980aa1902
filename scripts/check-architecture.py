#!/usr/bin/env python3
"""Checks that the module graph is what Package.swift declares and docs/architecture.md draws:
- every `import` of a package module in Sources/<target> is a declared dependency of <target>
  (and every declared dependency is imported somewhere in it);
- the "depends on" column of docs/architecture.md's module table equals Package.swift's
  declared dependencies, for every source target, and names no module that does not exist;
- dependencies point one way (no cycles).
Exit 0 when all holds; otherwise one line per mismatch and exit 1.
    /usr/bin/python3 scripts/check-architecture.py
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PRODUCTS = {"TOMLKit": "TOMLKit", "ArgumentParser": "ArgumentParser", "SwiftProtobuf": "SwiftProtobuf"}


def balanced(text, start):
    """The text inside the parentheses opening at text[start]."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:index]
    return text[start + 1:]


def declared_targets():
    text = (ROOT / "Package.swift").read_text()
    text = re.sub(r"//[^\n]*", "", text)
    targets = {}
    for match in re.finditer(r"\.(target|executableTarget|systemLibrary)\(", text):
        body = balanced(text, match.end() - 1)
        name_match = re.search(r"name:\s*\"(\w+)\"", body)
        if not name_match or "Tests/" in body:
            continue
        deps = set()
        dep_match = re.search(r"dependencies:\s*\[", body)
        if dep_match:
            depth, index = 0, dep_match.end() - 1
            for index in range(dep_match.end() - 1, len(body)):
                depth += {"[": 1, "]": -1}.get(body[index], 0)
                if depth == 0:
                    break
            deps_text = body[dep_match.end():index]
            deps |= set(re.findall(r"\.product\(name:\s*\"(\w+)\"", deps_text))
            deps |= set(re.findall(r"\"(\w+)\"", re.sub(r"\.product\([^)]*\)", "", deps_text)))
        targets[name_match.group(1)] = (match.group(1), deps)
    return targets


def imports_of(target):
    found = set()
    folder = ROOT / "Sources" / target
    for path in folder.rglob("*.swift"):
        for line in path.read_text().splitlines():
            match = re.match(r"\s*(?:@testable\s+|@_exported\s+)?import\s+(?:struct\s+|class\s+|enum\s+|func\s+)?(\w+)", line)
            if match:
                found.add(match.group(1))
    return found


def documented():
    text = (ROOT / "docs" / "architecture.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            names = re.findall(r"`(\w+)`", cells[0])
            deps = set(re.findall(r"`(\w+)`", cells[1]))
            for name in names:
                rows[name] = deps
    return rows


def main():
    problems = []
    targets = declared_targets()
    if not targets:
        print("check-architecture: no targets found in Package.swift", file=sys.stderr)
        return 1
    modules = set(targets) | set(PRODUCTS)
    for name, (kind, deps) in sorted(targets.items()):
        if kind == "systemLibrary" or not (ROOT / "Sources" / name).exists():
            continue
        imported = imports_of(name) & modules
        for module in sorted(imported - deps - {name}):
            problems.append(f"Sources/{name} imports {module}, which Package.swift does not declare for it")
        swift_files = list((ROOT / "Sources" / name).rglob("*.swift"))
        if swift_files:
            for module in sorted(deps - imported):
                problems.append(f"Package.swift declares {module} for {name}, which no file of it imports")
    docs = documented()
    for name, (kind, deps) in sorted(targets.items()):
        if name not in docs:
            problems.append(f"docs/architecture.md has no row for {name}")
        elif docs[name] != deps:
            problems.append(f"docs/architecture.md says {name} depends on {sorted(docs[name])}, Package.swift says {sorted(deps)}")
    for name in sorted(set(docs) - set(targets)):
        problems.append(f"docs/architecture.md has a row for {name}, which Package.swift does not define")
    # One way: a depth-first search finds any cycle.
    state = {}

    def visit(node, path):
        if state.get(node) == "open":
            problems.append("dependency cycle: " + " -> ".join(path + [node]))
            return
        if state.get(node) == "done":
            return
        state[node] = "open"
        for dep in sorted(targets.get(node, ("", set()))[1]):
            visit(dep, path + [node])
        state[node] = "done"

    for name in sorted(targets):
        visit(name, [])
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
