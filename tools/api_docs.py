"""The mkdocs hook behind the API reference (``docs/api/*.md``).

A page says ``::: gluax.gluon.nn`` on a line of its own to document a whole public module.
gluax's public modules only re-export objects defined in ``gluax._src``, and mkdocstrings
renders re-exported objects only when they are listed one by one, so this hook rewrites each
such module directive into one directive per public class and function of the module
(``::: gluax.gluon.nn.Dense``, ...), in the module's order. A directive with options under it,
or one naming a class or function, is left as it is.

An object exported by several documented modules (``Block`` is in ``gluon`` and in
``gluon.nn``) is rendered once, at its *home*, and linked from the other places. Its home is
the documented module with the shortest path that exports it, the top-level ``gluax`` package
last (``mx.NDArray`` is documented in ``mx.nd``), ties broken alphabetically.

``mkdocs.yml`` names this file under ``hooks``; ``tests/test_docs.py`` checks with
``rendered_objects`` that every public class and function of every public module is rendered.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import pathlib
import re
import types
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
DIRECTIVE = re.compile(r"^::: *(gluax(?:\.\w+)*) *$", re.M)


def public_objects(module: types.ModuleType) -> list[tuple[str, Any]]:
    """The public classes and functions a module exports, as ``(name, object)`` in its order."""
    out = []
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        if inspect.isclass(value) or inspect.isfunction(value):
            out.append((name, value))
    return out


def _module(path: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(path)
    except ImportError:
        return None


def _bare_directives(text: str) -> list[str]:
    """The targets of the directives in ``text`` that have no options block under them."""
    out = []
    for m in DIRECTIVE.finditer(text):
        rest = text[m.end() :].lstrip("\n")
        if not rest.startswith((" ", "\t")):
            out.append(m.group(1))
    return out


@functools.lru_cache(maxsize=None)
def documented_modules(api_dir: str = str(API)) -> tuple[str, ...]:
    """The public modules that some page under ``api_dir`` documents with a bare directive."""
    mods = []
    for page in sorted(pathlib.Path(api_dir).glob("*.md")):
        for target in _bare_directives(page.read_text()):
            if _module(target) is not None and target not in mods:
                mods.append(target)
    return tuple(mods)


def _rank(modname: str) -> tuple[int, str]:
    return (10**6 if modname == "gluax" else modname.count("."), modname)


@functools.lru_cache(maxsize=None)
def homes(api_dir: str = str(API)) -> dict[int, str]:
    """``id(object) -> identifier`` (``gluax.gluon.Block``) where each object is rendered."""
    out: dict[int, str] = {}
    for modname in sorted(documented_modules(api_dir), key=_rank):
        for name, obj in public_objects(importlib.import_module(modname)):
            out.setdefault(id(obj), f"{modname}.{name}")
    return out


def expand(markdown: str, api_dir: str = str(API)) -> str:
    """``markdown`` with each bare module directive replaced by per-object directives."""
    home = homes(api_dir)

    def one(m: re.Match) -> str:
        target = m.group(1)
        module = _module(target)
        rest = markdown[m.end() :].lstrip("\n")
        if module is None or rest.startswith((" ", "\t")):
            return m.group(0)
        lines, links = [], []
        for name, obj in public_objects(module):
            ident = f"{target}.{name}"
            if home[id(obj)] == ident:
                lines += [f"::: {ident}", ""]
            else:
                links.append(f"[`{name}`][{home[id(obj)]}]")
        if links:
            lines.append(f"Also exported by `{target}`: " + ", ".join(links) + ".")
        return "\n".join(lines).rstrip()

    return DIRECTIVE.sub(one, markdown)


def rendered_objects(api_dir: str = str(API)) -> dict[int, str]:
    """``id(object) -> identifier`` for every object the API pages render."""
    out: dict[int, str] = {}
    for page in sorted(pathlib.Path(api_dir).glob("*.md")):
        for target in _bare_directives(expand(page.read_text(), api_dir)):
            obj: Any = importlib.import_module("gluax")
            for part in target.split(".")[1:]:
                obj = getattr(obj, part)
            out[id(obj)] = target
    return out


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs hook: expand the module directives of the pages under ``api/``."""
    if not page.file.src_uri.startswith("api/"):
        return markdown
    return expand(markdown, str(pathlib.Path(config["docs_dir"]) / "api"))


# Docstring warnings of griffe that the strict build tolerates: (file, message) pairs, each a
# docstring in a file this documentation does not own. Remove an entry once it is fixed.
WAIVED: list[tuple[str, str]] = []


class _Waive(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not any(path in text and message in text for path, message in WAIVED)


def on_config(config: Any) -> Any:
    """mkdocs hook: drop the waived griffe warnings (see ``WAIVED``)."""
    logging.getLogger("mkdocs.plugins.griffe").addFilter(_Waive())
    return config
