"""The page (``GET /``): one card per model in the seed's layout, built from the package's own
templates, stylesheet and script, so it works offline (no CDN, no web font).

Every value put into the page is HTML-escaped; the page holds what the model folder says of
itself (handle, name, picture, data table, widget prompt), never a training post.
"""

from __future__ import annotations

import html
from importlib import resources
from string import Template

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from tweetgen.serve.bodies import Problem
from tweetgen.serve.models import ServedModel
from tweetgen.serve.settings import Limits

#: Posts the widget asks for by default, as the seed's widget showed.
DEFAULT_POSTS = 5
_KEY_BOX = (
    '<label class="key">API key <input id="api-key" type="password" autocomplete="off" '
    'placeholder="this server needs a key"></label>'
)


def _template(name: str) -> Template:
    text = resources.files("tweetgen.serve").joinpath("templates", name).read_text("utf-8")
    return Template(text)


def render_page(models: list[ServedModel], limits: Limits, *, root: str, needs_key: bool) -> str:
    """The whole page for ``models``; ``root`` is the path the app is mounted under."""
    card = _template("card.html")
    cards = "\n".join(render_card(card, m, limits, root) for m in models)
    e = html.escape
    return _template("page.html").substitute(
        root=e(root), cards=cards, key_box=_KEY_BOX if needs_key else ""
    )


def render_card(template: Template, model: ServedModel, limits: Limits, root: str) -> str:
    """One card: the face (picture, name with "AI Bot" and "@handle bot" when the folder has
    a name; the handle alone otherwise), the data table, and the widget."""
    e = html.escape
    info = model.card
    picture = (
        f'<img class="avatar" src="{e(root)}/pictures/{e(model.name)}" alt="">'
        if info.picture is not None
        else ""
    )
    named = info.display_name is not None
    rows = "".join(f"<tr><td>{e(label)}</td><td>{count:,}</td></tr>" for label, count in info.data)
    return template.substitute(
        name=e(model.name),
        picture=picture,
        bot_line='<div class="bot">🤖 AI Bot 🤖</div>' if named else "",
        display=f'<div class="display">{e(info.display_name or "")}</div>' if named else "",
        handle=e(f"@{info.handle} bot" if named else f"@{info.handle}"),
        account=e(info.display_name or f"@{info.handle}"),
        rows=rows or '<tr><td colspan="2">not recorded for this model</td></tr>',
        max_chars=limits.max_prompt_chars,
        prompt=e(info.prompt),
        min_temperature=f"{limits.min_temperature:g}",
        max_temperature=f"{limits.max_temperature:g}",
        temperature=f"{info.temperature:g}",
        top_p=f"{info.top_p:g}",
        max_posts=limits.max_posts,
        posts=min(DEFAULT_POSTS, limits.max_posts),
    )


def page_response(
    request: Request, models: list[ServedModel], limits: Limits, *, needs_key: bool
) -> Response:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    page = render_page(models, limits, root=root, needs_key=needs_key)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def picture_response(model: ServedModel | None) -> Response:
    """The card's picture, read from the model folder (only the one file the card names)."""
    if model is None or model.card.picture is None or model.picture_type is None:
        raise Problem(404, "no picture for this model")
    return FileResponse(model.card.picture, media_type=model.picture_type)


__all__ = ["page_response", "picture_response", "render_page"]
