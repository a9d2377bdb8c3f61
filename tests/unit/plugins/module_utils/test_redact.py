# -*- coding: utf-8 -*-
"""redact: secrets in command lines are masked; look-alikes that are not secrets are left alone."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.headroom.memory.plugins.module_utils.redact import MASK, redact_args, redact_text

M = MASK


@pytest.mark.parametrize("argv, expected", [
    # long options with =
    (["app", "--password=hunter2"], ["app", "--password=" + M]),
    (["app", "--db-password=hunter2"], ["app", "--db-password=" + M]),
    (["app", "--DB_PASSWORD=hunter2"], ["app", "--DB_PASSWORD=" + M]),
    (["app", "--passwd=x"], ["app", "--passwd=" + M]),
    (["app", "--pass=x"], ["app", "--pass=" + M]),
    (["app", "--token=abc.def"], ["app", "--token=" + M]),
    (["app", "--auth-token=abc"], ["app", "--auth-token=" + M]),
    (["app", "--api-key=k"], ["app", "--api-key=" + M]),
    (["app", "--apikey=k"], ["app", "--apikey=" + M]),
    (["app", "--client-secret=s"], ["app", "--client-secret=" + M]),
    (["app", "--aws-secret-access-key=s"], ["app", "--aws-secret-access-key=" + M]),
    (["app", "--ssl-passphrase=s"], ["app", "--ssl-passphrase=" + M]),
    (["app", "--password="], ["app", "--password=" + M]),
    # as the next argument
    (["app", "--password", "hunter2", "--port", "5432"], ["app", "--password", M, "--port", "5432"]),
    (["app", "--token", "abc", "serve"], ["app", "--token", M, "serve"]),
    (["keytool", "-storepass", "changeit"], ["keytool", "-storepass", M]),
    (["putty", "-pw", "s3cret", "host"], ["putty", "-pw", M, "host"]),
    (["openssl", "enc", "-pass", "pass:s3cret"], ["openssl", "enc", "-pass", M]),
    # Java system properties
    (["java", "-Dspring.datasource.password=s", "-jar", "a.jar"], ["java", "-Dspring.datasource.password=" + M, "-jar", "a.jar"]),
    (["java", "-Djavax.net.ssl.keyStorePassword=s"], ["java", "-Djavax.net.ssl.keyStorePassword=" + M]),
    (["java", "-Dapp.client.secret=s"], ["java", "-Dapp.client.secret=" + M]),
    (["java", "-Dapi.token=t"], ["java", "-Dapi.token=" + M]),
    # environment-style arguments
    (["env", "PASSWORD=x", "app"], ["env", "PASSWORD=" + M, "app"]),
    (["env", "PGPASSWORD=x", "psql"], ["env", "PGPASSWORD=" + M, "psql"]),
    (["env", "MYSQL_PWD=x"], ["env", "MYSQL_PWD=" + M]),
    (["env", "GITHUB_TOKEN=ghp_x"], ["env", "GITHUB_TOKEN=" + M]),
    (["env", "API_KEY=x"], ["env", "API_KEY=" + M]),
    (["env", "SECRET_KEY_BASE=x"], ["env", "SECRET_KEY_BASE=" + M]),
    (["env", "MY_SECRET_THING=x"], ["env", "MY_SECRET_THING=" + M]),
    (["env", "AWS_SECRET_ACCESS_KEY=x"], ["env", "AWS_SECRET_ACCESS_KEY=" + M]),
    (["env", "AWS_ACCESS_KEY=x"], ["env", "AWS_ACCESS_KEY=" + M]),
    # mysql family: -p<secret> attached
    (["mysql", "-uroot", "-phunter2", "shop"], ["mysql", "-uroot", "-p" + M, "shop"]),
    (["/usr/bin/mysqldump", "-pS3cr3t", "--all-databases"], ["/usr/bin/mysqldump", "-p" + M, "--all-databases"]),
    (["mariadb", "-p'x y'"], ["mariadb", "-p" + M]),
    # client specific
    (["sshpass", "-p", "s3cret", "ssh", "host"], ["sshpass", "-p", M, "ssh", "host"]),
    (["sshpass", "-ps3cret", "ssh", "host"], ["sshpass", "-p" + M, "ssh", "host"]),
    (["redis-cli", "-h", "db", "-a", "s3cret", "ping"], ["redis-cli", "-h", "db", "-a", M, "ping"]),
    (["curl", "-u", "bob:s3cret", "https://x"], ["curl", "-u", "bob:" + M, "https://x"]),
    (["curl", "--user=bob:s3cret", "https://x"], ["curl", "--user=bob:" + M, "https://x"]),
    # inside any argument
    (["app", "postgres://app:s3cret@db:5432/shop"], ["app", "postgres://app:" + M + "@db:5432/shop"]),
    (["app", "--dsn=mysql://root:pw@127.0.0.1/x"], ["app", "--dsn=mysql://root:" + M + "@127.0.0.1/x"]),
    (["app", "https://h/x?user=a&password=s3&x=1"], ["app", "https://h/x?user=a&password=" + M + "&x=1"]),
    (["app", "https://h/cb?access_token=abc#f"], ["app", "https://h/cb?access_token=" + M + "#f"]),
    (["psql", "host=db user=app password=s3 dbname=x"], ["psql", "host=db user=app password=" + M + " dbname=x"]),
    (["curl", "-H", "Authorization: Bearer eyJhbGciOi.x.y", "u"], ["curl", "-H", "Authorization: " + "Bearer " + M, "u"]),
    (["curl", "-H", "Authorization: Basic Ym9iOnMz"], ["curl", "-H", "Authorization: Basic " + M]),
    (["app", "--header=bearer abc123"], ["app", "--header=bearer " + M]),
])
def test_secrets_are_redacted(argv, expected):
    assert redact_args(argv) == expected


@pytest.mark.parametrize("argv", [
    ["java", "-Xmx2g", "-Xms512m", "-XX:+UseG1GC", "-Dfile.encoding=UTF-8", "-jar", "app.jar"],
    ["nc", "-l", "-p", "8080"],            # a port, not a password: outside the mysql family
    ["ssh", "-p8080", "host"],
    ["java", "-p", "/opt/mods", "-m", "app/Main"],
    ["mysql", "-p", "shop"],               # mysql: a lone -p prompts; "shop" is the database
    ["mysql", "--port=3306", "-P", "3306", "--protocol=tcp"],
    ["app", "--password-file=/run/secrets/db"],
    ["app", "--password-file", "/run/secrets/db"],
    ["app", "--token-ttl=60", "--token-file", "/run/t"],
    ["docker", "login", "--password-stdin", "-u", "bob", "registry"],
    ["psql", "--no-password", "-h", "db"],
    ["ansible-playbook", "--ask-become-pass", "site.yml"],
    ["app", "--tokenizer=bpe", "--passthrough", "--bypass=yes", "--compass=north"],
    ["env", "PATH=/usr/bin", "PASSWORD_FILE=/run/secrets/db", "TOKEN_TTL=60", "LANG=C"],
    ["app", "https://example.com/a@b", "git@github.com:org/repo.git", "https://host:8443/x"],
    ["app", "--user=bob", "-u", "bob"],
    ["postgres: 15/main: checkpointer "],  # a rewritten argv[0] with spaces
    ["php-fpm: pool www"],
    ["app", "--keyfile=/etc/ssl/key.pem", "--key=/etc/ssl/key.pem"],
])
def test_look_alikes_are_left_alone(argv):
    assert redact_args(argv) == argv


def test_a_missing_value_after_a_secret_option_masks_nothing():
    # the next word is another option: there was no value to hide
    assert redact_args(["app", "--password", "--verbose"]) == ["app", "--password", "--verbose"]
    assert redact_args(["app", "--password"]) == ["app", "--password"]


def test_argv0_with_embedded_url_is_redacted():
    assert redact_args(["worker https://u:pw@h/q"]) == ["worker https://u:" + M + "@h/q"]


def test_redact_text_is_idempotent():
    once = redact_text("x://a:b@h Authorization: Bearer t password=p")
    assert redact_text(once) == once
    assert "b@" not in once and " t" not in once.split("Bearer")[1] and "password=p" not in once


def test_empty_inputs():
    assert redact_args([]) == []
    assert redact_args([""]) == [""]
    assert redact_text("") == ""


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8))
def test_never_raises_and_keeps_the_argument_count(argv):
    out = redact_args(argv)
    assert len(out) == len(argv)
    assert all(isinstance(a, str) for a in out)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!#%+,~", min_size=1, max_size=20))
def test_any_password_value_is_hidden(value):
    secret = "Z9" + value  # upper case Z marks the secret: nothing else in these argvs has it
    for argv in (["app", "--password=" + secret], ["app", "--password", secret], ["env", "DB_PASSWORD=" + secret],
                 ["mysql", "-p" + secret], ["app", "https://u:%s@h/" % secret], ["app", "--api-key", secret]):
        joined = " ".join(redact_args(argv))
        assert "Z9" not in joined, argv
        assert M in joined
