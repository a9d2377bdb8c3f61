# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set one PM2 app's ``max_memory_restart``, Node heap flag and ``cron_restart`` in its ecosystem file, changing
nothing else.

What PM2 reads (lib/API/schema.json, lib/tools/Config.js, lib/Common.js of PM2 5/6):

- the file's apps are ``config.apps``, else ``config.pm2``, else the file's value itself (one app or a list);
  a ``.json`` file is run as a JavaScript expression (so it may hold comments, single quotes and computed
  values), ``.yml``/``.yaml`` is YAML, ``.config.js``/``.cjs``/``.mjs`` is a module (``module.exports`` or
  ``export default``);
- ``max_memory_restart`` (alias ``maxMemoryRestart``) is a number of bytes or ``<n>K``/``<n>M``/``<n>G``
  (``^\\d+(G|M|K)?$``), checked per process, so per instance in cluster mode;
- the interpreter's arguments are ``node_args``, or when that is empty its aliases ``interpreter_args``,
  ``interpreterArgs``, ``nodeArgs`` (the first one set wins), a string or a list of strings; V8 reads
  ``--max-old-space-size=<MiB>`` (also spelt with underscores, or with the value as the next argument);
- ``cron_restart`` (alias ``cron``) is a cron pattern (croner's; ``0`` disables it): PM2 restarts the app on it.
  Only a plain 5-field pattern of digits and ``* / , -`` is written (``CRON_RE``): a scheduled restart, a stop-gap
  while a leak is found.

Every format is read into the same tree (``jsliteral.Node``) with the text span of each value, and edited by
splicing text at those spans: comments, key order, quoting and indentation stay as they were. A JavaScript file
is never evaluated: only plain literals are edited; anything computed is refused with a sentence saying which key
to change by hand and to what. Every edit is checked by reading the new text again: the app now says what was
asked, and every other value in the file is what it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.jsliteral import (
    Entry, JSReadError, Node, Reader, plain, where)

FORMATS = ("json", "yaml", "js")
SETTINGS = ("max_memory_restart", "max_old_space_size", "cron_restart")
MMR_KEYS = ("max_memory_restart", "maxMemoryRestart")
CRON_KEYS = ("cron_restart", "cron")
# a 5-field cron pattern (minute hour day month weekday) of digits and * / , - only: what croner reads as PM2's
# cron_restart, with nothing that a file, a command line or a report could take for more
CRON_RE = re.compile(r"^[0-9*/,-]{1,20}( [0-9*/,-]{1,20}){4}\Z")
ARGS_KEYS = ("node_args", "interpreter_args", "interpreterArgs", "nodeArgs")   # PM2's order of precedence
HEAP_FLAG = "--max-old-space-size"
HEAP_FLAG_RE = re.compile(r"^--max[-_]old[-_]space[-_]size(?:=(\d+))?$")
HEAP_WORD_RE = re.compile(r"max[-_]old[-_]space[-_]size")
MMR_RE = re.compile(r"^[1-9]\d*[KMG]$")
HEAP_MAX_MB = 1024 * 1024
APP_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
EXTENSIONS = ((".config.js", "js"), (".config.cjs", "js"), (".config.mjs", "js"), (".cjs", "js"), (".mjs", "js"),
              (".js", "js"), (".json", "json"), (".json5", "json"), (".yml", "yaml"), (".yaml", "yaml"))


class Refusal(ValueError):
    """The file cannot be edited safely; the message says why and what to do by hand."""


def file_format(path):
    """json, yaml or js from an ecosystem file's name, as PM2 tells them apart; None when it is none of them."""
    name = str(path or "").lower()
    for suffix, fmt in EXTENSIONS:
        if name.endswith(suffix):
            return fmt
    return None


def settings_errors(app, settings):
    """Why ``app`` or ``settings`` cannot be written (a list of sentences naming the value)."""
    errors = []
    if not isinstance(app, str) or not APP_NAME_RE.match(app):
        errors.append("app %r is not a PM2 app name (1-200 printable characters)" % (app,))
    if not isinstance(settings, dict):
        return errors + ["settings %r is not a dict of %s" % (settings, ", ".join(SETTINGS))]
    unknown = sorted(str(k) for k in settings if k not in SETTINGS)
    if unknown:
        errors.append("settings: unknown key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(SETTINGS)))
    mmr = settings.get("max_memory_restart")
    if mmr is not None and (not isinstance(mmr, str) or not MMR_RE.match(mmr)):
        errors.append("max_memory_restart %r is not what PM2 reads: a whole number with K, M or G (300M, 1G); "
                      "PM2 takes a bare number as bytes and refuses fractions and lower case" % (mmr,))
    heap = settings.get("max_old_space_size")
    if heap is not None and (not isinstance(heap, int) or isinstance(heap, bool) or not 0 < heap <= HEAP_MAX_MB):
        errors.append("max_old_space_size %r is not a whole number of MiB between 1 and %d" % (heap, HEAP_MAX_MB))
    cron = settings.get("cron_restart")
    if cron is not None and (not isinstance(cron, str) or not CRON_RE.match(cron)):
        errors.append("cron_restart %r is not a 5-field cron pattern of digits and * / , - (0 4 * * *)" % (cron,))
    if mmr is None and heap is None and cron is None and not unknown:
        errors.append("settings give none of %s: nothing to set" % ", ".join(SETTINGS))
    return errors


# ----------------------------------------------------------------------------------------------------------
# documents: one reader per format, all giving jsliteral.Node trees with text spans


def _eol(text, index):
    """The end of index's line, before its ``\n`` or ``\r\n``."""
    end = text.find("\n", index)
    if end < 0:
        return len(text)
    return end - 1 if end > index and text[end - 1] == "\r" else end


def _newline(text):
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text, index):
    return text.rfind("\n", 0, index) + 1


class _JSDoc(object):
    """A .json (a JavaScript expression) or .js (a module) file."""

    def __init__(self, text, fmt):
        self.text, self.fmt = text, fmt
        try:
            self.reader = Reader(text)
        except JSReadError as e:
            raise Refusal("the file cannot be read as JavaScript: %s" % e)
        self.toks = self.reader.toks
        self.default_quote = '"' if fmt == "json" else "'"
        self.explicit_wins = False   # {...spread, key: v}: the later one wins

    # where the configuration is
    def root(self):
        try:
            if self.fmt == "json":
                if not self.toks:
                    raise Refusal("the file is empty")
                node, end = self.reader.value(0, (None,))
                if end != len(self.toks):
                    raise Refusal("the file holds more than one value")
                return node
            return self._module_value()
        except JSReadError as e:
            raise Refusal("the file cannot be read: %s" % e)

    def _top_level(self):
        """Indexes of the tokens at brace/bracket/paren depth 0."""
        depth = 0
        for i, t in enumerate(self.toks):
            if t.kind == "punct" and t.text in ("(", "[", "{"):
                depth += 1
            elif t.kind == "punct" and t.text in (")", "]", "}"):
                depth -= 1
            elif depth == 0:
                yield i

    def _texts(self, i, count):
        return [t.text for t in self.toks[i:i + count]]

    def _module_value(self):
        starts = []
        for i in self._top_level():
            if self._texts(i, 4) == ["module", ".", "exports", "="]:
                starts.append(i + 4)
            elif self._texts(i, 2) == ["export", "default"]:
                starts.append(i + 2)
        if len(starts) != 1:
            raise Refusal("unsupported structure: the file has %d module.exports/export default assignments, "
                          "this reader edits a file with exactly one" % len(starts))
        return self._literal_at(starts[0], "module.exports")

    def _literal_at(self, i, what):
        t = self.toks[i] if i < len(self.toks) else None
        if t is not None and t.kind == "punct" and t.text in ("{", "["):
            node = self.reader._object(i)[0] if t.text == "{" else self.reader._array(i)[0]
            return node
        ends = t is not None and (i + 1 >= len(self.toks) or self.toks[i + 1].text in (";", "}")
                                  or self.toks[i + 1].start > _eol(self.text, t.start))
        if t is not None and t.kind == "ident" and ends:
            return self._declared(t.text, what)
        raise Refusal("unsupported structure: %s is not an object literal or a variable (%s)" % (
            what, where(self.text, t.start) if t is not None else "at the end of the file"))

    def _declared(self, name, what):
        """The literal a top-level ``const|let|var name = {...}|[...]`` declares, refused when it is changed later."""
        decls = [i for i in self._top_level()
                 if self._texts(i, 3)[:2] in (["const", name], ["let", name], ["var", name])
                 and self._texts(i, 3)[2:] == ["="]]
        if len(decls) != 1:
            raise Refusal("unsupported structure: %s is the variable %s, declared %d times at the top level of "
                          "the file (this reader follows one declaration)" % (what, name, len(decls)))
        for i, t in enumerate(self.toks):
            if t.kind == "ident" and t.text == name and i != decls[0] + 1 and i + 1 < len(self.toks) \
                    and self.toks[i + 1].text in (".", "[", "=", "+=", "?.") and (i == 0 or self.toks[i - 1].text != "."):
                raise Refusal("unsupported structure: %s (the variable %s) is changed after its declaration, at %s"
                              % (what, name, where(self.text, t.start)))
        return self._literal_at(decls[0] + 3, name)

    def follow(self, node, what):
        """A computed node that is a bare variable name, followed to its literal; other nodes as they are."""
        if node.kind == "computed" and re.match(r"^[A-Za-z_$][A-Za-z0-9_$]*$", node.text):
            return self._declared(node.text, what)
        return node

    # rendering
    def render_str(self, value, like=None, quote=None):
        q = quote or (like.quote if like is not None and like.quote in ("'", '"', "`") else self.default_quote)
        out = []
        for ch in value:
            if ch == "\\" or ch == q:
                out.append("\\" + ch)
            elif ord(ch) < 0x20 or ch in "\x7f\u2028\u2029":
                out.append("\\u%04x" % ord(ch))
            elif q == "`" and ch == "{" and out and out[-1] == "$":
                out.append("\\{")
            else:
                out.append(ch)
        return q + "".join(out) + q

    def render_key(self, mapping, key):
        quoted = [e for e in mapping.entries if e.kind == "plain" and e.key_quote in ("'", '"')]
        if quoted and len(quoted) * 2 >= len([e for e in mapping.entries if e.kind == "plain"]):
            return self.render_str(key, quote=quoted[0].key_quote)
        return key

    # splices
    def _next_token(self, index):
        return next((t for t in self.toks if t.start >= index), None)

    def _after_last(self, last_end, close):
        """(anchor, had_comma): where a new member goes after the last one, and whether it was followed by a comma."""
        t = self._next_token(last_end)
        if t is not None and t.text == "," and t.start < close:
            return t.end, True
        return last_end, False

    def _append(self, container, members_end, new_member, indent_from):
        text = self.text
        close = container.extra["close"]
        anchor, had_comma = self._after_last(members_end, close)
        if "\n" not in text[anchor:close] and "\n" not in text[container.start:anchor]:
            if had_comma:
                return [(anchor, anchor, " " + new_member + ",")]
            return [(anchor, anchor, ", " + new_member)]
        line_start = _line_start(text, indent_from)
        indent = re.match(r"[ \t]*", text[line_start:]).group(0)
        if text[line_start:indent_from].strip():
            indent = " " * (indent_from - line_start)
        eol = _eol(text, anchor)
        rest = text[anchor:eol].strip()
        at = eol if (rest == "" or rest.startswith("//")) and eol <= close else anchor
        line = _newline(text) + indent + new_member + ("," if had_comma else "")
        if had_comma:
            return [(at, at, line)]
        if at == anchor:
            return [(anchor, anchor, "," + line)]
        return [(anchor, anchor, ","), (at, at, line)]

    def insert_entry(self, mapping, key, rendered):
        last = mapping.entries[-1]
        return self._append(mapping, last.value.end, "%s: %s" % (self.render_key(mapping, key), rendered), last.start)

    def seq_append(self, seq, rendered):
        if not seq.items:
            return [(seq.start + 1, seq.extra["close"], rendered)]
        last = seq.items[-1]
        return self._append(seq, last.end, rendered, last.start)

    def seq_remove(self, seq, index):
        items = seq.items
        if len(items) == 1:
            return [(seq.start + 1, seq.extra["close"], "")]
        if index < len(items) - 1:
            return [(items[index].start, items[index + 1].start, "")]
        return [(items[index - 1].end, items[index].end, "")]

    def replace(self, node, rendered):
        return [(node.start, node.end, rendered)]

    def check(self, new_text):
        """Format-specific checks of an edited text (beyond the tree comparison)."""
        try:
            json.loads(self.text)
        except ValueError:
            return
        try:
            json.loads(new_text)
        except ValueError as e:
            raise Refusal("the edited file is no longer strict JSON (%s)" % e)


_YAML_STD = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
             "tag:yaml.org,2002:null"}


