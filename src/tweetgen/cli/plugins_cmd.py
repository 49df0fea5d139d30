"""``tweetgen plugins [NAME]``."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from tweetgen.plugins import BROKEN, PROBLEMS, Description, describe, describe_all, list_plugins

#: What ``tweetgen plugins NAME`` says of a trainer's options beyond its own.
TRAINER_NOTE = (
    "Every trainer also takes the TrainConfig settings (--set KEY=VALUE; docs/training.md)."
)


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def plugins(name: str | None, as_json: bool) -> None:
    """List installed plugins and what they provide; with NAME, that one's options."""
    if name is not None:
        _show_one(describe(name), as_json)
        return
    infos = list_plugins()
    if as_json:
        described = {d.name: d.description for d in describe_all()}
        data = [
            vars(i)
            | {
                "descriptions": {
                    n: described.get(n, "")
                    for n in i.sources + i.filters + i.trainers + i.publishers
                },
                "problems": PROBLEMS.get(i.name, []),
            }
            for i in infos
        ]
        click.echo(json.dumps(data, indent=2))
        return
    console = Console()
    table = Table(title="tweetgen plugins")
    for column in ("plugin", "package", "version", "provides"):
        table.add_column(column)
    for info in infos:
        provides = [
            f"{kind}: {', '.join(names)}"
            for kind, names in (
                ("sources", info.sources),
                ("filters", info.filters),
                ("trainers", info.trainers),
                ("publishers", info.publishers),
            )
            if names
        ]
        problems = [f"[yellow]ignored: {p}[/yellow]" for p in PROBLEMS.get(info.name, [])]
        table.add_row(
            info.name.removeprefix("tweetgen."),
            info.distribution + (" (built-in)" if info.builtin else ""),
            info.version,
            "\n".join(provides + problems) or "-",
        )
    for broken, reason in BROKEN.items():
        table.add_row(broken, "", "", f"[red]failed to load: {reason}[/red]")
    console.print(table)
    what = Table(title="sources, filters and trainers (tweetgen plugins NAME for options)")
    for column in ("name", "kind", "description"):
        what.add_column(column)
    for d in describe_all():
        what.add_row(d.name, d.kind, d.description)
    console.print(what)


def _show_one(found: list[Description], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([d.to_dict() for d in found], indent=2))
        return
    console = Console()
    for d in found:
        console.print(f"[bold]{d.name}[/bold] ({d.kind}, from {d.plugin} {d.version})")
        if d.description:
            console.print(d.description)
        if d.options is None:
            console.print("options: not declared (the plugin checks what it is given)")
        elif not d.options:
            console.print("options: none")
        else:
            table = Table("option", "type", "default", "meaning")
            for o in d.options:
                table.add_row(
                    o.name, o.type_name, "" if o.default is None else repr(o.default), o.help
                )
            console.print(table)
        if d.kind == "trainer":
            console.print(TRAINER_NOTE)
