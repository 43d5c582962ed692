"""The canonical tables of ``shared/design/data-model.md``: DDL and enumerated values.

Every writer (demo generator, importers) creates tables through :func:`create_schema`, so the
column names and types exist in exactly one place.
"""

from __future__ import annotations

CHANNELS = ("patrol", "hotline", "app", "visit", "letter", "online", "sensor")
EVENT_TYPES = ("complaint", "petition", "request", "hazard", "consultation")
OTHER = "other"  # a channel or event type an import could not map onto the codes above
BOARDS = ("party", "economy", "livelihood", "safety")
HANDLING_TYPES = ("immediate", "promised", "escalated", "joint", "inform")
RESOLVED_LEVELS = ("grid", "community", "street", "district")
SATISFACTION = ("satisfied", "basic", "dissatisfied")
WORKER_ROLES = ("full_time", "part_time", "instructor", "street_staff")
UNIT_LEVELS = ("district", "street", "community")

EVENT_TIMESTAMPS = ("reported_at", "accepted_at", "dispatched_at", "handled_at", "closed_at")
PERSONAL_COLUMNS = ("reporter_name", "reporter_phone", "address", "description")

TABLES: dict[str, str] = {
    "org_units": """
        CREATE TABLE IF NOT EXISTS org_units (
            unit_id   VARCHAR PRIMARY KEY,
            parent_id VARCHAR,
            level     VARCHAR NOT NULL,
            name      VARCHAR NOT NULL
        )""",
    "grids": """
        CREATE TABLE IF NOT EXISTS grids (
            grid_id           VARCHAR PRIMARY KEY,
            community_id      VARCHAR NOT NULL,
            street_id         VARCHAR NOT NULL,
            name              VARCHAR NOT NULL,
            households        INTEGER,
            population        INTEGER,
            area_km2          DOUBLE,
            full_time_workers INTEGER,
            part_time_workers INTEGER,
            geometry          VARCHAR,
            centroid_lon      DOUBLE,
            centroid_lat      DOUBLE
        )""",
    "buildings": """
        CREATE TABLE IF NOT EXISTS buildings (
            building_id  VARCHAR PRIMARY KEY,
            grid_id      VARCHAR,
            community_id VARCHAR,
            lon          DOUBLE,
            lat          DOUBLE,
            households   INTEGER
        )""",
    "workers": """
        CREATE TABLE IF NOT EXISTS workers (
            worker_id VARCHAR PRIMARY KEY,
            grid_id   VARCHAR,
            role      VARCHAR NOT NULL,
            name      VARCHAR
        )""",
    # event_id is the logical key (importers upsert on it); it is not declared PRIMARY KEY
    # because an ART index over 10M keys costs more memory and load time than it saves here.
    "events": """
        CREATE TABLE IF NOT EXISTS events (
            event_id       VARCHAR NOT NULL,
            channel        VARCHAR NOT NULL,
            event_type     VARCHAR NOT NULL,
            category       VARCHAR NOT NULL,
            board          VARCHAR NOT NULL,
            grid_id        VARCHAR,
            community_id   VARCHAR,
            street_id      VARCHAR,
            lon            DOUBLE,
            lat            DOUBLE,
            reported_at    TIMESTAMP NOT NULL,
            accepted_at    TIMESTAMP,
            dispatched_at  TIMESTAMP,
            handled_at     TIMESTAMP,
            closed_at      TIMESTAMP,
            deadline_at    TIMESTAMP,
            handling_type  VARCHAR,
            resolved_level VARCHAR,
            handler_unit   VARCHAR,
            worker_id      VARCHAR,
            satisfaction   VARCHAR,
            resolved       BOOLEAN,
            repeat_of      VARCHAR,
            reporter_name  VARCHAR,
            reporter_phone VARCHAR,
            address        VARCHAR,
            description    VARCHAR
        )""",
    "imports": """
        CREATE TABLE IF NOT EXISTS imports (
            import_id        VARCHAR PRIMARY KEY,
            kind             VARCHAR NOT NULL,
            file_name        VARCHAR,
            sha256           VARCHAR,
            rows_read        BIGINT NOT NULL,
            rows_accepted    BIGINT NOT NULL,
            rows_updated     BIGINT NOT NULL,
            rows_unchanged   BIGINT NOT NULL,
            rows_quarantined BIGINT NOT NULL,
            started_at       TIMESTAMP NOT NULL,
            finished_at      TIMESTAMP
        )""",
    "quarantine": """
        CREATE TABLE IF NOT EXISTS quarantine (
            import_id   VARCHAR NOT NULL,
            source_file VARCHAR,
            source_row  BIGINT,
            raw         VARCHAR,
            reason      VARCHAR NOT NULL
        )""",
    # Dates a district marks on its trend charts (a reform, a flood, a campaign): written by
    # `python -m analytics notes`, never by an import, so they stay when data is re-imported.
    "calendar_notes": """
        CREATE TABLE IF NOT EXISTS calendar_notes (
            day        DATE NOT NULL,
            title      VARCHAR NOT NULL,
            detail     VARCHAR,
            unit_id    VARCHAR,
            created_at TIMESTAMP NOT NULL
        )""",
}


# Events without a place (many hotline and 问政 exports name none) count at district level:
# files written before that was allowed declared the place columns NOT NULL.
MIGRATIONS = (
    "ALTER TABLE events ALTER COLUMN community_id DROP NOT NULL",
    "ALTER TABLE events ALTER COLUMN street_id DROP NOT NULL",
)


def create_schema(con) -> None:
    """Create every canonical table that does not exist yet on a DB-API/duckdb connection,
    and bring an older file's tables up to date."""
    for ddl in TABLES.values():
        con.execute(ddl)
    for statement in MIGRATIONS:
        con.execute(statement)
