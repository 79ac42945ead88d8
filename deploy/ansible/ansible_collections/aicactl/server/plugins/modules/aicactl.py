#!/usr/bin/python
# SPDX-License-Identifier: Apache-2.0
# Copyright: The aicactl authors
# Apache License 2.0 (see /usr/share/common-licenses/Apache-2.0 or https://www.apache.org/licenses/LICENSE-2.0)
"""Ansible module: runs aicactl with --json and reports what it changed.

It has no logic of its own: `changed` comes from aicactl's report, check mode is aicactl's
--dry-run (whose plan is the --diff output), and a failure carries aicactl's own message.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: aicactl
short_description: Set up a shared GPU server and manage its users with aicactl
description:
  - Runs C(aicactl --json ...) on the host. C(changed) is taken from aicactl's report (an action
    that changed, or in check mode would change); check mode runs aicactl with C(--dry-run), and
    C(--diff) shows the plan ("Would ..." lines) or what was done.
  - A failure (any non-zero exit status of aicactl) fails the task with aicactl's own message.
options:
  command:
    description: What to run.
    type: str
    required: true
    choices: [setup, user, cache_repair]
  init:
    description: With I(command=setup), pass C(--init) (adopt a new, empty data disk; see aicactl(8)).
    type: bool
    default: false
  name:
    description: With I(command=user), the user name.
    type: str
  state:
    description: With I(command=user), C(present) runs C(user add), C(absent) runs C(user remove)
      (the home is kept on /data) when the user is registered or has an account.
    type: str
    choices: [present, absent]
    default: present
  expires:
    description: With I(state=present), the account expiry date (YYYY-MM-DD), C(--expires).
    type: str
  groups:
    description: With I(state=present), further groups (C(-g)), each an existing group.
    type: list
    elements: str
    default: []
  docker_ids:
    description: With I(state=present), C(present) runs C(aicactl docker enable NAME) after
      C(user add) (a sub-id range in /etc/subuid and /etc/subgid for rootless Docker), C(absent)
      runs C(aicactl docker disable NAME); unset leaves the ranges alone. In check mode, for a
      user the task would create, the range is reported as a change without running aicactl.
    type: str
    choices: [present, absent]
  config:
    description: Configuration file (C(--config)); aicactl's default when unset.
    type: path
  binary:
    description: The aicactl to run.
    type: path
    default: /usr/sbin/aicactl
"""

EXAMPLES = r"""
- name: Set the server up (the first time on a new data disk)
  aicactl.server.aicactl:
    command: setup
    init: true

- name: Alice may use the server until the end of the term
  aicactl.server.aicactl:
    command: user
    name: alice
    expires: "2027-03-31"
    groups: [docker]
    docker_ids: present

- name: Bob is gone (his home stays on /data)
  aicactl.server.aicactl:
    command: user
    name: bob
    state: absent

- name: Shared caches usable by every member
  aicactl.server.aicactl:
    command: cache_repair
"""

RETURN = r"""
report:
  description: aicactl's --json report.
  returned: when aicactl printed one
  type: dict
docker_report:
  description: The --json report of C(docker enable) or C(docker disable) (I(docker_ids)).
  returned: when that step ran
  type: dict
docker_command_line:
  description: The argv of that step.
  returned: when that step ran
  type: list
command_line:
  description: The argv that was run.
  returned: always
  type: list
"""

import json
import pwd

from ansible.module_utils.basic import AnsibleModule

# Statuses of a report action that mean a change (done, or planned in a dry run).
CHANGE_STATUSES = ("changed", "planned")


def aicactl_argv(module, args):
    p = module.params
    argv = [p["binary"], "--json"]
    if p["config"]:
        argv += ["--config", p["config"]]
    if module.check_mode:
        argv.append("--dry-run")
    return argv + args


