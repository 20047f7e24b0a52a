"""The few calls tests/api/run.sh makes to the demo server around the fuzzing, one per command.

  demo.py URL post PATH JSON FIELD   POST JSON to PATH, print FIELD of the answer (no token)
  demo.py URL ids TOKEN              print `export` lines of real ids the fuzzing should use
  demo.py URL entry TOKEN ID         print how far the workflow got on entry ID
"""

import json
import sys
import urllib.request


def call(url, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = None if body is None else body.encode()
    return json.load(urllib.request.urlopen(urllib.request.Request(url + path, data, headers)))


def main(url, command, *args):
    if command == "post":
        path, body, field = args
        print(call(url, path, body=body)[field])
    elif command == "ids":
        # An entry waiting for review, its first report and photo, and a suggestion.
        (token,) = args
        waiting = call(url, "/api/v1/ledger?status=pending_review", token)["entries"][0]
        entry = call(url, "/api/v1/ledger/" + waiting["id"], token)
        report = entry["reports"][0]
        suggestion = call(url, "/api/v1/suggestions", token)["suggestions"][0]
        print(f"export HAZARDSNAP_FUZZ_ENTRY={entry['id']}")
        print(f"export HAZARDSNAP_FUZZ_REPORT={report['id']}")
        print(f"export HAZARDSNAP_FUZZ_PHOTO={report['photos'][0]}")
        print(f"export HAZARDSNAP_FUZZ_SUGGESTION={suggestion['id']}")
    elif command == "entry":
        token, entry_id = args
        entry = call(url, "/api/v1/ledger/" + entry_id, token)
        steps = " → ".join(h.get("action", "?") for h in entry["history"])
        print(f"the fuzzed entry is now {entry['status']} after: {steps}")
    else:
        sys.exit(f"unknown command {command}\n{__doc__}")


if __name__ == "__main__":
    main(*sys.argv[1:])
