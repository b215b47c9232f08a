"""Sphinx configuration of the reading copy (book/build.py runs Sphinx once per language,
with ``-D language=ja`` or ``en``, on the pages it prepared in build/book/src/{lang})."""
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:    # Python < 3.11
    import tomli as tomllib

_PROJECT = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
LANG_NAMES = {"ja": "日本語", "en": "English"}
TITLES = {"ja": "教師なし画像異常検知", "en": "Unsupervised visual anomaly detection"}

project = "lecture-utils"
# The footer's "By ...": pyproject.toml's [project] authors, else the GitHub owner of the repository
# (Sphinx's default is "Author name not set").
author = ", ".join(a["name"] for a in _PROJECT["project"].get("authors", []) if a.get("name")) \
    or _PROJECT["tool"]["lecture_utils"]["repository"].split("/")[0]
release = version = _PROJECT["project"]["version"]
language = "en"   # book/build.py overrides it per language
extensions = ["myst_nb"]
exclude_patterns = ["**.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]   # the lectures go from a title (H1) to numbered H3 parts
templates_path = ["_templates"]
html_static_path = ["_static"]
html_js_files = ["langswitch.js"]
html_css_files = ["book.css"]
html_favicon = "_static/favicon.svg"
html_theme = "sphinx_book_theme"
html_theme_options = {
    "article_header_start": ["toggle-primary-sidebar.html", "langswitch.html"],
    "use_download_button": False,      # the Colab badge at the top of each page opens the notebook
    "show_toc_level": 2,
}
html_context = {"default_mode": "auto"}   # else the theme logs "invalid theme mode" on first visit
html_show_sourcelink = False
html_copy_source = False

# The notebooks were executed by book/build.py; widget views were removed (no kernel here), so no
# widget script is loaded from the network either.
nb_execution_mode = "off"
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3   # the guides link to each other's sections (contributing.md#tested-with)

# MathJax 2, copied by book/build.py from jupyter-server-mathjax to build/book/html/{lang}/_static/mathjax:
# no CDN.
mathjax_path = "mathjax/MathJax.js"   # under _static/
mathjax2_config = {
    "config": ["TeX-AMS-MML_HTMLorMML-full.js"],   # the one combined configuration the package ships
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                "processEscapes": True, "processClass": "math", "ignoreClass": "document"},
    "HTML-CSS": {"availableFonts": [], "imageFont": None, "preferredFont": None, "webFont": "STIX-Web",
                 # MathJax's blank test font is url('about:blank'), which Chrome reports as a CORS error
                 "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}}},
    "messageStyle": "none",
}


def _language_switch(app, pagename, templatename, context, doctree):
    """The link to the same page in the other language (its section: _static/langswitch.js)."""
    lang = app.config.language
    other = next(code for code in LANG_NAMES if code != lang)
    context["other_lang"] = other
    context["other_lang_name"] = LANG_NAMES[other]
    context["other_lang_url"] = "../" * (pagename.count("/") + 1) + f"{other}/{pagename}.html"


def _title(app, config):
    config.html_title = TITLES.get(config.language, TITLES["en"])


def setup(app):
    app.connect("config-inited", _title)
    app.connect("html-page-context", _language_switch)
