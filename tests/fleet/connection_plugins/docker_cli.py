# SPDX-License-Identifier: Apache-2.0
# A minimal Ansible connection to a Docker container through the docker CLI, for the fleet
# test: Debian's ansible-core ships no docker connection (community.docker is not part of it).
# Commands run with `docker exec -i CONTAINER /bin/sh -c CMD`; files move through `cat`.
# The engine is named by ansible_docker_host (e.g. unix:///run/aicactl-fleet/docker.sock).
from __future__ import annotations

DOCUMENTATION = r"""
name: docker_cli
short_description: Run tasks in a local Docker container through the docker CLI
description:
  - Runs commands with C(docker exec -i) and copies files through C(cat); no Python is needed
    on the controller beyond Ansible's.
options:
  remote_addr:
    description: The container's name.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
  docker_host:
    description: The Docker engine's address (docker -H).
    default: unix:///var/run/docker.sock
    vars:
      - name: ansible_docker_host
  docker_bin:
    description: The docker client.
    default: /usr/bin/docker
    vars:
      - name: ansible_docker_bin
"""

import shlex
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.connection import ConnectionBase


class Connection(ConnectionBase):
    transport = "docker_cli"
    has_pipelining = True

    def _docker(self, *args):
        return [self.get_option("docker_bin"), "-H", self.get_option("docker_host"), *args]

    def _container(self):
        return self.get_option("remote_addr")

    def _connect(self):
        if not self._connected:
            probe = subprocess.run(self._docker("exec", self._container(), "true"), capture_output=True)
            if probe.returncode != 0:
                raise AnsibleConnectionFailure(
                    "cannot exec in container %s: %s" % (self._container(), probe.stderr.decode(errors="replace")))
            self._connected = True
        return self

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        argv = self._docker("exec", "-i", self._container(), "/bin/sh", "-c", cmd)
        proc = subprocess.run(argv, input=in_data, capture_output=True)
        return proc.returncode, proc.stdout, proc.stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        with open(in_path, "rb") as src:
            proc = subprocess.run(
                self._docker("exec", "-i", self._container(), "/bin/sh", "-c", "cat > " + shlex.quote(out_path)),
                stdin=src, capture_output=True)
        if proc.returncode != 0:
            raise AnsibleError("failed to put %s to %s: %s" % (in_path, out_path, proc.stderr.decode(errors="replace")))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        with open(out_path, "wb") as dst:
            proc = subprocess.run(self._docker("exec", self._container(), "cat", in_path), stdout=dst,
                                  stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise AnsibleError("failed to fetch %s: %s" % (in_path, proc.stderr.decode(errors="replace")))

    def close(self):
        self._connected = False
