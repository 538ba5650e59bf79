"""yinsi's Chinese PI detectors against argus-redact (fast mode) on the same corpus.

The corpus (benchmarks/pii_corpus.py, seeded) has every kind the detectors know in
Chinese sentences, and hard negatives (order numbers, ms timestamps, amounts, versions,
unallocated mobile segments, checksum failures, dates that are not birth dates); the
sentences are joined into documents of 20. Both tools read the same documents in the same
run, alternating, and are scored on exact spans: a finding counts only if its kind and its
start and end are those of a labelled value. Per kind and micro-averaged: precision,
recall, F1; an overlap score (same kind, spans overlap) is printed too, as a hint of
boundary disagreements. Throughput is UTF-8 MB of text per second of detection; for
argus-redact its public ``redact(text, mode="fast", lang="zh", detailed=True)`` (its
replacement step costs it well under 1% of the time, see its ``stats``).

argus-redact's types are mapped to ours (``phone`` → ``mobile``, ``eep``/``hrp`` →
``hk_macau_permit``, ``credit_code`` → ``uscc``, ``ip_address`` → ``ipv4``/``ipv6`` by
its text…); its types with no counterpart here (``date``, ``qq``, ``tw_id``…) are left out
of its score rather than counted as false positives.

``vs_baseline`` in the last line's JSON = our detection time ÷ argus-redact's (≤ 1 meets
the throughput target); target micro F1 ≥ argus-redact's + 0.05.

    pip install -e '.[bench]'     # argus-redact, never a runtime dependency
    python benchmarks/pii.py [--quick] [--sentences N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TypedDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pii_corpus import Sample, Span, build, join

from yinsi.taxonomy.detectors import KINDS, detect

ARGUS_TYPES = {
    "person": "person_name",
    "phone": "mobile",
    "phone_landline": "landline",
    "id_number": "id_number",
    "bank_card": "bank_card",
    "credit_code": "uscc",
    "passport": "passport",
    "eep": "hk_macau_permit",
    "hrp": "hk_macau_permit",
    "license_plate": "plate",
    "imei": "imei",
    "mac_address": "mac",
    "email": "email",
    "date_of_birth": "birth_date",
    "address": "address",
}


def ours(text: str) -> list[Span]:
    return [(f.kind, f.start, f.end) for f in detect(text)]


def _argus() -> Callable[[str], list[Span]]:
    try:
        from argus_redact import SecurityWarning, redact  # type: ignore[import-untyped]
    except ImportError:
        raise SystemExit(
            "argus-redact is not installed: `pip install -e '.[bench]'` (or `make bench`)"
        ) from None

    # About restoring pseudonyms later through an LLM: nothing to do with detection.
    warnings.filterwarnings("ignore", category=SecurityWarning)

    def argus(text: str) -> list[Span]:
        _, _, details = redact(text, mode="fast", lang="zh", detailed=True)
        spans = []
        for entity in details["entities"]:
            kind = entity["type"]
            if kind == "ip_address":
                mapped = "ipv6" if ":" in entity["original"] else "ipv4"
            elif kind in ("phone", "phone_landline"):  # by the number, not argus's guess
                digits = "".join(c for c in entity["original"] if c.isdigit())
                is_landline = digits.startswith("0") and not digits.startswith("0086")
                mapped = "landline" if is_landline else "mobile"
            else:
                mapped = ARGUS_TYPES.get(kind, "")
            if mapped:
                spans.append((mapped, entity["start"], entity["end"]))
        return spans

    return argus


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def score(truth: Iterable[Span], found: Iterable[Span]) -> tuple[Counter[str], ...]:
    """Exact (tp, fp, fn) and overlap (tp, fp, fn) counts per kind."""
    tp, fp, fn, otp, ofp, ofn = (Counter[str]() for _ in range(6))
    truth, found = set(truth), set(found)
    for span in found:
        (tp if span in truth else fp)[span[0]] += 1
        (otp if any(_overlaps(span, t) for t in truth) else ofp)[span[0]] += 1
    for span in truth:
        if span not in found:
            fn[span[0]] += 1
        if not any(_overlaps(span, f) for f in found):
            ofn[span[0]] += 1
    return tp, fp, fn, otp, ofp, ofn


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run(
    documents: list[Sample], tool: Callable[[str], list[Span]]
) -> tuple[float, list[Counter[str]]]:
    totals = [Counter[str]() for _ in range(6)]
    elapsed = 0.0
    for doc in documents:
        start = time.perf_counter()
        found = tool(doc.text)
        elapsed += time.perf_counter() - start
        for total, part in zip(totals, score(doc.spans, found), strict=True):
            total.update(part)
    return elapsed, totals


Scores = dict[str, float]


class Summary(TypedDict):
    per_kind: dict[str, Scores]
    micro: Scores
    overlap_f1: float


def summary(counts: list[Counter[str]]) -> Summary:
    tp, fp, fn, otp, ofp, ofn = counts
    per_kind = {}
    for kind in KINDS:  # a kind neither in the corpus nor found is not scored (no 0/0)
        if not (tp[kind] or fp[kind] or fn[kind]):
            continue
        p, r, f = prf(tp[kind], fp[kind], fn[kind])
        per_kind[kind] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)}
    p, r, f = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    _, _, of = prf(sum(otp.values()), sum(ofp.values()), sum(ofn.values()))
    return {
        "per_kind": per_kind,
        "micro": {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)},
        "overlap_f1": round(of, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4,000 sentences (under a minute)")
    parser.add_argument("--sentences", type=int, default=None)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    n = args.sentences or (4_000 if args.quick else 40_000)
    documents = join(build(n, seed=args.seed))
    size_mb = sum(len(d.text.encode()) for d in documents) / 1e6
    argus = _argus()
    for tool in (ours, argus):  # warm-up: compile patterns, load dictionaries
        for doc in documents[:5]:
            tool(doc.text)
    ours_s, argus_s = 0.0, 0.0
    ours_counts = [Counter[str]() for _ in range(6)]
    argus_counts = [Counter[str]() for _ in range(6)]
    half = max(1, len(documents) // 2)
    for chunk in (documents[:half], documents[half:]):  # alternate to share the load
        for tool, counts, slot in ((ours, ours_counts, 0), (argus, argus_counts, 1)):
            seconds, part = run(chunk, tool)
            for total, new in zip(counts, part, strict=True):
                total.update(new)
            if slot == 0:
                ours_s += seconds
            else:
                argus_s += seconds
    mine, theirs = summary(ours_counts), summary(argus_counts)
    labelled = sum(len(d.spans) for d in documents)
    print(
        f"corpus: {n} sentences in {len(documents)} documents, {size_mb:.2f} MB, "
        f"{labelled} labelled values, seed {args.seed}"
    )
    print(f"{'kind':<16} {'ours P/R/F1':>20} {'argus-redact P/R/F1':>24}")
    none = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    for kind in (k for k in KINDS if k in mine["per_kind"] or k in theirs["per_kind"]):
        a, b = mine["per_kind"].get(kind, none), theirs["per_kind"].get(kind, none)
        print(
            f"{kind:<16} {a['precision']:>6.3f} {a['recall']:>6.3f} {a['f1']:>6.3f}"
            f"   {b['precision']:>6.3f} {b['recall']:>6.3f} {b['f1']:>6.3f}"
        )
    m, t = mine["micro"], theirs["micro"]
    print(
        f"{'micro':<16} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f}"
        f"   {t['precision']:>6.3f} {t['recall']:>6.3f} {t['f1']:>6.3f}"
    )
    print(f"overlap F1: ours {mine['overlap_f1']}, argus-redact {theirs['overlap_f1']}")
    print(
        f"throughput: ours {size_mb / ours_s:.2f} MB/s ({ours_s:.2f} s), "
        f"argus-redact {size_mb / argus_s:.2f} MB/s ({argus_s:.2f} s)"
    )
    try:
        from importlib.metadata import version

        argus_version = version("argus-redact")
    except Exception:
        argus_version = "?"
    print(
        json.dumps(
            {
                "benchmark": "pii",
                "sentences": n,
                "mb": round(size_mb, 3),
                "f1_ours": m["f1"],
                "f1_argus": t["f1"],
                "overlap_f1_ours": mine["overlap_f1"],
                "overlap_f1_argus": theirs["overlap_f1"],
                "mb_per_s_ours": round(size_mb / ours_s, 3),
                "mb_per_s_argus": round(size_mb / argus_s, 3),
                "argus_redact": argus_version,
                "per_kind_ours": mine["per_kind"],
                "per_kind_argus": theirs["per_kind"],
                "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}, load {os.getloadavg()[0]:.1f}",
                "vs_baseline": round(ours_s / argus_s, 3),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
