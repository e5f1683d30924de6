"""The operator CLI: ``keyplane serve|migrate|org|token|catalog``.

Created ids and secrets go alone to stdout (scripts capture them); messages for humans go
to stderr. Bad input: one line on stderr, exit status 2, nothing changed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import uvicorn
from tortoise.exceptions import BaseORMException

from uvicorn.supervisors import Multiprocess

from app import db, models
from app.clock import SystemClock
from app.domain.audit import SYSTEM
from app.domain.catalog import catalog_to_json
from app.domain.ids import encode
from app.domain.timeconv import from_micros, to_micros
from app.logs import configure_logging
from app.server import create_app
from app.services import catalog, orgs, projects, tokens
from app.services.catalog import CatalogCache
from app.services.callers import Tenant
from app.services.errors import Refused
from app.settings import Settings
from app.slowclients import uvicorn_options
from app.store import migrations
from schema.build import schema

EXIT_USAGE = 2


class CliError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints the whole usage)
        print(f"keyplane: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


MAX_WORKERS = 64


def _workers(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers must be a whole number, not {raw!r}") from None
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"--workers must be between 1 and {MAX_WORKERS}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="keyplane", description="Control plane for the API keys of an LLM gateway.")
    parser.set_defaults(offline=None, serve=None, func=None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-bootstrap", action="store_true", help="do not create the default organization")
    serve.add_argument("--workers", type=_workers, default=1,
                       help="worker processes sharing the port and the database (default 1)")
    serve.set_defaults(serve=_serve)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(func=_migrate)

    org = sub.add_parser("org", help="organizations").add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = org.add_parser("create", help="create an organization; prints its id")
    create.add_argument("name")
    create.add_argument("--plan", default="free")
    create.add_argument("--key-limit", type=int)
    create.set_defaults(func=_org_create)
    set_plan = org.add_parser("set-plan", help="change an organization's plan")
    set_plan.add_argument("name")
    set_plan.add_argument("--plan", required=True)
    set_plan.add_argument("--key-limit", type=int)
    set_plan.set_defaults(func=_org_set_plan)

    token = sub.add_parser("token", help="management and gateway tokens").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    token_create = token.add_parser("create", help="create a token; prints it")
    target = token_create.add_mutually_exclusive_group(required=True)
    target.add_argument("--org")
    target.add_argument("--gateway", action="store_true")
    token_create.add_argument("--label")
    token_create.set_defaults(func=_token_create)
    token_list = token.add_parser("list", help="list tokens (never their secrets)")
    token_list.add_argument("--org")
    token_list.add_argument("--json", action="store_true", help="one JSON object per line")
    token_list.set_defaults(func=_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by its secret or id")
    revoke.add_argument("token")
    revoke.set_defaults(func=_token_revoke)

    cat = sub.add_parser("catalog", help="the model catalog").add_subparsers(dest="action", required=True, parser_class=_Parser)
    cat_import = cat.add_parser("import", help="replace the catalog with a JSON file")
    cat_import.add_argument("file")
    cat_import.set_defaults(func=_catalog_import)
    cat.add_parser("export", help="print the current catalog as JSON").set_defaults(func=_catalog_export)

    sub.add_parser("schema", help="print the GraphQL schema (SDL)").set_defaults(offline=_schema)
    return parser


async def _with_database(settings: Settings, clock, work):
    await db.open_database(settings, to_micros(clock.now()))
    try:
        return await work()
    finally:
        await db.close_database()


def _time(micros: int | None) -> str:
    return "-" if micros is None else from_micros(micros).isoformat(timespec="seconds")


async def bootstrap(clock) -> tuple[str, str] | None:
    """On an empty database: org "default" (FREE) with project "Default", and one token of each kind."""
    if not await orgs.is_empty():
        return None
    org = await orgs.create_org(clock, "default", "free", actor=SYSTEM)
    management = await tokens.create(clock, tokens.MANAGEMENT, org.id, "bootstrap", actor=SYSTEM)
    gateway = await tokens.create(clock, tokens.GATEWAY, None, "bootstrap", actor=SYSTEM)
    await projects.create_project(Tenant(org.id, management.id), clock, "Default", actor=SYSTEM)
    return management.secret, gateway.secret


def _serve(args, settings: Settings, clock) -> int:
    configure_logging(settings.log_level)
    if not args.no_bootstrap:
        created = asyncio.run(_with_database(settings, clock, lambda: bootstrap(clock)))
        if created is not None:
            management, gateway = created
            print(
                'keyplane: first start: created organization "default" (plan FREE) with project "Default".\n'
                "These tokens are shown once; store them now.\n"
                f"  management token (GraphQL): {management}\n"
                f"  gateway token (/v1):        {gateway}",
                flush=True,
            )
    options = dict(host=args.host, port=args.port, log_level="warning", access_log=False,
                   timeout_graceful_shutdown=10, lifespan="on", **uvicorn_options(settings, args.workers))
    if args.workers == 1:
        AnnouncingServer(uvicorn.Config(create_app(settings, clock), **options), graphiql=settings.graphiql).run()
        return 0
    # each worker is a process of its own with its own caches and change feed, exactly as
    # separate instances on one database are; settings reach them through the environment
    config = uvicorn.Config("app.server:app_from_environment", factory=True, workers=args.workers, **options)
    sock = config.bind_socket()
    print(where_to_go(args.host, sock.getsockname()[1], settings.graphiql), file=sys.stderr, flush=True)
    Multiprocess(config, sockets=[sock]).run()
    return 0


def where_to_go(host: str, port: int, graphiql: bool) -> str:
    """What `serve` prints on every start: the address it listens on and the pages to open."""
    browse = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, f"[{host}]" if ":" in host else host)
    base = f"http://{browse}:{port}"
    lines = [f"keyplane: listening on {f'[{host}]' if ':' in host else host}:{port}",
             f"  dashboard: {base}/"]
    if graphiql:
        lines.append(f"  GraphiQL:  {base}/graphql")
    return "\n".join(lines)


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying where it listens once its sockets are bound (the real port,
    also with --port 0)."""

    def __init__(self, config: uvicorn.Config, graphiql: bool) -> None:
        super().__init__(config)
        self.graphiql = graphiql

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers:
            return
        port = self.servers[0].sockets[0].getsockname()[1]
        print(where_to_go(self.config.host, port, self.graphiql), file=sys.stderr, flush=True)


