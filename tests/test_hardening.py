"""The second hostile review's cases: each bad input is one clear refusal (or a recomputation),
never a silent success."""

import pytest

from gom.cli import main


@pytest.mark.parametrize(
    ("flag", "environment", "message"),
    [
        ("", None, "--api-key is empty: an empty key would switch authentication off"),
        ("   ", None, "--api-key is empty"),
        (None, "", "GOM_API_KEY is empty"),
        ("Kéy", None, "--api-key holds 'é' (U+00E9) at character 1: a key must be printable ASCII"),
        ("key\n", None, "--api-key holds '\\n' (U+000A) at character 3"),
        (" key", None, "--api-key begins or ends with a space"),
    ],
)
def test_serve_refuses_an_api_key_no_client_can_match(tmp_path, monkeypatch, capsys, flag, environment, message):
    """An unset $KEY in `--api-key "$KEY"` used to start an open API; the key is checked before
    anything is loaded (there is no workflow output here at all)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOM_API_KEY", raising=False)
    if environment is not None:
        monkeypatch.setenv("GOM_API_KEY", environment)
    argv = ["serve"] + (["--api-key", flag] if flag is not None else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("gom: error:") == 1


def test_a_good_api_key_passes_the_check():
    from gom.serve.load import checked_api_key

    assert checked_api_key("s3cret-Key_1", None) == "s3cret-Key_1"
    assert checked_api_key(None, "from-env") == "from-env"
    assert checked_api_key("flag", "env") == "flag"
    assert checked_api_key(None, None) is None
