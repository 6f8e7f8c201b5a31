"""Every model's history is read through the portal's ``HistoryManager`` (issue 14): its
class is made once, and it reads the same rows as simple-history's own."""

import pytest
from django.apps import apps
from simple_history.manager import HistoricalQuerySet
from simple_history.manager import HistoryManager as LibraryHistoryManager

from agencies import history
from tests.factories import AgencyFactory


def _tracked_models():
    return [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]


def test_every_tracked_model_uses_the_portals_manager():
    models = _tracked_models()
    assert len(models) >= 20
    for model in models:
        manager = getattr(model, model._meta.simple_history_manager_attribute)
        assert isinstance(manager, history.HistoryManager), model


def test_the_managers_class_is_made_once():
    from coordination.models import Task

    assert type(Task.history) is type(Task.history)
    # simple-history's own manager makes a new class on every access.
    library = LibraryHistoryManager.from_queryset
    assert library(HistoricalQuerySet) is not library(HistoricalQuerySet)


@pytest.mark.django_db
def test_history_reads_the_same_rows():
    from agencies.models import Agency

    one = AgencyFactory()
    other = AgencyFactory()
    one.name = "Sở thử đổi tên"
    history.save(one, "Đổi tên thử")
    assert one.history.count() == 2
    assert {h.id for h in one.history.all()} == {one.pk}
    assert other.history.count() == 1
    assert Agency.history.filter(id__in=[one.pk, other.pk]).count() == 3
    assert one.history.first().name == "Sở thử đổi tên"
    assert one.history.first().history_change_reason == "Đổi tên thử"
