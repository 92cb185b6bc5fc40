"""How long do the history page's diffs take on the worst pairs of revisions?

Run from the project root: ``python bench/diff_bench.py``. Diffs each pair of the issue-16
worst cases (up to the largest allowed summary, 100 KB) five times and prints the slowest
time, the level the diff ended at and whether it finished inside its budgets.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summaries.diffing import diff_texts  # noqa: E402

LARGEST = 100 * 1024
PAIRS = {
    'issue: "a " * 1000 vs "b a " * 500': ("a " * 1000, "b a " * 500),
    "the same at 100 KB": ("a " * (LARGEST // 2), "b a " * (LARGEST // 4)),
    "100 KB of repeated lines": ("a\n" * (LARGEST // 2), "b\na\n" * (LARGEST // 4)),
    "100 KB of short paragraphs": ("a\n\n" * (LARGEST // 3), "b\n\na\n\n" * (LARGEST // 6)),
    "100 KB of shuffled words": ("x y z " * (LARGEST // 6), "y x z q " * (LARGEST // 8)),
    "one 100 KB line": ("ab" * (LARGEST // 2), "ba" * (LARGEST // 2)),
    "a 10 KB summary, 170 words changed": (
        "The network proposes regions. " * 340,
        "The network proposes regions. " * 170 + "The network predicts regions. " * 170,
    ),
    "a 10 KB summary, one word changed": (
        "The network proposes regions. " * 340,
        "The network proposes regions. " * 200
        + "The network predicts regions. "
        + "The network proposes regions. " * 139,
    ),
}


def main():
    print(f"{'pair':40} {'slowest':>8} {'CPU':>7}  level      complete")
    for name, (old, new) in PAIRS.items():
        times, cpu = [], []
        for _ in range(5):
            started, used = time.perf_counter(), time.process_time()
            diff = diff_texts(old, new)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        print(f"{name:40} {max(times):7.3f}s {max(cpu):6.3f}s  {diff.level:10} {diff.complete}")


if __name__ == "__main__":
    main()
