# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random

import pytest
import yaml

from ansible_collections.headroom.memory.plugins.plugin_utils.containers.compose import compose_edit

HERE = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read()


def diff_lines(old, new):
    """(removed, added) lines, for asserting that an edit touched only what it should."""
    a, b = old.splitlines(), new.splitlines()
    return [x for x in a if x not in b], [x for x in b if x not in a]


def test_v2_replaces_mem_limit_in_place_keeping_the_comment_and_case():
    text = fixture("compose_v2.yml")
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["error"] is None and r["changed"] and r["form"] == "mem_limit"
    assert r["key"] == "services.web.mem_limit" and r["keys"] == ["services.web.mem_limit"]
    assert r["text"] == text.replace("    mem_limit: 256m\n", "    mem_limit: 512m\n")


def test_v2_quoted_upper_case_and_byte_count_keep_their_forms():
    text = fixture("compose_v2.yml")
    r = compose_edit(text, "api", {"memory": "1536M", "memory_reservation": "768M"})
    assert r["error"] is None
    assert diff_lines(text, r["text"]) == (
        ['    mem_limit: "1G"    # quoted, upper case', "    mem_reservation: 536870912"],
        ['    mem_limit: "1536M"    # quoted, upper case', "    mem_reservation: 805306368"])


def test_v2_service_without_limit_follows_the_file_and_lands_after_its_block_scalar():
    text = fixture("compose_v2.yml")
    r = compose_edit(text, "db", {"memory": "1G", "memory_swap": "2G"})
    assert r["error"] is None and r["form"] == "mem_limit"
    assert "      -c max_connections=50\n    mem_limit: 1g\n    memswap_limit: 2g\n\n# volumes last\n" in r["text"]
    assert any("written in the mem_limit form (the other services')" in n for n in r["notes"])
    assert yaml.safe_load(r["text"])["services"]["db"]["command"] == \
        yaml.safe_load(text)["services"]["db"]["command"]


def test_new_key_goes_after_a_comment_at_the_services_indentation():
    text = fixture("compose_v2.yml")
    r = compose_edit(text, "api", {"memory": "2G", "memory_swap": "-1"})
    assert "    depends_on:\n      - db\n    memswap_limit: -1\n\n  db:\n" in r["text"]
    assert yaml.safe_load(r["text"])["services"]["api"]["memswap_limit"] == -1


def test_same_size_in_another_notation_changes_nothing():
    text = fixture("compose_v2.yml")
    r = compose_edit(text, "api", {"memory": "1024M", "memory_reservation": "512M"})
    assert r == {"text": text, "changed": False, "form": "mem_limit", "key": "services.api.mem_limit", "keys": [],
                 "notes": [], "error": None}


def test_second_run_changes_nothing():
    text = fixture("compose_v2.yml")
    once = compose_edit(text, "db", {"memory": "700M", "memory_reservation": "300M"})
    twice = compose_edit(once["text"], "db", {"memory": "700M", "memory_reservation": "300M"})
    assert once["changed"] and not twice["changed"] and twice["text"] == once["text"]


def test_v3_deploy_form_is_kept_and_extended():
    text = fixture("compose_v3.yml")
    r = compose_edit(text, "worker", {"memory": "1G", "memory_reservation": "256M"})
    assert r["form"] == "deploy" and r["key"] == "services.worker.deploy.resources.limits.memory"
    pad = " " * 20
    assert diff_lines(text, r["text"]) == ([pad + "memory: 512M", pad + "memory: 128M"],
                                           [pad + "memory: 1G", pad + "memory: 256M"])


def test_v3_missing_levels_are_inserted_at_the_files_indentation():
    text = fixture("compose_v3.yml")
    r = compose_edit(text, "cron", {"memory": "256M", "memory_reservation": "64M"})
    assert r["error"] is None and r["form"] == "deploy"
    assert ("                    cpus: \"0.25\"\n                    memory: 256M\n"
            "                reservations:\n                    memory: 64M\n    mailer:\n") in r["text"]
    r = compose_edit(text, "mailer", {"memory": "128M", "memory_swap": "256M"})
    assert r["text"].endswith("        image: shop/mailer\n        deploy:\n            resources:\n"
                              "                limits:\n                    memory: 128M\n"
                              "        memswap_limit: 256M\n")


