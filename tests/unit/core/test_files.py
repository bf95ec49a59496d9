"""Files written whole or not at all (kibitz.core.files)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kibitz.core.files import write_atomically


@pytest.mark.parametrize("durable", [False, True])
def test_it_replaces_the_file_whole_and_leaves_nothing_beside_it(
    tmp_path: Path, durable: bool
) -> None:
    target = tmp_path / "cache" / "kept.json"
    write_atomically(target, b"first", durable=durable)  # the folder is made
    write_atomically(target, b"second", durable=durable)
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["kept.json"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # private, as mkstemp makes it


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "kept"
    target.mkdir()  # a folder in the file's place: the rename fails
    (target / "inside").write_bytes(b"old")
    with pytest.raises(IsADirectoryError):
        write_atomically(target, b"new")
    assert (target / "inside").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]
