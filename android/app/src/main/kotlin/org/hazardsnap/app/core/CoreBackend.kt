/**
 * The adapter from the screens' [CoreGateway] to the generated bindings of the Rust phone core
 * (核心适配器): maps the logic module's plain types to the bindings' records and enums and back,
 * and every `HazardException` to a [CoreFailure].
 *
 * It uses no Android class on purpose: the JVM tests (`tests/kotlin/run.sh`) compile this very
 * file against a JVM copy of the bindings and the real core library. Every enum is mapped with
 * an exhaustive `when`, so a value added on the Rust side breaks this build until the app knows
 * its label.
 *
 * Lifetimes: the app keeps exactly one [HazardCore] for the life of its process (it holds a lock
 * on its data folder; a second one fails with `Busy`) and closes it with [close] only when the
 * process ends, which in practice is never; tests close theirs with `use {}`.
 */
package org.hazardsnap.app.core

import org.hazardsnap.core.CaptureRequest
import org.hazardsnap.core.HazardCore
import org.hazardsnap.core.HazardException
import org.hazardsnap.core.ListQuery
import org.hazardsnap.core.Location
import org.hazardsnap.core.PhotoSource
import org.hazardsnap.core.ReportContent
import org.hazardsnap.core.ReportSummary
import org.hazardsnap.core.SyncOptions
import org.hazardsnap.logic.CoreFailure
import org.hazardsnap.logic.CoreGateway
import org.hazardsnap.logic.EnrollmentInfo
import org.hazardsnap.logic.FailureKind
import org.hazardsnap.logic.NewReport
import org.hazardsnap.logic.OutboxCounts
import org.hazardsnap.logic.ReportRow
import org.hazardsnap.logic.MyTrainings
import org.hazardsnap.logic.ServerState
import org.hazardsnap.logic.SuggestionStatus
import org.hazardsnap.logic.SyncResult
import org.hazardsnap.logic.TrainingItem
import org.hazardsnap.logic.TrainingKind
import org.hazardsnap.core.AtRisk as CoreAtRisk
import org.hazardsnap.core.Category as CoreCategory
import org.hazardsnap.core.CheckSource as CoreCheckSource
import org.hazardsnap.core.LedgerStatus as CoreLedgerStatus
import org.hazardsnap.core.LocalState as CoreLocalState
import org.hazardsnap.core.ReportKind as CoreReportKind
import org.hazardsnap.core.SuggestionStatus as CoreSuggestionStatus
import org.hazardsnap.core.TrainingKind as CoreTrainingKind
import org.hazardsnap.core.Severity as CoreSeverity
import org.hazardsnap.logic.AtRisk
import org.hazardsnap.logic.Category
import org.hazardsnap.logic.CheckSource
import org.hazardsnap.logic.LedgerStatus
import org.hazardsnap.logic.LocalState
import org.hazardsnap.logic.ReportKind
import org.hazardsnap.logic.Severity

/** [CoreGateway] over one open [HazardCore]. */
class CoreBackend(val core: HazardCore) : CoreGateway, AutoCloseable {
    override suspend fun enrollment(): EnrollmentInfo? = call { core.enrollment()?.let(::info) }

    override suspend fun enroll(serverUrl: String, code: String, deviceName: String): EnrollmentInfo =
        call { info(core.enroll(serverUrl, code, deviceName)) }

    override suspend fun capture(report: NewReport): String = call {
        val location = if (report.latitude != null && report.longitude != null) {
            Location(report.latitude, report.longitude, report.accuracyM)
        } else {
            null
        }
        val content = ReportContent(
            kind = kind(report.kind),
            category = category(report.category),
            severity = severity(report.severity),
            atRisk = report.atRisk.map(::atRisk),
            source = source(report.source),
            note = report.note,
            workshop = report.workshop,
            team = report.team,
            siteCode = report.siteCode,
            location = location,
            anonymous = report.anonymous,
        )
        core.capture(CaptureRequest(report.photoPaths.map { PhotoSource.Path(it) }, content, null, report.draft), null)
    }

    override suspend fun reports(): List<ReportRow> = call {
        val rows = mutableListOf<ReportRow>()
        var cursor: String? = null
        do {
            val page = core.listReports(ListQuery(emptyList(), null, null, null, 200u, cursor))
            page.items.mapTo(rows, ::row)
            cursor = page.nextCursor
        } while (cursor != null)
        rows
    }

