/**
 * The app's screens' logic driving the real core against the real demo server on loopback:
 * enrollment by QR code, capture through the form's model, "send now", the ledger number coming
 * back, an officer's rejection arriving as a notice with its reason, the "only on Wi-Fi" setting,
 * the background job's verdicts, and the Kotlin labels held to the server's OpenAPI document.
 */
package org.hazardsnap.jvmtest

import kotlinx.coroutines.runBlocking
import org.hazardsnap.app.core.CoreBackend
import org.hazardsnap.logic.AfterRun
import org.hazardsnap.logic.AtRisk
import org.hazardsnap.logic.CaptureModel
import org.hazardsnap.logic.Category
import org.hazardsnap.logic.CheckSource
import org.hazardsnap.logic.EnrollState
import org.hazardsnap.logic.EnrollmentModel
import org.hazardsnap.logic.FormEvent
import org.hazardsnap.logic.JobResult
import org.hazardsnap.logic.Labelled
import org.hazardsnap.logic.LedgerStatus
import org.hazardsnap.logic.LocalState
import org.hazardsnap.logic.MyReportsModel
import org.hazardsnap.logic.Network
import org.hazardsnap.logic.QrCodes
import org.hazardsnap.logic.ReportKind
import org.hazardsnap.logic.SeenStatuses
import org.hazardsnap.logic.Severity
import org.hazardsnap.logic.SuggestionStatus
import org.hazardsnap.logic.SyncJob
import org.hazardsnap.logic.SyncTrigger
import org.hazardsnap.logic.Tone
import org.hazardsnap.logic.TrainingKind
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import java.util.concurrent.atomic.AtomicLong

class ServerTest {
    companion object {
        private val seeds = AtomicLong(System.nanoTime())
    }

    private fun seed() = seeds.incrementAndGet()

    private suspend fun enrolled(backend: CoreBackend): EnrollmentModel {
        val model = EnrollmentModel(backend, "JVM 测试手机")
        model.load()
        assertEquals(EnrollState.NotEnrolled, model.state.value)
        model.onScan(QrCodes.enrollmentText(Fixtures.server, Fixtures.ENROLLMENT_CODE))
        val s = model.state.value
        assertTrue(s.toString(), s is EnrollState.Enrolled)
        assertEquals("E001", (s as EnrollState.Enrolled).info.enterpriseCode)
        return model
    }

    @Test
    fun `enroll, capture offline, send, get the ledger number, hear of the rejection`() = runBlocking {
        val dir = Fixtures.tempDir()
        CoreBackend.open(dir.resolve("data").toString()).use { backend ->
            enrolled(backend)
            val triggers = mutableListOf<SyncTrigger>()
            val capture = CaptureModel(backend, { triggers += it })
            capture.on(FormEvent.PhotoTaken(Fixtures.photoFile(dir, seed())))
            capture.on(FormEvent.CategoryChosen(Category.EQUIPMENT_GUARDING))
            capture.on(FormEvent.SeverityChosen(Severity.MAJOR))
            capture.on(FormEvent.AtRiskToggled(AtRisk.OTHERS))
            capture.on(FormEvent.SourceChosen(CheckSource.TEAM_CROSS_CHECK))
            capture.on(FormEvent.NoteChanged("氯气压缩机房防护罩缺失"))
            capture.on(FormEvent.WorkshopChosen("电解车间"))
            capture.on(FormEvent.TeamChosen("乙班"))
            capture.on(FormEvent.SiteScanned("hazardsnap://site/E001-P02"))
            assertEquals("点位：E001-P02", capture.state.value.message!!.zh)
            capture.on(FormEvent.AnonymousSwitched(true))
            val id = capture.submit()
            assertNotNull(capture.state.value.toString(), id)
            assertEquals(listOf(SyncTrigger.CAPTURED), triggers)
            // The next form keeps where the worker is.
            assertEquals("电解车间", capture.state.value.form.workshop)
            assertTrue(capture.state.value.form.photoPaths.isEmpty())

            val seen = SeenStatuses.InMemory()
            val reports = MyReportsModel(backend, seen)
            reports.refresh()
            val waiting = reports.state.value.lines.single()
            assertEquals(LocalState.QUEUED, waiting.row.localState)
            assertEquals("待发送", waiting.status.title.zh)

            reports.syncNow(Network.UNMETERED)
            val sent = reports.state.value
            assertNull(sent.error?.both(), sent.error)
            assertEquals("已发送 1 份，收到 0 条状态更新", sent.lastSync!!.zh.replace(Regex("收到 \\d+ 条"), "收到 0 条"))
            val line = sent.lines.single()
            assertEquals(LocalState.SYNCED, line.row.localState)
            assertEquals(LedgerStatus.PENDING_REVIEW, line.row.server.status)
            val number = line.row.server.entryNumber!!
            assertTrue(number, number.startsWith("E001-"))
            assertEquals(listOf("您的「生产设备安全防护」报告（$number）：待审核"), sent.notices.map { it.text.zh })
            reports.dismissNotices()

            // The enterprise union rejects it; the next sync brings the reason to the phone.
            Officer.e001().reject(id!!, "防护罩已在检修，非隐患")
            reports.syncNow(Network.METERED)
            val after = reports.state.value
            val rejected = after.lines.single()
            assertEquals(LedgerStatus.REJECTED, rejected.row.server.status)
            assertEquals(Tone.PROBLEM, rejected.status.tone)
            assertEquals("驳回理由：防护罩已在检修，非隐患", rejected.status.detail!!.zh)
            assertEquals(listOf("您的「生产设备安全防护」报告（$number）：已驳回"), after.notices.map { it.text.zh })

            // My trainings through the FFI: synced, and empty while no worker is linked.
            val mine = backend.myTrainings()
            assertNull(mine.worker)
            assertTrue(mine.trainings.isEmpty())
            assertNotNull(mine.syncedAt)
        }
    }

