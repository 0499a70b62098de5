"""The set-up of docs/remote-runner.md, for real: a runner started with `--allow-remote` and roots on 127.0.0.1,
behind nginx terminating TLS (a self-signed certificate made here) on another loopback port. Through the proxy the
token still opens nothing outside the roots, and bodies over the limit are still cut off while arriving, chunked
included (nginx streams request bodies through, `proxy_request_buffering off`, as the documented config does).

Skipped when nginx or openssl is missing (`make system-deps` installs nginx-light).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time

import httpx
import pytest

from tests.service.conftest import start_runner
from tests.service.raw_http import chunked_post, repeat

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(not NGINX or not OPENSSL,
                                reason="nginx or openssl is not installed (make system-deps installs nginx-light)")

CONF = """
worker_processes 1;
{user}
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location /omnisat/ {{
            proxy_pass http://127.0.0.1:{upstream}/;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_http_version 1.1;
            client_max_body_size 20g;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 60s;
            proxy_send_timeout 60s;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    home, write, outside, conf = base / "home", base / "write", base / "outside", base / "nginx"
    for p in (home, write, outside, conf):
        p.mkdir()
    (outside / "secret.txt").write_text("not for token holders")
    made = subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                           "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                           "-keyout", str(conf / "key.pem"), "-out", str(conf / "cert.pem")],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    runner = start_runner(home, "--allow-remote", "--write-root", str(write))
    port = free_port()
    upstream = int(runner.url.rsplit(":", 1)[1])
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the test's private folders
    (conf / "nginx.conf").write_text(CONF.format(dir=conf, port=port, upstream=upstream, user=user))
    nginx = subprocess.Popen([NGINX, "-p", str(conf), "-c", str(conf / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{port}/omnisat"
    tls = ssl.create_default_context(cafile=str(conf / "cert.pem"))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/v1/health", verify=tls, timeout=5).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            assert nginx.poll() is None, nginx.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.2)
        yield {"url": url, "tls": tls, "runner": runner, "write": write, "outside": outside}
    finally:
        nginx.terminate()
        nginx.wait(20)
        runner.stop()


def client(p, token: str | None = None) -> httpx.Client:
    tok = p["runner"].token if token is None else token
    return httpx.Client(base_url=p["url"], verify=p["tls"], timeout=30,
                        headers={"Authorization": f"Bearer {tok}"} if tok else {})


def test_through_tls_the_token_still_opens_only_the_roots(proxied) -> None:
    with client(proxied, token="") as anon:
        assert anon.get("/v1/health").status_code == 401
    with client(proxied, token="wrong") as wrong:
        assert wrong.get("/v1/jobs").status_code == 401
    with client(proxied) as c:
        health = c.get("/v1/health").json()
        assert health["access"]["mode"] == "remote" and health["path_access"] is True
        spec = {"s2": [str(proxied["write"] / "S2_20200101.tif")], "model": "nonexistent", "out": "/x.tif"}
        r = c.post("/v1/jobs", json={"kind": "classify", "spec": spec})
        assert r.status_code == 403 and "policy" in r.json()["detail"]
        r = c.post("/v1/jobs", json={"kind": "classify", "spec": {**spec, "s2": ["/etc/passwd"],
                                                                  "out": str(proxied["write"] / "x.tif")}})
        assert r.status_code == 403 and "read root" in r.json()["detail"]
        for path in ("/etc/passwd", str(proxied["outside"] / "secret.txt"),
                     str(proxied["runner"].home / "runner.json")):
            assert c.get("/v1/files", params={"path": path}).status_code == 403, path
        up = c.post("/v1/files", params={"name": "S2_20200101.tif"}, content=b"\1" * 300_000)
        assert up.status_code == 201 and up.json()["size"] == 300_000


def test_through_tls_chunked_bodies_over_the_limit_are_cut_off(proxied) -> None:
    answer = chunked_post(proxied["url"], "/v1/jobs", repeat(b"z" * 65536, 50_000_000),
                          token=proxied["runner"].token, tls=proxied["tls"])
    assert answer.status == 413 and b"larger than the limit" in answer.body, answer
    with client(proxied) as c:
        assert c.get("/v1/health").status_code == 200
