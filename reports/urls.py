from django.urls import path

from reports import home_views, issue_views, views

urlpatterns = [
    path("", home_views.reports_home, name="reports_home"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/new-year/", views.rounds_create_year, name="rounds_create_year"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/consolidated/", views.consolidated_edit, name="consolidated_edit"),
    path(
        "rounds/<int:pk>/consolidated/issue/",
        views.consolidated_issue,
        name="consolidated_issue",
    ),
    path("rounds/<int:pk>/consolidated.pdf", views.consolidated_pdf, name="consolidated_pdf"),
    path("submissions/<int:pk>/", views.agency_report_detail, name="agency_report_detail"),
    path("submissions/<int:pk>/edit/", views.agency_report_edit, name="agency_report_edit"),
    path("submissions/<int:pk>/return/", views.agency_report_return, name="agency_report_return"),
    path("submissions/<int:pk>/accept/", views.agency_report_accept, name="agency_report_accept"),
    path("submissions/<int:pk>/report.pdf", views.agency_report_pdf, name="agency_report_pdf"),
    path("files/<int:pk>/", views.report_attachment_download, name="report_attachment_download"),
    path("coordination-status.pdf", views.coordination_status_pdf, name="coordination_status_pdf"),
    path("reminders/<str:code>.pdf", views.reminder_letter_pdf, name="reminder_letter_pdf"),
    path("reminders/<str:code>/issue/", issue_views.reminder_issue, name="reminder_issue"),
    path("issued/", issue_views.issued_list, name="issued_list"),
    path("issued/<int:pk>/file/", issue_views.issued_download, name="issued_download"),
    path("tasks/<int:pk>/dossier.pdf", views.task_dossier_pdf, name="task_dossier_pdf"),
    path("scoring/<int:pk>/results.pdf", views.scoring_results_pdf, name="scoring_results_pdf"),
    path("scoring/assessments/<int:pk>/scorecard.pdf", views.scorecard_pdf, name="scorecard_pdf"),
    path("exports/tasks.xlsx", views.task_export_file, name="task_export_file"),
    path("scoring/<int:pk>/results.xlsx", views.results_export_file, name="results_export_file"),
    path("documents/<int:pk>/", views.document_job, name="document_job"),
    path("documents/<int:pk>/status/", views.document_job_status, name="document_job_status"),
    path("documents/<int:pk>/file/", views.document_job_download, name="document_job_download"),
    path("documents/<int:pk>/retry/", views.document_job_retry, name="document_job_retry"),
]
