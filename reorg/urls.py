from django.urls import path

from reorg import views

urlpatterns = [
    path("", views.plan_list, name="reorg_plans"),
    path("upload/", views.plan_upload, name="reorg_upload"),
    path("change/", views.plan_change, name="reorg_change"),
    path("<int:pk>/", views.plan_detail, name="reorg_plan"),
    path("<int:pk>/apply/", views.plan_apply, name="reorg_apply"),
    path("<int:pk>/discard/", views.plan_discard, name="reorg_discard"),
]
