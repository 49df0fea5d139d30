"""The account's face: read from the sources, kept through the corpus, shown by the card and
drawn in the thumbnail. Missing or broken parts leave the face out, never the posts."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from PIL import Image

from tweetgen.corpus.corpus import Corpus
from tweetgen.model.card import header, render_card
from tweetgen.model.finish import PIPELINE_PICTURE, read_metadata, write_face
from tweetgen.model.thumbnail import HEIGHT, WIDTH, Face, add_thumbnail, draw, face_of, wrap
from tweetgen.records.profile import MAX_PICTURE_BYTES, Profile, picture_suffix, profile_of

ROOT = Path(__file__).resolve().parents[1]
AVATAR_URL = "https://pbs.twimg.com/profile_images/1630000000000000099/AbCdEf12.jpg"
PROFILE_JS = (
    'window.YTD.profile.part0 = [{"profile": {"description": {"bio": "hi"}, '
    f'"avatarMediaUrl": "{AVATAR_URL}"}}}}]'
)


def jpeg(colour: tuple[int, int, int] = (200, 40, 40), size: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def archive_with_face(sample: Path, out: Path, files: dict[str, bytes]) -> Path:
    """The bundled sample archive plus ``files`` (paths under data/)."""
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        for name, data in files.items():
            dst.writestr(f"data/{name}", data)
    return out


# the record ---------------------------------------------------------------------------------


def test_profile_keeps_usable_parts_only() -> None:
    picture = jpeg()
    profile = Profile.make("@me", "  Me\n\x00Myself \u2028", picture)
    assert profile == Profile("me", "Me Myself", picture)
    assert profile.picture_name == "avatar.jpg"
    assert Profile.make("me", None, b"not an image").picture is None  # type: ignore[union-attr]
    huge = b"\x89PNG\r\n\x1a\n" + b"0" * MAX_PICTURE_BYTES
    assert Profile.make("me", None, huge).picture is None  # type: ignore[union-attr]
    assert Profile.make("", "Name") is None and Profile.make("two words") is None
    assert Profile.make(None) is None and Profile.make("me", 42).display_name is None  # type: ignore[union-attr]


def test_profile_round_trips_through_meta_json() -> None:
    profile = Profile("me", "Me", jpeg())
    meta = json.loads(json.dumps({"profile": profile.to_meta()}))
    assert profile_of(meta) == profile
    assert profile_of({}) is None and profile_of({"profile": "x"}) is None
    meta["profile"]["picture"] = "!!not base64!!"
    assert profile_of(meta) == Profile("me", "Me", None)


def test_picture_formats() -> None:
    assert picture_suffix(jpeg()) == "jpg"
    assert picture_suffix(b"GIF89a....") == "gif"
    assert picture_suffix(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert picture_suffix(b"<svg>") is None


# the X archive -------------------------------------------------------------------------------


def test_x_archive_zip_gives_name_and_avatar(sample_archive: Path, tmp_path: Path) -> None:
    picture = jpeg()
    files = {
        "profile.js": PROFILE_JS.encode(),
        "profile_media/1630000000000000001-AbCdEf12.jpg": picture,
        "profile_media/1630000000000000001-1700000000.jpg": jpeg((0, 0, 255)),  # the banner
    }
    archive = archive_with_face(sample_archive, tmp_path / "a.zip", files)
    corpus = Corpus.from_source("x-archive", str(archive))
    assert profile_of(corpus.meta) == Profile("wisdom_sample", "Wisdom Sample", picture)
    saved = Corpus.load(corpus.save(tmp_path / "corpus"))
    assert profile_of(saved.meta) == profile_of(corpus.meta)
    assert len(corpus) == len(Corpus.from_source("x-archive", str(sample_archive)))


def test_x_archive_folder_and_author_option(sample_archive: Path, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    with zipfile.ZipFile(sample_archive) as src:
        src.extractall(folder)
    (folder / "data" / "profile.js").write_text(PROFILE_JS)
    media = folder / "data" / "profile_media"
    media.mkdir()
    (media / "1630000000000000001-AbCdEf12.jpg").write_bytes(jpeg())
    (media / "elsewhere-AbCdEf12.jpg").symlink_to("/etc/hostname")  # a link is never read
    corpus = Corpus.from_source("x-archive", str(folder), author="someone_else")
    profile = profile_of(corpus.meta)
    assert profile is not None and profile.handle == "someone_else" and profile.picture == jpeg()


@pytest.mark.parametrize(
    "profile_js",
    [b"window.YTD.profile.part0 = [{", b"window.YTD.profile.part0 = []", b'[{"profile": 3}]'],
)
def test_a_broken_profile_js_leaves_the_picture_out(
    sample_archive: Path, tmp_path: Path, profile_js: bytes
) -> None:
    archive = archive_with_face(sample_archive, tmp_path / "a.zip", {"profile.js": profile_js})
    corpus = Corpus.from_source("x-archive", str(archive))
    assert profile_of(corpus.meta) == Profile("wisdom_sample", "Wisdom Sample", None)
    assert len(corpus) > 0


def test_the_shared_real_archive_names_its_account(milahu_archive: Path) -> None:
    corpus = Corpus.from_source("x-archive", str(milahu_archive))
    # profile_media was left out of the shared copy: name and handle, no picture
    assert profile_of(corpus.meta) == Profile("milahu104", "Milan Hauth", None)


# the model folder and the card ---------------------------------------------------------------


def test_write_face_keeps_the_picture_file(tmp_path: Path) -> None:
    found = write_face(tmp_path, Profile("me", "Me", jpeg()))
    assert found == {
        "pipeline_picture": "pipeline.svg",
        "profile": {"handle": "me", "display_name": "Me", "picture": "avatar.jpg"},
    }
    assert (tmp_path / "avatar.jpg").read_bytes() == jpeg()
    assert (tmp_path / "pipeline.svg").read_bytes() == PIPELINE_PICTURE.read_bytes()
    assert write_face(tmp_path / "none", None) == {"pipeline_picture": "pipeline.svg"}


def test_the_pipeline_picture_in_docs_is_the_one_shipped() -> None:
    assert (ROOT / "docs" / "pipeline.svg").read_bytes() == PIPELINE_PICTURE.read_bytes()
    assert "(pipeline.svg)" in (ROOT / "docs" / "index.md").read_text()


def test_card_header_shows_the_face_escaped() -> None:
    meta = {"profile": {"handle": "me", "display_name": "<b>Me</b> & co", "picture": "avatar.jpg"}}
    html = header(meta, "m")
    assert '<img src="avatar.jpg"' in html and "border-radius: 50%" in html
    assert "<strong>&lt;b&gt;Me&lt;/b&gt; &amp; co</strong> 🤖 AI Bot" in html
    assert "@me bot" in html
    hub = header(meta, "user/model", on_hub=True)
    assert 'src="https://huggingface.co/user/model/resolve/main/avatar.jpg"' in hub


@pytest.mark.parametrize(
    "profile",
    [None, {}, {"display_name": "No handle"}, {"handle": "me", "picture": "../../etc/passwd"}],
)
def test_missing_or_bad_face_leaves_the_header_out_never_broken(profile: object) -> None:
    card = render_card({"profile": profile}, model_ref="m")
    ModelCard(card)  # still a valid card
    if isinstance(profile, dict) and profile.get("handle"):
        assert "@me bot" in card and "<img" not in card
    else:
        assert "AI Bot" not in card and "<div" not in card


def test_card_names_the_thumbnail_in_its_metadata() -> None:
    meta = {"thumbnail": "thumbnail.png", "pipeline_picture": "pipeline.svg"}
    card = render_card(meta, model_ref="m")
    assert ModelCard(card).data.to_dict()["thumbnail"] == "thumbnail.png"
    assert "](thumbnail.png)" in card and "](pipeline.svg)" in card
    hub = ModelCard(render_card(meta, model_ref="u/m", on_hub=True)).data.to_dict()
    assert hub["thumbnail"] == "https://huggingface.co/u/m/resolve/main/thumbnail.png"
    assert "thumbnail" not in ModelCard(render_card({}, model_ref="m")).data.to_dict()


# the thumbnail --------------------------------------------------------------------------------


def test_draw_is_a_png_of_the_posts(tmp_path: Path) -> None:
    png = draw(["first post", "zweiter Beitrag ünd so", "三つ目の投稿"], Face("Me", "me", jpeg()))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    blank = draw([], Face("Me", "me"))
    assert png != blank


def test_a_broken_or_huge_picture_falls_back_to_the_initial() -> None:
    bomb = io.BytesIO()
    Image.new("1", (5000, 5000)).save(bomb, format="PNG")
    for picture in (b"\xff\xd8\xff broken jpeg", bomb.getvalue()):
        assert draw(["a post"], Face("Me", "me", picture)) == draw(["a post"], Face("Me", "me"))


def test_wrap_fits_lines_and_cuts_long_words() -> None:
    lines = wrap("aaa bbb " + "x" * 25, len, 10)
    assert lines == ["aaa bbb", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]
    assert all(len(line) <= 10 for line in lines)


def test_training_draws_the_thumbnail_and_the_card_names_it(trained_model: Path) -> None:
    meta = read_metadata(trained_model)
    assert meta is not None and meta["thumbnail"] == "thumbnail.png"
    assert Image.open(trained_model / "thumbnail.png").size == (WIDTH, HEIGHT)
    card = (trained_model / "README.md").read_text()
    assert ModelCard(card).data.to_dict()["thumbnail"] == "thumbnail.png"
    assert f"model='{trained_model.resolve().as_posix()}'" in card  # not the temporary folder


def test_add_thumbnail_uses_the_profile(trained_model: Path, tmp_path: Path) -> None:
    model = Path(shutil.copytree(trained_model, tmp_path / "model"))
    meta = read_metadata(model) or {}
    meta["profile"] = {"handle": "me", "display_name": "Me", "picture": "avatar.jpg"}
    (model / "avatar.jpg").write_bytes(jpeg())
    (model / "tweetgen.json").write_text(json.dumps(meta))
    assert face_of(meta, model) == Face("Me", "me", jpeg())
    assert add_thumbnail(model, []) is None
    assert add_thumbnail(model, ["a post"]) == model / "thumbnail.png"
    assert "@me bot" in (model / "README.md").read_text()
