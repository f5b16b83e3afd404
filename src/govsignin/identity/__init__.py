"""Identity proving: GPG45 evidence and profiles, contra-indicators, continuity of identity,
the credential-issuer (CRI) client and the core identity JWT.

The pure rules (`gpg45`, `contra_indicators`, `continuity`, `credentials`, `assessment`) take
data and return decisions; they do no I/O, so a journey and the tests call them directly.
"""
