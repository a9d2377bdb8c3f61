# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""headroom.memory early_warning collector, installed by the role (do not edit: the role replaces it).

Runs from headroom-memory-collector.timer with ``python3 -I``; imports the copy of the collection's
readers next to this file. ``collect.py --help`` lists the options.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ansible_collections.headroom.memory.plugins.module_utils.early_warning.collect import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
