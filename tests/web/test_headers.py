"""Security headers on pages, API answers and files."""

from __future__ import annotations

from covisor.history.transcripts import STYLE_HASH
from tests.conftest import Harness


async def test_pages_allow_only_covisors_own_origin(harness: Harness) -> None:
    for page in ("/agent", "/demo"):
        async with harness.http.get(harness.url + page) as response:
            assert response.status == 200
            policy = response.headers["Content-Security-Policy"]
            html = await response.text()
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        # The one inline style: the printable transcript's, previewed in the console.
        assert directives["style-src"] == f"'self' 'sha256-{STYLE_HASH}'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy and "http" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" not in html and "<style" not in html and "style=" not in html


async def test_api_answers_carrying_tokens_are_never_stored(harness: Harness) -> None:
    async with harness.http.post(harness.url + "/api/conversations", json={}) as response:
        assert response.status == 201 and "token" in await response.json()
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with harness.http.get(harness.url + "/api/me") as refused:
        assert refused.status == 401 and refused.headers["Cache-Control"] == "no-store"


async def test_client_files_are_never_sniffed(harness: Harness) -> None:
    async with harness.http.get(harness.url + "/client/widget.js") as response:
        assert response.status == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" not in response.headers.get("Cache-Control", "")
