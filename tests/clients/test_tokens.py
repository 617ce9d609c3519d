"""Signed tokens for reminder links: purpose-bound, expiring, naming nothing but a reminder."""

import datetime

import pytest
import time_machine

from clients.tokens import BadLink, Purpose, make_token, read_token

MADE_AT = datetime.datetime(2026, 3, 10, 23, 0, tzinfo=datetime.UTC)
MAX_AGE = datetime.timedelta(days=14)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(MADE_AT, tick=False) as traveller:
        yield traveller


def flip(token: str, index: int) -> str:
    """The token with one character changed to another URL-safe one."""
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


def test_a_token_reads_back_as_its_reminder_id():
    assert read_token(Purpose.ANSWER, make_token(Purpose.ANSWER, 42)) == 42


def test_a_token_is_url_safe_and_names_no_address():
    token = make_token(Purpose.UNSUBSCRIBE, 42)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "@" not in token
    assert len(token) < 80


@pytest.mark.parametrize("index", [0, 3, -1, -10])
def test_a_tampered_token_is_refused(index):
    token = make_token(Purpose.ANSWER, 42)
    with pytest.raises(BadLink):
        read_token(Purpose.ANSWER, flip(token, index))


def test_a_token_with_another_reminder_id_swapped_in_is_refused():
    _id, rest = make_token(Purpose.ANSWER, 42).split(".", 1)
    with pytest.raises(BadLink):
        read_token(Purpose.ANSWER, f"43.{rest}")


def test_a_token_made_for_one_purpose_is_refused_for_another():
    token = make_token(Purpose.ANSWER, 42)
    with pytest.raises(BadLink):
        read_token(Purpose.UNSUBSCRIBE, token)
    with pytest.raises(BadLink):
        read_token(Purpose.JOIN, token)


def test_a_token_works_for_exactly_fourteen_days(_frozen):
    token = make_token(Purpose.ANSWER, 42)
    _frozen.move_to(MADE_AT + MAX_AGE)
    assert read_token(Purpose.ANSWER, token) == 42


def test_a_token_expires_one_second_after_fourteen_days(_frozen):
    token = make_token(Purpose.ANSWER, 42)
    _frozen.move_to(MADE_AT + MAX_AGE + datetime.timedelta(seconds=1))
    with pytest.raises(BadLink):
        read_token(Purpose.ANSWER, token)


def test_the_lifetime_follows_the_setting(settings, _frozen):
    settings.REMINDER_LINK_MAX_AGE_DAYS = 1
    token = make_token(Purpose.ANSWER, 42)
    _frozen.move_to(MADE_AT + datetime.timedelta(days=1, seconds=1))
    with pytest.raises(BadLink):
        read_token(Purpose.ANSWER, token)


@pytest.mark.parametrize("garbage", ["", "42", "not-a-token", "42..", "../../etc/passwd"])
def test_garbage_is_refused(garbage):
    with pytest.raises(BadLink):
        read_token(Purpose.ANSWER, garbage)


def test_an_unknown_purpose_is_a_programming_error():
    with pytest.raises(ValueError):
        make_token("reminder-everything", 42)
