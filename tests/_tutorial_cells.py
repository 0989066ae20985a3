"""Extract the tutorial's code cells (and their printed outputs) from the seed text.

In the seed, a code cell follows a line ``[N]:``; its printed output follows
the code directly; the prose that follows is Chinese. So a cell is the ASCII
block after ``[N]:``, and its output is the trailing run of lines that look
like printed values (``1.5``, ``epoch: 1 step: 1, loss is 10.873164``).
"""
import re

from conftest import SHARED

SEED = SHARED / "seed" / "000_31dd414ca50c3d7d.txt"

_HEADER = re.compile(r"^\[(\d+)\]:$")
_OUTPUT = re.compile(r"^(epoch: \d+ step: \d+, loss is \S+|[-+0-9.e\[\] ]+)$")


def extract_cells(text):
    """``[(number, code, expected_output_lines)]`` in order."""
    lines = text.split("\n")
    cells = []
    i = 0
    while i < len(lines):
        match = _HEADER.match(lines[i].strip())
        if not match:
            i += 1
            continue
        block = []
        i += 1
        while i < len(lines) and not _HEADER.match(lines[i].strip()):
            line = lines[i]
            if line.strip() and not line.isascii():
                break
            block.append(line)
            i += 1
        while block and not block[-1].strip():
            block.pop()
        outputs = []
        while block and _OUTPUT.match(block[-1].strip()):
            outputs.insert(0, block.pop().strip())
        cells.append((int(match.group(1)), "\n".join(block).rstrip() + "\n", outputs))
    return cells


def to_lossviz(code):
    """The tutorial's code with only ``mindspore`` replaced by ``lossviz``."""
    return code.replace("mindspore", "lossviz")
