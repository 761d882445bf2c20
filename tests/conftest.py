"""Shared fixtures: where the corpus lives, and isolation from the user's environment."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The shared folder beside the checkout (corpus, gold, scorer); CI lays it there too.
SHARED = Path(os.environ.get("LLMPARSE_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
EXAMPLE = ROOT / "examples" / "kv-2020Z03371.ministry-pdftext.txt"
LETTERS = ROOT / "tests" / "data" / "letters"


def needs_shared() -> pytest.MarkDecorator:
    """Skip a test when ../shared (the real corpus and its scorer) is not beside the checkout."""
    return pytest.mark.skipif(
        not (CORPUS / "gold").is_dir(),
        reason=f"the corpus is not at {CORPUS}: put the shared folder beside the checkout or set LLMPARSE_SHARED",
    )


def load_scorer() -> ModuleType:
    """The shared scorer (../shared/eval/score.py) as a module, for ``score_letter``."""
    spec = importlib.util.spec_from_file_location("llmparse_shared_score", SHARED / "eval" / "score.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see a model endpoint from the developer's environment, nor the user's result cache."""
    for var in ("LLMPARSE_BASE_URL", "LLMPARSE_MODEL", "LLMPARSE_MODE", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LLMPARSE_CACHE_DIR", str(tmp_path / "llmparse-cache"))


# --- recorded model interactions ------------------------------------------------------------------------

CASSETTES = ROOT / "cassettes"
#: The scripted model server's fixed address: cassettes match on host, port, path and body.
MODEL_PORT = 18765
MODEL_URL = f"http://127.0.0.1:{MODEL_PORT}/v1"
#: A key that is obviously not a secret; the Authorization header is filtered from cassettes anyway.
TEST_KEY = os.environ.get("LLMPARSE_TEST_API_KEY", "test-key-not-secret")

_DROP_RESPONSE_HEADERS = {"date", "server", "set-cookie", "openai-organization", "openai-project",
                          "openai-processing-ms", "x-request-id", "cf-ray", "cf-cache-status", "alt-svc"}


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if name.lower().startswith("x-stainless") or name.lower() in ("authorization", "cookie", "user-agent",
                                                                      "api-key", "openai-organization"):
            del request.headers[name]
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _DROP_RESPONSE_HEADERS or name.lower().startswith("x-ratelimit"):
            del headers[name]
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Cassettes match on the whole request and keep no credentials, cookies or volatile headers."""
    return {
        "match_on": ["method", "host", "port", "path", "body"],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """Cassettes live in the top-level cassettes/<test module>/."""
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module", name="server")
def fixture_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The scripted model server, running only while recording (replaying needs no server)."""
    if request.config.getoption("--record-mode") == "none":
        yield None
        return
    from .model_server import ModelServer

    server = ModelServer(MODEL_PORT).start()
    yield server
    server.stop()
