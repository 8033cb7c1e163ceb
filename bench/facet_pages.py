"""Size and time of the search page's facet views: the whole page as a browser gets it.

    .venv/bin/python bench/facet_pages.py INDEX_DIR [URL ...]

Each URL is rendered five times through the app (Flask's test client, no network) after one warm-up
request that builds the facet table; the median time is reported.  Without URLs, the views issue #13
measured: the page, "More actors" (every actor before the paged list), "More places", a facet search,
two actors AND-ed and a chart bar's period.
"""

from __future__ import annotations

import argparse
import statistics
import time

from searchapp.web import create_app

DEFAULT_URLS = (
    "/", "/?more=actor", "/?more=place", "/?q=ceasefire&more=actor", "/?more=actor&more_page=5", "/?actor_find=assad",
    "/?more=actor&actor_find=al", "/?actor=Bashar+al-Assad&actor=Vladimir+Putin&actor_op=all", "/?q=ceasefire&published=2016-04",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_dir")
    parser.add_argument("urls", nargs="*", default=DEFAULT_URLS)
    options = parser.parse_args()
    client = create_app({"TESTING": True, "INDEX_DIR": options.index_dir}).test_client()
    client.get("/")
    print("| URL | status | bytes | median ms |")
    print("|---|---:|---:|---:|")
    for url in options.urls:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        print(f"| `{url}` | {response.status_code} | {len(response.data):,} | {statistics.median(times) * 1000:.1f} |")


if __name__ == "__main__":
    main()
