/**
 * The phone core through its generated Kotlin bindings on the JVM, exactly as the Android app
 * calls it: capture from a camera file and from bytes, the list, a report's detail and
 * thumbnail, errors as typed Kotlin exceptions (and as the adapter's `CoreFailure`), one core per
 * data folder and `close()` releasing it. The real `libhazardsnap_core.so` of the host, no mock.
 */
package org.hazardsnap.jvmtest

import kotlinx.coroutines.runBlocking
import org.hazardsnap.app.core.CoreBackend
import org.hazardsnap.core.AtRisk
import org.hazardsnap.core.CaptureRequest
import org.hazardsnap.core.Category
import org.hazardsnap.core.CheckSource
import org.hazardsnap.core.HazardCore
import org.hazardsnap.core.HazardException
import org.hazardsnap.core.ListQuery
import org.hazardsnap.core.LocalState
import org.hazardsnap.core.PhotoSource
import org.hazardsnap.core.Progress
import org.hazardsnap.core.ProgressListener
import org.hazardsnap.core.ProgressStage
import org.hazardsnap.core.ReportContent
import org.hazardsnap.core.ReportKind
import org.hazardsnap.core.Severity
import org.hazardsnap.core.coreVersion
import org.hazardsnap.logic.CoreFailure
import org.hazardsnap.logic.FailureKind
import org.hazardsnap.logic.FormEvent
import org.hazardsnap.logic.FormProblem
import org.hazardsnap.logic.ReportForm
import org.hazardsnap.logic.reduce
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import java.io.File
import java.nio.file.Files
import java.util.Collections

class CoreTest {
    private fun content(note: String = "液氯储罐区阀门泄漏") = ReportContent(
        kind = ReportKind.HAZARD,
        category = Category.EQUIPMENT_GUARDING,
        severity = Severity.MAJOR,
        atRisk = listOf(AtRisk.ONESELF, AtRisk.EQUIPMENT),
        source = CheckSource.WORKER_CHECK,
        note = note,
        workshop = "电解车间",
        team = "甲班",
        siteCode = "E001-P01",
        location = null,
        anonymous = true,
    )

    private val all = ListQuery(emptyList(), null, null, null, 0u, null)

    private fun isBilingual(m: String) = m.contains(" / ") && m.any { it.code > 0x2E80 }

    @Test
    fun `capture, list and read back`() = runBlocking {
        val dir = Fixtures.tempDir()
        HazardCore.open(dir.resolve("data").toString()).use { core ->
            val steps = Collections.synchronizedList(mutableListOf<Progress>())
            val listener = object : ProgressListener {
                override fun onProgress(progress: Progress) {
                    steps += progress
                }
            }
            val photos = listOf(PhotoSource.Path(Fixtures.photoFile(dir, 1)), PhotoSource.Bytes(Fixtures.jpeg(2)))
            val id = core.capture(CaptureRequest(photos, content(), null, false), listener)
            assertEquals(Progress(ProgressStage.PROCESSING_PHOTOS, 2u, 2u), steps.last())

            val page = core.listReports(all)
            assertEquals(listOf(id), page.items.map { it.id })
            val item = page.items[0]
            assertEquals(LocalState.QUEUED, item.localState)
            assertEquals(2u, item.photoCount)
            assertNull(item.server.status)
            assertNull(page.nextCursor)

            val detail = core.getReport(id)
            assertEquals(content(), detail.content)
            assertEquals(listOf("created", "queued"), detail.history.map { it.event })
            for (p in detail.photos) {
                assertEquals(p.bytes.toLong(), File(p.path!!).length())
                val thumb = core.thumbnail(p.sha256)
                assertEquals(0xFF.toByte(), thumb[0])
                assertEquals(0xD8.toByte(), thumb[1])
            }
            val counts = core.outboxCounts()
            assertEquals(1uL, counts.queued)
            assertTrue(coreVersion().isNotEmpty())
        }
    }

    @Test
    fun `drafts are edited, queued, then frozen`() = runBlocking {
        HazardCore.open(Fixtures.tempDir().resolve("data").toString()).use { core ->
            val id = core.capture(CaptureRequest(listOf(PhotoSource.Bytes(Fixtures.jpeg(3))), content(), null, true), null)
            val edited = core.getReport(id).content.copy(note = "改过的说明", category = Category.PPE)
            core.editDraft(id, edited)
            assertEquals(Category.PPE, core.getReport(id).content.category)
            core.queueReport(id)
            try {
                core.editDraft(id, edited)
                fail("a queued report was edited")
            } catch (e: HazardException.NotEditable) {
                assertEquals("report_not_editable", e.code)
            }
        }
    }

