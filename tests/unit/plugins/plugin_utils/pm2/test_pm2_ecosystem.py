# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PM2 ecosystem files in the three formats: the intended lines change and nothing else; refusals say why."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import os
import random
import shutil
import subprocess
import tempfile

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.ecosystem import edit, file_format, heap_tokens, Refusal
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.jsliteral import JSReadError, Reader, tokenize

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
BOTH = {"max_memory_restart": "300M", "max_old_space_size": 224}


def fixture(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read()


def changed_lines(old, new):
    """(removed, added) lines of a line diff."""
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), n=0, lineterm=""))
    body = [d for d in diff if not d.startswith(("---", "+++", "@@"))]
    return [d[1:] for d in body if d[0] == "-"], [d[1:] for d in body if d[0] == "+"]


EDITS = [
    ("ecosystem.config.js", "api",
     ["      node_args: '--enable-source-maps --max_old_space_size=2048',", "      max_memory_restart: '1G',"],
     ["      node_args: '--enable-source-maps --max-old-space-size=224',", "      max_memory_restart: '300M',"]),
    ("ecosystem.config.js", "worker",
     ['      node_args: ["--trace-gc", "--max-old-space-size=512"],', '      env: { QUEUE: "jobs" }'],
     ['      node_args: ["--trace-gc", "--max-old-space-size=224"],', '      env: { QUEUE: "jobs" },',
      '      max_memory_restart: "300M"']),
    ("ecosystem.config.js", "cron", [],   # no name: PM2 names it after the script
     ["      max_memory_restart: '300M',", "      node_args: '--max-old-space-size=224',"]),
    ("ecosystem.config.js", "tiny", ["    { name: 'tiny', script: 'tiny.js' },"],
     ["    { name: 'tiny', script: 'tiny.js', max_memory_restart: '300M', node_args: '--max-old-space-size=224' },"]),
    ("ecosystem.config.cjs", "api", ['    "interpreter_args": "--expose-gc"'],
     ['    "interpreter_args": "--expose-gc --max-old-space-size=224",', '    "max_memory_restart": "300M"']),
    ("ecosystem.config.cjs", "mailer", ['    "maxMemoryRestart": 209715200'],
     ['    "maxMemoryRestart": "300M",', '    "node_args": "--max-old-space-size=224"']),
    ("ecosystem.config.mjs", "web", ["  apps: [{name: 'web', script: 'web.mjs', node_args: ['--max-old-space-size', '300']}],"],
     ["  apps: [{name: 'web', script: 'web.mjs', node_args: ['--max-old-space-size=224'], max_memory_restart: '300M'}],"]),
    ("computed.config.js", "plain", ["    { name: 'plain', script: 'g.js', max_memory_restart: `300M` },"],
     ["    { name: 'plain', script: 'g.js', max_memory_restart: `300M`, node_args: '--max-old-space-size=224' },"]),
    ("ecosystem.json", "api", ['                "--enable-source-maps"', "            ]"],
     ['                "--enable-source-maps",', '                "--max-old-space-size=224"', "            ],",
      '            "max_memory_restart": "300M"']),
    ("ecosystem.json", "worker",
     ['            "max_memory_restart": "2G",', '            "node_args": "--max-old-space-size=4096 --trace-warnings"'],
     ['            "max_memory_restart": "300M",', '            "node_args": "--max-old-space-size=224 --trace-warnings"']),
    ("ecosystem-comments.json", "api", [], ["    node_args: '--max-old-space-size=224',"]),
    ("ecosystem.yml", "api", ['      - "--max-old-space-size=1536"   # set by hand in 2024'],
     ['      - "--max-old-space-size=224"   # set by hand in 2024', "    max_memory_restart: 300M"]),
    ("ecosystem.yml", "worker", ["    interpreter_args: '--trace-gc --max_old_space_size=900'", "    max_memory_restart: 1G"],
     ["    interpreter_args: '--trace-gc --max-old-space-size=224'", "    max_memory_restart: 300M"]),
    ("ecosystem.yml", "flow", ["  - {name: flow, script: flow.js, node_args: [--trace-gc]}"],
     ["  - {name: flow, script: flow.js, node_args: [--trace-gc, --max-old-space-size=224], max_memory_restart: 300M}"]),
    ("ecosystem.yml", "bare", [], ["    max_memory_restart: 300M", "    node_args: --max-old-space-size=224"]),
]


