"""Build coordination items through the services, as the portal does."""

from __future__ import annotations

from agencies import roles
from coordination import services
from coordination.models import Task
from tests.factories import UserFactory, agency, in_days


def officer():
    return UserFactory(username="f_noivu", agency=agency("SNV"), roles=[roles.NOIVU_OFFICER])


def make_task(
    *,
    actor=None,
    chair="STP",
    tracker="SNV",
    contributors=("STC", "TUYHOA"),
    due=30,
    assign=True,
    title="Góp ý dự thảo Quy chế phối hợp",
    **extra,
) -> Task:
    actor = actor or officer()
    task = services.task_create(
        actor=actor,
        title=title,
        category=extra.pop("category", "plan"),
        due_date=in_days(due),
        legal_basis="Quyết định số 1242/QĐ-UBND ngày 14/9/2021",
        spec=services.ParticipantSpec(
            chair=agency(chair),
            tracker=agency(tracker),
            contributors=[agency(c) for c in contributors],
            contributor_due_dates=extra.pop("contributor_due_dates", {}),
        ),
        **extra,
    )
    if assign:
        task = services.task_assign(actor=actor, task=task)
    return task
