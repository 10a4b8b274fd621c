"""Every exercise checker, run on its lesson's solution and on wrong answers: the solution passes,
and each wrong answer fails with a line that says why, never with an exception.

The solutions of lessons 02-07 are read from the lessons themselves: the code block of each
collapsed `<details><summary>Solution</summary>` markdown cell, run here with the names the lesson
has at that point, so that a test fails if a lesson's solution goes wrong. (Lesson 01's exercise is
its own engineer's.) The checkers of lessons 03 and 04 and the verdict of lesson 02's are pure and
run here without the engine; the others build, load and run on the real engine, under a prefix of
each test's own, and remove what they made.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import dockerlab
from dockerlab import checks, content_checks, naming, oci, size_checks
from dockerlab.cleanup import clean
from dockerlab.containers import read_file
from dockerlab.history import history, history_from_records
from dockerlab.layers import COLUMNS

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOLUTION = re.compile(r"<details><summary>Solution</summary>\s*```python\n(.*?)```\s*</details>", re.S)


def lesson_solution(lesson: str) -> str:
    """The code of the one collapsed solution block of lesson `lesson` ("02" ... "07")."""
    (path,) = NOTEBOOKS.glob(f"{lesson}-*.ipynb")
    found = [m.group(1) for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "markdown"
             for m in SOLUTION.finditer("".join(cell["source"]))]
    assert len(found) == 1, f"{path.name}: expected one <details> solution block, found {len(found)}"
    return found[0]


def run_solution(lesson: str, **names) -> dict:
    """Run lesson `lesson`'s solution with `names` defined, as the lesson defines them; return them."""
    names.setdefault("__builtins__", __builtins__)
    exec(compile(lesson_solution(lesson), f"<solution of lesson {lesson}>", "exec"), names)
    assert names.get("answer", ...) is not ..., f"lesson {lesson}'s solution leaves `answer` unset"
    return names


def wrong(feedback: checks.Feedback, *because: str) -> str:
    """Assert that `feedback` rejects the answer, and that one of its lines not marked ✓ gives
    every reason in `because`; return those lines."""
    assert not feedback.ok, feedback
    assert "Not yet" in feedback._repr_markdown_()
    reasons = [line for line in feedback.lines if not line.startswith("✓")]
    assert any(all(part in line for part in because) for line in reasons), (because, feedback.lines)
    return "\n".join(reasons)


@pytest.fixture()
def made(engine, test_prefix):
    """The test's client; afterwards, every image under the test's prefix is removed, newest first."""
    client, _ = engine
    yield client
    for _ in range(3):  # the containerd store may list an image again once a name sharing its digest is gone
        if not client.images.list(filters=naming.label_filter()):
            break
        clean(client=client)  # no engine pruning: it would take the shared toolchain install along
    assert not client.images.list(filters=naming.label_filter())


# --- lesson 03: how many times smaller (pure) ------------------------------------------------

SINGLE, MULTI = 917_334_214, 1_851_392  # bytes: sizes of the order of lesson 03's two images


def test_ratio_solution_passes():
    ratio_answer = SINGLE / MULTI
    feedback = checks.check_ratio(ratio_answer, large=SINGLE, small=MULTI)
    assert feedback.ok and "times smaller" in feedback.lines[0], feedback
    assert "Well done" in feedback._repr_markdown_()


@pytest.mark.parametrize("answer, because", [
    (MULTI / SINGLE, "turn it around"),
    (SINGLE - MULTI, "difference in bytes"),
    (SINGLE / MULTI / 2, "Divide the larger size by the smaller one"),
    ("many", "not a number"),
    (..., "not answered yet"),
])
def test_ratio_wrong_answers_say_why(answer, because):
    wrong(checks.check_ratio(answer, large=SINGLE, small=MULTI), because)


