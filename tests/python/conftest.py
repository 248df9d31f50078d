"""pytest set-up for the Python client: one real jetd per session.

ctest (tests/python/CMakeLists.txt) sets JETD_PATH (the build tree's jetd),
JET_LIBJET (the build tree's libjet.so), JET_CLI_PATH and PYTHONPATH. Run by
hand from the repository root after a build in build/:

    JETD_PATH=build/server/jetd JET_LIBJET=build/client/libjet.so \\
        /usr/bin/python3 -m pytest -q tests/python

The daemon is started with `--listen 127.0.0.1:0`; its line
`jetd listening on ADDRESS` gives the address, which goes to JET_ADDRESS and
to jet.connect(). Its stdout and stderr go to log files in $JET_TEST_LOG_DIR
(ctest: <build>/tests/python/logs) or a fresh temporary directory. At the end
of the session the daemon gets SIGTERM and must exit with status 0 (under
-DJET_SANITIZE=ON that is also LeakSanitizer's verdict on the daemon).
"""
import ctypes
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYTHON_DIR = ROOT / "client" / "python"
if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))
# Subprocesses (the example, the unreachable-server checks) import jet too.
if str(PYTHON_DIR) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(PYTHON_DIR)] + [p for p in [os.environ.get("PYTHONPATH")] if p])

START_TIMEOUT_S = 30.0   # sanitizer builds start slowly
STOP_TIMEOUT_S = 30.0
_PR_SET_PDEATHSIG = 1


def _find_jetd():
    path = os.environ.get("JETD_PATH")
    if path:
        return path
    for cand in sorted(ROOT.glob("build*/server/jetd")):
        if os.access(cand, os.X_OK):
            return str(cand)
    raise RuntimeError("jetd not found: set JETD_PATH to the built jetd "
                       "(ctest sets it; by hand: JETD_PATH=build/server/jetd)")


def _die_with_parent():
    # The daemon gets SIGKILL when pytest dies, so no daemon is left behind.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _daemon_env():
    env = dict(os.environ)
    # The python process may run with libasan preloaded and leak detection
    # off (sanitizer builds, see CMakeLists.txt); the daemon is an ASan
    # executable on its own and keeps leak detection on, as in the C
    # integration tests.
    env.pop("LD_PRELOAD", None)
    opts = env.get("ASAN_OPTIONS", "")
    opts = ":".join(o for o in opts.split(":") if o and not o.startswith("detect_leaks="))
    env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=1"
    return env


def _tail(path, n=4000):
    try:
        data = pathlib.Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return data[-n:]


class Daemon:
    """A jetd child process with its address and log files."""

    def __init__(self, extra_args=()):
        self.path = _find_jetd()
        log_dir = os.environ.get("JET_TEST_LOG_DIR")
        if log_dir:
            os.makedirs(log_dir, exist_ok=True)
        else:
            log_dir = tempfile.mkdtemp(prefix="jet-pytest-")
        stamp = "%d-%d" % (os.getpid(), int(time.time() * 1000) % 100000000)
        self.out_path = os.path.join(log_dir, "jetd-%s.out" % stamp)
        self.log_path = os.path.join(log_dir, "jetd-%s.log" % stamp)
        self._out = open(self.out_path, "wb")
        self._err = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.path, "--listen", "127.0.0.1:0", *extra_args],
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
            env=_daemon_env(), preexec_fn=_die_with_parent)
        self.address = self._wait_listening()

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        marker = "jetd listening on "
        while time.monotonic() < deadline:
            text = pathlib.Path(self.out_path).read_text(errors="replace")
            i = text.find(marker)
            j = text.find("\n", i) if i >= 0 else -1
            if j >= 0:
                return text[i + len(marker):j].strip()
            if self.proc.poll() is not None:
                self._close_logs()
                raise RuntimeError(
                    "jetd exited with status %s before listening; log %s:\n%s"
                    % (self.proc.returncode, self.log_path, _tail(self.log_path)))
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        self._close_logs()
        raise RuntimeError("jetd did not print its listening line within %.0f s; log %s:\n%s"
                           % (START_TIMEOUT_S, self.log_path, _tail(self.log_path)))

    def _close_logs(self):
        for f in (self._out, self._err):
            if not f.closed:
                f.close()

    def stop(self):
        """SIGTERM, wait; returns the exit status (-1 if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = -1
        self._close_logs()
        return rc


def _import_jet():
    try:
        import jet  # noqa: F401
    except Exception as e:  # the package's own tests report the import error
        return None, e
    return jet, None


@pytest.fixture(scope="session", autouse=True)
def jetd():
    """The session's daemon: its address is in JET_ADDRESS and jet is connected."""
    d = Daemon()
    os.environ["JET_ADDRESS"] = d.address
    jet, _ = _import_jet()
    if jet is not None and hasattr(jet, "connect"):
        jet.connect(d.address)
    try:
        yield d
    finally:
        rc = d.stop()
        assert rc == 0, "jetd exited with status %s; log %s:\n%s" % (
            rc, d.log_path, _tail(d.log_path))


@pytest.fixture
def jetd_address(jetd):
    return jetd.address


@pytest.fixture(scope="module")
def jetd4(jetd):
    """A module's own daemon with --devices 4, connected for the module's
    tests (use it with pytestmark = pytest.mark.usefixtures("jetd4")); the
    session's daemon is connected again afterwards."""
    import jet
    d = Daemon(["--devices", "4"])
    jet.connect(d.address)
    try:
        yield d
    finally:
        jet.connect(jetd.address)
        rc = d.stop()
        assert rc == 0, "jetd --devices 4 exited with status %s; log %s" % (rc, d.log_path)
