"""Render a whole page, or only the block an htmx request asked for.

One template serves both: a page names the regions that change as Jinja blocks.
Boosted navigation and history restores need whole pages, so only a plain htmx
request gets a fragment. ``Vary: HX-Request`` keeps caches from mixing the two.
"""

from urllib.parse import urlsplit

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    return fragment_requested(request.headers)


def htmx_page_path() -> str:
    """The path of the page an htmx request was sent from (htmx names it in HX-Current-URL):
    what else to send out of band depends on what that page shows."""
    return urlsplit(request.headers.get("HX-Current-URL", "")).path


def fragment_requested(headers) -> bool:
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context):
    """The page, or ``block`` of it for htmx; ``status`` 422 for invalid htmx forms."""
    if block and wants_fragment():
        # Flash messages ride along out of band, replacing the page's flash region.
        body = render_block(template, block, **context) + render_template(
            "_partials/flashes.html", out_of_band=True
        )
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def form_status(form) -> int:
    """422 when a submitted form has errors, so htmx swaps in the messages."""
    return 422 if form.errors else 200


def private(response):
    """For pages with residents' personal data: no copy in any cache or history."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
