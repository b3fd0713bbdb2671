from dataclasses import replace

import pytest

from stack.profiles import PROFILES
from stack.settings import REPO, SettingsError, load, parse_dotenv


def test_defaults(make_settings):
    settings = make_settings()
    assert (settings.api_port, settings.bridge_port, settings.outbox_metrics_port) == (
        8000,
        8001,
        8002,
    )
    assert (settings.prometheus_port, settings.alertmanager_port, settings.grafana_port) == (
        9090,
        9093,
        3000,
    )
    assert settings.prometheus_url == "http://127.0.0.1:9090"
    assert settings.redis_url == "redis://127.0.0.1:6380/0"
    assert (settings.error_rate_threshold, settings.latency_p95_threshold) == (5.0, 500.0)
    assert settings.alert_cooldown_seconds == 300
    assert settings.timing == PROFILES["production"]
    assert settings.window_label == "5 minutes"


def test_fast_profile_and_its_window_label(make_settings):
    settings = make_settings(TIMING_PROFILE="fast")
    assert settings.timing == PROFILES["fast"]
    assert settings.window_label == "15 seconds"


def test_urls_follow_hosts_and_ports(make_settings):
    settings = make_settings(
        PROMETHEUS_HOST="prometheus", PROMETHEUS_PORT="9999", REDIS_PORT="7000"
    )
    assert settings.prometheus_url == "http://prometheus:9999"
    assert settings.redis_url == "redis://127.0.0.1:7000/0"


@pytest.mark.parametrize(
    ("env", "urls", "single"),
    [
        ({}, ("http://127.0.0.1:9090",), "http://127.0.0.1:9090"),
        # the single case alone is the whole list
        ({"PROMETHEUS_URL": "http://p:9090/"}, ("http://p:9090",), "http://p:9090"),
        # the list alone: the single case is its first entry
        (
            {"PROMETHEUS_URLS": "http://a:9090, http://vm:8428/prometheus"},
            ("http://a:9090", "http://vm:8428/prometheus"),
            "http://a:9090",
        ),
        # both: the single case may be any entry
        (
            {"PROMETHEUS_URLS": "http://a:9090,http://b:9090", "PROMETHEUS_URL": "http://b:9090"},
            ("http://a:9090", "http://b:9090"),
            "http://b:9090",
        ),
    ],
)
def test_prometheus_url_is_the_single_case_of_prometheus_urls(make_settings, env, urls, single):
    settings = make_settings(**env)
    assert (settings.prometheus_urls, settings.prometheus_url) == (urls, single)
    assert settings.prometheus_external_url == single  # links follow the single case


def test_prometheus_url_outside_prometheus_urls_is_refused(make_settings):
    with pytest.raises(SettingsError) as caught:
        make_settings(PROMETHEUS_URLS="http://a:9090,http://b:9090", PROMETHEUS_URL="http://c:9090")
    assert str(caught.value).splitlines()[1:] == [
        "  PROMETHEUS_URL='http://c:9090': must be one of PROMETHEUS_URLS "
        "(http://a:9090, http://b:9090), or unset (then it is the first)"
    ]


def test_bad_prometheus_urls_are_each_named(make_settings):
    with pytest.raises(SettingsError, match=r"bad entry 'a:9090'.*listed more than once: http://b"):
        make_settings(PROMETHEUS_URLS="a:9090,http://b,http://b/")


def test_timing_overrides(make_settings):
    settings = make_settings(ALERT_FOR="30s", RULE_WINDOW="2m", GROUP_WAIT="5s")
    expected = replace(
        PROFILES["production"],
        error_rate_for="30s", latency_for="30s", api_down_for="30s",
        rule_window="2m", group_wait="5s", critical_group_wait="5s",
    )  # fmt: skip
    assert settings.timing == expected
    assert settings.window_label == "2 minutes"


def test_every_bad_variable_is_reported_at_once(make_settings):
    with pytest.raises(SettingsError) as error:
        make_settings(
            API_PORT="eighty", ERROR_RATE_THRESHOLD="150", LATENCY_P95_THRESHOLD="0",
            ALERT_COOLDOWN_SECONDS="0", TIMING_PROFILE="slow", API_HOST="bad host",
            GRAFANA_URL="ftp://grafana", REDIS_URL="http://redis",
        )  # fmt: skip
    names = [problem.split("=")[0] for problem in error.value.problems]
    assert names == [
        "API_PORT", "API_HOST", "REDIS_URL", "GRAFANA_URL", "ERROR_RATE_THRESHOLD",
        "LATENCY_P95_THRESHOLD", "ALERT_COOLDOWN_SECONDS", "TIMING_PROFILE",
    ]  # fmt: skip
    assert "ERROR_RATE_THRESHOLD='150': must be a percentage" in str(error.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SCRAPE_INTERVAL", "15", "not a Prometheus duration"),
        ("EVALUATION_INTERVAL", "0", "must be longer than 0"),
        ("RULE_WINDOW", "20s", "must span at least two scrapes"),
        ("ERROR_RATE_THRESHOLD", "nan", "greater than 0"),
        ("API_PORT", "70000", "between 1 and 65535"),
    ],
)
def test_bad_timing_and_numbers(make_settings, name, value, message):
    with pytest.raises(SettingsError, match=message):
        make_settings(**{name: value})