class _YAMLDoc(object):
    """A .yml/.yaml file: PyYAML's composed nodes and their marks."""

    default_quote = None
    explicit_wins = True   # a key of the mapping wins over the same key merged with <<

    def __init__(self, text, fmt="yaml"):
        self.text, self.fmt = text, fmt
        try:
            self.composed = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as e:
            raise Refusal("the file cannot be read as YAML: %s" % str(e).replace("\n", " "))
        self.counts = {}
        self.converted = set()
        self._count(self.composed)
        self.constructor = yaml.constructor.SafeConstructor()

    def _count(self, node):
        if node is None:
            return
        self.counts[id(node)] = self.counts.get(id(node), 0) + 1
        if self.counts[id(node)] > 1:
            return
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                self._count(k)
                self._count(v)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                self._count(v)

    def root(self):
        if self.composed is None:
            raise Refusal("the file is empty")
        self.converted = set()
        return self._node(self.composed)

    def follow(self, node, what):
        return node

    def _node(self, node, alias_span=None):
        start, end = node.start_mark.index, node.end_mark.index
        if self.counts.get(id(node), 0) > 1:
            # the anchor's node; where an alias (*name) repeats it, its marks are the anchor's: the alias is taken
            # to stand from its key to the end of that line
            if id(node) in self.converted and alias_span is not None:
                start, end = alias_span
            self.converted.add(id(node))
            return Node("computed", start, end, text="a value shared through a YAML anchor (%s)" % where(
                self.text, node.start_mark.index), extra={"plain": "anchor"})
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _YAML_STD:
                return Node("computed", start, end, text="%s with the tag %s" % (node.value, node.tag))
            if node.style in ("|", ">"):
                end = start + len(self.text[start:end].rstrip("\r\n"))
                return Node("scalar", start, end, value=node.value, quote=node.style)
            return Node("scalar", start, end, value=self.constructor.construct_object(node), quote=node.style or "")
        if isinstance(node, yaml.SequenceNode):
            items = [self._node(v) for v in node.value]
            if not node.flow_style and items:
                end = items[-1].end
            return Node("seq", start, end, items=items, flow=bool(node.flow_style))
        if node.tag != "tag:yaml.org,2002:map":
            return Node("computed", start, end, text="a mapping with the tag %s" % node.tag)
        entries = []
        for k, v in node.value:
            value = self._node(v, (k.end_mark.index, _eol(self.text, k.end_mark.index)))
            if isinstance(k, yaml.ScalarNode) and k.tag == "tag:yaml.org,2002:merge":
                merged = Node("computed", value.start, value.end, text="the merge key << at %s" % where(
                    self.text, k.start_mark.index), extra={"plain": ("merge", plain(value))})
                entries.append(Entry(None, "spread", k.start_mark.index, k.end_mark.index, merged))
            elif isinstance(k, yaml.ScalarNode) and k.tag in _YAML_STD:
                entries.append(Entry(str(k.value), "plain", k.start_mark.index, k.end_mark.index, value, k.style))
            else:
                entries.append(Entry(None, "computed-key", k.start_mark.index, k.end_mark.index, value))
        if not node.flow_style and entries:
            end = entries[-1].value.end
        return Node("map", start, end, entries=entries, flow=bool(node.flow_style))

    # rendering
    @staticmethod
    def _plain_ok(value):
        if not re.match(r"^[A-Za-z0-9_./=+-]([A-Za-z0-9_./=+ -]*[A-Za-z0-9_./=+-])?$", value) or value[:2] == "- ":
            return False
        try:
            return yaml.safe_load("k: %s" % value) == {"k": value} and yaml.safe_load("[%s]" % value) == [value]
        except yaml.YAMLError:
            return False

    def render_str(self, value, like=None, quote=None):
        style = like.quote if like is not None else (quote if quote is not None else "")
        if style == "" and self._plain_ok(value):
            return value
        if style == "'" and all(ord(c) >= 0x20 for c in value):
            return "'" + value.replace("'", "''") + "'"
        return json.dumps(value)

    def insert_entry(self, mapping, key, rendered):
        text = self.text
        last = mapping.entries[-1]
        member = "%s: %s" % (key, rendered)
        if mapping.flow:
            return [(last.value.end, last.value.end, ", " + member)]
        column = last.start - _line_start(text, last.start)
        at = _eol(text, last.value.end)
        return [(at, at, _newline(text) + " " * column + member)]

    def seq_append(self, seq, rendered):
        text = self.text
        if seq.flow:
            if not seq.items:
                return [(seq.start + 1, seq.end - 1, rendered)]
            return [(seq.items[-1].end, seq.items[-1].end, ", " + rendered)]
        first = seq.items[0]
        dash = text.rfind("-", _line_start(text, first.start), first.start)
        if dash < 0:
            raise Refusal("unsupported structure: a list item at %s has no '-' on its line" % where(text, first.start))
        at = _eol(text, seq.items[-1].end)
        return [(at, at, _newline(text) + " " * (dash - _line_start(text, dash)) + "- " + rendered)]

    def seq_remove(self, seq, index):
        text = self.text
        items = seq.items
        if seq.flow:
            if len(items) == 1:
                return [(seq.start + 1, seq.end - 1, "")]
            if index < len(items) - 1:
                return [(items[index].start, items[index + 1].start, "")]
            return [(items[index - 1].end, items[index].end, "")]
        if len(items) == 1:
            raise Refusal("unsupported structure: removing the only item of a block list")
        item = items[index]
        start = _line_start(text, item.start)
        if text[start:item.start].strip() != "-" or "\n" in text[item.start:item.end]:
            raise Refusal("unsupported structure: the list item at %s is not alone on its line" % where(text, item.start))
        end = _eol(text, item.end)
        return [(start, min(end + len(_newline(text)) if end < len(text) else end, len(text)), "")]

    def replace(self, node, rendered):
        if node.kind == "scalar" and node.quote in ("|", ">"):
            raise Refusal("the value at %s is a YAML block scalar" % where(self.text, node.start))
        return [(node.start, node.end, rendered)]

    def check(self, new_text):
        try:
            yaml.safe_load(new_text)
        except yaml.YAMLError as e:
            raise Refusal("the edited file does not read as YAML: %s" % str(e).replace("\n", " "))


