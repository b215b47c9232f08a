"""Checks for the data notebook's exercises (00).  ``check_*`` print a hint (public checks, run by
the student); the grading checks are lecturer code in the bundle (``notebooks/grading/00_datasets.json``).
A public check holds no reference solution: it tests properties and values worked out by hand.

1. ``defect_fraction(masks)``: the share of defective pixels of each image.
2. The defect type whose masks cover the largest share of the image on average.
"""
from __future__ import annotations

import torch

from ..checks import NotAnswered, Plausible, call, close, expect, run, say, tensor_of


def _defect_fraction(fn, cases) -> str:
    for masks, expected in cases:
        got = tensor_of(call(fn, masks.clone()), (len(masks),), "defect_fraction")
        close(got, expected, "defect_fraction")
    return say("one number per image, the share of its pixels marked defective.",
               "画像ごとに1つの値、欠陥とされた画素の割合です。")


def check_defect_fraction(fn) -> bool | None:
    """Exercise 1 (public): small masks whose shares are known (0, 1/4, 1, 3/9)."""
    handmade = torch.zeros(2, 1, 4, 4)
    handmade[1, 0, :2, :2] = 1                                        # 4 of 16 pixels: 0.25
    third = torch.zeros(1, 1, 3, 3)
    third[0, 0, 1] = 1                                                # 3 of 9 pixels
    return run(_defect_fraction, fn, [(handmade, torch.tensor([0.0, 0.25])), (torch.ones(3, 1, 5, 2), torch.ones(3)),
                                      (third, torch.tensor([1 / 3]))])


def _largest_defect(answer, test) -> str:
    if answer is None:
        raise NotAnswered
    kinds = sorted(set(test.defects) - {"good"})
    expect(answer in kinds, f"{answer!r} is not a defect type of this test set; choose from {kinds}",
           f"{answer!r} はこのテストセットの欠陥の種類ではありません。{kinds} から選んでください")
    return Plausible(say(f"{answer} is a defect type of the test set.", f"{answer} はテストセットの欠陥の種類です。"))


def check_largest_defect(answer, test) -> bool | None:
    """Exercise 2 (public): one of the defect types of ``test`` (the grader compares the shares)."""
    return run(_largest_defect, answer, test)
