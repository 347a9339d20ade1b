"""Alembic environment for Flask-Migrate: the app's engine and metadata drive every migration."""

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from flask import current_app

from app.models import UTCDateTime
from app.services.search import include_in_autogenerate

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write UTCDateTime columns as plain ``sa.DateTime(timezone=True)`` in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_item=render_item,
        include_object=include_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context: Any, revision: Any, directives: Any) -> None:
        # An autogenerate run that finds no change writes no empty migration file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("include_object", include_in_autogenerate)

    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Python's sqlite3 driver runs DDL outside any transaction, so a failed migration
            # would leave half its changes. It is told to leave transactions to us, and the
            # migration runs inside one explicit BEGIN … COMMIT.
            driver = connection.connection.driver_connection
            driver_isolation = driver.isolation_level
            driver.isolation_level = None
            # A batch migration rebuilds a table on SQLite (copy, drop, rename). With foreign keys
            # on, dropping ``users`` would cascade-delete every post and session. They are off
            # while migrating (a pragma that cannot change inside a transaction); the references
            # are checked before the migration commits, so a broken one rolls it all back.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # ends SQLAlchemy's own begin, so Alembic's below is the real one
            conf_args["transactional_ddl"] = True  # Alembic assumes SQLite has none
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        try:
            with context.begin_transaction():
                if sqlite:
                    connection.exec_driver_sql("BEGIN")
                context.run_migrations()
                if sqlite:
                    _check_references(connection)
        finally:
            if sqlite:
                connection.rollback()  # nothing is left open after a commit; after a failure, end it
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
                driver.isolation_level = driver_isolation


def _check_references(connection: Any) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration would leave rows with broken references: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
