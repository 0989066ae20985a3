"""``set_seed``: one call makes every random draw of lossviz reproducible.

It seeds numpy's global generator (the tutorial draws its data from
``np.random``) and lossviz's own generators (initializers, dataset shuffles,
the sampled-softmax sampler), which are derived from the seed.
"""
import numpy as np

_global_seed = None
_draws = 0


def set_seed(seed):
    """Seed numpy's global RNG and every generator lossviz makes after this call."""
    global _global_seed, _draws
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"For 'set_seed', the 'seed' must be an int, but got {type(seed).__name__}.")
    if seed < 0:
        raise ValueError(f"For 'set_seed', the 'seed' must be >= 0, but got {seed}.")
    _global_seed, _draws = int(seed), 0
    np.random.seed(seed)


def get_seed():
    return _global_seed


def generator(seed=0):
    """A numpy Generator: from ``seed`` when > 0, else derived from ``set_seed``.

    Without either, it is seeded from fresh entropy (a different stream each run).
    """
    global _draws
    if seed:
        return np.random.default_rng(seed)
    if _global_seed is None:
        return np.random.default_rng()
    _draws += 1
    return np.random.default_rng((_global_seed, _draws))
