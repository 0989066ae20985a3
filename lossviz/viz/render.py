"""Drawing a ``LossHistory`` and showing it: in a notebook, in a file, or nowhere.

A renderer has three methods, all taking the history:

* ``open(history)``  at the start of training (a notebook shows the figure once);
* ``send(history)``  for a redraw during training (throttled by the callback);
* ``close(history)`` at the end: the final redraw.

The figure is a plain ``matplotlib.figure.Figure``, never registered with
pyplot, so the inline backend cannot show a second copy at the end of the cell
(the job ``plt.close(fig)`` does for a pyplot figure). Its size is fixed and
it is saved without ``bbox_inches='tight'``, so every frame has the same pixels
size. matplotlib and IPython are imported here on first use only.
"""
import base64
import io
import math
import os

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def new_figure(figsize=(7.5, 2.8), dpi=80):
    """A pyplot-free Agg figure (nothing shows it unless we do)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig):
    """The figure as PNG bytes, at the figure's own size and dpi."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def is_loss_series(name):
    """A validation series drawn with the training loss (its name says loss) rather than with the rates."""
    return "loss" in name.lower()


def draw_history(fig, history, smoothing=0.9, title="training loss", max_points=2000):
    """Draw the loss curve(s) of ``history`` into ``fig`` (cleared first).

    Total: thin per-step line plus a bold smoothed line. Labels: one dashed
    smoothed line each, so the total can be read as their combination. Long
    runs are drawn with every k-th point only (at most ``max_points`` per line:
    a few hundred pixels cannot show more, and drawing stays fast).

    Once the history has validation results (``history.valid``), the figure
    has two panels: on the left the validation loss joins the training loss
    (dots, one per evaluation); on the right the other metrics, a bold line
    for each single number (accuracy) and a thin line per class for per-class
    metrics (``recall[0]``, ...).
    """
    fig.clf()
    if history.valid:
        ax = fig.add_subplot(1, 2, 1)
        _draw_metrics(fig.add_subplot(1, 2, 2), history)
        left = 0.07
    else:
        ax = fig.add_subplot(1, 1, 1)
        left = 0.08
    steps = history.step_numbers()
    if steps:
        every = -(-len(steps) // max_points)  # ceil
        ax.plot(steps[::every], history.values()[::every], color=_COLORS[0], lw=0.8, alpha=0.35,
                label="loss per step")
        ax.plot(steps[::every], history.smoothed(smoothing)[::every], color=_COLORS[0], lw=2.0,
                label="loss (smoothed)")
        for k, name in enumerate(sorted(history.labels)):
            ax.plot(history.step_numbers(name)[::every], history.smoothed(smoothing, name)[::every],
                    color=_COLORS[(k + 1) % len(_COLORS)], lw=1.5, ls="--", label=f"{name} (smoothed)")
        for name in [n for n in history.valid if is_loss_series(n)]:
            ax.plot([s for s, _ in history.valid[name]], [v for _, v in history.valid[name]], color="black",
                    lw=1.2, marker="o", ms=3, label=f"validation {name}")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        step, loss = history.last
        total = f"/{history.total_steps}" if history.total_steps else ""
        shown = f"{loss:.4g}" if math.isfinite(loss) else str(loss)
        ax.set_title(f"{title}: step {step}{total}, loss {shown}", fontsize=10)
        ax.set_xlim(0, max(history.total_steps or 0, steps[-1], 1))
    else:
        ax.set_title(f"{title}: waiting for the first step", fontsize=10)
    _style(ax, "loss")
    fig.subplots_adjust(left=left, right=0.97 if history.valid else 0.95, bottom=0.17, top=0.88,
                        wspace=0.25)  # room for the last x tick label
    return fig


def _style(ax, ylabel):
    ax.set_xlabel("step", fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)


def _draw_metrics(ax, history):
    """The right panel: every validation series that is not a loss, against the step."""
    names = [n for n in history.valid if not is_loss_series(n)]
    per_class = [n for n in names if n.endswith("]")]
    shown = []
    for name in names:
        steps, values = [s for s, _ in history.valid[name]], [v for _, v in history.valid[name]]
        if name in per_class:
            k = per_class.index(name)
            ax.plot(steps, values, color=_COLORS[(k + 1) % len(_COLORS)], lw=1.3, ls="--", marker=".", ms=4,
                    label=name)
        else:
            ax.plot(steps, values, color="black", lw=2.0, marker="o", ms=3, label=name)
            shown.append(f"{name} {values[-1]:.3g}")
    values = [v for n in names for _, v in history.valid[n]]
    if values and all(0.0 <= v <= 1.0 for v in values):
        ax.set_ylim(-0.03, 1.03)  # rates: the whole [0, 1] range, so that lines do not jump when rescaled
    if names:
        ax.legend(loc="best", fontsize=7, frameon=False, ncol=2 if len(names) > 4 else 1)
    if history.total_steps or history.steps:
        ax.set_xlim(0, max(history.total_steps or 0, history.steps[-1][0] if history.steps else 0, 1))
    last_step = max(series[-1][0] for series in history.valid.values())
    ax.set_title(f"validation at step {last_step}" + (f": {', '.join(shown)}" if shown else ""), fontsize=10)
    _style(ax, "metric")


class NullRenderer:
    """Draws nothing (a terminal run without ``save_png``)."""

    def open(self, history):
        pass

    def send(self, history):
        pass

    def close(self, history):
        pass


class FigureRenderer:
    """Common part: one fixed-size figure, redrawn from the history."""

    def __init__(self, figsize=(7.5, 2.8), dpi=80, smoothing=0.9, title="training loss"):
        self.figsize, self.dpi, self.smoothing, self.title = figsize, dpi, smoothing, title
        self.fig = None
        self.draws = 0

    def draw(self, history):
        if self.fig is None:
            self.fig = new_figure(self.figsize, self.dpi)
        draw_history(self.fig, history, self.smoothing, self.title)
        self.draws += 1
        return self.fig


class NotebookRenderer(FigureRenderer):
    """Shows the figure once with a display handle and updates it in place.

    ``display(bundle, raw=True, display_id=True)`` then ``handle.update(...)``:
    the cell keeps exactly one image output, whose last frame is what a saved
    notebook stores. ``clear_output`` is never called, so ``LossMonitor``'s
    lines printed in the same cell stay. ``display`` may be replaced (the
    benchmark passes a fake one).
    """

    def __init__(self, display=None, **kwargs):
        super().__init__(**kwargs)
        self._display = display
        self.handle = None

    def _bundle(self, history):
        fig = self.draw(history)
        png = base64.b64encode(figure_png(fig)).decode("ascii")
        # text/plain is the same on every frame: nbval compares only the
        # first frame of a re-run against the last frame saved in the notebook.
        return {"image/png": png, "text/plain": repr(fig)}

    def open(self, history):
        display = self._display
        if display is None:
            from IPython.display import display
        self.handle = display(self._bundle(history), raw=True, display_id=True)

    def send(self, history):
        if self.handle is not None:
            self.handle.update(self._bundle(history), raw=True)

    def close(self, history):
        self.send(history)


class PngFileRenderer(FigureRenderer):
    """Saves the final figure as a PNG (terminal runs, README pictures)."""

    def __init__(self, path, **kwargs):
        super().__init__(**kwargs)
        self.path = os.fspath(path)

    def open(self, history):
        pass

    def send(self, history):
        pass

    def close(self, history):
        fig = self.draw(history)
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        fig.savefig(self.path, format="png", dpi=fig.dpi)
