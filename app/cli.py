"""The operator CLI: ``keyplane serve|migrate|org|token|catalog``.

Created ids and secrets go alone to stdout (scripts capture them); messages for humans go
to stderr. Bad input: one line on stderr, exit status 2, nothing changed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys

from tortoise.exceptions import BaseORMException

from app import db
from app.clock import SystemClock
from app.domain.ids import encode
from app.domain.timeconv import from_micros, to_micros
from app.services.errors import Refused
from app.settings import Settings

EXIT_USAGE = 2


class CliError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints the whole usage)
        print(f"keyplane: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="keyplane", description="Control plane for the API keys of an LLM gateway.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-bootstrap", action="store_true", help="do not create the default organization")
    sub.add_parser("migrate", help="create or upgrade the database schema")

    org = sub.add_parser("org", help="organizations").add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = org.add_parser("create", help="create an organization; prints its id")
    create.add_argument("name")
    create.add_argument("--plan", default="free")
    create.add_argument("--key-limit", type=int)
    set_plan = org.add_parser("set-plan", help="change an organization's plan")
    set_plan.add_argument("name")
    set_plan.add_argument("--plan", required=True)
    set_plan.add_argument("--key-limit", type=int)

    token = sub.add_parser("token", help="management and gateway tokens").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    token_create = token.add_parser("create", help="create a token; prints it")
    target = token_create.add_mutually_exclusive_group(required=True)
    target.add_argument("--org")
    target.add_argument("--gateway", action="store_true")
    token_create.add_argument("--label")
    token_list = token.add_parser("list", help="list tokens (never their secrets)")
    token_list.add_argument("--org")
    token_list.add_argument("--json", action="store_true", help="one JSON object per line")
    revoke = token.add_parser("revoke", help="revoke a token by its secret or id")
    revoke.add_argument("token")

    cat = sub.add_parser("catalog", help="the model catalog").add_subparsers(dest="action", required=True, parser_class=_Parser)
    cat_import = cat.add_parser("import", help="replace the catalog with a JSON file")
    cat_import.add_argument("file")
    cat.add_parser("export", help="print the current catalog as JSON")

    sub.add_parser("schema", help="print the GraphQL schema (SDL)")
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
    from app.services import orgs, projects, tokens
    from app.services.callers import Tenant

    if not await orgs.is_empty():
        return None
    org = await orgs.create_org(clock, "default", "free")
    management = await tokens.create(clock, tokens.MANAGEMENT, org.id, "bootstrap")
    gateway = await tokens.create(clock, tokens.GATEWAY, None, "bootstrap")
    await projects.create_project(Tenant(org.id, management.id), clock, "Default")
    return management.secret, gateway.secret


def _serve(args, settings: Settings, clock) -> int:
    import uvicorn

    from app.logs import configure_logging
    from app.server import create_app
    from app.slowclients import uvicorn_options

    configure_logging(settings.log_level)
    if not args.no_bootstrap:
        created = asyncio.run(_with_database(settings, clock, lambda: bootstrap(clock)))
        if created is not None:
            management, gateway = created
            print(
                'keyplane: first start: created organization "default" (plan FREE) with project "Default".\n'
                "These tokens are shown once; store them now.\n"
                f"  management token (GraphQL): {management}\n"
                f"  gateway token (/v1):        {gateway}\n"
                f"GraphiQL: http://{args.host}:{args.port}/graphql",
                flush=True,
            )
    app = create_app(settings, clock)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=10, lifespan="on", **uvicorn_options(settings))
    return 0


async def _run(args, settings: Settings, clock) -> int:
    from app import models
    from app.services import catalog, orgs, tokens

    if args.command == "migrate":
        from app.store import migrations

        versions = await migrations.applied_versions()
        print(f"keyplane: schema at version {versions[-1] if versions else 0}", file=sys.stderr)
        return 0
    if args.command == "org" and args.action == "create":
        org = await orgs.create_org(clock, args.name, args.plan, args.key_limit)
        print(encode("Organization", org.id))
        return 0
    if args.command == "org" and args.action == "set-plan":
        org = await orgs.set_plan(clock, args.name, args.plan, args.key_limit)
        print(f"keyplane: {org.name} is now on plan {org.plan}"
              + (f" with {org.key_limit_override} keys per project" if org.key_limit_override is not None else ""),
              file=sys.stderr)
        return 0
    if args.command == "token" and args.action == "create":
        if args.gateway:
            created = await tokens.create(clock, tokens.GATEWAY, None, args.label)
        else:
            org = await orgs.find_org(args.org)
            created = await tokens.create(clock, tokens.MANAGEMENT, org.id, args.label)
        print(created.secret)
        return 0
    if args.command == "token" and args.action == "list":
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
    if args.command == "token" and args.action == "revoke":
        token = await tokens.revoke(clock, args.token)
        print(f"keyplane: token {token.id} revoked", file=sys.stderr)
        return 0
    if args.command == "catalog" and args.action == "import":
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
    if args.command == "catalog" and args.action == "export":
        from app.domain.catalog import catalog_to_json

        print(json.dumps(catalog_to_json(await catalog.current()), indent=2))
        return 0
    raise CliError(f"unknown command {args.command}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from schema.build import schema

        print(schema.as_str())
        return 0
    try:
        settings = Settings.from_env()
        clock = SystemClock()
        if args.command == "serve":
            return _serve(args, settings, clock)
        return asyncio.run(_with_database(settings, clock, lambda: _run(args, settings, clock)))
    except Refused as refused:
        print(f"keyplane: error: {refused}", file=sys.stderr)
    except CliError as exc:
        print(f"keyplane: error: {exc}", file=sys.stderr)
    except db.DatabaseUrlError as exc:
        print(f"keyplane: error: {exc}", file=sys.stderr)
    except BaseORMException as exc:
        print(f"keyplane: error: database error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
    except (OSError, ConnectionError) as exc:
        print(f"keyplane: error: cannot reach the database: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
