"""Reading JSON lines that a crash, a disk or a hand edit damaged: quarantine, warn once, carry on."""

import json
import warnings

import pytest

from piimask.core.io import (
    DamagedLineWarning,
    JsonlAppender,
    damaged_path,
    read_jsonl,
    read_records,
    read_table,
    scan_jsonl,
)

GOOD = [{"id": str(i), "source_text": f"Café n°{i}"} for i in range(3)]
CUT_UTF8 = json.dumps({"id": "x", "source_text": "Café"}, ensure_ascii=False).encode()[:-3]  # inside "é"
DAMAGE = {  # kind -> (raw line, words of the reason)
    "invalid JSON": (b'{"id": "pm-1", "source_', "not valid JSON"),
    "garbage": (b"#### garbage ####", "not valid JSON"),
    "cut inside a multi-byte character": (CUT_UTF8, "invalid UTF-8"),
    "invalid UTF-8": (b'{"id": "\xff\xfe"}', "invalid UTF-8"),
    "NUL bytes": (b"\x00" * 64, "NUL bytes"),
    "not an object": (b"[1, 2, 3]", "not a JSON object"),
}


def write_lines(path, lines: list[bytes], final_newline: bool = True):
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))


def good_lines() -> list[bytes]:
    return [json.dumps(r, ensure_ascii=False).encode() for r in GOOD]


def quarantined(path) -> list[dict]:
    return [json.loads(line) for line in damaged_path(path).read_text().splitlines()]


@pytest.mark.parametrize("kind", DAMAGE)
@pytest.mark.parametrize("position", [0, 1, 3])  # first, middle, last line
@pytest.mark.parametrize("final_newline", [True, False])
def test_a_damaged_line_anywhere_is_quarantined_with_one_warning(tmp_path, kind, position, final_newline):
    raw, reason = DAMAGE[kind]
    lines = good_lines()
    lines.insert(position, raw)
    path = tmp_path / "generated.jsonl"
    write_lines(path, lines, final_newline)
    with pytest.warns(DamagedLineWarning) as caught:
        rows = read_jsonl(path)
    assert rows == GOOD
    assert len(caught) == 1 and "generated.jsonl" in str(caught[0].message) and reason in str(caught[0].message)
    [q] = quarantined(path)
    assert q["line"] == position + 1 and reason in q["reason"]
    assert q["raw"].encode("utf-8", "surrogateescape") == raw  # the damaged bytes, kept as they were
    with warnings.catch_warnings():  # the file was repaired: the next read is clean and silent
        warnings.simplefilter("error")
        assert read_jsonl(path) == GOOD
    assert len(quarantined(path)) == 1


def test_several_damaged_lines_are_reported_in_one_warning(tmp_path):
    path = tmp_path / "f.jsonl"
    lines = good_lines()
    write_lines(path, [lines[0], b"oops", lines[1], b"\x00\x00", lines[2], CUT_UTF8], final_newline=False)
    with pytest.warns(DamagedLineWarning, match=r"3 damaged line\(s\)") as caught:
        read = scan_jsonl(path)
    assert len(caught) == 1 and read.rows == GOOD
    assert [d.line for d in read.damaged] == [2, 4, 6] and "cut short by a crash" in read.damaged[-1].reason
    assert [q["line"] for q in quarantined(path)] == [2, 4, 6]


def test_appender_quarantines_a_cut_multibyte_last_line_and_appends_cleanly(tmp_path):
    path = tmp_path / "generated.jsonl"
    write_lines(path, good_lines() + [CUT_UTF8], final_newline=False)
    with pytest.warns(DamagedLineWarning, match="generated.jsonl"):
        out = JsonlAppender(path)
    with out:
        out.write({"id": "new", "source_text": "Ünïcode"})
    assert out.quarantined == 1 and read_jsonl(path) == GOOD + [{"id": "new", "source_text": "Ünïcode"}]
    assert quarantined(path)[0]["line"] == 4


def test_appender_keeps_a_good_last_row_written_without_its_newline(tmp_path):
    path = tmp_path / "f.jsonl"
    write_lines(path, good_lines(), final_newline=False)
    with JsonlAppender(path) as out:
        out.write({"id": "3"})
    assert out.quarantined == 0 and [r["id"] for r in read_jsonl(path)] == ["0", "1", "2", "3"]
    assert not damaged_path(path).exists()


def test_a_row_that_is_no_record_is_quarantined_by_read_records(tmp_path):
    path = tmp_path / "generated.jsonl"
    write_lines(path, good_lines()[:1] + [b'{"unrelated": true}'] + good_lines()[1:])
    with pytest.warns(DamagedLineWarning, match="not a valid row"):
        recs = read_records(path)
    assert [r.id for r in recs] == ["0", "1", "2"]
    assert quarantined(path)[0]["line"] == 2


def test_files_piimask_does_not_own_are_never_rewritten(tmp_path):
    path = tmp_path / "downloaded.jsonl"
    write_lines(path, good_lines() + [b"{broken"])
    before = path.read_bytes()
    with pytest.warns(DamagedLineWarning, match="skipped"):
        rows = read_table(path)
    assert rows == GOOD and path.read_bytes() == before and not damaged_path(path).exists()