def test_source_ratio_with_the_lessons_solution(monkeypatch):
    monkeypatch.chdir(NOTEBOOKS)  # the lesson runs in notebooks/ and names ../calculator
    binary = SimpleNamespace(size=1_743_255)  # ElfFacts: a size like lesson 03's binary's
    answer = run_solution("03", binary=binary)["answer"]
    feedback = checks.check_source_ratio(answer, binary=binary.size, source="../calculator")
    assert feedback.ok and "times its" in feedback.lines[0], feedback
    assert "Well done" in feedback._repr_markdown_()

    source = Path("../calculator")
    code = sum(f.stat().st_size for f in source.glob("*.go") if not f.name.endswith("_test.go"))
    everything = sum(f.stat().st_size for f in source.glob("*.go"))
    check = lambda value: checks.check_source_ratio(value, binary=binary.size, source=source)  # noqa: E731
    wrong(check(code / binary.size), "turn it around")
    wrong(check(binary.size / everything), "`_test.go` files too", "Leave them out")
    wrong(check(binary.size - code), "Add up the sizes")
    wrong(check("big"), "not a number")
    wrong(check(...), "not answered yet")


# --- lesson 04: the biggest file nobody needs (pure) -----------------------------------------

def _layer_table() -> pd.DataFrame:
    """A `layers.files()` table like the single-stage image's: a base, the toolchain's install
    (which deletes a file of the base), the source and the binary. The calculator is made the
    biggest file, so that leaving the needed file aside matters."""
    rows = [  # layer, path, size, type
        (0, "usr", 0, "dir"), (0, "usr/bin", 0, "dir"), (0, "usr/bin/bash", 1_265_648, "file"),
        (0, "var/cache/apt/pkgcache.bin", 300_000_000, "file"),
        (1, "usr/lib/gcc/x86_64-linux-gnu/12/cc1plus", 35_312_896, "file"),
        (1, "usr/lib/go-1.19", 0, "dir"), (1, "usr/lib/go-1.19/bin/go", 14_561_792, "file"),
        (1, "usr/bin/go", 0, "symlink"), (1, "var/cache/apt/.wh.pkgcache.bin", 0, "whiteout"),
        (2, "src/main.go", 6_114, "file"),
        (3, "usr/local/bin/calc", 90_000_000, "file"),
    ]
    frame = pd.DataFrame([(layer, path, size, kind, 0o644, 0, 0, "") for layer, path, size, kind in rows],
                         columns=list(COLUMNS))
    return frame


def test_biggest_unneeded_file_solution_passes():
    from dockerlab.filetree import final_files

    table = _layer_table()
    final = final_files(table)  # lesson 04's former exercise
    candidates = final[(final["type"] == "file") & (final["path"] != "usr/local/bin/calc")]
    answer = candidates.loc[candidates["size"].idxmax(), "path"]
    for given in (answer, "/" + answer, f" {answer}\n"):
        feedback = checks.check_biggest_unneeded_file(given, files=table, needed=("/usr/local/bin/calc",))
        assert feedback.ok and "cc1plus" in feedback.lines[0], feedback


def test_biggest_unneeded_file_outside_the_toolchain_with_the_lessons_solution():
    table = _layer_table()
    steps = pd.DataFrame({"instruction": ["(Imported from -)", "RUN apt-get update && apt-get install -y golang-go",
                                          "COPY dir:0123456789ab in .", "RUN CGO_ENABLED=0 go build -o /usr/local/bin/calc ."]})
    answer = run_solution("04", table=table, steps=steps)["answer"]
    install_layer = tuple(steps.index[steps["instruction"].str.contains("apt-get install")])  # the check cell's
    check = lambda path: checks.check_biggest_unneeded_file(  # noqa: E731
        path, files=table, needed=("/usr/local/bin/calc",), skip_layers=install_layer)
    feedback = check(answer)
    assert feedback.ok and "usr/bin/bash" in feedback.lines[0] and "layer 0" in feedback.lines[0], feedback
    wrong(check("/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus"), "comes from layer 1", "leaves out")
    wrong(check("/var/cache/apt/pkgcache.bin"), "a later layer removed it", "whiteout")
    wrong(check("/usr/local/bin/calc"), "is needed")
    wrong(check("/src/main.go"), "a bigger file is not needed either")
    wrong(check(...), "not answered yet")