def _document(text, fmt):
    if fmt == "yaml":
        return _YAMLDoc(text)
    return _JSDoc(text, fmt)


# ----------------------------------------------------------------------------------------------------------
# the apps and the app


def apps_of(doc):
    """The node holding the apps (a list, or one app as a map) and how the file names it."""
    root = doc.follow(doc.root(), "the file's value")
    if root.kind == "map":
        for key in ("apps", "pm2"):
            found = [e for e in root.entries if e.key == key]
            if len(found) > 1:
                raise Refusal("unsupported structure: the key %s appears %d times" % (key, len(found)))
            if found:
                node = doc.follow(found[0].value, key)
                if node.kind != "seq":
                    raise Refusal("unsupported structure: %s is not a list literal (%s)" % (
                        key, node.text if node.kind == "computed" else node.kind))
                return node, key
        if any(e.key is None for e in root.entries):
            raise Refusal("unsupported structure: the file's top-level object has a spread or computed key and no "
                          "apps list")
        return root, "the file"
    if root.kind == "seq":
        return root, "the file's list"
    raise Refusal("unsupported structure: the file's value is %s, not an object with apps or a list of apps" % (
        root.text if root.kind == "computed" else "a %s" % root.kind))


def _entries(mapping, keys):
    return [e for e in mapping.entries if e.key in keys]