@pytest.mark.parametrize("name, app, removed, added", EDITS, ids=["%s-%s" % (e[0], e[1]) for e in EDITS])
def test_only_the_apps_settings_change_and_a_second_run_changes_nothing(name, app, removed, added):
    text = fixture(name)
    result = edit(text, file_format(name), app, BOTH)
    assert result["error"] is None and result["changed"] is True
    assert changed_lines(text, result["text"]) == (removed, added)
    again = edit(result["text"], file_format(name), app, BOTH)
    assert again == {"text": result["text"], "changed": False, "error": None}


def test_the_edited_yaml_and_json_read_as_pm2_would_read_them():
    data = yaml.safe_load(edit(fixture("ecosystem.yml"), "yaml", "worker", BOTH)["text"])
    assert data["apps"][1] == {"name": "worker", "script": "worker.js", "max_memory_restart": "300M",
                               "interpreter_args": "--trace-gc --max-old-space-size=224"}
    assert data["apps"][0]["node_args"] == ["--enable-source-maps", "--max-old-space-size=1536"]   # api untouched
    data = json.loads(edit(fixture("ecosystem.json"), "json", "api", BOTH)["text"])
    assert list(data["apps"][0]) == ["name", "script", "instances", "exec_mode", "node_args", "max_memory_restart"]
    assert data["apps"][0]["node_args"] == ["--enable-source-maps", "--max-old-space-size=224"]


def test_one_setting_alone_leaves_the_other_key_as_it_was():
    text = fixture("ecosystem.json")
    only_heap = edit(text, "json", "worker", {"max_old_space_size": 512})
    assert changed_lines(text, only_heap["text"]) == (
        ['            "node_args": "--max-old-space-size=4096 --trace-warnings"'],
        ['            "node_args": "--max-old-space-size=512 --trace-warnings"'])
    only_mmr = edit(text, "json", "worker", {"max_memory_restart": "2G"})
    assert only_mmr == {"text": text, "changed": False, "error": None}


REFUSALS = [
    ("computed.config.js", "env-threshold",
     "app env-threshold: max_memory_restart is computed (process.env.PM2_MAX_MEM): set it by hand to 300M"),
    ("computed.config.js", "template-args", "node_args is computed (`--max-old-space-size=${heap}`): set it by hand to "
                                            "include --max-old-space-size=224"),
    ("computed.config.js", "concat", "max_memory_restart is computed (300 + 'M'): set it by hand to 300M"),
    ("computed.config.js", "call-args", "node_args holds a computed item (flag())"),
    ("computed.config.js", "spread", "has a spread or computed key (...common) that may set node_args: "
                                     "set the heap flag --max-old-space-size=224 in node_args by hand"),
    ("computed.config.js", "missing", "app missing is not among the apps with a plain name in the file, and entry 6, "
                                      "whose name is path.basename(__dirname) cannot be read without running the file"),
    ("ecosystem.config.js", "missing", "app missing is not in the file (it defines api, worker, cron, tiny)"),
    ("duplicate.yml", "api", "app api is defined 2 times in the file (entries 1, 2)"),
    ("duplicate.json", "api", "app api is defined 2 times in the file (entries 1, 2)"),   # the second by its script
    ("anchors.yml", "api", "the merge key << at line 8, column 5"),
    ("anchors.yml", "shared", "a value shared through a YAML anchor (line 11, column 16)"),
    ("anchors.yml", "other", "a value shared through a YAML anchor"),
]


