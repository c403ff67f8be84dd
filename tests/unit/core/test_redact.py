import base64
import json
from urllib.parse import quote

from download_probe import REDACTED, Redactor
from download_probe.redact import redact_url


def test_url_secrets_are_redacted_by_name_and_other_params_kept() -> None:
    url = "https://h.example/api/files/f1/download?token=abc.def&x=1&sig=ZZZ"
    redacted = redact_url(url)
    assert "abc.def" not in redacted and "ZZZ" not in redacted
    assert "x=1" in redacted and REDACTED in redacted


def test_url_without_secret_params_is_unchanged() -> None:
    assert redact_url("https://h.example/a?b=c&d=e") == "https://h.example/a?b=c&d=e"


def test_learned_secret_is_scrubbed_in_plain_urlencoded_and_base64_forms() -> None:
    redactor = Redactor(["s3cret/pass+word"])
    text = " ".join(
        ["s3cret/pass+word", quote("s3cret/pass+word", safe=""), base64.b64encode(b"s3cret/pass+word").decode()]
    )
    assert redactor.find_in_text(text)
    assert redactor.find_in_text(redactor.text(text)) == []


def test_bearer_header_teaches_the_token_and_is_hidden() -> None:
    redactor = Redactor()
    headers = {"Authorization": "Bearer eyJhbGciOi.payload.sig", "Accept": "*/*"}
    redactor.learn_from_headers(headers)
    assert redactor.headers(headers) == {"Authorization": REDACTED, "Accept": "*/*"}
    assert "eyJhbGciOi.payload.sig" not in redactor.text("console: token eyJhbGciOi.payload.sig")


def test_json_data_secret_keys_and_urls_are_redacted() -> None:
    redactor = Redactor(["hunter22"])
    data = {"password": "hunter22", "url": "/api/files/f/download?token=tok123456", "note": "pw hunter22", "n": 3}
    cleaned = redactor.data(data)
    assert "hunter22" not in json.dumps(cleaned) and "tok123456" not in json.dumps(cleaned)
    assert cleaned["n"] == 3


def test_storage_state_tokens_are_learned() -> None:
    redactor = Redactor()
    redactor.learn_from_storage_state(
        {"cookies": [{"name": "sid", "value": "cookie-value-1"}],
         "origins": [{"origin": "http://x", "localStorage": [{"name": "harbor.accessToken", "value": "acc-tok-99"},
                                                              {"name": "theme", "value": "darkmode"}]}]}
    )
    assert {"cookie-value-1", "acc-tok-99"} <= redactor.secrets
    assert "darkmode" not in redactor.secrets


def test_scrub_file_rewrites_only_when_needed(tmp_path) -> None:
    redactor = Redactor(["topsecret"])
    clean, dirty = tmp_path / "clean.txt", tmp_path / "dirty.txt"
    clean.write_text("nothing here")
    dirty.write_text("value=topsecret")
    assert redactor.scrub_file(clean) is False
    assert redactor.scrub_file(dirty) is True
    assert dirty.read_text() == f"value={REDACTED}"
def test_a_short_password_learned_on_purpose_is_scrubbed() -> None:
    redactor = Redactor()
    redactor.learn("pw123")  # too short to learn by default: it could blank ordinary words
    assert redactor.text("password='pw123'") == "password='pw123'"
    redactor.learn("pw123", any_length=True)
    assert "pw123" not in redactor.text("password='pw123'")