def _str_value(mapping, key):
    found = _entries(mapping, (key,))
    if not found:
        return None, None
    node = found[-1].value
    if node.kind == "scalar" and isinstance(node.value, str):
        return node.value, node
    return False, node


def find_app(container, app):
    """(index, map node) of the app named ``app``; Refusal when it is missing, defined twice or undecidable."""
    items = [container] if container.kind == "map" else container.items
    matches, unsure, names = [], [], []
    for index, item in enumerate(items):
        if item.kind != "map":
            unsure.append("entry %d (%s)" % (index + 1, item.text if item.kind == "computed" else item.kind))
            continue
        name, node = _str_value(item, "name")
        if name is False:
            unsure.append("entry %d, whose name is %s" % (index + 1, node.text if node.kind == "computed" else node.value))
            continue
        if name is None:
            if any(e.key is None for e in item.entries):
                unsure.append("entry %d, which has no name and a spread" % (index + 1))
                continue
            script, node = _str_value(item, "script")
            if script is None:
                script, node = _str_value(item, "exec")
            if script is False:
                unsure.append("entry %d, whose script is computed" % (index + 1))
                continue
            base = (script or "").rsplit("/", 1)[-1]
            name = base.rsplit(".", 1)[0] if "." in base else base   # PM2's default name: the script's, no extension
        if name == app:
            matches.append(index)
        names.append(name)
    if len(matches) > 1:
        raise Refusal("app %s is defined %d times in the file (entries %s): PM2 would start each of them; make the "
                      "names unique first" % (app, len(matches), ", ".join(str(i + 1) for i in matches)))
    if not matches:
        if unsure:
            raise Refusal("app %s is not among the apps with a plain name in the file, and %s cannot be read without "
                          "running the file: set the app's settings by hand" % (app, " and ".join(unsure)))
        raise Refusal("app %s is not in the file (it defines %s)" % (app, ", ".join(names) or "no app"))
    return matches[0], items[matches[0]]