@pytest.mark.parametrize("name, app, message", REFUSALS, ids=["%s-%s" % (r[0], r[1]) for r in REFUSALS])
def test_refusals_name_the_files_problem_and_leave_the_text(name, app, message):
    text = fixture(name)
    result = edit(text, file_format(name), app, BOTH)
    assert result["changed"] is False and result["text"] == text
    assert message in result["error"], result["error"]


@pytest.mark.parametrize("text, fmt, message", [
    ("const c = {apps: []};\nmodule.exports = c;\nc.apps.push({name: 'api'});\n", "js", "is changed after its declaration"),
    ("module.exports = {apps: []};\nmodule.exports = {apps: []};\n", "js", "2 module.exports/export default"),
    ("module.exports = build();\n", "js", "module.exports is not an object literal or a variable"),
    ("module.exports = {apps: load('x')};\n", "js", "apps is not a list literal (load('x'))"),
    ("module.exports = {apps: [{name: 'api', script: /x/.source}]};\n", "js", "a regular expression or a division"),
    ("module.exports = {apps: [{name: 'api'}]", "js", "cannot be read"),
    ("{apps: [{name: 'api', node_args: '--x'}, ]", "json", "cannot be read"),
    ("apps:\n  - name: api\n    node_args: |\n      --x\n", "yaml", "block scalar"),
    ("apps: [\n", "yaml", "cannot be read as YAML"),
    ("apps:\n  - name: api\n    max_memory_restart: 1G\n    maxMemoryRestart: 2G\n", "yaml",
     "sets max_memory_restart and maxMemoryRestart"),
    ("apps:\n  - name: api\n    node_args: --max-old-space-size\n", "yaml", "has no number after it"),
    ("apps:\n  - name: api\n    node_args: [--max-old-space-size=1--x]\n", "yaml", "holds a heap flag among other text"),
    ("", "yaml", "the file is empty"),
])
def test_unsupported_structures_are_refused(text, fmt, message):
    result = edit(text, fmt, "api", BOTH)
    assert result["changed"] is False and result["text"] == text
    assert message in result["error"], result["error"]


@pytest.mark.parametrize("settings, message", [
    ({"max_memory_restart": "300"}, "PM2 takes a bare number as bytes"),
    ({"max_memory_restart": "1.5G"}, "refuses fractions"),
    ({"max_memory_restart": "300m"}, "lower case"),
    ({"max_memory_restart": 300}, "not what PM2 reads"),
    ({"max_old_space_size": 0}, "between 1 and"),
    ({"max_old_space_size": True}, "between 1 and"),
    ({"max_old_space_size": "256"}, "between 1 and"),
    ({}, "nothing to set"),
    ({"max_memory_restart": "300M", "heap": 1}, "unknown key(s) heap"),
    (["300M"], "is not a dict"),
])
def test_bad_settings_are_refused_before_the_file_is_read(settings, message):
    result = edit("not even a file {", "js", "api", settings)
    assert result["changed"] is False and message in result["error"]


def test_bad_format_and_app_name():
    assert "format 'toml'" in edit("", "toml", "api", BOTH)["error"]
    assert "is not a PM2 app name" in edit("{}", "json", "a\nb", BOTH)["error"]
    assert "is not a PM2 app name" in edit("{}", "json", "", BOTH)["error"]


@pytest.mark.parametrize("path, fmt", [
    ("/srv/app/ecosystem.config.js", "js"), ("/srv/app/ecosystem.config.cjs", "js"), ("x.config.mjs", "js"),
    ("/srv/app/ecosystem.json", "json"), ("process.yml", "yaml"), ("pm2.yaml", "yaml"), ("/srv/app/app.toml", None),
    (None, None),
])
def test_file_format(path, fmt):
    assert file_format(path) == fmt