    override suspend fun counts(): OutboxCounts = call {
        val c = core.outboxCounts()
        OutboxCounts(c.draft.toLong(), c.queued.toLong(), c.synced.toLong(), c.failed.toLong())
    }

    override suspend fun sync(meteredNetwork: Boolean, workerAsked: Boolean): SyncResult = call {
        val o = core.sync(SyncOptions(meteredNetwork, workerAsked), null, null)
        SyncResult(o.uploaded.toLong(), o.failed.toLong(), o.pending.toLong(), o.changesApplied.toLong(), o.skippedMetered, o.lastError)
    }

    override suspend fun setUnmeteredOnly(on: Boolean) = call { core.setUnmeteredOnly(on) }

    override suspend fun myTrainings(): MyTrainings = call {
        val m = core.myTrainings()
        MyTrainings(
            worker = m.worker,
            trainings = m.trainings.map {
                TrainingItem(it.id, trainingKind(it.kind), it.date, it.topic, it.hours)
            },
            hoursThisYear = m.hoursThisYear,
            syncedAt = m.syncedAt,
        )
    }

    /** Frees the core (and its data-folder lock). */
    override fun close() = core.close()

    companion object {
        /** Opens the one core of this process on [dataDir]. */
        suspend fun open(dataDir: String): CoreBackend = CoreBackend(call { HazardCore.open(dataDir) })

        /** Runs [block], turning the core's exceptions into [CoreFailure]. */
        suspend fun <T> call(block: suspend () -> T): T = try {
            block()
        } catch (e: HazardException) {
            throw failure(e)
        }

        /** The [CoreFailure] of a core exception: its kind, stable code and bilingual message. */
        fun failure(e: HazardException): CoreFailure {
            val (kind, code, message) = when (e) {
                is HazardException.InvalidReport -> Triple(FailureKind.INVALID_REPORT, e.code, e.userMessage)
                is HazardException.InvalidPhoto -> Triple(FailureKind.INVALID_PHOTO, e.code, e.userMessage)
                is HazardException.InvalidArgument -> Triple(FailureKind.INVALID_ARGUMENT, e.code, e.userMessage)
                is HazardException.NotFound -> Triple(FailureKind.NOT_FOUND, e.code, e.userMessage)
                is HazardException.NotEditable -> Triple(FailureKind.NOT_EDITABLE, e.code, e.userMessage)
                is HazardException.Busy -> Triple(FailureKind.BUSY, e.code, e.userMessage)
                is HazardException.Storage -> Triple(FailureKind.STORAGE, e.code, e.userMessage)
                is HazardException.Network -> Triple(FailureKind.NETWORK, e.code, e.userMessage)
                is HazardException.NotEnrolled -> Triple(FailureKind.NOT_ENROLLED, e.code, e.userMessage)
                is HazardException.Cancelled -> Triple(FailureKind.CANCELLED, e.code, e.userMessage)
                is HazardException.Internal -> Triple(FailureKind.INTERNAL, e.code, e.userMessage)
            }
            return CoreFailure(kind, code, message, e)
        }

        private fun info(e: org.hazardsnap.core.Enrollment) =
            EnrollmentInfo(e.serverUrl, e.deviceId, e.enterpriseCode, e.enterpriseName)

        private fun row(s: ReportSummary) = ReportRow(
            id = s.id,
            localState = localState(s.localState),
            kind = kind(s.kind),
            category = category(s.category),
            severity = severity(s.severity),
            notePreview = s.notePreview,
            capturedAt = s.capturedAt,
            photoCount = s.photoCount.toInt(),
            thumbnailPath = s.thumbnailPath,
            server = ServerState(
                status = s.server.status?.let(::ledgerStatus),
                entryNumber = s.server.entryNumber,
                mergedInto = s.server.mergedInto,
                reason = s.server.reason,
                changedAt = s.server.changedAt,
                suggestion = s.server.suggestionStatus?.let(::suggestionStatus),
            ),
            retryCount = s.retryCount.toInt(),
            failReason = s.failReason,
        )

        fun kind(k: ReportKind): CoreReportKind = when (k) {
            ReportKind.HAZARD -> CoreReportKind.HAZARD
            ReportKind.SUGGESTION -> CoreReportKind.SUGGESTION
        }

        fun kind(k: CoreReportKind): ReportKind = when (k) {
            CoreReportKind.HAZARD -> ReportKind.HAZARD
            CoreReportKind.SUGGESTION -> ReportKind.SUGGESTION
        }

        fun category(c: Category): CoreCategory = when (c) {
            Category.RULES -> CoreCategory.RULES
            Category.STANDARD_WORK -> CoreCategory.STANDARD_WORK
            Category.EQUIPMENT_GUARDING -> CoreCategory.EQUIPMENT_GUARDING
            Category.PPE -> CoreCategory.PPE
            Category.FIXED_POSITION -> CoreCategory.FIXED_POSITION
            Category.KEY_POINTS -> CoreCategory.KEY_POINTS
            Category.OCCUPATIONAL_HEALTH -> CoreCategory.OCCUPATIONAL_HEALTH
            Category.OTHER -> CoreCategory.OTHER
        }

        fun category(c: CoreCategory): Category = when (c) {
            CoreCategory.RULES -> Category.RULES
            CoreCategory.STANDARD_WORK -> Category.STANDARD_WORK
            CoreCategory.EQUIPMENT_GUARDING -> Category.EQUIPMENT_GUARDING
            CoreCategory.PPE -> Category.PPE
            CoreCategory.FIXED_POSITION -> Category.FIXED_POSITION
            CoreCategory.KEY_POINTS -> Category.KEY_POINTS
            CoreCategory.OCCUPATIONAL_HEALTH -> Category.OCCUPATIONAL_HEALTH
            CoreCategory.OTHER -> Category.OTHER
        }

        fun severity(s: Severity): CoreSeverity = when (s) {
            Severity.GENERAL -> CoreSeverity.GENERAL
            Severity.MAJOR -> CoreSeverity.MAJOR
        }

        fun severity(s: CoreSeverity): Severity = when (s) {
            CoreSeverity.GENERAL -> Severity.GENERAL
            CoreSeverity.MAJOR -> Severity.MAJOR
        }

        fun atRisk(a: AtRisk): CoreAtRisk = when (a) {
            AtRisk.ONESELF -> CoreAtRisk.ONESELF
            AtRisk.OTHERS -> CoreAtRisk.OTHERS
            AtRisk.EQUIPMENT -> CoreAtRisk.EQUIPMENT
            AtRisk.ENVIRONMENT -> CoreAtRisk.ENVIRONMENT
        }

        fun source(s: CheckSource): CoreCheckSource = when (s) {
            CheckSource.WORKER_CHECK -> CoreCheckSource.WORKER_CHECK
            CheckSource.EXPERT_CHECK -> CoreCheckSource.EXPERT_CHECK
            CheckSource.REPRESENTATIVE_PATROL -> CoreCheckSource.REPRESENTATIVE_PATROL
            CheckSource.TEAM_CROSS_CHECK -> CoreCheckSource.TEAM_CROSS_CHECK
        }

        fun localState(s: CoreLocalState): LocalState = when (s) {
            CoreLocalState.DRAFT -> LocalState.DRAFT
            CoreLocalState.QUEUED -> LocalState.QUEUED
            CoreLocalState.SYNCED -> LocalState.SYNCED
            CoreLocalState.FAILED -> LocalState.FAILED
        }

        fun suggestionStatus(s: CoreSuggestionStatus): SuggestionStatus = when (s) {
            CoreSuggestionStatus.RECEIVED -> SuggestionStatus.RECEIVED
            CoreSuggestionStatus.UNDER_REVIEW -> SuggestionStatus.UNDER_REVIEW
            CoreSuggestionStatus.ADOPTED -> SuggestionStatus.ADOPTED
            CoreSuggestionStatus.NOT_ADOPTED -> SuggestionStatus.NOT_ADOPTED
        }

        fun trainingKind(k: CoreTrainingKind): TrainingKind = when (k) {
            CoreTrainingKind.TRAINING -> TrainingKind.TRAINING
            CoreTrainingKind.DRILL -> TrainingKind.DRILL
        }

        fun ledgerStatus(s: CoreLedgerStatus): LedgerStatus = when (s) {
            CoreLedgerStatus.PENDING_REVIEW -> LedgerStatus.PENDING_REVIEW
            CoreLedgerStatus.RECTIFYING -> LedgerStatus.RECTIFYING
            CoreLedgerStatus.AWAITING_VERIFICATION -> LedgerStatus.AWAITING_VERIFICATION
            CoreLedgerStatus.CLOSED -> LedgerStatus.CLOSED
            CoreLedgerStatus.REJECTED -> LedgerStatus.REJECTED
            CoreLedgerStatus.MERGED -> LedgerStatus.MERGED
        }
    }
}
