"""The README's figure: each test type of the offline synthetic capsule with its ground-truth mask
(notebook 00, section 2). Writes docs/capsule.png; nothing is downloaded.

    .venv/bin/python docs/figure.py
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from lecture_utils.data import plots, sources  # noqa: E402
from lecture_utils.data.mvtec import load_split  # noqa: E402

OUT = Path(__file__).resolve().parent / "capsule.png"

if __name__ == "__main__":
    root, _ = sources.capsule("synthetic")
    test = load_split(root, "test", 128, 3)
    fig = plots.show_types_with_masks(test, "Synthetic capsule: one test image per type, and its defect mask")
    fig.savefig(OUT, dpi=80, bbox_inches="tight")
    print(OUT)
