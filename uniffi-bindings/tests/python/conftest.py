"""Fixtures: the generated Python bindings, a software device signer (the
`cryptography` package), a sync-state recorder, and the real server binary
spawned on a temporary data directory."""

import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CRATE = HERE.parent.parent
ROOT = CRATE.parent
BINDINGS = Path(os.environ.get("PASSREGION_BINDINGS", CRATE / "generated" / "python"))
SERVER = Path(os.environ.get("PASSREGION_SERVER", ROOT / "target" / "debug" / "passregion-server"))
PASSWORD = "demo1234"
YOUTH = "lea@demo.passregion.fr"
PARTNER = "librairie@demo.passregion.fr"

if not (BINDINGS / "passregion_uniffi.py").exists():
    raise RuntimeError(f"no bindings in {BINDINGS}: run uniffi-bindings/generate.sh first")
sys.path.insert(0, str(BINDINGS))

import passregion_uniffi as pr  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402


class SoftwareSigner(pr.DeviceSigner):
    """The platform keystore, played by a software Ed25519 key."""

    def __init__(self, fail=False):
        self._key = Ed25519PrivateKey.generate()
        self.fail = fail
        self.public_calls = 0
        self.sign_calls = 0

    def public_key(self):
        self.public_calls += 1
        return self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message):
        self.sign_calls += 1
        if self.fail:
            raise pr.PassRegionError.Key("keystore locked")
        return self._key.sign(bytes(message))


class Recorder(pr.SyncListener):
    """Records every sync state it is told about."""

    def __init__(self):
        self.states = []

    def on_state(self, state):
        self.states.append(state)


class UrllibTransport(pr.HttpTransport):
    """The platform's HTTP stack, played by urllib (no proxy)."""

    def __init__(self):
        self.calls = 0
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(self, request):
        self.calls += 1
        method = "GET" if request.method == pr.HttpMethod.GET else "POST"
        body = bytes(request.body) if request.body is not None else None
        req = urllib.request.Request(request.url, data=body, method=method)
        for h in request.headers:
            req.add_header(h.name, h.value)
        try:
            with self._opener.open(req, timeout=10) as r:
                return self._response(r.status, r.getheaders(), r.read())
        except urllib.error.HTTPError as e:  # 4xx, 5xx: still an answer
            return self._response(e.code, e.headers.items(), e.read())
        except (urllib.error.URLError, OSError):
            raise pr.PassRegionError.Offline()

    @staticmethod
    def _response(status, headers, body):
        return pr.HttpResponse(
            status=status,
            headers=[pr.HttpHeader(name=k, value=v) for k, v in headers],
            body=body,
        )


class Server:
    """The real `passregion-server --demo` on 127.0.0.1, port chosen by the OS."""

    URL = re.compile(r"http://\S+")

    def __init__(self, data_dir, youths=3):
        if not SERVER.exists():
            raise RuntimeError(f"{SERVER} is missing: cargo build -p passregion-server")
        self.data_dir = Path(data_dir)
        self.youths = youths
        self.proc = None
        self.url = None

    def start(self):
        env = dict(os.environ, RUST_LOG="warn")
        self.proc = subprocess.Popen(
            [str(SERVER), "--demo", "--demo-youths", str(self.youths),
             "--data-dir", str(self.data_dir), "--bind", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=None, env=env, text=True,
        )
        # First stdout line: "PASS'Région — serveur prêt sur http://127.0.0.1:PORT".
        line = self.proc.stdout.readline()
        m = self.URL.search(line)
        if not m:
            self.kill()
            raise RuntimeError(f"the server did not start: {line!r}")
        self.url = m.group(0)
        # Keep draining stdout so that the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self.url

    def kill(self):
        """SIGKILL, as a crash or a network cut would look to the apps."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "server")
    s.start()
    yield s
    s.kill()


@pytest.fixture
def lib():
    return pr
