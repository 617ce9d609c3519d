"""Hostile reminder links at the real views: every tampering refused, nothing in the database
changed. tests/clients/test_tokens.py and test_responses.py cover the basics; these go
further: every single character of a token flipped, tokens swapped between two practices'
clients, the join purpose, expiry from the setting, odd bytes in the path, and replays
checked row by row.
"""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from clients.models import Attendance, AttendanceStatus, Client
from clients.tokens import Purpose, make_token
from tests.security.conftest import World, practice_rows

MADE_AT = datetime.datetime(2026, 3, 11, 14, 0, tzinfo=datetime.UTC)
VIEWS = {Purpose.ANSWER: "answer", Purpose.UNSUBSCRIBE: "unsubscribe", Purpose.JOIN: "join"}


@pytest.fixture
def frozen():
    with time_machine.travel(MADE_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def links(frozen, world: World) -> World:
    # The meeting gets an online link, so a good join token would redirect.
    world.meeting.attendance_option = "online"
    world.meeting.conference_url = "https://meet.example.org/j/1"
    world.meeting.save()
    return world


def snapshot(world: World) -> dict:
    return {
        "ours": practice_rows(world.ours.practice.pk),
        "theirs": practice_rows(world.theirs.practice.pk),
    }


def url(purpose: str, token: str) -> str:
    return reverse(f"responses:{VIEWS[purpose]}", args=[token])


def send(client, purpose: str, token: str):
    """What a hostile sender would do: POST where the view records, GET where it redirects."""
    if purpose == Purpose.JOIN:
        return client.get(url(purpose, token))
    return client.post(url(purpose, token), {"status": AttendanceStatus.ATTENDED})


def assert_refused(response) -> None:
    assert response.status_code == 400, response.status_code
    assert "This link has expired or is not valid" in response.content.decode()
    assert "Location" not in response


def flip(token: str, index: int) -> str:
    """One character changed to another URL-safe one that is not a separator."""
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


@pytest.mark.parametrize("purpose", list(VIEWS))
def test_every_single_flipped_character_is_refused(client, links, purpose):
    """Payload (the id), timestamp and signature alike: no position is unchecked."""
    token = make_token(purpose, links.ours.reminder.pk)
    before = snapshot(links)
    for index in range(len(token)):
        if token[index] == ".":
            continue
        assert_refused(send(client, purpose, flip(token, index)))
    assert snapshot(links) == before


def test_tokens_swapped_between_two_practices_clients_are_refused(client, links):
    ours, theirs = links.ours.reminder.pk, links.theirs.reminder.pk
    before = snapshot(links)
    for purpose in VIEWS:
        mine, other = make_token(purpose, ours), make_token(purpose, theirs)
        mine_id, mine_rest = mine.split(".", 1)
        other_id, other_rest = other.split(".", 1)
        mine_stamp, mine_signature = mine_rest.split(".")
        other_stamp, other_signature = other_rest.split(".")
        for swapped in (
            f"{other_id}.{mine_rest}",  # their reminder's id under our signature
            f"{mine_id}.{other_rest}",
            f"{mine_id}.{mine_stamp}.{other_signature}",  # another link's signature
            f"{mine_id}.{other_stamp}.{mine_signature}",  # another link's time
        ):
            if swapped in (mine, other):
                continue  # made in the same second: the swap is the token itself
            assert_refused(send(client, purpose, swapped))
    assert snapshot(links) == before


@pytest.mark.parametrize("made_for", list(VIEWS))
@pytest.mark.parametrize("used_on", list(VIEWS))
def test_a_token_for_one_purpose_is_refused_on_every_other(client, links, made_for, used_on):
    if made_for == used_on:
        return
    before = snapshot(links)
    assert_refused(send(client, used_on, make_token(made_for, links.ours.reminder.pk)))
    assert snapshot(links) == before


@pytest.mark.parametrize("purpose", list(VIEWS))
def test_a_link_expires_one_second_after_the_setting_says(client, links, frozen, purpose):
    token = make_token(purpose, links.ours.reminder.pk)
    lifetime = datetime.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS)
    frozen.move_to(MADE_AT + lifetime + datetime.timedelta(seconds=1))
    before = snapshot(links)
    assert_refused(send(client, purpose, token))
    assert snapshot(links) == before
    # And one second earlier it still works: the refusal above was the clock, nothing else.
    frozen.move_to(MADE_AT + lifetime)
    assert send(client, purpose, token).status_code in (200, 302)


@pytest.mark.parametrize(
    "garbage",
    [
        "%00",
        "1.%00.%00",
        "1" * 5000,
        "9" * 40 + ".AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "%E2%80%AE1.abc.def",  # right-to-left override
        "%ED%A0%80",  # a lone surrogate, UTF-8 encoded: not valid UTF-8
        "%FF%FE",
        "..",
    ],
)
@pytest.mark.parametrize("purpose", list(VIEWS))
def test_garbage_in_the_path_is_a_kind_400(client, links, purpose, garbage):
    before = snapshot(links)
    path = url(purpose, "placeholder").replace("placeholder", garbage)
    if purpose == Purpose.JOIN:
        answer = client.get(path)
    else:
        answer = client.post(path, {"status": "attended"})
    assert answer.status_code in (400, 404), answer.status_code
    assert snapshot(links) == before


def test_a_replayed_answer_changes_nothing_the_second_time(client, links, frozen):
    token = make_token(Purpose.ANSWER, links.ours.reminder.pk)
    assert send(client, Purpose.ANSWER, token).status_code == 200
    after_first = snapshot(links)
    frozen.move_to(MADE_AT + datetime.timedelta(hours=3))
    assert send(client, Purpose.ANSWER, token).status_code == 200
    assert snapshot(links) == after_first
    assert (
        Attendance.objects.filter(
            plan=links.ours.plan, occurrence_start=links.ours.reminder.occurrence_start
        )
        .get()
        .reported_at
        == MADE_AT
    )


def test_a_replayed_unsubscribe_changes_nothing_the_second_time(client, links, frozen):
    token = make_token(Purpose.UNSUBSCRIBE, links.ours.reminder.pk)
    assert send(client, Purpose.UNSUBSCRIBE, token).status_code == 200
    after_first = snapshot(links)
    assert not Client.objects.get(pk=links.ours.client.pk).has_email_consent
    frozen.move_to(MADE_AT + datetime.timedelta(days=1))
    assert send(client, Purpose.UNSUBSCRIBE, token).status_code == 200
    assert snapshot(links) == after_first


def test_a_good_link_touches_only_its_own_client(client, links):
    """The control for the refusals above: a good token works, and only on its reminder."""
    theirs_before = practice_rows(links.theirs.practice.pk)
    token = make_token(Purpose.UNSUBSCRIBE, links.ours.reminder.pk)
    assert send(client, Purpose.UNSUBSCRIBE, token).status_code == 200
    assert practice_rows(links.theirs.practice.pk) == theirs_before
