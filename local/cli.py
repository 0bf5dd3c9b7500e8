"""The local run's command line: ``python -m local.server`` (what ``make run`` starts).

    python -m local.server [--host 127.0.0.1] [--port 3000] [--no-demo] [--trust-forwarded-for]
                           [--stream-window SECONDS|template] [--template PATH] [--quiet]

Starts :func:`local.server.start_local_api`, prints where it serves, its routes and
its stream consumers, and serves until Ctrl-C. The stream consumers' batching
window is 1 s unless ``--stream-window`` or ``LOCAL_STREAM_WINDOW`` says otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from botocore.exceptions import BotoCoreError, ClientError

from local.cfn_template import TEMPLATE_PATH
from local.server import DEMO_SITE, start_local_api


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


def stream_window(text: str) -> float | None:
    """``--stream-window``: seconds, or ``template`` for the template's batching windows."""
    if text.strip().lower() == "template":
        return None
    if (seconds := float(text)) < 0:
        raise ValueError(text)
    return seconds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        "python -m local.server", description="Serve the template's HTTP API locally, on moto."
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    demo_help = f"register the site '{DEMO_SITE}' on start (default: on; env DEMO)"
    parser.add_argument("--demo", action=argparse.BooleanOptionalAction, help=demo_help)
    trust_help = "take sourceIp from X-Forwarded-For, to simulate many clients"
    parser.add_argument("--trust-forwarded-for", action="store_true", help=trust_help)
    parser.add_argument("--template", default=str(TEMPLATE_PATH))
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    # 1 s, not the template's minutes: a local dashboard shows what was just clicked.
    window_help = "stream consumers' batching window: seconds, or 'template' (default: 1; env "
    parser.add_argument(
        "--stream-window",
        type=stream_window,
        metavar="SECONDS",
        default=os.environ.get("LOCAL_STREAM_WINDOW") or "1",
        help=window_help + "LOCAL_STREAM_WINDOW)",
    )
    parser.set_defaults(
        demo=_flag("DEMO", True), trust_forwarded_for=_flag("TRUST_FORWARDED_FOR", False)
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    options = {"template_path": args.template, "quiet": args.quiet}
    try:
        api = start_local_api(
            args.host,
            args.port,
            args.demo,
            args.trust_forwarded_for,
            stream_window=args.stream_window,
            **options,
        )
    except (BotoCoreError, ClientError) as exc:  # an endpoint the user named, unreachable
        endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "")
        print(f"error: DynamoDB at {endpoint}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Visit counter running at {api.url}/ (demo portal), API at {api.url}/v1/...")
    for route in api.routes:
        print(f"  {route.route_key:<32} {route.handler}{' (AWS_IAM)' if route.iam_auth else ''}")
    for poller in api.streams.pollers if api.streams else []:
        print(f"  stream {poller.consumer.function}, batching window {poller.window:g} s")
    print(f"DynamoDB at {api.dynamodb_endpoint}. Ctrl-C to stop.", flush=True)
    while not stopping.wait(0.2):
        pass
    api.stop()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
