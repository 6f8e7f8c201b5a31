from django.urls import path

from scoring import views

urlpatterns = [
    path("", views.scoring_home, name="scoring_home"),
    path("criteria/", views.criteria_set_list, name="criteria_set_list"),
    path("criteria/import/", views.criteria_set_import, name="criteria_set_import"),
    path("criteria/template.xlsx", views.criteria_set_template, name="criteria_set_template"),
    path("criteria/<int:pk>/", views.criteria_set_detail, name="criteria_set_detail"),
    path("criteria/<int:pk>/copy/", views.criteria_set_copy, name="criteria_set_copy"),
    path("criteria/<int:pk>/publish/", views.criteria_set_publish, name="criteria_set_publish"),
    path("periods/new/", views.period_create, name="period_create"),
    path("periods/<int:pk>/", views.period_detail, name="period_detail"),
    path("periods/<int:pk>/edit/", views.period_edit, name="period_edit"),
    path("periods/<int:pk>/assign/", views.assignment_add, name="assignment_add"),
    path("periods/<int:pk>/publish/", views.period_publish, name="period_publish"),
    path("periods/<int:pk>/results/", views.period_results, name="period_results"),
    path(
        "periods/<int:pk>/results.xlsx",
        views.period_results_export,
        name="period_results_export",
    ),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/save/", views.assessment_save, name="assessment_save"),
    path("assessments/<int:pk>/submit/", views.assessment_submit, name="assessment_submit"),
    path("assessments/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("assessments/<int:pk>/appraise/", views.assessment_appraise, name="assessment_appraise"),
    path(
        "assessments/<int:pk>/appraisal-complete/",
        views.assessment_appraisal_complete,
        name="assessment_appraisal_complete",
    ),
    path("assessments/<int:pk>/explain/", views.assessment_explain, name="assessment_explain"),
    path("assessments/<int:pk>/finalise/", views.assessment_finalise, name="assessment_finalise"),
    path("assessments/<int:pk>/appeal/", views.appeal_submit, name="appeal_submit"),
    path("assessments/<int:pk>/history/", views.assessment_history, name="assessment_history"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
]
