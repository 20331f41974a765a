"""Cursor pagination: no COUNT and no OFFSET, so the last page of 10^7 rows costs what
the first does."""

from rest_framework.pagination import CursorPagination


class RegistryCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "id"
