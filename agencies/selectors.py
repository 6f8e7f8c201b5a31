"""Reads for the home page: each role sees what fits it."""

from __future__ import annotations

from agencies import access


def home_context(user) -> dict:
    from coordination.selectors import agency_work, province_overview

    context: dict = {"is_overview": access.reads_everything(user)}
    if access.reads_everything(user):
        from reports.selectors import latest_round_missing

        context["overview"] = province_overview(limit=None)
        context["reporting"] = latest_round_missing(user)
    if user.agency_id:
        context["work"] = agency_work(user)
    return context