# ----------------------------------------------------------------------------------------------------------
# the edits


def _spread_after(mapping, entry):
    seen = entry is None
    for e in mapping.entries:
        if e is entry:
            seen = True
        elif seen and e.key is None:
            return e
    return None


def _one_key(doc, mapping, keys, app, wanted, whole=True):
    """The entry carrying a setting (None when absent); refusals when two aliases or a spread make it unsure.

    A spread (``...common``, YAML's ``<<``) or a computed key may set the key too. A key written after it wins in
    JavaScript, an explicit key always wins in YAML; so an absent key may be added when its value is ``whole`` (the
    new value replaces all of the spread's, as for max_memory_restart), not when the spread's value holds more than
    the setting (the other interpreter arguments of a spread's node_args would be lost).
    """
    found = _entries(mapping, keys)
    if len(found) > 1:
        raise Refusal("app %s sets %s: PM2 reads only %s; keep one of them with %s and run again" % (
            app, " and ".join(e.key for e in found), found[0].key if found[0].key == keys[0] else "the first set",
            wanted))
    entry = found[0] if found else None
    if entry is not None and doc.explicit_wins:
        return entry
    spread = _spread_after(mapping, entry)
    if spread is not None and (entry is not None or not whole):
        raise Refusal("app %s has a spread or computed key (%s) that may set %s: set %s by hand" % (
            app, spread.value.text, keys[0], wanted))
    return entry


