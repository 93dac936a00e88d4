"""Search benchmark: the cause book and full-text search over a million cases, each query beside the same SQL
run raw in the same run; how fast the read models take in filing's events, and how far behind they are.

Measures, on a scratch PostgreSQL database migrated with ``icms-search migrate`` and loaded with synthetic data
of realistic size (1,000,000 cases, 200,000 public documents; see "The data" below):
1. latency (p50 / p99) of the cause book, ``PostgresStore.cause_book`` (what the HTTP endpoint calls), for a mix
   of queries: exact case numbers, the forgiving forms, partial numbers, fuzzy English party names, Chinese name
   substrings, court and year, a range of filing dates, the next page by cursor, no filter at all; beside each
   call, the SQL statements the store sent for that same query (captured from its engine once, before
   measuring: the main query and the parties' and docket's), replayed with psycopg on a connection of their
   own, interleaved call by call (which goes first alternates);
2. the same for full-text search, ``PostgresStore.documents``: one rare word, topic words, phrases, several
   words, with court or case-type and date filters, a case number in the query, one very common word;
3. ingest events/s: ``filing.case.updated`` data (new cases, and new versions of loaded ones with one more
   docket entry) and ``filing.document.published`` data with its text, each through search's projection
   (``project_case`` / ``project_document``) in a unit of work of its own, beside the same rows written by
   hand-written raw SQL (the statements the store issues, one transaction an event), in interleaved blocks;
   and, once search's consumers are wired, through ``icms-search worker`` consuming from RabbitMQ;
4. lag: the time from an event published straight to filing's exchange until the read model shows its
   version (polled every 10 ms), at steady rates (20 and 50 events/s), through ``icms-search worker``.

The data: cases spread over every case type of ``search/data/case_types.json`` (HCCP and HCZZ too) and the
years 2015-2026, numbered in filing order per type and year; 2 % sealed; 2-4 parties each, individuals with
Hong Kong names in English and Chinese (most), companies (English and Chinese names), government informants for
the Magistrates' Courts; firms of solicitors as representatives; 1-10 docket entries. Documents of cases whose
documents may be public, a few KB each of legal prose (boilerplate, topic terms, citations, the parties' names
and the case number); a few sealed, not open to inspection, or of HCMA (kept without text, as the store does).
It is loaded in bulk: every row is made from the event's data by search's own mapping (``projection``,
``canonical_case_number``, ``normalise_name``, the case-type rules) and COPYed into search's tables, with their
secondary indexes dropped before and made again after with the migration's own definitions, then VACUUM
ANALYZE; a sample is then written through the store beside its bulk-loaded twin and the rows compared.

Usage: python bench/search.py [--quick] [--cases 1000000] [--documents 200000] [--calls 500]
Needs PostgreSQL (--database-server) and, for the worker and the lag, RabbitMQ with rabbitmqctl on this
machine. Everything it makes (database, vhost, processes) it removes again. ``--quick`` (20,000 cases, 4,000
documents, fewer calls) is a smoke run and leaves bench/README.md alone.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import functools
import hashlib
import http.server
import itertools
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import options
import psycopg
import sqlalchemy as sa
from kombu import Connection
from machine import percentile, wait_for_quiet
from processes import BIN, running, service_env, tail
from readme_sections import publish, run_line
from scratch import scratch_vhost

from chassis.config import contracts_dir
from chassis.messaging.envelope import Envelope, new_event
from chassis.messaging.publisher import ConfirmingPublisher, OutgoingMessage
from chassis.messaging.schemas import SchemaRegistry
from chassis.messaging.topology import exchange_of
from chassis.testing.infra import free_port, scratch_database

# Run as a script, this file's directory comes first on sys.path, and this file is named like the
# service's package: without this, ``import search`` would find the benchmark itself.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from search import config  # noqa: E402
from search.adapters.store import ACCESS_FROM_FILING, make_store  # noqa: E402
from search.adapters.store_postgres import apply_session_settings  # noqa: E402
from search.adapters.store_sql import canonical_case_number  # noqa: E402
from search.bootstrap import bootstrap  # noqa: E402
from search.domain.case_types import CaseTypeRules, shipped_rules  # noqa: E402
from search.domain.names import compact, normalise_name  # noqa: E402
from search.domain.queries import CauseBookQuery, DocumentQuery  # noqa: E402
from search.domain.records import CaseRecord, DocumentRecord  # noqa: E402
from search.domain.snippets import clean_text  # noqa: E402
from search.service_layer import projection  # noqa: E402

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
FIRST_YEAR, LAST_YEAR = 2015, 2026
LAST_DAY = date(LAST_YEAR, 12, 31)
#: The targets of issue 7.
CAUSE_BOOK_P99_MS, FULL_TEXT_P99_MS, LAG_P99_MS = 50.0, 150.0, 1000.0
#: The events while the lag is measured: most are a case's new state (every filing accepted onto a docket makes
#: one), some a new case, some a public document.
PACED_MIX = ("case update", "case update", "new case", "new document", "case update")
#: How often the lag's watcher looks at the read model.
LAG_POLL_SECONDS = 0.01
READ_MODEL_TABLES = (
    "cases",
    "case_seals",
    "case_parties",
    "docket_entries",
    "public_documents",
    "case_access",
    "case_access_versions",
)

# --- the synthetic world: names, firms, case types, prose ---------------------------------------------

SURNAMES = [
    *(("Chan", "陳"), ("Wong", "黃"), ("Lee", "李"), ("Cheung", "張"), ("Lau", "劉"), ("Ng", "吳"), ("Ho", "何")),
    *(("Leung", "梁"), ("Lam", "林"), ("Tsang", "曾"), ("Yip", "葉"), ("Tang", "鄧"), ("Li", "李"), ("Fung", "馮")),
    *(("Kwok", "郭"), ("Chow", "周"), ("Choi", "蔡"), ("Lo", "盧"), ("Cheng", "鄭"), ("Mak", "麥"), ("Tse", "謝")),
    *(("Yeung", "楊"), ("Poon", "潘"), ("Tam", "譚"), ("So", "蘇"), ("Kwan", "關"), ("Yuen", "袁"), ("Siu", "蕭")),
    *(("Chu", "朱"), ("Lai", "黎"), ("Au", "區"), ("Hui", "許"), ("Ma", "馬"), ("Lui", "呂"), ("Law", "羅")),
    *(("Kong", "江"), ("Wan", "溫"), ("Shum", "岑"), ("To", "杜"), ("Luk", "陸"), ("Ip", "葉"), ("Wu", "胡")),
    *(("Fong", "方"), ("Tong", "唐"), ("Yau", "邱"), ("Chiu", "趙"), ("Sit", "薛"), ("Kam", "甘"), ("Pang", "彭")),
    *(("Liu", "廖"), ("Man", "文"), ("Ko", "高"), ("Chung", "鍾"), ("Mok", "莫"), ("Tsui", "徐"), ("Yu", "余")),
]
#: Surnames are far from even: Chan alone is about one Hong Kong person in twelve.
SURNAME_WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(SURNAMES))]
GIVEN = [
    *(("Tai", "大"), ("Man", "文"), ("Siu", "小"), ("Ming", "明"), ("Wai", "偉"), ("Kin", "健"), ("Ka", "家")),
    *(("Yan", "欣"), ("Mei", "美"), ("Ling", "玲"), ("Wing", "榮"), ("Chi", "志"), ("Kwok", "國"), ("Hung", "雄")),
    *(("Fai", "輝"), ("Hoi", "海"), ("Yee", "儀"), ("Sze", "詩"), ("Wah", "華"), ("Keung", "強"), ("Lok", "樂")),
    *(("Shing", "成"), ("Yiu", "耀"), ("Pui", "佩"), ("Kit", "傑"), ("Chun", "俊"), ("Hing", "興"), ("Tak", "德")),
    *(("Kam", "錦"), ("Sau", "秀"), ("Fung", "鳳"), ("Lai", "麗"), ("On", "安"), ("Pak", "柏"), ("Yu", "宇")),
    *(("Ho", "浩"), ("Tsz", "子"), ("Hei", "希"), ("Long", "朗"), ("Kwan", "君"), ("Yin", "賢"), ("Wan", "韻")),
    *(("Chung", "聰"), ("Nam", "南"), ("Sun", "新"), ("Kai", "啟"), ("Shun", "順"), ("Po", "寶"), ("Suet", "雪")),
    *(("Ching", "清"), ("Yuk", "玉"), ("Hang", "恆"), ("Lun", "倫"), ("Tin", "天"), ("Cheuk", "卓"), ("Hin", "軒")),
]
ENGLISH_NAMES = [
    *("Peter", "Mary", "John", "David", "Michael", "Kelvin", "Raymond", "Alice", "Carmen", "Winnie", "Eric", "Ivan"),
    *("Joyce", "Gary", "Tony", "Jason", "Vincent", "Kenneth", "Stephen", "Angela", "Grace", "Helen", "Anthony"),
    *("Patrick", "Wilson", "Jacky", "Ricky", "Candy", "Cindy", "Fanny"),
]
WESTERN_SURNAMES = [
    *("SMITH", "JONES", "BROWN", "WILSON", "TAYLOR", "SINGH", "KHAN", "PATEL", "CRUZ", "SANTOS", "GARCIA", "NGUYEN"),
    *("MÜLLER", "O'BRIEN", "DUPONT"),
]
COMPANY_FIRST = [
    *(("Golden", "金"), ("Great", "大"), ("Oriental", "東方"), ("Pacific", "太平洋"), ("Harbour", "海港")),
    *(("Prosperity", "興隆"), ("Fortune", "富"), ("Ever", "永"), ("Eastern", "東"), ("Hong Kong", "香港")),
    *(("Kowloon", "九龍"), ("Victoria", "維多利亞"), ("Jade", "翠"), ("Pearl", "明珠"), ("Silver", "銀")),
    *(("Bright", "光明"), ("Grand", "宏"), ("Wealthy", "富豪"), ("Sincere", "誠信"), ("Union", "聯合")),
]
COMPANY_SECOND = [
    *(("Dragon", "龍"), ("Phoenix", "鳳凰"), ("Lotus", "蓮花"), ("Bay", "灣"), ("Peak", "峰"), ("Ocean", "海洋")),
    *(("Star", "星"), ("Century", "世紀"), ("Treasure", "寶"), ("Rainbow", "彩虹"), ("Horizon", "天際")),
    *(("Crown", "皇冠"), ("Orchid", "蘭"), ("Summit", "高峰"), ("Sky", "天")),
]
COMPANY_TRADE = [
    *(("Trading", "貿易"), ("Construction", "建築"), ("Engineering", "工程"), ("Property", "地產")),
    *(("Investment", "投資"), ("Finance", "財務"), ("Logistics", "物流"), ("Garment", "製衣")),
    *(("Electronics", "電子"), ("Catering", "飲食"), ("Development", "發展"), ("Holdings", "控股")),
    *(("Security", "保安"), ("Transport", "運輸"), ("Insurance", "保險"), ("Decoration", "裝修"), ("Credit", "信貸")),
]
INFORMANTS = [
    *(("Commissioner of Police", "警務處處長"), ("Director of Food and Environmental Hygiene", "食物環境衞生署署長")),
    *(("Commissioner for Transport", "運輸署署長"), ("Commissioner of Customs and Excise", "香港海關關長")),
    *(("Director of Buildings", "屋宇署署長"), ("Commissioner for Labour", "勞工處處長")),
]
#: Case types by how many cases they bring (most are DC civil, summonses, small claims and HCA).
PREFIX_WEIGHTS = {
    **{"DCPI": 6, "DCTC": 3, "DCCJ": 10, "DCEC": 2, "ESS": 8, "KCS": 8, "KTS": 6, "WKS": 5, "STS": 4, "FLS": 4},
    **{"TMS": 3, "SCTC": 10, "CACV": 2, "CAMP": 1, "HCCL": 1, "HCIP": 0.3, "HCCT": 0.5, "HCPI": 3, "HCA": 12},
    **{"HCAP": 1, "HCMA": 2, "HCCP": 1.5, "HCZZ": 0.5},
}
SUMMONSES = {"ESS", "KCS", "KTS", "WKS", "STS", "FLS", "TMS"}
ROLES = {
    **dict.fromkeys(SUMMONSES, ("informant", "defendant")),
    **{"SCTC": ("claimant", "defendant"), "CACV": ("appellant", "respondent"), "CAMP": ("applicant", "respondent")},
    **{"HCMA": ("appellant", "respondent"), "HCCP": ("petitioner", "respondent"), "HCZZ": ("applicant", "respondent")},
    **{"DCEC": ("applicant", "respondent"), "HCAP": ("applicant", "respondent")},
}
FIRST_DOCKET = {
    **dict.fromkeys(SUMMONSES, "Summons"),
    **{"SCTC": "Form of Claim", "CACV": "Notice of Appeal", "CAMP": "Notice of Motion", "HCMA": "Notice of Appeal"},
    **{"HCCP": "Winding-up Petition", "DCEC": "Application for Employees' Compensation", "HCAP": "Originating Summons"},
}
DOCKET_TITLES = [
    *("Notice of Appointment of Solicitors", "Acknowledgment of Service", "Statement of Claim", "Defence", "Reply"),
    *("Summons for Directions", "Affirmation", "Affidavit", "List of Documents", "Order", "Witness Statement"),
    *("Consent Summons", "Notice of Change of Solicitors", "Certificate of Readiness for Trial", "Judgment"),
    *("Notice of Discontinuance", "Bill of Costs", "Skeleton Submissions", "Hearing Bundle", "Notice of Hearing"),
]
#: What a document's prose is about: terms (words and phrases) used verbatim, and the weight of the topic
#: among documents that do not take it from their case type.
TOPICS: dict[str, tuple[float, list[str]]] = {
    "injury": (3, ["personal injury", "road traffic accident", "whiplash", "loss of amenity", "loss of earnings",
                   "medical expenses", "negligence", "contributory negligence", "orthopaedic", "pain and suffering"]),
    "compensation": (2, ["employees compensation", "incapacity", "sick leave", "assessment of compensation",
                         "permanent loss of earning capacity", "accident at work", "employer"]),
    "contract": (4, ["breach of contract", "repudiation", "consideration", "damages", "specific performance",
                     "misrepresentation", "implied term", "liquidated damages"]),
    "tenancy": (3, ["tenancy", "landlord", "tenant", "arrears of rent", "vacant possession", "adverse possession",
                    "mesne profits", "forfeiture"]),
    "company": (2, ["winding up", "petition", "unfair prejudice", "shareholder", "fiduciary duty", "liquidator",
                    "statutory demand", "insolvency"]),
    "ip": (1, ["trade mark", "passing off", "copyright", "infringement", "interlocutory injunction", "goodwill"]),
    "arbitration": (1, ["arbitration", "arbitral award", "set aside", "contractor", "variation", "main contractor",
                        "extension of time", "liquidated and ascertained damages"]),
    "defamation": (0.5, ["defamation", "libel", "publication", "malice", "qualified privilege", "fair comment"]),
    "summons": (3, ["summons", "fixed penalty", "speeding", "littering", "obstruction", "unlicensed hawking",
                    "plea", "fine", "guilty plea", "mitigation"]),
    "small_claims": (2, ["small claims", "deposit", "refund", "goods sold and delivered", "unpaid wages",
                         "defective goods", "renovation works"]),
    "appeal": (2, ["leave to appeal", "grounds of appeal", "misdirection", "reasonable prospect of success",
                   "appellate court", "fresh evidence"]),
    "costs": (3, ["costs", "taxation", "indemnity basis", "party and party", "costs order", "wasted costs"]),
    "procedure": (3, ["summary judgment", "strike out", "default judgment", "security for costs", "discovery",
                      "interlocutory", "unless order", "case management"]),
    "trusts": (1, ["trust", "beneficiary", "estate", "executor", "resulting trust", "constructive trust",
                   "letters of administration"]),
    "employment": (1.5, ["wrongful dismissal", "wages in lieu of notice", "long service payment",
                         "severance payment", "summary dismissal"]),
    "fraud": (0.7, ["fraud", "conspiracy", "dishonest assistance", "knowing receipt", "Mareva injunction",
                    "tracing", "proprietary injunction"]),
    "banking": (1, ["guarantee", "loan", "banking facility", "interest", "event of default", "guarantor"]),
    "medical": (0.3, ["medical negligence", "Bolam", "informed consent", "hospital authority", "misdiagnosis"]),
    "insurance": (0.3, ["insurer", "insurance policy", "subrogation", "non-disclosure", "proposal form"]),
}  # fmt: skip
TOPICS_OF = {
    **{prefix: ["summons"] for prefix in SUMMONSES},
    **{"DCPI": ["injury"], "HCPI": ["injury", "medical"], "DCEC": ["compensation"], "SCTC": ["small_claims"]},
    **{"DCTC": ["tenancy"], "HCCP": ["company"], "HCIP": ["ip"], "HCCT": ["arbitration"], "CACV": ["appeal"]},
    **{"CAMP": ["appeal", "procedure"], "HCMA": ["appeal"], "HCAP": ["trusts"]},
    **{"DCCJ": ["contract", "banking", "employment"], "HCA": ["contract", "fraud", "defamation", "banking"]},
    **{"HCCL": ["contract", "insurance"]},
}
GENERIC = [
    *("application", "evidence", "submission", "hearing", "witness", "order", "affirmation", "counsel", "liability"),
    *("issue", "ground", "authority", "discretion", "proceedings", "claim", "relief", "trial", "document"),
    *("statement", "allegation", "finding", "inference", "credibility", "conduct", "circumstance", "agreement"),
    *("payment", "notice", "period", "sum", "account", "letter", "meeting", "invoice", "record", "report", "expert"),
    *("representation", "instruction", "schedule", "premises", "vehicle", "property", "transaction"),
    *("correspondence", "explanation"),
]
ADJECTIVES = [
    *("reasonable", "unreliable", "credible", "inconsistent", "material", "relevant", "sufficient", "genuine"),
    *("proper", "plausible"),
]
ORDINANCES = [
    *("Employment Ordinance", "Employees' Compensation Ordinance", "Limitation Ordinance", "Road Traffic Ordinance"),
    *("Landlord and Tenant (Consolidation) Ordinance", "Arbitration Ordinance", "Trade Marks Ordinance"),
    *("Copyright Ordinance", "Defamation Ordinance", "Sale of Goods Ordinance", "Summary Offences Ordinance"),
    *("Small Claims Tribunal Ordinance", "Fixed Penalty (Criminal Proceedings) Ordinance"),
]
#: Words in nearly every document.
COMMON = ["judgment", "evidence", "court"]
REPORTS = ["HKCFA", "HKCA", "HKCFI", "HKDC", "HKLRD", "HKCFAR"]
BOILERPLATE = [
    "The {r1} claims against the {r2} for {t} arising out of events on {day}.",
    "In my judgment the {w} of the {r2} is not {a} and I reject it.",
    "Counsel for the {r1} submitted that the question of {t} should be determined at trial.",
    "It is common ground that the sum of HK${amount} remains outstanding.",
    "I am satisfied on the balance of probabilities that {t} has been established.",
    "The {w} relied upon by {p} does not assist the {r1} on the issue of {t}.",
    "Having considered the evidence of {p} and of {d}, I find that the {w} was {a}.",
    "The application is dismissed with costs to the {r2}, to be taxed if not agreed.",
    "See {cite} and the authorities referred to there.",
    "The {w} was filed on {day} pursuant to Order {n} rule {m} of the Rules of the High Court.",
    "Reference was made to section {n} of the {ordinance}.",
    "The {r2} denies liability and puts the {r1} to strict proof of the {w}.",
    "There is no dispute that {d} received the {w} on or about {day}.",
    "The court must be slow to interfere with the exercise of a discretion on {t}.",
    "Mr {s} for the {r1} accepted that the {w} was {a} in the circumstances.",
    "The {r1}'s case on {t} is set out in paragraphs {n} to {m} of the {w}.",
    "For these reasons the {r1} has made out a case on {t}, and I so order.",
    "The hearing of the {w} took place before me on {day} in {case}.",
    "The parties are directed to file a joint {w} within {n} days.",
    "No point was taken on the {w} before the Master, and it cannot be taken now.",
    "As was said in {cite}, the principles governing {t} are well settled.",
    "The {r2} says that {t} does not arise because the {w} was never {a}.",
]


def _weighted(pairs: dict[str, float]) -> tuple[list[str], list[float]]:
    keys = list(pairs)
    return keys, list(itertools.accumulate(pairs[k] for k in keys))


@dataclass
class Party:
    name: str
    name_zh: str | None
    role: str
    representative: str | None
    account_id: str | None


@dataclass(frozen=True)
class Sample:
    """A case kept to build queries from: its number, court, year, filing day and parties."""

    prefix: str
    number: int
    year: int
    court: str
    filed_on: date
    names: tuple[str, ...]
    names_zh: tuple[str, ...]


@dataclass(frozen=True)
class DocumentSample:
    case_number: str
    court: str
    case_type: str
    dated: date
    terms: tuple[str, ...]


class World:
    """Everything of the synthetic data that is drawn at random, from one seed."""

    def __init__(self, seed: int, rules: CaseTypeRules) -> None:
        self.rng = random.Random(seed)
        self.rules = rules
        self.prefixes, self.prefix_cum = _weighted(PREFIX_WEIGHTS)
        self.topics, self.topic_cum = _weighted({name: weight for name, (weight, _) in TOPICS.items()})
        self.surname_cum = list(itertools.accumulate(SURNAME_WEIGHTS))
        surnames = [s for s, _ in SURNAMES]
        firms: set[str] = set()
        while len(firms) < 400:
            a, b, c = self.rng.sample(surnames, 3)
            firms.add(
                self.rng.choice([f"{a}, {b} & {c}", f"{a} & {b}", f"{a} & Co.", f"{a}, {b} & Partners", f"{a} {b} LLP"])
                + self.rng.choice(["", " Solicitors", ", Solicitors"])
            )
        self.firms = sorted(firms)
        self.firm_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.7 for rank in range(len(self.firms))))

    # -- the cases' numbers, in filing order --------------------------------------------------------------

    def filings(self, count: int, first_number: int = 1) -> list[tuple[float, str, int, int]]:
        """``count`` cases as (filed at, epoch seconds; prefix; year; number), in filing order, numbered from
        ``first_number`` in that order within each prefix and year; filed on a weekday or Saturday in office
        hours, Hong Kong time, a few more each year."""
        rng = self.rng
        years = list(range(FIRST_YEAR, LAST_YEAR + 1))
        year_cum = list(itertools.accumulate(1 + 0.03 * n for n in range(len(years))))
        starts = {y: datetime(y, 1, 1, tzinfo=HONG_KONG).timestamp() for y in years}
        drawn = []
        for _ in range(count):
            year = rng.choices(years, cum_weights=year_cum)[0]
            day = rng.randrange(365)
            if (date(year, 1, 1) + timedelta(days=day)).weekday() == 6:
                day = max(0, day - 1)
            moment = starts[year] + day * 86400 + 9 * 3600 + rng.random() * 8 * 3600
            drawn.append((moment, rng.choices(self.prefixes, cum_weights=self.prefix_cum)[0], year))
        drawn.sort()
        numbers: Counter[tuple[str, int]] = Counter()
        numbered = []
        for moment, prefix, year in drawn:
            numbered.append((moment, prefix, year, first_number + numbers[prefix, year]))
            numbers[prefix, year] += 1
        return numbered

    # -- parties --------------------------------------------------------------------------------------------

    def person(self) -> tuple[str, str | None]:
        """A Hong Kong person's name as filed (``CHAN Tai Man``, sometimes with an English name) and, mostly,
        the Chinese name (陳大文); now and then a foreign name without one."""
        rng = self.rng
        if rng.random() < 0.05:
            return f"{rng.choice(WESTERN_SURNAMES)} {rng.choice(ENGLISH_NAMES)}", None
        surname, surname_zh = SURNAMES[bisect.bisect(self.surname_cum, rng.random() * self.surname_cum[-1])]
        given = rng.sample(GIVEN, 2 if rng.random() < 0.9 else 1)
        style = rng.random()
        shown = surname.upper() if style < 0.6 else surname
        name = f"{shown} {' '.join(g for g, _ in given)}"
        if style > 0.9:
            name = name.upper()
        if rng.random() < 0.12:
            english = rng.choice(ENGLISH_NAMES)
            name = f"{name}, {english}" if rng.random() < 0.5 else f"{english} {name}"
        return name, (surname_zh + "".join(z for _, z in given)) if rng.random() < 0.8 else None

    def company(self) -> tuple[str, str | None]:
        rng = self.rng
        (a, az), (b, bz), (c, cz) = rng.choice(COMPANY_FIRST), rng.choice(COMPANY_SECOND), rng.choice(COMPANY_TRADE)
        limited = rng.choice(["Limited", "Company Limited", "(Holdings) Limited", "(Hong Kong) Limited"])
        return f"{a} {b} {c} {limited}", f"{az}{bz}{cz}有限公司" if rng.random() < 0.6 else None

    def firm(self) -> str:
        return self.firms[bisect.bisect(self.firm_weights, self.rng.random() * self.firm_weights[-1])]

    def party(self, prefix: str, role: str, first: bool) -> Party:
        rng = self.rng
        if first and prefix in SUMMONSES:
            name, name_zh = rng.choice(INFORMANTS)
            return Party(name, name_zh, role, "Department of Justice", None)
        if prefix == "HCMA" and not first:
            return Party("HKSAR", "香港特別行政區", role, "Department of Justice", None)
        company = rng.random() < (0.6 if prefix == "HCCP" and not first else 0.25)
        name, name_zh = self.company() if company else self.person()
        represented = rng.random() < (0.9 if company else 0.55 if prefix not in SUMMONSES else 0.3)
        representative = self.firm() if represented else None
        # Some who act in person file online themselves: their account sees the case in "my cases".
        account = str(uuid.uuid4()) if not represented and not company and rng.random() < 0.5 else None
        return Party(name, name_zh, role, representative, account)

    # -- cases and documents as filing's events carry them --------------------------------------------------

    def case_data(self, moment: float, prefix: str, year: int, number: int) -> dict[str, Any]:
        """``filing.case.updated``'s data for a case filed at ``moment``."""
        rng = self.rng
        first_role, other_role = ROLES.get(prefix, ("plaintiff", "defendant"))
        count = rng.choices((2, 3, 4), cum_weights=(60, 95, 100))[0]
        parties = [self.party(prefix, first_role, True)] + [
            self.party(prefix, other_role, False) for _ in range(count - 1)
        ]
        representatives = {
            p.representative: {"organisation_id": str(uuid.uuid5(uuid.NAMESPACE_URL, p.representative)),
                               "name": p.representative}
            for p in parties if p.representative
        }  # fmt: skip
        filed = datetime.fromtimestamp(moment, UTC)
        day = filed.astimezone(HONG_KONG).date()
        docket = []
        for n in range(1, rng.randint(1, 10) + 1):
            title = FIRST_DOCKET.get(prefix, "Writ of Summons") if n == 1 else rng.choice(DOCKET_TITLES)
            docket.append({"number": n, "title": title, "filed_on": day.isoformat()})
            day = min(LAST_DAY, day + timedelta(days=rng.randint(1, 60)))
        age = (LAST_YEAR - year) + 0.5
        status = "open" if rng.random() > min(0.9, age * 0.18) else rng.choice(["closed", "closed", "discontinued"])
        title = f"Re {parties[-1].name}" if prefix == "HCCP" else f"{parties[0].name} v. {parties[1].name}"
        court = self.rules.court_of[prefix]
        case_id = str(uuid.uuid4())
        return {
            "case_id": case_id,
            "case_number": f"{prefix} {number}/{year}",
            "court": court,
            "court_name": self.rules.courts[court],
            "case_type": prefix,
            "title": title[:500],
            "status": status,
            "filed_at": filed.isoformat().replace("+00:00", "Z"),
            "sealed": rng.random() < 0.02,
            "parties": [
                {
                    "party_id": str(uuid.uuid4()),
                    "name": p.name,
                    "name_zh": p.name_zh,
                    "role": p.role,
                    "account_id": p.account_id,
                    "representative": representatives.get(p.representative or ""),
                }
                for p in parties
            ],
            "docket": docket,
            "aggregate_version": len(docket) + rng.randint(0, 2),
        }

    def document(self, case: dict[str, Any]) -> tuple[dict[str, Any], str, tuple[str, ...]]:
        """``filing.document.published``'s data for a document of ``case`` (its ``text`` reference still to
        be made), the text itself, and the topic terms it uses."""
        rng = self.rng
        prefix = case["case_type"]
        own = TOPICS_OF.get(prefix, [])
        topics = [rng.choice(own)] if own and rng.random() < 0.85 else []
        while len(topics) < (2 if rng.random() < 0.35 else 1):
            topic = rng.choices(self.topics, cum_weights=self.topic_cum)[0]
            if topic not in topics:
                topics.append(topic)
        terms = tuple(term for topic in topics for term in TOPICS[topic][1])
        issued = rng.random() < 0.6
        title, kind = (
            rng.choice([("Judgment", "judgment"), ("Reasons for Judgment", "judgment"), ("Decision", "decision"),
                        ("Reasons for Decision", "decision"), ("Order", "order")])
            if issued
            else rng.choice([("Statement of Claim", "statement_of_claim"), ("Defence", "defence"),
                             ("Affirmation", "affirmation"), ("Skeleton Submissions", "submissions")])
        )  # fmt: skip
        filed = date.fromisoformat(case["docket"][0]["filed_on"])
        dated = min(LAST_DAY, filed + timedelta(days=rng.randint(0, 700)))
        text = self.prose(case, title, terms, dated)
        data = {
            "document_id": str(uuid.uuid4()),
            "source": "issued" if issued else "filed",
            "case_id": case["case_id"],
            "case_number": case["case_number"],
            "court": case["court"],
            "case_type": prefix,
            "title": f"{title} ({case['case_number']})" if rng.random() < 0.5 else title,
            "kind": kind,
            "dated": dated.isoformat(),
            "public_inspection": rng.random() > 0.03,
            "sealed": rng.random() < 0.02,
            "aggregate_version": rng.randint(1, 3),
        }
        return data, text, terms

    def prose(self, case: dict[str, Any], title: str, terms: tuple[str, ...], dated: date) -> str:
        """A few KB of a judgment's or a pleading's prose about ``terms``, naming the case and its parties."""
        rng = self.rng
        parties = case["parties"]
        r1, r2 = parties[0]["role"], parties[1]["role"]
        lines = [
            f"IN THE {case['court_name'].upper()}",
            case["case_number"],
            "BETWEEN",
            *(f"{p['name']}{' ' + p['name_zh'] if p['name_zh'] else ''} {p['role'].capitalize()}" for p in parties),
            title.upper(),
            f"Date: {dated:%d %B %Y}",
        ]
        target, size, paragraph = rng.randint(1200, 6000), 0, 1
        while size < target:
            sentences = []
            for _ in range(rng.randint(2, 6)):
                surname = rng.choice(SURNAMES)[0]
                sentence = rng.choice(BOILERPLATE).format(
                    r1=r1, r2=r2, t=rng.choice(terms) if terms else rng.choice(GENERIC), w=rng.choice(GENERIC),
                    a=rng.choice(ADJECTIVES), p=parties[0]["name"], d=parties[1]["name"], s=surname,
                    day=f"{dated - timedelta(days=rng.randint(1, 900)):%d %B %Y}", n=rng.randint(1, 80),
                    m=rng.randint(1, 40), amount=f"{rng.randint(5, 5000) * 1000:,}", ordinance=rng.choice(ORDINANCES),
                    case=case["case_number"], cite=f"{surname} v {rng.choice(SURNAMES)[0]} "
                    f"[{rng.randint(1995, dated.year)}] {rng.choice(REPORTS)} {rng.randint(1, 3000)}",
                )  # fmt: skip
                sentences.append(sentence)
            line = f"{paragraph}. {' '.join(sentences)}"
            lines.append(line)
            size += len(line)
            paragraph += 1
        return "\n\n".join(lines)


