# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set a few scalar keys of a YAML file by splicing its text, never by dumping it again.

PyYAML's ``compose`` gives every node its start and end position in the text; a value is replaced in place
(keeping its quotes), a missing key is inserted as a new line at the indentation of its mapping's other keys,
so comments, key order, quoting and indentation stay as they were. Whatever cannot be spliced safely raises
EditError with a sentence: a block scalar, a flow mapping to insert into, tabs in the indentation, a key
written twice, a node reached through an alias or shared through an anchor with another part of the file.
After the edits, ``self_check`` parses the new text and proves that only the intended keys changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.containers.limits import EditError

MAP_TAG = "tag:yaml.org,2002:map"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_VISITS = 200000  # paths walked through aliases; past this the file is an alias bomb, not a config


def compose_documents(text, what):
    """The documents' root nodes (None for an empty document); EditError when the text is not YAML."""
    if not isinstance(text, str):
        raise EditError("%s: the file's text must be a string, got %s" % (what, type(text).__name__))
    try:
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise EditError("%s is not valid YAML: %s" % (what, " ".join(str(e).split())))
    except RecursionError:
        raise EditError("%s is nested too deeply to be read" % what)


def load_documents(text, what="the file"):
    """The documents as plain Python data; EditError for what the safe loader cannot build (a local tag such as
    Compose's ``!reset``, a recursive alias)."""
    try:
        return list(yaml.safe_load_all(text))
    except (yaml.YAMLError, RecursionError) as e:
        raise EditError("%s cannot be read as plain YAML data (%s); edit it by hand" % (what, " ".join(str(e).split())[:300]))


def path_counts(root):
    """How many paths lead from the root to each node (by id): more than one means an alias shares it."""
    counts = {}
    visits = [0]
    path = set()

    def walk(node):
        visits[0] += 1
        if visits[0] > MAX_VISITS:
            raise EditError("the file's aliases expand to more than %d nodes; refusing to edit it" % MAX_VISITS)
        if id(node) in path:
            raise EditError("the file holds an alias that refers to its own anchor (a recursive structure); "
                            "refusing to edit it")
        counts[id(node)] = counts.get(id(node), 0) + 1
        path.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(key)
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)
        path.discard(id(node))
    if root is not None:
        walk(root)
    return counts


def is_alias_use(key_node, value_node):
    """True when the value is written as ``*alias``: the node it stands for lies before its own key."""
    return value_node.start_mark.index < key_node.end_mark.index


def local_pairs(node, key):
    return [(k, v) for k, v in node.value
            if isinstance(k, yaml.ScalarNode) and k.tag != MERGE_TAG and k.value == key]


def merged_value(node, key):
    """The value a ``<<`` merge gives ``key`` in a mapping without a local one (first merged mapping wins)."""
    for k, v in node.value:
        if not (isinstance(k, yaml.ScalarNode) and k.tag == MERGE_TAG):
            continue
        sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
        for source in sources:
            if isinstance(source, yaml.MappingNode):
                pairs = local_pairs(source, key)
                if pairs:
                    return pairs[-1][1]
                deeper = merged_value(source, key)
                if deeper is not None:
                    return deeper
    return None


def is_null(node):
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


def content_end(node, text):
    """Where a node's own text ends: its last scalar or flow collection (a block collection's end mark lies at
    the next token, after any comments, and a block scalar's after its trailing blank lines); values written as
    ``*alias`` count only up to their key."""
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        start = node.start_mark.index
        return start + len(text[start:node.end_mark.index].rstrip())
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    end = node.start_mark.index
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            end = max(end, content_end(key, text))
            if not is_alias_use(key, value):
                end = max(end, content_end(value, text))
    else:
        for item in node.value:
            if item.start_mark.index >= node.start_mark.index:
                end = max(end, content_end(item, text))
    return end


def line_start(text, idx):
    return text.rfind("\n", 0, idx) + 1


def line_end(text, idx):
    end = text.find("\n", idx)
    return len(text) if end < 0 else end