def test_heap_tokens():
    assert heap_tokens(["--a", "--max-old-space-size", "300", "--b"], 64) == ["--a", "--max-old-space-size=64", "--b"]
    assert heap_tokens(["--max_old_space_size=1", "--x", "--max-old-space-size=2"], 64) == [
        "--max-old-space-size=64", "--x"]
    assert heap_tokens([], 64) == ["--max-old-space-size=64"]
    with pytest.raises(Refusal):
        heap_tokens(["--max-old-space-size", "--x"], 64)


def test_tokenizer_reads_strings_comments_and_templates():
    text = "a = 'it\\'s // not a comment' /* c */ + \"\\u0041\\x42\" + `t${ {a: '}'}.a }x` // end\n"
    kinds = [(t.kind, t.value) for t in tokenize(text)]
    assert ("string", "it's // not a comment") in kinds and ("string", "AB") in kinds
    assert [k for k, _v in kinds].count("template") == 1 and ("punct", "+") in kinds
    node = Reader("{a: [1, -2, 0x10, true, null, 'x'], b: f(1, [2]), 'c-d': {e: `plain`}}").value(0, (None,))[0]
    values = dict((e.key, e.value) for e in node.entries)
    assert [i.value for i in values["a"].items] == [1, -2, 16, True, None, "x"]
    assert values["b"].kind == "computed" and values["b"].text == "f(1, [2])"
    assert values["c-d"].entries[0].value.value == "plain"
    for bad in ("'open", "/* open", "`open", "a = 'x\\u12'"):
        with pytest.raises(JSReadError):
            tokenize(bad)


# ---------------------------------------------------------------------------------------------------------
# fuzz-ish: random files, random edits; whatever is not refused changes only the intended keys

ARG_POOL = ["--enable-source-maps", "--trace-gc", "--expose-gc", "--max-old-space-size=1024", "--max_old_space_size=77",
            "--stack-size=2000", "--no-warnings"]
OTHER_KEYS = [("script", lambda r: "s%d.js" % r.randint(0, 9)), ("instances", lambda r: r.randint(1, 4)),
              ("exec_mode", lambda r: r.choice(["fork", "cluster"])), ("watch", lambda r: r.choice([True, False])),
              ("env", lambda r: {"NODE_ENV": r.choice(["production", "it's"]), "PORT": r.randint(1, 65535)}),
              ("env_production", lambda r: {"NODE_OPTIONS": r.choice(["--max-old-space-size=900 --trace-gc",
                                                                      "--max_old_space_size 64", "--no-deprecation"])}),
              ("cwd", lambda r: "/srv/a b/\"q\"")]


def random_apps(r):
    apps = []
    for i in range(r.randint(1, 4)):
        app = {"name": "app%d" % i}
        for key, make in r.sample(OTHER_KEYS, r.randint(0, len(OTHER_KEYS))):
            app[key] = make(r)
        if r.random() < 0.5:
            app[r.choice(["max_memory_restart", "maxMemoryRestart"])] = r.choice(["1G", "300M", "512000K", 104857600])
        if r.random() < 0.6:
            args = r.sample(ARG_POOL, r.randint(0, 3))
            app[r.choice(["node_args", "interpreter_args", "interpreterArgs"])] = args if r.random() < 0.5 else " ".join(args)
        items = list(app.items())
        r.shuffle(items)
        apps.append(dict([("name", app["name"])] + [kv for kv in items if kv[0] != "name"]))
    return {"apps": apps}


