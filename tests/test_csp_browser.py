"""The Content-Security-Policy in a real headless Chromium: YASGUI works under it, an injected script does not run."""
import pytest

from tests.test_browser import CHROMEDRIVER, CHROMIUM, browser, server_url  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                       reason="needs Debian's chromium and chromium-driver: run .ci/install-browser"),
]
# Added through DevTools, so it runs before the page's own scripts and is not subject to the page's policy.
RECORD_VIOLATIONS = """window.adekgViolations = [];
document.addEventListener('securitypolicyviolation',
                          function (e) { window.adekgViolations.push(e.violatedDirective); });"""


@pytest.fixture
def recording(browser):  # noqa: F811 - the imported fixture
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    return browser


def test_yasgui_runs_a_query_under_the_policy(server_url, recording):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select, WebDriverWait

    recording.get(server_url + "/")
    wait = WebDriverWait(recording, 60)
    wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#yasgui .yasqe .CodeMirror")))
    Select(recording.find_element(By.ID, "examples")).select_by_value("cq-07-patient-outcomes")
    recording.find_element(By.CSS_SELECTOR, "#yasgui .yasqe_queryButton").click()
    rows = wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#yasgui .yasr table tbody tr") or None)
    assert len(rows) == 3
    assert recording.execute_script("return window.adekgViolations") == []


def test_an_injected_script_is_refused(server_url, recording):  # noqa: F811
    # Inline script, what an XSS would inject, is refused by the policy.
    recording.get(server_url + "/")
    recording.execute_script("""var s = document.createElement('script'); s.textContent = 'window.injected = 1';
                                document.body.appendChild(s);""")
    assert recording.execute_script("return window.injected === undefined")
    assert "script-src-elem" in recording.execute_script("return window.adekgViolations")
