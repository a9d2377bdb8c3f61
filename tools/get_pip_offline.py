"""Stand-in for ansible-test's pip bootstrap script, whose download host is not reachable here.

ansible-test runs this file (cached as ~/.ansible/test/cache/get_pip_<version>.py) inside each new
sanity venv with pip-install arguments such as ``pip==24.2``. We bootstrap pip from the interpreter's
own ensurepip, then let that pip install the requested packages from the package index.
"""
import ensurepip
import os
import subprocess
import sys

# --no-setuptools / --no-wheel are get-pip's own options, not pip's: they only ask not to add those.
ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
ensurepip.bootstrap(upgrade=True)
# ensurepip sets PIP_CONFIG_FILE=/dev/null in this process; the pip run below must see the machine's
# pip configuration (index, CA bundle) like any other pip would.
os.environ.pop("PIP_CONFIG_FILE", None)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + ARGS))