    @Test
    fun `errors are typed Kotlin exceptions with Chinese first`() = runBlocking {
        val dir = Fixtures.tempDir()
        HazardCore.open(dir.resolve("data").toString()).use { core ->
            try {
                core.capture(CaptureRequest(listOf(PhotoSource.Path(dir.resolve("missing.jpg").toString())), content(), null, false), null)
                fail("a missing photo was accepted")
            } catch (e: HazardException.InvalidPhoto) {
                assertEquals("photo_not_found", e.code)
                assertEquals(0u, e.index)
                assertTrue(e.userMessage, isBilingual(e.userMessage))
            }
            val html = dir.resolve("page.jpg")
            Files.writeString(html, "<html>not a photo</html>")
            try {
                core.capture(CaptureRequest(listOf(PhotoSource.Path(html.toString())), content(), null, false), null)
                fail("HTML was accepted as a photo")
            } catch (e: HazardException.InvalidPhoto) {
                assertEquals("photo_unsupported", e.code)
            }
            try {
                core.capture(CaptureRequest(emptyList(), content("  "), null, false), null)
                fail("an empty report was accepted")
            } catch (e: HazardException.InvalidReport) {
                assertEquals("empty_report", e.code)
            }
            try {
                core.getReport("not-a-uuid")
                fail()
            } catch (e: HazardException.NotFound) {
                assertTrue(isBilingual(e.userMessage))
            }
            try {
                core.sync(org.hazardsnap.core.SyncOptions(false, true), null, null)
                fail("sync before enrollment")
            } catch (e: HazardException.NotEnrolled) {
                assertTrue(isBilingual(e.userMessage))
            }
            // Nothing was stored by the refused captures.
            assertTrue(core.listReports(all).items.isEmpty())
        }
    }

    @Test
    fun `one core per data folder, released by close`() = runBlocking {
        val data = Fixtures.tempDir().resolve("data").toString()
        val first = HazardCore.open(data)
        try {
            HazardCore.open(data).close()
            fail("a second core opened the same folder")
        } catch (e: HazardException.Busy) {
            assertTrue(isBilingual(e.userMessage))
        }
        // The adapter turns it into a CoreFailure the screens understand.
        try {
            CoreBackend.open(data)
            fail()
        } catch (f: CoreFailure) {
            assertEquals(FailureKind.BUSY, f.kind)
            assertTrue(f.text.zh.any { it.code > 0x2E80 })
        }
        first.close()
        // close() frees the Rust object at once: the folder can be opened again right away,
        // without waiting for the garbage collector.
        CoreBackend.open(data).use { backend -> assertNotNull(backend.counts()) }
    }

    /** The form refuses exactly what the core refuses, with the same code. */
    @Test
    fun `the form and the core agree`() = runBlocking {
        val dir = Fixtures.tempDir()
        CoreBackend.open(dir.resolve("data").toString()).use { backend ->
            val photo = Fixtures.photoFile(dir, 9)
            val base = reduce(ReportForm(), FormEvent.PhotoTaken(photo))
            val cases = listOf(
                ReportForm() to FormProblem.EMPTY,
                ReportForm(note = "只有文字") to FormProblem.HAZARD_WITHOUT_PHOTO,
                base.copy(kind = org.hazardsnap.logic.ReportKind.SUGGESTION, severity = org.hazardsnap.logic.Severity.MAJOR) to FormProblem.MAJOR_SUGGESTION,
                base.copy(note = "漏".repeat(2001)) to FormProblem.NOTE_TOO_LONG,
                base.copy(team = "班".repeat(65)) to FormProblem.FIELD_TOO_LONG,
                base.copy(latitude = 36.8, longitude = 181.0) to FormProblem.INVALID_LOCATION,
            )
            for ((form, problem) in cases) {
                assertEquals(form.toString(), problem, form.problems().first())
                // Bypass the form's own check: hand the core what the form would have refused.
                val report = form.copy(kind = form.kind).let {
                    org.hazardsnap.logic.NewReport(
                        it.kind, it.category, it.severity, it.atRisk.toList(), it.source, it.note, it.workshop, it.team,
                        it.siteCode, it.latitude, it.longitude, it.accuracyM, it.anonymous, it.photoPaths, false,
                    )
                }
                try {
                    backend.capture(report)
                    fail("the core accepted what the form refuses: $problem")
                } catch (f: CoreFailure) {
                    assertEquals(FailureKind.INVALID_REPORT, f.kind)
                    assertEquals(problem.code, f.code)
                }
            }
            val id = backend.capture(base.toReport(false)!!)
            assertFalse(id.isEmpty())
            assertEquals(1, backend.reports().size)
        }
    }
}
