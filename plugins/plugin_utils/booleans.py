# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for a role's true/false variable: what Ansible's own ``bool`` accepts (``-e name=false`` gives
the string ``'false'``; yes/no, on/off, 1/0, t/f, y/n too, any case), nothing else. The roles' preflights check
their booleans by it (plugin_utils.early_warning.inputs, filter boolean_errors) and their tasks read them with
``| bool``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean


def as_bool(value):
    """True or False for a value Ansible's ``bool`` reads as one, else None (None, 'maybe', 2, lists)."""
    if value is None or isinstance(value, float):
        return None  # Ansible's set has 1 and 0, which 1.0 and 0.0 equal: a float is no switch
    try:
        return boolean(value, strict=True)
    except TypeError:
        return None


def bool_errors(values):
    """[message] for each ``{name: value}`` item whose value is not a boolean by ``as_bool``, in name order."""
    return ["%s must be true or false (yes/no, on/off and 1/0 are read as Ansible reads them), got %r" % (name, value)
            for name, value in sorted((values or {}).items()) if as_bool(value) is None]
