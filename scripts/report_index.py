"""Write OUTPUT/index.html: the page an instructor opens after a dry run of the tutorial.

    python scripts/report_index.py OUTPUT

It reads what ``scripts/tutorial.sh`` left in OUTPUT: ``run.json`` (written by
``scripts/headless.py``: this run's notebooks, each with its status and seconds), the executed
notebooks it names, and ``images.json`` (``python -m dockerlab images --json``). The page shows
each lesson's status, its run time, the time its first cell states and a reading estimate (see
`estimate_minutes`), with a link to its executed HTML; the tutorial's images with their sizes
(unpacked bytes) and the single-stage / multi-stage ratio; and every plot of the lessons, written
beside the page as OUTPUT/plots/NAME-N.png. Files of earlier runs that run.json does not name are
not shown. Plain HTML, no script.
"""

from __future__ import annotations

import base64
import html
import json
import re
import sys
from pathlib import Path

import lesson_times  # scripts/, beside this file

TITLE = "Multi-stage Docker builds: tutorial run"


def first_cell(nb: dict) -> str:
    return "".join(nb["cells"][0]["source"]) if nb.get("cells") else ""


def title(nb: dict, default: str) -> str:
    """The lesson's H1, without the '# '."""
    match = re.match(r"#\s+(.+)", first_cell(nb))
    return match.group(1).strip() if match else default


def stated_minutes(nb: dict) -> int | None:
    """The minutes the first cell states ("**Time:** 45 minutes."), or None."""
    match = re.search(r"\*\*Time:\*\*\s*(?:about\s+)?(\d+)\s*min", first_cell(nb))
    return int(match.group(1)) if match else None


def estimate_minutes(nb: dict) -> dict:
    """A newcomer's time for a notebook, by the model of scripts/lesson_times.py (the one that
    writes each lesson's stated time), from the run times its cells recorded in this run."""
    return lesson_times.parts(nb)


def plots(nb: dict) -> list[bytes]:
    """The PNG images in a notebook's outputs, in order."""
    found = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if data:
                found.append(base64.b64decode("".join(data) if isinstance(data, list) else data))
    return found


