"""The ``hiddenspof`` command: parses arguments, calls one library function, maps errors to exit codes.

Exit codes follow ``docs/command-line.md``: 0 success, 1 invalid input or a
failed environment, 2 usage error, 3 a finding at or above ``--fail-on``.
No command prints a Python traceback for bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import HiddenspofError, InventoryError, UsageError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_FINDINGS = 0, 1, 2, 3


def _print_problems(err: InventoryError, stream=None) -> None:
    stream = stream or sys.stderr
    for problem in err.problems:
        print(problem, file=stream)
    errors = sum(p.severity == "error" for p in err.problems)
    print(f"{errors} problem{'s' if errors != 1 else ''} found.", file=stream)


def _load(path: str):
    from .inventory import load

    return load(path)


def cmd_validate(args: argparse.Namespace) -> int:
    """Load an inventory and print every problem (and warning)."""
    try:
        inv = _load(args.path)
    except InventoryError as err:
        _print_problems(err, sys.stdout)
        return EXIT_INVALID
    for warning in inv.warnings:
        print(warning)
    counts = f"{len(inv.components)} components, {len(inv.dependencies)} dependencies, {len(inv.backups)} backups, {len(inv.backup_runs)} job runs, {len(inv.restore_tests)} restore tests"
    print(f"{args.path}: valid ({counts}; as_of {inv.meta.as_of.isoformat()}).")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    """Run every analysis and write the contract's JSON."""
    from . import analysis
    from .findings import severity_rank

    try:
        inv = _load(args.path)
    except InventoryError as err:
        _print_problems(err)
        return EXIT_INVALID
    result = analysis.analyze(inv)
    if args.json in (None, "-"):
        analysis.write(result, sys.stdout)
    else:  # written as it is made: the whole text is never held (650 MB at 20,000 components)
        _atomic_write_with(Path(args.json), lambda f: analysis.write(result, f))
    if args.fail_on:
        limit = severity_rank(args.fail_on)
        worst = [f for f in result["findings"] if severity_rank(f["severity"]) <= limit]
        if worst:
            print(f"{len(worst)} finding(s) at or above '{args.fail_on}'.", file=sys.stderr)
            return EXIT_FINDINGS
    return EXIT_OK


def _atomic_write(path: Path, text: str) -> None:
    """Write a text file through a temporary file and a rename: never half written."""
    _atomic_write_with(path, lambda f: f.write(text))


def _atomic_write_with(path: Path, fill) -> None:
    """Let ``fill`` write a text file (UTF-8) through a temporary file and a rename: never half written; the
    temporary file is removed if ``fill`` fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            fill(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cmd_report(args: argparse.Namespace) -> int:
    """Render every environment's notebooks into a report folder."""
    from . import report

    return report.render(args.paths, args.out, jobs=args.jobs, scheduler=args.scheduler, baseline=args.baseline,
                         formats=args.formats, docx_template=args.docx_template, frameworks=args.framework,
                         paper=args.paper, detail=args.detail, firm=args.firm)


