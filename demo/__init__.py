"""The demo that ``make run`` starts: the provider plus two example services.

Each service is a small relying party of its own (Starlette + Authlib's OAuth client) that signs
in through govsignin exactly as a real GOV.UK service would through GOV.UK One Login. See
``demo/README.md``.
"""
