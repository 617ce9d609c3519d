"""The sign-in backend: Django's own, with the signed-in person's practice read alongside."""

from django.contrib.auth.backends import ModelBackend

from recovery.models import User


class ModelBackendWithPractice(ModelBackend):
    """Django's ModelBackend, except that the user of a session comes with their practice in
    the same query: every page reads it (the time zone middleware, the header's name), so it
    was a second query on every request."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("practice").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
