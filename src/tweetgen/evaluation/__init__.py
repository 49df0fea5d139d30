"""How good a fine-tune is: held-out loss, copies, lengths and wording against the author.

``evaluate(model_dir, corpus)`` returns an :class:`EvalReport`; ``tweetgen eval`` prints it as a
table, as JSON, or writes it as a self-contained HTML page (:func:`write_html`).
"""

from tweetgen.evaluation.evaluate import DEFAULT_SAMPLES, evaluate
from tweetgen.evaluation.heldout import HeldOutLoss, score_posts
from tweetgen.evaluation.html import render_html, write_html
from tweetgen.evaluation.report import EvalReport, ModelQuality
from tweetgen.evaluation.textstats import WordUse, distinct_n, ks_distance, overused_words
from tweetgen.evaluation.trainlog import TrainingCurve, read_training_curve

__all__ = [
    "DEFAULT_SAMPLES",
    "EvalReport",
    "HeldOutLoss",
    "ModelQuality",
    "TrainingCurve",
    "WordUse",
    "distinct_n",
    "evaluate",
    "ks_distance",
    "overused_words",
    "read_training_curve",
    "render_html",
    "score_posts",
    "write_html",
]
