# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the object and array literals of a JavaScript file without running it.

PM2 runs an ``ecosystem.config.js`` (``require``) and even an ``ecosystem.json`` (``vm.runInThisContext('(' + text
+ ')')``), so either may hold comments, single quotes, trailing commas and computed values. This module never
evaluates anything: a small tokenizer (strings with their escapes, comments, template literals, numbers,
identifiers, punctuators; no regular expressions: a ``/`` outside a string or comment is refused) and a reader
of literals that turns ``{...}`` and ``[...]`` into a tree of ``Node``, where every value that is not a plain
literal (a variable, a call, a spread, ``process.env``, a concatenation, a template with ``${}``) is a
``computed`` node carrying its source text. Every node knows its span in the text, so that callers can splice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

PUNCT3 = ("...", "===", "!==", "**=", "<<=", ">>=", ">>>")
PUNCT2 = ("=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "%=", "&=", "|=",
          "^=", "**", "<<", ">>")
_IDENT_RE = re.compile(r"[A-Za-z_$\u00a0-\uffff][A-Za-z0-9_$\u00a0-\uffff]*")
_NUMBER_RE = re.compile(r"(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)"
                        r"(?:[eE][+-]?\d+)?)n?")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
LITERAL_WORDS = {"true": True, "false": False, "null": None}


class JSReadError(ValueError):
    """Text this reader does not understand; the message says where."""


class Token(object):
    __slots__ = ("kind", "text", "start", "end", "value", "quote")

    def __init__(self, kind, text, start, end, value=None, quote=None):
        self.kind, self.text, self.start, self.end, self.value, self.quote = kind, text, start, end, value, quote

    def __repr__(self):
        return "Token(%s %r @%d)" % (self.kind, self.text, self.start)


class Node(object):
    """A value in the file: kind ``map`` (entries), ``seq`` (items), ``scalar`` (value, quote) or ``computed``."""

    __slots__ = ("kind", "start", "end", "entries", "items", "value", "quote", "text", "flow", "extra")

    def __init__(self, kind, start, end, **kw):
        self.kind, self.start, self.end = kind, start, end
        self.entries = kw.get("entries")
        self.items = kw.get("items")
        self.value = kw.get("value")
        self.quote = kw.get("quote")
        self.text = kw.get("text")
        self.flow = kw.get("flow", True)
        self.extra = kw.get("extra")

    def __repr__(self):
        return "Node(%s %d-%d)" % (self.kind, self.start, self.end)


class Entry(object):
    """One property of a map: ``key`` is None for a spread or a computed key (``kind`` says which)."""

    __slots__ = ("key", "kind", "key_start", "key_end", "key_quote", "value", "start", "end")

    def __init__(self, key, kind, key_start, key_end, value, key_quote=None):
        self.key, self.kind, self.key_start, self.key_end, self.value = key, kind, key_start, key_end, value
        self.key_quote = key_quote
        self.start = key_start
        self.end = value.end if value is not None else key_end


def _line_col(text, index):
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def where(text, index):
    return "line %d, column %d" % _line_col(text, index)


def _decode_escape(text, i):
    """Decode the escape at text[i] == '\\'; return (decoded, next index)."""
    if i + 1 >= len(text):
        raise JSReadError("a string ends in a backslash at %s" % where(text, i))
    c = text[i + 1]
    if c in _SIMPLE_ESCAPES and not (c == "0" and i + 2 < len(text) and text[i + 2].isdigit()):
        return _SIMPLE_ESCAPES[c], i + 2
    if c == "x":
        digits = text[i + 2:i + 4]
        if not re.match(r"^[0-9a-fA-F]{2}$", digits):
            raise JSReadError("a bad \\x escape at %s" % where(text, i))
        return chr(int(digits, 16)), i + 4
    if c == "u":
        if text[i + 2:i + 3] == "{":
            close = text.find("}", i + 3)
            digits = text[i + 3:close] if close > 0 else ""
            if not re.match(r"^[0-9a-fA-F]{1,6}$", digits) or int(digits, 16) > 0x10FFFF:
                raise JSReadError("a bad \\u{} escape at %s" % where(text, i))
            return chr(int(digits, 16)), close + 1
        digits = text[i + 2:i + 6]
        if not re.match(r"^[0-9a-fA-F]{4}$", digits):
            raise JSReadError("a bad \\u escape at %s" % where(text, i))
        return chr(int(digits, 16)), i + 6
    if c == "\r" and text[i + 2:i + 3] == "\n":
        return "", i + 3
    if c in "\n\r\u2028\u2029":
        return "", i + 2
    if c.isdigit():
        raise JSReadError("an octal escape at %s (not allowed in modules and strict code)" % where(text, i))
    return c, i + 2


