#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The netlink family's three descriptions agree.

driver/netlink/kdemo.yaml (the YNL spec) must validate against the kernel's
Documentation/netlink/genetlink.yaml; the checked-in UAPI header must be what
ynl-gen-c.py --mode uapi makes of it (tools/netlink-gen); and the hand-written
policy, operation table and multicast group of driver/netlink.c must say what
the spec says. Usage: netlink_spec_test.py TOP YNL_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

top, ynl = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def c_name(prefix, name):
    return (prefix + name).upper().replace('-', '_')


# 1. the header is the generator's output. tools/netlink-gen runs first: it
# extracts YNL_DIR from /usr/src/linux-source-6.12.tar.xz when a fresh machine
# has no copy yet, and the schema below comes from there.
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, 'kdemo_netlink.h')
    subprocess.run([os.path.join(top, 'tools/netlink-gen'), out], check=True,
                   env=dict(os.environ, YNL_DIR=ynl))
    generated = open(out).read()
committed = open(os.path.join(top, 'driver/include/uapi/linux/kdemo_netlink.h')).read()
check(generated == committed, 'kdemo_netlink.h differs from ynl-gen-c.py output: run tools/netlink-gen')

# 2. the spec is valid against the kernel's genetlink schema
spec = yaml.safe_load(open(os.path.join(top, 'driver/netlink/kdemo.yaml')))
schema = yaml.safe_load(open(os.path.join(ynl, 'Documentation/netlink/genetlink.yaml')))
jsonschema.validate(spec, schema)

# 3. the policy: every request attribute of the spec, with its checks, and nothing else
src = open(os.path.join(top, 'driver/netlink.c')).read()
policy = re.search(r'kdemo_nl_policy\[[^]]*\] = \{(.*?)\n\};', src, re.S).group(1)
entries = dict(re.findall(r'\[(KDEMO_A_\w+)\] = (.*?),\n', policy + ',\n'))
consts = {d['name']: d['value'] for d in spec['definitions'] if d['type'] == 'const'}
attrs = {a['name']: a for a in spec['attribute-sets'][0]['attributes']}
prefix = spec['attribute-sets'][0].get('name-prefix', 'kdemo-a-')
requested = set()
for op in spec['operations']['list']:
    for mode in ('do', 'dump'):
        req = op.get(mode, {}).get('request', {})
        requested.update(req.get('attributes', []))
check(set(entries) == {c_name(prefix, a) for a in requested},
      f'policy attributes {sorted(entries)} != request attributes {sorted(requested)}')
nla = {'u32': 'NLA_U32', 's64': 'NLA_S64', 'u64': 'NLA_U64', 'binary': 'NLA_BINARY',
       'string': 'NLA_NUL_STRING'}
for name in requested:
    a = attrs[name]
    e = entries.get(c_name(prefix, name), '')
    check(nla[a['type']] in e, f'{name}: policy "{e}" is not {nla[a["type"]]}')
    checks = a.get('checks', {})
    if 'max' in checks:
        check(f'NLA_POLICY_MAX({nla[a["type"]]}, {c_name("kdemo-", checks["max"])})' in e,
              f'{name}: policy "{e}" lacks max {checks["max"]}')
    if 'max-len' in checks:
        check(f'.len = {c_name("kdemo-", checks["max-len"])}' in e,
              f'{name}: policy "{e}" lacks max-len {checks["max-len"]}')

# 4. the operations, their admin-perm flags, the dump, the group
ops = re.search(r'kdemo_nl_ops\[\] = \{(.*?)\n\};', src, re.S).group(1)
table = {}
for block in re.findall(r'\{(.*?)\}', ops, re.S):
    cmd = re.search(r'\.cmd = (KDEMO_CMD_\w+)', block).group(1)
    table[cmd] = block
want = [op for op in spec['operations']['list'] if 'do' in op or 'dump' in op]
check(set(table) == {c_name('kdemo-cmd-', op['name']) for op in want},
      f'ops {sorted(table)} != spec operations')
for op in want:
    block = table.get(c_name('kdemo-cmd-', op['name']), '')
    admin = 'admin-perm' in op.get('flags', [])
    check(('GENL_ADMIN_PERM' in block) == admin, f'{op["name"]}: admin-perm disagrees')
    check(('.doit' in block) == ('do' in op), f'{op["name"]}: do disagrees')
    check(('.dumpit' in block) == ('dump' in op), f'{op["name"]}: dump disagrees')
groups = [g['name'] for g in spec['mcast-groups']['list']]
check(groups == ['monitor'] and 'KDEMO_MCGRP_MONITOR' in src, 'multicast groups disagree')
ntf = [op for op in spec['operations']['list'] if 'event' in op]
check(len(ntf) == 1 and 'KDEMO_CMD_CHANGE_NTF' in src, 'change-ntf disagrees')
for name in ntf[0]['event']['attributes']:
    check(c_name(prefix, name) in src.split('kdemo_nl_event(')[1],
          f'change-ntf attribute {name} is not sent')

for f in failures:
    print('FAIL:', f)
print('netlink spec, header and policy agree' if not failures else f'{len(failures)} failure(s)')
sys.exit(1 if failures else 0)
