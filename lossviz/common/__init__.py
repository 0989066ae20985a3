"""``lossviz.common``: what MindSpore keeps in ``mindspore.common`` (the initializers).

The tutorial imports ``from mindspore.common.initializer import Normal``; here
that is ``from lossviz.common.initializer import Normal``.
"""
from . import initializer

__all__ = ["initializer"]
