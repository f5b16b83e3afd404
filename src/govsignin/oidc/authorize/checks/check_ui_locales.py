"""- ui_locales: the first of `en`/`cy` in the space-separated list wins; others are ignored."""

SUPPORTED = ("en", "cy")


async def check_ui_locales(ctx):
    for tag in ctx.params.get("ui_locales", "").split()[:10]:
        lang = tag.split("-")[0].lower()
        if lang in SUPPORTED:
            ctx.values["ui_locale"] = lang
            return
    ctx.values["ui_locale"] = None
