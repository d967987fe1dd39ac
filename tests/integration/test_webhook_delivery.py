"""Webhooks in embedded mode: `gongkai serve` processes uploads in its background thread and
posts one signed event per finished job to each configured URL, retrying after a 500."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from live import WEBHOOK_SECRET, LiveApi, Receiver, assert_signed, events, serve_receiver

MINUTES = "办公室周例会会议纪要\n本周五下午召开周例会，部署下一阶段工作。\n".encode()


def test_one_signed_event_per_job_to_each_url_after_a_500(
    api_factory: Callable[..., LiveApi], receiver: Receiver, devset: Path
) -> None:
    with serve_receiver() as second:
        api = api_factory(
            GONGKAI_WEBHOOK_URLS=f"{receiver.url}, {second.url}",
            GONGKAI_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        uploads = {
            "dev-01.pdf": (devset / "dev-01.pdf").read_bytes(),
            "minutes.txt": MINUTES,
            "dev-02.pdf": (devset / "dev-02.pdf").read_bytes(),
        }
        jobs = {name: api.upload(name, data).json()["job"] for name, data in uploads.items()}
        for job in jobs.values():
            api.finished(job)

        for target in (receiver, second):
            found = {
                event["job"]["id"]: event for event in assert_signed(target, [*jobs.values()], 30)
            }
            stored = found[jobs["dev-01.pdf"]]
            assert stored["type"] == "job.succeeded" and stored["error"] is None
            assert stored["id"] == f"{jobs['dev-01.pdf']}:succeeded"
            assert stored["report"]["agency"] == "长沙市市场监督管理局"
            assert api.client.get(stored["report"]["url"]).status_code == 200
            failed = found[jobs["minutes.txt"]]
            assert failed["type"] == "job.failed" and failed["report"] is None
            assert (failed["error"]["kind"], failed["error"]["exit_code"]) == ("not_a_report", 7)
            assert failed["job"]["filename"] == "minutes.txt"
        assert len(receiver.attempts) == len(receiver.accepted) + 1  # one 500, retried
        assert len(second.attempts) == len(second.accepted) == 3
        headers = {k.lower(): v for k, v in receiver.accepted[0]["headers"].items()}
        assert headers["x-gongkai-event"] == events(receiver.accepted)[0]["type"]
        assert headers["x-gongkai-delivery"] == events(receiver.accepted)[0]["id"]
        assert headers["content-type"] == "application/json"
