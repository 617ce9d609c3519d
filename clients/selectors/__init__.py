"""Reads. Each page's view calls one selector here, which returns what its template needs;
views hold no queries. By topic:

- access: who may see a client (`get_client_for_user`, `Need`), the one way a view reaches one
- caseload: the caseload list
- client_page: the client page, and the pieces it is made of (timeline, charts, occurrences)
- outcomes: outcome measures as the client page and the caseload show them
- notes: what writing a session note offers (the themes a note may name)
- answers: how clients answered their reminder emails
- matching: meetings that may fit a client
- dashboard: the practice's figures (a package: engagement, activity, outcomes)
- own_page: the client's own page (read for the client of an open visit, never for staff)
- record_export: a client's record as an export and a disclosure hold it

Writes are in clients.services; every read of a client record is audited by the view that
shows it (recovery.services.audit).
"""

from clients.selectors.access import Need, get_client_for_user

__all__ = ["Need", "get_client_for_user"]
