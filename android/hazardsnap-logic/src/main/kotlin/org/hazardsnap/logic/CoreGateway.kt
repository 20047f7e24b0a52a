/**
 * The port between the screens' logic and the Rust phone core (核心接口): what the view models
 * need of `HazardCore`, in this module's own plain types, so that the logic compiles and is
 * tested without Android and without the generated bindings.
 *
 * The app implements it with `CoreBackend` (app/src/main/kotlin/org/hazardsnap/app/core), a thin
 * adapter over the generated bindings that uses no Android class; the JVM tests compile the
 * same adapter against a JVM copy of the bindings and the real core library.
 */
package org.hazardsnap.logic

import java.time.Instant

/** The device's enrollment (设备注册信息). */
data class EnrollmentInfo(
    val serverUrl: String,
    val deviceId: String,
    val enterpriseCode: String,
    val enterpriseName: String,
)

/** A valid report ready for the core: what [ReportForm.toReport] makes. */
data class NewReport(
    val kind: ReportKind,
    val category: Category,
    val severity: Severity,
    val atRisk: List<AtRisk>,
    val source: CheckSource,
    val note: String,
    val workshop: String?,
    val team: String?,
    val siteCode: String?,
    val latitude: Double?,
    val longitude: Double?,
    val accuracyM: Double?,
    val anonymous: Boolean,
    /** Files the camera wrote, in the order taken. */
    val photoPaths: List<String>,
    /** Keep as an editable draft instead of queueing it. */
    val draft: Boolean,
)

/** What the server made of a report, as the phone last heard it. */
data class ServerState(
    val status: LedgerStatus?,
    val entryNumber: String?,
    val mergedInto: String?,
    val reason: String?,
    val changedAt: Instant?,
    /** For a suggestion: its own status; the officer's reply is in [reason]. */
    val suggestion: SuggestionStatus? = null,
)

/** A training or drill the worker took part in (我的培训). */
data class TrainingItem(val id: String, val kind: TrainingKind, val date: String, val topic: String, val hours: Double)

/** The worker's own trainings, as the last sync brought them. */
data class MyTrainings(
    /** The worker's roster code; `null` while the phone is not linked to a worker. */
    val worker: String?,
    /** Newest first. */
    val trainings: List<TrainingItem>,
    val hoursThisYear: Double,
    /** When the list was last brought from the server; `null`: never. */
    val syncedAt: Instant?,
)

/** One line of "my reports" (我的报告). */
data class ReportRow(
    val id: String,
    val localState: LocalState,
    val kind: ReportKind,
    val category: Category,
    val severity: Severity,
    val notePreview: String,
    val capturedAt: Instant,
    val photoCount: Int,
    val thumbnailPath: String?,
    val server: ServerState,
    val retryCount: Int,
    val failReason: String?,
)

/** Reports per local state (for the badges). */
data class OutboxCounts(val draft: Long, val queued: Long, val synced: Long, val failed: Long)

/** What one sync run did. */
data class SyncResult(
    val uploaded: Long,
    val failed: Long,
    val pending: Long,
    val changesApplied: Long,
    val skippedMetered: Boolean,
    val lastError: String?,
)

/** What kind of failure the core reported: decides what the screen offers. */
enum class FailureKind {
    INVALID_REPORT, INVALID_PHOTO, INVALID_ARGUMENT, NOT_FOUND, NOT_EDITABLE, BUSY, STORAGE,
    NETWORK, NOT_ENROLLED, CANCELLED, INTERNAL,
}

/**
 * A failure of the core, translated from the bindings' `HazardException`: a stable [code] and
 * the core's message, which is Chinese first, then English.
 */
class CoreFailure(val kind: FailureKind, val code: String, message: String, cause: Throwable? = null) :
    Exception(message, cause) {
    /** The message as a bilingual text. */
    val text: Text get() = Text.ofBoth(message ?: code)
}

/** The calls the screens make on the phone core. Every call may throw [CoreFailure]. */
interface CoreGateway {
    /** The enrollment, or `null` before the device is enrolled. */
    suspend fun enrollment(): EnrollmentInfo?

    /** Enrolls with a code from the enterprise union. */
    suspend fun enroll(serverUrl: String, code: String, deviceName: String): EnrollmentInfo

    /** Stores a new report (offline); returns its id. */
    suspend fun capture(report: NewReport): String

    /** Every report, newest first. */
    suspend fun reports(): List<ReportRow>

    /** Reports per local state. */
    suspend fun counts(): OutboxCounts

    /** Sends the outbox and fetches status changes. */
    suspend fun sync(meteredNetwork: Boolean, workerAsked: Boolean): SyncResult

    /** The "only on Wi-Fi" (仅在 Wi-Fi 下发送) setting. */
    suspend fun setUnmeteredOnly(on: Boolean)

    /** The worker's own trainings and drills (works offline). */
    suspend fun myTrainings(): MyTrainings
}
