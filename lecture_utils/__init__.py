"""lecture_utils: the small package behind the anomaly-detection lectures, what a student installs.

One subpackage per lecture, beside what they share (imports flow one way: ``data`` <- ``vae``,
``anogan``; the shared modules import no lecture)::

    config.py checkpoint.py metrics.py batching.py viz.py widgets.py checks.py hidden.py outputs.py
    progress.py errors.py messages.py (its catalogue: messages.toml)
    data/    mvtec.py download.py synthetic.py digits.py sources.py plots.py homework.py
    vae/     model.py train.py projection.py localization.py evaluate.py plots.py homework.py
    anogan/  dcgan.py train.py score.py search.py plots.py homework.py published.py

The lecturer's tools (grading, the command line, releasing weights) are the separate package
``lecture_tools`` (``lecturer/``), which imports this one; this one never imports it. The
"Architecture" section of docs/contributing.md has one line per module.
"""
__version__ = "0.1.0"   # pyproject.toml [project] version (tests/test_colab.py checks they agree)
REPOSITORY = "mprg-lectures/anomaly-detection-lectures"   # pyproject.toml [tool.lecture_utils] repository (same test)
