"""The account's face from a Mastodon export (actor.json's name, avatar.*) or the API (name)."""

from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tweetgen.corpus.corpus import Corpus
from tweetgen.records.profile import Profile, profile_of

EXPORT = Path(__file__).parent / "fixtures" / "export"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    export = Path(shutil.copytree(EXPORT, tmp_path / "export"))
    (export / "avatar.png").write_bytes(png())
    return export


def test_folder_zip_and_tar_exports_give_name_and_avatar(folder: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "e.zip", "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, file.name)
    with tarfile.open(tmp_path / "e.tar.gz", "w:gz") as tar:
        for file in sorted(folder.iterdir()):
            tar.add(file, f"./{file.name}")
    expected = Profile("alice@example.social", "Alice", png())
    for location in (folder, tmp_path / "e.zip", tmp_path / "e.tar.gz"):
        assert profile_of(Corpus.from_source("mastodon", str(location)).meta) == expected


def test_no_avatar_and_no_actor(folder: Path) -> None:
    (folder / "avatar.png").unlink()
    corpus = Corpus.from_source("mastodon", str(folder))
    assert profile_of(corpus.meta) == Profile("alice@example.social", "Alice", None)
    (folder / "actor.json").unlink()
    assert "profile" not in Corpus.from_source("mastodon", str(folder)).meta


def test_the_api_gives_the_display_name(mastodon: Any) -> None:
    corpus = Corpus.from_source("mastodon", "@alice@example.social", base_url=mastodon.base_url)
    profile = profile_of(corpus.meta)
    assert profile is not None and profile.handle == "alice@example.social"
    assert profile.display_name == "Alice"
    assert profile.picture is None
