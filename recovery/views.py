from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from recovery.forms import SignInForm


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


@login_required
def home(request):
    # A therapist starts from their caseload, a manager or admin from the practice dashboard.
    if request.user.sees_whole_practice:
        return redirect("clients:dashboard")
    return redirect("clients:caseload")