def text_reference(text: str, base_url: str) -> dict[str, Any]:
    """The ``text`` of ``filing.document.published``: the extracted text's object, by reference."""
    body = text.encode()
    key = f"texts/{hashlib.sha256(body).hexdigest()}"
    expires = datetime.now(UTC) + timedelta(days=7)
    return {
        "key": key,
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "media_type": "text/plain; charset=utf-8",
        "url": f"{base_url}/{key}",
        "url_expires_at": expires.isoformat().replace("+00:00", "Z"),
    }


# --- the rows the store writes, made in bulk ---------------------------------------------------------------


def case_rows(rules: CaseTypeRules, record: CaseRecord, accounts: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows ``upsert_case`` and ``set_case_access`` (through ``project_case``) write for ``record``, in
    each table's COPY column order (``COPY_COLUMNS``)."""
    prefix, case_type = record.prefix.upper(), record.case_type.upper()
    parties = []
    for seq, party in enumerate(record.parties):
        norm, norm_zh = normalise_name(party.name), normalise_name(party.name_zh or "")
        joined = "|".join(compact(n) for n in (norm, norm_zh) if n)
        parties.append((record.case_id, seq, party.role, party.name, party.name_zh, party.representative, norm, joined))
    return {
        "cases": [
            (
                *(record.case_id, canonical_case_number(record.case_number), prefix, record.number, record.year),
                *(record.court.upper(), case_type, record.title, record.status, record.filed_at),
                rules.in_cause_book(case_type) and rules.in_cause_book(prefix),
                record.sealed,
                record.version,
            )
        ],
        "case_seals": [(record.case_id, record.sealed, record.version)],
        "case_parties": parties,
        "docket_entries": [(record.case_id, e.number, e.title, e.filed_on) for e in record.docket],
        "case_access_versions": [(record.case_id, ACCESS_FROM_FILING, record.version)],
        "case_access": [(record.case_id, ACCESS_FROM_FILING, account) for account in accounts],
    }


def document_row(rules: CaseTypeRules, record: DocumentRecord) -> tuple[Any, ...]:
    """The row ``upsert_document`` writes for ``record`` (a document never shown keeps no title or text)."""
    shown = record.shown and rules.documents_may_be_public(record.case_type.upper())
    return (
        *(record.document_id, record.case_id, canonical_case_number(record.case_number), record.court.upper()),
        *(record.case_type.upper(), clean_text(record.title) if shown else "", record.kind, record.dated),
        *(record.public, record.sealed, clean_text(record.text) if shown else "", record.version),
    )


COPY_COLUMNS = {
    "cases": "case_id, case_number, prefix, number, year, court, case_type, title, status, filed_at, in_cause_book, "
    "sealed, version",
    "case_seals": "case_id, sealed, version",
    "case_parties": "case_id, seq, role, name, name_zh, representative, name_norm, name_compact",
    "docket_entries": "case_id, number, title, filed_on",
    "case_access_versions": "case_id, source, version",
    "case_access": "case_id, source, account_id",
    "public_documents": "document_id, case_id, case_number, court, case_type, title, kind, dated, public, sealed, "
    "text, version",
}


def dsn_of(database_url: str) -> str:
    return sa.make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def secondary_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(name, definition) of every index of the read models that backs no constraint: what migration 0002
    made, pg_trgm and full-text ones included."""
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes AS i"
        " WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = (quote_ident(i.indexname))::regclass)",
        (list(READ_MODEL_TABLES),),
    ).fetchall()
    return [(name, definition) for name, definition in rows]


@dataclass
class Loaded:
    """What the bulk load made and how long it took; the cases and documents kept to query for."""

    cases: int = 0
    parties: int = 0
    docket: int = 0
    documents: int = 0
    shown_documents: int = 0
    sealed_cases: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    document_samples: list[DocumentSample] = field(default_factory=list)
    #: Loaded cases' event data with their documents' (data, text), to check against the store and update.
    kept: list[tuple[dict[str, Any], list[tuple[dict[str, Any], str]]]] = field(default_factory=list)
    sizes: dict[str, str] = field(default_factory=dict)


def bulk_load(world: World, database_url: str, cases: int, documents: int) -> Loaded:
    """``cases`` cases and ``documents`` documents COPYed into search's tables, each table streamed over a
    connection of its own while the rows are made; secondary indexes dropped first and made again after (two
    at a time), then VACUUM ANALYZE."""
    loaded = Loaded()
    dsn = dsn_of(database_url)
    started = time.perf_counter()
    filings = world.filings(cases)
    rules = world.rules
    may_be_public = [i for i, (_, prefix, _, _) in enumerate(filings) if rules.documents_may_be_public(prefix)]
    # Documents go to cases whose documents may be public, and a few (kept without text) to HCMA's.
    hcma = [i for i, (_, prefix, _, _) in enumerate(filings) if prefix == "HCMA"]
    chosen = world.rng.choices(may_be_public, k=int(documents * 0.98))
    chosen += world.rng.choices(hcma or may_be_public, k=documents - len(chosen))
    documents_of = Counter(chosen)
    sample_every = max(1, cases // 4000)
    with psycopg.connect(dsn, autocommit=True) as admin:
        indexes = secondary_indexes(admin)
        for name, _ in indexes:
            admin.execute(f'DROP INDEX "{name}"')
    loaded.seconds["draw"] = time.perf_counter() - started
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        copies = {}
        for table, columns in COPY_COLUMNS.items():
            conn = stack.enter_context(psycopg.connect(dsn))
            conn.execute("SET synchronous_commit = off")
            cursor = stack.enter_context(conn.cursor())
            copies[table] = stack.enter_context(cursor.copy(f"COPY {table} ({columns}) FROM STDIN"))
        for index, (moment, prefix, year, number) in enumerate(filings):
            data = world.case_data(moment, prefix, year, number)
            record = projection.case_record(data)
            for table, rows in case_rows(rules, record, projection.party_accounts(data)).items():
                for row in rows:
                    copies[table].write_row(row)
            loaded.cases += 1
            loaded.parties += len(record.parties)
            loaded.docket += len(record.docket)
            loaded.sealed_cases += record.sealed
            own_documents = []
            for _ in range(documents_of.get(index, 0)):
                document, text, terms = world.document(data)
                document_record = projection.document_record(document, text)
                row = document_row(rules, document_record)
                copies["public_documents"].write_row(row)
                loaded.documents += 1
                shown = bool(row[10]) and not data["sealed"]
                loaded.shown_documents += shown
                own_documents.append((document, text))
                if shown and loaded.documents % 20 == 0:
                    loaded.document_samples.append(
                        DocumentSample(record.case_number, record.court, prefix, document_record.dated, terms)
                    )
            visible = not record.sealed and rules.in_cause_book(prefix)
            if index % sample_every == 0 and visible:
                loaded.samples.append(
                    Sample(
                        prefix,
                        number,
                        year,
                        record.court,
                        record.filed_at.astimezone(HONG_KONG).date(),
                        tuple(p.name for p in record.parties),
                        tuple(p.name_zh for p in record.parties if p.name_zh),
                    )
                )
            if index % 100 == 0:
                loaded.kept.append((data, own_documents))
            if index % 100_000 == 0 and index:
                print(f"  {index:,} cases, {loaded.documents:,} documents streamed ...", file=sys.stderr)
    loaded.seconds["copy"] = time.perf_counter() - started
    started = time.perf_counter()

    def make(definition: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute(definition)

    # The GIN indexes (documents' text, names' trigrams) first, two at a time: the machine has two cores.
    ordered = sorted((definition for _, definition in indexes), key=lambda d: ("USING gin" not in d, d))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(make, ordered))
    loaded.seconds["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in READ_MODEL_TABLES:
            conn.execute(f"VACUUM (ANALYZE) {table}")
        loaded.seconds["vacuum"] = time.perf_counter() - started
        for table in ("cases", "case_parties", "docket_entries", "public_documents"):
            size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", (table,)).fetchone()
            loaded.sizes[table] = size[0] if size else "?"
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
        loaded.sizes["database"] = size[0] if size else "?"
    return loaded


def check_against_store(engine: sa.Engine, loaded: Loaded, count: int = 40) -> int:
    """Write ``count`` loaded cases and documents again through the store, each under a new id, beside its
    bulk-loaded twin, and compare every column but the ids (then roll it all back): the bulk load wrote what the
    real path writes. Returns how many pairs were compared; stops the bench on the first difference."""
    store = make_store(engine)
    compared = 0
    queries = {
        "cases": "SELECT case_number, prefix, number, year, court, case_type, title, status, filed_at, "
        "in_cause_book, sealed, version FROM cases WHERE case_id = :id",
        "case_seals": "SELECT sealed, version FROM case_seals WHERE case_id = :id",
        "case_parties": "SELECT seq, role, name, name_zh, representative, name_norm, name_compact FROM case_parties "
        "WHERE case_id = :id ORDER BY seq",
        "docket_entries": "SELECT number, title, filed_on FROM docket_entries WHERE case_id = :id ORDER BY number",
        "case_access": "SELECT source, count(*) FROM case_access WHERE case_id = :id GROUP BY source",
        "public_documents": "SELECT case_number, court, case_type, title, kind, dated, public, sealed, text, "
        "version, search_vector::text FROM public_documents WHERE document_id = :id",
    }
    with engine.connect() as conn, conn.begin() as transaction:
        for data, documents in loaded.kept[:count]:
            twin = {**data, "case_id": str(uuid.uuid4())}
            projection.project_case(store, conn, twin)
            pairs = [(table, data["case_id"], twin["case_id"]) for table in queries if table != "public_documents"]
            for document, text in documents[:1]:
                copy = {**document, "document_id": str(uuid.uuid4()), "case_id": twin["case_id"]}
                projection.project_document(store, conn, copy, text)
                pairs.append(("public_documents", document["document_id"], copy["document_id"]))
            for table, loaded_id, written_id in pairs:
                bulk = conn.execute(sa.text(queries[table]), {"id": loaded_id}).all()
                real = conn.execute(sa.text(queries[table]), {"id": written_id}).all()
                if bulk != real:
                    raise SystemExit(f"the bulk load wrote {table} unlike the store: {bulk[:3]} != {real[:3]}")
            compared += 1
        transaction.rollback()
    return compared


# --- the queries -------------------------------------------------------------------------------------------


@dataclass
class Kind:
    """One kind of query: how it is described, an example, and its instances (keyword arguments of the query)."""

    name: str
    instances: list[dict[str, Any]]
    example: str = ""


def _mangled(name: str, rng: random.Random) -> str:
    """A name as someone might type it: lower case, words in another order, or a letter doubled or dropped."""
    words = name.replace(",", " ").split()
    roll = rng.random()
    if roll < 0.3:
        return " ".join(words).lower()
    if roll < 0.5 and len(words) > 2:
        return " ".join([*words[1:], words[0]])
    if roll < 0.8:
        word = max(words, key=len)
        at = rng.randrange(1, len(word))
        return name.replace(word, word[:at] + word[at - 1] + word[at:], 1)
    return name.title()


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000" if ch == " " else ch for ch in text)


def cause_book_kinds(loaded: Loaded, rng: random.Random, store: Any, per_kind: int) -> list[Kind]:
    """The cause book's query mix, ``per_kind`` instances of each, from the loaded cases."""
    samples = loaded.samples

    def pick() -> Sample:
        return rng.choice(samples)

    def picks() -> list[Sample]:
        return [pick() for _ in range(per_kind)]

    def forgiving(s: Sample) -> str:
        return rng.choice(
            [
                f"{s.prefix.lower()}{s.number}/{s.year}",
                f"{s.prefix} {s.number} / {s.year}",
                full_width(f"{s.prefix} {s.number}/{s.year}"),
                f"{s.prefix} No. {s.number} of {s.year}",
            ]
        )

    def partial(s: Sample) -> str:
        return rng.choice([f"{s.prefix} {s.number}", f"{s.number}/{s.year}", f"{s.prefix} /{s.year}"])

    def latin(s: Sample) -> str:
        return _mangled(rng.choice(s.names), rng)

    with_chinese = [s for s in samples if s.names_zh]

    def chinese() -> str:
        name = rng.choice(rng.choice(with_chinese).names_zh)
        # The whole name, or two characters of it: a person's given name, the first of a company's name.
        return name if rng.random() < 0.5 else name[:2] if name.endswith("有限公司") else name[-2:]

    def dated() -> dict[str, Any]:
        s = pick()
        width = rng.choice([0, 6, 30])
        return {"filed_from": s.filed_on - timedelta(days=width), "filed_to": s.filed_on}

    courts = sorted({s.court for s in samples})

    def next_page(first: dict[str, Any]) -> dict[str, Any]:
        page = store.cause_book(CauseBookQuery(**first))
        return {**first, "cursor": page.next_cursor} if page.next_cursor else first

    kinds = [
        Kind("case number, exact", [{"case_number": f"{s.prefix} {s.number}/{s.year}"} for s in picks()]),
        Kind("case number, forgiving forms", [{"case_number": forgiving(pick())} for _ in range(per_kind)]),
        Kind("case number, partial", [{"case_number": partial(pick())} for _ in range(per_kind)]),
        Kind("party name, English, fuzzy", [{"party": latin(pick())} for _ in range(per_kind)]),
        Kind("party name, Chinese substring", [{"party": chinese()} for _ in range(per_kind)]),
        Kind(
            "court and year",
            [{"court": rng.choice(courts), "year": rng.randint(FIRST_YEAR, LAST_YEAR)} for _ in range(per_kind)],
        ),
        Kind("filed between two dates", [dated() for _ in range(per_kind)]),
        Kind(
            "next page (of court and year, or of no filter)",
            [
                next_page(
                    {"court": rng.choice(courts), "year": rng.randint(FIRST_YEAR, LAST_YEAR)}
                    if rng.random() < 0.5
                    else {}
                )
                for _ in range(per_kind)
            ],
        ),
        Kind("no filter (newest first)", [{} for _ in range(per_kind)]),
    ]
    for kind in kinds:
        kind.example = _example(kind.instances[0])
    return kinds


def document_kinds(loaded: Loaded, rng: random.Random, per_kind: int) -> list[Kind]:
    """Full-text search's query mix, ``per_kind`` instances of each, from the loaded documents."""
    samples = loaded.document_samples
    single = sorted({t for _, terms in TOPICS.values() for t in terms if " " not in t})
    phrases = sorted({t for _, terms in TOPICS.values() for t in terms if len(t.split()) >= 2})
    rare = [t for topic in ("medical", "insurance", "defamation", "ip") for t in TOPICS[topic][1]]

    def words(s: DocumentSample) -> str:
        picked = rng.sample(s.terms, min(len(s.terms), rng.choice([2, 3])))
        return " ".join(w for term in picked for w in term.split()[:1])

    def filtered() -> dict[str, Any]:
        s = rng.choice(samples)
        query: dict[str, Any] = {"text": rng.choice(s.terms)}
        if rng.random() < 0.5:
            query["court"] = s.court
        else:
            query["case_type"] = s.case_type
        query["date_from"], query["date_to"] = date(s.dated.year, 1, 1), date(s.dated.year, 12, 31)
        return query

    def numbered() -> str:
        s = rng.choice(samples)
        return rng.choice([s.case_number, f"{s.case_number} {rng.choice(s.terms)}", f"judgment {s.case_number}"])

    kinds = [
        Kind("one rare word", [{"text": rng.choice([t for t in rare if " " not in t])} for _ in range(per_kind)]),
        Kind("one topic word", [{"text": rng.choice(single)} for _ in range(per_kind)]),
        Kind("a phrase (2-5 words)", [{"text": rng.choice(phrases)} for _ in range(per_kind)]),
        Kind("two or three words", [{"text": words(rng.choice(samples))} for _ in range(per_kind)]),
        Kind("words with court or case type and a year", [filtered() for _ in range(per_kind)]),
        Kind("a case number in the query", [{"text": numbered()} for _ in range(per_kind)]),
        Kind("one very common word", [{"text": rng.choice(COMMON)} for _ in range(per_kind)]),
    ]
    for kind in kinds:
        kind.example = _example(kind.instances[0])
    return kinds


def _example(instance: dict[str, Any]) -> str:
    shown = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in instance.items() if k != "cursor"}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) + (" + cursor" if "cursor" in instance else "")


