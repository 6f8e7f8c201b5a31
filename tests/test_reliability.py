"""Faults: a database outage gives a clear page and leaves no partial write."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from coordination.models import Task
from tests.coordination_factories import make_task


@pytest.mark.django_db
def test_database_outage_shows_a_clear_error_page(noivu, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(noivu)

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("coordination.views.selectors.task_contributions", unreachable)
    task = make_task(actor=noivu)
    response = client.get(reverse("task_detail", args=[task.pk]))
    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in response.content.decode()


@pytest.mark.django_db
def test_a_failure_midway_leaves_no_partial_write(noivu, monkeypatch):
    from coordination import notify

    def mail_server_crash(task):
        raise OperationalError("connection lost")

    monkeypatch.setattr(notify, "task_assigned", mail_server_crash)
    task = make_task(actor=noivu, assign=False)
    client = Client(raise_request_exception=False)
    client.force_login(noivu)
    response = client.post(reverse("task_assign", args=[task.pk]), {"confirmed": "1"})
    assert response.status_code == 500
    task.refresh_from_db()
    assert task.status == "draft"
    assert Task.history.filter(id=task.pk, status="assigned").count() == 0
