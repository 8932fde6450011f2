"""Writing one benchmark's section of docs/benchmarks.md, leaving the others alone."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
INTRO = (
    "# Benchmarks\n\nMeasured on the project's 2-core machine; each section says how to "
    "reproduce its figures.\n"
)


def write_section(heading: str, section: str) -> None:
    """Replace the section under `heading` (up to the next `## `), or append it."""
    text = DOC.read_text() if DOC.exists() else INTRO
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text.rstrip("\n") + "\n")
