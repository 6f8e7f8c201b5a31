"""Skeleton (issue 17, API core): replaced by the API work."""

from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    pass
