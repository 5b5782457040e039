"""Signals other apps listen to. Sent only after the transaction that caused them commits."""

from django.dispatch import Signal

# kwargs: application_id, transition, audit_entry_id, actor_id
application_transitioned = Signal()

# Sent inside the transition's transaction, right after its audit entry is written, for records
# that must commit or roll back with the decision (a decision document's number, say).
# kwargs: application, transition, audit_entry
transition_recorded = Signal()

# Sent by the pages when somebody reads a request's detail, an attachment or a document, for
# the access log (which lives in an app above this one). kwargs: request, obj
object_read = Signal()

# Sent when somebody exports a list or a dashboard table (``workflows.exports``), before the file
# is sent, for the access log. kwargs: request, name, label, fmt, filters, rows (None for CSV)
list_exported = Signal()
