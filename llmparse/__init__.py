"""llmparse: Dutch parliamentary answer letters (Antwoorden op Kamervragen) as typed, validated data.

>>> import llmparse
>>> result = llmparse.parse(pathlib.Path("letter.txt"), strategy="rules")  # doctest: +SKIP
>>> [q.numbers for q in result.letter.questions]  # doctest: +SKIP
"""

from __future__ import annotations

import typing as _typing

from ._batch import Outcome, aparse_many, parse_many
from ._cache import ResultCache
from ._checks import CODES
from ._exceptions import (
    BinaryInputError,
    BudgetExceededError,
    ChecksFailedError,
    EmptyInputError,
    EncryptedFileError,
    InputError,
    InputTooLargeError,
    LLMParseError,
    MissingExtraError,
    ModelConfigError,
    ModelError,
    ModelOutputError,
    ModelTransportError,
    NotALetterError,
    NoTextLayerError,
    TruncatedOutputError,
    UnreadableFileError,
    UnsupportedFormatError,
    UnsupportedSchemaError,
)
from ._export import PAIR_COLUMNS, pairs_csv, pairs_jsonl
from ._extraction import PlanExtractor
from ._models import (
    SCHEMA_VERSION,
    Answer,
    Finding,
    Footnote,
    Letter,
    Person,
    Provenance,
    Question,
    Result,
    Severity,
    Usage,
)
from ._pipeline import __version__, aparse, parse, parse_plan
from ._types import Extractor, Source, Strategy

if _typing.TYPE_CHECKING:
    from ._extraction import LLMExtractor, RetryPolicy

__all__ = [
    "CODES",
    "PAIR_COLUMNS",
    "SCHEMA_VERSION",
    "Answer",
    "BinaryInputError",
    "BudgetExceededError",
    "ChecksFailedError",
    "EmptyInputError",
    "EncryptedFileError",
    "Extractor",
    "Finding",
    "Footnote",
    "InputError",
    "InputTooLargeError",
    "LLMExtractor",
    "LLMParseError",
    "Letter",
    "MissingExtraError",
    "ModelConfigError",
    "ModelError",
    "ModelOutputError",
    "ModelTransportError",
    "NoTextLayerError",
    "NotALetterError",
    "Outcome",
    "Person",
    "PlanExtractor",
    "Provenance",
    "Question",
    "Result",
    "ResultCache",
    "RetryPolicy",
    "Severity",
    "Source",
    "Strategy",
    "TruncatedOutputError",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "UnsupportedSchemaError",
    "Usage",
    "__version__",
    "aparse",
    "aparse_many",
    "pairs_csv",
    "pairs_jsonl",
    "parse",
    "parse_many",
    "parse_plan",
    "plan_schema",
    "result_schema",
]


def result_schema() -> dict[str, object]:
    """The JSON Schema of ``Result``: what ``llmparse parse --format json`` prints."""
    return Result.model_json_schema()


def plan_schema() -> dict[str, object]:
    """The JSON Schema of a model's plan: what the model path asks for and ``parse_plan`` takes."""
    from ._extraction._schema import LetterPlan

    return LetterPlan.model_json_schema()


#: Public names imported on first use: the model extractor brings the model stack (instructor, openai, httpx2),
#: which ``import llmparse`` and a rules-only run never load.
_LAZY = ("LLMExtractor", "RetryPolicy")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from . import _extraction

        obj = getattr(_extraction, name)
        obj.__module__ = __name__
        globals()[name] = obj  # looked up once
        return obj
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


# Show public names as llmparse.X in reprs and tracebacks, not llmparse._models.X.
for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type):
        _obj.__module__ = __name__
