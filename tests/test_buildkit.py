"""BuildKit through the SDK: the trace reader on messages encoded here, and one real build."""

from __future__ import annotations

import gzip
import io
import tarfile
from datetime import datetime, timezone

import pytest

from dockerlab import buildkit, buildkit_trace
from dockerlab.buildkit_trace import (StatusResponse, Step, Trace, Vertex, VertexLog, VertexStatus,
                                      VertexWarning, decode_status, is_internal, parse_step_name)
from dockerlab.errors import BuildFailed, DockerlabError


# -- a tiny protobuf encoder, independent of the reader under test ---------------------------------

def varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64: two's complement, ten bytes
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def vint(number: int, n: int) -> bytes:
    return key(number, 0) + varint(n)


def blob(number: int, data: bytes | str) -> bytes:
    data = data.encode() if isinstance(data, str) else data
    return key(number, 2) + varint(len(data)) + data


def fixed64(number: int, n: int) -> bytes:
    return key(number, 1) + n.to_bytes(8, "little")


def fixed32(number: int, n: int) -> bytes:
    return key(number, 5) + n.to_bytes(4, "little")


def timestamp(number: int, seconds: int, nanos: int = 0) -> bytes:
    return blob(number, vint(1, seconds) + (vint(2, nanos) if nanos else b""))


def vertex(digest: str, name: str = "", *, inputs=(), cached=False, started=None, completed=None, error="") -> bytes:
    body = blob(1, digest) + b"".join(blob(2, i) for i in inputs) + (blob(3, name) if name else b"")
    body += vint(4, 1) if cached else b""
    body += timestamp(5, *started) if started else b""
    body += timestamp(6, *completed) if completed else b""
    body += blob(7, error) if error else b""
    return blob(1, body)


def log(digest: str, text: str, *, stream: int = 1, at: int = 1_700_000_000) -> bytes:
    return blob(3, blob(1, digest) + timestamp(2, at) + vint(3, stream) + blob(4, text))


def utc(seconds: int, micro: int = 0) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=micro)


T0 = 1_700_000_000
UNKNOWN = vint(15, 7) + fixed64(16, 2**64 - 1) + blob(17, b"\x00\xffnot ours") + fixed32(18, 12345)


# -- the wire reader ------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 2**31, 2**63 - 1])
def test_varints_of_every_length(n):
    got = decode_status(blob(2, vint(4, n))).statuses[0]
    assert got.current == n


def test_negative_int64_uses_ten_bytes():
    assert len(varint(-1)) == 10
    assert decode_status(blob(2, vint(5, -2))).statuses[0].total == -2


def test_a_vertex_with_every_field():
    data = vertex("sha256:a", "[build 2/5] RUN go build", inputs=("sha256:x", "sha256:y"), cached=True,
                  started=(T0, 250_000_000), completed=(T0 + 2, 999_999_999), error="exit code: 1")
    (v,) = decode_status(data).vertexes
    assert v == Vertex(digest="sha256:a", inputs=("sha256:x", "sha256:y"), name="[build 2/5] RUN go build",
                       cached=True, started=utc(T0, 250_000), completed=utc(T0 + 2, 999_999), error="exit code: 1")


def test_absent_fields_take_proto3_defaults():
    assert decode_status(b"") == StatusResponse()
    assert decode_status(blob(1, b"")).vertexes == (Vertex(),)


def test_statuses_logs_and_warnings():
    status = blob(2, blob(1, "extracting") + blob(2, "sha256:a") + blob(3, "layer") + vint(4, 10) + vint(5, 20)
                  + timestamp(6, T0) + timestamp(7, T0 - 1) + timestamp(8, T0 + 1))
    warning = blob(4, blob(1, "sha256:a") + vint(2, 1) + blob(3, b"short") + blob(4, b"d1") + blob(4, b"d2")
                   + blob(5, "https://example.invalid/w"))
    msg = decode_status(status + log("sha256:a", "hi\n", stream=2) + warning)
    assert msg.statuses == (VertexStatus(id="extracting", vertex="sha256:a", name="layer", current=10, total=20,
                                         timestamp=utc(T0), started=utc(T0 - 1), completed=utc(T0 + 1)),)
    assert msg.logs == (VertexLog(vertex="sha256:a", timestamp=utc(T0), stream=2, msg=b"hi\n"),)
    assert msg.warnings == (VertexWarning(vertex="sha256:a", level=1, short=b"short", detail=(b"d1", b"d2"),
                                          url="https://example.invalid/w"),)


