# headroom.memory: `make diagnose` (this machine's memory and OOM history) and `make test` (every test).
# Both do their own set-up on a fresh Debian 12 machine: a local .venv with pinned versions and, for
# the molecule tests, rootful podman and locally built systemd test-host images (needs root).
SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Extra arguments: make diagnose ARGS='-e diagnose_since=7d', make molecule SCENARIO=swap,
# make molecule SCENARIO=swap MOLECULE_CMD=converge, make unit PYTEST_ARGS='-k oom', make bench BENCH=oom_scan
ARGS ?=
SCENARIO ?=
export SCENARIO MOLECULE_CMD PYTEST_ARGS SANITY_ARGS CORE216_SCENARIOS

.PHONY: diagnose test unit specs sanity lint build release job core216 molecule mutation bench venv hosts clean ee docs

diagnose: venv
	@tools/install-collection.sh >/dev/null
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.work/install ansible-playbook headroom.memory.diagnose $(ARGS)

test:
	tools/test.sh

unit specs sanity lint build release job core216:
	tools/test.sh $@

molecule: venv
	@tools/setup-hosts.sh
	@tools/sync-collection.sh >/dev/null
	tools/molecule.sh $(SCENARIO)

# mutation testing of the parsers, sizing and plan code (minutes; not part of `make test`):
# make mutation, or make mutation MODULES='module_utils/sizes.py' (paths under plugins/)
# TESTS='tests/unit/plugins/module_utils/test_sizes.py' narrows the tests run (default: all of tests/unit)
mutation: venv
	MUTATION_TESTS='$(TESTS)' tools/mutation.sh $(MODULES)

bench: venv
	tools/bench.sh $(BENCH)

# the build context of an execution environment with the built tarball (ansible-builder create; no image)
ee: venv
	tools/ee.sh

# the antsibull-docs site of the collection, built offline: .work/docs/build/html/index.html
docs: venv
	tools/docs.sh

venv:
	@tools/setup-venv.sh

hosts:
	tools/setup-hosts.sh

clean:
	rm -rf .work headroom-report
