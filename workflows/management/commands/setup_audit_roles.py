"""manage.py setup_audit_roles --owner ROLE --app ROLE: the production roles on PostgreSQL.

The owner role owns the audit and checkpoint tables, every other table the append-only trigger
function guards (the configuration log, the acting heads' namings and their endings), their
sequence and the function; nobody logs in as it but to migrate. The application role, which
the web and worker processes connect as, may do anything to the other tables but only SELECT
and INSERT on these:
it cannot update, delete, truncate, or drop or disable a trigger (only an owner may). Run it
as a superuser after every migration; it is idempotent.
"""

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import connection, transaction
from psycopg import sql

from workflows.audit_guard import AUDIT_TABLES
from workflows.management.base import ProjectCommand

SEQUENCE = "workflows_auditentry_seq"
FUNCTION = "workflows_audit_append_only()"


def guarded_tables(cursor: Any) -> list[str]:
    """The audit tables, and every table whose rows the append-only trigger function guards,
    read from the catalogue so that a new guarded table is never forgotten here."""
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE p.proname = %s AND NOT t.tgisinternal",
        [FUNCTION.removesuffix("()")],
    )
    return sorted(set(AUDIT_TABLES) | {name for (name,) in cursor.fetchall()})


class Command(ProjectCommand):
    help = (
        "Set up the PostgreSQL owner and application roles that keep the audit trail append-only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", required=True, help="role that owns the audit tables")
        parser.add_argument("--app", required=True, help="role the application connects as")
        parser.add_argument(
            "--app-password", default="", help="set the application role's password"
        )

    def handle(self, *args: Any, owner: str, app: str, app_password: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("setup_audit_roles is for PostgreSQL (DATABASE_URL=postgres://…)")
        if owner == app:
            raise CommandError("the owner and application roles must differ")
        with transaction.atomic(), connection.cursor() as cursor:
            self._create(cursor, owner, login=False)
            self._create(cursor, app, login=True)
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app])
            if cursor.fetchone()[0]:
                raise CommandError(f"the application role {app} is a superuser: use another")
            if app_password:
                cursor.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(app), sql.Literal(app_password)
                    )
                )
            cursor.execute(
                sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(owner), sql.Identifier(app))
            )
            for statement in self._statements(owner, app, guarded_tables(cursor)):
                cursor.execute(statement)
            tables = guarded_tables(cursor)
        self.stdout.write(
            f"{owner} owns {len(tables)} audit tables; {app} may only read and insert them"
        )

    def _create(self, cursor: Any, role: str, *, login: bool) -> None:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(
                sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
                    sql.Identifier(role)
                )
            )

    def _statements(self, owner: str, app: str, tables: list[str]) -> list[sql.Composed]:
        o, a = sql.Identifier(owner), sql.Identifier(app)
        database = sql.Identifier(connection.settings_dict["NAME"])
        statements = [
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, a),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a),
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(a),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a),
        ]
        for name in tables:
            table = sql.Identifier(name)
            statements += [
                sql.SQL("ALTER TABLE {} OWNER TO {}").format(table, o),
                sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(table, a),
                sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(table, a),
            ]
        statements += [
            sql.SQL("ALTER SEQUENCE {} OWNER TO {}").format(sql.Identifier(SEQUENCE), o),
            sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.Identifier(SEQUENCE), a),
            sql.SQL("ALTER FUNCTION " + FUNCTION + " OWNER TO {}").format(o),
        ]
        return statements
