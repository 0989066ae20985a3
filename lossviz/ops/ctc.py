"""CTC (connectionist temporal classification): the forward-backward recursion as one fused primitive.

CTC scores an unsegmented target (``c a t``) against T frames of class
log-probabilities, summing over every alignment that collapses to the target
(repeats merged, blanks removed: ``_ c c _ a t t`` -> ``c a t``). With the
extended label ``l' = (blank, l_1, blank, l_2, ..., l_L, blank)`` (2L + 1
states) the sum is a dynamic programme over frames and states, done here in
log space (so log-probabilities of -200 per frame stay finite), vectorised
over the batch and over all states at once: the only Python loop is over the
frames. Variable input and target lengths are handled by padding and masks,
never by a loop over samples.

``CTCLossV2(blank, zero_infinity)(log_probs, targets, input_lengths, target_lengths)``
returns one loss per sample, ``-ln p(target_n | log_probs[:, n])``; the
reduction is the loss class's job (``nn.CTCLoss``). Unlike MindSpore's
``ops.CTCLossV2`` it takes no ``reduction`` and returns the loss only
(``log_alpha=[]`` collects the forward variables, as MindSpore's second output).
The inputs are expected to be checked already (``nn.CTCLoss`` does it).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._engine.autograd import broadcast_value
from .._engine.checks import check_bool, check_int
from .._engine.primitive import apply
from .._engine.tensor import Tensor
from .fused_losses import FusedLoss

__all__ = ["CTCLossV2"]


def extended_labels(targets, target_lengths, blank):
    """l' = (blank, l_1, blank, l_2, ..., l_L, blank) of every sample, padded with blanks: shape (N, 2S + 1).

    Target entries past ``target_lengths[n]`` are never read (they become blanks here).
    """
    n, s = targets.shape
    ext = np.full((n, 2 * s + 1), blank, np.int64)
    ext[:, 1::2] = np.where(np.arange(s) < target_lengths[:, None], targets, blank)
    return ext


def log_skip(ext):
    """ln of the skip transition s-2 -> s: 0 where l'_s != l'_{s-2} (allowed), -inf where not. Shape (N, W).

    Blanks (even s) are never skipped into (l'_s = l'_{s-2} = blank); a label is, unless it repeats the
    label before it (``a a`` needs a blank in between).
    """
    allowed = np.zeros(ext.shape, bool)
    allowed[:, 2:] = ext[:, 2:] != ext[:, :-2]
    return np.where(allowed, 0.0, -np.inf)


def log_final(target_lengths, width):
    """0 for the states an alignment may end in (2L and 2L-1: the last blank or the last label), -inf elsewhere."""
    s = np.arange(width)
    two_l = 2 * target_lengths[:, None]
    return np.where((s == two_l) | (s == two_l - 1), 0.0, -np.inf)


def _logsumexp3(d, m, out, lowest):
    """out = ln(e^d[0] + e^d[1] + e^d[2]) elementwise; d (3, N, W) and m (N, W) are scratch (overwritten).

    NOTE: the largest term m is taken out before exp, so exp never overflows; m is clamped to ``lowest``
    (the lowest finite number) so that three -inf terms give -inf (e^-inf = 0, ln 0 = -inf) instead of
    nan (-inf - -inf).
    """
    np.maximum(d[0], d[1], out=m)
    np.maximum(m, d[2], out=m)
    np.maximum(m, lowest, out=m)
    np.subtract(d, m, out=d)
    np.exp(d, out=d)
    np.add(d[0], d[1], out=out)
    np.add(out, d[2], out=out)
    np.log(out, out=out)
    np.add(out, m, out=out)
    return out


def ctc_log_alpha(lp_ext, skip, steps):
    """The forward variables, ln P(the target up to state s, emitted by frames 0..t), for t < steps:

        alpha_0(0) = lp'[0, 0],  alpha_0(1) = lp'[0, 1],  other alpha_0(s) = -inf
        alpha_t(s) = lp'[t, s] + ln( e^alpha_{t-1}(s) + e^alpha_{t-1}(s-1) + e^(alpha_{t-1}(s-2) + skip(s)) )

    with lp'[t, n, s] = log_probs[t, n, l'_s]. Returned as (T, N, W + 2): columns 0 and 1 are the states
    -2 and -1 (always -inf), state s is column s + 2. States past 2L of a sample only feed higher states,
    so they never change its loss. Rows t >= steps are left unset.
    """
    frames, n, width = lp_ext.shape
    alpha = np.empty((frames, n, width + 2), lp_ext.dtype)
    alpha[:, :, :2] = -np.inf
    if steps == 0:
        return alpha
    alpha[0, :, 2:] = -np.inf
    alpha[0, :, 2:4] = lp_ext[0, :, :2]
    # NOTE: previous[t] is a (3, N, W) view of row t: (alpha_t(s), alpha_t(s-1), alpha_t(s-2)), no copies.
    size = alpha.itemsize
    previous = as_strided(alpha[:, :, 2:], shape=(frames, 3, n, width),
                          strides=(alpha.strides[0], -size, alpha.strides[1], size), writeable=False)
    add_skip = np.zeros((3, n, width), alpha.dtype)
    add_skip[2] = skip
    d, m, s = np.empty((3, n, width), alpha.dtype), np.empty((n, width), alpha.dtype), np.empty((n, width), alpha.dtype)
    lowest = np.finfo(alpha.dtype).min
    for t in range(1, steps):
        np.add(previous[t - 1], add_skip, out=d)
        _logsumexp3(d, m, s, lowest)
        np.add(s, lp_ext[t], out=alpha[t, :, 2:])
    return alpha


def ctc_log_beta(lp_ext, skip, final, input_lengths, steps):
    """The backward variables without the frame's own emission, ln P(the rest of the target | state s at t):

        beta'_{T_n - 1}(s) = final(s)         (0 for the states 2L and 2L-1, -inf elsewhere)
        beta'_t(s)  = ln( e^beta_{t+1}(s) + e^beta_{t+1}(s+1) + e^(beta_{t+1}(s+2) + skip(s+2)) )
        beta_t(s)   = lp'[t, s] + beta'_t(s)

    so alpha_t(s) + beta'_t(s) = ln P(the alignments in state s at frame t). Frames t >= T_n get -inf.
    Returned for the frames t < steps: (steps, N, W).
    """
    n, width = lp_ext.shape[1:]
    beta = np.empty((steps, n, width), lp_ext.dtype)
    following = np.full((n, width + 2), -np.inf, lp_ext.dtype)        # beta_{t+1}, states W, W+1 are -inf
    size = following.itemsize
    # NOTE: a (3, N, W) view of following: (beta_{t+1}(s), beta_{t+1}(s+1), beta_{t+1}(s+2)), no copies.
    shifted = as_strided(following, shape=(3, n, width), strides=(size, following.strides[0], size), writeable=False)
    add_skip = np.zeros((3, n, width), lp_ext.dtype)
    add_skip[2] = -np.inf
    add_skip[2, :, :width - 2] = skip[:, 2:]            # s -> s+2 is allowed when l'_{s+2} != l'_s
    ends = {int(t): np.flatnonzero(input_lengths - 1 == t) for t in np.unique(input_lengths[input_lengths > 0] - 1)}
    d, m = np.empty((3, n, width), lp_ext.dtype), np.empty((n, width), lp_ext.dtype)
    lowest = np.finfo(lp_ext.dtype).min
    for t in range(steps - 1, -1, -1):
        np.add(shifted, add_skip, out=d)
        _logsumexp3(d, m, beta[t], lowest)
        rows = ends.get(t)
        if rows is not None:                            # the samples whose last frame is t start here
            beta[t, rows] = final[rows]
        np.add(beta[t], lp_ext[t], out=following[:, :width])
    return beta


def _lengths(arg, value):
    """Lengths / targets as an int64 array (from an int Tensor, a tuple of ints or an int array)."""
    array = value._data if isinstance(value, Tensor) else value
    if isinstance(array, (tuple, list)) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                                for v in np.ravel(np.asarray(array, object))):
        array = np.asarray(array, np.int64)
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "iu":
        raise TypeError(f"For 'CTCLossV2', the '{arg}' must be an int Tensor or a tuple of ints, "
                        f"but got {type(value).__name__}.")
    return array.astype(np.int64, copy=False)


class CTCLossV2(FusedLoss):
    """loss_n = -ln p(l_n | x_n) = -ln sum over the alignments of l_n of prod_t exp(log_probs[t, n, class at t])

    Inputs: ``log_probs`` (T, N, C) float, ``targets`` (N, S) int (padded), ``input_lengths`` and
    ``target_lengths`` (N,) ints (Tensors, tuples or arrays). Output (N,), the dtype of log_probs:

        loss_n = -ln( e^alpha_{T_n-1}(2L) + e^alpha_{T_n-1}(2L-1) )       (see ``ctc_log_alpha``)

    0 when T_n = 0 (an empty target in no frames); +inf when no alignment fits in T_n frames, or 0 with
    ``zero_infinity=True`` (its gradient is then 0 too).

    Gradient (MindSpore's and PyTorch's convention, not the plain derivative), for t < T_n:

        d/dlog_probs[t, n, c] = ( exp(log_probs[t, n, c]) - sum_{s: l'_s = c} gamma_t(s) ) * g_n
        gamma_t(s) = exp(alpha_t(s) + beta'_t(s) + loss_n)   the probability of being in state s at frame t

    and 0 for t >= T_n. ``-sum gamma`` is the true derivative; with the ``exp(log_probs)`` term it is the
    derivative w.r.t. the logits when log_probs = log_softmax(logits) (the usual case). An infeasible
    sample (loss +inf) gets nan on its frames t < T_n, as in MindSpore.
    """

    def __init__(self, blank=0, zero_infinity=False):
        self.blank = check_int(self.name, "blank", blank, minimum=0)
        self.zero_infinity = check_bool(self.name, "zero_infinity", zero_infinity)

    def __call__(self, log_probs, targets, input_lengths, target_lengths, log_alpha=None):
        return apply(self, log_probs, targets=_lengths("targets", targets),
                     input_lengths=_lengths("input_lengths", input_lengths),
                     target_lengths=_lengths("target_lengths", target_lengths), log_alpha=log_alpha)

    def forward(self, ctx, log_probs, targets, input_lengths, target_lengths, log_alpha=None):
        frames, n, classes = log_probs.shape
        ext = extended_labels(targets, target_lengths, self.blank)
        width = ext.shape[1]
        skip = log_skip(ext).astype(log_probs.dtype)
        # lp'[t, n, s] = log_probs[t, n, l'_s], gathered from the flat (T, N*C) view
        flat = (np.arange(n)[:, None] * classes + ext).reshape(-1)
        lp_ext = np.take(log_probs.reshape(frames, n * classes), flat, axis=1).reshape(frames, n, width)
        steps = int(input_lengths.max(initial=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = ctc_log_alpha(lp_ext, skip, steps)
            loss = np.zeros(n, log_probs.dtype)
            if steps:
                rows, last = np.arange(n), np.maximum(input_lengths - 1, 0)
                end = 2 + 2 * target_lengths                  # column of state 2L; column 1 + 2L is state 2L-1
                loss = -np.logaddexp(alpha[last, rows, end], alpha[last, rows, end - 1])
                loss[input_lengths == 0] = 0                  # no frames and an empty target: p = 1
        zeroed = np.isinf(loss) if self.zero_infinity else np.zeros(n, bool)
        ctx.lp, ctx.lp_ext, ctx.ext, ctx.skip, ctx.alpha, ctx.raw_loss = (
            log_probs, lp_ext, ext, skip, alpha, loss.copy())
        ctx.input_lengths, ctx.target_lengths, ctx.steps, ctx.zeroed = input_lengths, target_lengths, steps, zeroed
        if log_alpha is not None:
            log_alpha.append(self._log_alpha(alpha, input_lengths, target_lengths, steps))
        loss[zeroed] = 0
        return loss

    @staticmethod
    def _log_alpha(alpha, input_lengths, target_lengths, steps):
        """MindSpore's second output: alpha as (N, T, 2S + 1), -inf past each sample's frames and states."""
        out = np.full((alpha.shape[1], alpha.shape[0], alpha.shape[2] - 2), -np.inf, alpha.dtype)
        out[:, :steps] = alpha[:steps, :, 2:].transpose(1, 0, 2)
        unused = ((np.arange(out.shape[1])[None, :, None] >= input_lengths[:, None, None])
                  | (np.arange(out.shape[2])[None, None, :] > 2 * target_lengths[:, None, None]))
        out[unused] = -np.inf
        return out

    def backward(self, ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None
        lp, steps = ctx.lp, ctx.steps
        n, width, classes = lp.shape[1], ctx.ext.shape[1], lp.shape[2]
        g = np.empty(lp.shape, lp.dtype)
        g[steps:] = 0
        if steps:
            final = log_final(ctx.target_lengths, width).astype(lp.dtype)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                beta = ctc_log_beta(ctx.lp_ext, ctx.skip, final, ctx.input_lengths, steps)
                gamma = np.add(ctx.alpha[:steps, :, 2:], beta)
                gamma += ctx.raw_loss[None, :, None]
                np.exp(gamma, out=gamma)                          # gamma_t(s), (steps, N, W)
                # sum_{s: l'_s = c} gamma_t(s) for every class c: gamma @ onehot(l'), (N, steps, C)
                onehot = np.zeros((n, width, classes), lp.dtype)
                onehot[np.arange(n)[:, None], np.arange(width)[None, :], ctx.ext] = 1
                occupancy = np.matmul(gamma.transpose(1, 0, 2), onehot)
                live = g[:steps]
                np.exp(lp[:steps], out=live)
                np.subtract(live, occupancy.transpose(1, 0, 2), out=live)
            dead = (np.arange(steps)[:, None] >= ctx.input_lengths[None, :]) | ctx.zeroed[None, :]
            if dead.any():                                        # frames t >= T_n, zeroed infinite samples
                np.copyto(live, 0, where=dead[:, :, None])
        number = broadcast_value(grad)
        if number is not None:
            if number != 1:
                g *= number
        else:
            g *= grad.reshape(1, n, 1).astype(g.dtype, copy=False)
        return g