def test_repeated_messages_keep_their_order():
    msg = decode_status(vertex("sha256:1", "a") + log("sha256:1", "x") + vertex("sha256:2", "b"))
    assert [v.digest for v in msg.vertexes] == ["sha256:1", "sha256:2"]


def test_unknown_fields_of_every_wire_type_are_skipped():
    inner = blob(1, "sha256:a") + UNKNOWN + blob(3, "named") + UNKNOWN
    ts = blob(5, vint(1, T0) + UNKNOWN)  # inside a Timestamp too
    msg = decode_status(UNKNOWN + blob(1, inner + ts) + UNKNOWN + blob(99, vertex("sha256:ignored")))
    assert msg.vertexes == (Vertex(digest="sha256:a", name="named", started=utc(T0)),)


def test_every_truncation_raises_or_stops_at_a_field_boundary():
    data = vertex("sha256:a", "[build 1/2] RUN x", started=(T0, 5)) + log("sha256:a", "out\n")
    boundaries = {0, len(vertex("sha256:a", "[build 1/2] RUN x", started=(T0, 5))), len(data)}
    for cut in range(len(data) + 1):
        if cut in boundaries:
            decode_status(data[:cut])
        else:
            with pytest.raises(DockerlabError, match="cannot be read"):
                decode_status(data[:cut])


@pytest.mark.parametrize("data, why", [
    (b"\x0a", "varint is cut short"),  # a key, then no length
    (b"\x0a\x05ab", "5 bytes long, 2 are left"),
    (b"\x08" + b"\xff" * 11, "longer than 10 bytes"),
    (key(20, 1) + b"\x00" * 7, "needs 8 bytes"),
    (key(20, 5) + b"\x00" * 3, "needs 4 bytes"),
    (key(20, 3), "wire type 3"),
    (key(20, 4), "wire type 4"),
    (key(20, 6), "wire type 6"),
    (key(20, 7), "wire type 7"),
    (b"\x00\x00", "field number 0"),
    (vint(1, 5), "field 1 has wire type 0, expected 2"),  # vertexes must be a message
    (blob(1, blob(4, "yes")), "Vertex.cached"),  # bool sent as bytes
])
def test_malformed_input_raises_a_dockerlab_error(data, why):
    with pytest.raises(DockerlabError, match=why):
        decode_status(data)


# -- step names -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, parsed", [
    ("[build 2/5] RUN go build", ("build", 2, 5, "RUN go build")),
    ("[stage-1 1/2] COPY --from=build /calc /calc", ("stage-1", 1, 2, "COPY --from=build /calc /calc")),
    ("[1/3] FROM docker.io/library/debian:bookworm", (None, 1, 3, "FROM docker.io/library/debian:bookworm")),
    ("[linux/amd64 build 3/4] RUN make", ("build", 3, 4, "RUN make")),
    ("[internal] load build definition from Dockerfile", None),
    ("[internal] load .dockerignore", None),
    ("[internal] load metadata for docker.io/library/ubuntu:24.04", None),
    ("[internal] load remote build context", None),
    ("copy /context /", None),
    ("exporting to image", None),
])
def test_parse_step_name(name, parsed):
    assert parse_step_name(name) == parsed
    assert is_internal(name) is (parsed is None)


def test_step_properties():
    step = Step(name="[build 2/5] RUN go build", digest="d", started=utc(T0), completed=utc(T0 + 3, 500_000))
    assert (step.stage, step.index, step.instruction, step.internal, step.seconds) == ("build", 2, "RUN go build", False, 3.5)
    internal = Step(name="exporting to image", digest="e")
    assert (internal.stage, internal.index, internal.instruction, internal.internal, internal.seconds) == (
        None, None, "exporting to image", True, None)


# -- the accumulator ------------------------------------------------------------------------------

def feed(*payloads: bytes) -> Trace:
    trace = Trace()
    for payload in payloads:
        trace.add(decode_status(payload))
    return trace


