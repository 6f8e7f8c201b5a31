"""Skeleton: filled in by issue 17's work."""


def register(router) -> None:
    """Register this part's viewsets on the API router."""
