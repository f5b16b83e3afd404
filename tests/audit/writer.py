"""A separate process that records audit events: `python -m tests.audit.writer URL COUNT RUN WRITER`.

Used to prove that appends from several processes sharing one database keep one chain.
"""

import asyncio
import sys


async def main(url: str, count: int, run: str, writer: str) -> None:
    from govsignin.audit.append import Audit
    from govsignin.audit.tags import EventTag
    from govsignin.config import Settings
    from govsignin.db.engine import create_engine

    engine = create_engine(Settings(env="test", database_url=url))
    audit = Audit(engine)
    try:
        for start in range(0, count, 5):  # five at a time: concurrency inside this process too
            await asyncio.gather(*(
                audit.record(EventTag.LoginFailure, user_id=f"{writer}-{n}", run=run, writer=writer, n=n)
                for n in range(start, min(start + 5, count))
            ))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, count, run, writer = sys.argv[1:5]
    asyncio.run(main(url, int(count), run, writer))
