"""Read what a download button would hand the browser.

AppTest keeps download data in a media store that lives only while a run
lasts, so tests record every file stored during the run and look the
button's file up by the id in its URL.
"""

from __future__ import annotations

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest


def record_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Start recording files stored for download; returns file id -> bytes, filled as runs happen."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self: MemoryMediaFileStorage, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        file_id = original(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return files


def downloaded(at: AppTest, key: str, files: dict[str, bytes]) -> str:
    """The text the download button with ``key`` would save."""
    url = at.download_button(key=key).proto.url
    file_id = url.rsplit("/", 1)[-1].split(".", 1)[0]
    return files[file_id].decode("utf-8")
