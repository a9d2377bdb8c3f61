# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redact secrets from process command lines before they leave the host.

The secret is replaced by ``********``; the option or variable name stays so a reader still sees
*that* a password was passed. What is redacted (``redact_args``):

- long options named after a secret, with ``=`` or as the next argument: ``--password=x``,
  ``--password x``, ``--db-password``, ``--auth-token``, ``--api-key``, ``--client-secret``,
  ``-password x`` (one dash, as Java and Go tools write them). The name is split at ``-``, ``_`` and ``.``
  and its *last* part decides: ``password``, ``passwd``, ``pass``, ``pwd``, ``passphrase``, ``secret``,
  ``token``, ``apikey`` (or a part ending in one of these, ``keyStorePassword``, ``accessToken``), or
  ``api``/``access``/``secret``/``private`` + ``key``.
- Java system properties ``-Dxxx.password=x`` and ``-Dxxx.secret=x`` by the same rule.
- environment-style arguments ``NAME=value`` (``PASSWORD=``, ``PGPASSWORD=``, ``GITHUB_TOKEN=``,
  ``API_KEY=``, anything with ``SECRET`` in its name): same rule on ``_``-separated parts.
- client-specific short options: ``-p<secret>`` for the mysql/mariadb family (attached form only: a
  separate ``-p`` argument means "prompt", the next word is the database), ``-p <secret>`` for sshpass,
  ``-a <secret>`` for redis-cli, ``-u user:<secret>`` for curl.
- inside any argument: ``user:<secret>@`` in URLs, ``password=``/``token=``/``secret=``/``api_key=``/
  ``access_token=``/``key=``/``sig=`` in URL queries, DSNs and mount options, ``Authorization: Bearer|Basic|Token
  <secret>`` and ``Bearer <secret>``, ``Cookie:`` values; any ``name=value``, ``name: value`` or JSON/Python
  ``"name": "value"`` whose name is a secret's by the rule above (``--password:x``, ``X-Api-Key: x``,
  ``{"db_password":"x"}``, ``--env=API_TOKEN=x``); webhook URLs whose path is the secret (Slack, Discord,
  Teams, Telegram bots, ``/hooks/``); issuers' token shapes wherever they appear (AWS access key ids,
  GitHub ``ghp_``/``github_pat_``, Slack ``xox?-``, GitLab ``glpat-``, ``sk-`` API keys, JWTs).
- ``--auth=user:<secret>``, ``--user=user:<secret>`` and the like (an option naming a login whose value has
  a ``:``); ``--key=<secret>`` unless the value is a path.
- more clients: ``htpasswd -b file user <secret>``, ``ldap* -w <secret>``, ``mongo``/``mongosh -p <secret>``,
  ``docker login -p <secret>``, ``sqlcmd``/``bcp -P <secret>``, ``smbclient -U user%<secret>``, openssl
  ``-passin``/``-passout``; ``curl -uuser:<secret>`` (attached); redis ``--requirepass``/``--masterauth``,
  ``--auth-key`` (tailscale).
