"""Interactive explorers that never stall a headless run.

``explorer(draw, name=(min, max, step, default), other=[option, ...])`` shows ``draw(**defaults)``
once, as a plain figure (what nbval, ``make lectures``, the grader and a rendered copy keep), and,
where ipywidgets is installed, sliders above it. Moving a slider redraws the figure in place
(``display(..., display_id=True)`` and ``update``), so a live notebook shows one figure at a time.

No ``ipywidgets.interactive`` and no ``Output`` widget: a headless run (nbclient, which executes
every notebook here) waits for no widget message, so it cannot hang on the output-capture race of
jupyter/nbclient#312. Works with ipywidgets 7.7 (Colab) and 8; without ipywidgets it prints a note.
Both lectures use it (``vae.plots.vae_explorer``, ``anogan.plots.search_explorer``).
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from .messages import tell


def _default(spec):
    return spec[0] if isinstance(spec, list) else spec[3]


def _widget(name: str, spec):
    import ipywidgets as w
    if isinstance(spec, list):
        return w.Dropdown(options=spec, value=spec[0], description=name)
    lo, hi, step, value = spec
    cls = w.IntSlider if all(isinstance(v, int) for v in spec) else w.FloatSlider
    return cls(min=lo, max=hi, step=step, value=value, description=name, continuous_update=False)


def _figure(draw, values: dict):
    """``draw(**values)``'s figure, closed so that the inline backend does not show it a second time."""
    fig = draw(**values)
    fig = fig if fig is not None else plt.gcf()
    plt.close(fig)
    return fig


def explorer(draw, **controls):
    """Sliders (if ipywidgets is installed) over one figure that they redraw in place.

    ``controls``: ``name=(min, max, step, default)`` for a slider, ``name=[a, b, ...]`` for a menu
    (default: the first). ``draw(**values)`` makes one matplotlib figure (and returns it).
    Returns the box of controls, or None without ipywidgets.
    """
    from IPython.display import display
    try:
        import ipywidgets
    except ImportError:
        ipywidgets = None
    if ipywidgets is None:
        display(_figure(draw, {k: _default(v) for k, v in controls.items()}))
        tell("no_widgets")
        return None
    sliders = {k: _widget(k, v) for k, v in controls.items()}
    box = ipywidgets.VBox(list(sliders.values()))
    display(box)
    shown = display(_figure(draw, {k: s.value for k, s in sliders.items()}), display_id=True)

    def redraw(_change=None):
        shown.update(_figure(draw, {k: s.value for k, s in sliders.items()}))

    for s in sliders.values():
        s.observe(redraw, names="value")
    box.redraw = redraw          # what a slider calls; tests call it directly
    return box
