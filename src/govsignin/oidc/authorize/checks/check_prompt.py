"""- prompt: `none` and `login` act; `select_account` → unmet_authentication_requirements;
  `none` with anything else is contradictory (OIDC Core §3.1.2.1) → invalid_request.
  An unknown value in a query is a parse error (parse_request); inside a request object it
  is `invalid_request` with state."""

from govsignin.oidc.authorize.checks.parse_request import PROMPTS
from govsignin.oidc.errors import InvalidRequest, UnmetAuthenticationRequirements, describe


async def check_prompt(ctx):
    prompts = ctx.params.get("prompt", "").split()
    if any(p not in PROMPTS for p in prompts):
        raise InvalidRequest(describe("parse_error"))
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequest(describe("prompt_none_combined"))
    if "select_account" in prompts:
        raise UnmetAuthenticationRequirements(describe("select_account"))
    ctx.values["prompt"] = [p for p in prompts if p in ("none", "login")]
