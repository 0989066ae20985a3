"""Where are we running? A Jupyter kernel, or a plain terminal?

Checked without importing IPython: if no one has imported it, this is not a
kernel. Every renderer and widget in ``lossviz.viz`` asks here before it
displays anything, so the tutorial's ``.py`` twins run in a terminal unchanged.
"""
import sys


def in_notebook():
    """True inside a running IPython kernel (JupyterLab, nbclient, nbval)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