- Go database/sql DSNs: ``user:<secret>@tcp(host:3306)/db`` (also ``unix(``, ``udp(``).
- shell scripts: the argument after ``sh -c`` (``bash -lc``, ...) is cut into its commands, and each is
  redacted as an argv of its own (``sh -c 'mysql -p<secret> db; curl -u bob:<secret> …'``).

Deliberately not redacted (they are not secrets, and hiding them would hide what a process is):
``-Xmx2g`` and other JVM flags, ``-p 8080`` / ``-p8080`` outside the mysql family (ports, module paths),
names that only *mention* a secret: ``--password-file=/run/secrets/db``, ``PASSWORD_FILE=``,
``--token-ttl=60``, ``--password-stdin``, ``--no-password``, ``--tokenizer=bpe``, ``--passthrough``,
``-Dfile.encoding=UTF-8``, ``PATH=…``, and URLs without a password (``https://host/a@b``).
When in doubt the rule errs on the side of redacting: ``--password db`` hides ``db`` even for mysql,
where that word is a database name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

MASK = "********"

_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credentials", "credential")
_SECRET_EXACT = ("pass", "pwd", "pw", "passin", "passout", "pat", "requirepass", "masterauth")
_ENV_SECRET_EXACT = ("auth",)  # NPM_AUTH=, but --auth=none is a mode
_SECRET_SUFFIX_PASS = ("storepass", "keypass")  # keytool -storepass / -keypass, not "bypass" or "compass"
_KEY_PREFIXES = ("api", "access", "secret", "private", "encryption", "signing", "master", "license", "auth")
_NOT_A_SECRET_SUFFIX = ("file", "path", "dir", "stdin", "env", "ttl", "length", "len", "size", "type",
                        "timeout", "expiry", "expires", "lifetime", "id", "name", "url", "prompt", "command",
                        "cmd", "policy", "hash", "algorithm", "source")
_NEGATION_PREFIX = ("no", "ask", "prompt", "without", "skip")

MYSQL_CLIENTS = frozenset((
    "mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mysqlshow", "mysqlpump",
    "mysqlbinlog", "mysqlslap", "mysqlsh", "mariadb", "mariadb-dump", "mariadb-admin", "mariadb-import",
    "mariadb-check", "mariadb-show", "mariadb-binlog", "mariadb-slap",
))

_SPLIT = re.compile(r"[-_.]+")
_ENV_ARG = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$", re.S)
_LONG_OPT = re.compile(r"^(--?)([A-Za-z][A-Za-z0-9_.-]*)(?:(=)(.*))?$", re.S)
_JAVA_PROP = re.compile(r"^(-D)([^=]+)=(.*)$", re.S)

_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):([^/\s@]+)@")
# Go's database/sql DSNs: user:secret@tcp(host:3306)/db, user:secret@unix(/run/mysqld.sock)/db
_GO_DSN = re.compile(r"((?:^|[\s=,;'\"])[^\s:@/=,;'\"]*):([^\s@]+)@(?=(?:tcp[46]?|udp[46]?|unix|unixpacket)\()")
SHELLS = frozenset(("sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"))
# a shell script's command separators, kept as they are when the commands between them are redacted
_SHELL_PREFIXES = frozenset(("exec", "command", "nohup", "sudo", "env", "time", "nice", "!"))
_SHELL_C = re.compile(r"^-[a-z]*c$")  # sh -c, bash -lc, sh -ec: the next argument is a script
_SHELL_SEP = re.compile(r"(&&|\|\||[;|&\n()`]|\$\()")
_QUERY_SECRET = re.compile(
    r"(?i)([?&;,\s]|^)((?:[a-z0-9_.-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|signature)"
    r"|key|sig)=)([^&;,\s#]+)")
_AUTH_HEADER = re.compile(r"(?i)(authorization\s*[:=]\s*(?:bearer|basic|token|digest|negotiate)?\s*)(\S+)")
_BEARER = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]+)")
_COOKIE = re.compile(r"(?i)(\b(?:set-)?cookie\s*:\s*)(.+)$")
# name=value, name: value, "name": "value", 'name':'value' (the name decides, _is_secret_name)
_KEY_VALUE = re.compile(
    r"""(?P<q>["']?)(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)(?P=q)(?P<sep>\s*[:=]\s*)"""
    r"""(?:(?P<vq>["'])(?P<qval>[^"']*)(?P=vq)|(?P<val>[^\s"'&;,}]+))""")
_WEBHOOK = re.compile(
    r"(?i)(hooks\.slack\.com/services/|/api/webhooks/\d+/|\.webhook\.office\.com/webhookb2/|api\.telegram\.org/bot"
    r"|/hooks/(?=[^\s/?#]*[0-9_-]))([^\s?#\"'/]+(?:/[^\s?#\"']+)?)")
_TOKEN_SHAPES = re.compile(
    r"\b(?:(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}"
    r"|npm_[A-Za-z0-9]{36}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")
_LOGIN_OPTIONS = ("auth", "basic-auth", "user", "proxy-user", "userpass", "credentials", "login", "creds")
# program -> options whose next argument is a password
_PASSWORD_NEXT = {"ldapsearch": ("-w",), "ldapmodify": ("-w",), "ldapadd": ("-w",), "ldapdelete": ("-w",),
                  "ldapwhoami": ("-w",), "ldappasswd": ("-w", "-s"), "mongo": ("-p",), "mongosh": ("-p",),
                  "mongodump": ("-p",), "mongorestore": ("-p",), "sqlcmd": ("-P",), "bcp": ("-P",)}