def test_zero_for_and_group_wait_are_allowed(make_settings):
    timing = make_settings(ALERT_FOR="0", GROUP_WAIT="0s").timing
    assert (timing.error_rate_for, timing.group_wait, timing.critical_group_wait) == (
        "0",
        "0s",
        "0s",
    )


def test_token_is_required_and_never_echoed(tmp_path):
    with pytest.raises(SettingsError, match=r"stack\.bootstrap token"):
        load({"STATE_DIR": str(tmp_path)}, dotenv=None)
    with pytest.raises(SettingsError) as error:
        load({"STATE_DIR": str(tmp_path), "ALERT_BRIDGE_TOKEN": "two words"}, dotenv=None)
    assert "two words" not in str(error.value)


def test_token_and_signing_key_fall_back_to_the_state_dir_files(tmp_path):
    (tmp_path / "bridge_token").write_text("from-file-0123456789\n")
    (tmp_path / "ack_signing_key").write_text("ack-key-from-file-0123456789abcdef\n")
    settings = load({"STATE_DIR": str(tmp_path)}, dotenv=None)
    assert settings.bridge_token == "from-file-0123456789"
    assert settings.ack_signing_key == "ack-key-from-file-0123456789abcdef"


def test_signing_key_is_required_long_and_never_echoed(tmp_path):
    token = {"STATE_DIR": str(tmp_path), "ALERT_BRIDGE_TOKEN": "t" * 16}
    with pytest.raises(SettingsError, match=r"ACK_SIGNING_KEY: not set .*stack\.bootstrap token"):
        load(token, dotenv=None)
    with pytest.raises(SettingsError, match="ACK_SIGNING_KEY must be at least 32") as error:
        load({**token, "ACK_SIGNING_KEY": "short-but-secret-key"}, dotenv=None)
    assert "short-but-secret-key" not in str(error.value)


def test_relative_state_dir_is_under_the_repo(make_settings):
    assert make_settings(STATE_DIR="somewhere").state_dir == REPO / "somewhere"


def test_dotenv_fills_what_the_environment_leaves_unset(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\n"
        "export API_PORT=8100\n"
        "ERROR_RATE_THRESHOLD=7.5   # percent\n"
        "GRAFANA_URL='http://grafana.example:3000/'\n"
        "BRIDGE_PORT=8101\n"
        "LATENCY_P95_THRESHOLD=\n"
    )
    env = {"ALERT_BRIDGE_TOKEN": "t" * 16, "ACK_SIGNING_KEY": "a" * 32, "STATE_DIR": str(tmp_path)}
    env["BRIDGE_PORT"] = "8201"
    settings = load(env, dotenv=dotenv)
    assert (settings.api_port, settings.bridge_port) == (8100, 8201)  # the real environment wins
    assert settings.error_rate_threshold == 7.5
    assert settings.grafana_url == "http://grafana.example:3000"
    assert settings.latency_p95_threshold == 500.0  # empty counts as unset


