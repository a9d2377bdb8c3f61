"""Check every role's defaults/main.yml against its meta/argument_specs.yml, so the two never drift.

For each role: every default is documented as an option of the `main` entry point and every option
with a default in defaults/main.yml says the same default; every public variable carries the role's
prefix; nothing private (`__role_...`) sits in defaults. Prints 'ok <role>' or 'FAIL <role>: why'.
usage: python tools/check_argument_specs.py roles
"""
import os
import sys

import yaml


def check_role(path):
    """Return a list of problems found in the role at path."""
    role = os.path.basename(path.rstrip("/"))
    prefix = role.replace("-", "_") + "_"
    problems = []
    defaults_file = os.path.join(path, "defaults", "main.yml")
    specs_file = os.path.join(path, "meta", "argument_specs.yml")
    if not os.path.isfile(specs_file):
        return ["meta/argument_specs.yml is missing"]
    with open(specs_file, encoding="utf-8") as f:
        specs = (yaml.safe_load(f) or {}).get("argument_specs") or {}
    defaults = {}
    if os.path.isfile(defaults_file):
        with open(defaults_file, encoding="utf-8") as f:
            defaults = yaml.safe_load(f) or {}
    if "main" not in specs:
        return ["argument_specs has no 'main' entry point"]
    options = specs["main"].get("options") or {}
    for name in sorted(defaults):
        if name.startswith("__"):
            problems.append("private variable %s belongs in vars/, not defaults/" % name)
        elif not name.startswith(prefix):
            problems.append("public variable %s lacks the role prefix %s" % (name, prefix))
        if name not in options:
            problems.append("default %s is not documented in argument_specs" % name)
            continue
        spec = options[name]
        if "default" in spec and spec["default"] != defaults[name]:
            problems.append("%s: argument_specs default %r != defaults/main.yml %r" % (name, spec["default"], defaults[name]))
        if not spec.get("description"):
            problems.append("%s has no description" % name)
    for name, spec in sorted(options.items()):
        if not name.startswith(prefix):
            problems.append("option %s lacks the role prefix %s" % (name, prefix))
        if name not in defaults and not spec.get("required") and "default" in spec:
            problems.append("option %s has a default in argument_specs but none in defaults/main.yml" % name)
    return problems


def main(argv):
    roles_dir = argv[1] if len(argv) > 1 else "roles"
    failed = 0
    roles = sorted(d for d in os.listdir(roles_dir) if os.path.isdir(os.path.join(roles_dir, d))) if os.path.isdir(roles_dir) else []
    for role in roles:
        problems = check_role(os.path.join(roles_dir, role))
        if problems:
            failed += 1
            print("FAIL %s: %s" % (role, "; ".join(problems)))
        else:
            print("ok %s" % role)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