async def _migrate(args, clock) -> int:
    versions = await migrations.applied_versions()  # the database was migrated when it was opened
    print(f"keyplane: schema at version {versions[-1] if versions else 0}", file=sys.stderr)
    return 0


async def _org_create(args, clock) -> int:
    org = await orgs.create_org(clock, args.name, args.plan, args.key_limit)
    print(encode("Organization", org.id))
    return 0


async def _org_set_plan(args, clock) -> int:
    org = await orgs.set_plan(clock, args.name, args.plan, args.key_limit)
    print(f"keyplane: {org.name} is now on plan {org.plan}"
          + (f" with {org.key_limit_override} keys per project" if org.key_limit_override is not None else ""),
          file=sys.stderr)
    return 0


async def _token_create(args, clock) -> int:
    if args.gateway:
        created = await tokens.create(clock, tokens.GATEWAY, None, args.label)
    else:
        org = await orgs.find_org(args.org)
        created = await tokens.create(clock, tokens.MANAGEMENT, org.id, args.label)
    print(created.secret)
    return 0


async def _token_list(args, clock) -> int:
    org_id = (await orgs.find_org(args.org)).id if args.org else None
    rows = await tokens.list_tokens(org_id)
    names = {o.id: o.name for o in await models.Organization.all()}
    for token in rows:
        if args.json:
            print(json.dumps(tokens.describe(token)))
            continue
        state = "revoked" if token.revoked_at is not None else "active"
        owner = names.get(token.org_id, "-") if token.kind == tokens.MANAGEMENT else "(all organizations)"
        print(f"{token.id}\t{token.kind}\t{owner}\t{token.label or '-'}\t{token.hint}\t{state}"
              f"\tcreated {_time(token.created_at)}\tlast used {_time(token.last_used_at)}")
    return 0


async def _token_revoke(args, clock) -> int:
    token = await tokens.revoke(clock, args.token)
    print(f"keyplane: token {token.id} revoked", file=sys.stderr)
    return 0


async def _catalog_import(args, clock) -> int:
    try:
        with open(args.file, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"{args.file} is not valid JSON: {exc}") from None
    imported = await catalog.import_catalog(clock, data)
    print(f"keyplane: catalog replaced: {len(imported.models())} models, {len(imported.offers)} offers",
          file=sys.stderr)
    return 0


async def _catalog_export(args, clock) -> int:
    print(json.dumps(catalog_to_json(await CatalogCache().current()), indent=2))
    return 0


def _schema(args) -> int:
    print(schema.as_str())
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away (`keyplane schema | head`): stop quietly, as other CLI tools do.
        # stdout now points to /dev/null so that the interpreter's final flush fails no more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    """Runs the sub-command's handler: ``offline`` ones need nothing, ``serve`` manages its own
    database, every other one runs inside an opened (and migrated) database."""
    args = _parser().parse_args(argv)
    if args.offline is not None:
        return args.offline(args)
    try:
        settings = Settings.from_env()
        clock = SystemClock()
        if args.serve is not None:
            return args.serve(args, settings, clock)
        return asyncio.run(_with_database(settings, clock, lambda: args.func(args, clock)))
    except Refused as refused:
        print(f"keyplane: error: {refused}", file=sys.stderr)
    except CliError as exc:
        print(f"keyplane: error: {exc}", file=sys.stderr)
    except db.DatabaseUrlError as exc:
        print(f"keyplane: error: {exc}", file=sys.stderr)
    except BaseORMException as exc:
        print(f"keyplane: error: database error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
    except BrokenPipeError:
        raise
    except (OSError, ConnectionError) as exc:
        print(f"keyplane: error: cannot reach the database: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
