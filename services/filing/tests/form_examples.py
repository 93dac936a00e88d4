"""Valid e-fillable form payloads, one builder per form, for any filing test that starts a case.

Each call returns a fresh dict the test may change to make it invalid.
"""

from __future__ import annotations

from typing import Any


def party(name: str, *, kind: str = "individual", name_zh: str | None = None, hkid_or_br: str | None = None) -> dict:
    """A party as the forms take it, with a Hong Kong address."""
    made: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "address": {"lines": ["Flat A, 12/F, Tower 1, Harbour Court", "8 Harbour Road"], "district": "Wan Chai"},
    }
    if name_zh is not None:
        made["name_zh"] = name_zh
    if hkid_or_br is not None:
        made["hkid_or_br"] = hkid_or_br
    return made


def writ_dcpi(plaintiff: str = "CHAN Tai Man", defendant: str = "Wing Fat Construction Company Limited") -> dict:
    """A District Court personal injuries writ by one worker against one contractor."""
    return {
        "language": "en",
        "solicitor_reference": "LIT/2026/0042",
        "plaintiffs": [party(plaintiff, name_zh="陳大文", hkid_or_br="A123456(7)")],
        "defendants": [party(defendant, kind="company", name_zh="榮發建築有限公司", hkid_or_br="12345678")],
        "nature_of_claim": "Damages for personal injuries suffered in an accident at work",
        "indorsement_of_claim": (
            "The Plaintiff's claim is for damages for personal injuries and consequential loss suffered in an "
            "accident on 14 March 2026 at a construction site in Kwun Tong, when he fell from an unguarded "
            "scaffold platform while employed by the Defendant.\n\n"
            "The accident was caused by the negligence and breach of statutory duty of the Defendant."
        ),
        "remedies": ["Damages", "Interest", "Costs"],
        "date_of_injury": "2026-03-14",
        "place_of_accident": "Construction site, 20 How Ming Street, Kwun Tong, Kowloon",
        "nature_of_injuries": "Fractured left wrist and lower back injury.",
    }


def writ_dccj(plaintiff: str = "Golden Harvest Trading Limited", defendant: str = "LEE Siu Ming") -> dict:
    """A District Court civil action for the price of goods sold."""
    return {
        "language": "en",
        "plaintiffs": [party(plaintiff, kind="company", hkid_or_br="23456789")],
        "defendants": [party(defendant)],
        "nature_of_claim": "Price of goods sold and delivered",
        "indorsement_of_claim": "The Plaintiff's claim is for HK$850,000 being the price of goods sold and delivered.",
        "amount_claimed_cents": 85_000_000,
        "remedies": ["HK$850,000", "Interest", "Costs"],
    }


def writ_hca(plaintiff: str = "WONG Mei Ling", defendant: str = "Pacific Crest Holdings Limited") -> dict:
    """A Court of First Instance civil action on a loan."""
    return {
        "language": "en",
        "plaintiffs": [party(plaintiff)],
        "defendants": [party(defendant, kind="company")],
        "nature_of_claim": "Repayment of a loan",
        "indorsement_of_claim": "The Plaintiff claims repayment of a loan of HK$5,000,000 advanced on 1 June 2025.",
        "amount_claimed_cents": 500_000_000,
        "remedies": ["HK$5,000,000", "Interest", "Costs"],
    }


def writ_hcpi(plaintiff: str = "HO Ka Yan", defendant: str = "Kowloon Star Bus Company Limited") -> dict:
    """A Court of First Instance personal injuries action after a road accident; damages to be assessed."""
    return {
        "language": "en",
        "plaintiffs": [party(plaintiff)],
        "defendants": [party(defendant, kind="company")],
        "nature_of_claim": "Damages for personal injuries suffered in a road traffic accident",
        "indorsement_of_claim": "The Plaintiff's claim is for damages for personal injuries caused by the negligent "
        "driving of the Defendant's bus on 2 January 2026.",
        "remedies": ["Damages", "Interest", "Costs"],
        "date_of_injury": "2026-01-02",
        "place_of_accident": "Nathan Road near Jordan Road, Kowloon",
        "nature_of_injuries": "Multiple fractures of the right leg; head injury.",
    }


def writ_hccl(plaintiff: str = "Eastern Harbour Bank Limited", defendant: str = "Silverline Shipping Limited") -> dict:
    """A Commercial List action on a banking facility."""
    return {
        "language": "en",
        "solicitor_reference": "BNK-7781",
        "plaintiffs": [party(plaintiff, kind="company")],
        "defendants": [party(defendant, kind="company")],
        "nature_of_claim": "Sums due under a banking facility",
        "indorsement_of_claim": "The Plaintiff claims the sums due under a revolving credit facility letter dated "
        "3 March 2024.",
        "amount_claimed_cents": 1_250_000_000,
        "remedies": ["HK$12,500,000", "Contractual interest", "Costs on an indemnity basis"],
        "commercial_list_category": "banking_and_finance",
    }


def notice_of_appeal_cacv(appellant: str = "Pacific Crest Holdings Limited", respondent: str = "WONG Mei Ling") -> dict:
    """An appeal against a final judgment of the Court of First Instance."""
    return {
        "language": "en",
        "appellants": [party(appellant, kind="company")],
        "respondents": [party(respondent)],
        "decision_appealed_from": {
            "court": "court_of_first_instance",
            "case_number": "HCA 123/2025",
            "judge": "Deputy High Court Judge CHAN",
            "date_of_decision": "2026-02-20",
            "decision_type": "final",
        },
        "grounds": [
            "The learned Judge erred in finding that the sum advanced was a loan rather than an investment.",
            "The learned Judge failed to give adequate reasons for rejecting the evidence of the Defendant's witness.",
        ],
        "relief_sought": "That the judgment of 20 February 2026 be set aside and the action be dismissed, with costs "
        "here and below.",
    }


def sct_claim(defendant: str, amount_cents: int = 1_250_000, reference: str = "ACC-00001") -> dict:
    """One claim of a bulk claims form."""
    return {
        "claim_reference": reference,
        "defendant": party(defendant),
        "amount_claimed_cents": amount_cents,
        "nature_of_claim": "Unpaid mobile telephone service fees",
        "particulars": f"{defendant} subscribed to a 24-month service plan and has not paid the monthly charges "
        "for March to August 2026.",
    }


def sct_bulk_claims(n: int = 3, claimant: str = "Harbour Mobile Limited") -> dict:
    """``n`` claims by one company, claim k against ``DEFENDANT k`` for HK$1,000 plus k cents."""
    return {
        "language": "en",
        "claimant": party(claimant, kind="company", name_zh="海港流動有限公司", hkid_or_br="34567890"),
        "claims": [
            sct_claim(f"DEFENDANT {number}", 100_000 + number, f"ACC-{number:05d}") for number in range(1, n + 1)
        ],
    }


#: Every form's builder, by form id.
BUILDERS = {
    "writ_dcpi": writ_dcpi,
    "writ_dccj": writ_dccj,
    "writ_hca": writ_hca,
    "writ_hcpi": writ_hcpi,
    "writ_hccl": writ_hccl,
    "notice_of_appeal_cacv": notice_of_appeal_cacv,
    "sct_bulk_claims": sct_bulk_claims,
}
