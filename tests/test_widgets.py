"""The explorers: one figure, redrawn in place by real ipywidgets (7.7.1 in the Colab run, 8 in the
newest), and never a stalled headless run (jupyter/nbclient#312): each lecture's explorer is
executed 20 times by nbclient, each cell under a short timeout."""
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


VAE_EXPLORER = """
import torch
from types import SimpleNamespace
from lecture_utils.vae.plots import vae_explorer
test = SimpleNamespace(images=torch.rand(2, 1, 32, 32), defects=["good", "crack"], masks=torch.zeros(2, 1, 32, 32))
results = {"kl": SimpleNamespace(maps=torch.rand(2, 32, 32))}
trajectories = {i: [torch.rand(1, 32, 32) for _ in range(3)] for i in range(2)}
"""
GAN_EXPLORER = """
import torch
from lecture_utils.anogan import dcgan, search
from lecture_utils.anogan.plots import search_explorer
torch.manual_seed(0)
G, D = dcgan.Generator(z_dim=8, width=8), dcgan.Discriminator(width=8)
x = torch.rand(2, 1, 64, 64) * 2 - 1
path = search.search_trajectory(G, D, x, search.SearchConfig(iterations=2, lr=0.05), every=1)
"""
RUNS = 20


@pytest.mark.parametrize("setup, cell", [
    (VAE_EXPLORER, "box = vae_explorer(test, results, trajectories, [0, 1]); box.redraw()"),
    (GAN_EXPLORER, "box = search_explorer(G, D, x, path); box.redraw()"),
], ids=["vae_explorer", "search_explorer"])
def test_explorers_never_stall_a_headless_run(setup, cell):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    cells = [nbformat.v4.new_code_cell(setup)] + [nbformat.v4.new_code_cell(cell) for _ in range(RUNS)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                         "display_name": "Python 3"}})
    NotebookClient(nb, timeout=60, kernel_name="python3", startup_timeout=120).execute()  # raises on a stall
    for c in nb.cells[1:]:
        kinds = [o.get("output_type") for o in c.outputs]
        images = [o for o in c.outputs if "image/png" in o.get("data", {})]
        assert "error" not in kinds and len(images) == 1, kinds   # one figure, shown once
