"""Reading the CSV files people make, and writing CSV that spreadsheets open safely."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from engagement import csvio
from engagement.csvio import read_table, write_csv
from engagement.errors import ValidationError

REQUIRED = ("email", "challenge", "quantity", "occurred_on")
OPTIONAL = ("ref", "note", "status")
ROWS = [
    (2, {"email": "ana@example.org", "challenge": "home-energy", "quantity": "1.5", "occurred_on": "2026-03-10"}),
    (3, {"email": "ben@example.org", "challenge": "home-energy", "quantity": "2", "occurred_on": "2026-03-11"}),
]
TEXT = (
    "email,challenge,quantity,occurred_on\n"
    "ana@example.org,home-energy,1.5,2026-03-10\n"
    "ben@example.org,home-energy,2,2026-03-11\n"
)


def _problems(data: bytes, **kw: object) -> list[str]:
    with pytest.raises(ValidationError) as error:
        read_table(data, REQUIRED, OPTIONAL, **kw)  # type: ignore[arg-type]
    return [str(p) for p in error.value.problems]


# -- encodings and delimiters ----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with a byte-order mark, as Excel's "Unicode text"
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16 LE with BOM", "utf-16 BE with BOM", "CRLF"],
)
def test_every_supported_encoding_reads_the_same_rows(data: bytes) -> None:
    table = read_table(data, REQUIRED, OPTIONAL)
    assert table.columns == list(REQUIRED)
    assert table.rows == ROWS
    assert (table.delimiter, table.decimal_comma) == (",", False)


def test_semicolon_files_are_read_with_decimal_commas() -> None:
    data = b"occurred_on;quantity;email;challenge\n2026-03-10;1,5;ana@example.org;home-energy\n"
    table = read_table(data, REQUIRED, OPTIONAL)
    assert (table.delimiter, table.decimal_comma) == (";", True)
    assert table.rows == [(2, {**ROWS[0][1], "quantity": "1,5"})]


def test_cp1252_without_an_encoding_is_refused_naming_the_byte_and_line() -> None:
    data = b"email,challenge,quantity,occurred_on,note\nana@example.org,home-energy,1,2026-03-10,ok\n"
    data += "ben@example.org,home-energy,2,2026-03-11,Ben’s café\n".encode("cp1252")
    assert _problems(data) == [
        "file: is not UTF-8 (byte 0x92 on line 3); in Excel choose 'CSV UTF-8', "
        "or name the encoding (e.g. --encoding cp1252)"
    ]
    table = read_table(data, REQUIRED, OPTIONAL, encoding="cp1252")
    assert table.rows[1][1]["note"] == "Ben’s café"


def test_a_wrong_or_unknown_encoding_is_reported() -> None:
    assert _problems(TEXT.encode("utf-8"), encoding="klingon") == ["file: unknown encoding 'klingon'"]
    assert _problems("email,é\n".encode("utf-16-le"), encoding="ascii")[0].startswith("file: is not ascii (byte 0x")


# -- structure -------------------------------------------------------------------


def test_an_empty_file_is_refused() -> None:
    assert _problems(b"") == ["file: is empty"]
    assert _problems(b"  \n\n") == ["file: is empty"]
    assert _problems(codecs.BOM_UTF8) == ["file: is empty"]
    assert _problems(codecs.BOM_UTF16_LE + " \r\n".encode("utf-16-le")) == ["file: is empty"]


def test_a_header_without_rows_is_refused() -> None:
    assert _problems(b"email,challenge,quantity,occurred_on\n\n") == ["row 1: file: has a header but no rows"]


def test_missing_unknown_and_repeated_columns_are_each_reported() -> None:
    data = b"email,quantity,quantity,Occurred_on,notes2\nana@example.org,1,1,2026-03-10,x\n"
    known = "email, challenge, quantity, occurred_on, ref, note, status"
    assert _problems(data) == [
        "row 1: quantity: column appears more than once",
        f"row 1: Occurred_on: unknown column (known columns: {known})",
        f"row 1: notes2: unknown column (known columns: {known})",
        "row 1: challenge: missing column",
        "row 1: occurred_on: missing column",
    ]


def test_columns_may_come_in_any_order_and_optional_ones_may_be_absent() -> None:
    data = b"occurred_on,note,quantity,challenge,email\n2026-03-10,hi,1.5,home-energy,ana@example.org\n"
    table = read_table(data, REQUIRED, OPTIONAL)
    assert table.rows == [(2, {**ROWS[0][1], "note": "hi"})]


def test_row_numbers_are_spreadsheet_rows() -> None:
    """Blank lines count; a quoted cell over several lines is one row, as in a spreadsheet."""
    data = (
        b"email,challenge,quantity,occurred_on,note\n"
        b"ana@example.org,home-energy,1,2026-03-10,ok\n"
        b"\n"
        b'ana@example.org,home-energy,1,2026-03-10,"two\nlines, and a comma"\n'
        b"ben@example.org,home-energy,2,2026-03-11,\n"
        b"   \n"
    )
    table = read_table(data, REQUIRED, OPTIONAL)
    assert [number for number, _ in table.rows] == [2, 4, 5]
    assert table.rows[1][1]["note"] == "two\nlines, and a comma"


def test_a_row_with_more_cells_than_the_header_is_reported() -> None:
    data = b"email,challenge,quantity,occurred_on\nana@example.org,home-energy,1,2026-03-10,surprise\n"
    assert _problems(data) == ["row 2: file: has 5 cells but the header has 4"]


def test_a_huge_cell_is_reported_not_a_traceback() -> None:
    data = b"email,challenge,quantity,occurred_on,note\nana@example.org,home-energy,1,2026-03-10," + b"x" * 200_000
    assert _problems(data) == ["row 2: note: is 200,000 characters long; the limit is 10,000"]


def test_a_nul_byte_is_reported() -> None:
    data = b"email,challenge,quantity,occurred_on\nana@example.org,home\x00energy,1,2026-03-10\n"
    assert _problems(data) == ["file: contains a NUL byte on line 2; is this really a CSV file?"]


def test_a_file_over_the_size_limit_is_refused_before_reading() -> None:
    data = TEXT.encode() + b" " * csvio.MAX_BYTES
    assert _problems(data) == ["file: is 20.0 MB; the limit is 20 MB, so split it into smaller files"]


def test_a_file_over_the_row_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvio, "MAX_ROWS", 1)
    assert _problems(TEXT.encode()) == ["file: has more than 1 rows; split it into smaller files"]


# -- writing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("Ana;+1+1", "Ana;'+1+1"),
        ("x,=1", "x,'=1"),
        ("a\t=1", "a\t'=1"),
        ("a\n=1", "a\n'=1"),
        ("a\r\n@SUM(A1)", "a\r\n'@SUM(A1)"),
        ("=1;-2", "'=1;'-2"),
        ("a\t\t=1", "a\t'\t'=1"),
        ("Ana - Ben; x", "Ana - Ben; x"),
    ],
)
def test_a_formula_after_a_separator_is_neutralised_too(cell: str, safe: str) -> None:
    """A spreadsheet splitting on ; , tab or newline must not start any cell with a formula."""
    assert csvio.neutralise(cell) == safe
    for separator in (";", ",", "\t", "\n", "\r"):
        pieces = str(csvio.neutralise(cell)).split(separator)
        assert not any(p.startswith(csvio.FORMULA_TRIGGERS[:4]) for p in pieces), (cell, separator)


def test_exports_neutralise_formulas_in_text_but_not_numbers() -> None:
    names = ['=HYPERLINK("http://evil")', "+1", "-3", "@SUM(A1)", "\tTabbed", "\rReturned", "Ana Silva"]
    points = [1.5, -2.0, 0, 4, -5, 6.25, None]
    text = write_csv([{"name": n, "points": p} for n, p in zip(names, points, strict=True)], ("name", "points"))
    cells = list(csv.reader(io.StringIO(text, newline="")))
    assert cells == [
        ["name", "points"],
        ['\'=HYPERLINK("http://evil")', "1.5"],
        ["'+1", "-2.0"],
        ["'-3", "0"],
        ["'@SUM(A1)", "4"],
        ["'\tTabbed", "-5"],
        ["'\rReturned", "6.25"],
        ["Ana Silva", ""],
    ]