def test_dotenv_syntax_errors_name_the_line(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("API_PORT=8000\nthis is not an assignment\n")
    with pytest.raises(SettingsError, match=r"\.env:2: expected KEY=VALUE"):
        parse_dotenv(dotenv)


def test_instance_lists_default_to_each_host_and_port(make_settings):
    settings = make_settings(API_HOST="api", BRIDGE_PORT="8101", ALERTMANAGER_HOST="am")
    assert settings.api_targets == ("api:8000",)
    assert settings.bridge_urls == ("http://127.0.0.1:8101",)
    assert settings.bridge_targets == ("127.0.0.1:8101",)
    assert settings.outbox_targets == ("127.0.0.1:8002",)
    assert settings.alertmanager_targets == ("am:9093",)


def test_instance_lists(make_settings):
    settings = make_settings(
        API_TARGETS=" api-a:8000 ,10.0.0.6:8000",
        BRIDGE_URLS="https://bridge-a.example/, https://bridge-b.example:8443",
        OUTBOX_TARGETS="worker-a:8002,worker-b:8002",
        ALERTMANAGER_TARGETS="am-a:9093,am-b:9093,am-c:9093",
    )
    assert settings.api_targets == ("api-a:8000", "10.0.0.6:8000")
    assert settings.bridge_urls == ("https://bridge-a.example", "https://bridge-b.example:8443")
    assert settings.bridge_scheme == "https"
    assert settings.bridge_targets == ("bridge-a.example:443", "bridge-b.example:8443")
    assert settings.outbox_targets == ("worker-a:8002", "worker-b:8002")
    assert settings.alertmanager_targets == ("am-a:9093", "am-b:9093", "am-c:9093")


def test_every_bad_entry_of_every_list_is_named(make_settings):
    with pytest.raises(SettingsError) as error:
        make_settings(
            API_TARGETS="api-a:8000,api-b,bad host:1,api-c:0",
            OUTBOX_TARGETS="worker:70000,,worker:8002",
            ALERTMANAGER_TARGETS="http://am:9093",
            BRIDGE_URLS="http://b:8001/hook,ftp://b:21,http://b:8001?x=1,http://b:8001",
        )
    assert error.value.problems == [
        "API_TARGETS='api-a:8000,api-b,bad host:1,api-c:0': bad entries 'api-b', "
        "'bad host:1', 'api-c:0' (each must be host:port, with a port between 1 and 65535)",
        "BRIDGE_URLS='http://b:8001/hook,ftp://b:21,http://b:8001?x=1,http://b:8001': "
        "bad entries 'http://b:8001/hook', 'ftp://b:21', 'http://b:8001?x=1' (each must be "
        "an http or https URL with no path, such as http://10.0.0.5:8001)",
        "OUTBOX_TARGETS='worker:70000,,worker:8002': bad entries 'worker:70000', '' "
        "(each must be host:port, with a port between 1 and 65535)",
        "ALERTMANAGER_TARGETS='http://am:9093': bad entries 'http://am:9093' "
        "(each must be host:port, with a port between 1 and 65535)",
    ]


@pytest.mark.parametrize(
    ("name", "value", "twice"),
    [
        ("API_TARGETS", "api:8000,10.0.0.6:8000,API:8000", "api:8000"),
        ("ALERTMANAGER_TARGETS", "am:9093,am:9094,am:9093,am:9094", "am:9093, am:9094"),
        # the same bridge however it is spelled: Alertmanager would notify it twice
        ("BRIDGE_URLS", "http://bridge,http://bridge:80/", "bridge:80"),
    ],
)
def test_duplicates_are_named(make_settings, name, value, twice):
    with pytest.raises(SettingsError) as error:
        make_settings(**{name: value})
    assert error.value.problems == [f"{name}={value!r}: listed more than once: {twice}"]


def test_bridges_share_one_scheme(make_settings):
    with pytest.raises(SettingsError) as error:
        make_settings(BRIDGE_URLS="http://bridge-a:8001,https://bridge-b:8443")
    assert error.value.problems == [
        "BRIDGE_URLS='http://bridge-a:8001,https://bridge-b:8443': "
        "all entries must use the same scheme, http or https"
    ]


def test_a_bad_port_is_reported_once_not_again_in_the_list_it_defaults(make_settings):
    with pytest.raises(SettingsError) as error:
        make_settings(BRIDGE_PORT="0", ALERTMANAGER_HOST="bad host")
    assert [problem.split("=")[0] for problem in error.value.problems] == [
        "BRIDGE_PORT",
        "ALERTMANAGER_HOST",
    ]


def test_slo_defaults_and_the_windows_each_profile_runs(make_settings):
    production, fast = make_settings(), make_settings(TIMING_PROFILE="fast")
    assert (production.slo_availability_target, production.slo_latency_target) == (99.9, 99.0)
    assert production.slo_alerts_enabled is True
    assert (production.slo_rule_window, production.prometheus_retention) == ("30d", "31d")
    # the fast profile divides the SLO windows by 60 (and the retention follows)
    assert (fast.slo_rule_window, fast.prometheus_retention) == ("12h", "12h24m")
    assert make_settings(SLO_WINDOW="90d").prometheus_retention == "91d"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SLO_AVAILABILITY_TARGET", "100", "less than 100"),
        ("SLO_AVAILABILITY_TARGET", "0", "greater than 0"),
        ("SLO_LATENCY_TARGET", "ninety", "must be a number"),
        ("SLO_WINDOW", "1d", "at least 3d"),
        ("SLO_WINDOW", "30 days", "not a Prometheus duration"),
        ("SLO_ALERTS_ENABLED", "yes please", "true or false"),
        ("SLO_RULE_WINDOW", "1d", "derived"),
        ("PROMETHEUS_RETENTION", "90d", "derived"),
        # 5m burn window with 2m scrapes: fewer than four samples
        ("SCRAPE_INTERVAL", "2m", "shortest SLO window"),
    ],
)
def test_bad_slo_settings_are_named(make_settings, name, value, message):
    with pytest.raises(SettingsError, match=f"{name}.*{message}"):
        make_settings(**{name: value})
