# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small YAML writer for the generated remedy-vars/<host>.yml files (plain dicts, lists, strings,
numbers and booleans), so that the output reads like hand-written host_vars."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import re

import yaml

# A plain scalar only in the shapes no YAML version reads as anything but this string: a name or path that
# starts with a letter, ``_`` or ``/`` and holds no indicator (no ``:`` - 12:30 is 750 in YAML 1.1 - no ``#``,
# no space), or a size such as 512M or 1.5G. Everything else is double-quoted (0x1F, .inf, 2026-01-01, @x, ...).
_PLAIN = re.compile(r"^(?:[A-Za-z_/][A-Za-z0-9_./@-]*|[0-9]+(?:\.[0-9]+)?[KMGTP](?:i?B)?)\Z")
_FIRST = ("unit", "path")  # the key that names a list item goes first, as people write host_vars
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # as report_svg's
_RESERVED = ("true", "false", "yes", "no", "on", "off", "null", "~", "y", "n")


def _float(value):
    """A float as YAML reads it back: .inf/.nan, and always with a '.' (YAML 1.1 reads 1e+20 as a string)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "." not in text and "e" in text:
        mantissa, exponent = text.split("e")
        text = "%s.0e%s" % (mantissa, exponent if exponent[0] in "+-" else "+" + exponent)
    return text


def scalar(value):
    """A YAML scalar: numbers and booleans as such, strings plain when strictly safe (``_PLAIN``, not a
    reserved word, and read back as the same string), else double-quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)


def _lines(value, indent):
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out = []
        for key, item in sorted(value.items(), key=lambda kv: kv[0] not in _FIRST):
            if isinstance(item, (dict, list)) and item:
                out.append("%s%s:" % (pad, scalar(key)))
                out.extend(_lines(item, indent + 2))
            else:
                out.append("%s%s: %s" % (pad, scalar(key), _inline(item)))
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            sub = _lines(item, indent + 2) if isinstance(item, (dict, list)) and item else [pad + "  " + _inline(item)]
            out.append(pad + "- " + sub[0][indent + 2:])
            out.extend(sub[1:])
        return out
    return [pad + scalar(value)]


def _inline(value):
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def to_yaml(value, header=None):
    """``value`` as a YAML document, with ``header`` lines as comments on top (control characters, a line
    break among them, replaced: a comment cannot end early)."""
    lines = ["# " + _CONTROL.sub("\ufffd", h) if h else "#" for h in (header or [])]
    lines.append("---")
    lines.extend(_lines(value, 0))
    return "\n".join(lines) + "\n"


def remedy_document(host):
    """The remedy-vars/<host>.yml text for one host entry of a triage report."""
    header = ["Suggested by headroom.memory.diagnose for %s." % host["host"],
              "Review, then paste into host_vars/%s.yml and apply the roles named below." % host["host"]]
    roles = []
    for f in host.get("findings") or []:
        role = f["remedy"].get("role")
        if role and role not in roles:
            roles.append(role)
    if roles:
        header.append("Roles: %s" % ", ".join(roles))
    settings = [(f["id"], s) for f in host.get("findings") or [] for s in f["remedy"].get("settings") or []]
    if settings:
        header.append("")
        header.append("Settings no role of this collection manages yet (change them in the service's config):")
        header.extend("  %s: %s = %s%s" % (fid, s["setting"], s["value"], " (%s)" % s["file"] if s.get("file") else "")
                      for fid, s in settings)
    withheld = host.get("withheld") or []
    if withheld:
        header.append("")
        header.append("Withheld by the remedy sanity gate (not below; see the report):")
        # one comment line each, whatever a unit name or reason holds
        for w in withheld:
            line = "%s: %s%s: %s" % (", ".join(w["findings"]), "%s " % w["item"] if w.get("item") else "",
                                     w.get("setting") or w["variable"], w["reason"])
            header.append("  " + " ".join(line.split()))
    return to_yaml(host.get("remedy_vars") or {}, header)
