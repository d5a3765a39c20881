"""The pages of people's accounts: the page's login (for every person: the admin's is for staff
only), logging out, and choosing a password from the one-time link a brand admin hands a new
member (POST /api/brands/{slug}/members/)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="brands/login.html", redirect_authenticated_user=True, next_page="index"
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    # Django's password-reset confirmation: the link's token is good once, for PASSWORD_RESET_TIMEOUT.
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="brands/password_set.html", success_url=reverse_lazy("password-set-done")
        ),
        name="password-set",
    ),
    path(
        "password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="brands/password_set_done.html"),
        name="password-set-done",
    ),
]
