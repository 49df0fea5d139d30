"""One plugin manager, loaded lazily, shared by the Python API and the CLI."""

from __future__ import annotations

import difflib
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

from tweetgen.errors import FilterError, PluginError, SourceError
from tweetgen.plugins import hookspecs
from tweetgen.plugins.options import (
    OPTION_TYPES,
    Option,
    apply_declared,
    check_options,
    declared_options,
    did_you_mean,
)

ENTRY_POINT_GROUP = "tweetgen"

#: Built-ins, registered exactly like outside plugins.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "tweetgen.sources.x_archive",
    "tweetgen.sources.files",
    "tweetgen.filters.builtin",
    "tweetgen.training.plugin",
)

Kind = Literal["source", "filter", "trainer", "publisher"]
_HOOKS: dict[Kind, str] = {
    "source": "register_sources",
    "filter": "register_filters",
    "trainer": "register_trainers",
    "publisher": "register_publishers",
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
    publishers: list[str] = field(default_factory=list)


#: Names the entry points to load (comma-separated; empty: none); unset, all are loaded.
LOAD_PLUGINS_ENV = "TWEETGEN_LOAD_PLUGINS"


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
    only = os.environ.get(LOAD_PLUGINS_ENV)
    if only is not None:
        names &= {n.strip() for n in only.split(",") if n.strip()}
    for name in sorted(names):
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
        except Exception as exc:  # a broken plugin must not take every command down with it
            BROKEN[name] = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"plugin {name!r} failed to load: {BROKEN[name]}", stacklevel=2)
            continue
        plugin = pm.get_plugin(name)
        problems = hook_problems(plugin) if plugin is not None else []
        if problems:  # loaded, but part of it is ignored: say so rather than stay silent
            PROBLEMS[name] = problems
            for problem in problems:
                warnings.warn(f"plugin {name!r}: {problem}", stacklevel=2)
    return pm


#: Entry-point plugins that failed to import, with the reason (shown by ``tweetgen plugins``).
BROKEN: dict[str, str] = {}

#: Entry-point plugins that loaded with hooks tweetgen ignores (see :func:`hook_problems`).
PROBLEMS: dict[str, list[str]] = {}

_HOOK_NAMES = tuple(
    sorted(
        n
        for n, f in vars(hookspecs).items()
        if hasattr(f, f"{hookspecs.hookspec.project_name}_spec")
    )
)
#: Unmarked functions starting with this look like hooks a plugin meant to provide.
_HOOK_PREFIX = "register_"
#: The attribute ``@hookimpl`` sets on the functions it marks.
_MARKER = f"{hookspecs.hookimpl.project_name}_impl"


def hook_problems(plugin: object) -> list[str]:
    """What tweetgen would silently ignore in ``plugin``, one readable line each.

    pluggy skips functions without ``@hookimpl`` and accepts marked functions whose name no
    hook has (``register_source``); both mean a plugin that loads yet provides nothing. This
    runs pluggy's own validation (``check_pending``) on a throwaway manager, so the shared
    one is never touched, and looks for unmarked functions named like hooks.
    """
    problems: list[str] = []
    for name in _names(plugin):
        func = getattr(plugin, name, None)
        if not callable(func):
            continue
        if hasattr(func, _MARKER):
            if name not in _HOOK_NAMES:
                problems.append(_unknown_hook_message(name))
        elif _defined_by(func, plugin) and name in _HOOK_NAMES:
            problems.append(f"{name} is not marked @tweetgen.hookimpl, so it is never called")
        elif _defined_by(func, plugin) and (name.startswith(_HOOK_PREFIX) or _close_hook(name)):
            problems.append(
                f"{name} is neither a hook nor marked @tweetgen.hookimpl{_did_you_mean(name)}"
            )
    pm = pluggy.PluginManager("tweetgen")
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        if not problems:  # e.g. a hook taking an argument its spec does not pass
            problems.append(" ".join(str(exc).split()))
    return problems


def provided_by(plugin: object) -> dict[Kind, list[type[Any]]]:
    """The classes ``plugin`` registers through its hooks, by kind, without registering it."""
    pm = pluggy.PluginManager("tweetgen")
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {_label(plugin)}: {' '.join(str(exc).split())}") from None
    found: dict[Kind, list[type[Any]]] = {kind: [] for kind in _HOOKS}
    for kind, hook in _HOOKS.items():
        getattr(pm.hook, hook)(register=found[kind].append)
    return found


