from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm

from recovery.models import Role
from recovery.two_factor import TOTP_CODE, normalise_code


class SignInForm(AuthenticationForm):
    # One message whether the email is unknown or the password wrong (Django's default).
    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Sign in", css_class="w-100"))


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Verify", css_class="w-100"))

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code.isascii() or not code.isalnum():
            raise forms.ValidationError("A code has only letters and digits.")
        return code


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=16,
        help_text="Type the 6-digit code the app now shows for Recovery Bridge.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Turn on two-factor sign-in"))

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not TOTP_CODE.fullmatch(code):
            raise forms.ValidationError("The app shows six digits; type those.")
        return code


class ChangePasswordForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Change password"))


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)
    full_name = forms.CharField(label="Full name", max_length=150)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.THERAPIST)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Send invitation"))


class AcceptInvitationForm(SetPasswordForm):
    """Django's own set-password form, its validators comparing with the new member's name
    and email; the account itself is made by recovery.invitations.invitation_accept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "The same password again"
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Set my password", css_class="w-100"))