def _scan_string(text, i):
    """The string literal starting at text[i] (a quote): (decoded value, end index)."""
    quote = text[i]
    out = []
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == quote:
            return "".join(out), j + 1
        if c == "\\":
            decoded, j = _decode_escape(text, j)
            out.append(decoded)
            continue
        if c in "\r\n":
            break
        out.append(c)
        j += 1
    raise JSReadError("a string opened at %s is not closed on its line" % where(text, i))


def _skip_comment(text, i):
    """The index after the comment starting at text[i], or None when no comment starts there."""
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        if end < 0:
            raise JSReadError("a comment opened at %s is not closed" % where(text, i))
        return end + 2
    return None


def _scan_template(text, i):
    """The template literal starting at text[i] (a backtick): (decoded value or None when it has ``${}``, end)."""
    out = []
    substituted = False
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "`":
            return (None if substituted else "".join(out)), j + 1
        if c == "\\":
            decoded, j = _decode_escape(text, j)
            out.append(decoded)
            continue
        if text.startswith("${", j):
            substituted = True
            j = _skip_substitution(text, j + 2)
            continue
        out.append(c)
        j += 1
    raise JSReadError("a template literal opened at %s is not closed" % where(text, i))


def _skip_substitution(text, j):
    """The index after the ``}`` closing a template's ``${`` (text[j] is just after ``${``)."""
    depth = 1
    while j < len(text):
        c = text[j]
        after = _skip_comment(text, j)
        if after is not None:
            j = after
        elif c in "'\"":
            j = _scan_string(text, j)[1]
        elif c == "`":
            j = _scan_template(text, j)[1]
        elif c == "{":
            depth += 1
            j += 1
        elif c == "}":
            depth -= 1
            j += 1
            if depth == 0:
                return j
        else:
            j += 1
    raise JSReadError("a template substitution is not closed")


def tokenize(text):
    """The tokens of ``text`` (comments dropped). Raises JSReadError on what it cannot read."""
    tokens = []
    i, n = 0, len(text)
    if text.startswith("#!"):
        i = text.find("\n") if "\n" in text else n
    while i < n:
        c = text[i]
        if c.isspace() or c == "\ufeff":
            i += 1
            continue
        after = _skip_comment(text, i)
        if after is not None:
            i = after
            continue
        if c in "'\"":
            value, end = _scan_string(text, i)
            tokens.append(Token("string", text[i:end], i, end, value, c))
            i = end
            continue
        if c == "`":
            value, end = _scan_template(text, i)
            tokens.append(Token("string" if value is not None else "template", text[i:end], i, end, value, "`"))
            i = end
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER_RE.match(text, i)
            tokens.append(Token("number", m.group(0), i, m.end(), _number(m.group(0))))
            i = m.end()
            continue
        m = _IDENT_RE.match(text, i)
        if m:
            tokens.append(Token("ident", m.group(0), i, m.end(), m.group(0)))
            i = m.end()
            continue
        if c == "/":
            raise JSReadError("a '/' outside strings and comments at %s (a regular expression or a division), "
                              "which this reader does not parse" % where(text, i))
        for group in (PUNCT3, PUNCT2):
            hit = next((p for p in group if text.startswith(p, i)), None)
            if hit:
                break
        hit = hit or c
        tokens.append(Token("punct", hit, i, i + len(hit), hit))
        i += len(hit)
    return tokens


def _number(text):
    raw = text.replace("_", "")
    if raw.endswith("n"):
        raw = raw[:-1]
    try:
        if raw[:2].lower() in ("0x", "0o", "0b"):
            return int(raw, 0)
        if re.match(r"^\d+$", raw):
            return int(raw)
        return float(raw)
    except ValueError:
        return text


_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = (")", "]", "}")


