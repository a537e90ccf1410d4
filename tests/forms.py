"""Drive a form as a browser does: what the rendered page holds, changed only where a person types.

``submit_form(client, "/people/new", {"username": "wang", "display_name": "王芳"})`` fetches the
page, finds the form, collects exactly what a browser would send (text inputs, hidden fields
such as the CSRF token, checked boxes and radios, selected options, textareas; never disabled
or unchecked controls), applies the changes, and posts it to the form's action.

A change to a field the page does not render, or a choice the page does not offer, fails the
test: that is how tests used to post ``active=y`` that no browser ever sent.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from werkzeug.datastructures import MultiDict

NOT_SENT_INPUT_TYPES = {"submit", "button", "image", "reset", "file"}


@dataclass
class Control:
    tag: str
    name: str
    type: str = "text"
    value: str = ""
    checked: bool = False
    disabled: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected) of a select
    multiple: bool = False
    text: str = ""  # a button's or textarea's text


@dataclass
class Form:
    attrs: dict
    controls: list[Control] = field(default_factory=list)

    @property
    def action(self) -> str:
        return self.attrs.get("action") or ""

    @property
    def method(self) -> str:
        return (self.attrs.get("method") or "get").lower()

    def named(self, name: str) -> list[Control]:
        return [control for control in self.controls if control.name == name]

    @property
    def names(self) -> set[str]:
        return {control.name for control in self.controls if control.name}

    def buttons(self) -> list[Control]:
        return [
            control
            for control in self.controls
            if (control.tag == "button" and control.type == "submit")
            or (control.tag == "input" and control.type in {"submit", "image"})
        ]

    def successful_controls(self) -> list[tuple[str, str]]:
        """The name/value pairs a browser sends, in document order, before any button."""
        pairs = []
        for control in self.controls:
            if not control.name or control.disabled:
                continue
            if control.tag == "select":
                selected = [value for value, chosen in control.options if chosen]
                if not selected and not control.multiple and control.options:
                    selected = [control.options[0][0]]
                pairs.extend((control.name, value) for value in selected)
            elif control.tag == "textarea":
                pairs.append((control.name, control.text))
            elif control.tag == "input":
                if control.type in NOT_SENT_INPUT_TYPES:
                    continue
                if control.type in {"checkbox", "radio"}:
                    if control.checked:
                        pairs.append((control.name, control.value or "on"))
                else:
                    pairs.append((control.name, control.value))
        return pairs


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.by_id: dict[str, Form] = {}
        self.current: Form | None = None
        self.select: Control | None = None
        self.option: dict | None = None
        self.text_target: Control | None = None

    def _owner(self, attrs: dict) -> Form | None:
        if attrs.get("form"):
            return self.by_id.get(attrs["form"])
        return self.current

    def handle_starttag(self, tag, attr_list):
        attrs = {key: (value if value is not None else "") for key, value in attr_list}
        if tag == "form":
            self.current = Form(attrs)
            self.forms.append(self.current)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self.current
            return
        owner = self._owner(attrs)
        if tag == "option" and self.select is not None:
            self.option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": ""}
            return
        if owner is None or tag not in {"input", "select", "textarea", "button"}:
            return
        control = Control(
            tag=tag,
            name=attrs.get("name", ""),
            type=(attrs.get("type") or ("submit" if tag == "button" else "text")).lower(),
            value=attrs.get("value", ""),
            checked="checked" in attrs,
            disabled="disabled" in attrs,
            multiple="multiple" in attrs,
        )
        owner.controls.append(control)
        if tag == "select":
            self.select = control
        elif tag in {"textarea", "button"}:
            self.text_target = control

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        elif self.text_target is not None:
            self.text_target.text += data

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None and self.select is not None:
            value = self.option["value"] if self.option["value"] is not None else self.option["text"].strip()
            self.select.options.append((value, self.option["selected"]))
            self.option = None
        elif tag == "select":
            self.select = None
        elif tag in {"textarea", "button"}:
            if self.text_target is not None and self.text_target.tag == "textarea":
                # A browser drops the one newline right after <textarea>.
                self.text_target.text = self.text_target.text.removeprefix("\n")
            self.text_target = None
        elif tag == "form":
            self.current = None


def read_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


# The page layout's own forms (sign out, language), never the one a test means.
LAYOUT_FORM_ACTIONS = ("/auth/logout", "/language")


def choose_form(forms: list[Form], selector, changes: dict) -> Form:
    """The form a test means: by ``#id``, by an action path, or the one holding every changed field."""
    if isinstance(selector, int):
        return forms[selector]
    if isinstance(selector, str):
        if selector.startswith("#"):
            matches = [form for form in forms if form.attrs.get("id") == selector[1:]]
        else:
            matches = [form for form in forms if urlsplit(form.action).path == selector]
        assert len(matches) == 1, f"{len(matches)} forms match {selector!r}: {[f.action for f in forms]}"
        return matches[0]
    candidates = [
        form
        for form in forms
        if not urlsplit(form.action).path.startswith(LAYOUT_FORM_ACTIONS) and set(changes) <= form.names
    ]
    assert candidates, f"no form on the page has the fields {sorted(changes)}: {[f.action for f in forms]}"
    assert len(candidates) == 1, (
        f"{len(candidates)} forms could be meant ({[f.action for f in candidates]}): "
        "pass form='#id' or an action"
    )
    return candidates[0]


