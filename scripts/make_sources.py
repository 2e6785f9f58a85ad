"""Write ``srlib/data/sources.tsv`` (path, url, sha256, bytes) from a data folder's ``MANIFEST.tsv``.

The shared data's manifest records, for every file, the public GitHub repository, the commit and
the path it was copied from; the download URL pins that commit::

    python scripts/make_sources.py ../shared/data/MANIFEST.tsv > srlib/data/sources.tsv
"""
from __future__ import annotations

import csv
import sys
from urllib.parse import quote


def main(manifest: str) -> None:
    with open(manifest, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["path", "url", "sha256", "bytes"])
    for r in sorted(rows, key=lambda r: r["path"]):
        url = f"https://raw.githubusercontent.com/{r['source_repo']}/{r['commit']}/{quote(r['source_path'])}"
        out.writerow([r["path"], url, r["sha256"], r["bytes"]])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/MANIFEST.tsv")
