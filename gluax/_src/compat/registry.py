"""``mx.registry``: per-base-class registries of named classes (how ``mx.optimizer``,
``mx.init`` and GluonCV/GluonNLP register their classes by nickname)."""

from __future__ import annotations

import json
import warnings
from typing import Any, Callable

string_types = (str,)

_REGISTRY: dict[type, dict[str, type]] = {}


def get_registry(base_class: type) -> dict[str, type]:
    """A copy of ``{lowercased name: class}`` registered under ``base_class``."""
    return dict(_REGISTRY.setdefault(base_class, {}))


def get_register_func(base_class: type, nickname: str) -> Callable[..., Any]:
    """``register(klass, name=None)``: file ``klass`` (a subclass of ``base_class``) under its
    lowercased name; usable as a decorator. Re-registering a name warns and replaces."""
    registry = _REGISTRY.setdefault(base_class, {})

    def register(klass: type, name: str | None = None) -> type:
        if not (isinstance(klass, type) and issubclass(klass, base_class)):
            raise TypeError(f"register: can only register subclasses of "
                            f"{base_class.__name__}, got {klass!r}.")
        key = (name or klass.__name__).lower()
        old = registry.get(key)
        if old is not None and old is not klass:
            warnings.warn(f"New {nickname} {klass.__module__}.{klass.__name__} registered with "
                          f"name {key} is overriding existing {nickname} "
                          f"{old.__module__}.{old.__name__}", UserWarning, stacklevel=2)
        registry[key] = klass
        return klass

    register.__doc__ = f"Register a {nickname} under its (lowercased) class name."
    return register


def get_alias_func(base_class: type, nickname: str) -> Callable[..., Any]:
    """``alias(*names)``: a class decorator registering the class under extra names too."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases: str) -> Callable[[type], type]:
        def reg(klass: type) -> type:
            for name in aliases:
                register(klass, name)
            return klass
        return reg

    return alias


def get_create_func(base_class: type, nickname: str) -> Callable[..., Any]:
    """``create(spec, *args, **kwargs)``: an instance of the class registered as ``spec``; an
    instance passes through; a JSON string ``'["name", {kwargs}]'`` is accepted as in MXNet."""
    registry = _REGISTRY.setdefault(base_class, {})

    def create(*args: Any, **kwargs: Any) -> Any:
        if args:
            name, args = args[0], args[1:]
        else:
            name = kwargs.pop(nickname)
        if isinstance(name, base_class):
            if args or kwargs:
                raise ValueError(f"{nickname} is already an instance; extra arguments "
                                 f"{args!r} {kwargs!r} cannot be applied.")
            return name
        if isinstance(name, dict):
            return create(**name)
        if not isinstance(name, str):
            raise TypeError(f"{nickname} must be a str or a {base_class.__name__}, got "
                            f"{type(name).__name__} {name!r}.")
        if name.startswith("["):
            if args or kwargs:
                raise ValueError(f"{nickname}: a JSON spec takes no extra arguments.")
            name, kwargs = json.loads(name)
            return create(name, **kwargs)
        if name.startswith("{"):
            if args or kwargs:
                raise ValueError(f"{nickname}: a JSON spec takes no extra arguments.")
            return create(**json.loads(name))
        key = name.lower()
        if key not in registry:
            raise ValueError(f"{name!r} is not registered as a {nickname}; registered: "
                             f"{sorted(registry)}.")
        return registry[key](*args, **kwargs)

    create.__doc__ = f"Create a {nickname} from its registered name."
    return create
