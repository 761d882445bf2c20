"""The public surface: what ``llmparse`` exports, how it is documented, and the Result's JSON contract."""

from __future__ import annotations
import __future__

import inspect
import re
import types

import pytest

import llmparse
from llmparse import _exceptions

from .conftest import EXAMPLE


def _isort_key(name: str) -> tuple[int, list[int | str]]:
    """ruff's RUF022 "isort-style" order: SCREAMING_CASE, then CamelCase, then the rest, each naturally sorted."""
    if name.isupper() and len(name) > 1:
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    natural = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
    return group, natural


def _public_names() -> set[str]:
    """Names bound in the llmparse namespace that are public: no underscore, plus ``__version__``.

    Left out: ``from __future__ import annotations`` (binds a compiler feature, not an API) and submodules,
    which the import system binds on the package when they are imported.
    """
    return {  # dir(): names bound, and those imported on first use (the model extractor)
        name
        for name, value in ((name, getattr(llmparse, name)) for name in dir(llmparse))
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, (__future__._Feature, types.ModuleType))
    }


def _exported(kind: type | None = None) -> list[tuple[str, object]]:
    objs = [(name, getattr(llmparse, name)) for name in llmparse.__all__]
    return [(name, obj) for name, obj in objs if kind is None or (isinstance(obj, type) and issubclass(obj, kind))]


def _exception_tree() -> dict[str, str | None]:
    """Parse the tree in _exceptions' docstring into {class name: parent class name}."""
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    root_indent = 0
    for line in (_exceptions.__doc__ or "").splitlines():
        m = re.match(r"^(?P<lead>[ │]*)(?P<branch>[├└]── )?(?P<name>[A-Z]\w*Error)\b", line)
        if not m:
            continue
        if m.group("branch") is None:  # the root
            root_indent, depth = len(m.group("lead")), 0
        else:
            depth = (len(m.group("lead")) - root_indent) // 4 + 1
        del stack[depth:]
        parents[m.group("name")] = stack[-1] if stack else None
        stack.append(m.group("name"))
    return parents


# --- exports -----------------------------------------------------------------------------------------------


def test_all_is_sorted() -> None:
    """``__all__`` is in ruff's isort-style order (constants, classes, then functions) without duplicates."""
    assert llmparse.__all__ == sorted(llmparse.__all__, key=_isort_key)
    assert len(set(llmparse.__all__)) == len(llmparse.__all__)


def test_all_is_exactly_the_public_names() -> None:
    """Every public name defined in llmparse is in ``__all__`` and every name in it exists (cf. httpx)."""
    assert set(llmparse.__all__) == _public_names()


def test_exported_classes_live_in_llmparse() -> None:
    """Every exported class reports ``__module__ == "llmparse"``, so reprs and tracebacks show llmparse.X."""
    classes = [(name, obj) for name, obj in _exported() if isinstance(obj, type)]
    assert classes
    assert [name for name, cls in classes if cls.__module__ != "llmparse"] == []


def test_exported_exceptions_subclass_llmparse_error() -> None:
    """Every exported exception class derives from LLMParseError."""
    exceptions = _exported(BaseException)
    assert len(exceptions) >= 10
    assert [name for name, cls in exceptions if not issubclass(cls, llmparse.LLMParseError)] == []  # type: ignore[arg-type]


def test_exception_tree_in_docstring_names_every_exception() -> None:
    """The LLMParseError tree in _exceptions' docstring names exactly the exported exceptions."""
    tree = _exception_tree()
    exported = {name for name, _ in _exported(BaseException)}
    assert set(tree) == exported


def test_exception_tree_in_docstring_matches_the_classes() -> None:
    """Each exception's parent in the docstring tree is its real base class, with LLMParseError at the root."""
    tree = _exception_tree()
    assert tree["LLMParseError"] is None
    for name, parent in tree.items():
        cls = getattr(llmparse, name)
        if parent is None:
            assert cls.__bases__ == (Exception,), name
        else:
            assert cls.__bases__ == (getattr(llmparse, parent),), name