class Reader(object):
    """Literals over a token list; ``value(i, stops)`` reads the value starting at token i."""

    def __init__(self, text, tokens=None):
        self.text = text
        self.toks = tokenize(text) if tokens is None else tokens

    def _tok(self, i):
        if i >= len(self.toks):
            raise JSReadError("the file ends inside a literal")
        return self.toks[i]

    def _is(self, i, *values):
        return i < len(self.toks) and self.toks[i].kind == "punct" and self.toks[i].text in values

    def skip(self, i, stops):
        """Skip a computed value from token i to the first stop at depth 0: the index of that stop."""
        depth = []
        while i < len(self.toks):
            t = self.toks[i]
            if t.kind == "punct":
                if not depth and t.text in stops:
                    return i
                if t.text in _OPEN:
                    depth.append(_OPEN[t.text])
                elif t.text in _CLOSE:
                    if not depth or depth.pop() != t.text:
                        raise JSReadError("an unbalanced %r at %s" % (t.text, where(self.text, t.start)))
            i += 1
        if depth or None not in stops:
            raise JSReadError("the file ends inside a value")
        return i

    def _at_stop(self, i, stops):
        if i >= len(self.toks):
            return None in stops
        return self.toks[i].kind == "punct" and self.toks[i].text in stops

    def value(self, i, stops):
        """(Node, index of the stop token after it)."""
        t = self._tok(i)
        node, j = None, None
        if self._is(i, "{"):
            node, j = self._object(i)
        elif self._is(i, "["):
            node, j = self._array(i)
        elif t.kind in ("string", "number"):
            node, j = Node("scalar", t.start, t.end, value=t.value, quote=t.quote), i + 1
        elif t.kind == "ident" and t.text in LITERAL_WORDS:
            node, j = Node("scalar", t.start, t.end, value=LITERAL_WORDS[t.text], quote=None), i + 1
        elif self._is(i, "-") and i + 1 < len(self.toks) and self.toks[i + 1].kind == "number" \
                and isinstance(self.toks[i + 1].value, (int, float)):
            nt = self.toks[i + 1]
            node, j = Node("scalar", t.start, nt.end, value=-nt.value, quote=None), i + 2
        if node is not None and self._at_stop(j, stops):
            return node, j
        end = self.skip(i, stops)
        last = self.toks[end - 1]
        return Node("computed", t.start, last.end, text=self.text[t.start:last.end]), end

    def _array(self, i):
        start = self.toks[i].start
        items = []
        i += 1
        while not self._is(i, "]"):
            if self._is(i, ","):  # a hole
                raise JSReadError("an array hole (',,') at %s" % where(self.text, self.toks[i].start))
            if self._is(i, "..."):
                end = self.skip(i, (",", "]"))
                node = Node("computed", self.toks[i].start, self.toks[end - 1].end,
                            text=self.text[self.toks[i].start:self.toks[end - 1].end])
                i = end
            else:
                node, i = self.value(i, (",", "]"))
            items.append(node)
            if self._is(i, ","):
                i += 1
        close = self._tok(i)
        return Node("seq", start, close.end, items=items, extra={"close": close.start}), i + 1

    def _object(self, i):
        start = self.toks[i].start
        entries = []
        i += 1
        while not self._is(i, "}"):
            t = self._tok(i)
            if self._is(i, "..."):
                end = self.skip(i, (",", "}"))
                node = Node("computed", t.start, self.toks[end - 1].end,
                            text=self.text[t.start:self.toks[end - 1].end])
                entries.append(Entry(None, "spread", t.start, t.start, node))
                i = end
            elif self._is(i, "["):
                end = self.skip(i, (",", "}"))
                node = Node("computed", t.start, self.toks[end - 1].end,
                            text=self.text[t.start:self.toks[end - 1].end])
                entries.append(Entry(None, "computed-key", t.start, t.start, node))
                i = end
            elif t.kind in ("ident", "string", "number"):
                key = t.value if t.kind != "number" else t.text
                if self._is(i + 1, ":"):
                    node, i = self.value(i + 2, (",", "}"))
                    entries.append(Entry(key, "plain", t.start, t.end, node, t.quote))
                elif self._is(i + 1, ",", "}"):
                    node = Node("computed", t.start, t.end, text=t.text)   # shorthand {name}
                    entries.append(Entry(key, "plain", t.start, t.end, node))
                    i += 1
                else:   # a method, getter or setter
                    end = self.skip(i, (",", "}"))
                    node = Node("computed", t.start, self.toks[end - 1].end,
                                text=self.text[t.start:self.toks[end - 1].end])
                    entries.append(Entry(None, "computed-key", t.start, t.start, node))
                    i = end
            else:
                raise JSReadError("an unexpected %r in an object at %s" % (t.text, where(self.text, t.start)))
            if self._is(i, ","):
                i += 1
            elif not self._is(i, "}"):
                raise JSReadError("an unexpected token in an object at %s" % where(self.text, self._tok(i).start))
        close = self._tok(i)
        return Node("map", start, close.end, entries=entries, extra={"close": close.start}), i + 1


def plain(node):
    """A node as comparable Python data: maps as lists of (key, value) pairs, computed values as their text."""
    if node is None:
        return None
    if node.kind == "map":
        return ("map", [(e.key, e.kind, plain(e.value)) for e in node.entries])
    if node.kind == "seq":
        return ("seq", [plain(item) for item in node.items])
    if node.kind == "computed":   # extra["plain"]: the text without where it stands, when the text says that
        return ("computed", (node.extra or {}).get("plain", node.text))
    return ("scalar", node.value)
