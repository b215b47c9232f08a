"""The checkers of a lecture's printed verdicts: lecture 1's verdict lines
(``vae.evaluate.verdict_lines``) against the table printed above them, lecture 2's (the last cell of
its section 6) against the AUROCs and times of its sections 1 to 6. tests/test_verdicts.py shows
they catch each kind of contradiction; tests/test_executed.py applies them to executed notebooks."""
import re
from pathlib import Path

from lecture_utils.metrics import TIE
from lecture_utils.vae.evaluate import IMAGE_GRADES

ROOT = Path(__file__).resolve().parent.parent
DECIMAL = re.compile(r"(?<![0-9A-Za-z_.])\d+\.\d+(?![0-9A-Za-z_]|\.\d)")


TABLE_ROW = re.compile(r"^(\w+)\s+([\d.]+|-)\s+([\d.]+|-)\s+[\d.]+$")
VERSUS = re.compile(r"(pixel|image) AUROC ([\d.]+) - ([\d.]+) = ([+-][\d.]+) \((ahead|behind|level)\)")
VERDICT = re.compile(r"^([\w+]+) vs ([\w+]+): ")
GRADE = re.compile(r"^image score: best image AUROC ([\d.]+) \((\w+)\): (.+?) \(")
ROUNDING = 6e-4   # a printed AUROC (3 decimals) against another print of the same value


def parse_table(text: str) -> dict:
    """comparison_table's lines -> {method: {"image": float|None, "pixel": float|None}}."""
    rows = {}
    for line in text.splitlines():
        m = TABLE_ROW.match(line.strip())
        if m:
            value = lambda s: None if s == "-" else float(s)  # noqa: E731
            rows[m[1]] = {"image": value(m[2]), "pixel": value(m[3])}
    return rows


def versus_claims(rows: dict, line: str) -> list[bool]:
    """For a verdict line ``NEW vs OLD: ...`` (``metrics.versus``), whether each ``LEVEL AUROC a - b = d
    (word)`` in it agrees with ``rows`` ({method: {level: printed AUROC}}): a and b are NEW's and OLD's
    AUROCs as printed there, d is a - b, and the word fits d (level: |d| < TIE, up to rounding);
    [] for any other line. Shared by both lectures' verdicts."""
    head = VERDICT.match(line)
    if not head:
        return []
    claims = []
    for level, new, old, diff, word in VERSUS.findall(line):
        new, old, diff = float(new), float(old), float(diff)
        printed = [rows.get(m, {}).get(level) for m in (head[1], head[2])]
        claims.append(None not in printed and abs(printed[0] - new) < ROUNDING and abs(printed[1] - old) < ROUNDING
                      and abs(diff - (new - old)) < 1.5e-3
                      and {"ahead": diff >= TIE - ROUNDING, "behind": diff <= ROUNDING - TIE,
                           "level": abs(diff) <= TIE + ROUNDING}[word])
    return claims


def contradictions(table: str, verdict: str) -> list[str]:
    """Every verdict line that the printed table contradicts: wrong AUROCs, a difference that is not
    their difference, ahead/behind against its sign, or a grade that is not the best image AUROC's."""
    rows, bad, seen = parse_table(table), [], 0
    for line in verdict.splitlines():
        grade, claims = GRADE.match(line), versus_claims(rows, line)
        seen += len(claims)
        bad += [] if all(claims) else [line]
        if grade:
            seen += 1
            best = max(r["image"] for r in rows.values() if r["image"] is not None)
            bound = {word: b for b, word in IMAGE_GRADES}[grade[3]]
            bad += [] if abs(float(grade[1]) - best) < 6e-4 and float(grade[1]) >= bound else [line]
    return bad if seen else ["no verdict line"]


# the lines notebook 02 prints in sections 1 to 6 (its data, the search, the AUROCs, the verdict)
LECTURE_2 = {
    "data": re.compile(r"^source: (\w+) \| train .* \| test (\d+) \((\d+) anomalies\)$"),
    "search": re.compile(r"^searched (\d+) images x (\d+) steps in ([\d.]+) s"),
    "aurocs": re.compile(r"^AUROC\s+A\(x\): ([\d.]+) \| residual only: ([\d.]+) \| discrimination only: ([\d.]+)$"),
    "encoder": re.compile(r"^encoder: AUROC ([\d.]+) in ([\d.]+) s \((\d+)x faster than the search\)$"),
    "refined": re.compile(r"^E\(x\) \+ (\d+) search steps: AUROC ([\d.]+) in ([\d.]+) s$"),
    "this run": re.compile(r"^this run: (\w+) digits, (\d+) test images \((\d+) anomalies\), (\d+)-step search; "),
    "reference": re.compile(r"^reference, real MNIST, full settings \(([\w/.]+)\): (.+)$"),
}
LECTURE_2_VERDICTS = ("encoder vs search", "encoder+search vs search")


def lecture_2_lines(text: str) -> dict:
    """{kind: regex match} of the LECTURE_2 lines in notebook 02's printed text, and "verdicts": its
    ``NEW vs OLD:`` lines."""
    lines = [line.strip() for line in text.splitlines()]
    found = {kind: m for line in lines for kind, pattern in LECTURE_2.items() if (m := pattern.match(line))}
    return found | {"verdicts": [line for line in lines if VERDICT.match(line)]}


def faster_claim_holds(search_s: str, encoder_s: str, times: str) -> bool:
    """'N x faster than the search' against the printed times (search 1 decimal, encoder 2): the
    search took longer whatever the rounding, and N is their ratio rounded."""
    s_lo, s_hi = float(search_s) - 0.05, float(search_s) + 0.05
    e_lo, e_hi = max(float(encoder_s) - 0.005, 1e-9), float(encoder_s) + 0.005
    return s_lo > e_hi and s_lo / e_hi - 0.5 <= int(times) <= s_hi / e_lo + 0.5


def lecture_2_contradictions(text: str) -> list[str]:
    """What notebook 02's printed text (sections 1 to 6) contradicts: a verdict line whose AUROCs are
    not those printed in sections 5 and 6 or whose word (ahead / behind / level) is not their
    difference's, a "this run" line naming other data or counts than section 1's, an "x faster" the
    printed times deny, a reference figure not in the file it cites, or a line missing."""
    found = lecture_2_lines(text)
    bad = [f"no {kind} line" for kind in LECTURE_2 if kind not in found]
    bad += [f"no {name} line" for name in LECTURE_2_VERDICTS
            if not any(line.startswith(name + ":") for line in found["verdicts"])]
    if bad:
        return bad
    data, run, search, encoder = found["data"], found["this run"], found["search"], found["encoder"]
    if run.groups() != data.groups() + (search[2],):
        bad.append(run.string)
    rows = {"search": {"image": float(found["aurocs"][1])}, "encoder": {"image": float(encoder[1])},
            "encoder+search": {"image": float(found["refined"][2])}}
    bad += [line for line in found["verdicts"] if not (claims := versus_claims(rows, line)) or not all(claims)]
    if not faster_claim_holds(search[3], encoder[2], encoder[3]):
        bad.append(encoder.string)
    if not in_the_file_cited(found["reference"][1], found["reference"][2]):
        bad.append(found["reference"].string)
    return bad


def in_the_file_cited(path: str, figures: str) -> bool:
    """Whether every decimal of ``figures`` is in the file ``path`` (relative to the repository)."""
    cited = ROOT / path
    text = cited.read_text(encoding="utf-8") if cited.is_file() else ""
    return bool(text) and all(re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", text) for n in DECIMAL.findall(figures))
