"""The problems payments's use cases raise, one constructor per rule, each with a stable type."""

from __future__ import annotations

from chassis.web.problems import (
    FieldError,
    Problem,
    conflict,
    forbidden,
    invalid,
    invalid_field,
    not_found,
    unauthenticated,
)

__all__ = ["FieldError", "conflict", "forbidden", "invalid", "invalid_field", "not_found", "unauthenticated"]


def idempotency_key_required() -> Problem:
    return Problem(
        400,
        "idempotency-key-required",
        "Idempotency-Key required",
        "Send an Idempotency-Key header (1 to 100 letters, digits or . _ : -) with every request that moves money, "
        "and the same key again if you retry it.",
        errors=[FieldError("Idempotency-Key", "is required")],
    )


def order_expired(order_id: str) -> Problem:
    return Problem(
        409,
        "order-expired",
        "Payment order expired",
        "This payment order has expired and can no longer be paid.",
        extra={"order_id": order_id},
    )


def order_not_payable(order_id: str, status: str) -> Problem:
    return Problem(
        409,
        "order-not-payable",
        "Payment order cannot be paid",
        f"This payment order is {status}; only an open (or failed) order can be paid.",
        extra={"order_id": order_id, "order_status": status},
    )


def payment_in_progress(order_id: str, payment_id: str) -> Problem:
    return Problem(
        409,
        "payment-in-progress",
        "A payment is already in progress",
        "A card or PPS payment of this order is waiting for the provider; wait for its outcome before paying again.",
        extra={"order_id": order_id, "payment_id": payment_id},
    )


def insufficient_deposit(balance_cents: int, minimum_cents: int, amount_cents: int) -> Problem:
    return Problem(
        409,
        "insufficient-deposit",
        "Not enough in the deposit account",
        f"Paying {amount_cents} cents would leave {balance_cents - amount_cents} cents, below the minimum balance "
        f"of {minimum_cents} cents. Top the account up first, or pay by card or PPS.",
        extra={"balance_cents": balance_cents, "minimum_balance_cents": minimum_cents, "amount_cents": amount_cents},
    )


def no_deposit_account() -> Problem:
    return Problem(
        409,
        "no-deposit-account",
        "No open deposit account",
        "The caller's organisation has no open deposit account; pay by card or PPS, or open one first.",
    )


def deposit_account_exists(account_id: str, number: str) -> Problem:
    return Problem(
        409,
        "deposit-account-exists",
        "Deposit account already open",
        f"The organisation's deposit account {number} is already open; an organisation has one. Top it up instead.",
        extra={"deposit_account_id": account_id, "number": number},
    )


def deposit_account_not_open(account_id: str) -> Problem:
    return Problem(
        409,
        "deposit-account-not-open",
        "Deposit account not open yet",
        "The deposit account opens when its opening payment arrives; it cannot be topped up before then.",
        extra={"deposit_account_id": account_id},
    )


def opening_in_progress(account_id: str, payment_id: str) -> Problem:
    return Problem(
        409,
        "payment-in-progress",
        "An opening payment is already in progress",
        "The deposit account's opening payment is waiting for the provider; wait for its outcome before paying again.",
        extra={"deposit_account_id": account_id, "payment_id": payment_id},
    )


def bad_webhook_signature(detail: str) -> Problem:
    return Problem(401, "bad-webhook-signature", "Webhook signature not accepted", detail)


def webhook_not_applicable(detail: str) -> Problem:
    """A well-signed webhook that does not fit the payment it names: refused whole, so nothing moves."""
    return Problem(422, "webhook-not-applicable", "Webhook does not match its payment", detail)


def webhook_too_large(limit: int) -> Problem:
    return Problem(413, "payload-too-large", "Webhook too large", f"A webhook body is at most {limit} bytes.")


def checkout_closed(status: str) -> Problem:
    return Problem(
        409,
        "checkout-closed",
        "Checkout already decided",
        f"This checkout session is {status}; start a new payment to try again.",
        extra={"session_status": status},
    )


def receipt_pending(number: str) -> Problem:
    return Problem(
        409,
        "receipt-pending",
        "Receipt not rendered yet",
        f"Receipt {number} is issued but its PDF is still being prepared; try again in a minute.",
        extra={"receipt_number": number},
    )


def not_a_search_item(field: str, code: str, search_code: str) -> Problem:
    return Problem(
        422,
        "not-a-search-item",
        "Not a search item",
        f"A search order pays for {search_code} (search or inspection, per document), not {code}.",
        errors=[FieldError(field, f"must be {search_code}")],
    )


def not_a_fine_item(code: str) -> Problem:
    return Problem(
        422,
        "not-a-fine-item",
        "Not a fine item",
        f"{code} has a fee of its own in the schedule; a fine order names a fine item, such as MC.FINE.",
        errors=[FieldError("code", "must be a fine item of the fee schedule (an item with a variable amount)")],
    )


def fine_already_ordered(reference: str, order_id: str, status: str) -> Problem:
    return Problem(
        409,
        "fine-already-ordered",
        "Fine already has an order",
        f"Fine {reference} already has an order that is {status}: a fine is paid once.",
        extra={"reference_id": reference, "order_id": order_id, "order_status": status},
    )


def unknown_search_court(courts: tuple[str, ...]) -> Problem:
    return Problem(
        422,
        "unknown-court",
        "Unknown court",
        "A search order names the court whose records are searched, as filing names courts.",
        errors=[FieldError("court", f"must be one of {', '.join(courts)}")],
    )
