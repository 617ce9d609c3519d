"""The links in reminder emails, mounted under /r/: short paths that name nothing."""

from django.urls import path

from clients.views import responses

app_name = "responses"

urlpatterns = [
    path("a/<str:token>/", responses.answer, name="answer"),
    path("u/<str:token>/", responses.unsubscribe, name="unsubscribe"),
    path("j/<str:token>/", responses.join, name="join"),
    path("q/<str:token>/", responses.measure, name="measure"),
]
