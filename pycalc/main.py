#!/usr/bin/env python3
"""calc: the command line of the Python calculator, as the Go one behaves (see ../calculator/main.go).

    python main.py [--html] [flags] [expression ...]

With arguments, it joins them with spaces and evaluates the result as one expression. Without,
it evaluates each line of standard input, skipping blank lines and lines starting with '#'.
Errors go to standard error with the column of the fault; the exit status is 0 if every
expression was evaluated, 1 if any failed, 2 for a usage error.

`--html` writes each answer as an HTML fragment, with the expression escaped by MarkupSafe,
the app's one dependency (its C extension is compiled in the images' build stage). Only
`--html` and `--version` import it: plain arithmetic needs nothing but calc.py.
"""

import sys

from calc import CalcError, calc

VERSION = "dev"
MAX_LINE = 4096  # bytes

USAGE = """usage: calc [--html] [flags] [expression ...]

Evaluate the expression, or each line of standard input if none is given.

  --html       write each answer as an HTML fragment, the expression escaped
  -h, --help   print this message
  --version    print the version
  --           end the flags, so that an expression may start with '-'
"""


def main(args: list[str], stdin, stdout, stderr) -> int:
    """Run calc with `args`, a binary `stdin` and text `stdout` and `stderr`; return the exit status."""
    html = bool(args) and args[0] == "--html"
    args = args[1:] if html else args
    if args:
        first = args[0]
        if first == "--":
            args = args[1:]
        elif first in ("-h", "--help"):
            stdout.write(USAGE)
            return 0
        elif first == "--version":
            import markupsafe  # noqa: F401 (to report whether its compiled extension loads)

            speedups = "with" if "markupsafe._speedups" in sys.modules else "without"
            python = ".".join(map(str, sys.version_info[:3]))
            stdout.write(f"calc {VERSION} (Python {python}, MarkupSafe {speedups} its C speedups)\n")
            return 0
        elif _is_flag(first):
            stderr.write(f'calc: unknown flag "{first}"\n{USAGE}')
            return 2
    if args:
        return 0 if evaluate(" ".join(args), "", stdout, stderr, html=html) else 1
    status, prompt, number = 0, stdin.isatty(), 0
    while True:
        if prompt:
            stdout.write("> ")
            stdout.flush()
        raw = stdin.readline()
        if not raw:
            break
        number += 1
        data = raw.removesuffix(b"\n").removesuffix(b"\r")
        text = data.decode("utf-8", "surrogateescape")
        if len(data) <= MAX_LINE and (not text.strip() or text.strip().startswith("#")):
            continue
        if not evaluate(text, f"line {number}: ", stdout, stderr, html=html, size=len(data)):
            status = 1
    if prompt:
        stdout.write("\n")
    return status


def _is_flag(arg: str) -> bool:
    """Does `arg` look like a flag (-x, --xyz) rather than an expression (-2, --2)?"""
    rest = arg.removeprefix("-").removeprefix("-")
    return rest != arg and rest[:1].isalpha()


def evaluate(line: str, where: str, stdout, stderr, *, html: bool = False, size: int | None = None) -> bool:
    """Print the value of `line`, or its error prefixed by `where`; say whether it worked."""
    if html:
        from markupsafe import Markup
    size = len(line.encode("utf-8", "surrogateescape")) if size is None else size
    try:
        if size > MAX_LINE:
            raise ValueError(f"line too long (more than {MAX_LINE} bytes)")
        value = calc(line)
    except (CalcError, ValueError) as error:
        if html:
            stderr.write(Markup('<p class="calc error"><code>{}</code> calc: {}{}</p>\n')
                         .format(printable(line), where, error))
        else:
            caret = f"  {printable(line)}\n  {' ' * error.pos}^\n" if isinstance(error, CalcError) else ""
            stderr.write(f"calc: {where}{error}\n{caret}")
        return False
    if html:
        stdout.write(Markup('<p class="calc"><code>{}</code> = <output>{}</output></p>\n').format(line.strip(), value))
    else:
        stdout.write(value + "\n")
    return True


def printable(line: str) -> str:
    """`line` ready to show above a caret: white space as a space, anything unprintable as U+FFFD."""
    return "".join(" " if c in "\t\r\n" else c if c.isprintable() else "\ufffd" for c in line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.stdin.buffer, sys.stdout, sys.stderr))
