/**
 * Unit tests of the screens' logic without the core: the form's rules and events, the QR
 * formats, the sync scheduling decisions, the status texts and the notices. Run by Gradle
 * (`./gradlew :hazardsnap-logic:test`) and by `tests/kotlin/run.sh` on this machine.
 */
package org.hazardsnap.logic

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import java.time.Duration
import java.time.Instant

class LogicTest {
    private val roster = Roster(mapOf("电解车间" to listOf("甲班", "乙班", "丙班"), "液氯包装车间" to listOf("甲班", "乙班")))

    @Test
    fun `a new form asks for a photo or a note`() {
        val f = ReportForm()
        assertEquals(listOf(FormProblem.EMPTY, FormProblem.HAZARD_WITHOUT_PHOTO), f.problems())
        assertFalse(f.canSend)
        assertNull(f.toReport(draft = false))
        val withPhoto = reduce(f, FormEvent.PhotoTaken("/a.jpg"))
        assertTrue(withPhoto.canSend)
        val suggestion = reduce(reduce(f, FormEvent.KindChosen(ReportKind.SUGGESTION)), FormEvent.NoteChanged("  增设防护栏  "))
        assertTrue(suggestion.problems().toString(), suggestion.canSend)
        assertEquals("增设防护栏", suggestion.toReport(false)!!.note)
    }

    @Test
    fun `a suggestion is never major`() {
        var f = reduce(ReportForm(), FormEvent.SeverityChosen(Severity.MAJOR))
        f = reduce(f, FormEvent.KindChosen(ReportKind.SUGGESTION))
        assertEquals(Severity.GENERAL, f.severity)
        val forced = f.copy(severity = Severity.MAJOR, note = "x")
        assertEquals(listOf(FormProblem.MAJOR_SUGGESTION), forced.problems())
    }

    @Test
    fun `limits count photos and code points`() {
        var f = ReportForm()
        for (i in 1..12) f = reduce(f, FormEvent.PhotoTaken("/p$i.jpg"))
        assertEquals(Limits.MAX_PHOTOS, f.photoPaths.size)
        assertFalse(f.canAddPhoto)
        f = reduce(f, FormEvent.PhotoRemoved("/p1.jpg"))
        assertTrue(f.canAddPhoto)
        // 2000 characters outside the BMP are 4000 UTF-16 units but still 2000 characters.
        val emoji = "\uD83D\uDD25".repeat(2000)
        assertTrue(f.copy(note = emoji).canSend)
        assertEquals(listOf(FormProblem.NOTE_TOO_LONG), f.copy(note = emoji + "漏").problems())
        assertEquals(listOf(FormProblem.FIELD_TOO_LONG), f.copy(workshop = "车".repeat(65)).problems())
        assertEquals(listOf(FormProblem.INVALID_LOCATION), f.copy(latitude = 91.0, longitude = 117.0).problems())
        assertEquals(listOf(FormProblem.INVALID_LOCATION), f.copy(latitude = 36.0).problems())
    }

    @Test
    fun `workshop and team come from the roster`() {
        var f = reduce(ReportForm(), FormEvent.WorkshopChosen("电解车间"), roster)
        assertEquals(listOf("甲班", "乙班", "丙班"), f.teamsOffered(roster))
        f = reduce(f, FormEvent.TeamChosen("丙班"), roster)
        f = reduce(f, FormEvent.WorkshopChosen("液氯包装车间"), roster)
        assertNull("丙班 is not a team of 液氯包装车间", f.team)
        f = reduce(f, FormEvent.TeamChosen("甲班"), roster)
        f = reduce(f, FormEvent.WorkshopChosen("电解车间"), roster)
        assertEquals("甲班", f.team)
    }

    @Test
    fun `the four protects go in their fixed order and blanks are absent`() {
        var f = reduce(ReportForm(), FormEvent.PhotoTaken("/a.jpg"))
        f = reduce(f, FormEvent.AtRiskToggled(AtRisk.ENVIRONMENT))
        f = reduce(f, FormEvent.AtRiskToggled(AtRisk.ONESELF))
        f = reduce(f, FormEvent.AtRiskToggled(AtRisk.OTHERS))
        f = reduce(f, FormEvent.AtRiskToggled(AtRisk.OTHERS))
        f = reduce(f, FormEvent.WorkshopChosen("  "))
        val r = f.toReport(false)!!
        assertEquals(listOf(AtRisk.ONESELF, AtRisk.ENVIRONMENT), r.atRisk)
        assertNull(r.workshop)
    }

