"""Sign-in throttling that cannot be turned against residents and volunteers.

An attacker failing with a volunteer's username must not lock the volunteer out of their
own phone; one person failing over and over behind a carrier NAT must not lock the whole
compound out; and the counters must be shared by every worker (Redis).
"""

import logging
import os
import re
import uuid

import pytest
import redis

from scheduler.auth import throttle
from scheduler.auth.known_devices import COOKIE_NAME
from scheduler.config import rate_limit_storage_uri, separate_counters_warning
from scheduler.extensions import limiter
from scheduler.models import Role
from tests.conftest import TEST_PASSWORD
from tests.forms import submit_form

WRONG = "wrong-password-x"
NAT_ADDRESS = "100.64.0.7"  # carrier-grade NAT range: a whole compound behind one address
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


def attempt(client, username, password=WRONG, address=NAT_ADDRESS, **extra):
    return client.post(
        "/auth/login",
        data={"username": username, "password": password, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def sign_in_on(device, user, address=NAT_ADDRESS):
    response = attempt(device, user.username, TEST_PASSWORD, address)
    assert response.status_code == 302, response.status_code
    device.post("/auth/logout")
    return device


def clear_address_wait(app, address=NAT_ADDRESS):
    """As if the current wait had passed (the failures counted in the window stay)."""
    with app.app_context():
        limiter.storage.clear(f"login-address-wait/{address}")


@pytest.fixture
def volunteer(make_user):
    return make_user(Role.VOLUNTEER)


def test_the_owner_on_a_known_device_signs_in_after_a_stranger_fails_five_times(app, volunteer):
    phone = sign_in_on(app.test_client(), volunteer)
    assert phone.get_cookie(COOKIE_NAME, path="/auth") is not None
    attacker = app.test_client()
    for _ in range(5):
        assert attempt(attacker, volunteer.username, address="203.0.113.9").status_code == 422
    refused = attempt(attacker, volunteer.username, TEST_PASSWORD, address="203.0.113.9")
    assert refused.status_code == 429, "a new device is held, even with the right password"
    # The owner types a wrong password once on their phone, then the right one.
    assert attempt(phone, volunteer.username).status_code == 422
    assert attempt(phone, volunteer.username, TEST_PASSWORD).status_code == 302


def test_a_new_device_is_held_after_five_failures_with_a_clear_message(app, volunteer):
    new_phone = app.test_client()
    for _ in range(5):
        assert attempt(new_phone, volunteer.username).status_code == 422
    response = attempt(new_phone, volunteer.username, TEST_PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 840 <= int(response.headers["Retry-After"]) <= 900
    assert "登录失败次数太多" in html and "15分钟" in html
    assert f'value="{volunteer.username}"' in html, "the form is shown again with the username"
    assert new_phone.get("/me").status_code == 302


def test_the_username_limit_counts_per_username_and_from_every_address(app, volunteer, make_user):
    for number in range(5):
        attempt(app.test_client(), volunteer.username, address=f"198.51.100.{number}")
    assert attempt(app.test_client(), volunteer.username, address="198.51.100.77").status_code == 429
    other = make_user(Role.VOLUNTEER)
    assert attempt(app.test_client(), other.username, TEST_PASSWORD).status_code == 302


def test_a_known_device_for_another_person_does_not_help(app, volunteer, make_user):
    shared_phone = sign_in_on(app.test_client(), make_user(Role.VOLUNTEER))
    for _ in range(5):
        attempt(app.test_client(), volunteer.username, address="203.0.113.9")
    assert attempt(shared_phone, volunteer.username, TEST_PASSWORD).status_code == 429


def test_a_forged_known_device_cookie_does_not_help(app, volunteer):
    phone = sign_in_on(app.test_client(), volunteer)
    genuine = phone.get_cookie(COOKIE_NAME, path="/auth").value
    forger = app.test_client()
    forger.set_cookie(COOKIE_NAME, genuine[:-3] + "abc", path="/auth")
    for _ in range(5):
        attempt(app.test_client(), volunteer.username, address="203.0.113.9")
    assert attempt(forger, volunteer.username, TEST_PASSWORD).status_code == 429


def test_a_device_that_knew_an_old_password_is_new_again_after_a_change(app, volunteer):
    old_laptop = sign_in_on(app.test_client(), volunteer)
    phone = app.test_client()
    assert attempt(phone, volunteer.username, TEST_PASSWORD).status_code == 302
    new_password = "a-new-long-secret"
    response = submit_form(
        phone,
        "/auth/password",
        {"current_password": TEST_PASSWORD, "new_password": new_password, "confirm_password": new_password},
    )
    assert response.status_code == 302
    phone.post("/auth/logout")
    for _ in range(5):
        attempt(app.test_client(), volunteer.username, address="203.0.113.9")
    assert attempt(old_laptop, volunteer.username, new_password).status_code == 429
    assert attempt(phone, volunteer.username, new_password).status_code == 302


def test_known_devices_have_their_own_limit(app, make_user):
    app.config["LOGIN_LIMIT_KNOWN_DEVICE"] = "3 per 15 minutes"
    user = make_user(Role.VOLUNTEER)
    lost_phone = sign_in_on(app.test_client(), user)
    for _ in range(3):
        assert attempt(lost_phone, user.username).status_code == 422
    assert attempt(lost_phone, user.username, TEST_PASSWORD).status_code == 429


def test_twenty_people_behind_one_nat_address_each_fail_once_and_still_sign_in(app, make_user):
    people = [make_user(Role.VOLUNTEER) for _ in range(20)]
    for person in people:
        assert attempt(app.test_client(), person.username).status_code == 422
    for person in people:
        assert attempt(app.test_client(), person.username, TEST_PASSWORD).status_code == 302


def test_one_person_failing_many_times_makes_the_address_wait_longer_each_time(app):
    app.config.update(LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes", LOGIN_DELAY_MAX_SECONDS=10)
    prankster = app.test_client()
    for number in range(3):
        assert attempt(prankster, f"guess{number}").status_code == 422, "the free failures"
    waits = []
    for number in range(5):
        assert attempt(prankster, f"more{number}").status_code == 422
        refused = attempt(app.test_client(), "neighbour")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clear_address_wait(app)
    assert waits == [2, 4, 8, 10, 10], "doubling, up to LOGIN_DELAY_MAX_SECONDS"


def test_the_address_wait_does_not_hold_a_known_device(app, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    resident_volunteer = make_user(Role.VOLUNTEER)
    own_phone = sign_in_on(app.test_client(), resident_volunteer)
    for number in range(6):
        attempt(app.test_client(), f"guess{number}")
    assert attempt(app.test_client(), resident_volunteer.username, TEST_PASSWORD).status_code == 429
    assert attempt(own_phone, resident_volunteer.username, TEST_PASSWORD).status_code == 302
    other_address = attempt(app.test_client(), "someone", address="192.0.2.1")
    assert other_address.status_code == 422, "only that address waits"


@pytest.mark.parametrize(
    "failures, wait", [(30, 0), (31, 2), (32, 4), (35, 32), (39, 512), (40, 600), (500, 600)]
)
def test_address_delay_with_the_default_settings(app, failures, wait):
    with app.app_context():
        assert throttle.address_delay(failures) == wait


def test_redis_is_used_automatically_when_redis_url_is_set():
    assert rate_limit_storage_uri({"REDIS_URL": "redis://cache:6379/1"}) == "redis://cache:6379/1"
    assert (
        rate_limit_storage_uri({"REDIS_URL": "redis://cache:6379/1", "RATELIMIT_STORAGE_URI": "memory://"})
        == "memory://"
    ), "an explicit RATELIMIT_STORAGE_URI wins"
    assert rate_limit_storage_uri({}) == "memory://"


@pytest.fixture
def redis_storage_options():
    """A key prefix of this test's own in the test Redis database, removed afterwards."""
    connection = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.fail(f"no Redis at {TEST_REDIS_URL} (set TEST_REDIS_URL)")
    prefix = f"test-{uuid.uuid4().hex}"
    yield connection, prefix
    for key in connection.scan_iter(f"{prefix}*"):
        connection.delete(key)
    connection.close()


def test_workers_share_the_counters_in_redis(app_factory, redis_storage_options):
    """Two app instances, as two gunicorn workers: failures on one count on the other."""
    connection, prefix = redis_storage_options
    settings = {
        "RATELIMIT_STORAGE_URI": rate_limit_storage_uri({"REDIS_URL": TEST_REDIS_URL}),
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix},
    }
    worker_one = app_factory(**settings)
    assert type(limiter.storage).__name__ == "RedisStorage"
    for _ in range(3):
        assert attempt(worker_one.test_client(), "wang.fang").status_code == 422
    # A new storage connection, as another process has: with memory:// it would start from zero.
    worker_two = app_factory(**settings)
    for _ in range(2):
        assert attempt(worker_two.test_client(), "wang.fang").status_code == 422
    assert attempt(worker_two.test_client(), "wang.fang").status_code == 429
    keys = {key.decode() for key in connection.scan_iter(f"{prefix}*")}
    assert any("login-username/wang.fang" in key for key in keys), keys
    assert any(f"login-address-failures/{NAT_ADDRESS}" in key for key in keys), keys


def test_several_workers_with_memory_storage_are_warned_about():
    warning = separate_counters_warning("memory://", 3)
    assert "3 workers" in warning and "REDIS_URL" in warning
    assert separate_counters_warning("memory://", 1) is None
    assert separate_counters_warning("redis://127.0.0.1:6379/0", 3) is None


def test_failed_sign_ins_name_only_existing_accounts(client, volunteer, caplog):
    typed_password = "my-secret-pass-42"
    with caplog.at_level(logging.INFO, logger="scheduler.auth"):
        attempt(client, typed_password, typed_password)  # the password typed as the username
        attempt(client, volunteer.username.upper(), "not-the-password-9")
    assert typed_password not in caplog.text
    assert "not-the-password-9" not in caplog.text
    unknown, known = (record.getMessage() for record in caplog.records)
    # The fields stay in one shape, so a search of the log for an account finds every attempt.
    assert unknown.startswith("login failed username=<not an account> address=")
    assert known.startswith(f"login failed user_id={volunteer.id} username={volunteer.username} address=")
    assert volunteer.username.upper() not in caplog.text, "the account's name, not the text typed"


def test_a_throttled_sign_in_is_logged_with_the_account_and_the_address(client, volunteer, caplog):
    for _ in range(5):
        attempt(client, volunteer.username)
    caplog.clear()
    assert attempt(client, volunteer.username, TEST_PASSWORD).status_code == 429
    (line,) = (record.getMessage() for record in caplog.records)
    who = f"user_id={volunteer.id} username={volunteer.username}"
    assert re.fullmatch(rf"login throttled {who} address={re.escape(NAT_ADDRESS)} wait=\d+s", line), line
