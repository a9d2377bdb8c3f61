# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The requested container memory limits, checked once for every file editor, and the result shape they return.

``limits`` is ``{memory: "512M", memory_swap?: "1G", memory_reservation?: "256M"}`` in the collection's size
notation (binary units, as Docker and Podman read them too: ``m`` is MiB). ``memory_swap`` is memory plus swap,
as ``docker run --memory-swap`` takes it, so it is at least ``memory``; ``-1`` means unlimited swap.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.sizes import SizeError, format_size, parse_size

KEYS = ("memory", "memory_swap", "memory_reservation")
# under this a container cannot even start its runtime (docker refuses less than 6 MiB)
MIN_BYTES = 6 * 1024 * 1024


class EditError(ValueError):
    """A file that cannot be edited safely; the message is a sentence naming the value and why."""


def check_limits(limits):
    """``limits`` as bytes: {memory: int, memory_swap: int|-1|None, memory_reservation: int|None}.

    Raises EditError naming the bad value."""
    if not isinstance(limits, dict):
        raise EditError("limits must be a mapping such as {memory: 512M}, got %s" % type(limits).__name__)
    unknown = sorted(str(k) for k in limits if k not in KEYS)
    if unknown:
        raise EditError("limits: unknown key(s) %s; use %s" % (", ".join(unknown), ", ".join(KEYS)))
    if limits.get("memory") in (None, ""):
        raise EditError("limits: memory is required (for example 512M)")
    out = {}
    for key in KEYS:
        value = limits.get(key)
        if value in (None, ""):
            out[key] = None
            continue
        if key == "memory_swap" and str(value).strip() == "-1" and not isinstance(value, bool):
            out[key] = -1
            continue
        try:
            out[key] = parse_size(value)
        except SizeError as e:
            raise EditError("limits: %s: %s" % (key, e))
        if out[key] < MIN_BYTES:
            raise EditError("limits: %s %r is below 6M, too small for any container" % (key, value))
    if out["memory_swap"] not in (None, -1) and out["memory_swap"] < out["memory"]:
        raise EditError("limits: memory_swap %r is memory plus swap and cannot be less than memory %r"
                        % (limits["memory_swap"], limits["memory"]))
    if out["memory_reservation"] is not None and out["memory_reservation"] > out["memory"]:
        raise EditError("limits: memory_reservation %r is above memory %r"
                        % (limits["memory_reservation"], limits["memory"]))
    return out


def engine_size(nbytes, lower=True):
    """Bytes as Docker/Podman/Compose write a size: ``512m``, ``2g``, plain bytes; ``-1`` stays ``-1``."""
    if nbytes == -1:
        return "-1"
    text = format_size(nbytes)
    if text[-1:] == "T":  # docker's units stop at g for --memory in most docs; 1024g reads the same everywhere
        text = "%dG" % (nbytes // 1024 ** 3)
    return text.lower() if lower else text


def result(text, changed=False, form=None, key=None, error=None, keys=None, notes=None):
    """The shape every editor returns (error: a sentence, then text is the original and changed false)."""
    return {"text": text, "changed": bool(changed), "form": form, "key": key, "keys": list(keys or []),
            "notes": list(notes or []), "error": error}


def run_editor(what, edit, text, *args):
    """Run ``edit(text, *args)`` on the file's text with ``\n`` line ends and turn EditError into the result.

    A file written with ``\r\n`` throughout is edited as ``\n`` and written back with ``\r\n``; mixed or lone
    ``\r`` line ends are refused (an inserted line could not match them). An unchanged or refused file comes
    back as the very text given. Every error starts with ``what`` (or ``limits``)."""
    try:
        if not isinstance(text, str):
            raise EditError("%s: the file's text must be a string, got %s" % (what, type(text).__name__))
        body, crlf = text, False
        if "\r" in text:
            body = text.replace("\r\n", "\n")
            if "\r" in body or body.count("\n") != text.count("\r\n"):
                raise EditError("%s mixes \\r\\n with \\n or \\r line ends; normalise them first" % what)
            crlf = True
        try:
            out = edit(body, *args)
        except RecursionError:
            raise EditError("%s is nested too deeply to be edited" % what)
    except EditError as e:
        msg = str(e)
        return result(text if isinstance(text, str) else "",
                      error=msg if msg.startswith((what, "limits")) else "%s: %s" % (what, msg))
    if not out["changed"]:
        out["text"] = text
    elif crlf:
        out["text"] = out["text"].replace("\n", "\r\n")
    return out
