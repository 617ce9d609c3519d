"""The links in reminder emails, mounted under /r/: short paths that name nothing."""

from django.urls import path

from clients.views import own_page, responses

app_name = "responses"

urlpatterns = [
    path("a/<str:token>/", responses.answer, name="answer"),
    path("u/<str:token>/", responses.unsubscribe, name="unsubscribe"),
    path("j/<str:token>/", responses.join, name="join"),
    path("q/<str:token>/", responses.measure, name="measure"),
    # The client's own page: starts a visit and goes on to /me/.
    path("p/<str:token>/", own_page.open_link, name="page"),
]
