"""The query page in a real headless Chromium: choose a competency question in YASGUI, run it, see the rows."""
import shutil
import socket
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                       reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, chromedriver): "
                              "run .ci/install-browser"),
]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(built_store):
    from werkzeug.serving import make_server

    from server import create_app
    port = free_port()
    httpd = make_server("127.0.0.1", port, create_app(store_path=built_store), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1400,1000",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_run_an_example_in_yasgui(server_url, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server_url + "/")
    wait = WebDriverWait(browser, 60)
    wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#yasgui .yasqe .CodeMirror")))
    Select(browser.find_element(By.ID, "examples")).select_by_value("cq-07-patient-outcomes")
    wait.until(lambda driver: "hasOutcome" in driver.execute_script(
        "return window.adekgYasgui.getTab().getYasqe().getValue()"))
    browser.find_element(By.CSS_SELECTOR, "#yasgui .yasqe_queryButton").click()
    rows = wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#yasgui .yasr table tbody tr") or None)
    text = " ".join(row.text for row in rows)
    assert len(rows) == 3 and "Fatal" in text, text
