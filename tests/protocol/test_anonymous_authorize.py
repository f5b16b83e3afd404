"""An anonymous GET /authorize costs the store little: a small record, kept only
pre_sign_in_seconds until the citizen's first form post."""

import time
from urllib.parse import urlencode

from tests.support.rp import TestRP, post_page


async def _record(client, services):
    session_id = client.cookies.get(services.sessions.cookie_name)
    raw = await services.store.get(f"sess:{session_id}")
    return await services.sessions.load(session_id), raw


async def test_an_anonymous_authorize_keeps_a_small_record_briefly(client, services, settings):
    rp = await TestRP.create(services)
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(state="s" * 1024, nonce="n" * 512)))
    assert response.status_code == 302
    session, raw = await _record(client, services)
    assert session.exp - time.time() <= settings.pre_sign_in_seconds + 1
    assert len(raw) - 1024 - 512 < 800, len(raw)  # the longest state and nonce, and little else


async def test_the_first_form_post_makes_it_an_ordinary_session(client, services, settings):
    rp = await TestRP.create(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    session, _ = await _record(client, services)
    assert session.exp - time.time() > settings.session_idle_seconds - 60
    assert not session.provisional
