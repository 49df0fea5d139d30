"""The report's figures, drawn by matplotlib into inline SVG (no files, no CDN, no pyplot).

``matplotlib.figure.Figure`` is used directly, not ``pyplot``: no global state, no GUI backend,
safe in a library and in threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tweetgen.errors import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tweetgen.evaluation.report import EvalReport
    from tweetgen.evaluation.trainlog import TrainingCurve

COLOURS = {"author": "#555555", "base": "#d08c2d", "fine-tune": "#2a6fb0"}


def _figure(width: float = 6.4, height: float = 3.2) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            "the HTML report draws its plots with matplotlib: pip install matplotlib"
        ) from None
    return Figure(figsize=(width, height), layout="constrained")


def to_svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element, text kept as text (small, searchable)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tweetgen"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def curve_figure(curve: TrainingCurve) -> Figure | None:
    """Training loss by step and validation loss by step (None without any points)."""
    if not curve.train and not curve.validation:
        return None
    figure = _figure()
    axes = figure.add_subplot()
    if curve.train:
        steps, losses = zip(*curve.train, strict=True)
        axes.plot(steps, losses, color=COLOURS["fine-tune"], lw=1, label="training loss")
    if curve.validation:
        steps, losses = zip(*curve.validation, strict=True)
        axes.plot(steps, losses, "o-", color=COLOURS["base"], label="validation loss")
    axes.set_xlabel("step")
    axes.set_ylabel("loss (nats per token)")
    axes.legend(frameon=False)
    axes.grid(alpha=0.3)
    return figure


def lengths_figure(report: EvalReport) -> Figure:
    """Histograms of post lengths: the author's, the base's samples, the fine-tune's."""
    figure = _figure()
    axes = figure.add_subplot()
    series: list[tuple[str, Sequence[int]]] = [("author", report.real_lengths)]
    series += [(m.label, m.sample_lengths) for m in report.models() if m.samples]
    top = max((max(v) for _, v in series if v), default=1)
    bins = list(range(0, top + 20, max(5, (top + 19) // 30)))
    for label, values in series:
        axes.hist(
            values,
            bins=bins,
            density=True,
            histtype="step",
            lw=1.6,
            color=COLOURS[label],
            label=f"{label} ({len(values):,})",
        )
    axes.set_xlabel("characters per post")
    axes.set_ylabel("share of posts per character")
    axes.legend(frameon=False)
    return figure


def before_after_figure(report: EvalReport) -> Figure | None:
    """Bits per character of the base and the fine-tune on the held-out posts."""
    scored = [(m.label, m.held_out.bits_per_char) for m in report.models() if m.held_out]
    if not scored:
        return None
    figure = _figure(4.0, 2.4)
    axes = figure.add_subplot()
    labels = [label for label, _ in scored]
    values = [value for _, value in scored]
    bars = axes.barh(labels, values, color=[COLOURS[label] for label in labels])
    axes.bar_label(bars, fmt="%.3f", padding=3)
    axes.set_xlabel("held-out bits per character (lower is better)")
    axes.set_xlim(0, max(values) * 1.25)
    axes.invert_yaxis()
    return figure
