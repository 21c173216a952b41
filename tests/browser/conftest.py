"""Browser fixtures: one live Nova for the session, Chromium, and people.

Each person is a browser context of their own (their own cookies, so
their own session) with the pages they open in it. Dialogs and uncaught
script errors are recorded per person so a test can assert there were
none: a message that opened an ``alert`` or broke the page script would
otherwise pass unseen.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, sync_playwright

from tests.live_server import NovaServer, running_nova

# Debian's Chromium; Playwright's own browser downloads are not used.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Clicks and page loads; live updates have their own, shorter budget.
ACTION_TIMEOUT_MS = 10_000


@dataclass
class Person:
    """Someone using Nova in a browser of their own."""

    context: BrowserContext
    page: Page
    name: str = ""
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def new_page(self) -> Page:
        """Another tab in the same browser, signed in as the same person."""
        return self.context.new_page()


@pytest.fixture(scope="session")
def nova_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NovaServer]:
    with running_nova(tmp_path_factory.mktemp("browser-e2e")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_person(
    browser: Browser, nova_server: NovaServer
) -> Iterator[Callable[..., Person]]:
    """Make a person with a browser of their own; ``javascript=False``
    gives them a browser with scripts off (P1)."""
    contexts: list[BrowserContext] = []

    def make(*, javascript: bool = True) -> Person:
        context = browser.new_context(
            base_url=nova_server.url, java_script_enabled=javascript
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        person = Person(context=context, page=context.new_page())

        def on_dialog(dialog: Dialog) -> None:
            person.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        context.on("dialog", on_dialog)
        context.on(
            "weberror", lambda error: person.page_errors.append(str(error.error))
        )
        return person

    yield make
    for context in contexts:
        context.close()
