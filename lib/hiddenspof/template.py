"""A blank intake workbook: every sheet and column, what each means, drop-downs for allowed values."""

from __future__ import annotations

from pathlib import Path

from .inventory import META_KEYS, REQUIRED_TABLES, TABLES, Column

__all__ = ["write_template"]

_META_HELP = {
    "name": "environment name shown in reports (required)",
    "as_of": "ISO date of the assessment, e.g. 2026-09-30 (required); every age is measured from it",
    "organisation": "client name",
    "description": "free text",
    "scenarios": "optional YAML list: - {name: ..., fail: [component ids], mode: ...}",
}
_ROWS_WITH_VALIDATION = 2000


def _note(col: Column, table: str) -> str:
    """The header note of one column: meaning, type and whether it is required."""
    from .inventory import _type_expected

    kind = _type_expected(col) if col.type not in ("text", "id") else ("an id" if col.type == "id" else "text")
    need = "required" if col.required else "optional (empty = not known)"
    return f"{col.help}.\nValue: {kind}.\n{need.capitalize()}."


def write_template(path: str | Path) -> Path:
    """Write the blank intake workbook to ``path`` (an ``.xlsx``) and return the path.

    Each table gets a sheet whose header cells carry a note explaining the
    column; enumerated and boolean columns get drop-down validation.
    """
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    book = openpyxl.Workbook()
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFE699")
    ws = book.active
    ws.title = "inventory"
    ws.append(["key", "value"])
    for key in META_KEYS:
        ws.append([key, None])
    for row, key in enumerate(META_KEYS, start=2):
        ws.cell(row=row, column=1).comment = Comment(_META_HELP[key], "hiddenspof")
    for cell in ws[1]:
        cell.font = bold
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 60
    for table, columns in TABLES.items():
        sheet = book.create_sheet(table)
        sheet.append([c.name for c in columns])
        for index, col in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font = bold
            if col.required:
                cell.fill = required_fill
            comment = Comment(_note(col, table), "hiddenspof")
            comment.width, comment.height = 300, 120
            cell.comment = comment
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(col.name) + 4)
            choices: tuple[str, ...] = ()
            if col.type == "enum":
                choices = col.choices
            elif col.type == "bool":
                choices = ("true", "false")
            if choices:
                dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=not col.required)
                dv.error = f"{col.name} must be one of: {', '.join(choices)}"
                dv.errorTitle = "Not an allowed value"
                dv.prompt = col.help
                dv.showErrorMessage = True
                sheet.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}{_ROWS_WITH_VALIDATION}")
        sheet.freeze_panes = "A2"
        if table in REQUIRED_TABLES:
            sheet.sheet_properties.tabColor = "1F4E79"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
