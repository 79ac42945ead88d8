#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Run by bench/watch.sh inside the virtual server, as root, while `aicactl cache watch` runs.

latency DIR N_FILES N_DIRS: a process as alice creates a 0600 file (or a 0700 directory) in DIR,
then a process as bob polls until it can read it (create in it); one at a time. Prints the
latencies in ms: "file p50 p99 max" and "dir p50 p99 max".
burst DIR N GROUP: alice creates N 0600 files in DIR/burst as fast as one process can; then the
time from the burst's end until every file has the group and group rw (the ACL mask) is printed
as "burst_create_s S" and "burst_repaired_after_s S".
"""
import grp
import os
import pwd
import sys
import time


def become(user):
    pw = pwd.getpwnam(user)
    os.setgroups(os.getgrouplist(user, pw.pw_gid))
    os.setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid)
    os.setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def latency(directory, n_files, n_dirs):
    to_bob_r, to_bob_w = os.pipe()
    to_alice_r, to_alice_w = os.pipe()
    if os.fork() == 0:  # alice
        become("alice")
        os.umask(0o077)
        for i in range(n_files + n_dirs):
            path = os.path.join(directory, "lat-%d" % i)
            if i < n_files:
                fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
                os.write(fd, b"x")
                os.close(fd)
            else:
                os.mkdir(path, 0o700)
            os.write(to_bob_w, ("%d %.9f\n" % (i, time.monotonic())).encode())
            os.read(to_alice_r, 1)
        os._exit(0)
    if os.fork() == 0:  # bob
        become("bob")
        out = os.fdopen(1, "w")
        reader = os.fdopen(to_bob_r)
        for line in reader:
            i, t0 = line.split()
            i, t0 = int(i), float(t0)
            path = os.path.join(directory, "lat-%d" % i)
            while True:
                try:
                    if i < n_files:
                        os.close(os.open(path, os.O_RDONLY))
                    else:
                        os.close(os.open(os.path.join(path, "bob"), os.O_CREAT | os.O_WRONLY, 0o644))
                    break
                except PermissionError:
                    time.sleep(0.0002)
            out.write("%s %.3f\n" % ("file" if i < n_files else "dir", (time.monotonic() - t0) * 1e3))
            out.flush()
            os.write(to_alice_w, b"k")
            if i == n_files + n_dirs - 1:
                break
        os._exit(0)
    os.wait()
    os.wait()


def burst(directory, n, group):
    gid = grp.getgrnam(group).gr_gid
    base = os.path.join(directory, "burst")
    done_r, done_w = os.pipe()
    if os.fork() == 0:
        become("alice")
        os.mkdir(base, 0o700)
        t0 = time.monotonic()
        for i in range(n):
            os.close(os.open(os.path.join(base, "f%d" % i), os.O_CREAT | os.O_WRONLY, 0o600))
        t1 = time.monotonic()
        os.write(done_w, ("%.9f %.9f\n" % (t0, t1)).encode())
        os._exit(0)
    t0, t1 = (float(x) for x in os.read(done_r, 100).split())
    os.wait()
    remaining = n
    deadline = t1 + 60
    while remaining > 0 and time.monotonic() < deadline:
        while remaining > 0:
            st = os.stat(os.path.join(base, "f%d" % (remaining - 1)))
            if st.st_gid != gid or (st.st_mode & 0o060) != 0o060:
                break
            remaining -= 1
        if remaining > 0:
            time.sleep(0.001)
    t2 = time.monotonic()
    # The files were checked from the last one down; the first ones again, in case of order.
    bad = 0
    for i in range(n):
        st = os.stat(os.path.join(base, "f%d" % i))
        bad += st.st_gid != gid or (st.st_mode & 0o060) != 0o060
    print("burst_create_s %.3f" % (t1 - t0))
    print("burst_repaired_after_s %.3f" % (t2 - t1))
    print("burst_not_repaired %d" % bad)


if __name__ == "__main__":
    if sys.argv[1] == "latency":
        latency(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        burst(sys.argv[2], int(sys.argv[3]), sys.argv[4])
