import pytest

from tests.devissuers.support import Core


@pytest.fixture(scope="module")
async def core(tmp_path_factory):
    core = Core(tmp_path_factory.getbasetemp())
    yield core
    await core.http.aclose()


@pytest.fixture(scope="module")
def person(core):
    return core.register.by_id
