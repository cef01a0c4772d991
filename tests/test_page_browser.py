"""The pre-check page in headless Chromium: it loads, a pre-check round-trips, criteria are
highlighted in the report, and a screenshot is taken.

Chromium is Debian's `chromium` package (`apt-get install -y chromium`); the test skips, saying
so, where none is installed. It is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: no port, no extra library). The service runs in a thread on
127.0.0.1. The screenshot goes to the test's temporary folder; with MTUS_UPDATE_SCREENSHOT=1 it
also replaces docs/precheck-page.png.
"""
import base64
import fcntl
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the [serve] extra is not installed: pip install -e '.[test]'")
pytest.importorskip("fastapi", reason="the [serve] extra is not installed: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parent.parent
BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (Debian: apt-get install -y chromium); "
                                                        "the page's browser test is skipped")


class DevTools:
    """A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, profile: Path):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # park the child's ends on high close-on-exec descriptors so that moving them to 3 and 4
        # (inheritable, in the child only) cannot clash
        hi_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 100)
        hi_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 100)
        os.close(to_child_r)
        os.close(from_child_w)

        def child_fds():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "about:blank"],
            # close_fds would close 3 and 4 after the hook; every other descriptor of this
            # process is close-on-exec (PEP 446)
            close_fds=False, preexec_fn=child_fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(hi_r)
        os.close(hi_w)
        self.out = os.fdopen(to_child_w, "wb", buffering=0)
        self.inp = os.fdopen(from_child_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        self.out.write(json.dumps(message).encode() + b"\0")
        end = time.time() + timeout
        while time.time() < end:
            while b"\0" not in self.buffer:
                chunk = self.inp.read(65536)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise TimeoutError(method)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0):
        end = time.time() + timeout
        while time.time() < end:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expression)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def service():
    import uvicorn

    from engine.service.app import create_app
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.time() + 30
    while not server.started and time.time() < end:
        time.sleep(0.05)
    assert server.started, "the service did not start"
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_page_loads_and_a_precheck_round_trips_with_highlights(service, tmp_path):
    browser = DevTools(tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1300, "deviceScaleFactor": 1,
                                                            "mobile": False})
        browser.send("Page.enable")
        browser.send("Page.navigate", {"url": service})
        browser.wait_for("document.readyState === 'complete' && !!document.getElementById('run')")
        assert browser.evaluate("document.title") == "MTUS pre-check"

        report = (ROOT / "examples" / "reports" / "lumbar-mri-radicular.txt").read_text(encoding="utf-8")
        browser.evaluate(f"document.getElementById('report').value = {json.dumps(report)}; true")
        browser.evaluate("document.getElementById('run').click(); true")
        browser.wait_for("document.body.dataset.state === 'done'")

        outcomes = browser.evaluate("Array.from(document.querySelectorAll('.result')).map(r => r.dataset.outcome)")
        assert outcomes == ["certify"]
        states = browser.evaluate("Array.from(document.querySelectorAll('ul.criteria li'))"
                                  ".map(li => li.dataset.result + ' ' + li.className)")
        assert "met favourable" in states
        assert "unmet favourable" in states          # the repeat-imaging restriction does not apply
        checklist = browser.evaluate("Array.from(document.querySelectorAll('ul.checklist li')).map(li => li.textContent)")
        assert checklist == []                       # every criterion is documented
        marked = browser.evaluate("Array.from(document.querySelectorAll('#report-view mark.favourable')).map(m => m.textContent)")
        assert any("decreased sensation to light touch" in text for text in marked)
        assert not browser.evaluate("document.querySelectorAll('#report-view mark.unfavourable').length")
        # the report view is the service's text of the report, whole
        shown = browser.evaluate("document.getElementById('report-view').textContent")
        assert "Straight leg raise is positive on the left" in shown

        # a bad request shows the problem document's message, not a broken page
        browser.evaluate("document.getElementById('report').value = 'Seen today.'; "
                         "document.getElementById('run').click(); true")
        message = browser.wait_for("!document.getElementById('error').hidden && document.getElementById('error').textContent")
        assert "no request to check" in message

        browser.evaluate(f"document.getElementById('report').value = {json.dumps(report)}; "
                         "document.body.dataset.state = ''; document.getElementById('run').click(); true")
        browser.wait_for("document.body.dataset.state === 'done' && document.getElementById('error').hidden")
        shot = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"})["data"])
    finally:
        browser.close()
    assert shot.startswith(b"\x89PNG") and len(shot) > 10_000
    (tmp_path / "precheck-page.png").write_bytes(shot)
    if os.environ.get("MTUS_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs" / "precheck-page.png").write_bytes(shot)
