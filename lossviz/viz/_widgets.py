"""Shared bits of the notebook widgets: HTML text, display, lazy ipywidgets."""
import html


def ipywidgets():
    """Import ipywidgets on first use (``pip install lossviz[viz]``)."""
    try:
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("lossviz.viz widgets need ipywidgets: pip install -e '.[viz]'") from exc
    return widgets


def pre(text):
    """Plain text as an HTML <pre> block (keeps numpy's matrix layout)."""
    return f"<pre style='margin:0; line-height:1.3'>{html.escape(text)}</pre>"


class WidgetPanel:
    """A group of widgets that shows itself when it is a cell's last expression.

    Subclasses build ``self.widget`` (a Box). In a terminal nothing is shown;
    the panel's ``text`` still says what the widget would show.
    """

    widget = None

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self):
        return f"{type(self).__name__}()"
