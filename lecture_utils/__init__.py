"""lecture_utils: the small package behind the anomaly-detection lectures.

One subpackage per lecture, beside what they share (imports flow one way: ``data`` <- ``vae``,
``anogan``; the shared modules import no lecture)::

    config.py checkpoint.py metrics.py batching.py viz.py widgets.py checks.py outputs.py
    arguments.py grading.py answer_runner.py progress.py errors.py cli.py
    data/    mvtec.py download.py synthetic.py digits.py sources.py plots.py homework.py cli.py
    vae/     model.py train.py projection.py localization.py evaluate.py plots.py homework.py cli.py
    anogan/  dcgan.py train.py score.py search.py plots.py homework.py published.py cli.py

The "Architecture" section of docs/contributing.md has one line per module.
"""
__version__ = "0.1.0"   # pyproject.toml [project] version (tests/test_colab.py checks they agree)
REPOSITORY = "mprg-lectures/anomaly-detection-lectures"   # pyproject.toml [tool.lecture_utils] repository (same test)
