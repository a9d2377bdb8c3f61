"""Every plugin's documentation and every role entry point carries version_added (antsibull-changelog's
'New Modules/Plugins/Roles' sections and the docs site read it). Prints the ones without; exit 1 if any.
usage: python tools/check_version_added.py <collection root>"""
import ast
import os
import sys

import yaml


def plugin_docs(root):
    for kind in sorted(os.listdir(os.path.join(root, "plugins"))):
        folder = os.path.join(root, "plugins", kind)
        if kind in ("module_utils", "plugin_utils", "doc_fragments", "action") or not os.path.isdir(folder):
            continue  # action plugins are documented by their module
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.startswith("_"):
                continue
            if name.endswith(".yml"):
                with open(path, encoding="utf-8") as f:
                    yield path, (yaml.safe_load(f) or {}).get("DOCUMENTATION")
            elif name.endswith(".py") and kind != "filter":  # filters are documented in .yml files
                with open(path, encoding="utf-8") as f:
                    tree = ast.parse(f.read())
                doc = next((n.value.value for n in tree.body if isinstance(n, ast.Assign)
                            and any(getattr(t, "id", "") == "DOCUMENTATION" for t in n.targets)), None)
                yield path, yaml.safe_load(doc) if doc else None


def main(root):
    missing = []
    for path, doc in plugin_docs(root):
        if not isinstance(doc, dict) or not doc.get("version_added"):
            missing.append(os.path.relpath(path, root))
    roles = os.path.join(root, "roles")
    for role in sorted(os.listdir(roles)):
        specs = os.path.join(roles, role, "meta", "argument_specs.yml")
        if not os.path.isfile(specs):
            missing.append("roles/%s (no meta/argument_specs.yml)" % role)
            continue
        with open(specs, encoding="utf-8") as f:
            entry_points = (yaml.safe_load(f) or {}).get("argument_specs") or {}
        missing += ["roles/%s entry point %s" % (role, e) for e, spec in sorted(entry_points.items())
                    if not spec.get("version_added")]
    print("\n".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
