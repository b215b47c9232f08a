"""The explorers: one figure, redrawn in place by real ipywidgets (7.7.1 in the Colab run, 8 in the
newest). That each lecture's explorer never stalls a headless run (jupyter/nbclient#312) and draws its
figure once is checked where the lectures run: nbval and the book's build execute them under a
5-minute cell timeout, and tests/test_executed.py reads the book's outputs."""
import sys
from types import SimpleNamespace
from unittest import mock

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from IPython.display import DisplayHandle  # noqa: E402

from lecture_utils import widgets  # noqa: E402


def draw_line(a, b, kind):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, a], [0, b])
    ax.set_title(kind)
    return fig


@pytest.fixture
def shown(monkeypatch):
    """What the explorer displays: real DisplayHandles, their updates recorded."""
    handle = mock.create_autospec(DisplayHandle, instance=True)
    calls = []

    def display(*objs, display_id=None):
        calls.append(objs)
        return handle if display_id else None
    monkeypatch.setattr("IPython.display.display", display)
    return SimpleNamespace(calls=calls, handle=handle)


def test_sliders_redraw_the_one_figure_in_place(shown):
    pytest.importorskip("ipywidgets")
    box = widgets.explorer(draw_line, a=(1, 10, 1, 3), b=(0.0, 1.0, 0.1, 0.5), kind=["x", "y"])
    controls, figure = shown.calls[0][0], shown.calls[1][0]
    assert controls is box and len(shown.calls) == 2            # controls, then one figure
    assert [type(c).__name__ for c in box.children] == ["IntSlider", "FloatSlider", "Dropdown"]
    assert not box.children[0].continuous_update
    assert figure.axes[0].get_title() == "x" and figure.number not in plt.get_fignums()  # closed: shown once
    box.children[2].value = "y"                                  # what a student's click does
    [(new,), _] = shown.handle.update.call_args
    assert new.axes[0].get_title() == "y" and len(shown.calls) == 2


def test_without_ipywidgets_the_figure_and_a_note(shown, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)        # import fails -> a note, no error
    assert widgets.explorer(draw_line, a=(1, 10, 1, 3), b=(0.0, 1.0, 0.1, 0.5), kind=["x", "y"]) is None
    assert len(shown.calls) == 1 and "ipywidgets" in capsys.readouterr().out