# --- measuring: the store beside its own SQL replayed raw ---------------------------------------------------


Statements = list[tuple[str, Any]]
Runner = Callable[[dict[str, Any]], Any]


class Recorder:
    """The statements and parameters the store sends its database, as its engine hands them to psycopg."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: Statements | None = None
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if self.statements is not None:
            self.statements.append((statement, parameters))

    def record(self, call: Callable[[], Any]) -> Statements:
        self.statements = []
        try:
            call()
            return self.statements
        finally:
            self.statements = None

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def replay(conn: psycopg.Connection[Any], statements: Statements) -> None:
    """The store's statements for one query, as raw SQL: each executed and its rows fetched."""
    with conn.cursor() as cursor:
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()


@dataclass
class Timings:
    store: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    slowest: tuple[float, int] = (0.0, 0)
    """The slowest call through the store, and the instance it was."""
    recorded: dict[int, Statements] = field(default_factory=dict)


def measure_kind(
    kind: Kind, run: Runner, recorder: Recorder, raw: psycopg.Connection[Any], calls: int, seconds: float
) -> Timings:
    """``calls`` calls of each side over the kind's instances, interleaved call by call (which side goes first
    alternates), or fewer if ``seconds`` run out first. The first call of each instance through the store is
    not timed: it records the statements the raw side replays, and warms both up (the raw side replays them
    once, untimed, too)."""
    timings = Timings()
    deadline = time.monotonic() + seconds
    for n in range(calls):
        if time.monotonic() > deadline and n >= 2:
            break
        at = n % len(kind.instances)
        instance = kind.instances[at]
        if at not in timings.recorded:
            timings.recorded[at] = recorder.record(functools.partial(run, instance))
            replay(raw, timings.recorded[at])
        for side in ("store", "raw") if n % 2 == 0 else ("raw", "store"):
            started = time.perf_counter()
            if side == "store":
                run(instance)
            else:
                replay(raw, timings.recorded[at])
            elapsed = time.perf_counter() - started
            getattr(timings, side).append(elapsed)
            if side == "store" and elapsed > timings.slowest[0]:
                timings.slowest = (elapsed, at)
    return timings