    @Test
    fun `QR codes of enrollment and site points`() {
        val text = QrCodes.enrollmentText("https://aq.zhoucun.gov.cn:8443/", "E001-JOIN-7H3K")
        assertEquals(QrCode.Enrollment("https://aq.zhoucun.gov.cn:8443", "E001-JOIN-7H3K"), QrCodes.parse(text))
        assertEquals(QrCode.SitePoint("E001-P01"), QrCodes.parse(" E001-P01\n"))
        assertEquals(QrCode.SitePoint("E001-P01"), QrCodes.parse("hazardsnap://site/E001-P01"))
        assertTrue(QrCodes.parse("https://example.com/x") is QrCode.Unknown)
        assertTrue(QrCodes.parse("hazardsnap://enroll?code=E001-JOIN-7H3K") is QrCode.Unknown)
        assertTrue(QrCodes.parse("hazardsnap://site/液氯") is QrCode.Unknown)
        assertTrue(QrCodes.parse("一车间 二号") is QrCode.Unknown)
        val scanned = reduce(ReportForm(), FormEvent.SiteScanned("hazardsnap://site/E001-P02"))
        assertEquals("E001-P02", scanned.siteCode)
        assertNull(reduce(ReportForm(), FormEvent.SiteScanned("nonsense here")).siteCode)
    }

    private fun situation(
        enrolled: Boolean = true, queued: Long = 1, network: Network = Network.UNMETERED,
        unmeteredOnly: Boolean = false, trigger: SyncTrigger = SyncTrigger.CAPTURED,
    ) = SyncSituation(enrolled, queued, network, unmeteredOnly, trigger)

    @Test
    fun `sync scheduling decisions`() {
        assertTrue(SyncPolicy.decide(situation(enrolled = false)) is SyncDecision.Idle)
        assertEquals(SyncDecision.RunNow(metered = false, workerAsked = false), SyncPolicy.decide(situation()))
        assertEquals(SyncDecision.RunNow(metered = true, workerAsked = false), SyncPolicy.decide(situation(network = Network.METERED)))
        assertEquals(SyncDecision.WhenNetwork(NetworkRequirement.CONNECTED), SyncPolicy.decide(situation(network = Network.NONE)))
        assertEquals(
            SyncDecision.WhenNetwork(NetworkRequirement.UNMETERED),
            SyncPolicy.decide(situation(network = Network.METERED, unmeteredOnly = true)),
        )
        assertTrue(SyncPolicy.decide(situation(queued = 0, network = Network.NONE, trigger = SyncTrigger.PERIODIC)) is SyncDecision.Idle)
        // Nothing queued: the periodic job and opening the app still look for status changes.
        assertEquals(
            SyncDecision.RunNow(metered = false, workerAsked = false),
            SyncPolicy.decide(situation(queued = 0, trigger = SyncTrigger.PERIODIC)),
        )
        assertEquals(
            SyncDecision.RunNow(metered = false, workerAsked = true),
            SyncPolicy.decide(situation(queued = 0, trigger = SyncTrigger.WORKER_ASKED)),
        )
    }

    @Test
    fun `after a run`() {
        val ok = SyncResult(uploaded = 2, failed = 0, pending = 0, changesApplied = 1, skippedMetered = false, lastError = null)
        assertEquals(AfterRun.Done, SyncPolicy.after(ok, 0))
        val cut = ok.copy(pending = 3, lastError = "connection reset")
        assertEquals(AfterRun.RetryLater(Duration.ofSeconds(60)), SyncPolicy.after(cut, 1))
        assertEquals(AfterRun.RetryLater(SyncPolicy.MAX_BACKOFF), SyncPolicy.after(cut, 50))
        assertEquals(AfterRun.EnrollAgain, SyncPolicy.after(CoreFailure(FailureKind.NOT_ENROLLED, "not_enrolled", "未注册 / not enrolled"), 0))
        assertEquals(
            AfterRun.RetryLater(Duration.ofSeconds(30)),
            SyncPolicy.after(CoreFailure(FailureKind.NETWORK, "network", "无法连接服务器 / unreachable"), 0),
        )
    }

    private fun row(state: LocalState, status: LedgerStatus? = null, number: String? = null, reason: String? = null, merged: String? = null) =
        ReportRow(
            id = "r1", localState = state, kind = ReportKind.HAZARD, category = Category.EQUIPMENT_GUARDING,
            severity = Severity.MAJOR, notePreview = "阀门泄漏", capturedAt = Instant.EPOCH, photoCount = 1,
            thumbnailPath = null, server = ServerState(status, number, merged, reason, null), retryCount = 0, failReason = null,
        )

    @Test
    fun `status texts are Chinese first for every state`() {
        val rows = LocalState.entries.map { row(it) } + LedgerStatus.entries.map { row(LocalState.SYNCED, it, "E001-2026-0001") }
        for (r in rows) {
            val line = StatusTexts.of(r)
            assertTrue(line.title.zh.any { it.code > 0x2E80 })
            assertTrue(line.title.en.all { it.code < 0x80 })
            line.detail?.let { assertTrue(it.zh.any { c -> c.code > 0x2E80 }) }
        }
        assertEquals(Text("已驳回", "Rejected"), StatusTexts.of(row(LocalState.SYNCED, LedgerStatus.REJECTED, reason = "不是隐患")).title)
        assertEquals("驳回理由：不是隐患", StatusTexts.of(row(LocalState.SYNCED, LedgerStatus.REJECTED, reason = "不是隐患")).detail!!.zh)
        assertTrue(StatusTexts.of(row(LocalState.SYNCED, LedgerStatus.MERGED, merged = "E001-2026-0007")).detail!!.zh.contains("E001-2026-0007"))
        assertEquals(Text("中文", "English"), Text.ofBoth("中文 / English"))
        assertEquals("中文 / English", Text("中文", "English").both())
    }

