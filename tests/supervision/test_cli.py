"""`jiliang ingest --file` (instruments without MQTT) and the argument checks of the commands."""

import json
import time

import pytest

from jiliang.supervision.telemetry import protocol
from jiliang.supervision.telemetry.models import Reading
from tests.command_line import run_command

pytestmark = pytest.mark.django_db


def test_file_import_stores_each_message_once(fleet, tmp_path, capsys):
    dev = next(d for d in fleet if d.kind == "reading")
    now = time.time()
    msgs = [
        protocol.encode({"d": dev.code, "seq": s, "ts": now, "kind": "reading", "register": 10.0 + s}, dev.key) for s in (1, 2, 3)
    ]
    path = tmp_path / "upload.txt"
    path.write_bytes(b"\n".join(msgs + msgs[:1]) + b"\n")
    argv = ["ingest", "--file", str(path), "--json"]
    assert run_command(*argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["stored"], out["duplicates"], out["rejected"]) == (3, 1, 0)
    assert sorted(Reading.objects.filter(device_id=dev.pk).values_list("seq", flat=True)) == [1, 2, 3]
    path.write_bytes(msgs[0].split(b"\n")[0] + b"\n")
    with pytest.raises(ValueError, match="行数为奇数"):
        run_command(*argv)


@pytest.mark.parametrize(
    "argv, field",
    [
        (["ingest", "--batch-size", "70000"], "batch-size"),
        (["ingest", "--broker", "http://x:1"], "broker"),
        (["ingest", "--flush-interval", "0"], "flush-interval"),
    ],
)
def test_ingest_rejects_bad_arguments(argv, field):
    with pytest.raises(ValueError, match=field):
        run_command(*argv)


@pytest.mark.parametrize(
    "argv, field",
    [
        (["simulate", "--fraud-share", "1.5"], "fraud-share"),
        (["simulate", "--devices", "0"], "devices"),
        (["simulate", "--rate", "-1"], "rate"),
    ],
)
def test_simulate_rejects_bad_arguments(argv, field):
    with pytest.raises(ValueError, match=field):
        run_command(*argv)


def test_an_argument_is_refused_in_the_operators_language():
    from django.utils import translation

    from jiliang.supervision.telemetry.management.commands import ingest

    options = {"batch_size": 2000, "sweep_interval": 0, "flush_interval": 0, "sweep": False}
    for language, expected in (
        ("zh-hans", "flush-interval: 须大于 0 秒（输入值 0）"),
        ("en", "flush-interval: must be more than 0 seconds, got 0"),
    ):
        with translation.override(language), pytest.raises(ValueError) as refused:
            ingest.run(options)
        assert str(refused.value) == expected
