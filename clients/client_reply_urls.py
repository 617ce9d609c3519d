"""The links in reminder emails, mounted under /r/: short paths that name nothing."""

from django.urls import path

from clients.views import client_replies, own_page

# The route names keep their namespace ("responses:answer"): templates and tests name them.
app_name = "responses"

urlpatterns = [
    path("a/<str:token>/", client_replies.answer, name="answer"),
    path("u/<str:token>/", client_replies.unsubscribe, name="unsubscribe"),
    path("j/<str:token>/", client_replies.join, name="join"),
    path("q/<str:token>/", client_replies.measure, name="measure"),
    # The client's own page: starts a visit and goes on to /me/.
    path("p/<str:token>/", own_page.open_link, name="page"),
]
