"""A complete report's file in the formats GET /get_report offers: the CSV as stored, or XLSX.

The XLSX is made from the CSV file itself, row by row (openpyxl's write-only mode, so a
140,000-store report never sits in memory as cells): one sheet, the CSV's header frozen
as its first row, store ids as text (a 19-digit id as a number would lose its last
digits) and the six values as numbers, exactly the CSV's (docs/numbers.md rule 8).
"""

from __future__ import annotations

import csv
import io
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

from reports.fleet import CSV_COLUMNS
from reports.models import Report

FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE = "report"
_STORE_ID_WIDTH = 40
_VALUE_WIDTH = 27


class UnknownFormat(ValueError):
    """`format` names no format of a report's file."""

    def __init__(self, given: str):
        super().__init__(f"{given!r} is not a format of a report; one of {', '.join(FORMATS)} (default csv)")


def download_format(given: str | None) -> str:
    """The format a request's `format` parameter asks for: csv when none. Raises UnknownFormat."""
    name = (given or "csv").strip().lower()
    if name not in FORMATS:
        raise UnknownFormat(given or "")
    return name


def report_xlsx(report: Report, out: IO[bytes]) -> None:
    """Write a complete report's XLSX to `out`: its CSV's header and rows, numbers as numbers."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = _STORE_ID_WIDTH
    for letter in "BCDEFG":
        sheet.column_dimensions[letter].width = _VALUE_WIDTH
    bold = Font(bold=True)
    with report.file.open("rb") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        header = next(reader)
        if tuple(header) != CSV_COLUMNS:
            raise ValueError(f"report {report.id}: its file does not start with the report's header")
        sheet.append([_text_cell(sheet, name, font=bold) for name in header])
        for store_id, *values in reader:
            sheet.append([_text_cell(sheet, store_id), *map(float, values)])
    book.save(out)


def _text_cell(sheet, value: str, *, font: Font | None = None) -> Cell:
    """A cell holding `value` as text, never a formula (openpyxl reads a leading "=" as one)."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell
