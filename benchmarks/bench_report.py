"""Fleet benchmark: what rendering reports costs, as a multiple of the bare analysis of the same environments.

Writes a synthetic fleet (``synth.write_fleet``: N estates of M components
spanning healthy to fragile), then in one run measures

1. the bare analysis: ``hiddenspof analyze ENV --json ...`` once per
   environment, each a fresh process (as a user or a CI job runs it);
2. the reports: ``hiddenspof report ENV... --jobs J`` of the first half of
   the fleet, then of the whole fleet (for the growth with N);

and prints CPU-seconds summed over every process involved (the command, its
worker processes and their kernels: children's resource usage, collected
when they are reaped), wall time, and the ratios. Targets (issue 19): the
report of 300-component environments costs at most about 6 times their
analysis, and grows about linearly with the number of environments.

    .venv/bin/python benchmarks/bench_report.py                    # 12 x 300, --jobs 2
    .venv/bin/python benchmarks/bench_report.py --envs 2 --components 200 --history-days 30   # smoke
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 6.0


def children_cpu() -> float:
    """CPU seconds (user + system) of every reaped descendant so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str]) -> tuple[float, float]:
    """Run a command to completion; return (CPU seconds of it and its descendants, wall seconds)."""
    cpu0, wall0 = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return children_cpu() - cpu0, time.perf_counter() - wall0


def hiddenspof(*args: str) -> list[str]:
    return [sys.executable, "-m", "hiddenspof", *args]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=12, help="environments in the fleet (default 12)")
    parser.add_argument("--components", type=int, default=300, help="components per environment (default 300)")
    parser.add_argument("--jobs", type=int, default=2, help="report --jobs (default 2)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench-report.md"), help="markdown written here too")
    parser.add_argument("--workdir", help="where the fleet and reports go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the workdir")
    args = parser.parse_args(argv)
    if args.envs < 1:
        parser.error("--envs must be at least 1")

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="hs-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        fleet_dir = work / "fleet"
        subprocess.run([sys.executable, "-c",
                        "import sys; from hiddenspof import synth; "
                        "synth.write_fleet(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), "
                        "history_days=int(sys.argv[5]))",
                        str(fleet_dir), str(args.envs), str(args.components), str(args.first_seed),
                        str(args.history_days)], check=True)
        envs = [str(fleet_dir / f"seed-{args.first_seed + i}") for i in range(args.envs)]
        half = envs[: max(1, args.envs // 2)]

        analysis_cpu = analysis_wall = 0.0
        half_analysis_cpu = 0.0
        for i, env in enumerate(envs):
            cpu, wall = run(hiddenspof("analyze", env, "--json", str(work / f"analysis-{i}.json")))
            analysis_cpu += cpu
            analysis_wall += wall
            if env in half:
                half_analysis_cpu += cpu
        rows = []
        for label, chosen, base in (("half", half, half_analysis_cpu), ("fleet", envs, analysis_cpu)):
            if label == "half" and len(half) == len(envs):
                continue
            out = work / f"reports-{label}"
            shutil.rmtree(out, ignore_errors=True)
            cpu, wall = run(hiddenspof("report", *chosen, "--out", str(out), "--jobs", str(args.jobs)))
            rows.append((len(chosen), cpu, wall, base, cpu / base))

        n, cpu, wall, base, ratio = rows[-1]
        lines = [
            f"# Fleet benchmark (`make bench-report`): {args.envs} environments x {args.components} components",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
            f"report --jobs {args.jobs}; synthetic fleet (`synth.write_fleet`, seeds {args.first_seed}..."
            f"{args.first_seed + args.envs - 1}, health spread 0.05-0.95, {args.history_days} days of history). "
            "CPU seconds summed over every process (command, workers, kernels); all figures from one run.",
            "",
            f"Bare analysis (`hiddenspof analyze`, one process per environment): {analysis_cpu:.1f} CPU s "
            f"({analysis_cpu / args.envs:.2f} per environment), {analysis_wall:.1f} s wall.",
            "",
            "| environments | report CPU s | per environment | wall s | analysis CPU s | report / analysis |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for n_, cpu_, wall_, base_, ratio_ in rows:
            lines.append(f"| {n_} | {cpu_:.1f} | {cpu_ / n_:.2f} | {wall_:.1f} | {base_:.1f} | {ratio_:.2f} |")
        lines.append("")
        lines.append(f"- report / analysis at {n} environments: {ratio:.2f} "
                     f"(target at most {TARGET_RATIO:g}): {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
        if len(rows) == 2:
            growth = (rows[1][1] / rows[1][0]) / (rows[0][1] / rows[0][0])
            lines.append(f"- CPU per environment, {rows[1][0]} vs {rows[0][0]} environments: x{growth:.2f} "
                         "(near-linear growth: close to 1)")
        text = "\n".join(lines) + "\n"
        print(text)
        target = Path(args.out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
