"""A stored plan as an extractor: a Batch API completion, a cached answer, or a plan a test writes.

It returns the plan it was given, converted exactly as a live model's plan is, so a stored completion goes
through the same assembly and checks as ``parse`` with a model. It cannot ask again, so it ignores the review.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from .._document import Document
from .._exceptions import ModelOutputError
from .._layout import Layout
from .._models import Usage
from .._plan import Extraction, Review
from ._prompts import prompt_version

__all__ = ["PlanExtractor"]


class PlanExtractor:
    """An extractor that returns a plan it was given, in the model path's plan schema.

    Args:
        plan: the plan as JSON text (``str`` or ``bytes``) or as a mapping.
        model: the model that made it, for the provenance.
        usage: what making it cost.
    """

    name: Literal["rules", "llm"] = "llm"

    def __init__(self, plan: str | bytes | Mapping[str, Any], *, model: str | None = None,
                 usage: Usage | None = None) -> None:
        self.plan = plan
        self.model = model
        self.usage = usage or Usage()

    def extract(self, document: Document, layout: Layout, *, review: Review | None = None) -> Extraction:
        """The given plan for ``document``; raises ``ModelOutputError`` when it is no plan of the schema."""
        from pydantic import ValidationError

        from ._schema import LetterPlan, plan_to_internal

        try:
            raw = json.loads(self.plan) if isinstance(self.plan, (str, bytes)) else dict(self.plan)
            plan = LetterPlan.model_validate(raw)
        except (ValueError, TypeError) as exc:
            detail = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
            raise ModelOutputError(f"the completion is no valid plan: {detail[:300]}",
                                   last_completion=self.plan if isinstance(self.plan, str) else None) from exc
        internal, rejected, notes = plan_to_internal(layout, plan)
        return Extraction(internal, "llm", self.usage, self.model, prompt_version(), tuple(rejected),
                          findings=tuple(notes))


def _first_error(exc: Any) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    where = ".".join(str(part) for part in errors[0]["loc"])
    return f"{exc.error_count()} error(s); {where}: {errors[0]['msg']}" if where else errors[0]["msg"]
