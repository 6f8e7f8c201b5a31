from django.urls import path

from feeds import views

urlpatterns = [
    path("", views.calendar_settings, name="calendar_settings"),
    path("create/", views.calendar_create, name="calendar_create"),
    path("regenerate/", views.calendar_regenerate, name="calendar_regenerate"),
    path("revoke/", views.calendar_revoke, name="calendar_revoke"),
    # Public by its secret (login_not_required in the view).
    path("<str:secret>.ics", views.calendar_feed_file, name="calendar_feed_file"),
]