def errors(nb: dict) -> list[str]:
    """The errors in a notebook's outputs, as "Name: value"."""
    return [f"{o.get('ename', 'Error')}: {o.get('evalue', '')}" for c in nb.get("cells", [])
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def ratio(images: list[dict]) -> dict | None:
    """The single-stage and the multi-stage image (unpacked bytes) and how many times smaller the
    second is, from `python -m dockerlab images --json` records; None if either is missing."""
    def find(base: str) -> dict | None:
        return next((r for r in images if r.get("name", "").rsplit("/", 1)[-1] == f"{base}:latest"), None)

    single, multi = find("single-stage"), find("multi-stage")
    if not single or not multi or not multi.get("size_bytes"):
        return None
    return {"single": single, "multi": multi, "times": single["size_bytes"] / multi["size_bytes"]}


def mb(size: int | None) -> str:
    return "" if size is None else f"{size / 1e6:,.2f} MB"


def lessons(out: Path, run: dict) -> list[dict]:
    """One row per notebook of this run, read from its executed copy; plots written beside the page."""
    rows = []
    for record in run.get("notebooks", []):
        name = record["notebook"]
        executed = out / record.get("executed", f"executed/{name}.ipynb")
        nb = json.loads(executed.read_text()) if executed.is_file() else {"cells": []}
        pictures = []
        for i, png in enumerate(plots(nb), 1):
            path = out / "plots" / f"{name}-{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
            pictures.append(f"plots/{path.name}")
        page = record.get("html", f"html/{name}.html")
        rows.append({"notebook": name, "title": title(nb, name), "ok": bool(record.get("ok")),
                     "seconds": record.get("seconds"), "stated": stated_minutes(nb),
                     "estimate": estimate_minutes(nb)["total"] if nb["cells"] else None,
                     "html": page if (out / page).is_file() else None, "log": record.get("log"),
                     "errors": errors(nb), "plots": pictures})
    return rows


def render(run: dict, rows: list[dict], images: list[dict] | None, *, prepare_failed: bool = False) -> str:
    """The page, from the run summary, the lesson rows (`lessons`) and the image records;
    `prepare_failed` says that building the images before the lessons failed (prepare.log)."""
    e = html.escape
    failed = [r for r in rows if not r["ok"]]
    total = sum(r["seconds"] or 0 for r in rows)
    head = (f"{len(rows)} lessons, {len(rows) - len(failed)} ok, {len(failed)} failed, "
            f"{total / 60:.1f} min of execution")
    when = e(run.get("started", "")) + (f" to {e(run['finished'])}" if run.get("finished") else "")
    engine = f" on <code>{e(run['docker_host'])}</code>" if run.get("docker_host") else " on the default engine"
    parts = [
        "<!doctype html>\n<html lang=en><meta charset=utf-8>",
        f"<title>{e(TITLE)}</title>",
        "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{padding:.3em .7em;border-bottom:1px solid #ddd;"
        "text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
        ".ok{color:#176f2c;font-weight:600}.failed{color:#b00020;font-weight:600}"
        ".plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0;width:340px}"
        ".plots img{width:100%;border:1px solid #ddd}figcaption{font-size:13px;color:#555}</style>",
        f"<h1>{e(TITLE)}</h1>",
        f"<p><strong class={'failed' if failed else 'ok'}>{e(head)}</strong><br>run {when}{engine}</p>",
    ]
    if prepare_failed:
        parts.append('<p class=failed>Building the images before the lessons failed: see '
                     '<a href="prepare.log">prepare.log</a>.</p>')
    parts.append("<h2>Lessons</h2>")
    if rows:
        parts.append("<table><tr><th>lesson</th><th>status</th><th class=n>run time</th>"
                     "<th class=n>stated</th><th class=n>reading estimate</th><th class=n>plots</th></tr>")
        for r in rows:
            link = f'<a href="{e(r["html"])}">{e(r["title"])}</a>' if r["html"] else e(r["title"])
            status = "<span class=ok>ok</span>" if r["ok"] else "<span class=failed>failed</span>"
            if not r["ok"] and r["log"]:
                status += f' (<a href="{e(r["log"])}">log</a>)'
            if r["errors"]:
                status += "<br><small>" + "<br>".join(e(x[:200]) for x in r["errors"][:3]) + "</small>"
            seconds = f"{r['seconds']:.0f} s" if r["seconds"] is not None else ""
            stated = f"{r['stated']} min" if r["stated"] is not None else ""
            estimate = f"{r['estimate']:.0f} min" if r["estimate"] is not None else ""
            parts.append(f"<tr><td>{link}</td><td>{status}</td><td class=n>{seconds}</td><td class=n>{stated}</td>"
                         f"<td class=n>{estimate}</td><td class=n>{len(r['plots'])}</td></tr>")
        parts.append("</table>")
        parts.append("<p><small>Estimate (scripts/lesson_times.py): prose at {} words a minute, code at {} lines "
                     "a minute, {} minutes per exercise, plus the cells' run times in this run, rounded up to "
                     "5 minutes.</small></p>".format(lesson_times.WORDS_PER_MINUTE, lesson_times.CODE_LINES_PER_MINUTE,
                                                     lesson_times.EXERCISE_MINUTES))
    else:
        parts.append("<p class=failed>No lesson ran: run.json names none.</p>")

    parts.append("<h2>Images</h2>")
    if images is None:
        parts.append("<p>No image list (images.json is missing).</p>")
    else:
        tagged = [r for r in images if r.get("name") and r["name"] != "<none>"]
        found = ratio(tagged)
        if found:
            parts.append(f"<p>The single-stage image is <strong>{mb(found['single']['size_bytes'])}</strong>, "
                         f"the multi-stage image <strong>{mb(found['multi']['size_bytes'])}</strong>: "
                         f"<strong>{found['times']:,.0f} times</strong> smaller (unpacked sizes).</p>")
        else:
            parts.append("<p>The single-stage or the multi-stage image is missing: no ratio.</p>")
        parts.append("<table><tr><th>image</th><th>variant</th><th class=n>size (unpacked)</th>"
                     "<th class=n>compressed</th><th class=n>size / binary</th></tr>")
        for r in sorted(tagged, key=lambda r: -(r.get("size_bytes") or 0)):
            # an entrypoint of a few bytes is a script (the Python images), not the binary it is weighed against
            binary = r.get("binary_bytes")
            over = f"{r['size_over_binary']:,.1f}" if r.get("size_over_binary") and (binary is None or binary >= 4096) else ""
            parts.append(f"<tr><td><code>{e(r['name'])}</code></td><td>{e(r.get('variant', ''))}</td>"
                         f"<td class=n>{mb(r.get('size_bytes'))}</td><td class=n>{mb(r.get('compressed_bytes'))}</td>"
                         f"<td class=n>{over}</td></tr>")
        parts.append("</table>")
        store = sorted({r.get("image_store", "") for r in tagged} - {""})
        if store:
            parts.append(f"<p><small>Image store: {e(', '.join(store))}. {len(tagged)} tagged images of the "
                         "tutorial on the engine at the end of the run.</small></p>")

    parts.append("<h2>Plots</h2>")
    with_plots = [r for r in rows if r["plots"]]
    if not with_plots:
        parts.append("<p>No lesson drew a plot.</p>")
    for r in with_plots:
        parts.append(f"<h3>{e(r['title'])}</h3><div class=plots>")
        for i, src in enumerate(r["plots"], 1):
            parts.append(f'<figure><a href="{e(src)}"><img src="{e(src)}" alt="{e(r["notebook"])} plot {i}"></a>'
                         f"<figcaption>{e(r['notebook'])}, plot {i}</figcaption></figure>")
        parts.append("</div>")
    return "\n".join(parts) + "\n</html>\n"


def main(out: Path) -> int:
    run_file = out / "run.json"
    run = json.loads(run_file.read_text()) if run_file.is_file() else {"notebooks": []}
    images_file = out / "images.json"
    try:
        images = json.loads(images_file.read_text()) if images_file.is_file() else None
    except json.JSONDecodeError:
        images = None
    plots_dir = out / "plots"
    if plots_dir.is_dir():  # an earlier run's plots
        for old in plots_dir.glob("*.png"):
            old.unlink()
    rows = lessons(out, run)
    (out / "index.html").write_text(render(run, rows, images, prepare_failed=(out / "prepare.failed").exists()))
    print(f"{len(rows)} notebooks in {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
