"""Figures a student can read: every map has its colour scale and the ground truth beside it, the
explorers start on something worth seeing and say what they show, frames are large enough, progress
bars are saved finished, and a line a notebook prints appears once (a cell that would show its figure
twice is a rule of tools/lint.py)."""
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lecture_utils import viz  # noqa: E402
from lecture_utils.anogan import dcgan, search  # noqa: E402
from lecture_utils.anogan import plots as gan_plots  # noqa: E402
from lecture_utils.vae import plots as vae_plots  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def maps_without_scale(fig) -> list:
    """The colour maps (images not drawn in grey) of ``fig`` that no colorbar of ``fig`` explains
    (same colormap and the same range)."""
    images = [im for ax in fig.axes for im in ax.images]
    bars = [im.colorbar for im in images if im.colorbar is not None]
    scales = {(cb.mappable.get_cmap().name, cb.mappable.get_clim()) for cb in bars}
    return [im for im in images if im.get_cmap().name != "gray" and im.get_array().ndim == 2
            and (im.get_cmap().name, im.get_clim()) not in scales]


def row_labels(fig) -> list[str]:
    return [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]


def test_the_scale_check_catches_a_map_without_colorbar():
    fig, (a, b) = plt.subplots(1, 2)
    viz.show_map(a, torch.rand(8, 8), vmax=1.0)
    assert maps_without_scale(fig) == []
    viz.show_map(b, torch.rand(8, 8), vmax=2.0, colorbar=False)
    assert len(maps_without_scale(fig)) == 1


def _capsules(n=3, size=32):
    images = torch.rand(n, 3, size, size)
    masks = torch.zeros(n, 1, size, size)
    masks[1:, :, 8:16, 8:16] = 1
    return images, masks


def test_lecture_1_maps_have_a_colorbar_and_the_ground_truth():
    x, masks = _capsules()
    figs = [vae_plots.reconstructions(x, x * 0.9, ["good", "crack", "poke"], masks),
            vae_plots.localization(x, x, {"DSSIM": torch.rand(3, 32, 32), "|x_0 - x_T|": torch.rand(3, 32, 32)},
                                   masks, ["good", "crack", "poke"])]
    for fig in figs:
        assert maps_without_scale(fig) == []
        assert row_labels(fig)[-1] == "ground truth"
    assert {"DSSIM", "|x_0 - x_T|"} <= set(row_labels(figs[1]))   # short row labels name each map


def _gan(n=4):
    torch.manual_seed(0)
    G, D = dcgan.Generator(z_dim=8, width=8), dcgan.Discriminator(width=8)
    return G, D, torch.rand(n, 1, 64, 64) * 2 - 1


def test_lecture_2_residuals_have_a_colorbar_and_each_digit_its_truth():
    G, D, x = _gan()
    result = search.latent_search(G, D, x, search.SearchConfig(iterations=2, lr=0.05), progress=False)
    labels = torch.tensor([0, 1, 0, 1])
    fig = gan_plots.plot_best_worst(x, labels, result, k=2)
    assert maps_without_scale(fig) == []
    picks = torch.argsort(result.scores)[[0, 1, -2, -1]].tolist()
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles == ["anomaly" if labels[i] else "normal" for i in picks]


def test_the_search_explorer_names_the_step_out_of_all_steps():
    G, D, x = _gan(2)
    path = search.search_trajectory(G, D, x, search.SearchConfig(iterations=50, lr=0.05), every=2)
    assert len(path) == 26                                 # z at steps 0, 2, ..., 50
    fig = gan_plots.draw_search_step(G, D, x, path, image=1, every=2, iterations=50, labels=torch.tensor([0, 1]))
    assert fig.axes[1].get_title() == "G(z), step 50 of 50"
    assert "anomaly" in fig.axes[0].get_title() and maps_without_scale(fig) == []
    fig = gan_plots.draw_search_step(G, D, x, path, image=0, step=10, every=2, iterations=50)
    assert fig.axes[1].get_title() == "G(z), step 10 of 50"