def js_value(value, r, indent):
    pad = "  " * indent
    if isinstance(value, dict):
        quote = r.choice(["", "'", '"'])
        members = ["%s%s%s: %s" % (quote, k, quote, js_value(v, r, indent + 1)) for k, v in value.items()]
        if r.random() < 0.2:
            return "{ " + ", ".join(members) + " }"
        trailing = r.choice(["", ","])
        lines = ["%s  %s%s%s" % (pad, m, "," if i < len(members) - 1 else trailing, r.choice(["", " // note", " /* c */"]))
                 for i, m in enumerate(members)]
        return "{\n" + "\n".join(lines) + "\n" + pad + "}"
    if isinstance(value, list):
        return "[" + ", ".join(js_value(v, r, indent + 1) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if r.random() < 0.5 else "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def render(data, fmt, r):
    if fmt == "json":
        return json.dumps(data, indent=r.choice([2, 4, "\t"]))
    if fmt == "yaml":
        return "# generated\n" + yaml.safe_dump(data, default_flow_style=r.choice([False, None]), sort_keys=False)
    return "// generated\nmodule.exports = %s;\n" % js_value(data, r, 0)


def expected(data, app, settings):
    """What the app must read after the edit, as PM2 resolves its keys."""
    want = json.loads(json.dumps(data))
    entry = next(a for a in want["apps"] if a["name"] == app)
    mmr = next((k for k in ("max_memory_restart", "maxMemoryRestart") if k in entry), "max_memory_restart")
    entry[mmr] = settings["max_memory_restart"]
    args_key = next((k for k in ("node_args", "interpreter_args", "interpreterArgs") if k in entry), "node_args")
    args = entry.get(args_key, "")
    flag = "--max-old-space-size=%d" % settings["max_old_space_size"]
    if isinstance(args, list):
        heap = [i for i, a in enumerate(args) if "old" in a]
        entry[args_key] = [flag if i == heap[0] else a for i, a in enumerate(args) if "old" not in a or i == heap[0]] \
            if heap else args + [flag]
    else:
        tokens = args.split()
        heap = [i for i, a in enumerate(tokens) if "old" in a]
        tokens = [flag if i == heap[0] else a for i, a in enumerate(tokens) if "old" not in a or i == heap[0]] \
            if heap else tokens + [flag]
        entry[args_key] = " ".join(tokens)
    if "env_production" in entry:   # the heap flag is said once, in the interpreter arguments
        tokens = entry["env_production"]["NODE_OPTIONS"].split()
        entry["env_production"]["NODE_OPTIONS"] = " ".join(t for t in tokens if "old" not in t and t != "64")
    return want


def load_js(texts):
    """The values of JS files as node reads them (None without node)."""
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        return None
    tmp = tempfile.mkdtemp()
    try:
        paths = []
        for i, text in enumerate(texts):
            paths.append(os.path.join(tmp, "f%d.config.cjs" % i))
            with open(paths[-1], "w") as f:
                f.write(text)
        script = "console.log(JSON.stringify(process.argv.slice(1).map(p => require(p))))"
        out = subprocess.run([node, "-e", script] + paths, capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout)
    finally:
        shutil.rmtree(tmp)


@pytest.mark.parametrize("fmt", ["json", "yaml", "js"])
def test_random_edits_change_only_the_intended_keys(fmt):
    r = random.Random("pm2-%s" % fmt)
    js_checks = []
    edited = 0
    for _round in range(60):
        data = random_apps(r)
        text = render(data, fmt, r)
        app = r.choice(data["apps"])["name"]
        settings = {"max_memory_restart": r.choice(["300M", "1G", "2048M"]), "max_old_space_size": r.randint(16, 4096)}
        result = edit(text, fmt, app, settings)
        assert result["error"] is None, (text, result["error"])
        edited += 1
        want = expected(data, app, settings)
        if fmt == "json":
            assert json.loads(result["text"]) == want
        elif fmt == "yaml":
            assert yaml.safe_load(result["text"]) == want
        else:
            js_checks.append((result["text"], want))
        assert edit(result["text"], fmt, app, settings)["changed"] is False
    assert edited == 60
    if js_checks:
        loaded = load_js([t for t, _w in js_checks])
        if loaded is None:
            pytest.skip("node is not installed: the JavaScript results were edited but not run")
        for (text, want), got in zip(js_checks, loaded):
            assert got == want, text


@pytest.mark.parametrize("name", ["ecosystem.config.js", "ecosystem.json", "ecosystem.yml"])
def test_crlf_files_keep_their_line_endings(name):
    text = fixture(name).replace("\n", "\r\n")
    for app in ("api", "worker"):
        result = edit(text, file_format(name), app, BOTH)
        assert result["error"] is None and result["changed"]
        assert "\n" not in result["text"].replace("\r\n", "")
        assert edit(result["text"], file_format(name), app, BOTH)["changed"] is False


def test_a_removed_block_list_item_takes_its_line():
    text = "apps:\n  - name: api\n    node_args:\n      - --max-old-space-size=1\n      - --trace-gc\n" \
           "      - --max_old_space_size=2\n    script: a.js\n"
    result = edit(text, "yaml", "api", {"max_old_space_size": 64})
    assert result["text"] == "apps:\n  - name: api\n    node_args:\n      - --max-old-space-size=64\n      - --trace-gc\n" \
                             "    script: a.js\n"


def test_a_spread_before_an_absent_threshold_is_overridden_by_the_added_key():
    text = fixture("computed.config.js")
    result = edit(text, "js", "spread", {"max_memory_restart": "300M"})
    assert changed_lines(text, result["text"]) == (
        ["    { ...common, name: 'spread', script: 'e.js' },"],
        ["    { ...common, name: 'spread', script: 'e.js', max_memory_restart: '300M' },"])
    # a spread after the key may override it
    later = "module.exports = {apps: [{name: 'api', max_memory_restart: '1G', ...over}]};\n"
    assert "(...over) that may set max_memory_restart" in edit(later, "js", "api", {"max_memory_restart": "300M"})["error"]


def test_yaml_merge_keys_and_aliases_keep_the_edit_in_the_app():
    text = fixture("anchors.yml")
    data = yaml.safe_load(edit(text, "yaml", "api", {"max_memory_restart": "512M"})["text"])
    assert data["apps"][0]["max_memory_restart"] == "512M" and data["defaults"]["max_memory_restart"] == "300M"
    data = yaml.safe_load(edit(text, "yaml", "other", {"max_memory_restart": "512M"})["text"])
    assert data["apps"][2]["max_memory_restart"] == "512M" and "max_memory_restart" not in data["apps"][1]


def test_node_options_heap_flags_are_taken_out_so_the_heap_is_said_once():
    text = ("module.exports = {apps: [{name: 'api', script: 'a.js',\n"
            "  env: {NODE_OPTIONS: '--max-old-space-size=900 --enable-source-maps'},\n"
            "  env_production: {NODE_OPTIONS: process.env.OPTS, PORT: 3000},\n"
            "  env_staging: {NODE_OPTIONS: \"--max_old_space_size 900\"}}]};\n")
    result = edit(text, "js", "api", {"max_old_space_size": 100})
    assert changed_lines(text, result["text"]) == (
        ["  env: {NODE_OPTIONS: '--max-old-space-size=900 --enable-source-maps'},",
         '  env_staging: {NODE_OPTIONS: "--max_old_space_size 900"}}]};'],
        ["  env: {NODE_OPTIONS: '--enable-source-maps'},",
         '  env_staging: {NODE_OPTIONS: ""},', "  node_args: '--max-old-space-size=100'}]};"])


@pytest.mark.parametrize("text, fmt", [("[" * 5000 + "]" * 5000, "json"),
                                       ("module.exports = {apps: " + "[" * 5000 + "]" * 5000 + "};", "js"),
                                       ("apps: " + "[" * 5000 + "]" * 5000, "yaml")])
def test_deep_nesting_is_refused_not_a_crash(text, fmt):
    result = edit(text, fmt, "api", BOTH)
    assert result["changed"] is False and result["error"]


# --- cron_restart: a scheduled restart, written like max_memory_restart (one key, its alias cron) -------------------

CRON = {"cron_restart": "0 4 * * *"}
CRON_EDITS = [
    ("ecosystem.json", "worker", ['            "node_args": "--max-old-space-size=4096 --trace-warnings"'],
     ['            "cron_restart": "0 4 * * *"']),
    ("ecosystem.yml", "bare", [], ['    cron_restart: "0 4 * * *"']),
    ("ecosystem.yml", "flow", ["  - {name: flow, script: flow.js, node_args: [--trace-gc]}"],
     ['  - {name: flow, script: flow.js, node_args: [--trace-gc], cron_restart: "0 4 * * *"}']),
    ("ecosystem.config.js", "tiny", ["    { name: 'tiny', script: 'tiny.js' },"],
     ["    { name: 'tiny', script: 'tiny.js', cron_restart: '0 4 * * *' },"]),
]


@pytest.mark.parametrize("name, app, removed, added", CRON_EDITS, ids=["%s-%s" % (e[0], e[1]) for e in CRON_EDITS])
def test_cron_restart_is_added_alone_and_a_second_run_changes_nothing(name, app, removed, added):
    text = fixture(name)
    result = edit(text, file_format(name), app, CRON)
    assert result["error"] is None and result["changed"] is True
    removed_now, added_now = changed_lines(text, result["text"])
    assert removed_now == removed and [a for a in added_now if "cron" in a] == added
    assert edit(result["text"], file_format(name), app, CRON) == {"text": result["text"], "changed": False, "error": None}


def test_cron_restart_reads_back_as_pm2_reads_it_with_the_other_settings():
    data = yaml.safe_load(edit(fixture("ecosystem.yml"), "yaml", "worker", dict(BOTH, **CRON))["text"])
    assert data["apps"][1]["cron_restart"] == "0 4 * * *" and data["apps"][1]["max_memory_restart"] == "300M"
    data = json.loads(edit(fixture("ecosystem.json"), "json", "api", dict(BOTH, **CRON))["text"])
    assert data["apps"][0]["cron_restart"] == "0 4 * * *" and data["apps"][0]["max_memory_restart"] == "300M"
    loaded = load_js([edit(fixture("ecosystem.config.js"), "js", "tiny", CRON)["text"]])
    if loaded is not None:
        assert [a for a in loaded[0]["apps"] if a.get("name") == "tiny"][0]["cron_restart"] == "0 4 * * *"


@pytest.mark.parametrize("text, fmt, changed", [
    ("apps:\n  - name: api\n    cron: '0 3 * * *'\n", "yaml", "apps:\n  - name: api\n    cron: '0 4 * * *'\n"),
    ('{"apps": [{"name": "api", "cron_restart": 0}]}', "json", '{"apps": [{"name": "api", "cron_restart": "0 4 * * *"}]}'),
])
def test_an_existing_cron_restart_or_its_alias_is_replaced(text, fmt, changed):
    assert edit(text, fmt, "api", CRON) == {"text": changed, "changed": True, "error": None}


@pytest.mark.parametrize("text, fmt, message", [
    ("module.exports = {apps: [{name: 'api', cron_restart: process.env.CRON}]};\n", "js",
     "cron_restart is computed (process.env.CRON): set it by hand to 0 4 * * *"),
    ("apps:\n  - name: api\n    cron: '0 3 * * *'\n    cron_restart: '0 2 * * *'\n", "yaml", "sets cron and cron_restart"),
])
def test_a_computed_or_doubled_cron_restart_is_refused(text, fmt, message):
    result = edit(text, fmt, "api", CRON)
    assert result["changed"] is False and message in result["error"], result["error"]


@pytest.mark.parametrize("cron", ["0 4 * *", "0 4 * * * *", "@daily", "0 4 * * MON", "0 4 * * *\n", "0 4 * * *; x",
                                  "0  4 * * *", 0, "0", None.__class__.__name__])
def test_a_cron_restart_that_is_not_a_plain_5_field_pattern_is_refused(cron):
    result = edit("{}", "json", "api", {"cron_restart": cron})
    assert result["changed"] is False and "is not a 5-field cron pattern" in result["error"]
