"""The web client served at / from a dist folder (a tiny fake one here): caching, the
fallback to index.html for client routes, API paths untouched, the security headers, and
what happens while the client is not built."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from confidant.app.web import API_SEGMENTS, PAGE_CSP
from tests.conftest import client_for, make_settings, served, started_app, upgrade_schema
from tests.helpers import assert_error, free_port, serve, stop_worker, wait_ready

INDEX_HTML = (
    '<!doctype html><html lang="en"><head><title>Confidant</title>'
    '<script type="module" src="/assets/app-abc123.js"></script></head>'
    '<body><div id="root"></div></body></html>'
)
APP_JS = "console.log('confidant');\n"
CHUNK_JS = "".join(f"export const line{n} = 'a chunk of the client';\n" for n in range(100))
IMMUTABLE = "public, max-age=31536000, immutable"
SERVICE_WORKER_JS = "self.addEventListener('fetch', () => undefined)\n"
MANIFEST = '{"name": "Confidant", "display": "standalone", "start_url": "/"}'
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def build_dist(dist: Path) -> Path:
    """What `vite build` leaves, in miniature."""
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX_HTML)
    (dist / "assets" / "app-abc123.js").write_text(APP_JS)
    (dist / "assets" / "chunk-def456.js").write_text(CHUNK_JS)
    (dist / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (dist / "sw.js").write_text(SERVICE_WORKER_JS)
    (dist / "manifest.webmanifest").write_text(MANIFEST)
    return dist


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    (root / "secret.txt").write_text("outside the dist folder")
    return build_dist(root / "dist")


@pytest.fixture(scope="module")
async def web_app(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> AsyncIterator[FastAPI]:
    settings = make_settings(tmp_path_factory.mktemp("web-data"), web_dist_dir=dist)
    await upgrade_schema(settings)
    async for started in started_app(settings):
        yield started


@pytest.fixture
async def http(web_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web_app) as client:
        yield client


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == EXPECTED_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    permissions = response.headers["permissions-policy"]
    assert "microphone=(self)" in permissions
    assert "camera=(self)" in permissions


def assert_index(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.text == INDEX_HTML
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)


def test_the_page_policy_is_the_one_the_client_is_built_for() -> None:
    assert PAGE_CSP == EXPECTED_CSP


async def test_hashed_assets_are_cached_for_a_year(http: httpx.AsyncClient) -> None:
    asset = await http.get("/assets/app-abc123.js")
    assert asset.status_code == 200
    assert asset.text == APP_JS
    assert "javascript" in asset.headers["content-type"]
    assert asset.headers["cache-control"] == IMMUTABLE
    assert_security_headers(asset)
    # A revalidation with its ETag is a 304 (still immutable).
    again = await http.get(
        "/assets/app-abc123.js", headers={"If-None-Match": asset.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == IMMUTABLE


async def test_the_client_s_files_go_gzipped_to_a_browser_that_takes_it(
    http: httpx.AsyncClient,
) -> None:
    zipped = await http.get("/assets/chunk-def456.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(CHUNK_JS) / 4
    assert zipped.text == CHUNK_JS  # httpx undoes the encoding
    assert zipped.headers["cache-control"] == IMMUTABLE
    plain = await http.get("/assets/chunk-def456.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == CHUNK_JS
    api = await http.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in api.headers


async def test_index_html_is_never_cached(http: httpx.AsyncClient) -> None:
    assert_index(await http.get("/"))
    assert_index(await http.get("/index.html"))
    head = await http.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["cache-control"] == "no-cache"


async def test_other_files_are_served_and_revalidated(http: httpx.AsyncClient) -> None:
    icon = await http.get("/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.headers["cache-control"] == "no-cache"


async def test_the_service_worker_is_revalidated_every_time(http: httpx.AsyncClient) -> None:
    """A new build is a new worker: the browser must ask each time, never keep it a year."""
    worker = await http.get("/sw.js")
    assert worker.status_code == 200
    assert worker.text == SERVICE_WORKER_JS
    assert "javascript" in worker.headers["content-type"]
    assert worker.headers["cache-control"] == "no-cache"
    assert_security_headers(worker)
    again = await http.get("/sw.js", headers={"If-None-Match": worker.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"


async def test_the_manifest_is_served_as_a_web_app_manifest(http: httpx.AsyncClient) -> None:
    manifest = await http.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.headers["cache-control"] == "no-cache"
    assert manifest.json()["display"] == "standalone"


async def test_a_missing_worker_or_manifest_is_a_404_not_the_page(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX_HTML)
    settings = make_settings(tmp_path / "data", web_dist_dir=dist)
    await upgrade_schema(settings)
    async for app in started_app(settings):
        async with client_for(app) as client:
            for path in ("/sw.js", "/manifest.webmanifest"):
                assert_error(await client.get(path), 404, "not_found")
            assert_index(await client.get("/chat"))


@pytest.mark.parametrize(
    "path",
    [
        "/chat",
        "/chat/01J9ZQ",
        "/settings/devices",
        "/diary?date=2024-05-01",
        "/sign-in/",
        "/assets",
    ],
)
async def test_client_routes_fall_back_to_index_html(http: httpx.AsyncClient, path: str) -> None:
    assert_index(await http.get(path))


async def test_a_missing_asset_is_a_404_not_the_page(http: httpx.AsyncClient) -> None:
    missing = await http.get("/assets/app-gone999.js")
    assert_error(missing, 404, "not_found")
    assert "immutable" not in missing.headers.get("cache-control", "")


@pytest.mark.parametrize(
    "path",
    [
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
    ],
)
async def test_nothing_outside_the_dist_folder_is_served(
    http: httpx.AsyncClient, path: str
) -> None:
    answer = await http.get(path)
    assert "outside the dist folder" not in answer.text
    assert answer.status_code in (200, 404)  # the page (a client route), or no such asset


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/nothing-here",
        "/api/users/me/nothing",
        "/v1/nothing",
        "/ws/nothing",
        "/docs/nothing",
        "/healthz/x",
        "/metrics/x",
        "/openapi.json/x",
    ],
)
async def test_unknown_api_paths_keep_their_json_404(http: httpx.AsyncClient, path: str) -> None:
    answer = await http.get(path)
    error = assert_error(answer, 404, "not_found")
    assert error["message"] == "Not Found"
    assert answer.headers["content-type"] == "application/json"


async def test_methods_and_routes_are_untouched(http: httpx.AsyncClient) -> None:
    # A wrong method on an API route is still a 405, not the page.
    assert_error(await http.get("/api/auth/login"), 405, "method_not_allowed")
    # Anything but GET on a client path is the plain 404.
    assert_error(await http.post("/chat", json={}), 404, "not_found")
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/openapi.json")).json()["info"]["title"] == "Confidant"
    assert_error(await http.get("/api/users/me"), 401)


async def test_the_api_carries_the_headers_too(http: httpx.AsyncClient) -> None:
    answer = await http.get("/healthz")
    assert_security_headers(answer)
    assert_security_headers(await http.get("/api/nothing-here"))


def inline_script_hashes(html: str) -> set[str]:
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    }


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect", "/redoc"])
async def test_the_docs_get_a_policy_that_lets_them_run(http: httpx.AsyncClient, path: str) -> None:
    page = await http.get(path)
    assert page.status_code == 200
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    scripts = csp["script-src"].split()
    assert "https://cdn.jsdelivr.net" in scripts  # Swagger UI and ReDoc come from there
    assert "'unsafe-inline'" not in scripts
    for digest in inline_script_hashes(page.text):  # each inline script by its hash
        assert digest in scripts
    if path == "/docs":
        assert inline_script_hashes(page.text)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["connect-src"] == "'self'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert int(page.headers["content-length"]) == len(page.content)


def route_paths(routes: list[Any]) -> Iterator[str]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from route_paths(included.routes)
        else:
            yield route.path


async def test_every_route_is_under_an_api_segment(web_app: FastAPI) -> None:
    """So no route can be shadowed by (or shadow) a client route."""
    paths = set(route_paths(web_app.routes))
    assert "/api/auth/login" in paths
    assert "/ws/chats/{chat_id}" in paths
    outside = {p for p in paths if p.lstrip("/").split("/", 1)[0] not in API_SEGMENTS}
    assert not outside


# --- not built yet -------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def unbuilt(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[FastAPI, Path]]:
    dist = tmp_path_factory.mktemp("unbuilt") / "dist"  # not there
    settings = make_settings(tmp_path_factory.mktemp("unbuilt-data"), web_dist_dir=dist)
    await upgrade_schema(settings)
    async for started in started_app(settings):
        yield started, dist


async def test_without_a_build_the_page_says_to_run_make_web(
    unbuilt: tuple[FastAPI, Path],
) -> None:
    app, dist = unbuilt
    async with client_for(app) as client:
        for path in ("/", "/chat/1", "/assets/app-abc123.js"):
            page = await client.get(path)
            assert page.status_code == 503
            assert "make web" in page.text
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["cache-control"] == "no-store"
            assert_security_headers(page)
        # The API works all the same.
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.post("/api/auth/guest")).status_code == 201
        assert_error(await client.get("/api/nothing-here"), 404, "not_found")
        # Built while the server runs: served at once, no restart.
        build_dist(dist)
        assert_index(await client.get("/chat/1"))


# --- end to end: a real server process ------------------------------------------------------


async def test_a_real_server_serves_the_client_with_its_headers(tmp_path: Path, dist: Path) -> None:
    settings = make_settings(tmp_path / "data", web_dist_dir=dist)
    async for server in served(settings):
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert_index(await client.get("/"))
            assert_index(await client.get("/chat/1"))
            asset = await client.get("/assets/app-abc123.js")
            assert asset.headers["cache-control"] == IMMUTABLE
            assert_error(await client.get("/api/nothing-here"), 404, "not_found")


@pytest.mark.slow
async def test_confidant_serve_serves_the_dist_folder_it_is_given(
    tmp_path: Path, dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`confidant serve` itself, in a process of its own, with CONFIDANT_WEB_DIST_DIR."""
    settings = make_settings(tmp_path / "data", web_dist_dir=dist)
    await upgrade_schema(settings)
    monkeypatch.setenv("CONFIDANT_WEB_DIST_DIR", str(dist))
    monkeypatch.setenv("CONFIDANT_JOBS_WORKER", "external")
    port = free_port()
    process = serve(settings, port, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url, process)
        async with httpx.AsyncClient(base_url=url) as client:
            assert_index(await client.get("/"))
            assert_index(await client.get("/diary/2024-05-01"))
            asset = await client.get("/assets/app-abc123.js")
            assert asset.headers["cache-control"] == IMMUTABLE
            assert_security_headers(asset)
            assert_error(await client.get("/api/nothing-here"), 404, "not_found")
            docs = await client.get("/docs")
            assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    finally:
        stop_worker(process)
