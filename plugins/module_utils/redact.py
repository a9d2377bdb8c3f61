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
  ``access_token=`` in URL queries and DSNs, ``Authorization: Bearer|Basic|Token <secret>`` and
  ``Bearer <secret>``.

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
_SECRET_EXACT = ("pass", "pwd", "pw")
_SECRET_SUFFIX_PASS = ("storepass", "keypass")  # keytool -storepass / -keypass, not "bypass" or "compass"
_KEY_PREFIXES = ("api", "access", "secret", "private", "encryption", "signing", "master")
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
_QUERY_SECRET = re.compile(
    r"(?i)([?&;\s]|^)((?:[a-z0-9_.-]*?)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)=)([^&;\s#]+)")
_AUTH_HEADER = re.compile(r"(?i)(authorization\s*[:=]\s*(?:bearer|basic|token|digest|negotiate)?\s*)(\S+)")
_BEARER = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]+)")


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
    if env_style and any("secret" in p for p in parts):
        return True
    return False


def redact_text(text):
    """Secrets inside one argument: URL passwords, query/DSN secrets, Authorization headers, Bearer tokens."""
    if not text:
        return text
    text = _URL_USERINFO.sub(lambda m: m.group(1) + ":" + MASK + "@", text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return text


def _program(args):
    return os.path.basename(args[0].split(" ", 1)[0]) if args and args[0] else ""


def redact_args(args):
    """A copy of the argument list ``args`` (argv, program first) with every secret replaced by MASK."""
    args = list(args)
    program = _program(args)
    out = []
    mask_next = False
    for index, arg in enumerate(args):
        if mask_next:
            mask_next = False
            if arg and not arg.startswith("-"):
                out.append(MASK)
                continue
        if index == 0:
            out.append(redact_text(arg))
            continue
        out.append(_redact_one(arg, program, args, index))
        mask_next = _takes_secret_next(arg, program)
    return out


def _takes_secret_next(arg, program):
    """True when ``arg`` is an option whose value is the next argument and that value is a secret."""
    if program == "sshpass" and arg == "-p":
        return True
    if program in ("redis-cli", "keydb-cli") and arg == "-a":
        return True
    m = _LONG_OPT.match(arg)
    return bool(m and m.group(3) is None and len(m.group(2)) > 1 and _is_secret_name(m.group(2)))


def _redact_one(arg, program, args, index):
    if program in MYSQL_CLIENTS and arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--"):
        return "-p" + MASK
    if program == "sshpass" and arg.startswith("-p") and len(arg) > 2:
        return "-p" + MASK
    if program == "curl" and index > 1 and args[index - 1] in ("-u", "--user", "-U", "--proxy-user") and ":" in arg:
        return arg.split(":", 1)[0] + ":" + MASK
    if program == "curl" and (arg.startswith("--user=") or arg.startswith("--proxy-user=")) and ":" in arg:
        return arg.split(":", 1)[0] + ":" + MASK
    m = _JAVA_PROP.match(arg)
    if m:
        if _is_secret_name(m.group(2), env_style=True):
            return m.group(1) + m.group(2) + "=" + MASK
        return redact_text(arg)
    m = _LONG_OPT.match(arg)
    if m and m.group(3) and _is_secret_name(m.group(2)):
        return m.group(1) + m.group(2) + "=" + MASK
    m = _ENV_ARG.match(arg)
    if m and _is_secret_name(m.group(1), env_style=True):
        return m.group(1) + "=" + MASK
    return redact_text(arg)
