"""Every public class and function of gluax has a docstring, and so does every public method.

The public objects are those reachable from gluax's public modules (``dir()`` of each, so the
operators that ``mx.nd`` builds from the registry count too). A public method (or property)
defined in a gluax class needs its own docstring, unless it overrides a method of the same
name that a base class documents: it then inherits that documentation (``inspect.getdoc``
and the API reference both show the base's text).
"""

from __future__ import annotations

import inspect
import types

import gluax

# Gaps in files owned by other work in progress; each entry names the file to fix. New gaps
# fail the test; an entry that gets its docstring should be removed from here.
PENDING = {
}


def _public_modules() -> list[types.ModuleType]:
    found: dict[str, types.ModuleType] = {}

    def walk(module: types.ModuleType) -> None:
        if module.__name__ in found:
            return
        found[module.__name__] = module
        for name in dir(module):
            if name.startswith("_"):
                continue
            value = getattr(module, name, None)
            if (
                isinstance(value, types.ModuleType)
                and value.__name__.startswith("gluax.")
                and "._" not in value.__name__
            ):
                walk(value)

    walk(gluax)
    return [found[k] for k in sorted(found)]


def _public_objects() -> dict[int, tuple[str, object]]:
    """``id -> (public path, object)`` of every gluax class and function the modules export."""
    out: dict[int, tuple[str, object]] = {}
    for module in _public_modules():
        for name in dir(module):
            if name.startswith("_"):
                continue
            try:
                value = getattr(module, name)
            except AttributeError:  # an absent MXNet operator listed by dir()
                continue
            if not (inspect.isclass(value) or callable(value)) or isinstance(value, types.ModuleType):
                continue
            if not str(getattr(value, "__module__", "") or "").startswith("gluax"):
                continue
            out.setdefault(id(value), (f"{module.__name__}.{name}", value))
    return out


def _doc(member: object) -> str:
    if isinstance(member, (staticmethod, classmethod)):
        member = member.__func__
    if isinstance(member, property):
        member = member.fget
    return (getattr(member, "__doc__", None) or "").strip()


def _method_gaps(cls: type) -> list[str]:
    """The public methods/properties defined in gluax classes of ``cls``'s MRO without docs."""
    gaps = []
    mro = cls.__mro__
    for i, klass in enumerate(mro):
        if not klass.__module__.startswith("gluax"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_"):
                continue
            if not (
                inspect.isfunction(member)
                or isinstance(member, (property, staticmethod, classmethod))
            ):
                continue
            if _doc(member):
                continue
            inherited = any(_doc(vars(base).get(name)) for base in mro[i + 1 :])
            if not inherited:
                gaps.append(f"{klass.__module__}.{klass.__qualname__}.{name}")
    return gaps


def test_every_public_object_has_a_docstring():
    missing = [
        path
        for path, obj in _public_objects().values()
        if not (obj.__doc__ or "").strip() and path not in PENDING
    ]
    assert not missing, f"public objects without a docstring: {sorted(missing)}"


def test_every_public_method_has_or_inherits_a_docstring():
    gaps: set[str] = set()
    for _, obj in _public_objects().values():
        if inspect.isclass(obj):
            gaps.update(_method_gaps(obj))
    new = sorted(gaps - set(PENDING))
    assert not new, f"public methods without a docstring (own or inherited): {new}"


def test_pending_entries_are_real():
    """Each PENDING entry names an existing object (so the list cannot hide typos)."""
    import importlib

    public = {path for path, _ in _public_objects().values()}
    for path in PENDING:
        if path in public:
            continue
        module_path, _, rest = path.partition("._src.")
        parts = ("gluax._src." + rest).split(".") if rest else path.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attr in parts[cut:]:
                obj = inspect.getattr_static(obj, attr)
            break
        else:  # pragma: no cover
            raise AssertionError(path)


def test_the_check_catches_a_gap():
    """The method check fails on an undocumented method and accepts an inherited docstring."""

    class Base:
        def documented(self):
            """Text."""

    class Child(Base):
        def documented(self):  # inherits Base's docstring
            return 1

        def bare(self):
            return 2

    Base.__module__ = Child.__module__ = "gluax.fake"
    assert _method_gaps(Child) == ["gluax.fake.test_the_check_catches_a_gap.<locals>.Child.bare"]
