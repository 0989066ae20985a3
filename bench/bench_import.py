"""How much does ``import lossviz`` cost next to ``import numpy``?

Runs ``python -c "import numpy"`` and ``python -c "import lossviz"`` as whole
processes, interleaved (so both see the same machine load), and prints the
median wall time of each and their ratio. Target: ratio <= 1.5.

Measured as a learner meets it, with compiled bytecode: the children may write
it (``PYTHONDONTWRITEBYTECODE`` is dropped, as some sandboxes set it), into a
temporary ``PYTHONPYCACHEPREFIX``, and one untimed import of each comes first.

    python bench/bench_import.py [runs]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def wall_time(code, env):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def main(runs=20):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="lossviz-bench-pycache-")
    for name in ("numpy", "lossviz"):          # untimed: compiles the bytecode
        wall_time(f"import {name}", env)
    times = {"numpy": [], "lossviz": []}
    for _ in range(runs):
        for name in times:
            times[name].append(wall_time(f"import {name}", env))
    numpy_ms = 1000 * statistics.median(times["numpy"])
    lossviz_ms = 1000 * statistics.median(times["lossviz"])
    print(f"import numpy   : {numpy_ms:7.1f} ms (median of {runs} processes)")
    print(f"import lossviz : {lossviz_ms:7.1f} ms (median of {runs} processes)")
    print(f"ratio          : {lossviz_ms / numpy_ms:7.2f} (target <= 1.5)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
