#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""json_schema_test.py SCHEMA_DIR KCTL - kctl's JSON Schemas with python3-jsonschema: each
is a valid draft 2020-12 schema, kctl embeds it byte for byte (kctl schema COMMAND), and what
kctl prints without a device validates (a second opinion on the C++ checker the unit and
guest tests use)."""
import json
import os
import subprocess
import sys

import jsonschema

schema_dir, kctl = sys.argv[1], sys.argv[2]
env = dict(os.environ, KCTL_DEVICE="kdemo-unit-test-none")
env.pop("KCTL_TRANSPORT", None)
failed = []


def run(*args, stdin=""):
    return subprocess.run([kctl, *args], input=stdin, capture_output=True, text=True,
                          env=env, check=False)


commands = run("schema").stdout.split()
for cmd in commands:
    text = run("schema", cmd).stdout
    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(text))
    except jsonschema.SchemaError as e:
        failed.append(f"{cmd}: not a valid schema: {e.message}")
    if cmd != "bench":
        with open(os.path.join(schema_dir, f"kctl-{cmd}.json"), encoding="utf-8") as f:
            if f.read() != text:
                failed.append(f"{cmd}: kctl schema {cmd} is not docs/schema/kctl-{cmd}.json")
on_disk = sorted(n[5:-5] for n in os.listdir(schema_dir) if n.startswith("kctl-"))
if on_disk != sorted(c for c in commands if c != "bench"):
    failed.append(f"docs/schema has {on_disk}, kctl embeds {commands}")

samples = [("list", run("--json", "list").stdout),
           ("udev", run("--json", "udev", "install", "-n").stdout),
           ("udev", run("--json", "udev", "uninstall", "-n").stdout),
           ("batch", run("--json", "batch", stdin="sum\nget-msg\n").stdout)]
for cmd, out in samples:
    schema = json.loads(run("schema", cmd).stdout)
    lines = out.splitlines()
    if not lines:
        failed.append(f"{cmd}: printed nothing")
    for line in lines:
        try:
            jsonschema.validate(json.loads(line), schema,
                                cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as e:
            failed.append(f"{cmd}: {line}: {e.message}")

for f in failed:
    print("FAIL:", f)
print(f"{len(commands)} schemas, {len(samples)} outputs checked")
sys.exit(1 if failed else 0)