def test_merged_limit_is_overridden_on_the_service_and_the_anchor_is_left_alone():
    text = fixture("compose_anchors.yml")
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["error"] is None and r["changed"]
    assert "    <<: *defaults\n    image: nginx\n    mem_limit: 512m\n  jobs:\n" in r["text"]
    loaded = yaml.safe_load(r["text"])
    assert loaded["services"]["web"]["mem_limit"] == "512m" and loaded["services"]["jobs"]["mem_limit"] == "256m"
    assert loaded["x-defaults"]["mem_limit"] == "256m"
    assert any("merged anchor" in n for n in r["notes"])


@pytest.mark.parametrize("service,words", [
    ("clone", "is an alias (*name) of another service's settings"),
    ("base", "carry an anchor that other services reuse"),
    ("heavy", "comes from a merged anchor (<<:); a local deploy: would replace all of it"),
])
def test_anchor_refusals(service, words):
    text = fixture("compose_anchors.yml")
    r = compose_edit(text, service, {"memory": "512M"})
    assert r["changed"] is False and r["text"] == text
    assert words in r["error"] and ("service %s" % service) in r["error"]


@pytest.mark.parametrize("name,service,limits,words", [
    ("compose_flow.yml", "web", {"memory": "512M"}, "services.web is a flow mapping"),
    ("compose_v1.yml", "web", {"memory": "512M"}, "no services: mapping (the version 1 format"),
    ("compose_multidoc.txt", "web", {"memory": "512M"}, "holds 2 YAML documents"),
    ("compose_v2.yml", "nope", {"memory": "512M"}, "has no service nope (it has: api, db, web)"),
    ("compose_v2.yml", "web; rm -rf /", {"memory": "512M"}, "is not a Compose service name"),
    ("compose_v2.yml", "web", {"memory": "lots"}, "limits: memory: size 'lots' is not understood"),
    ("compose_v2.yml", "web", {"memory": "1M"}, "below 6M"),
    ("compose_v2.yml", "web", {"memory": "1G", "memory_swap": "512M"}, "cannot be less than memory"),
    ("compose_v2.yml", "web", {"memory": "1G", "memory_reservation": "2G"}, "is above memory"),
    ("compose_v2.yml", "web", {"memory": "1G", "cpus": 2}, "unknown key(s) cpus"),
    ("compose_v2.yml", "web", {}, "memory is required"),
])
def test_refusals_name_the_value(name, service, limits, words):
    text = fixture(name)
    r = compose_edit(text, service, limits)
    assert r["changed"] is False and r["text"] == text and r["error"] and words in r["error"]


def test_flow_mapping_value_is_replaced_in_place():
    text = fixture("compose_flow.yml")
    r = compose_edit(text, "api", {"memory": "1G"})
    assert r["text"] == text.replace("mem_limit: 256m}", "mem_limit: 1g}")


@pytest.mark.parametrize("text,words", [
    ("services:\n  web:\n    image: x\n    mem_limit: |\n      256m\n", "block scalar"),
    ("services:\n  web:\n    image: x\n    mem_limit: 1g\n    mem_limit: 2g\n", "written 2 times"),
    ("services:\n  web:\n    image: x\n    mem_limit:\n", "has an empty value"),
    ("services:\n  web: [1, 2]\n", "has no settings mapping"),
    ("services: [web]\n", "has no services: mapping"),
    ("services:\n  web:\n    image: x\n  web:\n    image: y\n", "is written twice"),
    ("services:\n  web:\n\timage: x\n", "is not valid YAML"),
    ("x: &a [1]\nservices:\n  web:\n    image: x\n    mem_limit: &m 1g\n  api:\n    image: y\n    mem_limit: *m\n",
     "carries an anchor used elsewhere"),
    ("x: &m 1g\nservices:\n  web:\n    image: x\n    mem_limit: *m\n", "is an alias (*name) of a value"),
    ("services:\n  web:\n    image: x\n    mem_limit: ${WEB_MEM:-1g}\n", "mem_limit is '${WEB_MEM:-1g}', set through"),
    ("services:\r\n  web:\r\n    image: x\n", "mixes"),
])
def test_unsafe_spots_are_refused(text, words):
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["changed"] is False and r["text"] == text and words in r["error"], r["error"]


