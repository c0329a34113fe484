"""The client snippets of docs/serve.md ("Google's client libraries against it"), taken from the
doc and run as written in a fresh Python against the suite's plane, so the doc cannot drift.

For google-cloud-compute, every request to anything but loopback goes to a proxy that is not
there: a snippet that let the library call compute.googleapis.com (its operation polling, without
the operation clients it is handed) fails instead of hanging or reaching Google. (httplib2, under
google-api-python-client, cannot use a proxy at all; that client has no such polling.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import support

DOC = os.path.join(support.REPO, "docs", "serve.md")


def snippet(library: str) -> str:
    """The ```python block of docs/serve.md whose first line is `# LIBRARY`."""
    with open(DOC) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    matching = [b for b in blocks if b.startswith(f"# {library}\n")]
    assert len(matching) == 1, f"docs/serve.md has {len(matching)} python blocks for {library}"
    return matching[0]


@pytest.mark.plane
@pytest.mark.parametrize("library, printed, dead_proxy", [("google-cloud-compute", "READY", True),
                                                           ("google-api-python-client", "docs-health", False)])
def test_the_docs_snippet_runs_against_the_plane(plane, image_archive, library, printed, dead_proxy):
    env = dict(os.environ, SORTIE_ENDPOINT=plane.base, SORTIE_SERVE_DATA=plane.data_dir, ARCHIVE=image_archive)
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"):
        env.pop(name, None)
    if dead_proxy:
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            env[name] = "http://127.0.0.1:9"
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    r = subprocess.run([sys.executable, "-c", snippet(library)], env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, f"the {library} snippet of docs/serve.md failed:\n{r.stdout}\n{r.stderr[-4000:]}"
    assert r.stdout.strip() == printed
