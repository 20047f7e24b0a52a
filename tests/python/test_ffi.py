"""The phone core driven through its FFI exactly as an app would: the Python bindings that
uniffi generates from the built library, on a real data folder."""

import asyncio
import os
import struct
import threading
import zlib

import pytest

from conftest import make_jpeg
import hazardsnap_core as hc


def run(coro):
    return asyncio.run(coro)


def content(note="液氯储罐区阀门泄漏", kind=hc.ReportKind.HAZARD, location=None):
    return hc.ReportContent(
        kind=kind,
        category=hc.Category.EQUIPMENT_GUARDING,
        severity=hc.Severity.MAJOR if kind == hc.ReportKind.HAZARD else hc.Severity.GENERAL,
        at_risk=[hc.AtRisk.ONESELF, hc.AtRisk.EQUIPMENT],
        source=hc.CheckSource.WORKER_CHECK,
        note=note,
        workshop="一车间",
        team="甲班",
        site_code="E001-P01",
        location=location,
        anonymous=True,
    )


def request(photos, draft=False, **kw):
    return hc.CaptureRequest(photos=photos, content=content(**kw), captured_at=None, draft=draft)


def query(**kw):
    q = dict(states=[], kind=None, captured_from=None, captured_before=None, limit=0, cursor=None)
    q.update(kw)
    return hc.ListQuery(**q)


class Recorder(hc.ProgressListener):
    def __init__(self):
        self.steps = []
        self.lock = threading.Lock()

    def on_progress(self, progress):
        with self.lock:
            self.steps.append((progress.stage, progress.done, progress.total))


def test_capture_list_and_read_back(data_dir, tmp_path):
    async def go():
        core = await hc.HazardCore.open(data_dir)
        path = tmp_path / "a.jpg"
        path.write_bytes(make_jpeg(1))
        rec = Recorder()
        rid = await core.capture(
            request([hc.PhotoSource.PATH(str(path)), hc.PhotoSource.BYTES(make_jpeg(2))]), rec
        )
        assert rec.steps[-1] == (hc.ProgressStage.PROCESSING_PHOTOS, 2, 2)
        page = await core.list_reports(query())
        assert [r.id for r in page.items] == [rid]
        item = page.items[0]
        assert item.local_state == hc.LocalState.QUEUED
        assert item.photo_count == 2
        assert item.server.status is None and item.server.entry_number is None
        detail = await core.get_report(rid)
        assert detail.content.note == "液氯储罐区阀门泄漏"
        assert detail.content.at_risk == [hc.AtRisk.ONESELF, hc.AtRisk.EQUIPMENT]
        assert [h.event for h in detail.history] == ["created", "queued"]
        for p in detail.photos:
            assert os.path.getsize(p.path) == p.bytes
            thumb = await core.thumbnail(p.sha256)
            assert thumb[:2] == b"\xff\xd8"
        use = await core.storage_use()
        assert use.report_count == 1 and use.photo_count == 2
        counts = await core.outbox_counts()
        assert (counts.draft, counts.queued) == (0, 1)

    run(go())


def test_drafts_edit_queue_delete(data_dir):
    async def go():
        core = await hc.HazardCore.open(data_dir)
        rid = await core.capture(request([hc.PhotoSource.BYTES(make_jpeg(3))], draft=True), None)
        c = (await core.get_report(rid)).content
        c.note = "改过的说明"
        c.category = hc.Category.PPE
        await core.edit_draft(rid, c)
        assert (await core.get_report(rid)).content.category == hc.Category.PPE
        await core.queue_report(rid)
        with pytest.raises(hc.HazardError.NotEditable) as e:
            await core.edit_draft(rid, c)
        assert e.value.code == "report_not_editable"
        with pytest.raises(hc.HazardError.NotEditable):
            await core.delete_report(rid)

        other = await core.capture(request([hc.PhotoSource.BYTES(make_jpeg(4))], draft=True), None)
        await core.delete_report(other)
        with pytest.raises(hc.HazardError.NotFound):
            await core.get_report(other)
        page = await core.list_reports(query(states=[hc.LocalState.DRAFT]))
        assert page.items == []

    run(go())


