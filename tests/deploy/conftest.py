"""The integration tests' real services (a scratch PostgreSQL database, an emptied Redis
database, migrated), shared with tests/deploy rather than written twice."""

from tests.integration.conftest import pg_database_url, redis_url, service_env  # noqa: F401
