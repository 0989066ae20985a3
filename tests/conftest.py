"""Make the helpers in tests/ (``gradcheck``) importable as top-level modules."""
import os
import sys

_TESTS = os.path.dirname(os.path.abspath(__file__))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