def explain(raw: psycopg.Connection[Any], statements: Statements) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the first (main) statement of a query."""
    statement, parameters = statements[0]
    rows = raw.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).fetchall()
    return "\n".join(row[0] for row in rows)


def queries(
    store: Any, engine: sa.Engine, database_url: str, kinds: dict[str, list[Kind]], args: argparse.Namespace
) -> dict[str, Any]:
    """Every kind of both searches, store beside raw SQL."""
    runners: dict[str, Callable[[dict[str, Any]], Any]] = {
        "cause book": lambda q: store.cause_book(CauseBookQuery(**q)),
        "full text": lambda q: store.documents(DocumentQuery(**q)),
    }
    recorder = Recorder(engine)
    results: dict[str, Any] = {"idle": []}
    plans = []
    # prepare_threshold=None: every statement planned for its own parameters, as one sent once would be (psycopg
    # otherwise prepares a statement on its fifth run, and PostgreSQL may then keep a generic plan for it).
    with psycopg.connect(dsn_of(database_url), autocommit=True, prepare_threshold=None) as raw:
        apply_session_settings(raw)  # as every connection of the store's engine has them
        for search, search_kinds in kinds.items():
            run = runners[search]
            measured = []
            for kind in search_kinds:
                results["idle"].append(wait_for_quiet(args.quiet, args.patience))
                timings = measure_kind(kind, run, recorder, raw, args.calls, args.kind_seconds)
                measured.append((kind, timings))
                print(
                    f"  {search}, {kind.name}: store p50 / p99 {_ms(timings.store, 0.5):.1f} / "
                    f"{_ms(timings.store, 0.99):.1f} ms, raw {_ms(timings.raw, 0.5):.1f} / "
                    f"{_ms(timings.raw, 0.99):.1f} ms",
                    file=sys.stderr,
                )
                slowest = kind.instances[timings.slowest[1]]
                plans.append(
                    f"## {search}: {kind.name}\nslowest call {timings.slowest[0] * 1000:.1f} ms: {slowest}\n\n"
                    + explain(raw, timings.recorded[timings.slowest[1]])
                )
            results[search] = measured
    recorder.close()
    if args.plans:
        Path(args.plans).write_text("\n\n".join(plans) + "\n")
    return results


# --- ingest: the projection in units of work, beside the same rows written raw ------------------------------


def updated_case(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The next ``filing.case.updated`` of a case: one more docket entry, its version one higher."""
    docket = list(data["docket"])
    last = date.fromisoformat(docket[-1]["filed_on"])
    docket.append(
        {"number": len(docket) + 1, "title": rng.choice(DOCKET_TITLES), "filed_on": min(LAST_DAY, last).isoformat()}
    )
    return {**data, "docket": docket, "aggregate_version": data["aggregate_version"] + 1}


