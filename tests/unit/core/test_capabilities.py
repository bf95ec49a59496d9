"""The book of what models refused: which errors teach, what is left out, the file it keeps."""

from __future__ import annotations

import json
from pathlib import Path

from kibitz.core.capabilities import TOOLS, CapabilityBook, refused_parameter
from kibitz.core.errors import BadRequestError, ServerError, ToolsNotSupportedError
from kibitz.core.types import RequestParams


def test_only_refusals_of_parameters_that_can_go_teach() -> None:
    assert refused_parameter(BadRequestError("x", param="temperature")) == "temperature"
    assert refused_parameter(BadRequestError("x", param="system_prompt")) is None
    assert refused_parameter(BadRequestError("x")) is None
    assert refused_parameter(ServerError("x", status=500)) is None
    # The limit under its other name: leaving it out would drop the user's limit.
    wants_other_name = BadRequestError("Use 'max_completion_tokens' instead.", param="max_tokens")
    assert refused_parameter(wants_other_name) is None
    assert refused_parameter(ToolsNotSupportedError("no tools")) == TOOLS
    one_schema = ToolsNotSupportedError("bad schema", headline="The server refused the tools")
    assert refused_parameter(one_schema) is None


def test_leave_out_clears_what_was_refused_and_keeps_the_rest(tmp_path: Path) -> None:
    book = CapabilityBook(tmp_path / "capabilities.json")
    params = RequestParams(
        model="m", temperature=0.2, seed=3, response_format="json_object", json_schema='{"a":1}'
    )
    assert book.leave_out("p", "m", params) == (params, False)
    assert book.learn("p", "m", "temperature", "no")
    assert not book.learn("p", "m", "temperature", "again")  # known: nothing new
    book.learn("p", "m", "response_format", "no")
    book.learn("p", "m", TOOLS, "no")

    sent, no_tools = book.leave_out("p", "m", params)

    assert no_tools
    assert (sent.temperature, sent.response_format, sent.json_schema) == (None, None, None)
    assert (sent.model, sent.seed) == ("m", 3)
    assert book.leave_out("other provider", "m", params) == (params, False)


def test_the_book_survives_restarts_and_ignores_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "capabilities.json"
    CapabilityBook(path).learn("p", "m", "seed", "Unsupported parameter: 'seed'")
    again = CapabilityBook(path)
    [(provider, model, refusal)] = again.learned()
    assert (provider, model, refusal.param, refusal.message) == (
        "p",
        "m",
        "seed",
        "Unsupported parameter: 'seed'",
    )
    assert json.loads(path.read_text())["refused"]["p"]["m"]["seed"]["message"]

    path.write_text("{not json")
    broken = CapabilityBook(path)
    assert broken.learned() == []
    assert broken.learn("p", "m", "top_p", "no")  # and it writes a good file again
    assert [r.param for _, _, r in CapabilityBook(path).learned()] == ["top_p"]
