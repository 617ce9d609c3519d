from django.urls import path

from groups import feed_views, publish_views, views

app_name = "groups"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/recommend/", publish_views.meeting_recommend, name="recommend"),
    path("feeds/", feed_views.feed_list, name="feed_list"),
    path("feeds/add/", feed_views.feed_add, name="feed_add"),
    path("feeds/<int:pk>/", feed_views.feed_detail, name="feed_detail"),
    path("feeds/<int:pk>/edit/", feed_views.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/status/", feed_views.feed_status, name="feed_status"),
    path("feeds/<int:pk>/import/", feed_views.feed_import_now, name="feed_import"),
    path("feeds/<int:pk>/pause/", feed_views.feed_pause, name="feed_pause"),
    path("feeds/<int:pk>/remove/", feed_views.feed_delete, name="feed_delete"),
    path("published/", publish_views.published_list_edit, name="published_list"),
    # Public: no sign-in, no client data; the practice's recommended meetings only.
    path("published/<slug:slug>/", publish_views.published_page, name="published_page"),
    path(
        "published/<slug:slug>/meetings.json", publish_views.published_feed, name="published_feed"
    ),
]
