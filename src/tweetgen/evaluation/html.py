"""The evaluation as one self-contained HTML page: inline CSS and SVG, no script, no CDN.

Everything taken from the model or the posts is escaped: samples are text a model wrote, and a
post may hold ``<script>``.
"""

from __future__ import annotations

import os
import statistics
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from tweetgen.base.atomic import atomic_file
from tweetgen.evaluation import plots
from tweetgen.evaluation.report import EvalReport, ModelQuality, shown

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Samples shown per model (all of them are in ``--json``).
SHOWN_SAMPLES = 20
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .7rem;text-align:right;
border-bottom:1px solid #eee}td:first-child,th:first-child{text-align:left}
.note{color:#7a4b00}.muted{color:#666}figure{margin:1rem 0}svg{max-width:100%;height:auto}
li{margin:.2rem 0}
"""


def render_html(report: EvalReport) -> str:
    """The whole page as a string."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>tweetgen eval: {escape(Path(report.model).name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>How well the model writes like the author</h1>",
        _what(report),
        "<h2>Numbers</h2>",
        _numbers_table(report),
        _figure(plots.before_after_figure(report), "Held-out bits per character, before and after"),
        "<h2>Training</h2>",
        _figure(plots.curve_figure(report.curve), f"From {escape(report.curve.source)}")
        or '<p class="muted">No training log in the model folder.</p>',
        "<h2>Lengths</h2>",
        _figure(plots.lengths_figure(report), "Characters per post: author and samples"),
        "<h2>Words the model overuses</h2>",
        _overused_table(report.fine_tune),
        "<h2>Samples</h2>",
        *(_samples(m) for m in reversed(report.models())),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_html(report: EvalReport, path: str | os.PathLike[str]) -> Path:
    """Write the page atomically (a temporary file renamed over ``path``)."""
    page = render_html(report)
    with atomic_file(path) as handle:
        handle.write(page)
    return Path(path)


def _what(report: EvalReport) -> str:
    lines = [
        f"<p>Model <code>{escape(report.model)}</code>, corpus "
        f"<code>{escape(report.corpus)}</code>.<br>Held-out posts: "
        f"{escape(report.held_out_from)}.</p>"
    ]
    lines += [f'<p class="note">{escape(note)}</p>' for note in report.notes]
    return "\n".join(lines)


def _numbers_table(report: EvalReport) -> str:
    header = ["", "bits/char", "perplexity", "near-copies", "length KS", "median length",
              "distinct-1", "distinct-2"]  # fmt: skip
    rows = [[escape(m.label), *_model_cells(m)] for m in report.models()]
    lengths = report.real_lengths
    median = f"{statistics.median(lengths):.0f}" if lengths else "-"
    rows.append(["author", "-", "-", "-", "-", median, shown(report.author_distinct_1),
                 shown(report.author_distinct_2)])  # fmt: skip
    return _table(header, rows)


def _model_cells(m: ModelQuality) -> list[str]:
    loss = m.held_out
    copies = f"{m.copies} of {len(m.samples)} ({m.copy_share:.0%})" if m.samples else "-"
    median = f"{statistics.median(m.sample_lengths):.0f}" if m.samples else "-"
    return [
        shown(loss.bits_per_char) if loss else "-",
        shown(loss.perplexity, 2) if loss else "-",
        copies,
        shown(m.length_ks),
        median,
        shown(m.distinct_1),
        shown(m.distinct_2),
    ]


def _overused_table(m: ModelQuality) -> str:
    if not m.overused:
        return '<p class="muted">None stands out (or there are no samples).</p>'
    header = ["word", "samples per 1,000 words", "author per 1,000 words", "ratio"]
    rows = [
        [escape(w.word), f"{w.sample_per_1000:.1f}", f"{w.author_per_1000:.1f}", f"{w.ratio:.1f}x"]
        for w in m.overused
    ]
    return _table(header, rows)


def _samples(m: ModelQuality) -> str:
    if not m.samples:
        return ""
    items = "".join(f"<li>{escape(text)}</li>" for text in m.samples[:SHOWN_SAMPLES])
    more = len(m.samples) - SHOWN_SAMPLES
    tail = f'<p class="muted">and {more} more (all in --json)</p>' if more > 0 else ""
    return f"<h3>{escape(m.label)}</h3><ol>{items}</ol>{tail}"


def _figure(figure: Figure | None, caption: str) -> str:
    if figure is None:
        return ""
    svg = plots.to_svg(figure)
    return f"<figure>{svg}<figcaption class='muted'>{caption}</figcaption></figure>"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
