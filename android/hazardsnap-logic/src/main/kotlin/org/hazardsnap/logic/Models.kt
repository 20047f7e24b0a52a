/**
 * The screens' state holders (界面状态): capture (拍照上报), my reports (我的报告) with the
 * server's notices, enrollment (扫码注册), and the background sync job's outcome.
 *
 * Each holds an immutable state in a `StateFlow` and changes it only through its methods, which
 * call the core through [CoreGateway]. The Android `ViewModel`s own one each and call them from
 * `viewModelScope`; the SwiftUI app has the same states in Swift. Nothing here touches Android,
 * so the JVM tests drive these with the real core.
 */
package org.hazardsnap.logic

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

/** The capture screen. */
data class CaptureState(
    val form: ReportForm = ReportForm(),
    val roster: Roster = Roster.NONE,
    /** Shown once the worker pressed "send" with something missing. */
    val showProblems: Boolean = false,
    val saving: Boolean = false,
    /** The id of the report just saved. */
    val savedId: String? = null,
    /** A short message: saved, or a scanned code not understood. */
    val message: Text? = null,
    /** The core's refusal, when it refused. */
    val error: Text? = null,
) {
    val problems: List<FormProblem> get() = form.problems()
}

/** Holds the capture screen's state. [scheduleSync] asks the platform for a sync. */
class CaptureModel(
    private val core: CoreGateway,
    private val scheduleSync: (SyncTrigger) -> Unit = {},
    roster: Roster = Roster.NONE,
) {
    private val _state = MutableStateFlow(CaptureState(roster = roster))
    val state: StateFlow<CaptureState> = _state.asStateFlow()

    /** A change on the form. */
    fun on(event: FormEvent) {
        _state.update { s ->
            val message = if (event is FormEvent.SiteScanned) {
                when (val qr = QrCodes.parse(event.raw)) {
                    is QrCode.SitePoint -> Text("点位：${qr.code}", "Site point: ${qr.code}")
                    is QrCode.Enrollment -> Text("这是注册码，请在“设置”中扫描", "This is an enrollment code: scan it in Settings")
                    is QrCode.Unknown -> qr.reason
                }
            } else {
                null
            }
            s.copy(form = reduce(s.form, event, s.roster), message = message, error = null, savedId = null)
        }
    }

    /**
     * Saves the report (offline: it is queued and sent when a network is there). Returns its id,
     * or `null` when the form has problems or the core refused it (the state says why).
     */
    suspend fun submit(draft: Boolean = false): String? {
        val form = _state.value.form
        val report = form.toReport(draft)
        if (report == null) {
            _state.update { it.copy(showProblems = true, message = null) }
            return null
        }
        _state.update { it.copy(saving = true, error = null, message = null) }
        return try {
            val id = core.capture(report)
            // The next report is often from the same place: keep where and how, clear what.
            val next = ReportForm(workshop = form.workshop, team = form.team, source = form.source, anonymous = form.anonymous)
            _state.update {
                it.copy(
                    form = next, saving = false, showProblems = false, savedId = id,
                    message = if (draft) Text("已存为草稿", "Saved as a draft") else Text("已保存，有网络时自动发送", "Saved; it is sent when a network is there"),
                )
            }
            if (!draft) scheduleSync(SyncTrigger.CAPTURED)
            id
        } catch (f: CoreFailure) {
            _state.update { it.copy(saving = false, error = f.text) }
            null
        }
    }
}

/** The statuses shown last, kept by the app between launches (SharedPreferences, UserDefaults). */
interface SeenStatuses {
    fun load(): Map<String, String>
    fun save(seen: Map<String, String>)

    /** Kept in memory only (tests, previews). */
    class InMemory : SeenStatuses {
        private var seen: Map<String, String> = emptyMap()
        override fun load() = seen
        override fun save(seen: Map<String, String>) {
            this.seen = seen
        }
    }
}

/** One line of my reports. */
data class ReportLine(val row: ReportRow, val status: StatusLine)

/** The "my reports" screen. */
data class ReportsState(
    val loading: Boolean = true,
    val lines: List<ReportLine> = emptyList(),
    val counts: OutboxCounts? = null,
    /** Reports the server moved since the worker last looked. */
    val notices: List<Notice> = emptyList(),
    val syncing: Boolean = false,
    /** What the last sync did, in words. */
    val lastSync: Text? = null,
    val error: Text? = null,
)

/** Holds the "my reports" screen's state. */
class MyReportsModel(private val core: CoreGateway, private val seen: SeenStatuses) {
    private val _state = MutableStateFlow(ReportsState())
    val state: StateFlow<ReportsState> = _state.asStateFlow()

