"""The development issuers as HTTP services: one Starlette app per issuer, mounted under
/dev/cri/<name>/, each speaking the credential-issuer contract with its own keys."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Awaitable, Callable
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from govsignin.devissuers.contract import ContractError, CoreRegistration, IssuerProtocol
from govsignin.devissuers.documents import App, DrivingLicence, Passport, PostOffice
from govsignin.devissuers.keys import load_or_create
from govsignin.devissuers.outcomes import FormError, Issue, Pending, join_dates
from govsignin.devissuers.records import Address, BankAccount, Fraud, KnowledgeBased, NationalInsurance
from govsignin.devissuers.register import Register
from govsignin.identity.cri_config import CriConfig
from govsignin.records import dumps, loads

ISSUERS = (Passport(), DrivingLicence(), Address(), Fraud(), KnowledgeBased(), App(), PostOffice(), BankAccount(), NationalInsurance())
PREFIX = "/dev/cri"
PENDING_TTL = PostOffice.DAYS_TO_VISIT * 86400
REFERENCES = "devcri:post-office:references"


class UnknownReference(LookupError):
    pass


@dataclass
class DevIssuer:
    definition: object
    protocol: IssuerProtocol

    @property
    def name(self) -> str:
        return self.definition.name


class DevIssuers:
    def __init__(self, settings, store, templates, core: CoreRegistration,
                 deliver: Callable[[str, str, str], Awaitable[None]], register: Register | None = None):
        self.settings, self.store, self.templates, self.core, self.deliver = settings, store, templates, core, deliver
        self.register = register or Register.load()
        base = settings.endpoint(PREFIX)
        self.issuers = {
            d.name: DevIssuer(d, IssuerProtocol(d.name, f"{base}/{d.name}", load_or_create(settings.dev_issuers_key_dir, d.name), core, store))
            for d in ISSUERS
        }

    def cri_configs(self) -> dict[str, CriConfig]:
        """How the provider registers each of them: as any configured issuer."""
        configs = {}
        for name, issuer in self.issuers.items():
            p = issuer.protocol
            configs[name] = CriConfig(
                name=name, kind=issuer.definition.kind, client_id=self.core.client_id, component_id=p.component_id,
                authorize_url=f"{p.base_url}/authorize", token_url=f"{p.base_url}/token",
                credential_url=f"{p.base_url}/credential/issue",
                encryption_jwk=p.jwks()["keys"][0], signing_jwk={**p.did_document()["assertionMethod"][0]["publicKeyJwk"], "kid": p.kid},
                asynchronous=name == "post-office",
            )
        return configs

    def listing(self) -> list[dict]:
        return [{"name": name, "title": i.definition.title, "url": i.protocol.base_url + "/",
                 "did": i.protocol.did} for name, i in self.issuers.items()]

    # --- the Post Office's asynchronous result ---------------------------------------------

    async def pending_checks(self) -> list[dict]:
        raw = await self.store.get(REFERENCES)
        checks = []
        for reference in loads(raw) if raw else []:
            record = await self.store.get(f"devcri:post-office:pending:{reference}")
            if record:
                checks.append({"reference": reference, **loads(record)})
        return checks

    async def _pend(self, reference: str, sub: str, step: dict) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        record = {"sub": sub, "person": step["person"], "kind": step["kind"], "created": now.isoformat(),
                  "deadline": (now + dt.timedelta(days=PostOffice.DAYS_TO_VISIT)).date().isoformat()}
        await self.store.set(f"devcri:post-office:pending:{reference}", dumps(record), PENDING_TTL)
        raw = await self.store.get(REFERENCES)
        live = [r for r in (loads(raw) if raw else []) if await self.store.get(f"devcri:post-office:pending:{r}")]
        await self.store.set(REFERENCES, dumps([*live, reference]), PENDING_TTL)

    async def post_office_result(self, reference: str, passed: bool) -> dict:
        """Record a branch's result: the VC is signed now and sent to the provider's queue."""
        reference = "".join(reference.split())
        raw = await self.store.pop(f"devcri:post-office:pending:{reference}")
        if raw is None:
            raise UnknownReference(f"No Post Office check is waiting with reference {reference}: it was never made, already has a result, or its 16 days have passed.")
        record = loads(raw)
        issue = PostOffice.result(self.register, record["person"], record["kind"], passed)
        protocol = self.issuers["post-office"].protocol
        await self.deliver(record["sub"], "post-office", protocol.sign(record["sub"], issue.credential()))
        return {"reference": reference, "outcome": "pass" if passed else "fail"}

    # --- HTTP ---------------------------------------------------------------------------------

    def app(self) -> Starlette:
        mounts = [Mount(f"/{name}", app=self._issuer_app(issuer)) for name, issuer in self.issuers.items()]
        return Starlette(routes=[Route("/", self._index, methods=["GET"]), *mounts])

    async def _index(self, request: Request) -> Response:
        return self.templates.render(request, "devissuers/index.html", issuers=self.listing())

    def _issuer_app(self, issuer: DevIssuer) -> Starlette:
        views = IssuerViews(self, issuer)
        routes = [
            Route("/", views.start, methods=["GET"]),
            Route("/authorize", views.authorize, methods=["GET"]),
            Route("/check", views.check, methods=["GET", "POST"]),
            Route("/another-way", views.another_way, methods=["POST"]),
            Route("/token", views.token, methods=["POST"]),
            Route("/credential/issue", views.credential, methods=["POST"]),
            Route("/did.json", views.did, methods=["GET"]),
            Route("/.well-known/did.json", views.did, methods=["GET"]),
            Route("/.well-known/jwks.json", views.jwks, methods=["GET"]),
        ]
        if issuer.name == "post-office":
            routes.append(Route("/operator", views.operator, methods=["GET", "POST"]))
        return Starlette(routes=routes)


class IssuerViews:
    def __init__(self, issuers: DevIssuers, issuer: DevIssuer):
        self.issuers, self.issuer = issuers, issuer
        self.definition, self.protocol = issuer.definition, issuer.protocol
        self.cookie = f"devcri-{issuer.name}"
        self.path = f"{PREFIX}/{issuer.name}/"

    def _page(self, request, template: str, status: int = 200, **context) -> Response:
        return self.issuers.templates.render(request, template, status=status, title=self.definition.title,
                                             base=self.path, **context)

    def _problem(self, request, status: int, text: str) -> Response:
        return self._page(request, "devissuers/message.html", status=status, heading="Sorry, there is a problem", paragraphs=[text])

    async def start(self, request: Request) -> Response:
        return self._page(request, "devissuers/message.html", heading=self.definition.title, paragraphs=[
            "A development credential issuer: it checks details against its test register and issues the credential the real service would.",
            f"Its contract: {self.path}authorize, {self.path}token, {self.path}credential/issue, {self.path}did.json.",
        ])

    async def authorize(self, request: Request) -> Response:
        try:
            session_id, session = await self.protocol.open_session(request.query_params.get("client_id"), request.query_params.get("request"))
        except ContractError as exc:
            return self._problem(request, exc.status, exc.description)
        if self.definition.form(session) is None:  # nothing to ask (the fraud check)
            return await self._finish(request, session_id, session, self.definition.check(self.issuers.register, session, {}))
        response = RedirectResponse(self.path + "check", status_code=302)
        response.set_cookie(self.cookie, session_id, max_age=7200, path=self.path, httponly=True, samesite="lax",
                            secure=self.issuers.settings.secure_cookies())
        await self.protocol.save_session(session_id, session)
        return response

    async def _session(self, request: Request):
        session_id = request.cookies.get(self.cookie)
        return session_id, await self.protocol.session(session_id)

    async def check(self, request: Request) -> Response:
        session_id, session = await self._session(request)
        if session is None:
            return self._problem(request, 400, "Your session with this issuer has ended. Go back to the service and start again.")
        values, error = {}, None
        if request.method == "POST":
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
            if not hmac.compare_digest(form.get("csrf_token", ""), session["csrf"]):
                return self._problem(request, 400, "This form has expired. Go back to the service and start again.")
            shown = self.definition.form(session)
            outcome = self.definition.check(self.issuers.register, session, join_dates(form, shown.fields if shown else ()))
            if isinstance(outcome, (Issue, Pending)):
                return await self._finish(request, session_id, session, outcome)
            if isinstance(outcome, FormError):
                values, error = form, {"field": outcome.field, "text": outcome.text}
            await self.protocol.save_session(session_id, session)
        page = self.definition.form(session)
        if page is None:
            return await self._finish(request, session_id, session, self.definition.check(self.issuers.register, session, {}))
        fields = [{"name": f.name, "label": f.label, "hint": f.hint, "kind": f.kind, "width": f.width,
                   "items": [{"value": v, "text": t} for v, t in f.items]} for f in page.fields]
        return self._page(request, "devissuers/form.html", status=400 if error else 200, heading=page.heading,
                          intro=page.intro, fields=fields, facts=[list(f) for f in page.facts], values=values,
                          error=error, csrf_token=session["csrf"])

    async def _finish(self, request: Request, session_id: str, session: dict, outcome) -> Response:
        if isinstance(outcome, Pending):
            await self.issuers._pend(outcome.reference, session["sub"], session["step"])
            code = await self.protocol.issue_code(session, {"pending": outcome.reference})
            await self.protocol.end_session(session_id)
            return self._page(request, "devissuers/post-office.html", reference=outcome.reference,
                              days=PostOffice.DAYS_TO_VISIT, next_url=self._back(session, code=code))
        code = await self.protocol.issue_code(session, outcome.credential())
        await self.protocol.end_session(session_id)
        return RedirectResponse(self._back(session, code=code), status_code=302)

    @staticmethod
    def _back(session: dict, **params) -> str:
        separator = "&" if "?" in session["redirect_uri"] else "?"
        return session["redirect_uri"] + separator + urlencode({**params, "state": session["state"]})

    async def another_way(self, request: Request) -> Response:
        session_id, session = await self._session(request)
        form = await request.form()
        if session is None or not hmac.compare_digest(str(form.get("csrf_token", "")), session["csrf"]):
            return self._problem(request, 400, "Your session with this issuer has ended. Go back to the service and start again.")
        await self.protocol.end_session(session_id)
        return RedirectResponse(self._back(session, error="access_denied", error_description="The citizen chose another way"), status_code=302)

    async def token(self, request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            return JSONResponse(await self.protocol.token(form), headers={"Cache-Control": "no-store"})
        except ContractError as exc:
            return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status)

    async def credential(self, request: Request) -> Response:
        try:
            record = await self.protocol.redeem(request.headers.get("authorization"))
        except ContractError as exc:
            return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status,
                                headers={"WWW-Authenticate": f'Bearer error="{exc.error}"'})
        if "pending" in record["credential"]:
            return JSONResponse({"sub": record["sub"], "https://vocab.account.gov.uk/v1/credentialJWT": [],
                                 "https://vocab.account.gov.uk/v1/credentialStatus": "pending"})
        return Response(self.protocol.sign(record["sub"], record["credential"]), media_type="application/jwt")

    async def did(self, request: Request) -> Response:
        return JSONResponse(self.protocol.did_document(), headers={"Cache-Control": "max-age=3600, private"})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.protocol.jwks(), headers={"Cache-Control": "max-age=3600"})

    async def operator(self, request: Request) -> Response:
        """The branch's side, for testers: every check waiting, and its result."""
        message = None
        token = hmac.new(self.issuers.settings.key_encryption_key.encode(), b"devissuers-operator", "sha256").hexdigest()
        if request.method == "POST":
            form = await request.form()
            if not hmac.compare_digest(str(form.get("csrf_token", "")), token):
                return self._problem(request, 400, "This form has expired. Open the operator page again.")
            try:
                done = await self.issuers.post_office_result(str(form.get("reference", "")), form.get("outcome") == "pass")
                message = f"Recorded {done['outcome']} for reference {done['reference']}."
            except UnknownReference as exc:
                message = str(exc)
        return self._page(request, "devissuers/operator.html", heading="Post Office branch results (development)",
                          checks=await self.issuers.pending_checks(), message=message, csrf_token=token)