def test_deploy_null_becomes_a_block():
    text = "services:\n  api:\n    image: a\n    deploy: {resources: {limits: {memory: 1g}}}\n  web:\n    image: x\n" \
           "    deploy:   # later\n"
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["form"] == "deploy"
    assert r["text"].endswith("    deploy:   # later\n      resources:\n        limits:\n          memory: 512m\n")


def test_both_forms_are_kept_equal():
    text = "services:\n  web:\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits:\n          memory: 1g\n"
    r = compose_edit(text, "web", {"memory": "2G"})
    assert r["text"] == text.replace("1g", "2g")
    assert sorted(r["keys"]) == ["services.web.deploy.resources.limits.memory", "services.web.mem_limit"]


def test_deploy_limits_without_memory_take_the_deploy_form_even_when_others_use_mem_limit():
    """docker-compose 1.27-1.29 copy deploy.resources.limits.memory (None here) over mem_limit: a mem_limit
    written beside limits.cpus would be dropped."""
    text = ("services:\n  a:\n    image: a\n    mem_limit: 1g\n  b:\n    image: b\n    mem_limit: 1g\n"
            "  web:\n    image: x\n    deploy:\n      resources:\n        limits:\n          cpus: '0.5'\n")
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["form"] == "deploy" and r["text"] == text + "          memory: 512m\n"
    assert not any("had no memory limit" in n for n in r["notes"])


def test_reservation_in_both_forms_is_kept_equal():
    text = ("services:\n  web:\n    mem_reservation: 128m\n    deploy:\n      resources:\n        reservations:\n"
            "          memory: 128m\n")
    r = compose_edit(text, "web", {"memory": "1G", "memory_reservation": "256M"})
    assert r["form"] == "deploy"
    loaded = yaml.safe_load(r["text"])["services"]["web"]
    assert loaded["mem_reservation"] == "256m" and loaded["deploy"]["resources"]["reservations"]["memory"] == "256m"
    assert loaded["deploy"]["resources"]["limits"]["memory"] == "1g"


def test_crlf_file_keeps_its_line_ends():
    text = fixture("compose_v2.yml").replace("\n", "\r\n")
    r = compose_edit(text, "db", {"memory": "1G"})
    assert r["text"].count("\r\n") == r["text"].count("\n") == text.count("\n") + 1
    assert "      -c max_connections=50\r\n    mem_limit: 1g\r\n\r\n" in r["text"]


def test_file_without_trailing_newline():
    text = "services:\n  web:\n    image: x"
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["text"] == "services:\n  web:\n    image: x\n    mem_limit: 512m"


@pytest.mark.parametrize("text,words", [
    ("a: &a [*a]\nservices:\n  web:\n    image: x\n", "refers to its own anchor"),
    ("services:\n  web: &w\n    image: x\n    self: *w\n", "refers to its own anchor"),
    ("x: " + "[" * 5000 + "]" * 5000 + "\nservices:\n  web:\n    image: x\n", "nested too deeply"),
    ("services:\n  web:\n    image: x\n    ports: !reset []\n", "cannot be read as plain YAML data"),
])
def test_hostile_yaml_is_refused_not_crashed_on(text, words):
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["changed"] is False and r["text"] == text and words in r["error"], r["error"]


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
    text = "\n".join(lines) + "\nservices:\n  web:\n    image: x\n"
    r = compose_edit(text, "web", {"memory": "512M"})
    assert "aliases expand to more than" in r["error"]


