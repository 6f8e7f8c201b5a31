"""What a body that ends hands over, and to whom: the contract between the reorganisation
service (``reorg``) and the feature apps. Each app that holds a body's open work has a
``succession.py`` with two functions taking a ``Handover``:

- ``handover_preview(handover) -> list[HandoverLine]``: what would move, read-only, a
  constant number of queries per ending body;
- ``handover_apply(handover) -> int``: moves it (inside the caller's transaction), writes
  history naming the legal basis (``handover.reason``) and returns how many rows moved.

Closed work stays with the ended body: the past keeps the body as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from agencies.models import Agency


@dataclass
class Handover:
    ending: Agency  # the body that ends (its record stays, with valid_to set after)
    successor: Agency  # takes the open work by default
    successors: list[Agency]  # every successor (several for a split); includes ``successor``
    effective_date: dt.date
    legal_basis: str
    # Per-object choices made in the preview for a split: "task:12" -> the successor's code
    # (or id).
    choices: dict[str, str | int] = field(default_factory=dict)
    # Who applies the plan (history names them; the system account when None).
    actor: object = None

    def successor_for(self, key: str) -> Agency:
        """The successor the officer chose for ``key`` ("task:12"), else the default."""
        chosen = self.choices.get(key)
        if chosen is not None:
            for agency in self.successors:
                if chosen in (agency.pk, agency.code):
                    return agency
        return self.successor

    @property
    def is_split(self) -> bool:
        return len(self.successors) > 1

    @property
    def reason(self) -> str:
        """The history note on every moved row: "Chuyển giao theo <legal basis>"."""
        return _("Chuyển giao theo %(basis)s") % {
            "basis": self.legal_basis or _("phương án sắp xếp")
        }


@dataclass
class HandoverLine:
    """One thing that moves, as the preview lists it."""

    key: str  # "<kind>:<pk>", e.g. "task:12"; the key of a choice for a split
    kind: str  # what it is, in Vietnamese ("Nhiệm vụ", "Báo cáo", "Bài tự chấm điểm")
    label: str  # its title
    detail: str = ""  # e.g. the body's role on the item, the round's name
    successor: Agency | None = None  # where it goes by default
    choosable: bool = False  # the officer may pick another successor (a split's open items)
    url: str = ""