def test_exceptions_module_all_matches_the_package() -> None:
    """_exceptions.__all__ lists the same exceptions the package exports."""
    assert set(_exceptions.__all__) == {name for name, _ in _exported(BaseException)}


# --- docstrings --------------------------------------------------------------------------------------------


def _public_callables() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name, obj in _exported():
        if inspect.isfunction(obj):
            found.append((name, obj))
        elif isinstance(obj, type):
            found.append((name, obj))
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if inspect.isfunction(member) or isinstance(member, (property, classmethod, staticmethod)):
                    found.append((f"{name}.{attr}", member))
    return found


@pytest.mark.parametrize(("name", "obj"), [pytest.param(n, o, id=n) for n, o in _public_callables()])
def test_public_functions_and_classes_have_docstrings(name: str, obj: object) -> None:
    """Every exported function and class, and every public method or property on them, has a docstring."""
    target = obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
    doc = target.__doc__ if isinstance(target, property) else inspect.getdoc(target)
    assert doc, f"{name} has no docstring"
    if isinstance(target, type):
        assert doc != inspect.getdoc(target.__mro__[1]), f"{name} only inherits its base's docstring"


# --- the Result contract -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_result() -> llmparse.Result:
    """The example letter parsed with the rules."""
    return llmparse.parse(EXAMPLE, strategy="rules")


def test_result_json_round_trip(example_result: llmparse.Result) -> None:
    """A Result survives model_dump_json and model_validate_json unchanged."""
    again = llmparse.Result.model_validate_json(example_result.model_dump_json())
    assert again == example_result
    assert again.model_dump_json() == example_result.model_dump_json()


def test_result_json_round_trip_of_written_letter() -> None:
    """A Result of a short invented letter, with findings, also survives a JSON round trip."""
    text = (
        "Vraag 1\nKomt er een nieuwe brug over de Vecht bij Dalfsen?\n\nVraag 2\nWanneer begint de bouw?\n\n"
        "Antwoord 1\nJa, de provincie heeft daartoe besloten.\n"
    )
    result = llmparse.parse(text, strategy="rules")
    assert result.findings
    assert llmparse.Result.model_validate_json(result.model_dump_json()) == result


def test_result_spans_index_its_text(example_result: llmparse.Result) -> None:
    """Every question and answer span lies inside Result.text."""
    n = len(example_result.text)
    for item in [*example_result.letter.questions, *example_result.letter.answers]:
        start, end = item.span
        assert 0 <= start < end <= n


def test_result_schema_properties() -> None:
    """result_schema() is a JSON Schema object whose properties include the Result's top-level fields."""
    schema = llmparse.result_schema()
    assert schema["type"] == "object"
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert {"letter", "findings", "usage", "provenance", "text"} <= set(properties)
    assert set(schema["required"]) >= {"letter", "provenance", "text"}  # type: ignore[call-overload]


def test_result_schema_validates_the_example(example_result: llmparse.Result) -> None:
    """The example Result's JSON has exactly the schema's top-level properties."""
    dumped = example_result.model_dump(mode="json")
    assert set(dumped) == set(llmparse.result_schema()["properties"])  # type: ignore[call-overload]


def test_schema_version_in_provenance(example_result: llmparse.Result) -> None:
    """Provenance records the schema version and the library version."""
    assert example_result.provenance.schema_version == llmparse.SCHEMA_VERSION
    assert example_result.provenance.llmparse_version == llmparse.__version__


def test_result_is_frozen(example_result: llmparse.Result) -> None:
    """A Result cannot be changed after parsing (frozen pydantic model)."""
    with pytest.raises(ValueError, match="frozen"):
        example_result.text = "iets anders"


def test_package_ships_its_typing_marker_and_prompts() -> None:
    """py.typed and the prompts/ folder are inside the installed package (prompts as llmparse.prompts)."""
    import importlib.resources

    assert importlib.resources.files("llmparse").joinpath("py.typed").is_file()
    names = {p.name for p in importlib.resources.files("llmparse.prompts").iterdir()}
    assert "README.md" in names
