"""A deterministic synthetic corpus for `make bench`: N items in monthly editions of
about 30, with an agency registry of 25 and 30 tags, shaped like the real digest.

It is our own generator (the shared bench folder has one for the side-by-side runs
with Hugo and Pelican); the project must be able to measure itself alone."""

from __future__ import annotations

import random
from pathlib import Path

AGENCIES = {
    "CAC": ("Cyberspace Administration of China", "national"),
    "SAMR": ("State Administration for Market Regulation", "national"),
    "MIIT": ("Ministry of Industry and Information Technology", "national"),
    "MPS": ("Ministry of Public Security", "national"),
    "NDRC": ("National Development and Reform Commission", "national"),
    "CSRC": ("China Securities Regulatory Commission", "national"),
    "MCT": ("Ministry of Culture and Tourism", "national"),
    "NISTC": ("National Information Security Standardization Technical Committee", "national"),
    "SAC": ("Standardization Administration of China", "national"),
    "PBOC": ("People's Bank of China", "national"),
    "NFRA": ("National Financial Regulatory Administration", "national"),
    "MOFCOM": ("Ministry of Commerce", "national"),
    "NHC": ("National Health Commission", "national"),
    "MOE": ("Ministry of Education", "national"),
    "NPC": ("National People's Congress", "national"),
    "NDA": ("National Data Administration", "national"),
    "Shanghai CA": ("Shanghai Cyberspace Administration", "provincial"),
    "Beijing CA": ("Beijing Cyberspace Administration", "provincial"),
    "Guangdong CA": ("Guangdong Cyberspace Administration", "provincial"),
    "Zhejiang CA": ("Zhejiang Cyberspace Administration", "provincial"),
    "Shenzhen CA": ("Shenzhen Cyberspace Administration", "municipal"),
    "Suzhou CA": ("Suzhou Cyberspace Administration", "municipal"),
    "SPP": ("Supreme People's Procuratorate", "judicial"),
    "SPC": ("Supreme People's Court", "judicial"),
    "CCA": ("China Consumers Association", "other"),
}
TAGS = [
    "cross-border",
    "pipl",
    "dsl",
    "csl",
    "data-export",
    "security-assessment",
    "standard-contract",
    "certification",
    "important-data",
    "ciio",
    "algorithm",
    "generative-ai",
    "deep-synthesis",
    "minors",
    "app-governance",
    "cookies",
    "biometrics",
    "facial-recognition",
    "data-breach",
    "penalty",
    "antitrust",
    "consumer-protection",
    "fintech",
    "healthcare",
    "automotive",
    "labelling",
    "draft-for-comments",
    "guidelines",
    "local-rules",
    "litigation",
]
CATEGORIES = ("regulation", "enforcement", "cases", "courts")
WORDS = [
    "the",
    "data",
    "protection",
    "measures",
    "personal",
    "information",
    "processing",
    "handler",
    "cross-border",
    "transfer",
    "security",
    "assessment",
    "authority",
    "notice",
    "draft",
    "comments",
    "platform",
    "operator",
    "rectification",
    "penalty",
    "court",
    "ruling",
    "standard",
    "certification",
    "critical",
    "infrastructure",
    "of",
    "and",
    "to",
    "in",
    "for",
    "on",
    "with",
    "by",
    "shall",
    "may",
    "under",
    "within",
    "such",
    "all",
    "any",
    "each",
    "new",
    "national",
]
VERBS = ("Issues", "Releases", "Publishes", "Amends", "Launches", "Clarifies", "Adopts", "Fines")
NOUNS = (
    "Measures",
    "Provisions",
    "Guidelines",
    "Rules",
    "Standard",
    "Notice",
    "Opinions",
    "Decision",
)


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def make(root: Path, n: int, seed: int = 1) -> Path:
    """Write an entries folder with `n` items under `root`; returns the entries path."""
    entries = root / "entries"
    entries.mkdir(parents=True)
    (entries / "site.yaml").write_text(
        'title: "Benchmark Digest"\nbase_url: "https://bench.example.org/"\n'
        "timezone: Asia/Shanghai\nid_authority: bench.example.org\nid_date: 2020-01-01\n"
    )
    (entries / "agencies.yaml").write_text(
        "".join(
            f'"{key}":\n  name: "{name}"\n  level: {level}\n'
            for key, (name, level) in AGENCIES.items()
        )
    )
    rng = random.Random(seed)
    year, month, left = 2026, 11, n
    index = 0
    while left > 0:
        size = min(left, rng.randint(26, 34))
        folder = entries / f"{year:04d}-{month:02d}"
        folder.mkdir()
        for _ in range(size):
            agencies = rng.sample(sorted(AGENCIES), rng.choice((1, 1, 2, 3)))
            tags = rng.sample(TAGS, rng.choice((0, 1, 2, 2, 3)))
            title = f"{agencies[0]} {rng.choice(VERBS)} {rng.choice(NOUNS)} on {_sentence(rng, 4)[:-1]} {index}"
            day = rng.randint(1, 28)
            y, m = (
                (year, month)
                if rng.random() < 0.7
                else ((year, month - 1) if month > 1 else (year - 1, 12))
            )
            body = "\n\n".join(
                _sentence(rng, rng.randint(20, 50)) for _ in range(rng.randint(1, 3))
            )
            (folder / f"item-{index:06d}.md").write_text(
                "---\n"
                f'title: "{title}"\n'
                f"date: {y:04d}-{m:02d}-{day:02d}\n"
                f"category: {rng.choice(CATEGORIES)}\n"
                f"agencies: [{', '.join(agencies)}]\n"
                f"tags: [{', '.join(tags)}]\n"
                f"source: https://example.gov.cn/{y}{m:02d}/t{index}.html\n"
                f"---\n{body}\n"
            )
            index += 1
        left -= size
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return entries