def _scalar_edits(doc, mapping, app, keys, target):
    """Set a setting PM2 reads as one string (``keys``: its name and alias) to ``target``."""
    wanted = "%s: %s" % (keys[0], target)
    entry = _one_key(doc, mapping, keys, app, wanted)
    if entry is None:
        return doc.insert_entry(mapping, keys[0], doc.render_str(target, quote=_name_quote(doc, mapping)))
    node = entry.value
    if node.kind != "scalar" or isinstance(node.value, bool) or not isinstance(node.value, (str, int, type(None))):
        raise Refusal("app %s: %s is computed (%s): set it by hand to %s" % (
            app, entry.key, node.text if node.kind == "computed" else "a %s" % node.kind, target))
    if node.value == target:
        return []
    like = node if isinstance(node.value, str) else None
    return doc.replace(node, doc.render_str(target, like=like, quote=_name_quote(doc, mapping)))


def _mmr_edits(doc, mapping, app, target):
    return _scalar_edits(doc, mapping, app, MMR_KEYS, target)


def _cron_edits(doc, mapping, app, target):
    return _scalar_edits(doc, mapping, app, CRON_KEYS, target)


def _name_quote(doc, mapping):
    name = _str_value(mapping, "name")[1]
    if name is not None and name.kind == "scalar" and name.quote in ("'", '"'):
        return name.quote
    return doc.default_quote


def heap_tokens(tokens, size_mb):
    """``tokens`` with their heap flag set to ``size_mb``: the first one replaced in place, others removed, or
    the flag appended. Raises Refusal for a flag whose value is the next argument but not a number."""
    out, placed, skip = [], False, False
    flag = "%s=%d" % (HEAP_FLAG, size_mb)
    for i, tok in enumerate(tokens):
        if skip:
            skip = False
            continue
        m = HEAP_FLAG_RE.match(tok)
        if m is None:
            if HEAP_WORD_RE.search(tok):
                raise Refusal("the argument %r holds a heap flag among other text" % tok)
            out.append(tok)
            continue
        if m.group(1) is None:   # --max-old-space-size 256
            if i + 1 >= len(tokens) or not re.match(r"^\d+$", tokens[i + 1]):
                raise Refusal("the argument %r has no number after it" % tok)
            skip = True
        if not placed:
            out.append(flag)
            placed = True
    if not placed:
        out.append(flag)
    return out


def strip_heap(tokens):
    """``tokens`` without heap flags (and the number after a flag written without ``=``)."""
    out, skip = [], False
    for tok in tokens:
        if skip:
            skip = False
            if re.match(r"^\d+$", tok):
                continue
        m = HEAP_FLAG_RE.match(tok)
        if m is None:
            out.append(tok)
        elif m.group(1) is None:
            skip = True
    return out


def _env_maps(mapping):
    """The app's environment maps (``env``, ``env_production``, ...) written as literals."""
    return [e for e in mapping.entries
            if isinstance(e.key, str) and (e.key == "env" or e.key.startswith("env_")) and e.value.kind == "map"]


