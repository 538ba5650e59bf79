"""``lending-app [--host H] [--port P]``: serve the app with uvicorn (default 127.0.0.1:8100)."""

from __future__ import annotations

import argparse

import uvicorn

from lending_app.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="lending-app", description="参考借贷应用（小赢卡贷）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
