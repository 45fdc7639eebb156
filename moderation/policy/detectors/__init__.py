"""Detectors: small pure functions over a ``NormalisedText``, each table-tested.

A detector answers one question about one message ("does it carry a phone number?"). What the
answer means depends on where the message is posted; that is decided in ``screening``.
"""
