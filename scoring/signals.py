"""Signals scoring sends for other apps to act on in the same transaction. Scoring imports
no app above it (reports imports scoring): an app that must act when something happens in
scoring connects a receiver here, in its ``AppConfig.ready``."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by ``scoring.services.periods.period_publish`` inside its transaction, after the
# period is saved as published, with ``period`` and ``actor``. A receiver's error rolls the
# publication back (reports issues the published results: ``reports.issuing``).
period_published = Signal()
