"""Masking stays complete while the per-run work is reused: copies, re-added secrets, lists of texts."""

from __future__ import annotations

from arazzo_runner.engine.guard import CredentialGuard
from arazzo_runner.engine.redact import Redactor
from arazzo_runner.engine.request import PreparedRequest
from arazzo_runner.engine.security import Credentials


def test_a_list_of_texts_is_masked_item_by_item_when_one_holds_a_secret() -> None:
    redactor = Redactor(["s3cret-value"])
    assert redactor.mask_value(["a", "b", "x s3cret-value y"]) == ["a", "b", "x *** y"]
    clean = ["a", "b"]
    masked = redactor.mask_value(clean)
    assert masked == clean and masked is not clean  # a copy, as for every other value
    # The escaped spellings are still found in a list of texts.
    assert redactor.mask_value(["a", "s3cret&#45;value"]) == ["a", "***"]


def test_a_copy_masks_what_the_original_does_and_grows_on_its_own() -> None:
    original = Redactor([("user", "pass-word-1")])
    twin = original.copy()
    assert twin.mask("pass-word-1") == "***"
    twin.add("another-secret")
    assert twin.mask("another-secret") == "***"
    assert original.mask("another-secret") == "another-secret"


def test_credentials_give_each_run_its_own_redactor() -> None:
    credentials = Credentials({"apiKey": "key-abcdef"})
    first, second = credentials.redactor(), credentials.redactor()
    first.add("run-only-secret")
    assert second.mask("run-only-secret") == "run-only-secret"
    assert second.mask("key-abcdef") == "***"
    assert credentials.redactor("apiKey").mask("key-abcdef") == "***"


def test_the_guard_still_refuses_a_learned_token_copied_to_another_host() -> None:
    credentials = Credentials({"oauth": "token-from-the-caller", "other": "other-secret"})
    guard = CredentialGuard(credentials)
    sent = PreparedRequest("GET", "https://api.example.com", "/v1/me", headers=[("Authorization", "Bearer tok-12345")])
    sent.security_headers.add("Authorization")
    sent.credential_keys.add("oauth")
    assert guard.check(sent) is None
    leak = PreparedRequest("GET", "https://elsewhere.example.net", "/collect", query=["t=tok-12345"])
    reason = guard.check(leak)
    assert reason is not None and "credential 'oauth'" in reason and "elsewhere.example.net" in reason


def _masked_one_by_one(secrets: list[str], text: str) -> str:
    """What masking gives when every registered text is searched for, longest first."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def test_texts_holding_only_a_secret_contained_in_another_are_still_masked() -> None:
    # The padded base64 of an HTTP basic pair contains the unpadded one, and its percent-encoding does
    # too: only the shortest are searched for first, and every form is then masked as before.
    redactor = Redactor([("user-name", "pass-word-1x")])
    forms = redactor.secrets()
    assert len(forms) > 2
    for form in forms:
        text = f"before {form} after"
        assert redactor.mask(text) == _masked_one_by_one(forms, text) == "before *** after"
        assert redactor.mask_value([text, "plain"]) == ["before *** after", "plain"]
    assert redactor.mask("nothing secret here") == "nothing secret here"
    assert redactor.mask_value(["nothing", "secret"]) == ["nothing", "secret"]


def test_a_secret_added_later_is_searched_for_in_copies_and_originals_alike() -> None:
    original = Redactor(["outer-secret-value"])
    assert original.mask("x inner-9 y") == "x inner-9 y"  # worked out before anything else is added
    twin = original.copy()
    twin.add("inner-9")
    assert twin.mask("x inner-9 y") == "x *** y"
    assert twin.mask("outer-secret-value") == "***"
    assert original.mask("x inner-9 y") == "x inner-9 y"
    original.add("secret")  # contained in the first: the search now looks for the shorter text
    assert original.mask("a secret and outer-secret-value") == "a *** and ***"
