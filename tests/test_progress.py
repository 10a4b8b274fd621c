"""`progress.PlainReporter`: the lines a terminal or a CI log keeps."""

import io

from dockerlab import progress


def test_a_counter_is_written_every_few_seconds_and_new_text_at_once(monkeypatch):
    clock = iter([0.0, 0.5, 1.0, 2.5, 2.6, 2.7])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    report = progress.PlainReporter(out, every=2.0)
    for text in ("Saving: 1 MB", "Saving: 2 MB", "Saving: 3 MB", "Saving: 4 MB", "Loading", "Loading"):
        report.status(text)
    report.done()
    report.status("Saving: 5 MB")  # a new piece of work starts fresh
    assert out.getvalue().splitlines() == ["Saving: 1 MB", "Saving: 4 MB", "Loading", "Saving: 5 MB"]


def test_the_last_count_withheld_is_written_when_the_counter_ends(monkeypatch):
    clock = iter([0.0, 0.5, 1.0, 1.5, 1.6, 1.7])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    report = progress.PlainReporter(out, every=2.0)
    for text in ("Saving: 0 MB", "Saving: 60 MB", "Saving: 116 MB", "Fetching: 1 of 9", "Fetching: 9 of 9"):
        report.status(text)
    report.done()
    assert out.getvalue().splitlines() == ["Saving: 0 MB", "Saving: 116 MB", "Fetching: 1 of 9", "Fetching: 9 of 9"]
