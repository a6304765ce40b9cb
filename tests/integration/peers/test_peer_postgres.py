"""Smoke test for the PostgreSQL peer."""

from __future__ import annotations

import psycopg


def test_create_insert_select(postgres):
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        assert int(version) >= 150000
        conn.execute("CREATE TABLE events (id serial PRIMARY KEY, topic text NOT NULL,"
                     " payload jsonb NOT NULL)")
        try:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO events (topic, payload) VALUES (%s, %s::jsonb)",
                                [("orders", '{"n": 1}'), ("orders", '{"n": 2}'),
                                 ("users", '{"n": 3}')])
            rows = conn.execute("SELECT topic, count(*), sum((payload->>'n')::int) FROM events"
                                " GROUP BY topic ORDER BY topic").fetchall()
            assert rows == [("orders", 2, 3), ("users", 1, 3)]
        finally:
            conn.execute("DROP TABLE events")


def test_listens_on_loopback_tcp(postgres):
    with psycopg.connect(postgres.dsn) as conn:
        addr = conn.execute("SELECT inet_server_addr()::text, inet_server_port()").fetchone()
    assert addr == ("127.0.0.1/32", postgres.port)
