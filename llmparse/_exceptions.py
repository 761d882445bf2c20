"""Every error llmparse raises, in one tree.

Catch ``LLMParseError`` to handle them all with one ``except``::

    LLMParseError
    ├── InputError                 the source cannot be read as a letter
    │   ├── EmptyInputError        nothing but whitespace
    │   ├── BinaryInputError       bytes that are not text (NUL bytes, control characters)
    │   ├── InputTooLargeError     larger than the configured maximum
    │   ├── UnsupportedFormatError a file type llmparse has no reader for
    │   │   └── UnsupportedSchemaError XML of another schema than officielebekendmakingen's, or an
    │   │                              OpenDocument file that is not a text document
    │   ├── MissingExtraError      a PDF or Word file, but its reader's extra is not installed
    │   ├── UnreadableFileError    a PDF or Word file that cannot be read
    │   │   ├── EncryptedFileError a password-protected PDF
    │   │   └── NoTextLayerError   a scanned PDF: pages without text
    │   └── NotALetterError        text with no trace of written questions or their answers
    ├── ModelError                 the model path failed; carries the usage spent and the last completion
    │   ├── ModelConfigError       no model or endpoint configured, or the endpoint refused the request
    │   ├── ModelTransportError    rate limits, server errors, timeouts or lost connections outlasted retries
    │   ├── ModelOutputError       the completion was no usable plan, even after re-asks
    │   │   └── TruncatedOutputError the completion was cut off at its token limit
    │   └── BudgetExceededError    a letter would spend more tokens than its budget
    └── ChecksFailedError          ``strict=True`` and the checks reported an error finding

Each class says when it is raised; the message always says what to do about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._models import Finding, Result, Usage

__all__ = [
    "BinaryInputError",
    "BudgetExceededError",
    "ChecksFailedError",
    "EmptyInputError",
    "EncryptedFileError",
    "InputError",
    "InputTooLargeError",
    "LLMParseError",
    "MissingExtraError",
    "ModelConfigError",
    "ModelError",
    "ModelOutputError",
    "ModelTransportError",
    "NoTextLayerError",
    "NotALetterError",
    "TruncatedOutputError",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "UnsupportedSchemaError",
]


class LLMParseError(Exception):
    """Root of every error llmparse raises on purpose."""


class InputError(LLMParseError):
    """The source could not be turned into a letter's text.

    ``source`` names the input (a path, or ``"<str>"`` / ``"<bytes>"``) so a batch can report it.
    """

    def __init__(self, message: str, *, source: str = "<input>") -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class EmptyInputError(InputError):
    """Raised when the source holds no text at all, or only whitespace."""


class BinaryInputError(InputError):
    """Raised when the bytes are not text: NUL bytes or many control characters (an image, a zip)."""


class InputTooLargeError(InputError):
    """Raised when the source is larger than ``max_chars`` (see ``parse``); raise the limit to go on."""


class UnsupportedFormatError(InputError):
    """Raised for a file type without a reader (llmparse reads .txt, .md, .pdf, .docx, .odt, and the official
    .xml and .html / .xhtml forms), or PDF bytes passed without their path."""


class UnsupportedSchemaError(UnsupportedFormatError):
    """Raised for a .xml file whose root is not the officielebekendmakingen ``<officiele-publicatie>`` (a
    Word part, a feed, another schema), or an .odt file that is a spreadsheet or a presentation."""


class MissingExtraError(InputError):
    """Raised for a .pdf or .docx file when its reader is not installed; the message names the extra
    (``pip install 'llmparse[pdf]'`` or ``'llmparse[docx]'``)."""


class UnreadableFileError(InputError):
    """Raised when a PDF or Word file is corrupt or truncated and its reader cannot open it."""


class EncryptedFileError(UnreadableFileError):
    """Raised for a password-protected PDF."""


class NoTextLayerError(UnreadableFileError):
    """Raised for a PDF whose pages hold no text (a scan): run OCR first."""


class NotALetterError(InputError):
    """Raised when the text has no question, answer or notice structure and no letter metadata.

    A recipe or a news article gets this error rather than an empty, silently wrong result.
    """


class ModelError(LLMParseError):
    """The model path failed.

    Attributes:
        usage: what the letter had spent when it failed (calls and tokens, every attempt counted).
        last_completion: the raw text of the last completion received, where there is one.
    """

    def __init__(self, message: str, *, usage: Usage | None = None, last_completion: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage
        self.last_completion = last_completion


class ModelConfigError(ModelError):
    """Raised when no model or endpoint is configured, or the endpoint refuses the request for good
    (400, 401, 403, 404, no quota left). Retrying does not help; the message says what to fix."""


class ModelTransportError(ModelError):
    """Raised when rate limits (429), server errors (5xx), timeouts or lost connections outlast the retries."""


class ModelOutputError(ModelError):
    """Raised when the completion is no usable plan (malformed JSON, or still invalid after the re-asks)."""


class TruncatedOutputError(ModelOutputError):
    """Raised when the completion was cut off at its token limit (finish_reason ``length``)."""


class BudgetExceededError(ModelError):
    """Raised when a letter would spend more tokens than its configured budget."""


class ChecksFailedError(LLMParseError):
    """Raised by ``parse(..., strict=True)`` when the checks report at least one error finding.

    ``findings`` holds the error findings and ``result`` the whole Result (the letter as parsed, every finding,
    usage and provenance), so a strict caller can still store or review what was made.
    """

    def __init__(self, message: str, *, findings: list[Finding], result: Result | None = None) -> None:
        super().__init__(message)
        self.findings = findings
        self.result = result