def test_the_vae_explorer_starts_on_a_detection_and_names_its_method(monkeypatch):
    x, masks = _capsules()
    maps = torch.rand(3, 32, 32) * 0.5
    maps[2, 8:16, 8:16] += 0.6                            # the poke image's defect stands out
    test = SimpleNamespace(images=x, defects=["good", "crack", "poke"], masks=masks)
    trajectories = {i: [x[i]] * 3 for i in (1, 2, 0)}
    shown = {}
    monkeypatch.setattr(vae_plots, "explorer", lambda draw, **controls: shown.update(draw=draw, **controls))
    vae_plots.vae_explorer(test, {"kl": SimpleNamespace(maps=maps)}, trajectories, [0, 1, 2])
    image, t, threshold = shown["image"][0], shown["t"][3], shown["threshold"][3]
    i = int(image.split(":")[0])
    assert [name.split(": ")[1] for name in shown["image"]] == ["poke", "crack", "good"]   # best detected first
    assert threshold == pytest.approx(float(torch.quantile(maps[0].flatten(), 0.99)))
    fig = shown["draw"](image=image, t=t, threshold=threshold)
    title = fig._suptitle.get_text()
    assert "kl" in title and "percentile of the good images" in title and f"{threshold:.3g}" in title
    assert "kl map" in [ax.get_title() for ax in fig.axes]
    assert i == 2 and vae_plots.detected(maps[i], masks[i], threshold) == 1.0   # the default shows a detection
    assert vae_plots.detected(maps[1], masks[1], threshold) < 0.1 and vae_plots.detected(maps[0], masks[0], 0.0) == 0.0


def test_trajectory_frames_are_large():
    fig = vae_plots.trajectory([torch.rand(3, 32, 32)] * 5, [0, 1, 2, 3, 4])
    frames = [ax for ax in fig.axes if ax.images]
    assert len(frames) == 5
    assert min(ax.get_window_extent().width / fig.dpi for ax in frames) >= 2.5   # inches (was 1.7)


def test_roc_curves_draw_side_by_side_on_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    y = torch.tensor([0, 0, 1, 1])
    assert viz.roc_curves(y, {"a": torch.tensor([0.1, 0.4, 0.35, 0.8])}, ax=left) is fig
    viz.roc_curves(y, {"a": torch.tensor([0.1, 0.4, 0.35, 0.8])}, level="pixel", ax=right)
    assert "image" in left.get_title() and "pixel" in right.get_title() and len(fig.axes) == 2


IMPORTS_A_WIDGET_BAR = re.compile(r"^\s*(from tqdm\.(auto|notebook) import|import tqdm\.(auto|notebook)"
                                  r"|from tqdm import (auto|notebook)|from tqdm\.autonotebook import)", re.M)