    /** Reads the list again; new notices are added to those not yet dismissed. */
    suspend fun refresh() {
        try {
            val rows = core.reports()
            val counts = core.counts()
            val fresh = Notices.between(seen.load(), rows)
            // Remember statuses of every report shown, keeping ids the list no longer shows.
            seen.save(seen.load() + Notices.remember(rows))
            _state.update { s ->
                s.copy(
                    loading = false,
                    lines = rows.map { ReportLine(it, StatusTexts.of(it)) },
                    counts = counts,
                    notices = s.notices + fresh,
                    error = null,
                )
            }
        } catch (f: CoreFailure) {
            _state.update { it.copy(loading = false, error = f.text) }
        }
    }

    /** The worker pressed "send now": syncs on [network], then reads the list again. */
    suspend fun syncNow(network: Network) {
        if (network == Network.NONE) {
            _state.update { it.copy(lastSync = Text("没有网络，恢复后自动发送", "No network; reports are sent when it is back")) }
            return
        }
        _state.update { it.copy(syncing = true, error = null) }
        try {
            val r = core.sync(meteredNetwork = network == Network.METERED, workerAsked = true)
            _state.update { it.copy(syncing = false, lastSync = describe(r)) }
        } catch (f: CoreFailure) {
            _state.update { it.copy(syncing = false, error = f.text) }
        }
        refresh()
    }

    /** The worker read the notices. */
    fun dismissNotices() = _state.update { it.copy(notices = emptyList()) }

    companion object {
        /** What a sync did, in words. */
        fun describe(r: SyncResult): Text = when {
            r.skippedMetered -> Text("仅在 Wi-Fi 下发送：等待 Wi-Fi", "Only on Wi-Fi: waiting for Wi-Fi")
            r.lastError != null && r.pending > 0 ->
                Text("已发送 ${r.uploaded} 份，${r.pending} 份稍后重试", "${r.uploaded} sent, ${r.pending} to retry later")
            r.failed > 0 -> Text("已发送 ${r.uploaded} 份，${r.failed} 份被拒收", "${r.uploaded} sent, ${r.failed} refused")
            r.uploaded == 0L && r.changesApplied == 0L -> Text("已是最新", "Up to date")
            else -> Text("已发送 ${r.uploaded} 份，收到 ${r.changesApplied} 条状态更新", "${r.uploaded} sent, ${r.changesApplied} status updates")
        }
    }
}

/** The enrollment screen's states. */
sealed interface EnrollState {
    data object Checking : EnrollState
    data object NotEnrolled : EnrollState
    data class Enrolling(val serverUrl: String, val code: String) : EnrollState
    data class Enrolled(val info: EnrollmentInfo) : EnrollState
    data class Failed(val text: Text) : EnrollState
}

/** Holds the enrollment screen's state. */
class EnrollmentModel(private val core: CoreGateway, private val deviceName: String) {
    private val _state = MutableStateFlow<EnrollState>(EnrollState.Checking)
    val state: StateFlow<EnrollState> = _state.asStateFlow()

    /** Looks whether the device is enrolled already. */
    suspend fun load() {
        _state.value = try {
            core.enrollment()?.let { EnrollState.Enrolled(it) } ?: EnrollState.NotEnrolled
        } catch (f: CoreFailure) {
            EnrollState.Failed(f.text)
        }
    }

    /** A QR code was scanned on the enrollment screen. */
    suspend fun onScan(raw: String) {
        when (val qr = QrCodes.parse(raw)) {
            is QrCode.Enrollment -> enroll(qr.serverUrl, qr.code)
            is QrCode.SitePoint -> _state.value = EnrollState.Failed(Text("这是点位码，请扫描企业工会发放的注册码", "This is a site point code: scan the enrollment code from your union"))
            is QrCode.Unknown -> _state.value = EnrollState.Failed(qr.reason)
        }
    }

    /** Enrolls with a server and code (scanned, or typed by hand). */
    suspend fun enroll(serverUrl: String, code: String) {
        _state.value = EnrollState.Enrolling(serverUrl, code)
        _state.value = try {
            EnrollState.Enrolled(core.enroll(serverUrl, code, deviceName))
        } catch (f: CoreFailure) {
            EnrollState.Failed(f.text)
        }
    }
}

/** What the background job (WorkManager worker, BGProcessingTask) tells the platform. */
enum class JobResult { SUCCESS, RETRY, STOP }

/** The background sync job: one run, and what the platform should do next. */
object SyncJob {
    /** Runs a sync on [network] (the [attempt]-th try of this job) and says what follows. */
    suspend fun run(core: CoreGateway, network: Network, attempt: Int): Pair<JobResult, AfterRun> {
        val after = try {
            SyncPolicy.after(core.sync(meteredNetwork = network == Network.METERED, workerAsked = false), attempt)
        } catch (f: CoreFailure) {
            SyncPolicy.after(f, attempt)
        }
        val result = when (after) {
            AfterRun.Done -> JobResult.SUCCESS
            is AfterRun.RetryLater -> JobResult.RETRY
            AfterRun.EnrollAgain -> JobResult.STOP
        }
        return result to after
    }
}
