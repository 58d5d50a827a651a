"""Every package Clearway ships with must carry a licence a bank can ship: permissive or
weak copyleft (dynamically linked). A GPL dependency (as Unidecode once was) fails here.

Reads the installed metadata of the runtime dependency closure of the `clearway`
distribution (dev tools excluded: they are not shipped)."""

from __future__ import annotations

import re
from importlib import metadata

from packaging.requirements import Requirement

ALLOWED = (
    "MIT",
    "BSD",
    "Apache",
    "ISC",
    "PSF",
    "Python Software Foundation",
    "MPL-2.0",
    "Mozilla Public License 2.0",
    "LGPL",
    "GNU Lesser General Public License",
    "Unlicense",
    "CC0",
    "Zope Public License",
    "ZPL",
    "HPND",
    "Historical Permission Notice",
    "PostgreSQL",
    "Public Domain",
)
"""Licence families admitted. LGPL is admitted because psycopg links libpq dynamically and
is used unmodified."""

REVIEWED: dict[str, str] = {}
"""Packages whose metadata names no licence, with the licence read from their source."""


def _closure(root: str) -> dict[str, metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional requirement for another platform
        seen[key] = dist
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(req.name)
    return seen


def licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    parts = [meta.get("License-Expression") or "", (meta.get("License") or "")[:200]]
    parts += [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return " | ".join(p for p in parts if p)


def allowed(text: str) -> bool:
    if re.search(r"\bGPL\b|General Public License", text) and not re.search(
        r"LGPL|Lesser General Public", text
    ):
        return False
    return any(a.lower() in text.lower() for a in ALLOWED)


def test_runtime_dependencies_have_shippable_licences() -> None:
    closure = _closure("clearway")
    assert "temporalio" in closure and "sqlalchemy" in closure, "closure walk is broken"
    refused = {
        name: licence_of(dist) or "no licence metadata"
        for name, dist in closure.items()
        if name != "clearway" and name not in REVIEWED and not allowed(licence_of(dist))
    }
    assert refused == {}


def test_the_check_refuses_gpl() -> None:
    assert not allowed("GNU General Public License v2 or later (GPLv2+)")
    assert not allowed("GPL-2.0-or-later")
    assert allowed("LGPL-3.0-only")
    assert allowed("MIT")