@pytest.mark.parametrize("answer, because", [
    ("/var/cache/apt/pkgcache.bin", "a later layer removed it"),  # the biggest entry of the table, deleted
    ("/usr/local/bin/calc", "is needed"),
    ("/usr/lib/go-1.19/bin/go", "a bigger file is not needed either"),
    ("/usr/lib/go-1.19", "not a regular file"),
    ("/usr/bin/go", "is a symlink"),
    ("/usr/lib/cc1plus", "there is no file"),
    (..., "not answered yet"),
])
def test_biggest_unneeded_file_wrong_answers_say_why(answer, because):
    feedback = checks.check_biggest_unneeded_file(answer, files=_layer_table(), needed=("/usr/local/bin/calc",))
    wrong(feedback, because)


# --- lesson 02: the biggest step ---------------------------------------------------------------

def _history() -> pd.DataFrame:
    """The history of a single-stage image, as the engine reports it (newest first)."""
    created = [
        "/bin/sh -c #(nop)  LABEL dockerlab.tutorial.variant=single-stage",
        "/bin/sh -c #(nop)  LABEL dockerlab.tutorial=dockerlab/",
        '/bin/sh -c #(nop)  ENTRYPOINT ["/usr/local/bin/calc"]',
        "/bin/sh -c CGO_ENABLED=0 go build -o /usr/local/bin/calc .",
        "/bin/sh -c #(nop) COPY dir:121f375d63eeb91dc867d85f11409c5dd1909895943ac7242a99d3664c80d6ae in . ",
        "/bin/sh -c #(nop) WORKDIR /src",
        "/bin/sh -c apt-get update && apt-get install -y golang-go",
        "",
    ]
    sizes = [0, 0, 0, 2_296_110, 35_106, 0, 799_555_322, 116_668_501]
    return history_from_records([{"CreatedBy": c, "Size": s, "Comment": "" if c else "Imported from -", "Created": 0}
                                 for c, s in zip(created, sizes)])


def test_biggest_step_verdict_on_a_history():
    steps = _history()
    answer = steps.sort_values("size", ascending=False).iloc[0]["instruction"][:30]  # lesson 02's former exercise
    assert content_checks._biggest_step(answer, steps).ok
    for other in ("apt-get update && apt-get install", "/bin/sh -c apt-get update", "RUN APT-GET  update"):
        assert content_checks._biggest_step(other, steps).ok, other
    wrong(content_checks._biggest_step("/bin/sh -c", steps), "part of 7 steps", "only the biggest step has")
    wrong(content_checks._biggest_step("RUN", steps), "part of 2 steps")
    wrong(content_checks._biggest_step("go build", steps), "names step 4", "2.30 MB", "another step made a bigger one")
    wrong(content_checks._biggest_step("Imported", steps), "names step 0", "116.67 MB")
    wrong(content_checks._biggest_step("RUN pip install", steps), "no step's instruction contains")


def test_biggest_step_on_the_single_stage_image(made):
    single = dockerlab.build("single-stage")
    steps = history(made.images.get(single.tag))
    answer = steps.sort_values("size", ascending=False).iloc[0]["instruction"][:30]  # lesson 02's former exercise
    feedback = checks.check_biggest_step(answer, image=single.tag)
    assert feedback.ok and "apt-get install" in feedback.lines[0], feedback
    wrong(checks.check_biggest_step("/bin/sh -c", image=single.tag), "steps' instructions, not only the biggest")
    wrong(checks.check_biggest_step("go build", image=single.tag), "another step made a bigger one")
    wrong(checks.check_biggest_step(..., image=single.tag), "not answered yet")


def test_binary_share_verdict():
    image, binary, layer = 918_460_000, 1_743_255, 2_190_000
    verdict = lambda value: size_checks._binary_share(  # noqa: E731
        value, image_size=image, binary_size=binary, layer_size=layer, path="/usr/local/bin/calc")
    assert verdict(binary / image).ok and verdict(str(binary / image)).ok
    wrong(verdict(100 * binary / image), "percentage", "Divide by 100")
    wrong(verdict(image / binary), "turn it around")
    wrong(verdict(layer / image), "`go build` layer", "compile cache")
    wrong(verdict(0.5), "divide it by `single.size`")
    wrong(verdict("tiny"), "not a number")


