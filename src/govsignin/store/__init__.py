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
