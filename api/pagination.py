"""Page-number pagination of every API list (docs/api.md, "Pagination").

``?page=2&page_size=100``: pages of ``settings.API_PAGE_SIZE`` rows unless ``page_size``
asks for fewer or more, at most ``MAX_PAGE_SIZE``. The answer is
``{"count": …, "next": <url or null>, "previous": <url or null>, "results": […]}``; a page
past the end is a 404 in the error format.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


class PortalPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_description = _("Số thứ tự trang (từ 1).")
    page_size_query_description = _("Số dòng mỗi trang (tối đa 200).")
    invalid_page_message = _("Trang “{page_number}” không tồn tại.")

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["count", "next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
