"""Child process: renders chunk HTML files into PDF files with WeasyPrint.

Run as `python -m conveyor_processor.exports.writers.pdf_chunk`. It reads one
request per stdin line, `<html path>\\t<pdf path>`, renders it and answers
`done\\n` on stdout, until stdin closes. WeasyPrint keeps the memory a layout
took until its process ends, so the worker never imports it and replaces this
process every few chunks.
"""

from __future__ import annotations

import sys
from pathlib import Path

DONE_LINE = "done"


def render(html_path: Path, pdf_path: Path) -> None:
    # Imported here: the worker imports this module for its protocol, never WeasyPrint.
    import weasyprint

    html = html_path.read_text(encoding="utf-8")
    weasyprint.HTML(string=html).write_pdf(pdf_path)


def main() -> int:
    for line in sys.stdin:
        html_path, pdf_path = line.rstrip("\n").split("\t")
        render(Path(html_path), Path(pdf_path))
        print(DONE_LINE, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
