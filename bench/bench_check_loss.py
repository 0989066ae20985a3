"""How long does ``check_loss`` (the loss doctor) take on a built-in loss?

For a few built-ins (the cheapest, the ones with the most inputs to differentiate, CTC's dynamic
programme), times ``check_loss(loss)`` and ``check_loss(loss, reference=loss)`` (which adds the
value and gradient comparisons), interleaved, and prints the median of a few runs and its number of
checks. Target: under 2 s each (the finite differences run on inputs of 12 to 48 elements).

    python bench/bench_check_loss.py [runs]
"""
import statistics
import sys
import time

from lossviz.doctor import builtin_loss, check_loss

NAMES = ["L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "BCEWithLogitsLoss", "GaussianNLLLoss", "TripletMarginLoss",
         "MultilabelMarginLoss", "SampledSoftmaxLoss", "CTCLoss"]
TARGET = 2.0


def timed(fn):
    start = time.perf_counter()
    report = fn()
    return time.perf_counter() - start, report


def main(runs=5):
    check_loss(builtin_loss("L1Loss"))          # warm up (imports, first calls)
    times = {(name, ref): [] for name in NAMES for ref in (False, True)}
    rows = {}
    for _ in range(runs):
        for name in NAMES:
            for ref in (False, True):
                loss = builtin_loss(name)
                seconds, report = timed(lambda: check_loss(loss, reference=builtin_loss(name) if ref else None))
                assert report.ok, str(report)
                times[name, ref].append(seconds)
                rows[name, ref] = len(report.rows)
    worst = 0.0
    print(f"check_loss on built-in losses: median of {runs} runs (target < {TARGET:.0f} s)")
    print(f"{'loss':<22} {'alone':>9} {'checks':>7} {'vs itself':>10} {'checks':>7}")
    for name in NAMES:
        alone, against = (statistics.median(times[name, ref]) for ref in (False, True))
        worst = max(worst, alone, against)
        print(f"{name:<22} {1000 * alone:7.1f} ms {rows[name, False]:>7} "
              f"{1000 * against:8.1f} ms {rows[name, True]:>7}")
    print(f"slowest: {1000 * worst:.1f} ms -> {'OK' if worst < TARGET else 'TOO SLOW'} (target < {TARGET:.0f} s)")
    return worst < TARGET


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 5) else 1)