def _random_compose(rng):
    """A Compose file of random services, forms, quoting, comments and indentation."""
    step = rng.choice([2, 4])
    pad = " " * step
    services, lines = [], ["# generated", "services:"]
    for i in range(rng.randint(1, 5)):
        name = "%s%d" % (rng.choice(["web", "api", "db", "w.x", "a-b", "s_1"]), i)
        services.append(name)
        lines.append("%s%s:" % (pad, name))
        lines.append("%simage: img%d   # c" % (pad * 2, i))
        form = rng.choice(["none", "v2", "v3"])
        size = rng.choice(["256m", "'1G'", '"512M"', "1073741824", "1.5G", "300M"])
        if form == "v2":
            lines.append("%smem_limit: %s" % (pad * 2, size))
        elif form == "v3":
            lines += ["%sdeploy:" % (pad * 2), "%sresources:" % (pad * 3), "%slimits:" % (pad * 4),
                      "%smemory: %s" % (pad * 5, size)]
        if rng.random() < 0.5:
            lines.append("%s# trailing comment" % rng.choice([pad, pad * 2, ""]))
        if rng.random() < 0.3:
            lines.append("")
    lines += ["volumes:", "%sdata: {}" % pad]
    return "\n".join(lines) + "\n", services


def test_fuzz_edits_change_only_the_limit_keys():
    rng = random.Random(27)
    sizes = ["64M", "100M", "512M", "1G", "1536M", "2G", "3000M"]
    for _round in range(300):
        text, services = _random_compose(rng)
        service = rng.choice(services)
        limits = {"memory": rng.choice(sizes)}
        if rng.random() < 0.3:
            limits["memory_reservation"] = "32M"
        if rng.random() < 0.3:
            limits["memory_swap"] = "4G"
        r = compose_edit(text, service, limits)
        assert r["error"] is None, (text, service, r["error"])
        old, new = yaml.safe_load(text), yaml.safe_load(r["text"])
        for name in services:
            if name != service:
                assert new["services"][name] == old["services"][name]
        svc_old, svc_new = old["services"][service], new["services"][service]
        assert set(svc_new) - set(svc_old) <= {"mem_limit", "memswap_limit", "mem_reservation", "deploy"}
        assert new["volumes"] == old["volumes"]
        assert r["text"].count("# ") == text.count("# ")
        again = compose_edit(r["text"], service, limits)
        assert again["changed"] is False and again["error"] is None


def test_self_check_stops_a_splice_that_changes_anything_else(monkeypatch):
    """The safety net: a (simulated) splice bug that also touches another key is refused, the file kept."""
    from ansible_collections.headroom.memory.plugins.plugin_utils.containers import yamlsplice
    real = yamlsplice.Splicer.apply
    monkeypatch.setattr(yamlsplice.Splicer, "apply", lambda self: real(self).replace("nginx:1.25", "nginx:1.26"))
    text = fixture("compose_v2.yml")
    r = compose_edit(text, "web", {"memory": "512M"})
    assert r["changed"] is False and r["text"] == text
    assert r["error"] == ("compose file, service web: the edited text would change more than the limit keys; "
                          "nothing was changed")
    monkeypatch.setattr(yamlsplice.Splicer, "apply", lambda self: real(self) + "  : [")
    r = compose_edit(text, "web", {"memory": "512M"})
    assert "the edited text no longer parses" in r["error"] and r["text"] == text


def test_reservation_above_the_new_limit_is_lowered_and_said():
    text = fixture("compose_v2.yml")
    r = compose_edit(text, "api", {"memory": "256M"})
    assert diff_lines(text, r["text"]) == (['    mem_limit: "1G"    # quoted, upper case', "    mem_reservation: 536870912"],
                                           ['    mem_limit: "256M"    # quoted, upper case', "    mem_reservation: 268435456"])
    assert r["notes"] == ["compose file, service api: the memory reservation 536870912 was above the new limit; "
                          "lowered to it"]


def test_swap_total_below_the_new_limit_is_refused():
    text = "services:\n  web:\n    mem_limit: 1g\n    memswap_limit: 2g\n"
    r = compose_edit(text, "web", {"memory": "3G"})
    assert r["error"] == ("compose file, service web: the memory-swap total 2g (memory plus swap) is below the new "
                          "memory limit 3G, which the engine refuses; give memory_swap too")
    assert compose_edit(text, "web", {"memory": "3G", "memory_swap": "4G"})["error"] is None
    assert compose_edit(text.replace("2g", "-1"), "web", {"memory": "3G"})["error"] is None
