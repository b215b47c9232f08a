"""What a saved notebook's outputs show: shared by the checks of executed notebooks
(tests/test_executed.py, the book's executions) and of nbval's runs (notebooks/conftest.py)."""
import re

BAR = re.compile(r"^(?P<desc>[^\r\n|]*?):?\s*(?P<percent>\d+)%\|")   # tqdm's "desc:  50%|█████     | 1/2 ..."


def text_of(output) -> str:
    """What an output shows as text: a stream's text or a display's text/plain."""
    text = output.get("text", "") if output.get("output_type") == "stream" else output.get("data", {}).get("text/plain", "")
    return "".join(text)


def bar_problems(outputs: list[dict]) -> list[str]:
    """Progress bars not saved as one finished line: a bar in a stream (one saved line per update), a
    display holding more than its one line, or a bar left before 100 %."""
    problems = []
    for output in outputs:
        lines = [line.strip() for line in re.split(r"[\r\n]+", text_of(output)) if line.strip()]
        bars = [m for line in lines if (m := BAR.match(line))]
        if not bars:
            continue
        if output.get("output_type") == "stream" or len(lines) > 1:
            problems.append(f"{len(bars)} bar line(s) in one {output.get('output_type')}: {bars[-1].string[:60]}")
        elif int(bars[-1]["percent"]) != 100:
            problems.append(f"unfinished: {bars[-1].string[:60]}")
    return problems
