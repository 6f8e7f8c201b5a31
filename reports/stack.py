"""Deep Python work run with room on the interpreter's frame stack (issue 14).

CPython 3.11 and 3.12 keep the frames of Python calls in chunks of 16 KB. A call whose frame
does not fit in what is left of the current chunk gets a new chunk (``mmap``), given back
(``munmap``) as soon as that call returns; a loop that calls a function whose frame falls on
a chunk's edge maps, faults in and unmaps a chunk on every call ("Calls across stack chunks
perform badly", python/cpython#142183; 3.13 and 3.14 releases since spring 2026 keep one
spare chunk).
WeasyPrint breaks a table cell's lines some fifty calls (~20 KB of frames) below where its
layout begins, and loops there, cell after cell: the whole-year coordination status made
up to ~220,000 such pairs of system calls a build, more or fewer by how deep the caller
already was (a worker's job ~60,000), 15–20 % of its time (docs/benchmark.md).

``run_deep`` calls a function from a frame that asks for ~264 KB of stack: the interpreter
gives that frame a chunk of its own of 512 KB, and the calls below it use the ~248 KB left
in it (ten times what the deepest layout measured needs), so no call of the layout crosses
a chunk's edge. Only the pages the calls touch are used; the chunk is given back once, when
the function returns. What the function computes is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Evaluation-stack slots (8 bytes each) reserved by ``_in_own_chunk``'s frame: just over
# half of a 512 KB chunk, which the interpreter then allocates for it (chunks double from
# 16 KB until the frame fits).
STACK_SLOTS = 33_000


def _in_own_chunk(function, args, kwargs):
    return function(*args, **kwargs)


# A code object's stack size is the room its frame reserves; a larger one than the code
# needs is only unused room (CPython checks that it is not smaller).
_in_own_chunk.__code__ = _in_own_chunk.__code__.replace(co_stacksize=STACK_SLOTS)


def run_deep(function: Callable[..., T], /, *args, **kwargs) -> T:
    """``function(*args, **kwargs)``, its calls laid on a fresh chunk of the frame stack."""
    return _in_own_chunk(function, args, kwargs)
