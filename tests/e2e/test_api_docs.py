"""The API's browsable docs (/api/docs/) work in a browser under the portal's CSP: Swagger UI
from the vendored assets renders the schema's operations, with no CSP violation and nothing
fetched from elsewhere."""

from __future__ import annotations

from playwright.sync_api import expect


def test_the_api_docs_render_the_operations_under_the_csp(new_page, live_server):
    page = new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/docs/")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tasks/").first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/contributions/").first
    ).to_be_visible()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requests)