def test_a_vertex_sent_three_times_is_one_step():
    name = "[build 2/2] RUN make"
    trace = feed(vertex("sha256:b", name, inputs=("sha256:a",)),
                 vertex("sha256:b", name, started=(T0, 0)) + log("sha256:b", "compil"),
                 log("sha256:b", "ing\nlinking\r\nhalf") + vertex("sha256:b", name, started=(T0, 0), completed=(T0 + 2, 0)))
    (step,) = trace.steps()
    assert step == Step(name=name, digest="sha256:b", started=utc(T0), completed=utc(T0 + 2),
                        logs=("compiling", "linking", "half"))
    assert trace.log == ["#1 [build 2/2] RUN make", "#1 compiling", "#1 linking", "#1 half", "#1 DONE 2.0s"]


def test_later_messages_do_not_erase_earlier_facts():
    trace = feed(vertex("sha256:a", "[1/1] FROM x", started=(T0, 0), cached=True), vertex("sha256:a"))
    assert trace.steps() == [Step(name="[1/1] FROM x", digest="sha256:a", cached=True, started=utc(T0))]


def test_steps_keep_the_order_first_seen_and_return_what_started():
    trace = Trace()
    first = trace.add(decode_status(vertex("sha256:2", "[b 1/1] RUN b") + vertex("sha256:1", "[a 1/1] RUN a", started=(T0, 0))))
    assert [v.name for v in first] == ["[a 1/1] RUN a"]
    trace.add(decode_status(vertex("sha256:1", "[a 1/1] RUN a", started=(T0, 0), completed=(T0, 1))))
    assert [s.digest for s in trace.steps()] == ["sha256:2", "sha256:1"]


def test_logs_of_interleaved_vertexes_stay_apart():
    trace = feed(vertex("sha256:a", "[a 1/1] RUN a", started=(T0, 0)) + vertex("sha256:b", "[b 1/1] RUN b", started=(T0, 0)),
                 log("sha256:a", "a1\na") + log("sha256:b", "b1\n") + log("sha256:a", "2\n"))
    assert {s.digest: s.logs for s in trace.steps()} == {"sha256:a": ("a1", "a2"), "sha256:b": ("b1",)}


def test_cached_steps_and_the_failing_step():
    trace = feed(vertex("sha256:a", "[build 1/3] COPY . .", cached=True, started=(T0, 0), completed=(T0, 0)),
                 vertex("sha256:c", "[build 3/3] RUN other", started=(T0, 0), completed=(T0 + 1, 0), error="context canceled"),
                 vertex("sha256:b", "[build 2/3] RUN false", started=(T0, 0)) + log("sha256:b", "oops"),
                 vertex("sha256:b", "[build 2/3] RUN false", started=(T0, 0), completed=(T0 + 1, 0), error="exit code: 1"))
    assert [s.cached for s in trace.steps()] == [True, False, False]
    failed = trace.failed()
    assert (failed.name, failed.error, failed.logs) == ("[build 2/3] RUN false", "exit code: 1", ("oops",))
    assert trace.log[:2] == ["#1 [build 1/3] COPY . .", "#1 CACHED"]
    assert trace.log[-2:] == ["#3 oops", "#3 ERROR: exit code: 1"]
    assert feed(vertex("sha256:a", "x", started=(T0, 0))).failed() is None


# -- the context and the public names -------------------------------------------------------------

def test_context_tar_honours_dockerignore_and_names_an_outside_dockerfile(tmp_path):
    (tmp_path / "ctx").mkdir()
    for name, text in {"keep.go": "package main\n", "secret.env": "TOKEN=1\n", ".dockerignore": "*.env\n"}.items():
        (tmp_path / "ctx" / name).write_text(text)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    body, name = buildkit.context_tar(tmp_path / "ctx", tmp_path / "Dockerfile")
    raw = body.read()
    assert raw[:2] == b"\x1f\x8b" and name == buildkit.DOCKERFILE_NAME  # gzip: the engine reads it as a tar
    with tarfile.open(fileobj=gzip.GzipFile(fileobj=io.BytesIO(raw))) as tar:
        assert sorted(tar.getnames()) == sorted([".dockerignore", "keep.go", name])
        assert tar.extractfile(name).read() == b"FROM scratch\nCOPY . /\n"
    body, inside = buildkit.context_tar(tmp_path / "ctx", tmp_path / "ctx" / "keep.go")
    assert inside == "keep.go"
    with pytest.raises(DockerlabError, match="no Dockerfile"):
        buildkit.context_tar(tmp_path / "ctx", tmp_path / "missing")