class Splicer(object):
    """Collects text edits on one YAML text; ``apply`` returns the new text."""

    def __init__(self, text, root, what):
        self.text = text
        self.what = what
        self.counts = path_counts(root)
        self.edits = []
        self.step = self._indent_step(root)

    @staticmethod
    def _indent_step(root):
        """The file's own indentation step: a block mapping's first key against its parent key."""
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value \
                            and value.start_mark.index > key.end_mark.index:
                        step = value.value[0][0].start_mark.column - key.start_mark.column
                        if 0 < step <= 8:
                            return step
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return 2

    def shared(self, node):
        return self.counts.get(id(node), 0) > 1

    def replace_scalar(self, node, rendered, label):
        """Replace a scalar's text, keeping its quote style (the rendered value is a plain size token)."""
        if not isinstance(node, yaml.ScalarNode):
            raise EditError("%s: %s is a %s, not a size" % (self.what, label, type(node).__name__[:-4].lower()))
        if node.style not in (None, "'", '"'):
            raise EditError("%s: %s is a block scalar (%s); edit it by hand" % (self.what, label, node.style))
        start, end = node.start_mark.index, node.end_mark.index
        if start == end:
            raise EditError("%s: %s has an empty value; write a size there or remove the key" % (self.what, label))
        quote = node.style or ""
        self.edits.append((start, end, "%s%s%s" % (quote, rendered, quote)))

    def _check_indent(self, idx, label):
        prefix = self.text[line_start(self.text, idx):idx]
        if "\t" in prefix:
            raise EditError("%s: %s is indented with tabs; a new key cannot be lined up with it safely"
                            % (self.what, label))

    def _lines(self, column, tree):
        out = []
        for key, sub in tree.items():
            if isinstance(sub, dict):
                out.append("%s%s:" % (" " * column, key))
                out.extend(self._lines(column + self.step, sub))
            else:
                out.append("%s%s: %s" % (" " * column, key, sub))
        return out

    def insert(self, key_node, node, tree, label):
        """Add the keys of ``tree`` (nested dicts of rendered scalars) to the mapping ``node``, the value of
        ``key_node``, as new lines at the indentation of its keys."""
        text = self.text
        if is_null(node) or (isinstance(node, yaml.MappingNode) and node.flow_style and not node.value):
            # `resources: {}` or `deploy:` with nothing: turn the value into a block under its key
            if key_node is None or node.start_mark.line != key_node.start_mark.line:
                raise EditError("%s: %s has an empty value on its own line; edit it by hand" % (self.what, label))
            self._check_indent(key_node.start_mark.index, label)
            start = node.start_mark.index
            if start != node.end_mark.index:  # drop `{}`/`~` and the blanks before it
                while start > key_node.end_mark.index and text[start - 1] in " \t":
                    start -= 1
                self.edits.append((start, node.end_mark.index, ""))
            eol = line_end(text, node.end_mark.index)
            lines = self._lines(key_node.start_mark.column + self.step, tree)
            self.edits.append((eol, eol, "\n" + "\n".join(lines)))
            return
        if not isinstance(node, yaml.MappingNode):
            raise EditError("%s: %s is not a mapping" % (self.what, label))
        if node.flow_style:
            raise EditError("%s: %s is a flow mapping ({...}); a key cannot be added to it safely; "
                            "write it as a block mapping" % (self.what, label))
        first_key = node.value[0][0]
        self._check_indent(first_key.start_mark.index, label)
        column = first_key.start_mark.column
        # the last line the mapping's own text reaches
        floor = content_end(node, text)
        floor_line_end = line_end(text, floor - 1 if floor and text[floor - 1:floor] == "\n" else floor)
        pos = min(node.end_mark.index, len(text))
        prefix = ""
        if not text[line_start(text, pos):pos].strip():
            pos = line_start(text, pos)
        else:
            pos = line_end(text, pos)
            prefix = "\n"
        if not prefix:
            # step back over blank lines and the comments of the next section (indented less than this
            # mapping's keys); a comment at the keys' indentation stays above the new key
            while pos > floor_line_end + 1:
                prev = line_start(text, pos - 1)
                line = text[prev:pos]
                if line.strip() and not (line.lstrip().startswith("#") and len(line) - len(line.lstrip()) < column):
                    break
                pos = prev
            if pos <= floor_line_end:
                pos = floor_line_end
                prefix = "\n"
        if pos == len(text) and text and not text.endswith("\n") and not prefix:
            prefix = "\n"
        body = "\n".join(self._lines(column, tree))
        self.edits.append((pos, pos, prefix + body if prefix else body + "\n"))

    def set_tree(self, node, tree, label, notes, key_node=None):
        """Set every leaf of ``tree`` (nested dicts of rendered scalars) under the mapping ``node``: replace the
        values that exist, insert the keys that do not (all of one mapping's new keys in one place)."""
        if isinstance(node, yaml.MappingNode) and self.shared(node):
            raise EditError("%s: %s is shared through an anchor with another part of the file; "
                            "changing it would change that too" % (self.what, label))
        if is_null(node) or (isinstance(node, yaml.MappingNode) and node.flow_style and not node.value):
            self.insert(key_node, node, tree, label)
            return
        if not isinstance(node, yaml.MappingNode):
            raise EditError("%s: %s is not a mapping" % (self.what, label))
        missing = {}
        for key, sub in tree.items():
            here = "%s.%s" % (label, key)
            pairs = local_pairs(node, key)
            if len(pairs) > 1:
                raise EditError("%s: %s is written %d times; remove the duplicates first" % (self.what, here, len(pairs)))
            if not pairs:
                merged = merged_value(node, key)
                if merged is not None and isinstance(sub, dict):
                    raise EditError("%s: %s comes from a merged anchor (<<:); a local %s: would replace all of it, "
                                    "so set the limit there by hand" % (self.what, here, key))
                if merged is not None:
                    notes.append("%s came from a merged anchor (<<:); the anchor is left as it is and the key is "
                                 "set here, where it overrides the merged value" % here)
                missing[key] = sub
                continue
            sub_key, value = pairs[0]
            if is_alias_use(sub_key, value):
                raise EditError("%s: %s is an alias (*name) of a value defined elsewhere; edit it by hand"
                                % (self.what, here))
            if isinstance(sub, dict):
                self.set_tree(value, sub, here, notes, sub_key)
                continue
            if self.shared(value):
                raise EditError("%s: %s carries an anchor used elsewhere in the file; changing it would "
                                "change that too" % (self.what, here))
            self.replace_scalar(value, sub, here)
        if missing:
            self.insert(key_node, node, missing, label)

    def apply(self):
        edits = sorted(self.edits, key=lambda e: (e[0], e[1]))
        for (_s1, e1, _t1), (s2, _e2, _t2) in zip(edits, edits[1:]):
            if s2 < e1:
                raise EditError("%s: two edits overlap; refusing to write a mangled file" % self.what)
        text = self.text
        for start, end, new in reversed(edits):
            text = text[:start] + new + text[end:]
        return text


def build_tree(changes):
    """[(path tuple, rendered)] as nested dicts, in the order given."""
    tree = {}
    for path, rendered in changes:
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = rendered
    return tree


def plain(value):
    """A loaded YAML value with no shared sub-objects, for comparing two parses."""
    if isinstance(value, dict):
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def scalar_value(rendered):
    """What YAML reads the rendered scalar as (``512m`` a string, ``536870912`` an int)."""
    return yaml.safe_load(rendered)


def self_check(what, old_text, new_text, expect):
    """Parse the new text and require it to equal the old parse changed by ``expect(docs)`` only."""
    try:
        new_docs = [plain(d) for d in load_documents(new_text)]
    except EditError as e:
        raise EditError("%s: the edited text no longer parses (%s); nothing was changed" % (what, e))
    wanted = [plain(d) for d in load_documents(old_text, what)]
    expect(wanted)
    if new_docs != wanted:
        raise EditError("%s: the edited text would change more than the limit keys; nothing was changed" % what)