    @Test
    fun `only on Wi-Fi holds the outbox on mobile data`() = runBlocking {
        val dir = Fixtures.tempDir()
        CoreBackend.open(dir.resolve("data").toString()).use { backend ->
            enrolled(backend)
            backend.setUnmeteredOnly(true)
            val capture = CaptureModel(backend)
            capture.on(FormEvent.KindChosen(ReportKind.SUGGESTION))
            capture.on(FormEvent.NoteChanged("建议在液氯包装车间增设洗眼器 ${seed()}"))
            assertNotNull(capture.submit())
            val reports = MyReportsModel(backend, SeenStatuses.InMemory())
            reports.syncNow(Network.METERED)
            assertEquals("仅在 Wi-Fi 下发送：等待 Wi-Fi", reports.state.value.lastSync!!.zh)
            assertEquals(1L, reports.state.value.counts!!.queued)
            reports.syncNow(Network.NONE)
            assertEquals(1L, reports.state.value.counts!!.queued)
            reports.syncNow(Network.UNMETERED)
            assertEquals(0L, reports.state.value.counts!!.queued)
            assertEquals(1L, reports.state.value.counts!!.synced)
        }
    }

    @Test
    fun `the background job's verdicts`() = runBlocking {
        val dir = Fixtures.tempDir()
        CoreBackend.open(dir.resolve("data").toString()).use { backend ->
            // Not enrolled: stop scheduling, never a retry loop.
            assertEquals(JobResult.STOP to AfterRun.EnrollAgain, SyncJob.run(backend, Network.UNMETERED, 0))
            enrolled(backend)
            val capture = CaptureModel(backend)
            capture.on(FormEvent.PhotoTaken(Fixtures.photoFile(dir, seed())))
            assertNotNull(capture.submit())
            assertEquals(JobResult.SUCCESS, SyncJob.run(backend, Network.UNMETERED, 0).first)
            assertEquals(0L, backend.counts().queued)
        }
        // A server that cannot be reached: enrollment fails with the core's network message.
        val gone = Fixtures.tempDir()
        CoreBackend.open(gone.resolve("unreachable").toString()).use { backend ->
            val model = EnrollmentModel(backend, "JVM 测试手机")
            model.enroll("http://127.0.0.1:9", Fixtures.ENROLLMENT_CODE)
            val failed = model.state.value
            assertTrue(failed.toString(), failed is EnrollState.Failed)
            assertTrue((failed as EnrollState.Failed).text.zh.contains("无法连接服务器"))
        }
    }

    @Test
    fun `Kotlin labels are the server's`() {
        val doc = Officer.openApi()
        val vocabularies: List<Array<out Labelled>> = listOf(
            ReportKind.entries.toTypedArray(), Category.entries.toTypedArray(), Severity.entries.toTypedArray(),
            AtRisk.entries.toTypedArray(), CheckSource.entries.toTypedArray(), LedgerStatus.entries.toTypedArray(),
            SuggestionStatus.entries.toTypedArray(), TrainingKind.entries.toTypedArray(),
        )
        for (values in vocabularies) for (v in values) {
            val expected = "`${v.wire}` ${v.label.zh} / ${v.label.en}"
            assertTrue("the OpenAPI document does not say $expected", doc.contains(expected))
        }
    }
}
