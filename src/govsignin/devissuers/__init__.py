"""The development credential issuers: passport, driving licence, address, fraud, knowledge-based
questions, the app, the Post Office, bank account and National Insurance.

Each is its own Starlette app speaking the credential-issuer contract over HTTP (the issuer's
side of identity/cri_client.py), with its own keys and its own test register
(`data/test-identities.json`). They check what the tester types against the register and issue
the VC the real issuer would. They never call identity/'s rules: a real issuer replaces one by
configuration. Served under /dev/cri/<name>/ only with GOVSIGNIN_ENV=development.
"""