CASE_UPSERT = (
    "INSERT INTO cases (case_id, case_number, prefix, number, year, court, case_type, title, status, filed_at,"
    " in_cause_book, sealed, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, true, %s)"
    " ON CONFLICT (case_id) DO UPDATE SET case_number = excluded.case_number, prefix = excluded.prefix,"
    " number = excluded.number, year = excluded.year, court = excluded.court, case_type = excluded.case_type,"
    " title = excluded.title, status = excluded.status, filed_at = excluded.filed_at,"
    " in_cause_book = excluded.in_cause_book, sealed = excluded.sealed, version = excluded.version"
    " WHERE cases.version < excluded.version RETURNING case_id"
)
SEAL_UPSERT = (
    "INSERT INTO case_seals (case_id, sealed, version) VALUES (%s, %s, %s) ON CONFLICT (case_id) DO UPDATE"
    " SET sealed = excluded.sealed, version = excluded.version WHERE case_seals.version < excluded.version"
    " RETURNING case_id"
)
ACCESS_VERSION_UPSERT = (
    "INSERT INTO case_access_versions (case_id, source, version) VALUES (%s, %s, %s)"
    " ON CONFLICT (case_id, source) DO UPDATE SET version = excluded.version"
    " WHERE case_access_versions.version < excluded.version RETURNING case_id"
)
DOCUMENT_UPSERT = (
    "INSERT INTO public_documents (document_id, case_id, case_number, court, case_type, title, kind, dated, public,"
    " sealed, text, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (document_id) DO UPDATE SET"
    " case_id = excluded.case_id, case_number = excluded.case_number, court = excluded.court,"
    " case_type = excluded.case_type, title = excluded.title, kind = excluded.kind, dated = excluded.dated,"
    " public = excluded.public, sealed = excluded.sealed, text = excluded.text, version = excluded.version"
    " WHERE public_documents.version < excluded.version RETURNING id"
)


