"""``tweetgen plugins``."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from tweetgen.plugins import list_plugins


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(as_json: bool) -> None:
    """List installed plugins with their versions and what they provide."""
    infos = list_plugins()
    if as_json:
        click.echo(json.dumps([vars(i) for i in infos], indent=2))
        return
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
            )
            if names
        ]
        table.add_row(
            info.name.removeprefix("tweetgen."),
            info.distribution + (" (built-in)" if info.builtin else ""),
            info.version,
            "\n".join(provides) or "-",
        )
    from tweetgen.plugins import BROKEN

    for name, reason in BROKEN.items():
        table.add_row(name, "", "", f"[red]failed to load: {reason}[/red]")
    Console().print(table)
