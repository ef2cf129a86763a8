"""Write the shell each job of a .gitlab-ci.yml runs into one file per job, for shellcheck.

    python gitlab-ci-scripts.py .gitlab-ci.yml OUT_DIR

A job's shell is its before_script (its own, from `extends`, or `default:`), then
its script, as GitLab runs them: one shell, line after line. Hidden jobs
(`.name`) are templates, not run, so they are only checked through the jobs
that extend them. `!reference [job, key]` is resolved like `extends`. Prints
one line per file written: the job name. Exit 1 with a message on a file this
cannot read.
"""

import os
import sys

import yaml

KEYWORDS = {"default", "include", "stages", "variables", "workflow", "image",
            "services", "cache", "before_script", "after_script", "spec"}


class Reference(list):
    """`!reference [job, key, ...]`, resolved once the whole file is read."""


def reference(loader, node):
    return Reference(loader.construct_sequence(node))


class Loader(yaml.SafeLoader):
    pass


Loader.add_constructor("!reference", reference)


def merge(base, over):
    # GitLab's `extends` merges mappings deeply; any other value is replaced.
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base.get(key), value) if key in base else value
        return out
    return over


def resolved(doc, name, seen=()):
    if name in seen:
        raise SystemExit(f"gitlab-ci-scripts: `extends` loops through {name}")
    job = doc.get(name)
    if not isinstance(job, dict):
        raise SystemExit(f"gitlab-ci-scripts: `extends` names {name}, which is not a job")
    parents = job.get("extends", [])
    parents = [parents] if isinstance(parents, str) else parents
    out = {}
    for parent in parents:
        out = merge(out, resolved(doc, parent, seen + (name,)))
    return merge(out, {k: v for k, v in job.items() if k != "extends"})


def lines(doc, value):
    # A script is a string or a list of strings and (nested) lists, with !reference.
    if value is None:
        return []
    if isinstance(value, Reference):
        target = resolved(doc, value[0]) if len(value) > 1 else {}
        for key in value[1:]:
            target = target.get(key) if isinstance(target, dict) else None
        return lines(doc, target)
    if isinstance(value, str):
        return [value]
    out = []
    for item in value:
        out.extend(lines(doc, item))
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: gitlab-ci-scripts.py .gitlab-ci.yml OUT_DIR")
    source, out_dir = sys.argv[1], sys.argv[2]
    try:
        with open(source, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=Loader) or {}
    except (OSError, yaml.YAMLError) as err:
        raise SystemExit(f"gitlab-ci-scripts: cannot read {source}: {err}")
    default = doc.get("default") or {}
    os.makedirs(out_dir, exist_ok=True)
    for name, job in doc.items():
        if name in KEYWORDS or name.startswith(".") or not isinstance(job, dict):
            continue
        job = resolved(doc, name)
        before = job.get("before_script", default.get("before_script"))
        body = lines(doc, before) + lines(doc, job.get("script"))
        path = os.path.join(out_dir, name.replace("/", "_") + ".sh")
        with open(path, "w", encoding="utf-8") as f:
            # GitLab's images may have no bash (docker:, alpine): check as POSIX sh.
            f.write(f"#!/bin/sh\n# .gitlab-ci.yml job {name}\n")
            f.write("\n".join(body) + "\n")
        print(name)


if __name__ == "__main__":
    main()
