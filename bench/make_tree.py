#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds a deterministic cache-like tree for bench/run.sh.

make_tree.py [--files N] [--dirs M] [--seed S] DIR

DIR must not exist. Directories are 0755 and spread over depths 1..8 (a pip/HF-cache-like
mix of shallow fan-out and deep chains); files are 0644, 0..4 KiB (about 10% empty), spread
unevenly over the directories (some hold none, a few hold many). Same arguments, same tree.
"""
import argparse
import os
import random
import sys

MAX_DEPTH = 8


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200_000)
    ap.add_argument("--dirs", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("dir")
    args = ap.parse_args()
    if os.path.lexists(args.dir):
        print(f"make_tree.py: {args.dir} already exists", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    os.umask(0o022)
    os.mkdir(args.dir, 0o755)

    # by_depth[d]: directories (relative paths) at depth d; the root is depth 0.
    by_depth = [[""]] + [[] for _ in range(MAX_DEPTH)]
    dirs = []
    for i in range(args.dirs):
        # Pick a depth 1..8 whose parent level exists; weight the middle depths a little more
        # than the extremes, like real caches (http/a/b/c/d/<hash> in pip, blobs/ in HF).
        while True:
            depth = rng.choice((1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8))
            if by_depth[depth - 1]:
                break
        parent = rng.choice(by_depth[depth - 1])
        name = f"{rng.getrandbits(32):08x}{i:x}"
        rel = f"{parent}/{name}" if parent else name
        os.mkdir(os.path.join(args.dir, rel), 0o755)
        by_depth[depth].append(rel)
        dirs.append(rel)
    targets = [""] + dirs

    # Skewed distribution: about a third of directories hold no files, a few hold hundreds.
    weights = [rng.paretovariate(1.2) if rng.random() < 0.67 else 0.0 for _ in targets]
    weights[0] = max(weights[0], 1.0)
    chosen = rng.choices(targets, weights=weights, k=args.files)
    payload = b"0123456789abcdef" * 256  # 4 KiB
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for i, rel in enumerate(chosen):
        size = 0 if rng.random() < 0.10 else rng.randint(1, 4096)
        name = f"{rng.getrandbits(48):012x}-{i:x}"
        path = os.path.join(args.dir, rel, name) if rel else os.path.join(args.dir, name)
        fd = os.open(path, flags, 0o644)
        if size:
            os.write(fd, payload[:size])
        os.close(fd)
    depths = [len(by_depth[d]) for d in range(1, MAX_DEPTH + 1)]
    print(f"make_tree.py: {args.dir}: {args.files} files, {args.dirs} dirs, dirs per depth 1..8 = {depths}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
