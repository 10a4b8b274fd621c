"""``python -m dockerlab``: prepare a machine, list, save, load and clean the tutorial's images.

    preflight              is this machine ready? (exit 1 when it is not)
    prepare                get the bases and build every tutorial image (a warm start)
    images [--json]        the tutorial's images, their sizes (unpacked, compressed, on disk), each against its binary
    kit save FILE          write the bases and images into FILE, and the Dockerfiles' Debian packages
                           into FILE's .packages.tar beside it (--no-packages: the images only)
    kit load FILE          load such a kit (no network needed)
    kit serve              serve the kit's packages to this machine's or a room's builds (apt-cacher-ng)
    clean [--bases]        remove the tutorial's containers and images, and nothing else
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
from typing import Sequence

from docker.errors import DockerException

from . import aptcache, naming
from .bases import resolve
from .build import build
from .containers import entrypoint_size
from .dockerfiles import TUTORIAL_BASES, stages, variants
from .engine import connect
from .errors import DockerlabError
from .kit import kit_load, kit_save, packages_archive
from .preflight import preflight
from .sizes import image_sizes

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; print a short message and return 1 on any tutorial error."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except DockerlabError as exc:
        print(f"dockerlab: {exc}", file=sys.stderr)
        return 1
    except DockerException as exc:  # the engine refused something no command above expected
        reason = getattr(exc, "explanation", None) or str(exc)
        print(f"dockerlab: the Docker engine refused: {reason.strip().splitlines()[0] if reason.strip() else exc!r}. "
              "Check `docker ps -a` and `docker images` for what is in the way, then run the command again.",
              file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("dockerlab: interrupted.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dockerlab", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(metavar="COMMAND")
    p = sub.add_parser("preflight", help="is this machine ready for the tutorial?")
    p.set_defaults(func=_preflight)
    p = sub.add_parser("prepare", help="get the bases and build every tutorial image")
    p.add_argument("--bases", action="store_true", help="only get the bases (pull, kit or debootstrap); build nothing")
    p.set_defaults(func=_prepare)
    p = sub.add_parser("images", help="list the tutorial's images and their sizes")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_images)
    kit = sub.add_parser("kit", help="save or load a workshop kit").add_subparsers(metavar="ACTION")
    p = kit.add_parser("save", help="write the bases and tutorial images into FILE, the packages beside it")
    p.add_argument("file")
    p.add_argument("--no-packages", action="store_true", help="save the images only")
    p.set_defaults(func=_kit_save)
    p = kit.add_parser("load", help="load the images in FILE, and its packages when they are beside it")
    p.add_argument("file")
    p.set_defaults(func=_kit_load)
    p = kit.add_parser("serve", help="serve the kit's packages to builds until Ctrl-C")
    p.add_argument("--bind", default="127.0.0.1", help="the address to listen on (a room: this machine's own)")
    p.add_argument("--port", type=int, default=aptcache.PORT, help=f"default {aptcache.PORT}; 0: any free port")
    p.add_argument("--online", action="store_true", help="fetch what the cache lacks from the mirror, and keep it")
    p.set_defaults(func=_kit_serve)
    p = sub.add_parser("analyze", help="dive-style efficiency of an image or a saved archive")
    p.add_argument("image", help="an image name or id on the engine, or a `docker save` archive")
    p.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    p.add_argument("--lowest-efficiency", type=float, metavar="X", help="fail when efficiency < X (0-1)")
    p.add_argument("--highest-user-wasted-ratio", type=float, metavar="Y",
                   help="fail when wasted bytes / user bytes > Y (0-1)")
    p.set_defaults(func=_analyze)
    p = sub.add_parser("clean", help="remove the tutorial's containers and images, nothing else")
    p.add_argument("--bases", action="store_true", help="also remove the Debian base stand-ins")
    p.set_defaults(func=_clean)
    return parser


def _kit_save(args) -> int:
    names = kit_save(args.file, packages=not args.no_packages)
    print(f"kit {args.file}: " + ", ".join(names))
    if not args.no_packages:
        packed = packages_archive(args.file)
        print(f"packages: {packed} ({packed.stat().st_size / 1e6:.0f} MB)")
    return 0


def _kit_load(args) -> int:
    names = kit_load(args.file)
    print(f"loaded from {args.file}: " + (", ".join(names) or "(no tagged images)"))
    if packages_archive(args.file).is_file():
        print(f"packages: in {aptcache.cache_dir()}; serve them with python -m dockerlab kit serve")
    return 0


def _kit_serve(args) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a `kill` stops apt-cacher-ng too, through the with
    with aptcache.serving(bind=args.bind, port=args.port or None, offline=not args.online) as url:
        where = "the mirror, keeping what it fetches" if args.online else "the cache only (offline)"
        print(f"Serving {aptcache.cache_dir()} at {url}, from {where}. In each learner's shell, before "
              f"JupyterLab: export {aptcache.PROXY_ENV}={url}\n(use this machine's address in the room; "
              "127.0.0.1 reaches it only from builds on this machine's host network). Ctrl-C stops.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("Stopped serving.")
    return 0


def _say(text: str) -> int:
    print(text)
    return 0


def _table(rows: list[Sequence[object]], headers: Sequence[str]) -> str:
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i].splitlines()[0] if r[i] else "") for r in cells) for i in range(len(headers) - 1)]
    lines = []
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1].replace("\n", " "))
    return "\n".join(lines)


def _preflight(args) -> int:
    checks = preflight()
    print(_table([(c.name, c.status, c.detail) for c in checks], ("check", "status", "detail")))
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        print(f"\nNot ready: {', '.join(c.name for c in failed)}. See the detail above.", file=sys.stderr)
        return 1
    todo = [c for c in checks if c.status == "todo"]
    print("\nReady." + (" Run python -m dockerlab prepare for a warm start." if todo else ""))
    return 0


def _prepare(args) -> int:
    client, engine = connect()
    print(engine.describe())
    for name in TUTORIAL_BASES:
        base = resolve(name, client=client)
        print(f"base  {base.description}")
    if args.bases:
        return 0
    rows = []
    for variant, target in [(v, t) for v in variants() for t in (*stages(v), None)]:
        result = build(variant, target=target, client=client, engine=engine)
        rows.append((result.tag, f"{result.size / 1e6:.2f} MB", f"{result.steps}",
                     f"{result.cached_steps}/{result.cacheable_steps} steps from cache, {result.seconds:.1f} s"))
    print(_table(rows, ("image", "size", "steps", "build")))
    return 0


def _images(args) -> int:
    client, engine = connect()
    records = []
    for image in client.images.list(filters=naming.label_filter()):
        if not image.tags:
            continue  # an earlier build's image, untagged since: not one of the tutorial's images now
        labels = image.labels or {}
        sizes = image_sizes(image, client=client, engine=engine)
        size = sizes.unpacked  # the same definition on every engine (see dockerlab.sizes)
        binary = entrypoint_size(image.id, client=client)
        for tag in image.tags:
            records.append({"name": tag, "id": image.short_id.split(":")[-1], "size_bytes": size,
                            "compressed_bytes": sizes.compressed, "disk_bytes": sizes.disk,
                            "image_store": sizes.image_store,
                            "binary_bytes": binary, "size_over_binary": round(size / binary, 4) if binary else None,
                            "role": labels.get(f"{naming.LABEL}.role", ""),
                            "variant": labels.get(f"{naming.LABEL}.variant", "")})
    records.sort(key=lambda r: r["name"])
    if args.json:
        print(json.dumps(records, indent=2))
    elif records:
        print(_table([(r["name"], r["id"], f"{r['size_bytes'] / 1e6:.2f} MB",
                       f"{r['size_over_binary']:.3f} x" if r["size_over_binary"] else "", r["role"]) for r in records],
                     ("image", "id", "size", "size / binary", "role")))
    else:
        print("No tutorial images yet: run python -m dockerlab prepare.")
    return 0


def _clean(args) -> int:
    from .cleanup import clean
    from .layers import cache_dir

    done = clean(bases=args.bases)
    shutil.rmtree(cache_dir(), ignore_errors=True)  # the file tables of images read: rebuilt on the next read
    kept = "" if args.bases else " (Debian base stand-ins kept; --bases removes them too)"
    print(f"Removed {done.removed} tutorial containers and images under {naming.prefix()!r}{kept}.")
    for note in done.notes:
        print(f"  {note}.")
    return 0


def _analyze(args) -> int:
    from .analyze import analyze, rules

    for flag, value in (("--lowest-efficiency", args.lowest_efficiency),
                        ("--highest-user-wasted-ratio", args.highest_user_wasted_ratio)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise DockerlabError(f"{flag} {value:g} is not a ratio: give a number from 0 to 1 (0.95 means 95 %).")
    result = analyze(args.image)
    checks = rules(result, lowest_efficiency=args.lowest_efficiency,
                   highest_user_wasted_ratio=args.highest_user_wasted_ratio)
    print(json.dumps(result.to_json(), indent=2) if args.json else result.summary())
    out = sys.stderr if args.json else sys.stdout  # keep stdout pure JSON
    for name, passed, detail in checks:
        print(f"{'PASS' if passed else 'FAIL'}: {name}: {detail}", file=out)
    return 0 if all(passed for _, passed, _ in checks) else 1