def test_binary_share_with_the_lessons_solution(made):
    single = dockerlab.build("single-stage")
    answer = run_solution("02", single=single, read_file=read_file)["answer"]
    feedback = checks.check_binary_share(answer, image=single.tag)
    assert feedback.ok and "/usr/local/bin/calc" in feedback.lines[0], feedback
    wrong(checks.check_binary_share(100 * answer, image=single.tag), "percentage")
    wrong(checks.check_binary_share(1 / answer, image=single.tag), "turn it around")
    wrong(checks.check_binary_share(..., image=single.tag), "not answered yet")


# --- lesson 01: predict the calculator ---------------------------------------------------------

SOLUTION_PREDICTIONS = {"2 + 3 * 4": "14", "-3^2": "-9", "2^-1": "0.5", "10 % 4": "2",
                        "10 % 0": "calc: col 4: modulo by zero"}  # 01[51]


def test_predictions(made):
    toolchain = dockerlab.build("multi-stage", target="build")
    calc = "/usr/local/bin/calc"
    check = lambda predictions: checks.check_predictions(predictions, image=toolchain.tag, command=calc)  # noqa: E731
    feedback = check(SOLUTION_PREDICTIONS)
    assert feedback.ok and len(feedback.lines) == 5, feedback

    left_to_right = {**SOLUTION_PREDICTIONS, "2 + 3 * 4": "20", "-3^2": "9"}
    reasons = wrong(check(left_to_right), "you said `20`", "prints `14`", "precedence")
    assert "you said `9`" in reasons and "prints `-9`" in reasons
    no_error = {**SOLUTION_PREDICTIONS, "10 % 0": "inf"}
    wrong(check(no_error), "you said `inf`", "prints `calc: col 4: modulo by zero`", "starts with `calc:`")
    wrong(check(...), "Fill in the dictionary")
    wrong(check({}), "Fill in the dictionary")


# --- lesson 07: a calculator that does not run as root -----------------------------------------

TITLE = {"org.opencontainers.image.title": "calculator"}


def test_image_by_hand(made, engine, tmp_path):
    arch = engine[1].arch
    calc = read_file(dockerlab.build("multi-stage").tag, "/calc")

    def written(name: str, **options) -> str:
        tag = naming.image_name(name)
        options = {"files": {"/calc": (calc, 0o755)}, "entrypoint": ["/calc"], **options}
        oci.write_image(tmp_path / f"{name}.tar", tag=tag, architecture=arch, **options)
        oci.load(tmp_path / f"{name}.tar", client=made)
        return tag

    work = tmp_path / "lesson"
    work.mkdir()
    nonroot = run_solution("07", naming=naming, oci=oci, work=work, calc=calc, engine=engine[1])["answer"]
    assert nonroot == naming.image_name("by-hand-nonroot")
    feedback = checks.check_image_by_hand(nonroot, user="65532", labels=TITLE)
    assert feedback.ok and len(feedback.lines) == 5, feedback

    as_root = written("by-hand")  # lesson 07's first image: no user, no label
    reasons = wrong(checks.check_image_by_hand(as_root, user="65532", labels=TITLE),
                    "runs as user `root (none set)`", "pass `user=\"65532\"`")
    assert "the label `org.opencontainers.image.title` is missing: pass it in `labels=`" in reasons
    not_executable = written("by-hand-0644", files={"/calc": (calc, 0o644)}, user="65532", labels=TITLE)
    wrong(checks.check_image_by_hand(not_executable, user="65532", labels=TITLE),
          "`6*7` should print `42`", "mode 0o755")
    wrong(checks.check_image_by_hand(naming.image_name("by-hand-never-loaded"), user="65532", labels=TITLE),
          "no image", "`load()` it")
    wrong(checks.check_image_by_hand(..., user="65532", labels=TITLE), "not answered yet")


