"""Reading the CSV files people make, and writing CSV that spreadsheets open safely.

Reading is strict but helpful: UTF-8 with or without a byte-order mark, UTF-16
with one, or an encoding the caller names; comma, semicolon or tab delimiters;
columns found by header name in any order. Every problem is reported with the
spreadsheet row number a person sees (the header is row 1) and the column.

Writing neutralises formulas: a ``=``, ``+``, ``-``, ``@``, tab or carriage return
that starts a text cell, or follows a ``;``, ``,``, tab or line break inside it, gets
a ``'`` before it (OWASP CSV injection), so opening an export never runs a
colleague's "name" as a formula, whatever delimiter the spreadsheet splits on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from engagement.errors import Problem, ValidationError

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_CELL = 10_000
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")
# Where a spreadsheet may start a cell (the start, or after a separator it might split on),
# followed by a character that makes that cell a formula.
_FORMULA_START = re.compile(r"(?:^|(?<=[;,\t\r\n]))(?=[=+\-@\t\r])")

csv.field_size_limit(MAX_BYTES)


@dataclass(frozen=True)
class Table:
    """A parsed file: each row keeps its spreadsheet row number."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    delimiter: str

    @property
    def decimal_comma(self) -> bool:
        """Semicolon files come from locales that write 1,5 for one and a half."""
        return self.delimiter == ";"


def decode(data: bytes, encoding: str | None = None) -> str:
    """Bytes to text; refuse anything that would be stored as mojibake."""
    if len(data) > MAX_BYTES:
        raise _file_problem(
            f"is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB, "
            "so split it into smaller files"
        )
    if not data.strip():
        raise _file_problem("is empty")
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise _file_problem(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as e:
            raise _file_problem(_decode_message(data, e, encoding)) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _file_problem(
            _decode_message(data, e, "UTF-8")
            + "; in Excel choose 'CSV UTF-8', or name the encoding (e.g. --encoding cp1252)"
        ) from None


def _decode_message(data: bytes, error: UnicodeDecodeError, encoding: str) -> str:
    line = data[: error.start].count(b"\n") + 1
    byte = data[error.start : error.start + 1].hex()
    return f"is not {encoding} (byte 0x{byte} on line {line})"


def _file_problem(message: str, row: int | None = None) -> ValidationError:
    return ValidationError([Problem("file", message, row)])


def read_table(
    data: bytes,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    encoding: str | None = None,
) -> Table:
    """Parse ``data`` into rows keyed by column name, or raise every problem found."""
    content = decode(data, encoding)
    if not content.strip():  # only a byte-order mark: what Excel saves for an empty sheet
        raise _file_problem("is empty")
    if "\x00" in content:
        line = content[: content.index("\x00")].count("\n") + 1
        raise _file_problem(f"contains a NUL byte on line {line}; is this really a CSV file?")
    known = list(required) + list(optional)
    delimiter = _sniff_delimiter(content, known)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as e:
        raise _file_problem(f"has no readable header ({e})", 1) from None
    columns = [name.strip() for name in header]
    _check_header(columns, required, known)
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    row_number = 1
    try:
        for record in reader:
            row_number += 1
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise _file_problem(f"has more than {MAX_ROWS:,} rows; split it into smaller files")
            problems.extend(_check_record(record, columns, row_number))
            rows.append((row_number, dict(zip(columns, (cell.strip() for cell in record), strict=False))))
    except csv.Error as e:
        problems.append(Problem("file", f"cannot be read here ({e})", row_number))
    if problems:
        raise ValidationError(problems)
    if not rows:
        raise _file_problem("has a header but no rows", 1)
    return Table(columns, rows, delimiter)


def _sniff_delimiter(content: str, known: Sequence[str]) -> str:
    first_line = content.splitlines()[0] if content else ""
    scores = {d: sum(1 for name in first_line.split(d) if name.strip().strip('"') in known) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])
    return best if scores[best] else ","


def _check_header(columns: list[str], required: Sequence[str], known: Sequence[str]) -> None:
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            problems.append(Problem(name or "(blank)", "column appears more than once", 1))
        seen.add(name)
        if name not in known:
            hint = "; is the delimiter right?" if any(d in name for d in DELIMITERS) else ""
            problems.append(Problem(name or "(blank)", f"unknown column (known columns: {', '.join(known)}){hint}", 1))
    for name in required:
        if name not in seen:
            problems.append(Problem(name, "missing column", 1))
    if problems:
        raise ValidationError(problems)


def _check_record(record: list[str], columns: list[str], row: int) -> list[Problem]:
    problems: list[Problem] = []
    if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns) :]):
        problems.append(Problem("file", f"has {len(record)} cells but the header has {len(columns)}", row))
    for name, cell in zip(columns, record, strict=False):
        if len(cell) > MAX_CELL:
            problems.append(Problem(name, f"is {len(cell):,} characters long; the limit is {MAX_CELL:,}", row))
    return problems


def neutralise(value: object) -> object:
    """Make a text cell inert in spreadsheets; leave numbers alone.

    A ``'`` goes before every formula trigger that starts the cell *or* follows a ``;``, ``,``,
    tab or line break: a spreadsheet that splits the cell on one of those (``Ana;+1+1`` opened
    with ``;`` as delimiter) would otherwise start a new cell with a formula.
    """
    if isinstance(value, str):
        return _FORMULA_START.sub("'", value)
    return value


def write_csv(rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> str:
    """CSV text with a header, RFC 4180 quoting and formula-safe text cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else neutralise(row.get(c)) for c in columns])
    return out.getvalue()
