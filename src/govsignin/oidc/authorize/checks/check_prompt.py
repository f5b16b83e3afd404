"""- prompt: `none` and `login` act; `select_account` → unmet_authentication_requirements;
  `none` with anything else is contradictory (OIDC Core §3.1.2.1) → invalid_request."""

from govsignin.oidc.errors import InvalidRequest, UnmetAuthenticationRequirements

KNOWN = {"none", "login", "consent", "select_account"}


async def check_prompt(ctx):
    prompts = ctx.params.get("prompt", "").split()
    if any(p not in KNOWN for p in prompts):
        raise InvalidRequest("Invalid prompt parameter")
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequest("prompt none cannot be combined with other values")
    if "select_account" in prompts:
        raise UnmetAuthenticationRequirements("Unmet authentication requirements")
    ctx.values["prompt"] = [p for p in prompts if p in ("none", "login")]