def test_the_package_draws_text_progress_bars():
    assert IMPORTS_A_WIDGET_BAR.search("    from tqdm.auto import tqdm")
    assert not IMPORTS_A_WIDGET_BAR.search("from tqdm import tqdm  # not tqdm.auto")
    # tqdm.auto draws a widget, which an executed notebook saves at "0%"; the text bar is saved at 100 %
    bad = [str(p.relative_to(ROOT)) for p in (ROOT / "lecture_utils").rglob("*.py")
           if IMPORTS_A_WIDGET_BAR.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad


def bar_outputs(outputs) -> list[dict]:
    """The outputs that hold a progress bar (tqdm's ``NN%|``), streams and displays alike."""
    return [o for o in outputs if "%|" in o.get("text", "") + o.get("data", {}).get("text/plain", "")]


def test_an_executed_progress_bar_is_saved_as_one_finished_line():
    """In a real kernel: the latent search's bar (and one updated hundreds of times, as the GAN's
    ``set_postfix`` does each batch) is one output updated in place, saved at 100 %; a line printed
    before it stays above it."""
    pytest.importorskip("nbclient")
    from conftest import run_in_kernel
    search_cell = ("import torch\nfrom lecture_utils.anogan import dcgan, search\n"
                   "G, D = dcgan.Generator(z_dim=8, width=8), dcgan.Discriminator(width=8)\n"
                   "_ = search.latent_search(G, D, torch.rand(2, 1, 64, 64) * 2 - 1, search.SearchConfig(iterations=3))")
    busy_cell = ("from lecture_utils.progress import bar\nprint('before the bar')\n"
                 "with bar(total=300, desc='busy') as b:\n"
                 "    for i in range(300):\n        b.set_postfix(step=i)\n        b.update()\n"
                 "print('after the bar')")
    searched, busy = run_in_kernel(search_cell, busy_cell, path=ROOT)
    for outputs in (searched, busy):
        assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
        [line] = bar_outputs(outputs)
        assert line["output_type"] == "display_data", line
        text = line["data"]["text/plain"]
        assert "100%|" in text and "\n" not in text and "\r" not in text, text
    assert "busy: 100%|" in busy[1]["data"]["text/plain"] and "step=299" in busy[1]["data"]["text/plain"]
    assert [o.get("text") for o in busy if o["output_type"] == "stream"] == ["before the bar\n", "after the bar\n"]
    assert busy.index(bar_outputs(busy)[0]) == 1, "the bar sits between the lines printed before and after it"


def test_outside_a_kernel_the_bar_is_tqdms_text_on_stderr(capsys):
    from lecture_utils import progress
    assert not progress.in_kernel()
    for _ in progress.bar(range(3), desc="loop"):
        pass
    err = capsys.readouterr().err
    assert "\rloop: 100%|" in err and err.endswith("\n") and err.count("\n") == 1   # tqdm redraws with \r


def test_printing_calls_return_none(monkeypatch, capsys):
    """A cell that ends with one of them shows its line once (IPython displays no None)."""
    from lecture_utils import config
    from lecture_utils.messages import tell
    monkeypatch.delenv(config.REDUCED_ENV, raising=False)
    monkeypatch.setattr(config, "_slow_cpu_said", False)
    assert tell("device", device="cpu") is None and config.show_device("cpu") is None
    assert config.warn_if_slow("cpu") is None
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_the_t_sweep_shows_the_trend_of_t_at_least_1_and_t_0_apart():
    """The 0.974 -> 0.969 fall from T to 2T fills a visible part of the axis; t = 0 (0.5 by
    construction) is drawn apart, named in the legend, in ASCII."""
    by_t = {0: 0.5, 1: 0.95, 10: 0.968, 25: 0.973, 50: 0.974, 100: 0.974, 200: 0.969}
    fig = vae_plots.auroc_against_t(by_t, 0.962, 100, "pixel AUROC against t (42 test images, sigma = 4)")
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert (0.974 - 0.969) / (high - low) > 0.1, (low, high)     # was 0.01 of an axis from 0.5 to 0.97
    assert low > 0.9 and high < 1.0
    labels = ax.get_legend_handles_labels()[1]
    apart = [label for label in labels if label.startswith("t = 0: 0.500")]
    assert apart == ["t = 0: 0.500 (x_t = x_0, all pixels tie), below this scale"], labels
    assert ax.get_xlabel() == "iteration t" and ax.get_ylabel() == "pixel AUROC" and "42 test images" in ax.get_title()
    assert all(text.isascii() for text in labels + [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()])
    line = next(line for line in ax.lines if line.get_label().startswith("kl projection"))
    assert list(line.get_xdata()) == [1, 10, 25, 50, 100, 200], "t = 0 is not on the curve"


def test_the_t_sweep_keeps_t_0_in_place_when_it_is_within_the_others():
    """Reduced settings, an untrained VAE: every value near 0.5, so t = 0 sits on the axis, labelled."""
    fig = vae_plots.auroc_against_t({0: 0.5, 1: 0.49, 2: 0.52, 4: 0.51}, 0.5, 2)
    ax = fig.axes[0]
    marker = next(line for line in ax.lines if line.get_label().startswith("t = 0"))
    assert marker.get_label() == "t = 0: 0.500 (x_t = x_0, all pixels tie)" and list(marker.get_ydata()) == [0.5]
    fig = vae_plots.auroc_against_t({0: 0.5, 1: 0.34, 2: 0.32, 5: 0.29, 10: 0.27}, 0.25, 5)   # the book's reduced run
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 0.4 and "t = 0: 0.500 (x_t = x_0, all pixels tie), above this scale" in \
        ax.get_legend_handles_labels()[1]


def test_notebook_0s_detector_figure_shows_scores_by_type_and_where_good_images_look_unusual():
    from lecture_utils.data import plots as data_plots
    defects = ["crack", "good", "good", "poke", "good"]
    scores, maps = torch.tensor([3.0, 1.0, 1.5, 1.2, 0.5]), torch.rand(5, 16, 16)
    fig = data_plots.show_scores_by_type(scores, maps, defects, "Distance to the mean image")
    left, right = fig.axes[:2]
    assert [t.get_text() for t in left.get_xticklabels()] == ["good", "crack", "poke"]   # good first
    assert left.get_xlabel() and left.get_ylabel() == "image score"
    dashed = [line for line in left.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == 1.5            # the highest good score
    assert maps_without_scale(fig) == [] and right.images                 # the good images' mean map, with its scale
    assert torch.allclose(torch.tensor(right.images[0].get_array()), maps[[1, 2, 4]].mean(0))
