"""The payments service: fees, payment orders, deposit accounts, receipts and refunds."""
