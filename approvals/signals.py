"""Signals other apps listen to, so that approvals never imports them."""

from django.dispatch import Signal

# Sent inside the transaction that records a joint meeting's resolutions, after the last one:
# records that must commit or roll back with them (the minutes' number) are made here.
# kwargs: meeting
meeting_resolved = Signal()
