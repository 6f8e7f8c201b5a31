from django.urls import path

from coordination import list_views, plan_views, views

urlpatterns = [
    path("", list_views.task_list, name="task_list"),
    path("export.xlsx", views.task_export, name="task_export"),
    path("overview/", list_views.task_overview, name="task_overview"),
    path("new/", views.task_create, name="task_create"),
    path("plan/copy/", plan_views.plan_copy, name="plan_copy"),
    path("plan/import/", plan_views.plan_import, name="plan_import"),
    path("plan/template.xlsx", plan_views.plan_template, name="plan_template"),
    path("new/deadline/", views.deadline_preview, name="deadline_preview"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("<int:pk>/participants/", views.task_participants, name="task_participants"),
    path("<int:pk>/assign/", views.task_assign, name="task_assign"),
    path("<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("<int:pk>/review/", views.task_review, name="task_review"),
    path("<int:pk>/remind/", views.task_remind, name="task_remind"),
    path("<int:pk>/contribute/", views.contribution_new, name="contribution_new"),
    path(
        "<int:pk>/participations/<int:part_pk>/review/",
        views.participation_review,
        name="participation_review",
    ),
    path(
        "<int:pk>/participations/<int:part_pk>/exempt/",
        views.participation_exempt,
        name="participation_exempt",
    ),
    path("<int:pk>/history/", list_views.task_history, name="task_history"),
    path("files/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
]