    @Test
    fun `notices are the moves since the last look`() {
        val queued = row(LocalState.QUEUED)
        assertTrue(Notices.between(emptyMap(), listOf(queued)).isEmpty())
        val seen = Notices.remember(listOf(queued))
        val filed = row(LocalState.SYNCED, LedgerStatus.PENDING_REVIEW, "E001-2026-0001")
        val n = Notices.between(seen, listOf(filed))
        assertEquals(1, n.size)
        assertEquals("您的「生产设备安全防护」报告（E001-2026-0001）：待审核", n[0].text.zh)
        assertTrue(Notices.between(Notices.remember(listOf(filed)), listOf(filed)).isEmpty())
    }

    @Test
    fun `a reward granted after closing is a notice of its own, once`() {
        val closed = row(LocalState.SYNCED, LedgerStatus.CLOSED, "E001-2026-0001")
        val rewarded = row(
            LocalState.SYNCED, LedgerStatus.CLOSED, "E001-2026-0001",
            reason = "已发放奖励 500.00 元。匿名兑奖码 ABCD-EFGH / a reward of 500.00 yuan was granted. Code ABCD-EFGH",
        )
        val n = Notices.between(Notices.remember(listOf(closed)), listOf(rewarded))
        assertEquals(1, n.size)
        assertTrue(n[0].text.zh.contains("ABCD-EFGH"))
        assertTrue(StatusTexts.of(rewarded).detail!!.zh.startsWith("已发放奖励"))
        assertTrue(Notices.between(Notices.remember(listOf(rewarded)), listOf(rewarded)).isEmpty())
    }

    @Test
    fun `a suggestion shows its own status and the officer's reply, each move a notice`() {
        fun idea(status: SuggestionStatus, ledger: LedgerStatus, reply: String?) = row(LocalState.SYNCED, ledger, "E001-2026-S0001", reason = reply)
            .let { it.copy(kind = ReportKind.SUGGESTION, server = it.server.copy(suggestion = status)) }
        val received = idea(SuggestionStatus.RECEIVED, LedgerStatus.PENDING_REVIEW, null)
        val line = StatusTexts.of(received)
        assertEquals("已收到", line.title.zh)
        assertEquals("建议编号 E001-2026-S0001", line.detail!!.zh)
        val review = idea(SuggestionStatus.UNDER_REVIEW, LedgerStatus.PENDING_REVIEW, "已转设备科评估")
        assertEquals("评估中", StatusTexts.of(review).title.zh)
        assertEquals("答复：已转设备科评估", StatusTexts.of(review).detail!!.zh)
        val no = idea(SuggestionStatus.NOT_ADOPTED, LedgerStatus.REJECTED, "现有防护已满足要求")
        assertEquals("未采纳", StatusTexts.of(no).title.zh)
        assertEquals(Tone.NEUTRAL, StatusTexts.of(no).tone)
        // Under review is news even though the ledger status stayed "pending review".
        val n = Notices.between(Notices.remember(listOf(received)), listOf(review))
        assertEquals(1, n.size)
        assertEquals("您的建议（E001-2026-S0001）：评估中。已转设备科评估", n[0].text.zh)
        val yes = idea(SuggestionStatus.ADOPTED, LedgerStatus.CLOSED, "好主意，全厂推广")
        assertEquals(Tone.DONE, StatusTexts.of(yes).tone)
        assertEquals(1, Notices.between(Notices.remember(listOf(review)), listOf(yes)).size)
    }

    @Test
    fun `my trainings say who, how many hours, and why they are empty`() {
        val none = MyTrainings(worker = null, trainings = emptyList(), hoursThisYear = 0.0, syncedAt = null)
        assertTrue(TrainingTexts.summary(none).zh.startsWith("本机尚未关联职工"))
        val t = TrainingItem("1", TrainingKind.DRILL, "2026-11-30", "液氯泄漏应急演练", 2.0)
        val mine = MyTrainings(worker = "E001-W0001", trainings = listOf(t), hoursThisYear = 4.5, syncedAt = null)
        assertEquals("今年培训与演练 4.5 小时", TrainingTexts.summary(mine).zh)
        assertEquals("2026-11-30 应急演练：液氯泄漏应急演练（2 小时）", TrainingTexts.line(t).zh)
        assertEquals("2026-11-30 Emergency drill: 液氯泄漏应急演练 (2 h)", TrainingTexts.line(t).en)
    }
}