def raw_case(conn: psycopg.Connection[Any], rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """What ``project_case`` asks of the database, hand-written: the case upserted if newer (written sealed,
    then set from its sealing), its parties and docket replaced, its sealing merged, the access set of the
    parties in person replaced at its version; one transaction."""
    case = rows["cases"][0]
    case_id = case[0]
    with conn.transaction(), conn.cursor() as cursor:
        applied = cursor.execute(CASE_UPSERT, (*case[:11], case[12])).fetchone()
        if applied:
            cursor.execute("DELETE FROM case_parties WHERE case_id = %s", (case_id,))
            cursor.execute("DELETE FROM docket_entries WHERE case_id = %s", (case_id,))
            cursor.executemany(
                "INSERT INTO case_parties (case_id, seq, role, name, name_zh, representative, name_norm, name_compact)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                rows["case_parties"],
            )
            cursor.executemany(
                "INSERT INTO docket_entries (case_id, number, title, filed_on) VALUES (%s, %s, %s, %s)",
                rows["docket_entries"],
            )
        cursor.execute(SEAL_UPSERT, rows["case_seals"][0]).fetchall()
        cursor.execute(
            "UPDATE cases SET sealed = (SELECT sealed FROM case_seals WHERE case_id = %s) WHERE case_id = %s",
            (case_id, case_id),
        )
        if cursor.execute(ACCESS_VERSION_UPSERT, rows["case_access_versions"][0]).fetchone():
            cursor.execute("DELETE FROM case_access WHERE case_id = %s AND source = %s", (case_id, ACCESS_FROM_FILING))
            if rows["case_access"]:
                cursor.executemany(
                    "INSERT INTO case_access (case_id, source, account_id) VALUES (%s, %s, %s)", rows["case_access"]
                )


def raw_document(conn: psycopg.Connection[Any], row: tuple[Any, ...]) -> None:
    with conn.transaction():
        conn.execute(DOCUMENT_UPSERT, row).fetchall()


@dataclass
class Event:
    """One event's data for ingest: a case's (``text`` None) or a document's with its text."""

    kind: str
    data: dict[str, Any]
    text: str | None = None


class Updates:
    """New versions of loaded cases: each one more docket entry on the latest version handed out, so that every
    update is newer than what the read model holds, whichever side wrote the one before."""

    def __init__(self, loaded: Loaded, rules: CaseTypeRules, rng: random.Random) -> None:
        self.rng = rng
        self.latest = {data["case_id"]: data for data, _ in loaded.kept}
        # Documents go to cases whose documents may be public, as most do.
        self.with_documents = [k for k, d in self.latest.items() if rules.documents_may_be_public(d["case_type"])]

    def take(self, count: int) -> list[dict[str, Any]]:
        """``count`` updates, of different cases as far as there are enough."""
        ids = list(self.latest)
        chosen = self.rng.sample(ids, min(count, len(ids)))
        chosen += self.rng.choices(ids, k=count - len(chosen))
        updates = []
        for case_id in chosen:
            self.latest[case_id] = updated_case(self.latest[case_id], self.rng)
            updates.append(self.latest[case_id])
        return updates


def ingest_events(world: World, updates: Updates, count: int) -> dict[str, list[Event]]:
    """``count`` events of each kind, none applied yet: new cases, new versions of loaded cases, new documents
    of loaded cases."""
    rng = world.rng
    # Numbers far above any loaded: a new case does not take a loaded one's number.
    new_cases = [Event("new case", world.case_data(*filing)) for filing in world.filings(count, first_number=10**6)]
    documents = []
    for _ in range(count):
        data, text, _ = world.document(updates.latest[rng.choice(updates.with_documents)])
        documents.append(Event("new document", {**data, "public_inspection": True, "sealed": False}, text))
    return {
        "new case": new_cases,
        "case update": [Event("case update", data) for data in updates.take(count)],
        "new document": documents,
    }


def ingest(runtime: Any, store: Any, database_url: str, events: dict[str, list[Event]], block: int) -> dict[str, Any]:
    """Each kind's events in blocks of ``block``, alternately through the projection (a unit of work each)
    and as raw SQL (the first half of the events through the one, the second through the other; which goes
    first alternates). Events/s are medians of the blocks."""
    rules = store.rules
    results: dict[str, Any] = {}
    with psycopg.connect(dsn_of(database_url)) as raw:
        for kind, items in events.items():
            rates: dict[str, list[float]] = {"store": [], "raw": []}
            half = len(items) // 2
            for start in range(0, half, block):
                through_store = items[start : start + block]
                as_raw = items[half + start : half + start + block]
                prepared = [
                    document_row(rules, projection.document_record(e.data, e.text or ""))
                    if e.text is not None
                    else case_rows(rules, projection.case_record(e.data), projection.party_accounts(e.data))
                    for e in as_raw
                ]
                for side in ("store", "raw") if (start // block) % 2 == 0 else ("raw", "store"):
                    started = time.perf_counter()
                    if side == "store":
                        for event in through_store:
                            with runtime.unit_of_work() as uow:
                                if event.text is None:
                                    projection.project_case(store, uow.session, event.data)
                                else:
                                    projection.project_document(store, uow.session, event.data, event.text)
                                uow.commit()
                    else:
                        for row in prepared:
                            if isinstance(row, dict):
                                raw_case(raw, row)
                            else:
                                raw_document(raw, row)
                    rates[side].append(block / (time.perf_counter() - started))
            results[kind] = {side: statistics.median(r) for side, r in rates.items()}
            print(
                f"  ingest, {kind}: store {results[kind]['store']:.0f}/s, raw {results[kind]['raw']:.0f}/s",
                file=sys.stderr,
            )
    return results


# --- the worker: consuming from RabbitMQ, and the lag ---------------------------------------------------------


def consumers_wired(env: dict[str, str]) -> str | None:
    """Why ``icms-search worker`` cannot take filing's events yet, or None once it can: a handler for each
    event type, and the schemas the consumer validates them against."""
    runtime = bootstrap(config.load(env))
    try:
        missing = [k for k in ("filing.case.updated.v1", "filing.document.published.v1")
                   if k not in runtime.description.handlers]  # fmt: skip
        if missing:
            return f"search has no handler for {', '.join(missing)}"
        unknown = [k for k in ("filing.case.updated.v1", "filing.document.published.v1")
                   if k not in runtime.registry.routing_keys]  # fmt: skip
        if unknown:
            return f"no schema for {', '.join(unknown)} in the contracts"
        return None
    finally:
        runtime.engine.dispose()


class TextServer:
    """Documents' texts served over HTTP, as filing's presigned URLs serve them to search's worker."""

    def __init__(self) -> None:
        self.texts: dict[str, bytes] = {}
        texts = self.texts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = texts.get(self.path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, text: str) -> dict[str, Any]:
        reference = text_reference(text, self.url)
        self.texts[reference["key"]] = text.encode()
        return reference

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def envelope_of(event: Event, texts: TextServer, registry: SchemaRegistry) -> Envelope:
    """The event as filing publishes it, checked against its schema here (the worker would dead-letter it)."""
    data = dict(event.data)
    if event.text is None:
        envelope = new_event("filing.case.updated", data, source="/filing", subject=data["case_id"])
    else:
        data["text"] = texts.serve(event.text)
        envelope = new_event("filing.document.published", data, source="/filing", subject=data["document_id"])
    registry.validate(envelope.to_dict())
    return envelope


class Watcher:
    """Notes when each awaited (table, id, version) first shows in the read model, looking every 10 ms."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.awaited: dict[tuple[str, str], tuple[int, float]] = {}
        self.seen: dict[tuple[str, str], float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def expect(self, table: str, key: str, version: int, published: float) -> None:
        with self.lock:
            self.awaited[table, key] = (version, published)

    def _watch(self) -> None:
        while not self.stopped.wait(LAG_POLL_SECONDS):
            with self.lock:
                awaited = dict(self.awaited)
            for table, column in (("cases", "case_id"), ("public_documents", "document_id")):
                keys = [key for (t, key) in awaited if t == table]
                if not keys:
                    continue
                rows = self.conn.execute(
                    f"SELECT {column}, version FROM {table} WHERE {column} = ANY(%s)",  # noqa: S608  (fixed names)
                    (keys,),
                ).fetchall()
                now = time.perf_counter()
                with self.lock:
                    for key, version in rows:
                        wanted = self.awaited.get((table, key))
                        if wanted and version >= wanted[0]:
                            self.seen[table, key] = now - wanted[1]
                            del self.awaited[table, key]

    def wait(self, stalled: float = 30.0) -> None:
        """Until every awaited change has shown, or none has for ``stalled`` seconds."""
        left, since = len(self.awaited), time.monotonic()
        while self.awaited and time.monotonic() - since < stalled:
            time.sleep(0.05)
            if len(self.awaited) < left:
                left, since = len(self.awaited), time.monotonic()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.conn.close()


def expect(watcher: Watcher, envelope: Envelope, published: float) -> None:
    data = envelope.data
    if envelope.type == "filing.case.updated":
        watcher.expect("cases", data["case_id"], data["aggregate_version"], published)
    else:
        watcher.expect("public_documents", data["document_id"], data["aggregate_version"], published)


@contextlib.contextmanager
def search_worker(env: dict[str, str], root: Path) -> Iterator[None]:
    """``icms-search worker`` on the scratch database and vhost, once it consumes filing's queue."""
    queue = "search.filing"

    def consuming() -> bool:
        with Connection(env["ICMS_AMQP_URL"], connect_timeout=5) as conn:
            return conn.default_channel.queue_declare(queue, passive=True).consumer_count > 0

    with running({"worker": [str(BIN / "icms-search"), "worker"]}, env, root, consuming, "worker"):
        yield


def through_worker(
    env: dict[str, str], root: Path, dsn: str, backlog: list[Event], paced: dict[float, list[Event]]
) -> dict[str, Any]:
    """With ``icms-search worker`` running: ``backlog`` published at once (events/s until the read model shows
    the last), then each rate's events of ``paced`` at that rate a second (the lag of each)."""
    texts = TextServer()
    registry = SchemaRegistry.load(contracts_dir())
    publisher = ConfirmingPublisher(env["ICMS_AMQP_URL"])
    watcher = Watcher(dsn)
    exchange = exchange_of("filing")
    results: dict[str, Any] = {"lag": {}}
    try:
        with search_worker(env, root):
            envelopes = [envelope_of(e, texts, registry) for e in backlog]
            started = time.perf_counter()
            for envelope in envelopes:
                expect(watcher, envelope, started)
            for n in range(0, len(envelopes), 500):
                batch = envelopes[n : n + 500]
                publisher.start([OutgoingMessage(exchange, e.routing_key, e.id, e.to_json()) for e in batch])()
            watcher.wait()
            if watcher.awaited:
                raise RuntimeError(f"{len(watcher.awaited)} events never showed:\n{tail(root / 'worker.log')}")
            results["backlog"] = {"events": len(envelopes), "rate": len(envelopes) / max(watcher.seen.values())}
            for rate, events in paced.items():
                watcher.seen.clear()
                envelopes = [envelope_of(e, texts, registry) for e in events]
                started = time.perf_counter()
                for n, envelope in enumerate(envelopes):
                    pause = started + n / rate - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                    expect(watcher, envelope, time.perf_counter())
                    # Stamped as it goes out (its text was put on the server before the clock started).
                    fresh = new_event(envelope.type, envelope.data, source="/filing", subject=envelope.subject)
                    publisher.start([OutgoingMessage(exchange, fresh.routing_key, fresh.id, fresh.to_json())])()
                achieved = len(envelopes) / (time.perf_counter() - started)
                watcher.wait()
                lags = sorted(watcher.seen.values())
                results["lag"][rate] = {
                    "rate": achieved,
                    "events": len(lags),
                    "missing": len(watcher.awaited),
                    "p50_ms": percentile(lags, 0.5) * 1000,
                    "p99_ms": percentile(lags, 0.99) * 1000,
                    "max_ms": lags[-1] * 1000,
                }
                print(f"  lag at {rate:g}/s: {results['lag'][rate]}", file=sys.stderr)
    finally:
        watcher.close()
        publisher.close()
        texts.close()
    return results


def _ms(values: list[float], share: float) -> float:
    return percentile(values, share) * 1000


def query_table(measured: list[tuple[Kind, Timings]], target: float) -> list[str]:
    lines = [
        "| query | example | calls each side | raw SQL p50 / p99 ms (baseline) | store p50 / p99 ms "
        f"| store beside raw, p50 / p99 | p99 < {target:g} ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    every_store, every_raw = [], []
    for kind, t in measured:
        every_store += t.store
        every_raw += t.raw
        store50, store99, raw50, raw99 = _ms(t.store, 0.5), _ms(t.store, 0.99), _ms(t.raw, 0.5), _ms(t.raw, 0.99)
        lines.append(
            f"| {kind.name} | `{kind.example}` | {len(t.store):,} | {raw50:.1f} / {raw99:.1f} "
            f"| {store50:.1f} / {store99:.1f} | {store50 / raw50:.2f} / {store99 / raw99:.2f} "
            f"| {'met' if store99 < target else 'NOT met'} |"
        )
    s50, s99, r50, r99 = _ms(every_store, 0.5), _ms(every_store, 0.99), _ms(every_raw, 0.5), _ms(every_raw, 0.99)
    lines.append(
        f"| **the whole mix** | | {len(every_store):,} | {r50:.1f} / {r99:.1f} | {s50:.1f} / {s99:.1f} "
        f"| {s50 / r50:.2f} / {s99 / r99:.2f} | {'met' if s99 < target else 'NOT met'} |"
    )
    return lines


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    loaded: Loaded = results["loaded"]
    seconds = loaded.seconds
    measured = results["queries"]
    lines = [
        f"{run_line(args.quick)}, PostgreSQL {results['server']} with its stock settings "
        f"(shared_buffers {results['shared_buffers']}). Loaded: {loaded.cases:,} cases ({loaded.sealed_cases:,} "
        f"sealed) with {loaded.parties:,} parties and {loaded.docket:,} docket entries, {loaded.documents:,} documents "
        f"({loaded.shown_documents:,} shown: open to inspection, not sealed, in an open case); database "
        f"{loaded.sizes['database']} (cases {loaded.sizes['cases']}, parties {loaded.sizes['case_parties']}, docket "
        f"{loaded.sizes['docket_entries']}, documents {loaded.sizes['public_documents']}). Loading took "
        f"{sum(seconds.values()) / 60:.1f} min: drawing {seconds['draw']:.0f} s, making the rows and COPY "
        f"{seconds['copy']:.0f} s, indexes {seconds['indexes']:.0f} s, VACUUM ANALYZE {seconds['vacuum']:.0f} s; "
        f"{results['checked']} loaded cases and their documents written again through the store matched their "
        f"bulk-loaded rows column for column. One client; {args.calls} calls per query kind on each side (fewer "
        f"where {args.kind_seconds:g} s ran out first) over {args.instances} different queries of the kind, store "
        "and raw SQL interleaved call by call, each query's first call untimed. Before each "
        f"kind the bench waited for the machine to be {args.quiet:.0%} idle (for at most {args.patience:g} s); the "
        f"least idle it started on was {min(measured['idle']):.0%}.",
        "",
        "Cause book (`PostgresStore.cause_book`, parties and docket of the page included):",
        "",
        *query_table(measured["cause book"], CAUSE_BOOK_P99_MS),
        "",
        "Full text (`PostgresStore.documents`, snippets included):",
        "",
        *query_table(measured["full text"], FULL_TEXT_P99_MS),
        "",
        f"Ingest, one event per unit of work (events/s, medians of interleaved blocks of {args.block}):",
        "",
        "| event | raw SQL, one transaction each (baseline) | `project_case` / `project_document` in a unit of work "
        "| beside baseline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind, rates in results["ingest"].items():
        lines.append(f"| {kind} | {rates['raw']:,.0f} | {rates['store']:,.0f} | {rates['store'] / rates['raw']:.2f} |")
    lines.append("")
    worker = results.get("worker")
    if isinstance(worker, dict):
        backlog = worker["backlog"]
        lags = "; ".join(
            f"at {lag['rate']:,.0f} events/s ({lag['events']:,} events, {lag['missing']} never seen): p50 "
            f"{lag['p50_ms']:,.0f} ms, p99 {lag['p99_ms']:,.0f} ms, max {lag['max_ms']:,.0f} ms (target p99 < "
            f"{LAG_P99_MS:,.0f} ms: {'met' if lag['p99_ms'] < LAG_P99_MS else 'NOT met'})"
            for lag in worker["lag"].values()
        )
        lines.append(
            "Through `icms-search worker` consuming from RabbitMQ (events published straight to `filing.events`, "
            "checked against their schemas first; texts fetched over HTTP from the bench): a backlog of "
            f"{backlog['events']:,} events (new cases, case updates, documents, shuffled) taken in at "
            f"{backlog['rate']:,.0f} events/s. Lag (published -> the new version visible in the read model, polled "
            f"every {LAG_POLL_SECONDS * 1000:.0f} ms), {args.lag_seconds:g} s at each rate, three case updates, a "
            f"new case and a document in every five events: {lags}."
        )
    else:
        lines.append(f"Through `icms-search worker` and lag: not measured: {worker}.")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = options.parser(
        __doc__, quick="20,000 cases and 4,000 documents, fewer calls; leaves bench/README.md alone", quiet=0.8,
        patience=30,
    )  # fmt: skip
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=500, help="calls per query kind on each side")
    parser.add_argument("--instances", type=int, default=100, help="different queries of each kind")
    parser.add_argument("--events", type=int, default=2000, help="events of each kind for ingest")
    parser.add_argument("--block", type=int, default=100, help="events per interleaved ingest block")
    parser.add_argument("--kind-seconds", type=float, default=60.0, help="at most this long on each query kind")
    parser.add_argument("--lag-rates", default="20,50", help="events/s while measuring lag, comma-separated")
    parser.add_argument("--lag-seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plans", help="write EXPLAIN ANALYZE of each kind's slowest query here")
    parser.add_argument("--database", help="load into this existing, empty database (left as it is) instead")
    args = options.parse(parser)
    args.lag_rates = [float(r) for r in args.lag_rates.split(",")]
    # Stopped from outside, it still removes what it made (database, vhost, worker).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.cases, args.documents, args.calls, args.instances = 20_000, 4_000, 60, 30
        args.events, args.block, args.lag_seconds, args.patience, args.kind_seconds = 200, 50, 5.0, 0, 10.0

    rules = shipped_rules()
    world = World(args.seed, rules)
    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="icms-bench-search-")))
        database = args.database or stack.enter_context(scratch_database(args.database_server))
        amqp_url = stack.enter_context(scratch_vhost())
        env = service_env()
        env.update(
            ICMS_SEARCH_DATABASE_URL=database,
            ICMS_AMQP_URL=amqp_url,
            ICMS_GATEWAY_SECRET=uuid.uuid4().hex,
            ICMS_DATA_DIR=str(root),
        )
        subprocess.run([str(BIN / "icms-search"), "migrate"], env=env, check=True, capture_output=True)
        print(f"loading {args.cases:,} cases and {args.documents:,} documents ...", file=sys.stderr)
        loaded = bulk_load(world, database, args.cases, args.documents)
        print(f"  loaded in {sum(loaded.seconds.values()):.0f} s: {loaded.seconds}", file=sys.stderr)
        results["loaded"] = loaded
        runtime = bootstrap(config.load(env))
        stack.callback(runtime.engine.dispose)
        store = make_store(runtime.engine, rules)
        results["checked"] = check_against_store(runtime.engine, loaded)
        with runtime.engine.connect() as conn:
            results["server"] = conn.execute(sa.text("SHOW server_version")).scalar_one().split()[0]
            results["shared_buffers"] = conn.execute(sa.text("SHOW shared_buffers")).scalar_one()
        rng = random.Random(args.seed + 1)
        kinds = {
            "cause book": cause_book_kinds(loaded, rng, store, args.instances),
            "full text": document_kinds(loaded, rng, args.instances),
        }
        print("queries ...", file=sys.stderr)
        results["queries"] = queries(store, runtime.engine, database, kinds, args)
        print("ingest ...", file=sys.stderr)
        updates = Updates(loaded, rules, random.Random(args.seed + 2))
        events = ingest_events(world, updates, args.events)
        results["ingest"] = ingest(runtime, store, database, events, args.block)
        why_not = consumers_wired(env)
        if why_not is None:
            print("through the worker ...", file=sys.stderr)
            backlog = [e for group in ingest_events(world, updates, args.events // 3).values() for e in group]
            world.rng.shuffle(backlog)
            paced = {}
            for rate in args.lag_rates:
                count = int(rate * args.lag_seconds)
                pools = {kind: iter(group) for kind, group in ingest_events(world, updates, count).items()}
                paced[rate] = [next(pools[PACED_MIX[n % len(PACED_MIX)]]) for n in range(count)]
            try:
                results["worker"] = through_worker(env, root, dsn_of(database), backlog, paced)
            except RuntimeError as exc:  # what was measured before still gets reported
                print(exc, file=sys.stderr)
                results["worker"] = f"the worker failed: {str(exc).splitlines()[0]}"
        else:
            print(f"not through the worker: {why_not}", file=sys.stderr)
            results["worker"] = why_not
    publish("search", "Search (`bench/search.py`)", report(results, args), args)


if __name__ == "__main__":
    main()
