"""What every homework check prints: one line for right, wrong or not answered yet."""
from __future__ import annotations


def report(ok: bool | None, good: str = "", bad: str = "") -> bool | None:
    """Print "Correct: good", "Not yet: bad" or "Not answered yet." and return ``ok``."""
    print("Not answered yet." if ok is None else (f"Correct: {good}" if ok else f"Not yet: {bad}"))
    return ok