def png_declaring(w, h):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def test_bad_input_is_a_typed_error_and_stores_nothing(data_dir, tmp_path):
    good = make_jpeg(5)
    html = tmp_path / "page.jpg"
    html.write_text("<html>not a photo</html>")
    giant = tmp_path / "giant.jpg"
    with open(giant, "wb") as f:
        f.truncate(200 * 1024 * 1024)
    cases = [
        (request([hc.PhotoSource.PATH(str(tmp_path / "missing.jpg"))]),
         hc.HazardError.InvalidPhoto, "photo_not_found"),
        (request([hc.PhotoSource.PATH(str(html))]), hc.HazardError.InvalidPhoto, "photo_unsupported"),
        (request([hc.PhotoSource.BYTES(good[: len(good) // 2])]), hc.HazardError.InvalidPhoto, None),
        (request([hc.PhotoSource.BYTES(png_declaring(60000, 60000))]),
         hc.HazardError.InvalidPhoto, "photo_too_many_pixels"),
        (request([hc.PhotoSource.PATH(str(giant))]), hc.HazardError.InvalidPhoto, "photo_file_too_large"),
        (request([], note="  "), hc.HazardError.InvalidReport, "empty_report"),
        (request([hc.PhotoSource.BYTES(good)], note="漏" * 10000),
         hc.HazardError.InvalidReport, "note_too_long"),
        (request([hc.PhotoSource.BYTES(good)], location=hc.Location(lat=91.0, lon=117.0, accuracy_m=None)),
         hc.HazardError.InvalidReport, "invalid_location"),
        (request([hc.PhotoSource.BYTES(good)], location=hc.Location(lat=36.0, lon=float("nan"), accuracy_m=None)),
         hc.HazardError.InvalidReport, "invalid_location"),
    ]

    async def go():
        core = await hc.HazardCore.open(data_dir)
        for req, err_type, code in cases:
            with pytest.raises(err_type) as e:
                await core.capture(req, None)
            if code is not None:
                assert e.value.code == code, e.value
            assert "/" in e.value.message and not e.value.message.isascii()
            assert "漏漏" not in e.value.message
            assert (await core.list_reports(query())).items == []
            for sub in ("photos", "thumbs", "tmp"):
                assert os.listdir(os.path.join(data_dir, sub)) == [], sub
        with pytest.raises(hc.HazardError.NotFound):
            await core.get_report("not-a-uuid")
        with pytest.raises(hc.HazardError.InvalidArgument):
            await core.list_reports(query(cursor="garbage"))
        # Still healthy afterwards.
        await core.capture(request([hc.PhotoSource.BYTES(good)]), None)

    run(go())


def test_one_core_per_data_folder(data_dir):
    async def go():
        core = await hc.HazardCore.open(data_dir)
        with pytest.raises(hc.HazardError.Busy):
            await hc.HazardCore.open(data_dir)
        assert core.data_dir() == data_dir

    run(go())


def test_paging_through_many_reports(data_dir):
    async def go():
        core = await hc.HazardCore.open(data_dir)
        ids = []
        for i in range(30):
            req = hc.CaptureRequest(
                photos=[],
                content=content(note=f"建议 {i}", kind=hc.ReportKind.SUGGESTION),
                captured_at=None,
                draft=False,
            )
            ids.append(await core.capture(req, None))
        seen, cursor = [], None
        while True:
            page = await core.list_reports(query(limit=7, cursor=cursor))
            seen += [r.id for r in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(ids) and len(seen) == 30

    run(go())


def test_damaged_database_is_moved_aside(data_dir):
    async def go():
        core = await hc.HazardCore.open(data_dir)
        await core.capture(request([hc.PhotoSource.BYTES(make_jpeg(6))]), None)
        del core
        import gc

        gc.collect()
        db = os.path.join(data_dir, "hazardsnap.db")
        with open(db, "r+b") as f:
            f.write(b"\xab" * 100)
        core = await hc.HazardCore.open(data_dir)
        notice = await core.damage_notice()
        assert notice is not None and os.path.exists(os.path.join(notice.moved_to, "hazardsnap.db"))
        assert (await core.list_reports(query())).items == []
        await core.acknowledge_damage()
        assert await core.damage_notice() is None

    run(go())


def test_version():
    assert hc.core_version()
