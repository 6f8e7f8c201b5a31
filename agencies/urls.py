from django.urls import path

from agencies import help_views, job_views, views

urlpatterns = [
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<str:code>/", views.agency_detail, name="agency_detail"),
    path("profile/", views.profile, name="profile"),
    path("jobs/", job_views.job_list, name="job_list"),
    path("jobs/<str:pk>/", job_views.job_detail, name="job_detail"),
    path("jobs/<str:pk>/retry/", job_views.job_retry, name="job_retry"),
    path("help/", help_views.help_index, name="help_index"),
    path("help/screenshots/<str:name>", help_views.help_screenshot, name="help_screenshot"),
    path("help/<str:role>/", help_views.help_guide, name="help_guide"),
]
