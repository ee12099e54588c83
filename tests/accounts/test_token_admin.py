"""Admins see every API token with its last use and revoke them (one, or all of a user's), CSRF checked."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import ApiToken
from testkit.known_secrets import ADMIN_FORM_PASSWORD, API_TOKENS

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db) -> Client:
    get_user_model().objects.create_superuser("root", "root@example.org", ADMIN_FORM_PASSWORD)
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="root", password=ADMIN_FORM_PASSWORD)
    return client


def csrf_of(response) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert found is not None
    return found.group(1).decode()


@pytest.fixture
def alices(alice) -> list[ApiToken]:
    return [
        ApiToken.objects.create(user=alice, label="laptop", key_hash=tokens.digest(API_TOKENS["alice"])),
        ApiToken.objects.create(user=alice, label="browser", key_hash=tokens.digest(API_TOKENS["alice-2"])),
    ]


def test_the_list_shows_label_user_and_last_use_never_the_token(admin_client, alices, client):
    client.post(
        "/rpc/",
        data="<?xml version='1.0'?><methodCall><methodName>accounts.whoami</methodName></methodCall>",
        content_type="text/xml",
        HTTP_AUTHORIZATION=f"Bearer {API_TOKENS['alice']}",
        REMOTE_ADDR="192.0.2.7",
    )
    page = admin_client.get(reverse("admin:accounts_apitoken_changelist"), {"q": "alice"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "laptop" in text and "browser" in text and "192.0.2.7" in text
    assert API_TOKENS["alice"] not in text
    assert alices[0].key_hash not in text
    assert admin_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403


def test_an_admin_revokes_one_token(admin_client, alices):
    url = reverse("admin:accounts_apitoken_delete", args=[alices[0].pk])
    page = admin_client.get(url)
    assert admin_client.post(url, {"post": "yes"}).status_code == 403  # without the CSRF token
    assert admin_client.post(url, {"post": "yes", "csrfmiddlewaretoken": csrf_of(page)}).status_code == 302
    assert list(ApiToken.objects.values_list("label", flat=True)) == ["browser"]


def test_an_admin_revokes_all_tokens_of_a_user(admin_client, alices, bob):
    ApiToken.objects.create(user=bob, label="bob's", key_hash=tokens.digest(API_TOKENS["bob"]))
    url = reverse("admin:auth_user_changelist")
    page = admin_client.get(url)
    response = admin_client.post(
        url,
        {
            "action": "revoke_all_tokens",
            "_selected_action": [alices[0].user_id],
            "csrfmiddlewaretoken": csrf_of(page),
        },
        follow=True,
    )
    assert "2 API tokens revoked." in response.content.decode()
    assert list(ApiToken.objects.values_list("label", flat=True)) == ["bob's"]
