"""Steps the browser tests share: signing in through the login form, and starting work from "my work"."""

import re


def sign_in(page, live_server, username, next_path="/my-work/", password=None):
    """Sign in as `username` (the test users' password is "<username>-password") on the login page that
    `next_path` leads to, and wait for `next_path` itself: the exact address, since the login URL's ?next= has
    it too."""
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or f"{username}-password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{next_path}")


def start_work(page, focused):
    """From "my work", the Start button, reached and pressed with the keyboard; then wait for the item's page,
    its focus on the first element matching `focused` (the scores' or the verdicts' buttons)."""
    page.locator("form[action$='/next/'] button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/items/[0-9a-f-]{36}/$"))
    page.wait_for_function(f"document.activeElement && document.activeElement.matches('{focused}')")
