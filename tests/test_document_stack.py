"""Documents laid out and written with room on the interpreter's frame stack
(``reports.stack``, issue 14)."""

import resource
import sys

import pytest

from reports import pdf, stack


def _leaf():
    return 1


def _down(depth: int) -> int:
    """Recurse ``depth`` calls down, then call a function 300 times there."""
    if depth:
        return _down(depth - 1)
    total = 0
    for _ in range(300):
        total += _leaf()
    return total


def _every_depth() -> int:
    # ~100 bytes of frame a level: 400 levels span more than two 16 KB chunks, so at some
    # depth the 300 calls fall on a chunk's edge, wherever the caller starts.
    return sum(_down(depth) for depth in range(400))


def _faults(function) -> tuple[int, object]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    result = function()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, result


def test_run_deep_returns_what_the_function_returns_and_raises_what_it_raises():
    assert stack.run_deep(divmod, 17, 5) == (3, 2)
    assert stack.run_deep(dict, a=1) == {"a": 1}
    with pytest.raises(ZeroDivisionError):
        stack.run_deep(divmod, 1, 0)


def test_calls_looping_deep_cross_no_chunk_edge():
    deep, total = _faults(lambda: stack.run_deep(_every_depth))
    assert total == 400 * 300
    assert deep < 100  # the pages the frames touch, once
    if sys.version_info < (3, 13):  # the interpreters that map a chunk for each such call
        plain, _ = _faults(_every_depth)
        assert plain > 500


def test_documents_are_laid_out_and_written_deep(monkeypatch):
    called = []

    def spy(function, /, *args, **kwargs):
        called.append(function.__name__)
        return stack.run_deep(function, *args, **kwargs)

    monkeypatch.setattr(pdf, "run_deep", spy)
    data = pdf.write(pdf.layout("<p>Thử</p>"))
    assert data.startswith(b"%PDF")
    assert called == ["_parsed_and_laid_out", "write_pdf"]
