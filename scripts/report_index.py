"""Write OUTPUT/index.html: one link per executed notebook, with its error count."""

import html
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = []
for notebook in sorted((out / "executed").glob("*.ipynb")):
    cells = json.loads(notebook.read_text())["cells"]
    errors = sum(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))
    status = "ok" if not errors else f"{errors} error(s)"
    rows.append(f'<li><a href="html/{notebook.stem}.html">{html.escape(notebook.stem)}</a>: {status}</li>')
(out / "index.html").write_text(
    "<!doctype html><meta charset=utf-8><title>Multi-stage Docker builds: tutorial run</title>"
    "<h1>Multi-stage Docker builds: tutorial run</h1><ul>" + "".join(rows) + "</ul>\n")
print(f"{len(rows)} notebooks in {out / 'index.html'}")