def fill(form: Form, changes: dict) -> list[tuple[str, str]]:
    """What the browser sends after a person makes ``changes``.

    A value is typed text (or a list of them for repeated fields); for a checkbox, True or
    False ticks or unticks it (a list of values ticks exactly those of a group); for a radio
    group or a select, the value chosen, which must be one the page offers.
    """
    pairs = form.successful_controls()
    for name, wanted in changes.items():
        controls = form.named(name)
        assert controls, f"the form has no field {name!r}; it has {sorted(form.names)}"
        assert not any(control.disabled for control in controls), f"{name!r} is disabled on the page"
        first = controls[0]
        pairs = [(key, value) for key, value in pairs if key != name]
        if first.tag == "input" and first.type == "checkbox":
            offered = [control.value or "on" for control in controls]
            if wanted is True:
                wanted = offered[:1]
            elif wanted is False or wanted is None:
                wanted = []
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            assert set(wanted) <= set(offered), f"{name!r} offers {offered}, not {wanted}"
            pairs.extend((name, value) for value in wanted)
        elif first.tag == "input" and first.type == "radio":
            offered = [control.value or "on" for control in controls]
            assert str(wanted) in offered, f"{name!r} offers {offered}, not {wanted!r}"
            pairs.append((name, str(wanted)))
        elif first.tag == "select":
            offered = [value for value, _ in first.options]
            values = [str(value) for value in wanted] if isinstance(wanted, list | tuple) else [str(wanted)]
            assert set(values) <= set(offered), f"{name!r} offers {offered}, not {values}"
            pairs.extend((name, value) for value in values)
        else:
            values = wanted if isinstance(wanted, list | tuple) else [wanted]
            pairs.extend((name, str(value)) for value in values)
    return pairs


def submit_form(
    client,
    url: str,
    changes: dict | None = None,
    *,
    form=None,
    button: str | None = None,
    htmx: bool = False,
    headers: dict | None = None,
    follow_redirects: bool = False,
    files: dict[str, tuple[bytes, str]] | None = None,
):
    """GET ``url``, fill its form with ``changes`` and submit it; returns the POST's response.

    ``files`` chooses a file for each named file input: ``{"file": (content, "register.xlsx")}``;
    the form must have that input and send multipart, as a browser needs to upload it.

    ``button`` names the submit button clicked (its ``name`` or ``name=value``), for forms
    with several. ``htmx=True`` sends what htmx would: the form's ``hx-post`` address (else its
    action) with ``HX-Request: true``.
    """
    changes = changes or {}
    page = client.get(url, headers=headers or {})
    assert page.status_code == 200, f"GET {url} answered {page.status_code}"
    html = page.get_data(as_text=True)
    chosen = choose_form(read_forms(html), form, changes)
    pairs = fill(chosen, changes) + attach_files(chosen, files or {})
    if button is not None:
        name, _, value = button.partition("=")
        matches = [b for b in chosen.buttons() if b.name == name and (not value or b.value == value)]
        assert matches, f"no button {button!r}; buttons: {[(b.name, b.value) for b in chosen.buttons()]}"
        pairs.append((name, matches[0].value))
    target = chosen.attrs.get("hx-post") if htmx and chosen.attrs.get("hx-post") else chosen.action
    address = urljoin(url, target or url)
    sent_headers = dict(headers or {})
    # The token is only what the page carries: a hidden field in the form, or for htmx the
    # page's hx-headers. An empty header tells the test client not to add one of its own.
    sent_headers["X-CSRFToken"] = page_csrf_header(html) if htmx else ""
    if htmx:
        sent_headers["HX-Request"] = "true"
        sent_headers["HX-Current-URL"] = urljoin("http://localhost/", url)  # the page it was on
    options = {"headers": sent_headers, "follow_redirects": follow_redirects}
    if chosen.method == "get" and not (htmx and chosen.attrs.get("hx-post")):
        return client.get(address, query_string=pairs, **options)
    return client.post(address, data=MultiDict(pairs), **options)


def attach_files(form: Form, files: dict[str, tuple[bytes, str]]) -> list[tuple[str, tuple]]:
    """The file parts a browser sends for the files a person chose."""
    parts = []
    for name, (content, filename) in files.items():
        inputs = [
            control for control in form.named(name) if control.tag == "input" and control.type == "file"
        ]
        assert inputs, f"the form has no file input {name!r}"
        assert form.attrs.get("enctype") == "multipart/form-data", "a file needs enctype=multipart/form-data"
        parts.append((name, (io.BytesIO(content), filename)))
    return parts


HX_HEADERS_TOKEN = re.compile(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""")
# A CSRF token (itsdangerous: payload.timestamp.signature): two renders of one page differ in it
# whenever a second has passed between them.
CSRF_TOKEN = re.compile(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}")


def without_csrf_tokens(html: str) -> str:
    return CSRF_TOKEN.sub("", html)


def page_csrf_header(html: str) -> str:
    """The CSRF token htmx sends from the page's ``hx-headers``, or "" when the page has none."""
    match = HX_HEADERS_TOKEN.search(html)
    return match.group(1) if match else ""


def form_on(client, url: str, selector=None) -> Form:
    """The form as rendered, to look at what it holds (e.g. that a box starts unticked)."""
    page = client.get(url)
    assert page.status_code == 200, f"GET {url} answered {page.status_code}"
    return choose_form(read_forms(page.get_data(as_text=True)), selector, {})


def answer_yes(client, asked, *, follow_redirects: bool = False):
    """Press "yes" on the page a destructive post answered with (scheduler/confirmation.py).

    Fails when ``asked`` is not that page, so a test using it also checks that the action asked.
    """
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200, f"expected the question page, got {asked.status_code}"
    forms = [form for form in read_forms(html) if "confirmed" in form.names]
    assert len(forms) == 1, "the answer is not a page asking to confirm"
    return client.post(
        forms[0].action,
        data=MultiDict(forms[0].successful_controls()),
        headers={"X-CSRFToken": ""},
        follow_redirects=follow_redirects,
    )
