#!/usr/bin/env python3
"""List the variables ansible/ references and the ones it defines itself, as JSON.

Usage: playbook-vars.py ANSIBLE_DIR

Uses Jinja's own parser (the one Ansible templates with), so a variable counts as referenced
exactly when a template or a conditional would look it up. Output:
  {"referenced": {name: [files]}, "defaults": [...], "playVars": [...], "taskVars": [...],
   "registered": [...], "setFact": [...], "loopVars": [...]}
"""
import json
import os
import sys

import jinja2
import jinja2.meta
import yaml

CONDITIONAL_KEYS = {'when', 'until', 'that', 'failed_when', 'changed_when'}
SET_FACT_KEYS = {'set_fact', 'ansible.builtin.set_fact'}


class Loader(yaml.SafeLoader):
    pass


# Strings tagged !unsafe are never templated by Ansible.
Loader.add_constructor('!unsafe', lambda loader, node: {'__unsafe__': loader.construct_scalar(node)})
Loader.add_constructor('!vault', lambda loader, node: '')



class AnyName(dict):
    """Ansible adds its own filters and tests; for finding variables any name will do."""

    def __contains__(self, name):
        return True

    def __missing__(self, name):
        return lambda *a, **k: None

    def get(self, name, default=None):
        return self[name]


env = jinja2.Environment(extensions=['jinja2.ext.do', 'jinja2.ext.loopcontrols'])
env.filters = AnyName(env.filters)
env.tests = AnyName(env.tests)
out = {'referenced': {}, 'defaults': set(), 'playVars': set(), 'taskVars': set(),
       'registered': set(), 'setFact': set(), 'loopVars': set()}


def refer(template, where):
    try:
        names = jinja2.meta.find_undeclared_variables(env.parse(template))
    except jinja2.TemplateSyntaxError as e:
        sys.stderr.write('%s: bad template %r: %s\n' % (where, template, e))
        sys.exit(3)
    for n in names:
        out['referenced'].setdefault(n, set()).add(where)


def scan(node, where, key=None):
    if isinstance(node, dict):
        if '__unsafe__' in node:
            return
        for k, v in node.items():
            if k == 'vars' and isinstance(v, dict):
                out['playVars' if where.endswith('site.yml') and key == 'play' else 'taskVars'].update(v.keys())
            elif k == 'register' and isinstance(v, str):
                out['registered'].add(v)
            elif k in SET_FACT_KEYS and isinstance(v, dict):
                out['setFact'].update(x for x in v.keys() if x != 'cacheable')
            elif k == 'loop_control' and isinstance(v, dict) and 'loop_var' in v:
                out['loopVars'].add(v['loop_var'])
            if k in CONDITIONAL_KEYS:
                for expr in (v if isinstance(v, list) else [v]):
                    if isinstance(expr, str):
                        refer('{{ (%s) }}' % expr, where)
                    elif isinstance(expr, bool):
                        continue
            else:
                scan(v, where, k)
    elif isinstance(node, list):
        for x in node:
            scan(x, where, 'play' if key is None and where.endswith('site.yml') else 'item')
    elif isinstance(node, str) and ('{{' in node or '{%' in node):
        refer(node, where)


def main(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith('.')]
        for f in sorted(filenames):
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, root)
            if f.endswith('.j2'):
                with open(path) as fh:
                    refer(fh.read(), rel)
            elif f.endswith('.yml') and f != 'requirements.yml':
                with open(path) as fh:
                    doc = yaml.load(fh, Loader=Loader)
                if rel.split(os.sep)[-2:] == ['defaults', 'main.yml'] and isinstance(doc, dict):
                    out['defaults'].update(doc.keys())
                scan(doc, rel)
    result = {k: (sorted(v) if isinstance(v, set) else {n: sorted(w) for n, w in sorted(v.items())})
              for k, v in out.items()}
    json.dump(result, sys.stdout, indent=1)


if __name__ == '__main__':
    main(sys.argv[1])
