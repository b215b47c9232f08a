"""benchmarks/original_recipes.py runs both published recipes end to end (--dry-run, offline data)."""
import pytest

from lecture_utils.data import synthetic
from lecture_utils.data.synthetic import CapsuleSpec

from conftest import benchmark_script


@pytest.fixture(scope="module")
def recipes():
    return benchmark_script("original_recipes")


def test_the_lecture_recipe_runs_as_published(recipes, tmp_path):
    tiny = CapsuleSpec(n_train=3, n_test_good=2, n_test_defect=1, size=64, seed=0)
    root = synthetic.write_synthetic_capsule(tmp_path / "cap", tiny, progress=False)
    r = recipes.main(["lecture", "--dry-run", "--data", str(root), "--json", str(tmp_path / "r.json")])
    assert r["dry_run"] is True and r["vae"]["epochs"] == 1 and (tmp_path / "r.json").is_file()
    assert r["vae"]["augment"] == "lecture" and r["vae"]["lr"] == 2e-4 and r["vae"]["weight_decay"] == 1e-5
    assert r["projection"]["energy"] == "lecture" and (r["projection"]["alpha"], r["projection"]["lam"]) == (0.5, 0.05)
    for key in ("image_auroc_max", "image_auroc_mean", "pixel_auroc"):
        assert 0 <= r[key] <= 1


def test_the_book_recipe_runs_as_published(recipes):
    r = recipes.main(["book", "--dry-run"])
    gan = r["gan"]
    assert (gan["batch_size"], gan["g_lr"], gan["d_lr"], tuple(gan["betas"])) == (64, 1e-4, 4e-4, (0.0, 0.9))
    assert gan["real_label"] == 1.0 and gan["instance_noise"] == 0.0 and r["search"]["lr"] == 1e-3
    assert r["data"] == "bundled" and 0 <= r["auroc"] <= 1
    assert "instead of the book's 5,000" in r["search_note"]  # a shortened search says so
