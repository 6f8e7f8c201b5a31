from django.contrib.auth.views import LoginView
from django.http import HttpResponse, JsonResponse
from django.urls import include, path


def whoami(request):
    """Who is signed in at the provider (the sign-out test asks it)."""
    if not request.user.is_authenticated:
        return JsonResponse({"username": None}, status=401)
    return JsonResponse({"username": request.user.get_username()})


def ready(request):
    return HttpResponse("ok")


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("whoami/", whoami),
    path("ready/", ready),
]
