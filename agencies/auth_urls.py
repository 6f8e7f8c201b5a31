from django.contrib.auth import views as auth_views
from django.urls import path

from agencies import security_views, views

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        views.PortalPasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("security/", security_views.session_list, name="session_list"),
    path("security/sessions/end/", security_views.session_end, name="session_end"),
    path("security/2fa/setup/", security_views.mfa_setup, name="mfa_setup"),
    path("security/2fa/verify/", security_views.mfa_verify, name="mfa_verify"),
    path(
        "security/2fa/recovery-codes/",
        security_views.mfa_recovery_codes,
        name="mfa_recovery_codes",
    ),
    path("security/2fa/disable/", security_views.mfa_disable, name="mfa_disable"),
    path("security/lockouts/", security_views.lockout_list, name="lockout_list"),
    path(
        "security/lockouts/<int:pk>/unlock/",
        security_views.lockout_release,
        name="lockout_release",
    ),
]
