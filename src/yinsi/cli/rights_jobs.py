"""``yinsi rights run ID --enqueue``: send the run to a worker and return at once.

With a broker (``YINSI_JOBS__BROKER_URL``) the request moves to ``executing`` and a worker
(``yinsi worker``) runs it; ``yinsi rights status ID`` follows it. Without one the run
happens here, through the in-process queue, before the command returns.
"""

from __future__ import annotations

from pathlib import Path

from yinsi.cli.common import open_services, out


def enqueue_run(request_id: str, data_map: Path | None, url: str | None, actor: str) -> None:
    with open_services(url, actor=actor, data_map=data_map, needs_map=True) as services:
        outcome = services.runs.run(request_id, actor=actor, enqueue=True)
        deferred = services.runs.deferred
    request = outcome.request
    if deferred:
        out.print(
            f"{request.id}：{request.status.label}，已交由后台执行（任务 {outcome.job_id}）",
            markup=False,
        )
        out.print(f"查看进度：yinsi rights status {request.id}", markup=False)
    else:
        out.print(
            f"{request.id}：{request.status.label}（未配置任务队列，已在本进程执行）", markup=False
        )
