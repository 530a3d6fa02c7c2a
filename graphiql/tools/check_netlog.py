"""Checks a Chromium NetLog (--log-net-log) for requests that leave 127.0.0.1.

Usage: python3 check_netlog.py NETLOG.json PAGE_ORIGIN
Exit 1 if the page (or anything it loaded) requested a URL outside 127.0.0.1.
Requests that the browser makes for itself (no web initiator: update checks,
account probes...) are listed but not counted; verify.sh blocks their DNS.
"""

import json
import sys
from urllib.parse import urlsplit


def main() -> int:
    path, origin = sys.argv[1], sys.argv[2].rstrip("/")
    with open(path, encoding="utf-8") as fh:
        log = json.load(fh)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page, internal, bad = [], [], []
    for ev in log["events"]:
        if names.get(ev["type"]) != "URL_REQUEST_START_JOB":
            continue
        params = ev.get("params") or {}
        url = params.get("url")
        if not url:
            continue
        host = urlsplit(url).hostname or ""
        initiator = params.get("initiator") or ""
        from_page = initiator.startswith("http") or url.startswith(origin)
        line = f"{params.get('method', '?'):4} {url[:110]}"
        if from_page:
            (page if host == "127.0.0.1" else bad).append(line)
        else:
            internal.append(line)
    print(f"page requests ({len(page)}), all to 127.0.0.1:")
    for line in page:
        print("  " + line)
    if internal:
        print(f"browser-internal requests, not from the page ({len(internal)}; DNS blocked by --host-resolver-rules):")
        for line in internal:
            print("  " + line)
    if bad:
        print(f"FAIL: page requests leaving 127.0.0.1 ({len(bad)}):")
        for line in bad:
            print("  " + line)
        return 1
    if not page:
        print("FAIL: no page requests found in the NetLog")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
