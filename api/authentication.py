"""Skeleton (issue 17, tokens): replaced by the token work."""

from rest_framework.authentication import BaseAuthentication, SessionAuthentication


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None


class PortalSessionAuthentication(SessionAuthentication):
    pass
