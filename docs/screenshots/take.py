"""The README's screenshots, taken from a fresh demo install in Debian's chromium.

    .venv/bin/python docs/screenshots/take.py        (writes docs/screenshots/*.png)

Builds a throw-away install in a temporary folder (`custos init`, `custos demo seed --people 200`), adds a data
protection officer with a known TOTP secret, serves the app on a free port and logs in through the login page, as
a person would. Nothing here is part of the test suite.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import uvicorn
from playwright.sync_api import sync_playwright
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
EMAIL = "dpo@demo.example.se"
# (file name, path, what must be on the page before the picture is taken)
PAGES = (
    ("dashboard", "/admin", "#panel-retention"),
    ("people", "/admin/people", "main"),
    ("incidents", "/admin/incidents", "main"),
)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="custos-shots-") as tmp:
        env = {
            **os.environ,
            "CUSTOS_DATABASE_URL": f"sqlite:///{tmp}/custos.db",
            "CUSTOS_KEY_FILE": f"{tmp}/custos.key",
            "CUSTOS_OUTBOX_DIR": f"{tmp}/outbox",
            "CUSTOS_POLICY_PATH": str(ROOT / "examples" / "elastx" / "policy.yaml"),
        }
        custos = str(Path(sys.executable).with_name("custos"))
        subprocess.run([custos, "init"], env=env, check=True, capture_output=True)
        subprocess.run([custos, "demo", "seed", "--people", "200"], env=env, check=True, capture_output=True)
        os.environ.update(env)
        _shoot(_add_dpo())


def _add_dpo() -> str:
    from custos.access.models import Grant, Staff
    from custos.access.passwords import hash_password
    from custos.clock import SystemClock
    from custos.runtime import open_runtime
    from custos.settings import load_settings

    secret = pyotp.random_base32()
    now = datetime.now(UTC)
    runtime = open_runtime(load_settings(dict(os.environ), None), SystemClock())
    try:
        with runtime.db.transaction() as session:
            staff = Staff(
                email=EMAIL,
                name="Dana Privacy",
                status="active",
                password_hash=hash_password(PASSWORD),
                must_change_password=False,
                created_at=now,
                totp_secret=secret,
                totp_enabled_at=now,
            )
            session.add(staff)
            session.flush()
            # Proposed by this script and approved by the first administrator: four eyes, as a grant reaching personal
            # data needs.
            first = session.scalars(select(Staff.id).where(Staff.is_bootstrap_admin)).one()
            session.add(
                Grant(
                    staff_id=staff.id,
                    role="dpo",
                    scope="*",
                    granted_at=now,
                    approval="required",
                    decided_by_id=first,
                    decided_at=now,
                )
            )
    finally:
        runtime.close()
    return secret


def _shoot(secret: str) -> None:
    from custos.app import create_app
    from custos.clock import SystemClock
    from custos.runtime import open_runtime
    from custos.settings import load_settings

    settings = load_settings(dict(os.environ), None)
    runtime = open_runtime(settings, SystemClock())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings, runtime=runtime), log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(base + "/admin/login")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(base + "/admin")
            for name, path, ready in PAGES:
                page.goto(base + path)
                page.wait_for_selector(ready)
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                print(f"docs/screenshots/{name}.png")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


if __name__ == "__main__":
    main()