def cmd_template(args: argparse.Namespace) -> int:
    """Write a blank intake workbook."""
    from . import template

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"the template is an Excel workbook: OUT must end in .xlsx (got '{args.out}')")
    template.write_template(out)
    print(f"wrote {out}")
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic estate as a CSV folder."""
    from . import synth

    if args.fleet is not None:
        if args.health is not None:
            raise UsageError("--fleet spreads health from fragile to healthy itself: leave out --health")
        folders = synth.write_fleet(args.out, args.fleet, args.components, first_seed=args.seed)
        print(f"wrote {len(folders)} estates into {args.out}")
        return EXIT_OK
    synth.write_estate(args.out, args.components, seed=args.seed, health=args.health)
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import an inventory from what the client already has."""
    from . import importers

    result = importers.run(args.format, args.sources, args.out, into=args.into, as_of=args.as_of, stderr=sys.stderr,
                           date_format=args.date_format)
    if result is not None:
        summary = getattr(result, "summary", None)
        print(summary() if callable(summary) else f"wrote {args.out}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Export the dependency graph (GraphML) or fault trees (Open-PSA MEF)."""
    from . import exchange

    try:
        inv = _load(args.path)
    except InventoryError as err:
        _print_problems(err)
        return EXIT_INVALID
    if args.format == "graphml":
        exchange.write_graphml(inv, args.out)
    elif args.format == "opengraph":
        _export_opengraph(inv, args.out)
    else:
        skipped = exchange.write_mef(inv, args.out, asset=args.asset) or []
        for item in skipped:
            print(f"skipped: {item}", file=sys.stderr)
    print(f"wrote {args.out}")
    return EXIT_OK


def _export_opengraph(inv, out: str) -> None:
    """The backup infrastructure and its attack paths as BloodHound CE OpenGraph JSON."""
    from . import opengraph

    opengraph.write_opengraph(inv, out)


def cmd_new(args: argparse.Namespace) -> int:
    """Create an engagement workspace."""
    from . import workspace

    folder = workspace.create(args.dir)
    print(f"created the workspace {folder}; next: read {folder / 'README.md'}")
    return EXIT_OK


def cmd_lab(args: argparse.Namespace) -> int:
    """Open JupyterLab on a folder (a workspace); replaces this process with JupyterLab."""
    folder = Path(args.dir).absolute()
    if not folder.is_dir():
        raise UsageError(f"no folder {folder}: create a workspace first with `hiddenspof new {args.dir}`")
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}", *args.lab_args]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(sys.executable, command)  # Ctrl-C and the exit status belong to JupyterLab itself
    import subprocess

    return subprocess.call(command)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare two assessments: what improved and what regressed."""
    from . import compare

    result = compare.compare(args.old, args.new)
    if args.json:
        import json

        text = json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
            return EXIT_OK
        _atomic_write(Path(args.json), text)
    print(compare.format_text(result))
    return EXIT_OK


def cmd_controls(args: argparse.Namespace) -> int:
    """Judge the estate against control frameworks (built-in or a policy file); JSON and CSV for GRC tools."""
    import json

    from . import analysis, controls

    frameworks = controls.load_frameworks(args.framework)  # a bad policy file: its problems, exit 1
    if args.path.lower().endswith(".json"):  # a stored assessment, judged again
        from .compare import load_assessment

        result = load_assessment(args.path)
    else:
        try:
            inv = _load(args.path)
        except InventoryError as err:
            _print_problems(err)
            return EXIT_INVALID
        result = analysis.analyze(inv)
    doc = controls.evaluate(result, frameworks)
    if args.json:
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            _atomic_write(Path(args.json), text)
    if args.csv:
        _atomic_write(Path(args.csv), controls.controls_csv(doc))
    if args.json != "-":
        print(controls.format_text(doc))
    if args.fail_on == "not_met":
        failed = [c for c in doc["controls"] if c["status"] == "not_met"]
        if failed:
            print(f"{len(failed)} control(s) not met.", file=sys.stderr)
            return EXIT_FINDINGS
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    """Apply the fixes of named findings (or every verified one) to a copy of the inventory; re-analyse it."""
    import json

    from . import analysis, fixapply

    inv = _load(args.path)
    if args.analysis:
        try:
            result = json.loads(Path(args.analysis).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise fixapply.ApplyError(f"cannot read the analysis JSON {args.analysis}: {err}") from None
        if not isinstance(result, dict) or not isinstance(result.get("findings"), list):
            raise fixapply.ApplyError(f"{args.analysis} is not an analysis JSON: expected a 'findings' list")
    else:
        result = analysis.analyze(inv)
    outcome = fixapply.apply_fixes(inv, result, args.fix)
    fixapply.write_inventory(outcome.inventory, args.out)
    for line in outcome.lines():
        print(line)
    print(f"changed inventory written to {args.out}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="hiddenspof",
        description="Resilience assessment workbook: find backups that fail together with what they protect.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="load an inventory (folder, .xlsx or .yaml) and print every problem")
    p.add_argument("path", help="inventory: a folder with inventory.yaml and CSV files, an .xlsx workbook or a .yaml file")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("analyze", help="run every analysis and write the analysis JSON")
    p.add_argument("path", help="inventory path")
    p.add_argument("--json", metavar="OUT", help="where to write the JSON ('-' or absent: standard output)")
    p.add_argument("--fail-on", metavar="SEVERITY", choices=["critical", "high", "medium", "low", "info"],
                   help="exit 3 when a finding is at or above this severity")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("report", help="render each environment's notebooks into DIR and write DIR/index.html")
    p.add_argument("paths", nargs="+", metavar="PATH", help="inventory paths, one per environment")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="environments rendered in parallel processes")
    p.add_argument("--scheduler", metavar="ADDRESS", help="submit environments to this Dask distributed scheduler")
    p.add_argument("--baseline", metavar="DIR", help="an earlier report folder: adds a comparison section")
    p.add_argument("--formats", default="html", metavar="LIST",
                   help="comma-separated html,pdf,docx: also write report.pdf (printed by Chromium) and report.docx")
    p.add_argument("--docx-template", metavar="FIRM.docx",
                   help="the firm's Word template for report.docx (styles, cover page, headers are kept)")
    p.add_argument("--framework", action="append", metavar="NAME_OR_FILE",
                   help="add a Controls section and a fleet-index column for this framework (dora, nis2, iso27001, "
                        "nist-csf-2, cis-v8, hipaa or a policy .yaml; repeat)")
    p.add_argument("--paper", default="a4", choices=["a4", "letter"],
                   help="paper of report.pdf and report.docx alike (default a4)")
    p.add_argument("--detail", default="summary", choices=["summary", "full"],
                   help="summary: the client deliverable (high findings, tier-1 pages); full: everything")
    p.add_argument("--firm", metavar="NAME",
                   help="the author's firm on the cover (default: the --docx-template's company or title)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("template", help="write a blank intake workbook with every sheet, column and allowed value")
    p.add_argument("out", metavar="OUT.xlsx")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("synth", help="write a synthetic but realistic inventory as a CSV folder")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--components", type=int, required=True, metavar="N", help="about how many components")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (same seed, same estate)")
    p.add_argument("--health", type=float, metavar="H",
                   help="0 (fragile) to 1 (healthy): separation, verification, immutability (absent: the original mix)")
    p.add_argument("--fleet", type=int, metavar="K",
                   help="write K estates OUT/seed-S... (seeds from --seed) spanning healthy to fragile")
    p.set_defaults(func=cmd_synth)

    from .importers import FORMATS

    p = sub.add_parser("import", help="write a CSV-folder inventory from what the client has: " + ", ".join(FORMATS))
    p.add_argument("format", choices=list(FORMATS))
    p.add_argument("sources", nargs="+", metavar="SRC")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--into", metavar="EXISTING", help="merge into this existing CSV-folder inventory, keeping hand edits")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="assessment date of a new inventory (a merge keeps the existing one)")
    p.add_argument("--date-format", metavar="FMT",
                   help="order of day and month where the source writes dates like 06/03/2026 and does not say which:"
                        " DD/MM/YYYY (day first) or MM/DD/YYYY (month first); never guessed")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export the dependency graph as GraphML, fault trees as Open-PSA MEF, or the"
                       " backup attack graph as BloodHound OpenGraph")
    p.add_argument("format", choices=["graphml", "mef", "opengraph"])
    p.add_argument("path", help="inventory path")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--asset", metavar="ID", help="mef only: just this asset's fault tree")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("new", help="create an engagement workspace: notebooks, intake template, worked example, reports/")
    p.add_argument("dir", metavar="DIR", help="the workspace folder to create (must not exist or be empty)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("lab", help="open JupyterLab on a workspace (default: the current folder)")
    p.add_argument("dir", metavar="DIR", nargs="?", default=".", help="the folder to open (default: .)")
    p.add_argument("lab_args", metavar="LAB-OPTION", nargs=argparse.REMAINDER,
                   help="passed on to jupyter lab, e.g. --no-browser --port 8899 (name DIR first)")
    p.set_defaults(func=cmd_lab)

    p = sub.add_parser("compare", help="what improved and regressed between two assessments")
    p.add_argument("old", metavar="OLD", help="analysis JSON or inventory")
    p.add_argument("new", metavar="NEW", help="analysis JSON or inventory")
    p.add_argument("--json", metavar="OUT", help="also write the comparison as JSON")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("controls", help="judge the estate against DORA, NIS2, ISO 27001, NIST CSF 2.0, CIS v8, HIPAA "
                                        "or a policy file")
    p.add_argument("path", help="inventory path, or an analysis JSON file (a stored assessment judged again)")
    p.add_argument("--framework", action="append", metavar="NAME_OR_FILE",
                   help="dora, nis2, iso27001, nist-csf-2, cis-v8, hipaa or a policy .yaml (repeat; default: the six)")
    p.add_argument("--json", metavar="OUT", help="write the controls as JSON ('-': standard output)")
    p.add_argument("--csv", metavar="OUT", help="write one row per control and framework as CSV")
    p.add_argument("--fail-on", metavar="STATUS", choices=["not_met"], help="exit 3 when a control is not met")
    p.set_defaults(func=cmd_controls)

    p = sub.add_parser("apply", help="apply the fixes of named findings to a copy of the inventory and re-analyse it")
    p.add_argument("path", help="inventory path (it is not changed)")
    p.add_argument("--fix", nargs="+", required=True, metavar="FINDING_ID",
                   help="finding ids whose fix.changes to apply, in this order; all-verified: every verified fix "
                        "in roadmap order")
    p.add_argument("--out", required=True, metavar="DIR", help="new folder for the changed CSV-folder inventory")
    p.add_argument("--analysis", metavar="JSON",
                   help="take the fixes from this earlier analysis JSON instead of analysing PATH now")
    p.set_defaults(func=cmd_apply)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InventoryError as err:
        _print_problems(err)
        return EXIT_INVALID
    except UsageError as err:
        print(f"hiddenspof {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE
    except HiddenspofError as err:
        print(f"hiddenspof {args.command}: {err}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError) as err:
        print(f"hiddenspof {args.command}: {err}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
