"""lecture_tools: what only a lecturer uses, beside the students' ``lecture_utils`` (which it imports,
never the reverse)::

    cli.py __main__.py arguments.py     python -m lecture_tools data|vae|anogan|homework ...
    data_cli.py vae_cli.py anogan_cli.py  the command groups, each beside nothing but its command
    grading.py sandbox.py answer_runner.py  homework grade: each submission in its own sandboxed kernel
    release.py                          anogan release: the zip of lecture 2's published weights

The "Architecture" section of docs/contributing.md has one line per module.
"""

NOTHING_WRITTEN = "interrupted; nothing was written"   # what a Ctrl-C prints before a command keeps state
