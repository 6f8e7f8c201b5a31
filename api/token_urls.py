"""/profile/tokens/: the signed-in user's personal API tokens (docs/api.md)."""

from django.urls import path

from api import token_views

urlpatterns = [
    path("", token_views.token_list, name="api_token_list"),
    path("new/", token_views.token_create, name="api_token_create"),
    path("<int:pk>/revoke/", token_views.token_revoke, name="api_token_revoke"),
]
