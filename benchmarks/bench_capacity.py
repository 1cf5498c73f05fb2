"""Benchmark of the capacity simulator: 1,000 concurrent restores over 20 constrained components.

Not a test: it prints the wall time of one simulation (the target is under 5 s)
and exits non-zero when the target is missed. ``make bench`` runs it.
"""

from __future__ import annotations

import random
import sys
import time

from hiddenspof.capacity import Job, Limit, simulate

TARGET_SECONDS = 5.0


def workload(restores: int = 1000, components: int = 20, seed: int = 20261126) -> tuple[list[Job], dict[str, Limit]]:
    """A seeded mass restore: stores, links and teams with limits; each restore crosses two to four of them."""
    rng = random.Random(seed)
    names = [f"c{i:02d}" for i in range(components)]
    limits = {}
    for i, c in enumerate(names):
        if i % 4 == 3:  # a team or tool: parallelism only
            limits[c] = Limit(max_parallel=rng.randint(2, 20))
        elif i % 4 == 2:  # a store with a stream limit
            limits[c] = Limit(throughput_mb_s=float(rng.randint(200, 2000)), max_parallel=rng.randint(10, 60))
        else:  # a link or store
            limits[c] = Limit(throughput_mb_s=float(rng.randint(100, 3000)))
    jobs = []
    for k in range(restores):
        path = tuple(sorted(rng.sample(names, rng.randint(2, 4))))
        cap = float(rng.choice([50, 100, 150, 300, 600])) if rng.random() < 0.7 else None
        jobs.append(
            Job(f"asset-{k:04d}", float(rng.randint(5, 5000)), path, cap, tier=rng.randint(1, 4),
                rto_hours=float(rng.choice([1, 4, 8, 24, 72])))
        )
    return jobs, limits


def main() -> int:
    jobs, limits = workload()
    t0 = time.perf_counter()
    schedule = simulate(jobs, limits)
    elapsed = time.perf_counter() - t0
    verdict = "ok" if elapsed < TARGET_SECONDS else "TOO SLOW"
    print(
        f"capacity: {len(jobs)} concurrent restores over {len(limits)} constrained components simulated in "
        f"{elapsed:.2f} s (target < {TARGET_SECONDS:g} s, {verdict}); makespan {schedule.makespan_hours:.1f} h"
    )
    return 0 if elapsed < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
