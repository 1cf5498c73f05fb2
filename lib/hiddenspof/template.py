"""A blank intake workbook: every sheet and column, what each means, drop-downs for allowed values."""

from __future__ import annotations

from pathlib import Path

from .inventory import META_KEYS, REQUIRED_TABLES, TABLES, Column

__all__ = ["ADMIN_EXAMPLES", "DEPENDENCY_KINDS", "EXAMPLES_SHEET", "write_template"]

_META_HELP = {
    "name": "environment name shown in reports (required)",
    "as_of": "ISO date of the assessment, e.g. 2026-09-30 (required); every age is measured from it",
    "organisation": "client name",
    "description": "free text",
    "scenarios": "optional YAML list: - {name: ..., fail: [component ids], mode: ...}",
}
_ROWS_WITH_VALIDATION = 2000
#: Worked examples of ``admin`` rows, written under the dependencies header: who can
#: administer what, without being needed to run it (the contract's "Administrative rows").
ADMIN_EXAMPLES = (
    ("veeam-server", "domain-admins", "admin",
     "a domain admin can wipe every domain-joined server (one row per joined server); not a requirement"),
    ("erp-vm", "vcenter", "admin",
     "vCenter can delete or encrypt the VMs it manages (one row per VM); they keep running without it"),
    ("orders-bucket", "aws-root", "admin",
     "a cloud account's root can delete every resource of the account, backups included unless locked"),
)
#: Sheet with the worked examples (the loader reads only the table sheets and ``inventory``).
EXAMPLES_SHEET = "examples"
#: Suggested dependency kinds (free text: any other value is accepted).
DEPENDENCY_KINDS = ("runtime", "storage", "network", "identity", "control", "location", "keys",
                    "monitoring", "alerting", "restore", "admin")
_ADMIN_NOTE = (
    "\nadmin: depends_on can ADMINISTER component (delete, encrypt, reconfigure) but component does not "
    "need it to run. Not a requirement: it counts only for credential compromise (whoever holds "
    "depends_on reaches component). Examples: a domain admin over domain-joined servers, vCenter over "
    "its VMs, a cloud account's root over its resources. group and needs are ignored on admin rows."
)


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
            text = _note(col, table) + (_ADMIN_NOTE if (table, col.name) == ("dependencies", "kind") else "")
            comment = Comment(text, "hiddenspof")
            comment.width, comment.height = 300, 220 if text != _note(col, table) else 120
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
        if table == "dependencies":
            letter = get_column_letter(next(i for i, c in enumerate(columns, start=1) if c.name == "kind"))
            dv = DataValidation(type="list", formula1='"' + ",".join(DEPENDENCY_KINDS) + '"', allow_blank=True)
            dv.showErrorMessage = False  # a suggestion: kind is free text
            dv.prompt = "admin: depends_on can administer component, which does not need it (see the examples sheet)"
            dv.showInputMessage = True
            sheet.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{_ROWS_WITH_VALIDATION}")
        sheet.freeze_panes = "A2"
        if table in REQUIRED_TABLES:
            sheet.sheet_properties.tabColor = "1F4E79"
    guide = book.create_sheet(EXAMPLES_SHEET)
    guide.append(["Admin rows: copy such rows into the dependencies sheet (this sheet is not read)."])
    guide.append(["component", "depends_on", "kind", "notes"])
    for row in ADMIN_EXAMPLES:
        guide.append(list(row))
    for cell in guide[2]:
        cell.font = bold
    for letter, width in zip("ABCD", (22, 18, 8, 100)):
        guide.column_dimensions[letter].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
