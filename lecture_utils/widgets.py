"""Interactive explorers that degrade gracefully.

``explorer(draw, name=(min, max, step, default), other=[option, ...])`` draws ``draw(**defaults)``
once as a static figure (what a headless run, nbval or a PDF export shows), then, where
ipywidgets is installed, displays sliders that redraw it.  Without ipywidgets it prints a note.
Both lectures use it (``vae.plots.vae_explorer``, ``anogan.plots.search_explorer``).
"""
from __future__ import annotations

import matplotlib.pyplot as plt


def _default(spec):
    return spec[0] if isinstance(spec, list) else spec[3]


def _widget(name: str, spec):
    import ipywidgets as w
    if isinstance(spec, list):
        return w.Dropdown(options=spec, value=spec[0], description=name)
    lo, hi, step, value = spec
    cls = w.IntSlider if all(isinstance(v, int) for v in spec) else w.FloatSlider
    return cls(min=lo, max=hi, step=step, value=value, description=name, continuous_update=False)


def explorer(draw, **controls):
    """Static figure with the default values, then (if possible) an ``ipywidgets.interactive`` UI.

    ``controls``: ``name=(min, max, step, default)`` for a slider, ``name=[a, b, ...]`` for a menu
    (default: the first).  ``draw(**values)`` must make one matplotlib figure.  Returns the widget
    or None.
    """
    defaults = {k: _default(v) for k, v in controls.items()}
    draw(**defaults)
    plt.show()
    try:
        import ipywidgets
        from IPython.display import display
    except ImportError:
        print("(ipywidgets is not installed: the figure above shows the default values; "
              "`pip install ipywidgets` for sliders)")
        return None

    def redraw(**values):
        draw(**values)
        plt.show()

    ui = ipywidgets.interactive(redraw, **{k: _widget(k, v) for k, v in controls.items()})
    display(ui)
    return ui
