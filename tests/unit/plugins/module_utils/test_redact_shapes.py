# -*- coding: utf-8 -*-
"""Issue 11: redaction of real-world secret shapes (command lines and text as seen in ps, unit files, CI logs).

Each case: an argv, the secret it holds (must disappear) and a part that must stay (so a reader still sees
what was passed). Token formats as their issuers document them; values are made up."""

import pytest

from ansible_collections.headroom.memory.plugins.module_utils.redact import MASK, redact_args, redact_text

GHP = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

SHAPES = [
    # JSON and YAML-ish text inside one argument
    (["app", '--config={"db_password":"S3cr3t1"}'], "S3cr3t1", '"db_password":'),
    (["app", '--config={"password": "S3 cr3t2"}'], "S3 cr3t2", '"password":'),
    (["app", "{'api_key': 'S3cr3t3'}"], "S3cr3t3", "'api_key':"),
    (["app", "password: S3cr3t4"], "S3cr3t4", "password:"),
    (["app", "--extra-vars", "ansible_become_password=S3cr3t5"], "S3cr3t5", "ansible_become_password="),
    # option spellings
    (["app", "--password:S3cr3t6"], "S3cr3t6", "--password:"),
    (["app", "--token:S3cr3t7"], "S3cr3t7", "--token:"),
    (["app", "--auth=bob:S3cr3t8"], "S3cr3t8", "--auth=bob:"),
    (["app", "--basic-auth", "bob:S3cr3t9"], "S3cr3t9", "bob:"),
    (["app", "--key=S3cr3t10"], "S3cr3t10", "--key="),
    (["app", "--key", "S3cr3t11"], "S3cr3t11", "--key"),
    (["app", "--license-key=S3cr3t12"], "S3cr3t12", "--license-key="),
    (["openssl", "rsa", "-passin", "pass:S3cr3t13"], "S3cr3t13", "-passin"),
    (["app", "--user=bob:S3cr3t14"], "S3cr3t14", "--user=bob:"),
    # HTTP headers
    (["curl", "-H", "X-Api-Key: S3cr3t15", "https://x"], "S3cr3t15", "X-Api-Key:"),
    (["curl", "-H", "X-Auth-Token: S3cr3t16"], "S3cr3t16", "X-Auth-Token:"),
    (["curl", "--header=Private-Token: S3cr3t17"], "S3cr3t17", "Private-Token:"),
    (["curl", "-H", "Cookie: session=S3cr3t18"], "S3cr3t18", "Cookie:"),
    (["curl", "-H", "Authorization: Bearer " + JWT], JWT, "Authorization:"),
    (["app", "--header", "Authorization: token S3cr3t19"], "S3cr3t19", "Authorization:"),
    # environment-style
    (["env", "GITHUB_PAT=S3cr3t20", "gh"], "S3cr3t20", "GITHUB_PAT="),
    (["docker", "run", "-e", "MYSQL_ROOT_PASSWORD=S3cr3t21", "mysql"], "S3cr3t21", "MYSQL_ROOT_PASSWORD="),
    (["docker", "run", "--env=API_TOKEN=S3cr3t22", "x"], "S3cr3t22", "API_TOKEN="),
    (["env", "VAULT_TOKEN=S3cr3t23"], "S3cr3t23", "VAULT_TOKEN="),
    (["env", "NPM_AUTH=S3cr3t24x"], "S3cr3t24x", "NPM_AUTH="),
    # issuers' token shapes, wherever they appear
    (["app", "AKIAIOSFODNN7EXAMPLE"], "AKIAIOSFODNN7EXAMPLE", "app"),
    (["aws", "--profile", "x", "s3", "ls", "--aws-secret-access-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "--aws-secret-access-key"),
    (["git", "clone", "https://" + GHP + "@github.com/o/r"], GHP, "github.com/o/r"),
    (["app", "--gh", GHP], GHP, "--gh"),
    (["app", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU"],
     "github_pat_11ABCDEFG0abcdefghijkl", "app"),
    (["app", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"], "xoxb-123456789012", "app"),
    (["app", "glpat-AbCdEfGhIjKlMnOpQrSt"], "glpat-AbCdEfGhIjKlMnOpQrSt", "app"),
    (["app", "--llm", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345"], "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345", "--llm"),
    (["app", "--jwt", JWT], JWT, "--jwt"),
    # webhook URLs whose path is the secret
    (["app", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"],
     "XXXXXXXXXXXXXXXXXXXXXXXX", "hooks.slack.com/services/"),
    (["app", "https://discord.com/api/webhooks/123456789/AbCdEfS3cr3tToken"], "AbCdEfS3cr3tToken", "/api/webhooks/"),
    (["app", "https://contoso.webhook.office.com/webhookb2/abc-S3cr3t@def/IncomingWebhook/123/xyz"],
     "abc-S3cr3t", "webhook.office.com/webhookb2/"),
    (["app", "https://api.telegram.org/bot123456:AAH-S3cr3tToken/sendMessage"], "AAH-S3cr3tToken", "api.telegram.org/bot"),
    (["app", "https://mattermost.example/hooks/xxx-S3cr3thook"], "xxx-S3cr3thook", "/hooks/"),
    (["app", "https://h.example/cb?sig=S3cr3t25&sv=2020"], "S3cr3t25", "sig="),
    (["app", "https://maps.example/api?key=S3cr3t26"], "S3cr3t26", "key="),
    # client programs with a password argument
    (["htpasswd", "-b", "/etc/nginx/htpasswd", "bob", "S3cr3t27"], "S3cr3t27", "bob"),
    (["htpasswd", "-bc", "/etc/nginx/htpasswd", "bob", "S3cr3t28"], "S3cr3t28", "/etc/nginx/htpasswd"),
    (["ldapsearch", "-x", "-D", "cn=admin", "-w", "S3cr3t29"], "S3cr3t29", "cn=admin"),
    (["mongosh", "-u", "admin", "-p", "S3cr3t30"], "S3cr3t30", "admin"),
    (["docker", "login", "-u", "bob", "-p", "S3cr3t31", "registry"], "S3cr3t31", "registry"),
    (["sqlcmd", "-S", "db", "-U", "sa", "-P", "S3cr3t32"], "S3cr3t32", "sa"),
    (["smbclient", "//srv/share", "-U", "bob%S3cr3t33"], "S3cr3t33", "bob%"),
    (["mount", "-t", "cifs", "-o", "username=bob,password=S3cr3t34", "//s/x", "/mnt"], "S3cr3t34", "username=bob"),
    # DSNs and URLs with passwords
    (["app", "mongodb+srv://bob:S3cr3t35@cluster0.example.net/db"], "S3cr3t35", "cluster0.example.net"),
    (["app", "redis://:S3cr3t36@cache:6379/0"], "S3cr3t36", "cache:6379"),
    (["app", "Server=db;Database=x;User Id=sa;Password=S3cr3t37;"], "S3cr3t37", "Server=db"),
    (["app", "jdbc:mysql://db/x?user=u&password=S3cr3t38"], "S3cr3t38", "user=u"),
    (["app", "amqp://guest:S3cr3t39@rabbit//"], "S3cr3t39", "rabbit"),
    (["app", "--proxy", "http://bob:S3cr3t40@proxy:3128"], "S3cr3t40", "proxy:3128"),
]


@pytest.mark.parametrize("argv, secret, kept", SHAPES, ids=["%02d" % i for i in range(len(SHAPES))])
def test_secret_shape_is_redacted(argv, secret, kept):
    out = redact_args(argv)
    joined = "\x00".join(out)
    assert secret not in joined, out
    assert MASK in joined, out
    assert kept in joined, out
    assert len(out) == len(argv)


def test_there_are_at_least_forty_shapes():
    assert len(SHAPES) >= 40


@pytest.mark.parametrize("argv", [
    ["app", "--key-file=/etc/ssl/x.key", "--keyboard=us", "--monkey=1", "--key=/etc/ssl/private/x.pem"],
    ["curl", "-H", "Content-Type: application/json", "-H", "Accept: */*", "https://host:8443/a?page=2&sort=name"],
    ["app", "--auth=none", "--user=bob", "--auth-method=basic"],
    ["app", "status: running", "mode: fast", "time: 12:30:00"],
    ["app", '--config={"debug":true,"workers":4,"password_file":"/run/x"}'],
    ["htpasswd", "-c", "/etc/nginx/htpasswd", "bob"],   # prompts: no password on the command line
    ["docker", "run", "-p", "8080:80", "nginx"],        # a port, not a password
    ["app", "https://hooks.example/status", "https://github.com/o/r/pulls"],
    ["app", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
])
def test_non_secrets_stay_intact(argv):
    assert redact_args(argv) == argv


def test_redact_text_covers_the_same_shapes_in_free_text():
    text = redact_text('msg="login" password: hunter2 X-Api-Key: abc ' + GHP)
    assert "hunter2" not in text and "abc" not in text.split("X-Api-Key:")[1] and GHP not in text


# Issue 29 finding 6: what still reached the command lines the module returns
ISSUE_29 = [
    (["redis-server", "--port", "6379", "--requirepass", "S3cr3t29a"], "S3cr3t29a", "--requirepass"),
    (["redis-server", "--masterauth", "S3cr3t29b", "--replicaof", "10.0.0.1", "6379"], "S3cr3t29b", "--replicaof"),
    (["redis-server", "--requirepass=S3cr3t29c"], "S3cr3t29c", "--requirepass="),
    (["sh", "-c", "mysql -pS3cr3t29d appdb < /tmp/x.sql"], "S3cr3t29d", "appdb < /tmp/x.sql"),
    (["/bin/bash", "-lc", "cd /srv && exec mysqldump -p'S3cr3t29e' db | gzip"], "S3cr3t29e", "| gzip"),
    (["sh", "-c", "PGPASSWORD=S3cr3t29f psql -h db; redis-cli -a S3cr3t29g ping"], "S3cr3t29f", "psql -h db"),
    (["sh", "-c", "PGPASSWORD=x psql; redis-cli -a S3cr3t29g ping"], "S3cr3t29g", "redis-cli -a"),
    (["curl", "-ubob:S3cr3t29h", "https://x"], "S3cr3t29h", "-ubob:"),
    (["curl", "-Uproxy:S3cr3t29i", "https://x"], "S3cr3t29i", "-Uproxy:"),
    (["app", "--dsn=app:S3cr3t29j@tcp(db:3306)/shop?parseTime=true"], "S3cr3t29j", "@tcp(db:3306)/shop"),
    (["app", "-dsn", "app:S3cr3t29k@unix(/run/mysqld/mysqld.sock)/shop"], "S3cr3t29k", "app:"),
    (["tailscaled", "--auth-key", "tskey-S3cr3t29l"], "tskey-S3cr3t29l", "--auth-key"),
    (["tailscale", "up", "--auth-key=tskey-S3cr3t29m"], "tskey-S3cr3t29m", "--auth-key="),
]


@pytest.mark.parametrize("argv,secret,kept", ISSUE_29)
def test_issue_29_secrets_are_redacted(argv, secret, kept):
    out = " ".join(redact_args(argv))
    assert secret not in out and MASK in out
    assert kept in out


@pytest.mark.parametrize("argv", [
    ["sh", "-c", "exec java -Xmx2g -jar /srv/app.jar --port 8080"],
    ["bash", "-c", "echo user@tcp-host; ls -l /tmp"],
    ["app", "--log=host:8080@tcp"],
    ["curl", "-u", "bob", "https://x"],
])
def test_issue_29_shapes_without_secrets_stay(argv):
    assert redact_args(argv) == argv
