"""The inventory loader: valid files, every class of problem with its line and field, secrets."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.names import normalize_host
from esp_clients.base import AccountRef
from esp_clients.registry import DNS_ONLY_ESPS, KNOWN_ESPS
from tests.support.data import INVENTORIES
from tui.inventory import model as inv
from tui.inventory.files import write_new_file
from tui.inventory.load import (
    example_inventory_text,
    load_inventory,
    parse_inventory,
    render_entries_toml,
)
from tui.inventory.model import InventoryError, Problem, Settings
from tui.inventory.paths import config_dir, default_inventory_path

HERE = INVENTORIES
EXAMPLE = Path(inv.__file__).parent / "example.toml"

ACCOUNTS = """
[accounts.acme-sg]
esp = "sendgrid"

[accounts.acme-mg]
esp = "mailgun"
region = "eu"
"""


def problems_of(text: str) -> tuple[Problem, ...]:
    """The problems `text` raises (the test fails if it loads)."""
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text, path="inv.toml")
    return caught.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, [str(problem) for problem in problems]
    return problems[0]


def brand(*entries: str) -> str:
    return (
        '[[brands]]\nname = "Acme"\ntracking = [\n' + "".join(f"  {e},\n" for e in entries) + "]\n"
    )


# --- valid inventories -------------------------------------------------------------------------


def test_example_inventory_loads_and_covers_the_documented_features() -> None:
    inventory = load_inventory(EXAMPLE)
    text = EXAMPLE.read_text(encoding="utf-8")
    assert example_inventory_text() == text
    esps = {account.esp for account in inventory.accounts}
    assert esps & DNS_ONLY_ESPS, "the example shows a DNS-only ESP"
    assert {"sendgrid", "mailgun", "ses"} <= esps
    assert any(account.region == "eu" for account in inventory.accounts)
    assert any(entry.expect_target for entry in inventory.entries)
    for setting in Settings.__dataclass_fields__:
        assert f"{setting} =" in text, f"the example documents {setting}"
    for words in ("trackdeck creds set", "TRACKDECK_SECRET_", "AWS", "keyrings.alt"):
        assert words in text
    assert inventory.shared_hosts() == ()


def test_valid_inventory_parses_every_setting_and_normalises_hosts() -> None:
    inventory = load_inventory(HERE / "valid.toml")
    assert inventory.path == HERE / "valid.toml"
    assert inventory.settings == Settings(
        resolvers=("127.0.0.1", "127.0.0.2:5353", "[::1]:53"),
        blocklist_resolvers=("127.0.0.3",),
        expiry_warning_days=30,
        timeout=1.0,
        concurrency=8,
        read_only=True,
        refresh_interval=60.0,
        ca_bundle="/tmp/corp-ca.pem",
        blocklists=False,
    )
    assert inventory.brands == ("Acme", "Globex")
    hosts = [
        (entry.host, entry.account, entry.expect_target, entry.line) for entry in inventory.entries
    ]
    assert hosts == [
        ("links.acme.test", "acme-sg", None, 38),
        ("email.acme.test", "acme-mg", "eu.mailgun.org", 39),
        ("go.acme.test", "acme-sp", "eu.v2.spgo.io", 40),
        ("klick.xn--bcher-kva.test", "globex-ses", "r.eu-central-1.awstrack.me", 46),
        ("track.globex.test", "globex.postmark", "track.pm.test", 47),
    ]
    assert inventory.entries[3].brand == "Globex"


def test_accounts_get_defaults_and_esp_specific_fields() -> None:
    inventory = load_inventory(HERE / "valid.toml")
    sendgrid = inventory.account("acme-sg")
    assert (sendgrid.region, sendgrid.subuser, sendgrid.has_api) == ("eu", "acme-marketing", True)
    mailgun = inventory.account("acme-mg")
    assert (mailgun.region, mailgun.api_base) == ("us", "http://127.0.0.1:4010")
    assert inventory.account("acme-sp").subaccount == "123"
    assert inventory.account("globex-ses").profile == "globex"
    assert not inventory.account("globex.postmark").has_api
    assert sendgrid.ref() == AccountRef(
        name="acme-sg", esp="sendgrid", region="eu", subuser="acme-marketing"
    )
    with pytest.raises(KeyError):
        inventory.account("nobody")


def test_the_click_signal_settings() -> None:
    settings = parse_inventory("[settings]\nclick_drop = 0.3\nclick_recent_days = 7\n").settings
    assert (settings.click_drop, settings.click_recent_days) == (0.3, 7)
    assert (Settings().click_drop, Settings().click_recent_days) == (0.5, 3)


def test_table_forms_and_default_settings() -> None:
    inventory = load_inventory(HERE / "tables_form.toml")
    assert inventory.settings == Settings()
    assert [(entry.host, entry.account, entry.line) for entry in inventory.entries] == [
        ("links.acme.test", "acme-rs", 10),
        ("click.acme.test", "acme-md", 14),
    ]
    assert inventory.entries_for("acme-md")[0].host == "click.acme.test"


def test_empty_document_is_an_empty_inventory() -> None:
    inventory = parse_inventory("")
    assert (inventory.accounts, inventory.entries, inventory.path) == ((), (), None)


def test_host_under_two_accounts_is_not_an_error_but_a_shared_host() -> None:
    text = ACCOUNTS + brand(
        '{ host = "links.acme.test", account = "acme-sg" }',
        '{ host = "Links.acme.test", account = "acme-mg" }',
        '{ host = "only.acme.test", account = "acme-mg" }',
    )
    shared = parse_inventory(text).shared_hosts()
    assert len(shared) == 1
    assert shared[0].host == "links.acme.test"
    assert shared[0].accounts == ("acme-sg", "acme-mg")
    assert [entry.line for entry in shared[0].entries] == [11, 12]


# --- problems ----------------------------------------------------------------------------------


def test_toml_syntax_error_reports_tomllibs_line() -> None:
    problem = only_problem("[settings]\ntimeout = 2\nconcurrency = = 3\n")
    assert problem.line == 3
    assert "TOML syntax error" in problem.message
    assert str(problem).startswith("inv.toml:3: TOML syntax error")


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("[setings]\n", 1, "setings", ("unknown key", "did you mean 'settings'")),
        (
            "[settings]\nrefresh_intervl = 5\n",
            2,
            "settings.refresh_intervl",
            ("did you mean 'refresh_interval'", "valid keys"),
        ),
        (
            '[accounts.a]\nesp = "mailgun"\nregoin = "eu"\n',
            3,
            "accounts.a.regoin",
            ("did you mean 'region'",),
        ),
        (
            '[accounts.a]\nesp = "sendgird"\n',
            2,
            "accounts.a.esp",
            ("unknown ESP 'sendgird'", "did you mean 'sendgrid'", "known ESPs", "mailchimp"),
        ),
        ('[accounts.a]\nesp = "SendGrid"\n', 2, "accounts.a.esp", ("did you mean 'sendgrid'",)),
        ('[accounts.a]\nregion = "eu"\n', 1, "accounts.a.esp", ("missing",)),
        (
            '[accounts.a]\nesp = "sendgrid"\nregion = "us"\n',
            3,
            "accounts.a.region",
            ("'us' is not a sendgrid region", "global, eu"),
        ),
        ('[accounts.a]\nesp = "sparkpost"\nregion = "apac"\n', 3, "accounts.a.region", ("us, eu",)),
        ('[accounts.a]\nesp = "ses"\n', 1, "accounts.a.region", ("eu-west-1",)),
        (
            '[accounts.a]\nesp = "ses"\nregion = "europe"\n',
            3,
            "accounts.a.region",
            ("not an AWS region",),
        ),
        ('[accounts.a]\nesp = "klaviyo"\nregion = "eu"\n', 3, "accounts.a.region", ("no region",)),
        (
            '[accounts.a]\nesp = "mailgun"\nsubuser = "x"\n',
            3,
            "accounts.a.subuser",
            ("sendgrid accounts only",),
        ),
        (
            '[accounts.a]\nesp = "sparkpost"\nsubaccount = "twelve"\n',
            3,
            "accounts.a.subaccount",
            ("whole number",),
        ),
        (
            '[accounts.a]\nesp = "mailgun"\napi_base = "api.eu.mailgun.net"\n',
            3,
            "accounts.a.api_base",
            ("is not a URL",),
        ),
        (
            '[accounts.a]\nesp = "brevo"\napi_base = "https://api.test"\n',
            3,
            "accounts.a.api_base",
            ("DNS only",),
        ),
        ('[accounts."a b"]\nesp = "brevo"\n', 1, "accounts.a b", ("letters, digits",)),
        ('[settings]\ntimeout = "fast"\n', 2, "settings.timeout", ("must be a number", "string")),
        ("[settings]\nconcurrency = true\n", 2, "settings.concurrency", ("whole number",)),
        ("[settings]\nconcurrency = 0\n", 2, "settings.concurrency", ("between 1 and 256",)),
        ("[settings]\ntimeout = nan\n", 2, "settings.timeout", ("between",)),
        ("[settings]\nrefresh_interval = 5\n", 2, "settings.refresh_interval", ("at least 10",)),
        ("[settings]\nclick_drop = 1\n", 2, "settings.click_drop", ("between 0.1 and 0.9",)),
        (
            "[settings]\nclick_recent_days = 0\n",
            2,
            "settings.click_recent_days",
            ("between 1 and 14",),
        ),
        ('[settings]\nread_only = "yes"\n', 2, "settings.read_only", ("true or false",)),
        (
            '[settings]\nresolvers = ["dns.google"]\n',
            2,
            "settings.resolvers[0]",
            ("not an IP address",),
        ),
        ('[settings]\nresolvers = "127.0.0.1"\n', 2, "settings.resolvers", ("must be a list",)),
        ('[settings]\nca_bundle = " "\n', 2, "settings.ca_bundle", ("not empty",)),
        ("settings = 3\n", 1, "settings", ("must be a table",)),
        ('brands = "Acme"\n', 1, "brands", ("list of [[brands]]",)),
        ("[[brands]]\ntracking = []\n", 1, "brands[0].name", ("missing",)),
        (
            '[[brands]]\nname = "Acme"\ntracking = ["links.acme.test"]\n',
            1,
            "brands[0].tracking[0]",
            ("must be a table like",),
        ),
    ],
)
def test_each_problem_names_its_line_and_field(
    text: str, line: int, field: str, words: tuple[str, ...]
) -> None:
    problem = only_problem(text)
    assert (problem.line, problem.field) == (line, field), str(problem)
    for word in words:
        assert word in problem.message, str(problem)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("links..acme.test", "empty label"),
        ("-links.acme.test", "only letters, digits and inner hyphens"),
        ("links-.acme.test", "inner hyphens"),
        ("links_x.acme.test", "inner hyphens"),
        ("*.acme.test", "inner hyphens"),
        ("192.0.2.7", "IP address"),
        ("2001:db8::1", "IP address"),
        ("localhost", "at least two labels"),
        ("a" * 64 + ".acme.test", "longer than 63"),
        (".".join(["abcdefghi"] * 26) + ".test", "longer than 253"),
        ("links.acme.123", "numeric"),
        ("", "empty"),
    ],
)
def test_invalid_host_names_are_rejected(host: str, reason: str) -> None:
    text = ACCOUNTS + brand(f'{{ host = "{host}", account = "acme-sg" }}')
    problem = only_problem(text)
    assert (problem.line, problem.field) == (11, "brands[0].tracking[0].host")
    assert "is not a valid host name" in problem.message
    assert reason in problem.message


def test_host_normalisation() -> None:
    assert normalize_host("Links.Acme.TEST.") == "links.acme.test"
    assert normalize_host("klick.bücher.test") == "klick.xn--bcher-kva.test"
    with pytest.raises(ValueError, match="empty label"):
        normalize_host("links.acme.test..")


def test_entry_problems_undefined_account_and_duplicates() -> None:
    text = ACCOUNTS + brand(
        '{ host = "links.acme.test", account = "acme-sgg" }',
        '{ host = "mail.acme.test", account = "acme-mg" }',
        '{ host = "Mail.acme.test.", account = "acme-mg", expect_targt = "x.test" }',
    )
    problems = problems_of(text)
    assert [(problem.line, problem.field) for problem in problems] == [
        (11, "brands[0].tracking[0].account"),
        (13, "brands[0].tracking[2].expect_targt"),
        (13, "brands[0].tracking[2].host"),
    ]
    assert "account 'acme-sgg' is not defined; did you mean 'acme-sg'?" in problems[0].message
    assert "did you mean 'expect_target'" in problems[1].message
    assert "listed twice for account 'acme-mg' (first at line 12)" in problems[2].message


def test_duplicate_brand_and_account_names_sharing_an_env_var() -> None:
    text = (
        '[accounts.acme-sg]\nesp = "sendgrid"\n[accounts.acme_sg]\nesp = "mailgun"\n'
        '[[brands]]\nname = "Acme"\n[[brands]]\nname = "Acme"\n'
    )
    first, second = problems_of(text)
    assert (first.line, first.field) == (3, "accounts.acme_sg")
    assert "TRACKDECK_SECRET_ACME_SG" in first.message
    assert (second.line, second.field) == (8, "brands[1].name")
    assert "already defined at line 5" in second.message


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(HERE / "many_problems.toml")
    located = [(problem.line, problem.field) for problem in caught.value.problems]
    assert located == [
        (2, "settings.timeout"),
        (3, "settings.concurency"),
        (6, "accounts.acme-sg.esp"),
        (10, "accounts.acme-mg.region"),
        (15, "brands[0].tracking[0].host"),
        (16, "brands[0].tracking[1].account"),
        (18, "brands[0].tracking[3].host"),
        (19, "brands[0].tracking[4].host"),
    ]
    lines = str(caught.value).splitlines()
    assert len(lines) == 8
    assert lines[0] == (
        f"{HERE / 'many_problems.toml'}:2: settings.timeout: must be a number, not a string"
    )


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="trackdeck init"):
        load_inventory(tmp_path / "inventory.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InventoryError, match="not UTF-8"):
        load_inventory(binary)


# --- secrets -----------------------------------------------------------------------------------

CANARIES = {
    "SendGrid": "SG.CANARYfakefake0000.canaryCANARYfake0000fake",
    "Mailgun": "key-canary0fake0canary0fake0canary",
    "Resend": "re_CANARY_fake_0000_canary",
    "AWS": "AKIACANARYFAKE000000",
}


@pytest.mark.parametrize("kind", sorted(CANARIES))
def test_values_shaped_like_api_keys_are_refused_without_echoing_them(kind: str) -> None:
    canary = CANARIES[kind]
    text = ACCOUNTS + brand(f'{{ host = "links.acme.test", account = "{canary}" }}')
    with pytest.raises(InventoryError) as caught:
        parse_inventory(text, path="inv.toml")
    assert canary not in str(caught.value)
    assert canary not in repr(caught.value.problems)
    secret_problems = [problem for problem in caught.value.problems if kind in problem.message]
    assert len(secret_problems) == 1
    assert secret_problems[0].line == 11
    assert "trackdeck creds set" in secret_problems[0].message


def test_secret_in_a_comment_is_refused_too() -> None:
    text = ACCOUNTS + f"# the key is {CANARIES['SendGrid']}\n"
    problem = only_problem(text)
    assert problem.line == 8
    assert "SendGrid API key" in problem.message
    assert CANARIES["SendGrid"] not in str(problem)


@pytest.mark.parametrize(
    ("text", "line", "field", "command"),
    [
        (
            '[accounts.acme]\nesp = "mailgun"\napi_key = "hunter2-canary"\n',
            3,
            "accounts.acme.api_key",
            "`trackdeck creds set acme` or the environment variable TRACKDECK_SECRET_ACME",
        ),
        ('[settings]\ndqs_key = "hunter2-canary"\n', 2, "settings.dqs_key", "trackdeck creds set"),
        (
            '[accounts.acme]\nesp = "resend"\n'
            + brand('{ host = "l.acme.test", account = "acme", token = "hunter2-canary" }'),
            6,
            "brands[0].tracking[0].token",
            "trackdeck creds set ACCOUNT",
        ),
        ('password = "hunter2-canary"\n', 1, "password", "TRACKDECK_SECRET_<ACCOUNT>"),
        (
            '[accounts.acme]\nesp = "mailgun"\nsecret = "hunter2-canary"\n',
            3,
            "accounts.acme.secret",
            "TRACKDECK_SECRET_ACME",
        ),
    ],
)
def test_keys_named_like_secrets_are_refused_without_echoing_the_value(
    text: str, line: int, field: str, command: str
) -> None:
    problem = only_problem(text)
    assert (problem.line, problem.field) == (line, field)
    assert "secrets never go in the inventory" in problem.message
    assert command in problem.message
    assert "hunter2" not in str(problem)


# --- property tests ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_raises_only_inventory_error(text: str) -> None:
    try:
        parse_inventory(text)
    except InventoryError as error:
        assert error.problems


KEYS = st.sampled_from(
    [
        "settings",
        "accounts",
        "brands",
        "esp",
        "region",
        "name",
        "tracking",
        "host",
        "account",
        "expect_target",
        "timeout",
        "resolvers",
        "concurrency",
        "api_base",
        "subaccount",
        "acme",
    ]
) | st.text(max_size=8)
SCALARS = (
    st.just("links.acme.test")
    | st.sampled_from(["sendgrid", "ses", "eu", "eu-west-1", "acme", "127.0.0.1", "", "-x.test"])
    | st.text(max_size=12)
    | st.integers()
    | st.floats()
    | st.booleans()
    | st.datetimes()
)
DOCUMENTS = st.dictionaries(
    KEYS,
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
        max_leaves=12,
    ),
    max_size=5,
)


ACCOUNT_TABLES = st.fixed_dictionaries(
    {"esp": st.sampled_from([*sorted(KNOWN_ESPS), "SendGrid"]) | SCALARS},
    optional={key: SCALARS for key in ("region", "api_base", "subuser", "subaccount", "profile")},
)
TRACKING_ITEMS = st.fixed_dictionaries(
    {"host": SCALARS, "account": st.sampled_from(["acme", "globex", "nobody"]) | SCALARS},
    optional={"expect_target": SCALARS, "api_key": SCALARS},
)
INVENTORY_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "settings": st.dictionaries(
            st.sampled_from(sorted(Settings.__dataclass_fields__)), SCALARS
        ),
        "accounts": st.dictionaries(
            st.sampled_from(["acme", "globex", "a b", "acme_sg", "acme-sg"]), ACCOUNT_TABLES
        ),
        "brands": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["Acme", "Globex", ""]) | SCALARS},
                optional={"tracking": st.lists(TRACKING_ITEMS, max_size=4)},
            ),
            max_size=3,
        ),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS | INVENTORY_LIKE)
def test_arbitrary_toml_documents_raise_only_inventory_error(document: dict[str, object]) -> None:
    text = tomli_w.dumps(document)
    try:
        inventory = parse_inventory(text)
    except InventoryError as error:
        assert all(isinstance(problem, Problem) for problem in error.problems)
    else:
        assert isinstance(inventory, inv.Inventory)


# --- writing new files ---------------------------------------------------------------------------


def test_render_entries_toml_round_trips_through_the_loader() -> None:
    fragment = render_entries_toml(
        "acme-mg", [("links.acme.test", "eu.mailgun.org"), ("click.acme.test", None)], "Acme"
    )
    assert fragment.startswith("[[brands]]\n")
    assert tomllib.loads(fragment)["brands"][0]["tracking"][1] == {
        "host": "click.acme.test",
        "account": "acme-mg",
    }
    inventory = parse_inventory(ACCOUNTS + fragment)
    assert [(entry.host, entry.expect_target) for entry in inventory.entries] == [
        ("links.acme.test", "eu.mailgun.org"),
        ("click.acme.test", None),
    ]


def test_write_new_file_creates_a_file_and_its_directories(tmp_path: Path) -> None:
    target = tmp_path / "config" / "trackdeck" / "inventory.toml"
    write_new_file(target, EXAMPLE.read_text(encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == EXAMPLE.read_text(encoding="utf-8")
    assert sorted(path.name for path in target.parent.iterdir()) == ["inventory.toml"]
    assert load_inventory(target).brands == ("Acme", "Globex")


def test_write_new_file_never_touches_an_existing_inventory(tmp_path: Path) -> None:
    target = tmp_path / "inventory.toml"
    original = (HERE / "valid.toml").read_bytes()
    target.write_bytes(original)
    before = os.stat(target)
    load_inventory(target)
    with pytest.raises(FileExistsError):
        write_new_file(target, "# replaced\n")
    assert target.read_bytes() == original
    assert os.stat(target).st_mtime_ns == before.st_mtime_ns
    assert [path.name for path in tmp_path.iterdir()] == ["inventory.toml"]


# --- paths -------------------------------------------------------------------------------------


def test_default_inventory_path_honours_xdg_config_home(tmp_path: Path) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path / "home")}
    assert default_inventory_path(environ) == tmp_path / "cfg" / "trackdeck" / "inventory.toml"
    fallback = {"XDG_CONFIG_HOME": "relative/ignored", "HOME": str(tmp_path / "home")}
    assert config_dir(fallback) == tmp_path / "home" / ".config" / "trackdeck"
    assert config_dir({"HOME": str(tmp_path)}) == tmp_path / ".config" / "trackdeck"


# --- secrets on the wire and in values ---------------------------------------------------------


@pytest.mark.parametrize(
    "api_base",
    ["http://127.0.0.1:8080", "http://localhost:4010/v3", "http://[::1]:9000", "https://api.test"],
)
def test_https_or_loopback_api_bases_load(api_base: str) -> None:
    text = f'[accounts.acme]\nesp = "sendgrid"\napi_base = "{api_base}"\n' + brand(
        '{ host = "links.acme.test", account = "acme" }'
    )
    assert parse_inventory(text).account("acme").api_base == api_base.rstrip("/")


def test_a_plain_http_api_base_is_refused_unless_the_account_opts_in() -> None:
    """The key would cross every network on the way in clear."""
    account = '[accounts.acme]\nesp = "sendgrid"\napi_base = "http://proxy.corp.example:8080"\n'
    entry = brand('{ host = "links.acme.test", account = "acme" }')
    problem = only_problem(account + entry)
    assert (problem.line, problem.field) == (3, "accounts.acme.api_base")
    assert "plain http:// would send the API key in clear" in problem.message
    assert "allow_insecure_api = true" in problem.message
    loaded = parse_inventory(account + "allow_insecure_api = true\n" + entry).account("acme")
    assert loaded.allow_insecure_api and loaded.ref().allow_insecure_api
    assert loaded.api_base == "http://proxy.corp.example:8080"


def test_a_password_in_api_base_is_refused_and_never_repeated() -> None:
    password = "CanaryPassw0rd"
    text = (
        f'[accounts.acme]\nesp = "mailgun"\napi_base = "https://api:{password}@api.mailgun.net"\n'
        + brand('{ host = "links.acme.test", account = "acme" }')
    )
    problem = only_problem(text)
    assert "holds a user name or password (not repeated here)" in problem.message
    assert "trackdeck creds set acme" in problem.message
    assert password not in str(problem) and "api:" not in str(problem)


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("accounts.acme.region", '[accounts.acme]\nesp = "mailgun"\nregion = "SECRET"\n'),
        ("accounts.acme.esp", '[accounts.acme]\nesp = "SECRET"\n'),
        ("brands[0].tracking[0].account", ""),
    ],
)
def test_a_key_of_an_unknown_format_is_not_echoed_in_the_error(field: str, text: str) -> None:
    """A Mandrill-style key (no known shape) pasted as a value must not come back on screen."""
    secret = "Md7xQ9pLk2ZvR4tYw8NcBs"
    account = "SECRET" if field.startswith("brands") else "acme"
    source = (text or '[accounts.acme]\nesp = "mailgun"\n') + brand(
        f'{{ host = "links.acme.test", account = "{account}" }}'
    )
    problems = problems_of(source.replace("SECRET", secret))
    assert field in [problem.field for problem in problems]
    assert secret not in " ".join(str(problem) for problem in problems)
    assert "[redacted]" in " ".join(str(problem) for problem in problems)


def test_names_and_words_are_still_echoed() -> None:
    problem = only_problem(ACCOUNTS.replace('region = "eu"', 'region = "europe-west-2"') + brand())
    assert "'europe-west-2' is not a mailgun region" in problem.message