def _node_options_edits(doc, mapping, app, size_mb):
    """Heap flags in the app's ``NODE_OPTIONS`` (in ``env`` and ``env_*`` literals) taken out: the heap ceiling is
    then said once, in the interpreter arguments (which node reads after NODE_OPTIONS, so they won anyway)."""
    edits = []
    for env in _env_maps(mapping):
        for e in env.value.entries:
            node = e.value
            if e.key != "NODE_OPTIONS" or node.kind != "scalar" or not isinstance(node.value, str):
                continue
            tokens = node.value.split()
            kept = strip_heap(tokens)
            if kept != tokens:
                edits += doc.replace(node, doc.render_str(" ".join(kept), like=node))
    return edits


def _heap_edits(doc, mapping, app, size_mb):
    flag = "%s=%d" % (HEAP_FLAG, size_mb)
    wanted = "the heap flag %s in node_args" % flag
    entry = _one_key(doc, mapping, ARGS_KEYS, app, wanted, whole=False)
    if entry is None:
        return doc.insert_entry(mapping, ARGS_KEYS[0], doc.render_str(flag, quote=_name_quote(doc, mapping)))
    node = entry.value
    if node.kind == "scalar" and (node.value is None or isinstance(node.value, str)):
        tokens = (node.value or "").split()
        try:
            new = heap_tokens(tokens, size_mb)
        except Refusal as e:
            raise Refusal("app %s: %s in %s: set %s there by hand" % (app, e, entry.key, flag))
        if new == tokens:
            return []
        return doc.replace(node, doc.render_str(" ".join(new), like=node if node.value is not None else None,
                                                quote=_name_quote(doc, mapping)))
    if node.kind == "seq":
        return _heap_list_edits(doc, node, app, entry.key, size_mb)
    raise Refusal("app %s: %s is computed (%s): set it by hand to include %s" % (
        app, entry.key, node.text if node.kind == "computed" else "a %s" % node.kind, flag))


def _heap_list_edits(doc, seq, app, key, size_mb):
    flag = "%s=%d" % (HEAP_FLAG, size_mb)
    hits = []
    for index, item in enumerate(seq.items):
        if item.kind != "scalar" or not isinstance(item.value, str):
            raise Refusal("app %s: %s holds a computed item (%s): set it by hand to include %s" % (
                app, key, item.text if item.kind == "computed" else item.value, flag))
    values = [item.value for item in seq.items]
    try:
        heap_tokens(values, size_mb)   # the same refusals as the string form
    except Refusal as e:
        raise Refusal("app %s: %s in %s: set %s there by hand" % (app, e, key, flag))
    hits, drop = [], []
    for index, value in enumerate(values):
        m = HEAP_FLAG_RE.match(value)
        if m is not None:
            hits.append(index)
            if m.group(1) is None:   # ['--max-old-space-size', '300']: the value item goes too
                drop.append(index + 1)
    if not hits:
        return doc.seq_append(seq, doc.render_str(flag, like=seq.items[-1] if seq.items else None))
    edits = []
    if values[hits[0]] != flag:
        edits += doc.replace(seq.items[hits[0]], doc.render_str(flag, like=seq.items[hits[0]]))
    for index in sorted(hits[1:] + drop, reverse=True):
        edits += doc.seq_remove(seq, index)
    return edits


def _apply(text, splices):
    ordered = sorted(splices, key=lambda s: (s[0], s[1]))
    for a, b in zip(ordered, ordered[1:]):
        if b[0] < a[1]:
            raise Refusal("internal: two edits overlap")
    out = text
    for start, end, new in reversed(ordered):
        out = out[:start] + new + out[end:]
    return out


# ----------------------------------------------------------------------------------------------------------
# the self-check


def _arg_tokens(node):
    if node.kind == "scalar" and (node.value is None or isinstance(node.value, str)):
        return (node.value or "").split()
    if node.kind == "seq" and all(i.kind == "scalar" and isinstance(i.value, str) for i in node.items):
        return [i.value for i in node.items]
    return None


def _comparable(node, app_index, settings):
    """plain() of the apps node, with the app's edited settings taken out (and its other arguments kept)."""
    items = [node] if node.kind == "map" else node.items
    out = []
    for index, item in enumerate(items):
        if index != app_index:
            out.append(plain(item))
            continue
        entries = []
        for e in item.entries:
            if e.key in MMR_KEYS and settings.get("max_memory_restart") is not None:
                continue
            if e.key in CRON_KEYS and settings.get("cron_restart") is not None:
                continue
            if e.key in ARGS_KEYS and settings.get("max_old_space_size") is not None:
                tokens = _arg_tokens(e.value)
                kept = strip_heap(tokens) if tokens is not None else [plain(e.value)]
                if kept:
                    entries.append((e.key, "args", tuple(kept)))
                continue
            if e in _env_maps(item) and settings.get("max_old_space_size") is not None:
                entries.append((e.key, e.kind, ("map", [
                    (n.key, n.kind, ("options", tuple(strip_heap(n.value.value.split())))
                     if n.key == "NODE_OPTIONS" and n.value.kind == "scalar" and isinstance(n.value.value, str)
                     else plain(n.value)) for n in e.value.entries])))
                continue
            entries.append((e.key, e.kind, plain(e.value)))
        out.append(("map", entries))
    return out


