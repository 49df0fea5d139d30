"""One plugin manager, loaded lazily, shared by the Python API and the CLI."""

from __future__ import annotations

import importlib
import inspect
import os
import warnings
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

import pluggy

from tweetgen import hookspecs
from tweetgen.errors import FilterError, PluginError
from tweetgen.options import check_options

ENTRY_POINT_GROUP = "tweetgen"

#: Built-ins, registered exactly like outside plugins.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "tweetgen.sources.x_archive",
    "tweetgen.sources.files",
    "tweetgen.filters.builtin",
    "tweetgen.training.plugin",
)

Kind = Literal["source", "filter", "trainer"]
_HOOKS: dict[Kind, str] = {
    "source": "register_sources",
    "filter": "register_filters",
    "trainer": "register_trainers",
}


@dataclass(frozen=True)
class Registration:
    """One class a plugin registered, and who registered it."""

    kind: Kind
    name: str
    cls: type[Any]
    plugin: str


@dataclass
class PluginInfo:
    """A loaded plugin and what it provides, as ``tweetgen plugins`` shows it."""

    name: str
    version: str
    builtin: bool
    distribution: str = ""
    sources: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    trainers: list[str] = field(default_factory=list)


@cache
def get_plugin_manager() -> pluggy.PluginManager:
    """Build the manager on first use: built-ins, then the ``tweetgen`` entry points.

    Set ``TWEETGEN_LOAD_PLUGINS`` to a comma-separated list of entry-point names to load only
    those (an empty string loads none), which keeps tests independent of what is installed.
    """
    pm = pluggy.PluginManager("tweetgen")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    names = _entry_point_names()
    only = os.environ.get("TWEETGEN_LOAD_PLUGINS")
    if only is not None:
        names &= {n.strip() for n in only.split(",") if n.strip()}
    for name in sorted(names):
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
        except Exception as exc:  # a broken plugin must not take every command down with it
            BROKEN[name] = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"plugin {name!r} failed to load: {BROKEN[name]}", stacklevel=2)
    return pm


#: Entry-point plugins that failed to import, with the reason (shown by ``tweetgen plugins``).
BROKEN: dict[str, str] = {}


def _entry_point_names() -> set[str]:
    return {
        ep.name
        for dist in metadata.distributions()
        for ep in dist.entry_points
        if ep.group == ENTRY_POINT_GROUP
    }


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or repr(plugin)


def registrations(kind: Kind) -> dict[str, Registration]:
    """Everything registered for ``kind``, by name; a clear error when two plugins clash."""
    pm = get_plugin_manager()
    found: dict[str, Registration] = {}
    caller = getattr(pm.hook, _HOOKS[kind])
    for impl in caller.get_hookimpls():
        plugin = _plugin_name(pm, impl.plugin)

        def register(cls: type[Any], _plugin: str = plugin) -> None:
            name = getattr(cls, "name", None)
            if not isinstance(name, str) or not name:
                raise PluginError(f"plugin {_plugin} registered a {kind} without a name: {cls!r}")
            if name in found:
                other = found[name].plugin
                raise PluginError(
                    f"{kind} name {name!r} is registered by both {other} and {_plugin}"
                )
            found[name] = Registration(kind, name, cls, _plugin)

        impl.function(register=register)
    return dict(sorted(found.items()))


def _get(kind: Kind, name: str) -> type[Any]:
    table = registrations(kind)
    if name not in table:
        known = ", ".join(table) or "none"
        raise PluginError(f"unknown {kind} {name!r} (installed: {known})")
    return table[name].cls


def get_sources() -> dict[str, type[Any]]:
    return {n: r.cls for n, r in registrations("source").items()}


def get_filters() -> dict[str, type[Any]]:
    return {n: r.cls for n, r in registrations("filter").items()}


def get_trainers() -> dict[str, type[Any]]:
    return {n: r.cls for n, r in registrations("trainer").items()}


def get_source(name: str) -> Any:
    """An instance of the source called ``name``."""
    return _get("source", name)()


def get_filter(name: str, **options: Any) -> Any:
    """An instance of the filter called ``name``, configured with ``options``."""
    cls = _get("filter", name)
    params = inspect.signature(cls).parameters.values()
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        known = [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
        check_options(f"filter {name!r}", options, known, error=FilterError)
    try:
        return cls(**options)
    except TypeError as exc:
        raise PluginError(f"filter {name!r}: bad options {options!r}: {exc}") from None


def get_trainer_class(name: str) -> type[Any]:
    return _get("trainer", name)


def _distribution(pm: pluggy.PluginManager, plugin: object, builtin: bool) -> tuple[str, str]:
    """(distribution name, version) of the package that provides ``plugin``."""
    if builtin:
        return "tweetgen", tweetgen_version()
    for plug, dist in pm.list_plugin_distinfo():
        if plug is plugin:
            return str(dist.project_name), str(dist.version)
    return "", "unknown"


def tweetgen_version() -> str:
    try:
        return version("tweetgen")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def list_plugins() -> list[PluginInfo]:
    """Every loaded plugin with its version and what it registered."""
    pm = get_plugin_manager()
    infos: dict[str, PluginInfo] = {}
    for plugin in pm.get_plugins():
        name = _plugin_name(pm, plugin)
        builtin = name in DEFAULT_PLUGINS
        dist, dist_version = _distribution(pm, plugin, builtin)
        infos[name] = PluginInfo(name, dist_version, builtin, dist)
    for kind in _HOOKS:
        for reg in registrations(kind).values():
            getattr(infos[reg.plugin], kind + "s").append(reg.name)
    return sorted(infos.values(), key=lambda i: (not i.builtin, i.name))
