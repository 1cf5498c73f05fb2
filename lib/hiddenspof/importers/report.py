"""The ``import-report-<format>.md`` text: what was mapped, guessed and ignored, and what the merge kept."""

from __future__ import annotations

from .draft import Draft
from .merge import MergeOutcome

__all__ = ["render_report"]


def _key(key: tuple[str, ...], table: str = "") -> str:
    if table in ("backup_runs", "restore_tests"):
        return f"`{key[0]}` at `{key[1]}`" + (f" (row {key[2]})" if len(key) > 2 and key[2] else "")
    parts = [k for k in key if k]
    return " -> ".join(f"`{p}`" for p in parts[:2]) + (f" (group `{parts[2]}`)" if len(parts) > 2 else "")


def render_report(draft: Draft, outcomes: dict[str, MergeOutcome], as_of_note: str,
                  history_kept: dict[str, int] | None = None) -> str:
    """Markdown report of an import; a pure function of the draft and the merged state.

    It states the resulting inventory, not the change a run made, so importing the same
    sources twice writes the same bytes (the change is printed on stderr instead).
    """
    lines = ["# Import report", ""]
    lines.append(f"Format: **{draft.fmt}**. Sources: " + ", ".join(f"`{s.split(':', 1)[1]}`" for s in draft.sources) + ".")
    lines.append("")
    lines.append(as_of_note)
    lines.append("")
    history = ""
    if draft.runs or draft.tests:
        history = f", {len(draft.runs)} backup runs and {len(draft.tests)} restore tests"
    lines.append(
        f"This import gives {len(draft.components)} components, {len(draft.dependencies)} dependencies"
        f"{',' if history else ' and'} {len(draft.backups)} backups{history}. Rows the import wrote name"
        " their source in the column `imported_from`; rows without it were added by hand and are never touched."
    )
    for table, count in sorted((history_kept or {}).items()):
        if count:
            lines += ["", f"`{table}.csv` also keeps {count} rows that earlier imports of these sources wrote"
                      " and this one no longer shows: job history accumulates, nothing is deleted."]
    if draft.seen:
        lines += ["", "## Seen in the source", "",
                  "Weaknesses the source itself shows; the analysis finds their consequences.", ""]
        lines += [f"- {item}" for item in sorted(draft.seen)]
    for title, items, why in (
        ("Mapped", draft.mapped, "Read from the source by a documented rule (docs/importers.md)."),
        ("Guessed", draft.guessed, "Inferred, not stated by the source: check each one."),
        ("Ignored", draft.ignored, "In the source but not turned into inventory rows, and why."),
    ):
        lines += ["", f"## {title}", "", why, ""]
        lines += [f"- {item}" for item in sorted(items)] or ["- nothing"]
    removed = [(t, k) for t, o in outcomes.items() for k in o.removed]
    lines += ["", "## No longer in the source (kept, not deleted)", ""]
    lines.append("Rows an earlier import of these sources wrote that this import no longer finds."
                 " They are kept: delete them by hand if they are really gone.")
    lines.append("")
    lines += [f"- {t}: {_key(k, t)}" for t, k in removed] or ["- nothing"]
    kept = [(t, k, c, cur, new) for t, o in outcomes.items() for k, c, cur, new in o.kept]
    lines += ["", "## Hand edits kept over the source", ""]
    lines += [f"- {t} {_key(k, t)} column `{c}`: kept `{cur}`, the source says `{new}`" for t, k, c, cur, new in kept] or ["- nothing"]
    lines += [
        "",
        "## What the analyst completes",
        "",
        *[f"- {item};" for item in sorted(draft.todo)],
        "- set `as_of` in `inventory.yaml` to the assessment date;",
        "- `tier`, `rto_hours`, `rpo_hours` and `data_gb` of the components that matter;",
        "- the backups the source does not show (database dumps, snapshots, replicas), with what a"
        " restore from each needs (store, credentials, keys, restore tool) as dependency rows;",
        "- where the hosts, stores and credentials themselves run (sites, regions, accounts);",
        "- then run `hiddenspof validate` and `hiddenspof analyze`.",
        "",
    ]
    return "\n".join(lines)
