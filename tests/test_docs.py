"""Every Python code block in docs/ runs (blocks of one page share a namespace, in order).

A block whose first line is ``# needs: 8 devices`` runs in a separate process in which JAX
splits the CPU into 8 devices (the rest of the suite sees one); one whose first line is
``# needs: several processes`` is shown, not run (tests/parallel covers that setup). The API
pages under docs/api must render every public class and function (tools/api_docs.py).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import pathlib
import re
import subprocess
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
MULTI_DEVICE = "# needs: 8 devices"
MULTI_PROCESS = "# needs: several processes"


def _blocks(page: pathlib.Path, kind: str | None) -> list[str]:
    """The page's Python blocks of one kind: None (plain), MULTI_DEVICE or MULTI_PROCESS."""
    out = []
    for code in BLOCK.findall(page.read_text()):
        first = code.lstrip().split("\n", 1)[0].strip()
        marker = first if first in (MULTI_DEVICE, MULTI_PROCESS) else None
        if marker == kind:
            out.append(code)
    return out


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_doc_code_runs(page, capsys):
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for i, code in enumerate(_blocks(page, None)):
        try:
            exec(compile(code, f"{page.name}[block {i}]", "exec"), namespace)
        except Exception as e:  # pragma: no cover - the message is the point
            raise AssertionError(f"{page.name}, code block {i} failed: {type(e).__name__}: {e}") from e


MULTI_RUNNER = """
import os, sys
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
import jax
assert len(jax.devices()) == 8, jax.devices()
namespace = {"__name__": "docs_multi"}
for i, path in enumerate(sys.argv[1:]):
    with open(path) as f:
        code = f.read()
    exec(compile(code, f"block {i}", "exec"), namespace)
    print(f"BLOCK {i} OK", flush=True)
"""


@pytest.mark.parametrize(
    "page",
    [p for p in sorted(DOCS.glob("*.md")) if _blocks(p, MULTI_DEVICE)],
    ids=lambda p: p.name,
)
def test_doc_multi_device_code_runs(page, tmp_path):
    blocks = _blocks(page, MULTI_DEVICE)
    paths = []
    for i, code in enumerate(blocks):
        paths.append(tmp_path / f"block{i}.py")
        paths[-1].write_text(code)
    runner = tmp_path / "runner.py"
    runner.write_text(MULTI_RUNNER)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(runner), *map(str, paths)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )
    done = proc.stdout.count(" OK")
    assert proc.returncode == 0, (
        f"{page.name}, multi-device code block {done} failed:\n{proc.stderr[-3000:]}"
    )
    assert done == len(blocks)
    # the blocks print True where they compare with one-device training
    assert "False" not in proc.stdout, proc.stdout


def test_multi_device_blocks_are_marked():
    """A page that talks about several devices runs them only through the marked blocks."""
    page = DOCS / "multi_device.md"
    assert len(_blocks(page, MULTI_DEVICE)) >= 3
    assert len(_blocks(page, MULTI_PROCESS)) == 1
    for code in _blocks(page, None):
        assert "mx.cpu(1" not in code and "mesh=" not in code, code


def _api_docs():
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "tools" / "api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _public_modules() -> dict[str, types.ModuleType]:
    """Every public gluax module, found by walking the package's public attributes."""
    import gluax

    found: dict[str, types.ModuleType] = {}

    def walk(module):
        if module.__name__ in found:
            return
        found[module.__name__] = module
        for name, value in vars(module).items():
            if (
                not name.startswith("_")
                and isinstance(value, types.ModuleType)
                and value.__name__.startswith("gluax.")
                and "._" not in value.__name__
            ):
                walk(value)

    walk(gluax)
    return found


def test_api_pages_render_every_public_object():
    api = _api_docs()
    rendered = api.rendered_objects()
    missing = []
    for modname, module in sorted(_public_modules().items()):
        for name, obj in api.public_objects(module):
            if id(obj) not in rendered:
                missing.append(f"{modname}.{name}")
    assert not missing, f"not in any page under docs/api: {missing}"
    # each rendered identifier resolves, and names the object under a public path
    import gluax

    for ident in rendered.values():
        obj = gluax
        for part in ident.split(".")[1:]:
            obj = getattr(obj, part)
        assert inspect.isclass(obj) or inspect.isfunction(obj), ident
        assert "._" not in ident, ident


def test_api_pages_are_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in sorted((DOCS / "api").glob("*.md")):
        assert f"api/{page.name}" in nav, page.name
    for page in sorted(DOCS.glob("*.md")):
        assert f" {page.name}" in nav, page.name
