"""``/providers/sandbox``: the sandbox provider's hosted payment page, and the webhook every provider calls.

The hosted page is what a real provider serves on its own site: the payer sees what is paid for and
how, approves, declines or walks away, and is sent back (303) to the ``return_url`` the checkout
named, or to the page itself, which then says what happened. Everything on it is escaped, as the
description comes from the order. The webhook takes the raw signed body; a signature that does not
hold is a 401 and changes nothing.
"""

from __future__ import annotations

import re
from html import escape

from flask import Flask, Response, jsonify, redirect, request

from chassis.money import hkd
from payments.entrypoints.api.common import BASE
from payments.service_layer import checkout, errors
from payments.service_layer.checkout import HostedCheckout
from payments.service_layer.deps import Deps

#: A provider event is a few hundred bytes; anything much larger is not one.
MAX_WEBHOOK_BYTES = 64 * 1024
_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_-]{1,61}$")
BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "unionpay": "UnionPay", "jcb": "JCB"}
#: The page needs nothing from anywhere: no scripts, no images, its one style sheet inline.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DECIDED = {
    "approved": "Payment approved. The court confirms it once the provider's notice arrives.",
    "declined": "Payment declined. Nothing was charged.",
    "abandoned": "Payment not completed. Nothing was charged.",
    "refunded": "Payment approved, then refunded to you.",
}


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/providers/sandbox/checkout/<session_id>")
    def sandbox_checkout_page(session_id: str) -> Response:
        return _page(checkout.sandbox_checkout(deps, _checked(session_id)))

    @app.post(f"{BASE}/providers/sandbox/checkout/<session_id>")
    def sandbox_checkout_decide(session_id: str) -> Response:
        outcome = request.form.get("outcome")
        if outcome is None:
            raise errors.invalid_field("outcome", f"is required: one of {', '.join(checkout.OUTCOMES)}")
        decided = checkout.sandbox_decide(deps, _checked(session_id), outcome)
        return redirect(decided.return_url or request.path, code=303)

    @app.post(f"{BASE}/providers/sandbox/webhook")
    def sandbox_webhook() -> Response:
        body = request.stream.read(MAX_WEBHOOK_BYTES + 1)
        if len(body) > MAX_WEBHOOK_BYTES:
            raise errors.webhook_too_large(MAX_WEBHOOK_BYTES)
        return jsonify({"status": checkout.webhook(deps, request.headers, body)})


def _checked(session_id: str) -> str:
    if not _SESSION_ID.match(session_id):
        raise errors.not_found("checkout session")
    return session_id


def method_label(method: str, card_brand: str | None) -> str:
    if method == "pps":
        return "PPS (Payment by Phone Service)"
    return f"Card: {BRANDS.get(card_brand or '', card_brand or '')}"


def _page(session: HostedCheckout) -> Response:
    amount = escape(hkd(session.amount_cents))
    if session.status == "open":
        action = f"""
      <p class="note">Sandbox: no card or PPS details are asked for. Choose what the payer does.</p>
      <form method="post">
        <button type="submit" name="outcome" value="approve" class="pay">Pay {amount}</button>
        <button type="submit" name="outcome" value="decline">Decline</button>
        <button type="submit" name="outcome" value="timeout" class="quiet">Walk away (no answer)</button>
      </form>"""
    else:
        back = f'<p><a href="{escape(session.return_url)}">Back to the court</a></p>' if session.return_url else ""
        action = f'\n      <p class="outcome">{escape(DECIDED.get(session.status, session.status))}</p>{back}'
    html = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Pay {amount} - Sandbox payments</title>
  <style>
    body {{ font-family: system-ui, sans-serif; background: #f3f4f6; margin: 0; color: #111827; }}
    main {{ max-width: 26rem; margin: 3rem auto; background: #fff; border-radius: .75rem; padding: 2rem;
           box-shadow: 0 1px 3px rgba(0, 0, 0, .15); }}
    h1 {{ font-size: 1rem; color: #4b5563; margin: 0 0 1rem; }}
    .amount {{ font-size: 2rem; font-weight: 700; margin: 0; }}
    dl {{ display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 1.5rem 0; }}
    dt {{ color: #6b7280; }} dd {{ margin: 0; overflow-wrap: anywhere; }}
    button {{ display: block; width: 100%; padding: .75rem; margin-top: .5rem; border-radius: .5rem;
             border: 1px solid #d1d5db; background: #fff; font-size: 1rem; cursor: pointer; }}
    button.pay {{ background: #1d4ed8; border-color: #1d4ed8; color: #fff; font-weight: 600; }}
    button.quiet {{ border: none; color: #6b7280; }}
    .note {{ font-size: .85rem; color: #92400e; background: #fef3c7; padding: .5rem .75rem; border-radius: .5rem; }}
    .outcome {{ font-weight: 600; }}
  </style>
</head>
<body>
  <main>
    <h1>Sandbox payments - secure checkout</h1>
    <p class="amount">{amount}</p>
    <dl>
      <dt>For</dt><dd>{escape(session.description)}</dd>
      <dt>Pay by</dt><dd>{escape(method_label(session.method, session.card_brand))}</dd>
      <dt>Reference</dt><dd>{escape(session.session_id)}</dd>
    </dl>{action}
  </main>
</body>
</html>
"""
    response = Response(html, mimetype="text/html")
    response.headers.update(PAGE_HEADERS)
    return response
