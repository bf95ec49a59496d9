"""`kibitz ask --json-schema FILE`: the schema goes as OpenAI's json_schema response format,
the conversation keeps it, --dry-run shows it, and a bad file stops with exit 2 and why."""

from __future__ import annotations

import json
from pathlib import Path

from kibitz.cli.commands import EXIT_USAGE
from tests.integration.cli_support import cli_env, run_cli, stored
from tests.support.fake_openai import FakeOpenAI, Reply

CITY = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}
ANSWER = '{"city": "Paris", "country": "France"}'


def _schema_file(tmp_path: Path, schema: object, name: str = "city.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


def _ask(basedir: Path, server: FakeOpenAI, *args: str) -> tuple[int, str, str]:
    result = run_cli(["--basedir", str(basedir), "ask", *args], env=cli_env(base_url=server.url))
    return result.returncode, result.stdout, result.stderr


def test_the_schema_is_sent_and_kept_by_the_conversation(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.script(Reply(text=ANSWER), Reply(text='{"city": "Rome", "country": "Italy"}'))
    schema = _schema_file(tmp_path, CITY)
    code, out, err = _ask(basedir, fake_openai, "--json-schema", str(schema), "Capital of France?")
    assert (code, out, err) == (0, ANSWER + "\n", "")
    expected = {
        "type": "json_schema",
        "json_schema": {"name": "city", "schema": CITY, "strict": True},
    }
    assert fake_openai.chat_requests[0].body["response_format"] == expected
    # A follow-up without the flag still asks for the schema: the conversation kept it.
    (conversation,) = stored(basedir)
    code, _, _ = _ask(basedir, fake_openai, "-c", str(conversation.conversation.id), "Italy?")
    assert code == 0
    assert fake_openai.chat_requests[1].body["response_format"] == expected


def test_dry_run_prints_the_response_format(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    schema = _schema_file(tmp_path, {"name": "place", "schema": CITY, "strict": False}, "w.json")
    code, out, err = _ask(
        basedir, fake_openai, "--dry-run", "--json-schema", str(schema), "Capital of France?"
    )
    assert code == 0, err
    assert json.loads(out)["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "place", "schema": CITY, "strict": False},
    }
    assert '  json_schema = "place" (this request)' in err.splitlines()
    assert fake_openai.chat_requests == []


def test_strict_mode_problems_are_told_and_the_question_still_goes(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.script(Reply(text=ANSWER))
    loose = {"type": "object", "properties": {"city": {"type": "string"}}}
    code, out, err = _ask(
        basedir, fake_openai, "--json-schema", str(_schema_file(tmp_path, loose)), "Where?"
    )
    assert (code, out) == (0, ANSWER + "\n")
    assert err.splitlines() == [
        "kibitz: OpenAI's strict mode may refuse this schema:",
        '  At the root: set "additionalProperties": false (strict mode refuses an object '
        "schema without it).",
        '  At the root: "city" missing from "required" (strict mode needs every property '
        'there; for an optional one allow "null" in its type).',
    ]


def test_a_bad_file_stops_with_exit_2_and_says_why(
    basedir: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "object", "properties": {', encoding="utf-8")
    code, out, err = _ask(basedir, fake_openai, "--json-schema", str(broken), "Where?")
    assert (code, out) == (EXIT_USAGE, "")
    first, hint = err.splitlines()
    assert first.startswith(f"kibitz: {broken} is not a usable JSON Schema: This is not valid JSON")
    assert hint.startswith("  Fix the file")
    missing = tmp_path / "nowhere.json"
    code, _, err = _ask(basedir, fake_openai, "--json-schema", str(missing), "Where?")
    assert code == EXIT_USAGE
    assert err.splitlines()[0] == (
        f"kibitz: Cannot read the JSON Schema file {missing}: No such file or directory"
    )
    assert fake_openai.chat_requests == []
    assert stored(basedir) == []