# --- lesson 05: keep the secret out of the context ---------------------------------------------

def test_secret_gone(made):
    from dockerlab import lessons

    with lessons.leaky_context() as context:
        leaked = dockerlab.build("single-stage", context=context, tag=dockerlab.image_name("leak-single"))
        multi = dockerlab.build("multi-stage", context=context, tag=dockerlab.image_name("leak-multi"))
    ignored = run_solution("05", lessons=lessons, dockerlab=dockerlab)["answer"]
    assert ignored == dockerlab.image_name("leak-ignored")
    feedback = checks.check_secret_gone(ignored)
    assert feedback.ok and len(feedback.lines) == 2, feedback

    wrong(checks.check_secret_gone(leaked.tag), "`/src/.env` is still in the image", "`.dockerignore`")
    wrong(checks.check_secret_gone(multi.tag), "no source in /src", "single-stage")
    wrong(checks.check_secret_gone(naming.image_name("leak-never-built")), "no image")
    wrong(checks.check_secret_gone(...), "not answered yet")


# --- lesson 06: put the lines back in order ----------------------------------------------------

FIXED = """
ARG BASE=ubuntu:24.04
FROM ${BASE} AS build
RUN apt-get update && apt-get install -y golang-go
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/calc .

FROM scratch
COPY --from=build /usr/local/bin/calc /calc
ENTRYPOINT ["/calc"]
"""  # lesson 06's first good order, without the module download


def test_cache_order_solution_passes(made):
    fixed = run_solution("06")["answer"]
    assert "RUN go mod download" in fixed and "COPY go.mod ./" in fixed
    feedback = checks.check_cache_order(fixed)
    assert feedback.ok and len(feedback.lines) == 4, feedback
    assert "came from the cache" in feedback.lines[0] and "came from the cache as well" in feedback.lines[1]
    assert "same image as bad-order's" in feedback.lines[3]


# Wrong answers that cost no install of Go: a real wrong order re-runs it, twice.
SINGLE_STAGE = """
ARG BASE=ubuntu:24.04
FROM ${BASE}
RUN apt-get update && apt-get install -y golang-go
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /calc .
ENTRYPOINT ["/calc"]
"""
SOURCE_FIRST = """
ARG BASE=ubuntu:24.04
FROM ${BASE} AS build
WORKDIR /src
COPY . .
RUN echo apt-get install -y golang-go
FROM scratch
COPY --from=build /src/main.go /calc
ENTRYPOINT ["/calc"]
"""  # a stand-in for the install after the copy, which costs nothing to re-run
SOURCE_SHIPPED = FIXED + "COPY --from=build /src /src\n"
DOWNLOAD_AFTER_SOURCE = FIXED.replace("COPY . .\n", "COPY . .\nRUN go mod download\n")


@pytest.mark.parametrize("dockerfile, because", [
    (SINGLE_STAGE, ("does not make the same image as bad-order's", "a single stage", "`FROM scratch`")),
    (SOURCE_FIRST, ("ran again", "move `COPY . .` below it")),
    (SOURCE_SHIPPED, ("does not make the same image as bad-order's", "2 layers")),
    (DOWNLOAD_AFTER_SOURCE, ("`RUN go mod download` ran again", "`COPY go.mod ./`")),
], ids=["single-stage", "source-first", "source-shipped", "download-after-source"])
def test_cache_order_wrong_answers_say_why(made, dockerfile, because):
    feedback = checks.check_cache_order(dockerfile)
    wrong(feedback, *because)
    if dockerfile is SINGLE_STAGE:  # what the checker alone used to look at is right: the shape is not
        assert feedback.lines[0].startswith("✓") and feedback.lines[1].startswith("✓"), feedback
    if dockerfile is SOURCE_FIRST:
        wrong(feedback, "should print `calc dev-")


def test_cache_order_placeholders_are_nudges():
    assert "not answered yet" in checks.check_cache_order(...).lines[0]
    assert "not answered yet" in checks.check_cache_order("  ").lines[0]