def test_public_names():
    assert buildkit.__all__ == ["DOCKERFILE_NAME", "ROUTE_API", "BuildKitResult", "build_v2", "build_buildkit", "route_for",
                                "context_tar"]
    assert buildkit_trace.__all__ == ["Vertex", "VertexStatus", "VertexLog", "VertexWarning", "StatusResponse",
                                      "decode_status", "Step", "Trace", "is_internal", "parse_step_name"]


# -- the real engine ------------------------------------------------------------------------------

def _tiny_project(tmp_path, base: str):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "hello.txt").write_text("hello\n")
    (tmp_path / "ctx" / "notes.tmp").write_text("ignored\n")
    (tmp_path / "ctx" / ".dockerignore").write_text("*.tmp\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base} AS build\n"
        "RUN echo compiling && echo warning >&2\n"
        "COPY hello.txt /src/\n"
        "RUN cp /src/hello.txt /out.txt\n"
        "\n"
        f"FROM {base} AS broken\n"
        "RUN false\n"
        "\n"
        "FROM scratch AS final\n"
        "COPY --from=build /out.txt /out.txt\n"
    )
    return tmp_path / "ctx", tmp_path / "Dockerfile"


def test_build_v2_builds_only_the_stages_the_target_needs(engine, test_prefix, cleanup, tmp_path):
    from dockerlab import bases, naming
    from dockerlab.progress import SilentReporter

    client, info = engine
    if info.image_store == "containerd":
        pytest.skip("the engine API's BuildKit cannot read a tar context on the containerd store (moby/moby#47717); "
                    "tests/test_buildkit_routes.py builds there through a CLI")
    base = bases.resolve("ubuntu:24.04", client=client, reporter=SilentReporter()).ref
    context, dockerfile = _tiny_project(tmp_path, base)
    tag = naming.image_name("buildkit-probe")
    cleanup.append(tag)
    options = dict(context=context, dockerfile=dockerfile, tag=tag, target="final", labels=naming.labels("lesson"),
                   network_mode=info.build_network, reporter=SilentReporter())
    result = buildkit.build_v2(client, nocache=True, **options)

    assert result.image_id.startswith("sha256:") and client.images.get(tag).id == result.image_id
    # Which steps, not in which order: BuildKit announces its vertexes in no fixed order (in a CI run
    # on 2026-12-07 the FROM of `build` came last).
    assert sorted((s.stage, s.index) for s in result.steps) == [("build", 1), ("build", 2), ("build", 3), ("build", 4),
                                                                 ("final", 1)]
    assert result.stages == ("build", "final")  # "broken" (RUN false) was never built
    assert all(s.started and s.completed and s.started <= s.completed for s in result.steps)
    assert result.cached_steps == 0 and not any(s.error for s in result.steps)
    (run,) = [s for s in result.steps if (s.stage, s.index) == ("build", 2)]
    assert sorted(run.logs) == ["compiling", "warning"]  # stdout and stderr: either may come first
    assert any(s.name == "exporting to image" for s in result.internal)
    assert any(line.startswith("#") and line.endswith(" compiling") for line in result.log)

    again = buildkit.build_v2(client, **options)
    assert again.image_id == result.image_id
    assert again.cached_steps == len([s for s in again.steps if not s.instruction.startswith("FROM")]) == 4


def test_build_v2_failure_names_the_step_and_its_log(engine, test_prefix, cleanup, tmp_path):
    from dockerlab import bases, naming
    from dockerlab.progress import SilentReporter

    client, info = engine
    if info.image_store == "containerd":
        pytest.skip("the engine API's BuildKit cannot read a tar context on the containerd store (moby/moby#47717); "
                    "tests/test_buildkit_routes.py builds there through a CLI")
    base = bases.resolve("ubuntu:24.04", client=client, reporter=SilentReporter()).ref
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nRUN for i in $(seq 1 20); do echo line $i; done; exit 3\n")
    tag = naming.image_name("buildkit-fails")
    cleanup.append(tag)
    with pytest.raises(BuildFailed) as failed:
        buildkit.build_v2(client, context=tmp_path, dockerfile=tmp_path / "Dockerfile", tag=tag,
                          network_mode=info.build_network, reporter=SilentReporter())
    assert failed.value.step.startswith("[2/2] RUN for i in")
    assert failed.value.log_tail.splitlines() == [f"line {i}" for i in range(6, 21)]
    assert "exit code: 3" in str(failed.value)
