"""Many clients at once against one threaded server: no error, no task lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import CREATE, live_server

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

THREADS = 16
TASKS_PER_THREAD = 200


def test_16_threads_create_and_poll_200_tasks_each() -> None:
    with live_server(lifecycle="step") as server:

        def client(worker: int) -> list[str]:
            created: list[str] = []
            token = {"Authorization": f"Bearer sk-worker-{worker}"}
            with requests.Session() as session:
                for n in range(TASKS_PER_THREAD):
                    body = {"model": "viduq3t-540p", "prompt": f"worker {worker} task {n}"}
                    made = session.post(server.url + CREATE, json=body, headers=token, timeout=30)
                    assert made.status_code == 200, made.text
                    task_id = assert_conforms(200, made.content)["id"]
                    polled = session.get(f"{server.url}{CREATE}/{task_id}", headers=token, timeout=30)
                    assert polled.status_code == 200, polled.text
                    assert assert_conforms(200, polled.content)["status"] == "in_progress"
                    created.append(task_id)
            return created

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(client, range(THREADS)))

        ids = [task_id for batch in results for task_id in batch]
        assert len(ids) == len(set(ids)) == THREADS * TASKS_PER_THREAD
        # Every task is still there, owned by its creator, and one more poll completes it.
        for worker, batch in enumerate(results):
            for task_id in batch[:: TASKS_PER_THREAD // 10]:
                token = {"Authorization": f"Bearer sk-worker-{worker}"}
                done = requests.get(f"{server.url}{CREATE}/{task_id}", headers=token, timeout=30).json()
                assert done["status"] == "completed"
        assert len(server.engine.store) == THREADS * TASKS_PER_THREAD
        assert all(entry.status == 200 for entry in server.control.journal)
