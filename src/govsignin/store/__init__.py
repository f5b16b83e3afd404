from govsignin.store.base import Store


def create_store(settings, engine) -> Store:
    if settings.redis_url:
        from govsignin.store.redis import RedisStore

        return RedisStore(settings.redis_url)
    from govsignin.store.database import DatabaseStore, PostgresStore, SQLiteStore

    if engine.dialect.driver == "aiosqlite":
        return SQLiteStore(engine)
    if engine.dialect.driver == "asyncpg":
        return PostgresStore(engine)
    return DatabaseStore(engine)


def create_security_store(engine) -> Store:
    """The Store over the `security_state` table: the database, even when Redis is the store,
    so an eviction or a restart of Redis never lifts a lockout, a block or a sign-out."""
    from govsignin.store.database import DatabaseStore, PostgresStore, SQLiteStore
    from govsignin.store.models import SecurityState

    table = SecurityState.__table__
    if engine.dialect.driver == "aiosqlite":
        return SQLiteStore(engine, table)
    if engine.dialect.driver == "asyncpg":
        return PostgresStore(engine, table)
    return DatabaseStore(engine, table)
