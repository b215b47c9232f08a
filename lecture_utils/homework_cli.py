"""Grade homework (python -m lecture_utils homework ...).

    homework grade SUBMISSIONS --bundle notebooks/grading/NAME.json --out grades.csv [--reduced]
"""
from __future__ import annotations

from pathlib import Path

from .arguments import integer


def register(groups) -> None:
    parser = groups.add_parser("homework", help="grade submitted homework notebooks",
                               description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("grade", help="run each SUBMISSIONS/*.ipynb in its own folder, judge it in a clean process, write a CSV")
    p.add_argument("submissions", type=Path, help="folder of submitted notebooks (student = file name)")
    p.add_argument("--bundle", type=Path, required=True, help="the lecture's notebooks/grading/NAME.json")
    p.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV to write (default: grades.csv)")
    p.add_argument("--timeout", type=integer(1), default=1800,
                   help="seconds per cell (and per judged question) before its process is killed")
    p.add_argument("--reduced", action="store_true", help="run the notebooks with LECTURE_UTILS_REDUCED=1")
    p.set_defaults(func=grade)


def grade(args) -> int:
    from .grading import grade_folder
    grade_folder(args.submissions, args.bundle, args.out, args.timeout, args.reduced)
    print(f"wrote {args.out}")
    return 0
