"""The client's own page, mounted at /me/ (its visit cookie is sent to this path only)."""

from django.urls import path

from clients.views import own_page

app_name = "own_page"

urlpatterns = [
    path("", own_page.home, name="home"),
    path("answer/", own_page.answer, name="answer"),
    path("reminders/", own_page.reminder_settings, name="settings"),
    path("pause/", own_page.pause, name="pause"),
    path("resume/", own_page.resume, name="resume"),
    path("stop/", own_page.stop, name="stop"),
    path("leave/", own_page.leave, name="leave"),
]