def _label(plugin: object) -> str:
    return str(getattr(plugin, "__name__", None) or type(plugin).__name__)


def check_plugin(plugin: object, name: str | None = None) -> None:
    """Raise :class:`PluginError` naming ``plugin`` and each hook tweetgen would ignore."""
    problems = hook_problems(plugin)
    if problems:
        raise PluginError(f"plugin {name or _label(plugin)}: " + "; ".join(problems))


def _names(plugin: object) -> list[str]:
    return [n for n in dir(plugin) if not n.startswith("_")]


def _defined_by(func: Any, plugin: object) -> bool:
    """Functions a module merely imports (``from x import register_y``) are not its own."""
    module = getattr(plugin, "__name__", None) if inspect.ismodule(plugin) else None
    return module is None or getattr(func, "__module__", module) == module


def _close_hook(name: str) -> bool:
    return bool(difflib.get_close_matches(name, _HOOK_NAMES, n=1, cutoff=0.8))


def _did_you_mean(name: str) -> str:
    match = difflib.get_close_matches(name, _HOOK_NAMES, n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


def _unknown_hook_message(hook: str) -> str:
    known = ", ".join(_HOOK_NAMES)
    return f"{hook} is not a tweetgen hook{_did_you_mean(hook)}; hooks are: {known}"


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


def read_source(name: str, location: str, **options: Any) -> Any:
    """``get_source(name).read(location, **options)``, options checked against the declarations.

    An unknown option (``-o autor=me``) fails here with a did-you-mean, before the source runs.
    """
    cls = _get("source", name)
    return cls().read(location, **check_source_options(cls, options))


def check_source_options(cls: type[Any], options: dict[str, Any]) -> dict[str, Any]:
    """``options`` for source ``cls``: checked and converted when it declares ``options``.

    A source that declares none is checked against the keyword parameters of its ``read``
    unless that takes ``**options`` (then the source checks them itself).
    """
    owner = f"source {getattr(cls, 'name', cls.__name__)!r}"
    declared = declared_options(cls)
    if declared is not None:
        return apply_declared(owner, declared, options, error=SourceError)
    params = list(inspect.signature(cls.read).parameters.values())[2:]  # after self, location
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        check_options(owner, options, [p.name for p in params], error=SourceError)
    return dict(options)


@dataclass
class Description:
    """One source, filter or trainer as ``tweetgen plugins NAME`` shows it."""

    name: str
    kind: Kind
    plugin: str
    distribution: str
    version: str
    description: str
    #: Declared options (for a filter: its keyword arguments); None when not declared.
    options: list[Option] | None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "options"}
        data["options"] = None if self.options is None else [o.to_dict() for o in self.options]
        return data


def describe(name: str) -> list[Description]:
    """Every source, filter or trainer called ``name`` (a did-you-mean error when none is)."""
    found = [d for d in describe_all() if d.name == name]
    if not found:
        known = sorted({n for kind in _HOOKS for n in registrations(kind)})
        raise PluginError(
            f"no source, filter or trainer named {name!r}{did_you_mean([name], known)}"
        )
    return found


def describe_all() -> list[Description]:
    """Every registered source, filter and trainer, by kind then name."""
    infos = {info.name: info for info in list_plugins()}
    found = []
    for kind in _HOOKS:
        for reg in registrations(kind).values():
            info = infos[reg.plugin]
            cls = reg.cls
            options = _filter_options(cls) if kind == "filter" else declared_options(cls)
            doc = (cls.__doc__ or "").strip().split("\n", 1)[0]
            text = str(getattr(cls, "description", "") or doc)
            found.append(
                Description(
                    reg.name, kind, reg.plugin, info.distribution, info.version, text, options
                )
            )
    return found


def _filter_options(cls: type[Any]) -> list[Option] | None:
    """A filter's keyword arguments as options (filters take their options as arguments)."""
    declared = declared_options(cls)
    if declared is not None:
        return declared
    params = inspect.signature(cls).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    found = []
    for p in params:
        if p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        default = None if p.default is p.empty else p.default
        kind = type(default) if type(default) in OPTION_TYPES.values() else str
        found.append(Option(p.name, kind, default, ""))
    return found


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


def get_publishers() -> dict[str, type[Any]]:
    return {n: r.cls for n, r in registrations("publisher").items()}


def get_publisher_class(name: str) -> type[Any]:
    """The publisher class called ``name`` (``tweetgen post --to NAME``)."""
    return _get("publisher", name)


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