def error_message(stdout, stderr, rc):
    lines = [l for l in stderr.splitlines() if l.startswith("aicactl: error: ")]
    if lines:
        return "\n".join(lines)
    text = stderr.strip() or stdout.strip()
    return text or "aicactl exited %d" % rc


def run(module, args):
    argv = aicactl_argv(module, args)
    rc, out, err = module.run_command(argv, check_rc=False)
    if rc != 0:
        report = None
        try:
            report = json.loads(out) if out.strip() else None
        except ValueError:
            pass
        module.fail_json(msg=error_message(out, err, rc), rc=rc, stdout=out, stderr=err, command_line=argv,
                         report=report)
    try:
        report = json.loads(out)
    except ValueError:
        module.fail_json(msg="aicactl printed no JSON report", rc=rc, stdout=out, stderr=err, command_line=argv)
    return argv, report


def changes_of(report):
    return [a for a in report.get("actions", []) if a.get("status") in CHANGE_STATUSES]


def account_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def is_known_user(module, name):
    """Registered in aicactl's registry, or an account: what `user remove` accepts."""
    rc, out, err = module.run_command([module.params["binary"], "--json", "user", "list"], check_rc=False)
    if rc != 0:
        module.fail_json(msg=error_message(out, err, rc), rc=rc, stdout=out, stderr=err)
    return any(u.get("name") == name for u in json.loads(out).get("users", [])) or account_exists(name)


def command_args(module):
    p = module.params
    if p["command"] == "setup":
        return ["setup"] + (["--init"] if p["init"] else [])
    if p["command"] == "cache_repair":
        return ["cache", "repair"]
    if not p["name"]:
        module.fail_json(msg="command=user needs name")
    if p["state"] == "absent":
        if not is_known_user(module, p["name"]):
            return None
        return ["user", "remove", "--", p["name"]]
    args = ["user", "add"]
    if p["expires"]:
        args += ["--expires", p["expires"]]
    for g in p["groups"]:
        args += ["-g", g]
    return args + ["--", p["name"]]


def docker_args(module):
    """`docker enable|disable -- NAME` for docker_ids, None when it is unset or the user goes."""
    p = module.params
    if p["command"] != "user" or not p["docker_ids"] or p["state"] == "absent":
        return None
    return ["docker", "enable" if p["docker_ids"] == "present" else "disable", "--", p["name"]]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            command=dict(type="str", required=True, choices=["setup", "user", "cache_repair"]),
            init=dict(type="bool", default=False),
            name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            expires=dict(type="str"),
            groups=dict(type="list", elements="str", default=[]),
            docker_ids=dict(type="str", choices=["present", "absent"]),
            config=dict(type="path"),
            binary=dict(type="path", default="/usr/sbin/aicactl"),
        ),
        supports_check_mode=True,
    )
    args = command_args(module)
    if args is None:
        module.exit_json(changed=False, command_line=[], report=None)
    docker = docker_args(module)
    argv, report = run(module, args)
    changes = changes_of(report)
    changed = bool(changes) or report.get("summary", {}).get("changed", 0) > 0
    lines = [a.get("description", "") for a in changes]
    result = dict(report=report, command_line=argv)
    if docker and module.check_mode and not account_exists(module.params["name"]):
        # user add --dry-run made no account, so docker enable would refuse the name: the range is
        # part of what the task would change.
        if docker[1] == "enable":
            changed = True
            lines.append("Would give '%s' a sub-id range (aicactl docker enable)" % module.params["name"])
    elif docker:
        docker_argv, docker_report = run(module, docker)
        docker_changes = changes_of(docker_report)
        changed = changed or bool(docker_changes) or docker_report.get("summary", {}).get("changed", 0) > 0
        lines += [a.get("description", "") for a in docker_changes]
        result["docker_report"] = docker_report
        result["docker_command_line"] = docker_argv
    result["changed"] = changed
    if module._diff:
        result["diff"] = dict(prepared="\n".join(lines) + ("\n" if lines else ""))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