def _is_secret_name(name, env_style=False):
    """True when an option/variable name names a secret value (see the module docstring)."""
    parts = [p.lower() for p in _SPLIT.split(name) if p]
    if not parts:
        return False
    if parts[0] in _NEGATION_PREFIX and len(parts) > 1:
        return False
    last = parts[-1]
    if last in _NOT_A_SECRET_SUFFIX:
        return False
    if last in _SECRET_EXACT or any(last.endswith(w) for w in _SECRET_WORDS + _SECRET_SUFFIX_PASS):
        return True
    if last == "key" and len(parts) > 1 and parts[-2] in _KEY_PREFIXES:
        return True
    if last.endswith("key") and last[:-3] in _KEY_PREFIXES:
        return True  # apikey, accesskey written as one word
    if env_style and (any("secret" in p for p in parts) or last in _ENV_SECRET_EXACT):
        return True
    return False


def redact_text(text):
    """Secrets inside one argument: URL passwords, query/DSN secrets, Authorization headers, Bearer tokens."""
    if not text:
        return text
    text = _TOKEN_SHAPES.sub(MASK, text)
    text = _WEBHOOK.sub(lambda m: m.group(1) + MASK, text)
    text = _URL_USERINFO.sub(lambda m: m.group(1) + ":" + MASK + "@", text)
    text = _GO_DSN.sub(lambda m: m.group(1) + ":" + MASK + "@", text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = _COOKIE.sub(lambda m: m.group(1) + MASK, text)
    return _mask_key_values(text)


def _mask_key_values(text):
    """Every name=value / name: value / "name": "value" whose name is a secret's; a value that is not a secret
    is scanned again (``--env=API_TOKEN=x``, ``--header=Private-Token: x``)."""
    out = []
    pos = 0
    while True:
        m = _KEY_VALUE.search(text, pos)
        if not m:
            break
        value = m.group("qval") if m.group("vq") else m.group("val")
        if not value.startswith(MASK) and _is_secret_name(m.group("name"), env_style=m.group("name").isupper()):
            out.append(text[pos:m.start("name")] + m.group("name") + text[m.end("name"):m.end("sep")])
            out.append(m.group("vq") + MASK + m.group("vq") if m.group("vq") else MASK)
            pos = m.end()
        else:
            out.append(text[pos:m.end("sep")])
            pos = m.end("sep")
    out.append(text[pos:])
    return "".join(out)


def _looks_like_path(value):
    return value.startswith(("/", "./", "../", "~")) or value.endswith((".pem", ".key", ".crt", ".p12", ".jks"))


def _program(args):
    return os.path.basename(args[0].split(" ", 1)[0]) if args and args[0] else ""


def redact_args(args):
    """A copy of the argument list ``args`` (argv, program first) with every secret replaced by MASK."""
    args = list(args)
    program = _program(args)
    out = []
    mask_next = mask_next_key = False
    login_next = False
    htpasswd_last = _htpasswd_password_index(args) if program == "htpasswd" else None
    for index, arg in enumerate(args):
        if mask_next:
            mask_next = False
            if arg and not arg.startswith("-"):
                out.append(MASK if not (mask_next_key and _looks_like_path(arg)) else arg)
                continue
        if login_next:
            login_next = False
            if ":" in arg and not arg.startswith("-") and "://" not in arg:
                out.append(arg.split(":", 1)[0] + ":" + MASK)
                continue
        if index == 0:
            out.append(redact_text(arg))
            continue
        if index == htpasswd_last:
            out.append(MASK)
            continue
        out.append(_redact_one(arg, program, args, index))
        mask_next = _takes_secret_next(arg, program, args)
        mask_next_key = arg == "--key"
        login_next = _is_login_option(arg, with_value=False)
    return out


def _htpasswd_password_index(args):
    """htpasswd -b[c|D|...] [options] passwordfile username password: the index of the password, or None."""
    batch = any(a.startswith("-") and not a.startswith("--") and "b" in a[1:] for a in args[1:])
    words = [i for i, a in enumerate(args) if i > 0 and not a.startswith("-")]
    return words[-1] if batch and len(words) >= 3 else None


def _is_login_option(arg, with_value):
    m = _LONG_OPT.match(arg)
    if not m or (m.group(3) is not None) != with_value:
        return False
    return m.group(2).lower().replace("_", "-") in _LOGIN_OPTIONS


def _takes_secret_next(arg, program, args=()):
    """True when ``arg`` is an option whose value is the next argument and that value is a secret."""
    if program == "sshpass" and arg == "-p":
        return True
    if arg in _PASSWORD_NEXT.get(program, ()):
        return True
    if program == "docker" and "login" in args and arg in ("-p", "--password"):
        return True
    if arg == "--key":
        return True
    if program in ("redis-cli", "keydb-cli") and arg == "-a":
        return True
    m = _LONG_OPT.match(arg)
    return bool(m and m.group(3) is None and len(m.group(2)) > 1 and _is_secret_name(m.group(2)))


def redact_script(script):
    """A shell script (the argument of ``sh -c``) with each of its commands redacted like an argv.

    The script is cut at ``;``, ``&&``, ``||``, pipes, line feeds, parentheses and backquotes, each command at
    blanks (quotes stay part of their word: ``-p'x'`` is still ``-p`` and a secret); leading ``NAME=value``
    assignments and the words of ``_SHELL_PREFIXES`` (``exec``, ``sudo``, ...) are not the program.
    Blanks and separators are kept, so the result reads as the script did.
    """
    out = []
    for piece in _SHELL_SEP.split(script):
        if not piece or _SHELL_SEP.fullmatch(piece):
            out.append(piece)
            continue
        parts = re.split(r"(\s+)", piece)
        words = [(i, w.strip("'\"")) for i, w in enumerate(parts) if w and not w.isspace()]
        start = 0
        while start < len(words) and (_ENV_ARG.match(words[start][1]) or words[start][1] in _SHELL_PREFIXES):
            start += 1
        for i, word in words[:start]:
            parts[i] = _redact_one(word, "", [], 0)
        argv = [w for _i, w in words[start:]]
        redacted = redact_args(argv) if argv else []
        for (i, original), new in zip(words[start:], redacted):
            if new != original:
                parts[i] = new
        out.append("".join(parts))
    return "".join(out)


def _redact_one(arg, program, args, index):
    if program in SHELLS and index > 1 and _SHELL_C.match(args[index - 1]):
        return redact_script(arg)
    if program in MYSQL_CLIENTS and arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--"):
        return "-p" + MASK
    if program == "sshpass" and arg.startswith("-p") and len(arg) > 2:
        return "-p" + MASK
    if program == "curl" and index > 1 and args[index - 1] in ("-u", "--user", "-U", "--proxy-user") and ":" in arg:
        return arg.split(":", 1)[0] + ":" + MASK
    if program == "curl" and arg[:2] in ("-u", "-U") and len(arg) > 2 and ":" in arg:
        return arg.split(":", 1)[0] + ":" + MASK
    if program == "curl" and (arg.startswith("--user=") or arg.startswith("--proxy-user=")) and ":" in arg:
        return arg.split(":", 1)[0] + ":" + MASK
    m = _JAVA_PROP.match(arg)
    if m:
        if _is_secret_name(m.group(2), env_style=True):
            return m.group(1) + m.group(2) + "=" + MASK
        return redact_text(arg)
    if program in ("smbclient", "rpcclient", "smbget") and index > 1 and args[index - 1] in ("-U", "--user") \
            and "%" in arg:
        return arg.split("%", 1)[0] + "%" + MASK
    m = _LONG_OPT.match(arg)
    if m and m.group(3) and _is_secret_name(m.group(2)):
        return m.group(1) + m.group(2) + "=" + MASK
    if m and m.group(3) and m.group(2).lower() == "key" and m.group(4) and not _looks_like_path(m.group(4)):
        return m.group(1) + m.group(2) + "=" + MASK
    if m and m.group(3) and _is_login_option(arg, with_value=True) and ":" in (m.group(4) or "") \
            and "://" not in m.group(4):
        return m.group(1) + m.group(2) + "=" + m.group(4).split(":", 1)[0] + ":" + MASK
    m = _ENV_ARG.match(arg)
    if m and _is_secret_name(m.group(1), env_style=True):
        return m.group(1) + "=" + MASK
    return redact_text(arg)
