from django.urls import path

from agencies import views

urlpatterns = [
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<str:code>/", views.agency_detail, name="agency_detail"),
    path("profile/", views.profile, name="profile"),
]