def check_app(mapping, app, settings):
    """Why the app's map does not say what ``settings`` ask (None when it does)."""
    mmr = settings.get("max_memory_restart")
    if mmr is not None:
        found = _entries(mapping, MMR_KEYS)
        if len(found) != 1 or found[0].value.kind != "scalar" or found[0].value.value != mmr:
            return "app %s does not read max_memory_restart %s back" % (app, mmr)
    cron = settings.get("cron_restart")
    if cron is not None:
        found = _entries(mapping, CRON_KEYS)
        if len(found) != 1 or found[0].value.kind != "scalar" or found[0].value.value != cron:
            return "app %s does not read cron_restart %s back" % (app, cron)
    heap = settings.get("max_old_space_size")
    if heap is not None:
        found = _entries(mapping, ARGS_KEYS)
        tokens = _arg_tokens(found[0].value) if len(found) == 1 else None
        flags = [t for t in tokens or [] if HEAP_WORD_RE.search(t)]
        for env in _env_maps(mapping):
            flags += [t for n in env.value.entries if n.key == "NODE_OPTIONS" and n.value.kind == "scalar"
                      and isinstance(n.value.value, str) for t in n.value.value.split() if HEAP_WORD_RE.search(t)]
        if flags != ["%s=%d" % (HEAP_FLAG, heap)]:
            return "app %s does not read one heap flag %s=%d back (it has %s)" % (app, HEAP_FLAG, heap, flags)
    return None


def _self_check(doc, new_text, fmt, app, settings, container, app_index):
    new_doc = _document(new_text, fmt)
    new_container = apps_of(new_doc)[0]
    new_index, new_app = find_app(new_container, app)
    if new_index != app_index:
        raise Refusal("internal: the app moved from entry %d to %d" % (app_index + 1, new_index + 1))
    problem = check_app(new_app, app, settings)
    if problem:
        raise Refusal("internal: %s" % problem)
    if _comparable(container, app_index, settings) != _comparable(new_container, app_index, settings):
        raise Refusal("internal: the edit would change more than the app's max_memory_restart, heap flag and "
                      "cron_restart")
    if doc.text[:container.start] != new_text[:new_container.start] \
            or doc.text[container.end:] != new_text[new_container.end:]:
        raise Refusal("internal: the edit would change text outside the apps")
    doc.check(new_text)


def edit(text, fmt, app, settings):
    """The ecosystem file ``text`` (format json, yaml or js) with ``app``'s settings set.

    ``settings``: ``max_memory_restart`` (PM2's notation, 300M), ``max_old_space_size`` (MiB) and/or
    ``cron_restart`` (a 5-field cron pattern). Returns
    ``{text, changed, error}``: on a refusal ``error`` is a sentence and ``text`` the original.
    """
    def refused(message):
        return {"text": text, "changed": False, "error": message}

    if fmt not in FORMATS:
        return refused("format %r is not one of %s" % (fmt, ", ".join(FORMATS)))
    if not isinstance(text, str):
        return refused("the ecosystem file's text is not a string")
    errors = settings_errors(app, settings)
    if errors:
        return refused("; ".join(errors))
    try:
        doc = _document(text, fmt)
        container = apps_of(doc)[0]
        app_index = find_app(container, app)[0]
        new_text = text
        # one setting at a time, each on a fresh read of the text: two members added at one place stay apart
        for key, edits in (("max_memory_restart", _mmr_edits), ("max_old_space_size", _heap_edits),
                           ("max_old_space_size", _node_options_edits), ("cron_restart", _cron_edits)):
            if settings.get(key) is not None:
                step = doc if new_text == text else _document(new_text, fmt)
                mapping = find_app(apps_of(step)[0], app)[1]
                new_text = _apply(new_text, edits(step, mapping, app, settings[key]))
        if new_text != text:
            _self_check(doc, new_text, fmt, app, settings, container, app_index)
    except Refusal as e:
        return refused("%s file: %s" % (fmt.upper() if fmt != "js" else "JavaScript", e))
    except RecursionError:
        return refused("the file nests its values too deeply to be read")
    return {"text": new_text, "changed": new_text != text, "error": None}
